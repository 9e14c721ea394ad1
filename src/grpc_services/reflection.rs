//! gRPC server reflection (`grpc.reflection.v1` and `v1alpha`, answered alike): the services
//! served, and the descriptors of the contract's files, looked up by file name, symbol or
//! extension, so gRPC tools need no copy of the .proto files.

use super::stream::{deadline_exceeded, shutting_down, stopped, Call, Messages, Replies};
use crate::app::App;
use crate::body::{Body, RequestBody};
use crate::codec::grpc::status_number;
use crate::error::{Code, RpcError};
use http::Response;
use prost_reflect::{DescriptorPool, DynamicMessage, FileDescriptor, Value};
use rustc_hash::FxHashSet as HashSet;
use std::collections::VecDeque;

/// Serves one reflection stream: each request is answered as it arrives, and the stream ends
/// with OK when the client ends its side. `package` is the reflection version asked for.
pub(super) fn serve<B: RequestBody>(
    app: &App,
    call: Call,
    package: &'static str,
    body: B,
) -> Response<Body> {
    let pool = app.contract.pool().clone();
    let services = super::served(&app.contract);
    let messages = call.messages(body, app.settings.max_body_bytes);
    let stopping = app.stopping.subscribe();
    let (response, replies) = call.open();
    tokio::spawn(async move {
        let mut session = Session {
            call,
            pool,
            services,
            package,
            sent: HashSet::default(),
        };
        let end = session.run(messages, &replies, stopping).await;
        replies.finish(end.as_ref()).await;
    });
    response
}

/// One stream's state: which files it has already sent, so a descriptor's imports go to the
/// client once per stream, as grpc-go's server sends them.
struct Session {
    call: Call,
    pool: DescriptorPool,
    /// The services `list_services` names.
    services: Vec<String>,
    package: &'static str,
    sent: HashSet<String>,
}

impl Session {
    /// Answers requests until the stream ends: None for a clean end (or a client gone), or
    /// the error to end it with.
    async fn run<B: RequestBody>(
        &mut self,
        mut messages: Messages<B>,
        replies: &Replies,
        mut stopping: tokio::sync::watch::Receiver<bool>,
    ) -> Option<RpcError> {
        let request_type = self
            .pool
            .get_message_by_name(&format!("{}.ServerReflectionRequest", self.package))
            .expect("the contract holds the reflection protos");
        let call = self.call;
        loop {
            // Every branch but the message's ends the stream, so dropping a half-read
            // message here loses nothing.
            let next = tokio::select! {
                next = messages.next() => next,
                () = replies.closed() => return None,
                () = call.deadline() => return Some(deadline_exceeded()),
                () = stopped(&mut stopping) => return Some(shutting_down()),
            };
            let bytes = match next {
                Ok(Some(bytes)) => bytes,
                Ok(None) => return None,
                Err(e) => return Some(e),
            };
            let answer = call
                .decode(&request_type, &bytes)
                .and_then(|request| self.answer(&request));
            let response = match answer {
                Ok(response) => response,
                Err(e) => return Some(e),
            };
            if !replies.send(&response).await {
                return None;
            }
        }
    }

    /// The response to one request. A question about something the pool does not hold gets
    /// an `error_response`; a request asking nothing ends the stream, as grpc-go ends it.
    fn answer(&mut self, request: &DynamicMessage) -> Result<DynamicMessage, RpcError> {
        // Names may come fully qualified with a leading dot, as descriptors write them.
        let text = |name: &str| match request.get_field_by_name(name).as_deref() {
            Some(Value::String(s)) if name == "host" => s.clone(),
            Some(Value::String(s)) => s.trim_start_matches('.').to_string(),
            _ => String::new(),
        };
        let asked = |name: &str| request.has_field_by_name(name);
        let mut response = self.message("ServerReflectionResponse");
        response.set_field_by_name("valid_host", Value::String(text("host")));
        response.set_field_by_name("original_request", Value::Message(request.clone()));
        let found = if asked("list_services") {
            Ok(("list_services_response", self.list_services()))
        } else if asked("file_by_filename") {
            let name = text("file_by_filename");
            let file = self.pool.get_file_by_name(&name);
            file.ok_or(format!("file {name:?} is not in the contract"))
                .map(|file| ("file_descriptor_response", self.files(&file)))
        } else if asked("file_containing_symbol") {
            let name = text("file_containing_symbol");
            let file = file_declaring(&self.pool, &name);
            file.ok_or(format!("symbol {name:?} is not in the contract"))
                .map(|file| ("file_descriptor_response", self.files(&file)))
        } else if asked("file_containing_extension") {
            let (extended, number) = extension_request(request);
            let extension = self
                .pool
                .get_message_by_name(&extended)
                .and_then(|m| m.extensions().find(|e| e.number() == number));
            extension
                .ok_or(format!("{extended:?} has no extension numbered {number}"))
                .map(|ext| ("file_descriptor_response", self.files(&ext.parent_file())))
        } else if asked("all_extension_numbers_of_type") {
            let name = text("all_extension_numbers_of_type");
            let message = self.pool.get_message_by_name(&name);
            message
                .ok_or(format!("message type {name:?} is not in the contract"))
                .map(|m| {
                    let mut numbers = self.message("ExtensionNumberResponse");
                    numbers.set_field_by_name("base_type_name", Value::String(name));
                    let all = m.extensions().map(|e| Value::I32(e.number() as i32));
                    numbers.set_field_by_name("extension_number", Value::List(all.collect()));
                    ("all_extension_numbers_response", numbers)
                })
        } else {
            return Err(RpcError::invalid_argument(
                "the reflection request asks nothing: set one of file_by_filename, \
                 file_containing_symbol, file_containing_extension, \
                 all_extension_numbers_of_type or list_services",
            ));
        };
        let (field, value) = found.unwrap_or_else(|why| ("error_response", self.not_found(why)));
        response.set_field_by_name(field, Value::Message(value));
        Ok(response)
    }

