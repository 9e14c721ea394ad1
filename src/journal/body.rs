//! What the journal keeps of a request body (whose secrets the call has already redacted, see
//! [`crate::secrets`]): at most [`BODY_CAP`] bytes of it, measured as JSON text, so one big body
//! cannot hold megabytes in the journal.

use serde_json::Value;

/// The most an entry keeps of a request body, in bytes of JSON text.
pub const BODY_CAP: usize = 64 * 1024;

/// What [`keep`] left of a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Kept {
    /// About how many bytes of JSON text the kept body is.
    pub bytes: usize,
    /// Whether anything was cut to stay within [`BODY_CAP`].
    pub truncated: bool,
}

/// Trims `body` to [`BODY_CAP`] bytes. Bodies
/// within the cap (nearly all) are kept whole; in a bigger one, a value that does not fit takes
/// at most half the room left, so the short fields beside it (a host, an id) stay readable.
pub(super) fn keep(body: &mut Value) -> Kept {
    let bytes = measure(body);
    if bytes <= BODY_CAP {
        return Kept {
            bytes,
            truncated: false,
        };
    }
    let mut room = BODY_CAP;
    trim(body, &mut room);
    Kept {
        bytes: BODY_CAP - room,
        truncated: true,
    }
}

/// About how long `value` is as JSON text.
fn measure(value: &Value) -> usize {
    match value {
        Value::String(s) => s.len() + 2,
        Value::Array(items) => 2 + items.iter().map(|v| measure(v) + 1).sum::<usize>(),
        Value::Object(map) => {
            2 + map
                .iter()
                .map(|(f, v)| f.len() + 4 + measure(v))
                .sum::<usize>()
        }
        scalar => scalar_len(scalar),
    }
}

/// Cuts `value` to what `room` allows, spending it.
fn trim(value: &mut Value, room: &mut usize) {
    match value {
        Value::String(s) if s.len() + 2 > *room => {
            let mut end = (*room / 2).saturating_sub(2);
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            // A new string, not `truncate`, which would keep the whole allocation.
            *s = s[..end].to_string();
            *room = room.saturating_sub(end + 2);
        }
        Value::String(s) => *room -= s.len() + 2,
        Value::Array(items) => {
            *room = room.saturating_sub(2);
            let half = *room / 2;
            let mut kept = 0;
            for item in items.iter_mut() {
                if *room <= half {
                    break;
                }
                trim(item, room);
                *room = room.saturating_sub(1);
                kept += 1;
            }
            items.truncate(kept);
            items.shrink_to_fit();
        }
        Value::Object(map) => {
            *room = room.saturating_sub(2);
            map.retain(|field, v| {
                if *room <= field.len() + 4 {
                    *room = 0;
                    return false;
                }
                *room -= field.len() + 4;
                trim(v, room);
                true
            });
        }
        scalar => *room = room.saturating_sub(scalar_len(scalar)),
    }
}

/// The length of a null, boolean or number as JSON text; floats are counted at their longest.
fn scalar_len(value: &Value) -> usize {
    let digits = |n: u64| n.checked_ilog10().unwrap_or(0) as usize + 1;
    match value {
        Value::Bool(true) | Value::Null => 4,
        Value::Bool(false) => 5,
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => digits(u),
            (None, Some(i)) => digits(i.unsigned_abs()) + 1,
            _ => 24,
        },
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_small_body_is_kept_whole_and_measured() {
        let mut body = json!({"id": "abc", "n": [1, -20, 2.5], "ok": true, "none": null});
        let before = body.clone();
        let kept = keep(&mut body);
        assert_eq!(body, before);
        assert!(!kept.truncated);
        // Close to its JSON text, which the walk approximates (floats at their longest).
        let text = before.to_string().len();
        assert!(
            kept.bytes >= text && kept.bytes <= text + 24,
            "{kept:?} vs {text}"
        );
    }

    #[test]
    fn a_long_string_keeps_its_beginning_within_the_cap() {
        let mut body = json!({"host": "h.example.com", "displayName": "é".repeat(BODY_CAP)});
        let kept = keep(&mut body);
        assert!(kept.truncated);
        assert!(kept.bytes <= BODY_CAP);
        assert_eq!(body["host"], "h.example.com");
        let name = body["displayName"].as_str().unwrap();
        assert!(
            name.len() > BODY_CAP / 3 && name.len() < BODY_CAP / 2,
            "{}",
            name.len()
        );
        assert!(
            name.chars().all(|c| c == 'é'),
            "cut on a character boundary"
        );
    }

    #[test]
    fn long_lists_and_objects_are_cut_when_the_cap_is_spent() {
        let ids: Vec<String> = (0..BODY_CAP).map(|i| format!("id-{i}")).collect();
        let mut body = json!({"filter": {"runnerIds": ids}});
        let kept = keep(&mut body);
        assert!(kept.truncated && kept.bytes <= BODY_CAP);
        let list = body["filter"]["runnerIds"].as_array().unwrap();
        assert!(!list.is_empty() && list.len() < ids.len());
        assert_eq!(list[0], "id-0");
        assert!(body.to_string().len() <= BODY_CAP);
    }
}
