//! Profiles: a service whose methods are served by the resource engine (`engine`) together
//! with one small module of that service's domain rules, registered here by service name. The
//! engine does what the resource conventions say (which request fields make or change a
//! record, ids, lookups, pages, answers); the rules say what only that service knows, at the
//! points the engine calls them: checks and completions before a write, side effects after
//! one, the filters of its Lists, its not_found wording, and the methods the conventions do
//! not cover. The built-in `gitpod.v1.RunnerConfigurationService` is the one profile so far
//! (`runner_configurations`).

pub mod engine;
mod runner_configurations;

pub use engine::Plan;

use crate::codec::answer::Response;
use crate::contract::conventions::Verb;
use crate::error::RpcError;
use crate::store::typed::Keep;
use crate::store::State;
use prost_reflect::MessageDescriptor;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// A method's own logic: the canonical JSON request in, the response message out (encoded
/// after the session lock is released).
pub type Handler = fn(&mut State, &Value) -> Result<Response, RpcError>;

/// A method of a profile's service that the engine cannot serve, answered by its rules.
#[derive(Clone, Copy)]
pub struct Custom {
    pub handler: Handler,
    /// Whether a call adds records, so that the session's record budget applies to it.
    pub creates_records: bool,
}

/// One service's domain rules: the hooks the engine calls around its resource methods. Every
/// hook but `service` and `custom` has a default that adds no rule.
pub trait DomainRules: Sync {
    /// The service, by its full name, whose methods these rules are for.
    fn service(&self) -> &'static str;

    /// The handler of a method the resource conventions do not serve, by method name.
    fn custom(&self, method: &str) -> Option<Custom>;

    /// The error for a `resource` record with `id` that does not exist.
    fn not_found(&self, resource: &MessageDescriptor, id: &str) -> RpcError {
        RpcError::no_such(resource.name(), id)
    }

    /// Checks a new record, made of the request's fields that the resource has, and completes
    /// it (defaults, sealed secrets) before the engine gives it an id and stores it.
    fn before_create(
        &self,
        _state: &mut State,
        _resource: &MessageDescriptor,
        _request: &Value,
        _record: &mut Map<String, Value>,
    ) -> Result<(), RpcError> {
        Ok(())
    }

    /// Checks a changed record, once the engine has applied the fields the request sets, and
    /// completes the change before it is stored.
    fn before_update(
        &self,
        _state: &mut State,
        _resource: &MessageDescriptor,
        _request: &Value,
        _record: &mut Map<String, Value>,
    ) -> Result<(), RpcError> {
        Ok(())
    }

    /// What else the service changes once a `verb` (Create, Update or Delete) of the record
    /// with `id` is done.
    fn after_write(
        &self,
        _state: &mut State,
        _verb: Verb,
        _resource: &MessageDescriptor,
        _request: &Value,
        _id: &str,
    ) {
    }

    /// Which records a List keeps, from its request's `filter` (null when absent). The default
    /// keeps every record.
    fn filter<'s>(
        &self,
        _state: &'s State,
        _resource: &MessageDescriptor,
        _filter: &Value,
    ) -> Result<Box<Keep<'s>>, RpcError> {
        Ok(Box::new(|_| true))
    }
}

/// Every profile, each found by its service.
const PROFILES: &[&dyn DomainRules] = &[&runner_configurations::RULES];

/// The rules of the profile for `service`, if it has one.
pub fn for_service(service: &str) -> Option<&'static dyn DomainRules> {
    PROFILES.iter().copied().find(|p| p.service() == service)
}

/// Reads a canonical request (or part of one) into a typed struct. Canonical requests always
/// fit, so a failure here is the mock's own bug.
fn parse<T: DeserializeOwned>(value: &Value) -> Result<T, RpcError> {
    T::deserialize(value)
        .map_err(|e| RpcError::internal(format!("request does not fit the handler: {e}")))
}
