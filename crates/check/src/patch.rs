//! Resolving writes of unknown outcome that a read proves took effect (as etcd's robustness
//! tests patch their histories before checking).
//!
//! If exactly one write in the history puts `value` at `key`, and a successful read reports
//! `key = value` with mod revision `m`, then that write took effect, at revision `m`. Its
//! unknown output can be replaced by the known one (`Put { revision: m }`, or a successful
//! CAS), with no deadline. This is exact: every linearization of the original history has the
//! write take effect at `m`, and every linearization of the patched one is one of the
//! original's. It removes the costliest branching of the search (which pending unknown write
//! filled which revision).

use std::collections::BTreeMap;

use crate::history::{Input, Operation, Output, Revision, TxnWrite};

/// For each operation, the known output to use instead of `Unknown`, if a read proves it.
pub(crate) fn observed_writes(history: &[Operation]) -> Vec<Option<Output>> {
    // (key, value) -> number of writes of it (transactions' puts count, but are never patched).
    // Counted in the map type `seen` below has (`i64`): one copy of the tree code, not two.
    let mut writers: BTreeMap<(&str, &str), Revision> = BTreeMap::new();
    for op in history {
        if let Some(kv) = written(&op.input) {
            *writers.entry(kv).or_default() += 1;
        }
        if let Input::Txn {
            success, failure, ..
        } = &op.input
        {
            for w in success.iter().chain(failure) {
                if let TxnWrite::Put { key, value, .. } = w {
                    *writers.entry((key, value)).or_default() += 1;
                }
            }
        }
    }
    // (key, value) -> a mod revision some read reported for it.
    let mut seen: BTreeMap<(&str, &str), Revision> = BTreeMap::new();
    for op in history {
        match (&op.input, &op.output) {
            (
                Input::Get { key, .. },
                Output::Get {
                    kv: Some((v, m)), ..
                },
            ) => {
                seen.entry((key, v)).or_insert(*m);
            }
            (Input::Range { .. }, Output::Range { kvs, .. }) => {
                for (k, v, m) in kvs {
                    seen.entry((k, v)).or_insert(*m);
                }
            }
            _ => {}
        }
    }
    history
        .iter()
        .map(|op| {
            if op.output != Output::Unknown {
                return None;
            }
            let kv = written(&op.input)?;
            if writers.get(&kv) != Some(&1) {
                return None;
            }
            let revision = *seen.get(&kv)?;
            Some(match op.input {
                Input::Cas { .. } => Output::Cas {
                    succeeded: true,
                    revision,
                },
                _ => Output::Put { revision },
            })
        })
        .collect()
}

/// The (key, value) a write may put.
fn written(input: &Input) -> Option<(&str, &str)> {
    match input {
        Input::Put { key, value }
        | Input::PutWithLease { key, value, .. }
        | Input::Cas { key, value, .. } => Some((key, value)),
        _ => None,
    }
}
