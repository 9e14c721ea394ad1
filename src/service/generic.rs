//! The answers of methods outside the hand-built profile: a resource method runs on the
//! session's generic records (`store::generic`), with ids from the state's seeded generator and
//! the call's time; any other method answers a sample of its response type
//! (`contract::sample`), the same for the same request under the same seed.

use crate::codec::answer::Response;
use crate::contract::conventions::ResourceMethod;
use crate::contract::{sample, Contract, Procedure};
use crate::error::RpcError;
use crate::hash::{fnv1a64, splitmix64};
use crate::store::generic::Stamp;
use crate::store::State;
use serde_json::Value;

/// Runs a resource method on the state's records.
pub fn resource(
    state: &mut State,
    method: &ResourceMethod,
    request: &Value,
) -> Result<Response, RpcError> {
    let now = now();
    let (generic, mut new_id) = state.generic_and_ids();
    let stamp = Stamp {
        new_id: &mut new_id,
        now: &now,
    };
    generic.call(method, request, stamp).map(Response::new)
}

/// The procedure's fixture answer if it has one, or else a sample of its response, seeded by
/// `seed`, the procedure and the request.
pub fn generated(
    contract: &Contract,
    state: &State,
    seed: u64,
    procedure: &Procedure,
    request: &Value,
) -> Response {
    if let Some(answer) = state.generic.answer(&procedure.path) {
        return Response::from(answer.clone());
    }
    let text = format!("{}\0{request}", procedure.path);
    let seed = splitmix64(seed ^ fnv1a64(text.as_bytes()));
    Response::from(sample::message(contract, &procedure.output, seed))
}

/// The time of a call, as the server stamps `create_time` and `update_time`.
fn now() -> String {
    crate::journal::Millis(std::time::SystemTime::now()).to_string()
}
