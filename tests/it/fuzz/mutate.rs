//! Mutations that turn a valid input into a nearly valid one: byte edits for any body, and
//! JSON tree edits (a value replaced by one of the wrong type or range, a member removed,
//! renamed or given twice, a value wrapped in an array) written out by a small JSON writer,
//! so a duplicate key or a number no `serde_json::Value` holds (`1e400`) can appear.

use proptest::prelude::*;
use serde_json::Value;

/// One byte-level edit; positions wrap around the input's length.
#[derive(Debug, Clone)]
pub enum ByteEdit {
    Set(usize, u8),
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Duplicate(usize, usize),
    Truncate(usize),
}

/// Bytes that mean something to JSON, protobuf's wire format or gzip.
const INTERESTING: &[u8] =
    b"\0\xff\x7f\x80\"\\{}[]:,-+.eE0123456789nt \n\x08\x0a\x12\x1a\x22\x1f\x8b";

pub fn byte_edits() -> impl Strategy<Value = Vec<ByteEdit>> {
    let byte = prop_oneof![proptest::sample::select(INTERESTING), any::<u8>()];
    let edit = prop_oneof![
        (any::<usize>(), byte.clone()).prop_map(|(p, b)| ByteEdit::Set(p, b)),
        (any::<usize>(), 0..8u8).prop_map(|(p, bit)| ByteEdit::Flip(p, 1 << bit)),
        (any::<usize>(), proptest::collection::vec(byte, 1..6))
            .prop_map(|(p, b)| ByteEdit::Insert(p, b)),
        (any::<usize>(), 1..16usize).prop_map(|(p, n)| ByteEdit::Delete(p, n)),
        (any::<usize>(), 1..64usize).prop_map(|(p, n)| ByteEdit::Duplicate(p, n)),
        any::<usize>().prop_map(ByteEdit::Truncate),
    ];
    proptest::collection::vec(edit, 1..5)
}

pub fn apply_bytes(mut data: Vec<u8>, edits: &[ByteEdit]) -> Vec<u8> {
    for edit in edits {
        let len = data.len();
        let at = |p: usize| if len == 0 { 0 } else { p % len };
        match edit {
            ByteEdit::Set(p, b) if len > 0 => data[at(*p)] = *b,
            ByteEdit::Flip(p, mask) if len > 0 => data[at(*p)] ^= mask,
            ByteEdit::Insert(p, bytes) => {
                let p = if len == 0 { 0 } else { p % (len + 1) };
                data.splice(p..p, bytes.iter().copied());
            }
            ByteEdit::Delete(p, n) if len > 0 => {
                let p = at(*p);
                data.drain(p..(p + n).min(len));
            }
            ByteEdit::Duplicate(p, n) if len > 0 => {
                let p = at(*p);
                let piece = data[p..(p + n).min(len)].to_vec();
                data.splice(p..p, piece);
            }
            ByteEdit::Truncate(p) => data.truncate(if len == 0 { 0 } else { p % len }),
            _ => {}
        }
    }
    data
}

/// One edit of a JSON tree, at a node counted in document order.
#[derive(Debug, Clone)]
pub struct TreeEdit {
    pub node: usize,
    pub edit: Edit,
}

#[derive(Debug, Clone)]
pub enum Edit {
    /// The value becomes this JSON text.
    Replace(String),
    /// The value becomes `[value]`.
    Wrap,
    /// The member holding the value goes.
    Remove,
    /// The member holding the value is written twice, the second time snake_cased.
    Duplicate,
    /// The member holding the value gets this name.
    Rename(String),
}

/// Values of every JSON type at the edges of what protobuf fields hold.
const WEIRD: &[&str] = &[
    "null",
    "true",
    "false",
    "0",
    "-0",
    "-1",
    "1.5",
    "1.0",
    "1e2",
    "1e400",
    "-1e400",
    "1e-400",
    "2147483647",
    "2147483648",
    "-2147483649",
    "4294967296",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551616",
    "-9223372036854775809",
    "\"\"",
    "\"x\"",
    "\"NaN\"",
    "\"Infinity\"",
    "\"-Infinity\"",
    "\"1\"",
    "\"-1\"",
    "\"1.5\"",
    "\" 1\"",
    "\"+1\"",
    "\"007\"",
    "\"1e2\"",
    "\"RUNNER_KIND_REMOTE\"",
    "\"PRINCIPAL_USER\"",
    "\"HOST_AUTHENTICATION_TOKEN_SOURCE_PAT\"",
    "\"RUNNER_PROVIDER_GCP\"",
    "\"2024-01-01T00:00:00Z\"",
    "\"2024-02-30T00:00:00Z\"",
    "\"0000-01-01T00:00:00Z\"",
    "\"9999-12-31T23:59:59.999999999Z\"",
    "\"2024-01-01T00:00:00.1234567891Z\"",
    "\"1s\"",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "\"%%%\"",
    "\"YWJj\"",
    "\"YW-_\"",
    "\"=\"",
    "[]",
    "{}",
    "[null]",
    "[[]]",
    "{\"a\":1}",
    "[1,\"a\",null]",
    "{\"id\":1,\"id\":2}",
];

