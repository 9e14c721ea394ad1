//! JSON text written by hand: string literals escaped exactly as serde_json escapes them. A leaf,
//! so the error body, the validation detail and the fast encoder can all write strings without
//! depending on one another.

/// Writes `s` as a JSON string literal. Most strings need no escaping and are copied as they
/// are; the rest go through serde_json's escaper.
pub(crate) fn write_string(s: &str, out: &mut Vec<u8>) {
    // A fold, not `any`: without the early exit the scan vectorises.
    let escapes = s.bytes().fold(false, |seen, b| {
        seen | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if escapes {
        serde_json::to_writer(&mut *out, s).expect("writing to a Vec cannot fail");
        return;
    }
    out.reserve(s.len() + 2);
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        for s in ["plain", "", "say \"hi\"\\ \n\t\u{1} é/ok", "\u{7f}\u{2028}"] {
            let mut out = Vec::new();
            write_string(s, &mut out);
            assert_eq!(out, serde_json::to_vec(s).unwrap(), "{s:?}");
        }
    }
}
