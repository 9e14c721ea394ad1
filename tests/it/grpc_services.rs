//! gRPC server reflection and health checking over HTTP/2 cleartext, as grpcurl, buf curl and
//! probes call them: framed requests, answers read frame by frame, statuses in the trailers.
//! `connect` has the same services over Connect's streaming protocol and unary Connect.

use crate::support::{request, TestServer};
use bytes::{Buf, Bytes, BytesMut};
use gitpod_mock::contract::descriptors;
use http::{HeaderMap, Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::{Frame, Incoming};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use prost::Message as _;
use prost_reflect::{DescriptorPool, DynamicMessage, Value};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::mpsc;

const REFLECTION: &str = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo";
const CHECK: &str = "/grpc.health.v1.Health/Check";
const WATCH: &str = "/grpc.health.v1.Health/Watch";

/// A request body the test writes to as the call goes on.
struct Sending(mpsc::Receiver<Bytes>);

impl hyper::body::Body for Sending {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.0
            .poll_recv(cx)
            .map(|chunk| chunk.map(|c| Ok(Frame::data(c))))
    }
}

/// Sends a gRPC request over HTTP/2 with prior knowledge, as gRPC clients do on `http://`.
async fn grpc<B>(server: &TestServer, path: &str, body: B) -> Response<Incoming>
where
    B: hyper::body::Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let client = Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http();
    let request = Request::post(server.url(path))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(body)
        .unwrap();
    client.request(request).await.unwrap()
}

fn envelope(message: &[u8]) -> Bytes {
    let mut out = vec![0];
    out.extend_from_slice(&(message.len() as u32).to_be_bytes());
    out.extend_from_slice(message);
    out.into()
}

/// A message of the contract's pool, from (field, value) pairs.
fn message(name: &str, fields: &[(&str, Value)]) -> DynamicMessage {
    let mut message = DynamicMessage::new(descriptors().get_message_by_name(name).unwrap());
    for (field, value) in fields {
        message.set_field_by_name(field, value.clone());
    }
    message
}

fn reflection_request(field: &str, value: &str) -> Bytes {
    let asked = message(
        "grpc.reflection.v1.ServerReflectionRequest",
        &[
            ("host", Value::String("localhost".into())),
            (field, Value::String(value.into())),
        ],
    );
    envelope(&asked.encode_to_vec())
}

fn health_request(service: &str) -> Bytes {
    let asked = message(
        "grpc.health.v1.HealthCheckRequest",
        &[("service", Value::String(service.into()))],
    );
    envelope(&asked.encode_to_vec())
}

/// A response read frame by frame: its messages as they come, then its trailers.
struct Answers {
    body: Incoming,
    buffer: BytesMut,
    trailers: Option<HeaderMap>,
}

impl Answers {
    fn of(response: Response<Incoming>) -> (HeaderMap, Answers) {
        let (parts, body) = response.into_parts();
        assert_eq!(parts.status, 200);
        let answers = Answers {
            body,
            buffer: BytesMut::new(),
            trailers: None,
        };
        (parts.headers, answers)
    }

    /// The next message, decoded as `type_name`; None once the trailers have come.
    async fn next(&mut self, type_name: &str) -> Option<DynamicMessage> {
        loop {
            if self.buffer.len() >= 5 {
                let size = u32::from_be_bytes(self.buffer[1..5].try_into().unwrap()) as usize;
                if self.buffer.len() >= 5 + size {
                    assert_eq!(self.buffer[0], 0, "an uncompressed message");
                    self.buffer.advance(5);
                    let bytes = self.buffer.split_to(size);
                    let desc = descriptors().get_message_by_name(type_name).unwrap();
                    return Some(DynamicMessage::decode(desc, &bytes[..]).unwrap());
                }
            }
            let frame = self.body.frame().await?.unwrap();
            match frame.into_data() {
                Ok(data) => self.buffer.extend_from_slice(&data),
                Err(frame) => {
                    self.trailers = frame.into_trailers().ok();
                    assert!(
                        self.buffer.is_empty(),
                        "a partial message before the trailers"
                    );
                }
            }
        }
    }

    /// Reads to the end and returns the trailers.
    async fn end(mut self) -> HeaderMap {
        let rest = self.body.collect().await.unwrap();
        let trailers = self.trailers.take().or_else(|| rest.trailers().cloned());
        assert!(
            self.buffer.is_empty() && rest.to_bytes().is_empty(),
            "messages left unread"
        );
        trailers.expect("the response ends with trailers")
    }
}

fn text(message: &DynamicMessage, field: &str) -> String {
    message
        .get_field_by_name(field)
        .unwrap()
        .as_str()
        .unwrap()
        .to_string()
}

fn part(message: &DynamicMessage, field: &str) -> DynamicMessage {
    assert!(message.has_field_by_name(field), "{field} unset");
    message
        .get_field_by_name(field)
        .unwrap()
        .as_message()
        .unwrap()
        .clone()
}

const RESPONSE: &str = "grpc.reflection.v1.ServerReflectionResponse";

/// The service names a ListServices answer lists.
fn listed_services(response: &DynamicMessage) -> Vec<String> {
    part(response, "list_services_response")
        .get_field_by_name("service")
        .unwrap()
        .as_list()
        .unwrap()
        .iter()
        .map(|s| text(s.as_message().unwrap(), "name"))
        .collect()
}

