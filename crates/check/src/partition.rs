//! Splitting a history into per-key sub-histories for the per-key pass (P-compositionality).
//!
//! Only operations on a single key at the latest revision go into a key's sub-history; reads
//! that span keys or look at an older revision are left out (dropping a read never turns a
//! linearizable history into a non-linearizable one). Lease grants and revokes are left out
//! too, and so is every key that a revoked lease may have been attached to, since a revoke
//! deletes keys it does not name; for the same reason every key a range delete or a
//! transaction may write is left out.

use std::collections::BTreeMap;

use crate::history::{Input, TxnWrite};
use crate::wgl::SearchOp;

/// The per-key sub-histories of `ops`, by key.
pub(crate) fn by_key(ops: &[SearchOp]) -> BTreeMap<String, Vec<SearchOp>> {
    let revoked = order::set(ops.iter().filter_map(|op| match op.input {
        Input::LeaseRevoke { id } => Some(id),
        _ => None,
    }));
    // Ranges written by operations on more than one key: range deletes, and transactions'
    // puts (one key) and deletes.
    let ranges: Vec<(&str, &str)> = ops
        .iter()
        .flat_map(|op| match &op.input {
            Input::DeleteRange { key, range_end } => vec![(key.as_str(), range_end.as_str())],
            Input::Txn {
                success, failure, ..
            } => success
                .iter()
                .chain(failure)
                .map(|w| match w {
                    TxnWrite::Put { key, .. } => (key.as_str(), ""),
                    TxnWrite::Delete { key, range_end } => (key.as_str(), range_end.as_str()),
                })
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    let deleted_by_range = |k: &str| {
        ranges.iter().any(|(key, end)| match *end {
            "" => k == *key,
            "\0" => k >= *key,
            end => k >= *key && k < end,
        })
    };
    let excluded = order::set(ops.iter().filter_map(|op| match &op.input {
        Input::PutWithLease { key, lease, .. } if revoked.contains(lease) => Some(key.as_str()),
        _ => op.input.key().filter(|k| deleted_by_range(k)),
    }));
    let mut parts: BTreeMap<String, Vec<SearchOp>> = BTreeMap::new();
    for op in ops {
        let historical = matches!(op.input, Input::Get { revision: Some(r), .. } if r > 0);
        match op.input.key() {
            Some(key) if !historical && !excluded.contains(key) => {
                parts.entry(key.to_string()).or_default().push(op.clone())
            }
            _ => {}
        }
    }
    parts
}
