//! The oracle every harness applies to an in-process call (`support::InProcess`, which drives
//! the whole server without a socket on tokio's paused clock).

use crate::support::Exchange;

/// The oracle: a call either succeeds or is a proper Connect error that is not the mock's
/// fault. 5xx answers are allowed only where Connect specifies them (501 for a method the mock
/// does not implement, 504 for a passed deadline) or where a scenario scripted them.
pub fn judge(exchange: &Exchange) -> Result<(), String> {
    if exchange.scripted {
        return Ok(());
    }
    let Some(reply) = &exchange.reply else {
        return Err("the connection was dropped without a scenario".into());
    };
    let (status, text) = (reply.status, reply.text());
    if status >= 500 && !matches!(status, 501 | 504) {
        return Err(format!("answered {status}: {text}"));
    }
    let is_json = reply
        .headers
        .get("content-type")
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if status != 200 && is_json && !text.is_empty() {
        let error: serde_json::Value = serde_json::from_slice(&reply.body)
            .map_err(|e| format!("answered {status} with a body that is not JSON ({e}): {text}"))?;
        let code = error["code"].as_str().unwrap_or_default();
        if code.is_empty() || code == "internal" || error["message"].as_str().is_none() {
            return Err(format!(
                "answered {status} with no proper Connect error: {text}"
            ));
        }
    }
    Ok(())
}