#[tokio::test]
async fn list_services_names_the_api_reflection_and_health() {
    let server = TestServer::start().await;
    let body = Full::new(reflection_request("list_services", ""));
    let (headers, mut answers) = Answers::of(grpc(&server, REFLECTION, body).await);
    assert_eq!(headers["content-type"], "application/grpc");
    let response = answers.next(RESPONSE).await.unwrap();
    assert_eq!(text(&response, "valid_host"), "localhost");
    assert_eq!(
        listed_services(&response),
        [
            "gitpod.v1.RunnerConfigurationService",
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
            "grpc.reflection.v1alpha.ServerReflection",
        ]
    );
    assert_eq!(answers.end().await["grpc-status"], "0");
}

#[tokio::test]
async fn the_services_descriptor_arrives_with_dependencies_that_resolve() {
    let server = TestServer::start().await;
    let asked = reflection_request(
        "file_containing_symbol",
        "gitpod.v1.RunnerConfigurationService",
    );
    let (_, mut answers) = Answers::of(grpc(&server, REFLECTION, Full::new(asked)).await);
    let response = answers.next(RESPONSE).await.unwrap();
    let files = part(&response, "file_descriptor_response");
    let encoded = files.get_field_by_name("file_descriptor_proto").unwrap();
    let encoded: Vec<Bytes> = encoded
        .as_list()
        .unwrap()
        .iter()
        .map(|f| f.as_bytes().unwrap().clone())
        .collect();
    println!(
        "{} files, {} bytes",
        encoded.len(),
        encoded.iter().map(Bytes::len).sum::<usize>()
    );
    // Added as a client adds them: a file once every file it imports is in.
    let mut pool = DescriptorPool::new();
    let mut pending = encoded.clone();
    while !pending.is_empty() {
        let before = pending.len();
        pending.retain(|file| {
            let mut next = pool.clone();
            let added = next.decode_file_descriptor_proto(&file[..]).is_ok();
            if added {
                pool = next;
            }
            !added
        });
        assert!(
            pending.len() < before,
            "{} files import files not sent",
            pending.len()
        );
    }
    let first = pool
        .get_file_by_name("gitpod/v1/runner_configuration.proto")
        .unwrap();
    assert_eq!(encoded[0], first.encode_to_vec());
    let service = pool
        .get_service_by_name("gitpod.v1.RunnerConfigurationService")
        .unwrap();
    let expected = descriptors()
        .get_service_by_name("gitpod.v1.RunnerConfigurationService")
        .unwrap();
    assert_eq!(service.methods().len(), expected.methods().len());
    assert_eq!(answers.end().await["grpc-status"], "0");
}

#[tokio::test]
async fn an_unknown_symbol_is_not_found_and_the_stream_still_ends_ok() {
    let server = TestServer::start().await;
    let asked = reflection_request("file_containing_symbol", "gitpod.v1.NoSuchService");
    let (_, mut answers) = Answers::of(grpc(&server, REFLECTION, Full::new(asked)).await);
    let response = answers.next(RESPONSE).await.unwrap();
    let error = part(&response, "error_response");
    assert_eq!(
        error.get_field_by_name("error_code").unwrap().as_i32(),
        Some(5)
    );
    assert_eq!(
        text(&error, "error_message"),
        "symbol \"gitpod.v1.NoSuchService\" is not in the contract"
    );
    assert_eq!(answers.end().await["grpc-status"], "0");
}

/// grpcurl and buf curl send a request, wait for its answer, then send the next on the same
/// stream: each must be answered while the client's side is still open.
#[tokio::test]
async fn each_request_on_a_stream_is_answered_before_the_next_is_sent() {
    let server = TestServer::start().await;
    let (sender, receiver) = mpsc::channel(1);
    let (_, mut answers) = Answers::of(grpc(&server, REFLECTION, Sending(receiver)).await);
    let asked = [
        ("list_services", ""),
        ("file_by_filename", "gitpod/v1/pagination.proto"),
        ("file_containing_symbol", "gitpod.v1.Nope"),
    ];
    for (field, value) in asked {
        sender.send(reflection_request(field, value)).await.unwrap();
        let wait = Duration::from_secs(5);
        let response = tokio::time::timeout(wait, answers.next(RESPONSE)).await;
        let response = response
            .expect("an answer while the stream is open")
            .unwrap();
        let original = part(&response, "original_request");
        assert_eq!(text(&original, field), value, "answers come in order");
    }
    drop(sender);
    assert_eq!(answers.end().await["grpc-status"], "0");
}

#[tokio::test]
async fn a_malformed_envelope_ends_the_stream_with_invalid_argument() {
    let server = TestServer::start().await;
    let truncated = reflection_request("list_services", "").slice(..4);
    let (_, answers) = Answers::of(grpc(&server, REFLECTION, Full::new(truncated)).await);
    let trailers = answers.end().await;
    assert_eq!(trailers["grpc-status"], "3");
    assert_eq!(
        trailers["grpc-message"],
        "protocol error: incomplete envelope: 4 of its 5 prefix bytes"
    );
    // A prefix promising more than --max-body-bytes is refused before anything is buffered.
    let huge = Bytes::from_static(&[0, 0x7f, 0xff, 0xff, 0xff]);
    let (_, answers) = Answers::of(grpc(&server, REFLECTION, Full::new(huge)).await);
    assert_eq!(answers.end().await["grpc-status"], "8");
}

const HEALTH: &str = "grpc.health.v1.HealthCheckResponse";

mod connect;
mod health;
