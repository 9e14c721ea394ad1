//! One resource's rows in insertion order, with id lookup and opaque, stable page tokens.
//! Rows and ids are shared (`Arc`) between clones, so a new session's copy of the template
//! costs a pointer per row, and a row is copied only when a session changes it.

use crate::error::RpcError;
use base64::Engine;
// FxHash: ids are bounded by the session's record budget, so no input makes the index slow.
use rustc_hash::FxHashMap as HashMap;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A stored row: anything with an id.
pub trait Record {
    fn id(&self) -> &str;
}

/// Rows keyed by a sequence number (their creation order) plus an id index. A page token names
/// the sequence number to resume at, so pages stay stable while rows are added or removed, and
/// a page costs O(page size) rather than O(rows).
#[derive(Debug, Clone)]
pub struct Table<T> {
    rows: BTreeMap<u64, Arc<T>>,
    ids: HashMap<Arc<str>, u64>,
    next: u64,
    /// Names the resource inside page tokens, so a token from one list is refused by another.
    kind: &'static str,
}

/// The default page size when a request leaves it at 0.
pub const DEFAULT_PAGE_SIZE: usize = 25;

impl<T: Record + Clone> Table<T> {
    pub fn new(kind: &'static str) -> Self {
        Table {
            rows: BTreeMap::new(),
            ids: HashMap::default(),
            next: 1,
            kind,
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Adds a row; a row with an id already present replaces it in place.
    pub fn insert(&mut self, row: T) {
        if let Some(seq) = self.ids.get(row.id()) {
            self.rows.insert(*seq, Arc::new(row));
            return;
        }
        let seq = self.next;
        self.next += 1;
        self.ids.insert(Arc::from(row.id()), seq);
        self.rows.insert(seq, Arc::new(row));
    }

    pub fn get(&self, id: &str) -> Option<&T> {
        self.ids
            .get(id)
            .and_then(|seq| self.rows.get(seq))
            .map(Arc::as_ref)
    }

    /// The row itself, shared: an answer can hold it after the session's lock is released.
    pub fn shared(&self, id: &str) -> Option<Arc<T>> {
        self.ids.get(id).and_then(|seq| self.rows.get(seq)).cloned()
    }

    pub fn contains(&self, id: &str) -> bool {
        self.ids.contains_key(id)
    }

    /// The row to change; a row still shared with another session is copied first.
    pub fn get_mut(&mut self, id: &str) -> Option<&mut T> {
        let seq = self.ids.get(id)?;
        self.rows.get_mut(seq).map(Arc::make_mut)
    }

    pub fn remove(&mut self, id: &str) -> Option<T> {
        let seq = self.ids.remove(id)?;
        self.rows.remove(&seq).map(Arc::unwrap_or_clone)
    }

    /// Removes every row for which `drop` is true and returns how many went.
    pub fn remove_where(&mut self, drop: impl Fn(&T) -> bool) -> usize {
        let doomed: Vec<String> = self
            .rows
            .values()
            .filter(|r| drop(r))
            .map(|r| r.id().to_string())
            .collect();
        for id in &doomed {
            self.remove(id);
        }
        doomed.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.rows.values().map(Arc::as_ref)
    }

    /// One page of the rows that pass `keep`, starting at `token` (empty for the first page).
    /// Returns the rows and the token of the next page, empty when there is none.
    pub fn page(
        &self,
        token: &str,
        size: usize,
        keep: impl Fn(&T) -> bool,
    ) -> Result<(Vec<Arc<T>>, String), RpcError> {
        let start = if token.is_empty() {
            0
        } else {
            self.decode_token(token)?
        };
        let size = if size == 0 { DEFAULT_PAGE_SIZE } else { size };
        let mut matching = self.rows.range(start..).filter(|(_, row)| keep(row));
        let rows: Vec<Arc<T>> = matching
            .by_ref()
            .take(size)
            .map(|(_, row)| row.clone())
            .collect();
        let next = matching
            .next()
            .map(|(seq, _)| self.encode_token(*seq))
            .unwrap_or_default();
        Ok((rows, next))
    }

    fn encode_token(&self, seq: u64) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{}:{seq}", self.kind))
    }

    fn decode_token(&self, token: &str) -> Result<u64, RpcError> {
        let invalid = || {
            RpcError::invalid_argument(format!(
                "invalid pagination token {token:?}: pass the nextToken of a previous {} page",
                self.kind
            ))
        };
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| invalid())?;
        let text = String::from_utf8(raw).map_err(|_| invalid())?;
        let (kind, seq) = text.split_once(':').ok_or_else(invalid)?;
        if kind != self.kind {
            return Err(invalid());
        }
        seq.parse().map_err(|_| invalid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    struct Row(String, bool);
    impl Record for Row {
        fn id(&self) -> &str {
            &self.0
        }
    }

    fn table(n: usize) -> Table<Row> {
        let mut t = Table::new("rows");
        for i in 0..n {
            t.insert(Row(format!("r{i}"), i % 2 == 0));
        }
        t
    }

    #[test]
    fn pages_cover_every_row_once_in_creation_order() {
        let t = table(7);
        let (mut seen, mut token) = (Vec::new(), String::new());
        loop {
            let (rows, next) = t.page(&token, 3, |_| true).unwrap();
            seen.extend(rows.iter().map(|r| r.0.clone()));
            if next.is_empty() {
                break;
            }
            token = next;
        }
        assert_eq!(seen, (0..7).map(|i| format!("r{i}")).collect::<Vec<_>>());
    }

    #[test]
    fn tokens_survive_deletes_and_filters_apply_across_pages() {
        let mut t = table(6);
        let (first, token) = t.page("", 2, |r| r.1).unwrap();
        assert_eq!(
            first.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
            ["r0", "r2"]
        );
        t.remove("r4");
        let (rest, next) = t.page(&token, 2, |r| r.1).unwrap();
        assert!(
            rest.is_empty() && next.is_empty(),
            "r4 was the only even row left"
        );
    }

    #[test]
    fn foreign_or_garbage_tokens_are_invalid_arguments() {
        let t = table(3);
        let other: Table<Row> = Table::new("other");
        let foreign = other.encode_token(1);
        for token in [foreign.as_str(), "!!", "bm9wZQ"] {
            let err = t.page(token, 2, |_| true).unwrap_err();
            assert_eq!(err.code, crate::error::Code::InvalidArgument, "{token}");
        }
    }

    #[test]
    fn a_clone_shares_rows_until_one_side_changes_them() {
        let mut original = table(2);
        let mut copy = original.clone();
        copy.get_mut("r0").unwrap().1 = false;
        copy.remove("r1");
        copy.insert(Row("r9".into(), true));
        assert_eq!(original.get("r0"), Some(&Row("r0".into(), true)));
        assert!(original.get("r1").is_some() && original.get("r9").is_none());
        assert_eq!(copy.get("r0"), Some(&Row("r0".into(), false)));
        original.get_mut("r1").unwrap().1 = true;
        assert!(copy.get("r1").is_none());
    }

    #[test]
    fn zero_size_means_the_default() {
        let t = table(30);
        let (rows, next) = t.page("", 0, |_| true).unwrap();
        assert_eq!(rows.len(), DEFAULT_PAGE_SIZE);
        assert!(!next.is_empty());
    }
}
