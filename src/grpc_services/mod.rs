//! The gRPC services a gRPC server is expected to have beside its API, on the same port:
//! server reflection (`reflection`), so grpcurl and buf curl can list and call methods without
//! the .proto files, and health checking (`health`), for probes and load balancers. Both speak
//! gRPC, gRPC-Web and Connect's streaming protocol, binary or JSON (`stream`).

mod health;
mod reflection;
mod stream;

use crate::app::App;
use crate::body::{Body, RequestBody};
use http::request::Parts;
use http::Response;

/// The services the server answers besides the contract's.
const OWN: [&str; 3] = [
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
];

/// Every service the server answers, as reflection lists them and health knows them: the
/// contract's, then its own.
fn served(contract: &crate::contract::Contract) -> Vec<String> {
    let services = contract.services().into_iter().chain(OWN);
    services.map(str::to_string).collect()
}

/// The methods of these services. Only Check is unary, so only Check also speaks unary
/// Connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    /// `ServerReflectionInfo` of this reflection package.
    Reflection(&'static str),
    Check,
    Watch,
}

fn method(path: &str) -> Option<Method> {
    Some(match path {
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo" => {
            Method::Reflection("grpc.reflection.v1")
        }
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo" => {
            Method::Reflection("grpc.reflection.v1alpha")
        }
        "/grpc.health.v1.Health/Check" => Method::Check,
        "/grpc.health.v1.Health/Watch" => Method::Watch,
        _ => return None,
    })
}

/// Whether `path` (without the `/api` prefix) is a method of reflection or health.
pub(crate) fn handles(path: &str) -> bool {
    method(path).is_some()
}

/// Serves a call to one of the methods `handles` names. Problems become errors of the call's
/// protocol, or a plain HTTP error for a request in none of them.
pub(crate) async fn serve<B: RequestBody>(
    app: &App,
    parts: &Parts,
    path: &str,
    body: B,
) -> Response<Body> {
    let Some(method) = method(path) else {
        let e = crate::error::RpcError::new(
            crate::error::Code::Unimplemented,
            format!("{path} is not a method of reflection or health"),
        );
        return crate::rpc::error_response(&e);
    };
    let call = match stream::Call::accept(parts, method == Method::Check) {
        Ok(call) => call,
        Err(refusal) => return *refusal,
    };
    match method {
        Method::Reflection(package) => reflection::serve(app, call, package, body),
        Method::Check => health::check(app, call, body).await,
        Method::Watch => health::watch(app, call, body).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_handles_exactly_the_four_methods() {
        for path in [
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
            "/grpc.health.v1.Health/Check",
            "/grpc.health.v1.Health/Watch",
        ] {
            assert!(handles(path), "{path}");
        }
        for path in [
            "/grpc.health.v1.Health/List",
            "/grpc.health.v1.Health/check",
            "/gitpod.v1.RunnerConfigurationService/ListSCMIntegrations",
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo/",
        ] {
            assert!(!handles(path), "{path}");
        }
    }

    #[test]
    fn every_service_served_is_in_the_contract() {
        let contract = crate::contract::Contract::load();
        let served = served(&contract);
        assert_eq!(served[0], crate::contract::SERVICE);
        for name in &served {
            assert!(
                contract.pool().get_service_by_name(name).is_some(),
                "{name}"
            );
        }
    }
}
