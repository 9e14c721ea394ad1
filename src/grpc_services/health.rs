//! gRPC health checking (`grpc.health.v1.Health`): Check answers at once, Watch sends the
//! status and then stays open until the client goes away or the server shuts down. The mock
//! is ready whenever it answers at all, as `GET /__mock/ready` always says, so every service
//! it serves is SERVING.

use super::stream::{deadline_exceeded, shutting_down, stopped, Call, Replies};
use crate::app::App;
use crate::body::{Body, RequestBody};
use crate::error::RpcError;
use http::Response;
use prost_reflect::{DescriptorPool, DynamicMessage, Value};

/// `HealthCheckResponse.ServingStatus`, numbered as health.proto numbers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Serving = 1,
    NotServing = 2,
    ServiceUnknown = 3,
}

/// The status of `service`: the whole server (`""`) or one of the services it serves; None
/// for any other name.
fn status_of(served: &[String], service: &str) -> Option<Status> {
    (service.is_empty() || served.iter().any(|s| s == service)).then_some(Status::Serving)
}

/// `Check`: SERVING, or NOT_FOUND for a service the server does not serve, as grpc-go's
/// health server answers.
pub(super) async fn check<B: RequestBody>(app: &App, call: Call, body: B) -> Response<Body> {
    let pool = app.contract.pool();
    let service = match read_request(app, pool, &call, body).await {
        Ok(service) => service,
        Err(e) => return call.refuse(&e),
    };
    let served = super::served(&app.contract);
    let Some(status) = status_of(&served, &service) else {
        return call.refuse(&RpcError::not_found(format!(
            "unknown service {service:?}: gitpod-mock serves {}",
            served.join(", ")
        )));
    };
    let (response, replies) = call.open();
    // The channel holds a message and the status, so neither send waits for the client.
    replies.send(&answer(pool, status)).await;
    replies.finish(None).await;
    response
}

/// `Watch`: the status now (SERVICE_UNKNOWN for a name the server does not serve, which
/// grpc-go's server also keeps open, as the service might appear), then nothing until the
/// client leaves. At shutdown the watcher hears NOT_SERVING and the stream ends UNAVAILABLE.
pub(super) async fn watch<B: RequestBody>(app: &App, call: Call, body: B) -> Response<Body> {
    let pool = app.contract.pool().clone();
    let service = match read_request(app, &pool, &call, body).await {
        Ok(service) => service,
        Err(e) => return call.refuse(&e),
    };
    let served = super::served(&app.contract);
    let status = status_of(&served, &service).unwrap_or(Status::ServiceUnknown);
    let mut stopping = app.stopping.subscribe();
    let (response, replies) = call.open();
    tokio::spawn(async move {
        let end = watching(&pool, &call, &replies, status, &mut stopping).await;
        replies.finish(end.as_ref()).await;
    });
    response
}

async fn watching(
    pool: &DescriptorPool,
    call: &Call,
    replies: &Replies,
    status: Status,
    stopping: &mut tokio::sync::watch::Receiver<bool>,
) -> Option<RpcError> {
    if !replies.send(&answer(pool, status)).await {
        return None;
    }
    tokio::select! {
        () = replies.closed() => None,
        () = call.deadline() => Some(deadline_exceeded()),
        () = stopped(stopping) => {
            replies.send(&answer(pool, Status::NotServing)).await;
            Some(shutting_down())
        }
    }
}

/// The service a Check or Watch asks about: its one request message, read within the
/// client's deadline.
async fn read_request<B: RequestBody>(
    app: &App,
    pool: &DescriptorPool,
    call: &Call,
    body: B,
) -> Result<String, RpcError> {
    let mut messages = call.messages(body, app.settings.max_body_bytes);
    let bytes = tokio::select! {
        bytes = messages.only() => bytes?,
        () = call.deadline() => return Err(deadline_exceeded()),
    };
    let request = call.decode(&message(pool, "HealthCheckRequest"), &bytes)?;
    Ok(match request.get_field_by_name("service").as_deref() {
        Some(Value::String(service)) => service.clone(),
        _ => String::new(),
    })
}

fn answer(pool: &DescriptorPool, status: Status) -> DynamicMessage {
    let mut response = DynamicMessage::new(message(pool, "HealthCheckResponse"));
    response.set_field_by_name("status", Value::EnumNumber(status as i32));
    response
}

/// A message of contract/grpc/health/v1/health.proto, which build.rs compiles into the pool.
fn message(pool: &DescriptorPool, name: &str) -> prost_reflect::MessageDescriptor {
    pool.get_message_by_name(&format!("grpc.health.v1.{name}"))
        .expect("the contract holds the health proto")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_and_every_service_it_serves_are_serving() {
        let served = super::super::served(&crate::contract::Contract::load());
        let status_of = |service| status_of(&served, service);
        for service in [
            "",
            "gitpod.v1.RunnerConfigurationService",
            "grpc.health.v1.Health",
        ] {
            assert_eq!(status_of(service), Some(Status::Serving), "{service:?}");
        }
        for service in [
            "gitpod.v1.Nope",
            "gitpod.v1",
            " ",
            "gitpod.v1.RunnerConfigurationService/",
        ] {
            assert_eq!(status_of(service), None, "{service:?}");
        }
    }

    #[test]
    fn statuses_number_as_health_proto_does() {
        let pool = crate::contract::descriptors();
        let statuses = pool
            .get_enum_by_name("grpc.health.v1.HealthCheckResponse.ServingStatus")
            .unwrap();
        for (status, name) in [
            (Status::Serving, "SERVING"),
            (Status::NotServing, "NOT_SERVING"),
            (Status::ServiceUnknown, "SERVICE_UNKNOWN"),
        ] {
            assert_eq!(
                statuses.get_value_by_name(name).unwrap().number(),
                status as i32
            );
            let encoded = prost::Message::encode_to_vec(&answer(pool, status));
            assert_eq!(encoded, [0x08, status as u8]);
        }
    }
}