    /// A message of this stream's reflection package. The names are those of the protos in
    /// contract/grpc/reflection, which build.rs compiles into the pool.
    fn message(&self, name: &str) -> DynamicMessage {
        let full_name = format!("{}.{name}", self.package);
        let desc = self.pool.get_message_by_name(&full_name);
        DynamicMessage::new(desc.expect("the contract holds the reflection protos"))
    }

    fn list_services(&self) -> DynamicMessage {
        let services = self.services.iter().map(|name| {
            let mut service = self.message("ServiceResponse");
            service.set_field_by_name("name", Value::String(name.clone()));
            Value::Message(service)
        });
        let mut list = self.message("ListServiceResponse");
        list.set_field_by_name("service", Value::List(services.collect()));
        list
    }

    /// `file`, then those of its transitive imports this stream has not sent, breadth first,
    /// each a serialized FileDescriptorProto with its options (buf.validate rules included).
    fn files(&mut self, file: &FileDescriptor) -> DynamicMessage {
        let mut encoded = vec![Value::Bytes(file.encode_to_vec().into())];
        self.sent.insert(file.name().to_string());
        let mut queue: VecDeque<FileDescriptor> = file.dependencies().collect();
        while let Some(next) = queue.pop_front() {
            if self.sent.insert(next.name().to_string()) {
                encoded.push(Value::Bytes(next.encode_to_vec().into()));
                queue.extend(next.dependencies());
            }
        }
        let mut response = self.message("FileDescriptorResponse");
        response.set_field_by_name("file_descriptor_proto", Value::List(encoded));
        response
    }

    fn not_found(&self, why: String) -> DynamicMessage {
        let mut error = self.message("ErrorResponse");
        let code = status_number(Code::NotFound) as i32;
        error.set_field_by_name("error_code", Value::I32(code));
        error.set_field_by_name("error_message", Value::String(why));
        error
    }
}

/// The extended message's name and the extension's number of a `file_containing_extension`.
fn extension_request(request: &DynamicMessage) -> (String, u32) {
    let Some(Value::Message(asked)) = request
        .get_field_by_name("file_containing_extension")
        .as_deref()
        .cloned()
    else {
        return (String::new(), 0);
    };
    let extended = match asked.get_field_by_name("containing_type").as_deref() {
        Some(Value::String(s)) => s.trim_start_matches('.').to_string(),
        _ => String::new(),
    };
    let number = match asked.get_field_by_name("extension_number").as_deref() {
        // A negative number names no extension; u32::MAX matches none either.
        Some(Value::I32(n)) => u32::try_from(*n).unwrap_or(u32::MAX),
        _ => 0,
    };
    (extended, number)
}

/// The file that declares a fully qualified symbol: a service, method, message (nested ones
/// too), field, oneof, enum, enum value or extension.
fn file_declaring(pool: &DescriptorPool, symbol: &str) -> Option<FileDescriptor> {
    if let Some(service) = pool.get_service_by_name(symbol) {
        return Some(service.parent_file());
    }
    if let Some(message) = pool.get_message_by_name(symbol) {
        return Some(message.parent_file());
    }
    if let Some(enumeration) = pool.get_enum_by_name(symbol) {
        return Some(enumeration.parent_file());
    }
    if let Some(extension) = pool.get_extension_by_name(symbol) {
        return Some(extension.parent_file());
    }
    let (parent, leaf) = symbol.rsplit_once('.')?;
    if let Some(service) = pool.get_service_by_name(parent) {
        if service.methods().any(|m| m.name() == leaf) {
            return Some(service.parent_file());
        }
    }
    if let Some(message) = pool.get_message_by_name(parent) {
        if message.get_field_by_name(leaf).is_some() || message.oneofs().any(|o| o.name() == leaf) {
            return Some(message.parent_file());
        }
    }
    // Enum values are scoped beside their enum, not inside it.
    pool.all_enums()
        .find(|e| e.values().any(|v| v.full_name() == symbol))
        .map(|e| e.parent_file())
}

#[cfg(test)]
mod tests;