pub fn tree_edits() -> impl Strategy<Value = Vec<TreeEdit>> {
    let deep = (1..300usize).prop_map(|n| format!("{}{}", "[".repeat(n), "]".repeat(n)));
    let replacement = prop_oneof![
        8 => proptest::sample::select(WEIRD).prop_map(str::to_string),
        1 => deep,
        1 => any::<String>().prop_map(|s| serde_json::to_string(&s).unwrap()),
    ];
    let edit = prop_oneof![
        6 => replacement.prop_map(Edit::Replace),
        1 => Just(Edit::Wrap),
        1 => Just(Edit::Remove),
        2 => Just(Edit::Duplicate),
        1 => prop_oneof![Just("extra".to_string()), "[a-z_]{1,12}"].prop_map(Edit::Rename),
    ];
    proptest::collection::vec(
        (any::<usize>(), edit).prop_map(|(node, edit)| TreeEdit { node, edit }),
        1..4,
    )
}

/// `value` written as JSON with `edits` applied; node numbers wrap around the tree's size.
pub fn write_edited(value: &Value, edits: &[TreeEdit]) -> Vec<u8> {
    let nodes = count(value);
    let edits: Vec<(usize, &Edit)> = edits.iter().map(|e| (e.node % nodes, &e.edit)).collect();
    let mut writer = Writer {
        edits,
        next: 0,
        out: Vec::new(),
    };
    writer.value(value);
    writer.out
}

fn count(value: &Value) -> usize {
    1 + match value {
        Value::Array(items) => items.iter().map(count).sum(),
        Value::Object(map) => map.values().map(count).sum(),
        _ => 0,
    }
}

struct Writer<'a> {
    edits: Vec<(usize, &'a Edit)>,
    next: usize,
    out: Vec<u8>,
}

impl Writer<'_> {
    fn edit_at(&self, node: usize) -> Option<&Edit> {
        self.edits.iter().find(|(n, _)| *n == node).map(|(_, e)| *e)
    }

    fn value(&mut self, value: &Value) {
        let node = self.next;
        self.next += 1;
        match self.edit_at(node).cloned() {
            Some(Edit::Replace(text)) => {
                self.out.extend_from_slice(text.as_bytes());
                self.skip(value);
                return;
            }
            Some(Edit::Wrap) => {
                self.out.push(b'[');
                self.plain(value);
                self.out.push(b']');
                return;
            }
            _ => {}
        }
        self.plain(value);
    }

    /// Numbers the nodes under a value that was not written, keeping later numbers stable.
    fn skip(&mut self, value: &Value) {
        self.next += count(value) - 1;
    }

    fn plain(&mut self, value: &Value) {
        match value {
            Value::Array(items) => {
                self.out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push(b',');
                    }
                    self.value(item);
                }
                self.out.push(b']');
            }
            Value::Object(map) => {
                self.out.push(b'{');
                let mut first = true;
                for (key, item) in map {
                    let edit = self.edit_at(self.next).cloned();
                    let names: Vec<String> = match edit {
                        Some(Edit::Remove) => {
                            self.next += count(item);
                            continue;
                        }
                        Some(Edit::Duplicate) => vec![key.clone(), snake_case(key)],
                        Some(Edit::Rename(name)) => vec![name],
                        _ => vec![key.clone()],
                    };
                    let start = self.next;
                    for name in names {
                        self.next = start;
                        if !first {
                            self.out.push(b',');
                        }
                        first = false;
                        self.out
                            .extend_from_slice(serde_json::to_string(&name).unwrap().as_bytes());
                        self.out.push(b':');
                        self.value(item);
                    }
                }
                self.out.push(b'}');
            }
            scalar => self.out.extend_from_slice(scalar.to_string().as_bytes()),
        }
    }
}

fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
