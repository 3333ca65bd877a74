//! The full sequential model of etcd's KV store, global revision included.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::versions::Versions;
use super::{Model, Outcome};
use crate::history::{CmpTarget, Input, LeaseId, Operation, Output, Rejection, Revision};

/// The current version of one key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyValue {
    /// Its value.
    pub value: Arc<str>,
    /// The revision of the last write to it.
    pub mod_revision: Revision,
    /// The lease it is attached to (0 = none).
    pub lease: LeaseId,
    /// The revision that created it (0 unless the model tracks it: see
    /// [`KvModel::compare_meta`]).
    pub create_revision: Revision,
    /// Puts since it was created (0 unless the model tracks it).
    pub version: i64,
}

/// A state of [`KvModel`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KvState {
    /// The store revision (1 for an empty store, +1 per write that changes something).
    pub revision: Revision,
    /// Live keys.
    pub keys: BTreeMap<Arc<str>, KeyValue>,
    /// Live leases.
    pub leases: BTreeSet<LeaseId>,
    /// The compaction point (0: never compacted): reads below it fail.
    pub compacted: Revision,
    /// Past versions of every key ever written, kept only if the model was asked to.
    versions: BTreeMap<Arc<str>, Versions>,
}

impl Default for KvState {
    fn default() -> Self {
        KvState {
            revision: 1,
            keys: BTreeMap::new(),
            leases: BTreeSet::new(),
            compacted: 0,
            versions: BTreeMap::new(),
        }
    }
}

/// etcd's KV store as a sequential specification: puts, reads (latest or at a revision),
/// ranges, deletes, compare-and-set and leases, with etcd's revision rules.
///
/// Compaction is modelled as etcd does it: after [`Input::Compact`] at `c`, a read at a revision
/// below `c` fails with [`Rejection::Compacted`] and a read at `c` or above sees the history
/// (with [`KvModel::keep_versions`]). Not modelled: lease expiry (record a leader's expiry as a
/// [`Input::LeaseRevoke`] operation).
#[derive(Debug, Clone, Default)]
pub struct KvModel {
    /// Keep every key's past versions so that [`Input::Get`] at an older revision is checked.
    /// Without it such reads are checked for their header revision only.
    pub keep_versions: bool,
    /// Track each key's version and create revision, which only transaction comparisons read
    /// (off, states that differ only in them are one state to the search).
    pub compare_meta: bool,
}

impl KvModel {
    /// A model suited to `history`: it keeps versions only if some read asks for a revision,
    /// and tracks versions and create revisions only if some transaction compares them.
    pub fn for_history(history: &[Operation]) -> KvModel {
        let keep_versions = history.iter().any(|op| {
            matches!(op.input, Input::Get { revision: Some(r), .. } if r > 0)
                && op.output != Output::Unknown
        });
        let compare_meta = history.iter().any(|op| match &op.input {
            Input::Txn { compares, .. } => compares
                .iter()
                .any(|c| matches!(c.target, CmpTarget::Version(_) | CmpTarget::Create(_))),
            _ => false,
        });
        KvModel {
            keep_versions,
            compare_meta,
        }
    }

    /// Apply `input` to `state` as etcd would: the response, and the new state if it changed.
    /// A grant of lease 0 picks the smallest free ID above every live one.
    pub fn apply(&self, state: &KvState, input: &Input) -> (Output, Option<KvState>) {
        match input {
            Input::Put { key, value } => self.put(state, key, value, 0),
            Input::PutWithLease { key, value, lease } => self.put(state, key, value, *lease),
            Input::Get { key, revision } => (self.get(state, key, *revision), None),
            Input::Range {
                key,
                range_end,
                limit,
                count_only,
            } => (range(state, key, range_end, *limit, *count_only), None),
            Input::Compact { revision } => self.compact(state, *revision),
            Input::Delete { key } => match state.keys.get(key.as_str()) {
                None => (
                    Output::Delete {
                        deleted: 0,
                        revision: state.revision,
                    },
                    None,
                ),
                Some(_) => {
                    let mut next = state.clone();
                    next.revision += 1;
                    self.remove(&mut next, key);
                    let revision = next.revision;
                    (
                        Output::Delete {
                            deleted: 1,
                            revision,
                        },
                        Some(next),
                    )
                }
            },
            Input::DeleteRange { key, range_end } => {
                let doomed: Vec<Arc<str>> = in_range(state, key, range_end)
                    .map(|(k, _)| k.clone())
                    .collect();
                if doomed.is_empty() {
                    let out = Output::Delete {
                        deleted: 0,
                        revision: state.revision,
                    };
                    return (out, None);
                }
                let mut next = state.clone();
                next.revision += 1;
                for k in &doomed {
                    self.remove(&mut next, k);
                }
                let out = Output::Delete {
                    deleted: doomed.len() as i64,
                    revision: next.revision,
                };
                (out, Some(next))
            }
            Input::Cas {
                key,
                expected_mod_revision,
                value,
            } => {
                let current = state.keys.get(key.as_str()).map_or(0, |kv| kv.mod_revision);
                if current != *expected_mod_revision {
                    let out = Output::Cas {
                        succeeded: false,
                        revision: state.revision,
                    };
                    return (out, None);
                }
                let (_, next) = self.put(state, key, value, 0);
                let revision = state.revision + 1;
                let out = Output::Cas {
                    succeeded: true,
                    revision,
                };
                (out, next)
            }
            Input::Txn {
                compares,
                success,
                failure,
            } => self.txn(state, compares, success, failure),
            Input::LeaseGrant { id, .. } => {
                let id = if *id == 0 {
                    state.leases.last().map_or(1, |l| l + 1)
                } else {
                    *id
                };
                self.grant(state, id)
            }
            Input::LeaseRevoke { id } => self.revoke(state, *id),
        }
    }

    fn put(
        &self,
        state: &KvState,
        key: &str,
        value: &str,
        lease: LeaseId,
    ) -> (Output, Option<KvState>) {
        if lease != 0 && !state.leases.contains(&lease) {
            let out = Output::Rejected {
                reason: Rejection::LeaseNotFound,
            };
            return (out, None);
        }
        let mut next = state.clone();
        next.revision += 1;
        self.write(&mut next, key, value, lease);
        let revision = next.revision;
        (Output::Put { revision }, Some(next))
    }

    /// Put `value` at `key` at `next.revision` (already raised by the caller).
    pub(super) fn write(&self, next: &mut KvState, key: &str, value: &str, lease: LeaseId) {
        let revision = next.revision;
        let (key, before): (Arc<str>, Option<&KeyValue>) = match next.keys.get_key_value(key) {
            Some((k, kv)) => (k.clone(), Some(kv)),
            None => (key.into(), None),
        };
        let (create_revision, version) = match (self.compare_meta, before) {
            (false, _) => (0, 0),
            (true, Some(kv)) => (kv.create_revision, kv.version + 1),
            (true, None) => (revision, 1),
        };
        let value: Arc<str> = value.into();
        if self.keep_versions {
            let v = next.versions.entry(key.clone()).or_default();
            *v = v.push(revision, Some(value.clone()));
        }
        next.keys.insert(
            key,
            KeyValue {
                value,
                mod_revision: revision,
                lease,
                create_revision,
                version,
            },
        );
    }

    /// Remove a live key at `next.revision` (already raised by the caller).
    pub(super) fn remove(&self, next: &mut KvState, key: &str) {
        if let Some((k, _)) = next.keys.remove_entry(key) {
            if self.keep_versions {
                let v = next.versions.entry(k).or_default();
                *v = v.push(next.revision, None);
            }
        }
    }

    /// etcd's compaction: at or below the compaction point it fails as compacted, above the
    /// store revision as a future revision.
    fn compact(&self, state: &KvState, revision: Revision) -> (Output, Option<KvState>) {
        let refused = |reason| (Output::Rejected { reason }, None);
        if revision <= state.compacted {
            return refused(Rejection::Compacted);
        }
        if revision > state.revision {
            return refused(Rejection::FutureRevision);
        }
        let mut next = state.clone();
        next.compacted = revision;
        let out = Output::Compact {
            revision: state.revision,
        };
        (out, Some(next))
    }

    fn get(&self, state: &KvState, key: &str, revision: Option<Revision>) -> Output {
        if let Some(reason) = revision.and_then(|r| refused_read(state, r)) {
            return Output::Rejected { reason };
        }
        let kv = match revision {
            Some(r) if r > 0 && r < state.revision && self.keep_versions => state
                .versions
                .get(key)
                .and_then(|v| v.at(r))
                .map(|(v, m)| (v.to_string(), m)),
            _ => state
                .keys
                .get(key)
                .map(|kv| (kv.value.to_string(), kv.mod_revision)),
        };
        Output::Get {
            kv,
            revision: state.revision,
        }
    }

    fn grant(&self, state: &KvState, id: LeaseId) -> (Output, Option<KvState>) {
        if state.leases.contains(&id) {
            let out = Output::Rejected {
                reason: Rejection::LeaseExists,
            };
            return (out, None);
        }
        let mut next = state.clone();
        next.leases.insert(id);
        let out = Output::Lease {
            id,
            revision: state.revision,
        };
        (out, Some(next))
    }

    fn revoke(&self, state: &KvState, id: LeaseId) -> (Output, Option<KvState>) {
        if !state.leases.contains(&id) {
            let out = Output::Rejected {
                reason: Rejection::LeaseNotFound,
            };
            return (out, None);
        }
        let mut next = state.clone();
        next.leases.remove(&id);
        let attached: Vec<Arc<str>> = state
            .keys
            .iter()
            .filter(|(_, kv)| kv.lease == id)
            .map(|(k, _)| k.clone())
            .collect();
        if !attached.is_empty() {
            next.revision += 1;
            for key in &attached {
                self.remove(&mut next, key);
            }
        }
        let out = Output::Lease {
            id,
            revision: next.revision,
        };
        (out, Some(next))
    }

    /// Whether a read's observed output matches the state, without building the expected one.
    fn read_matches(&self, state: &KvState, input: &Input, output: &Output) -> bool {
        if let (
            Input::Get {
                revision: Some(r), ..
            },
            Output::Rejected { reason },
        ) = (input, output)
        {
            return refused_read(state, *r) == Some(*reason);
        }
        match (input, output) {
            (Input::Get { key, revision }, Output::Get { kv, revision: rev }) => {
                if revision.and_then(|r| refused_read(state, r)).is_some() {
                    return false;
                }
                if *rev != state.revision {
                    return false;
                }
                let expected = match revision {
                    Some(r) if *r > state.revision => return false,
                    Some(r) if *r > 0 && *r < state.revision && self.keep_versions => {
                        state.versions.get(key.as_str()).and_then(|v| v.at(*r))
                    }
                    Some(r) if *r > 0 && *r < state.revision => return true,
                    _ => state
                        .keys
                        .get(key.as_str())
                        .map(|kv| (kv.value.clone(), kv.mod_revision)),
                };
                match (expected, kv) {
                    (None, None) => true,
                    (Some((v, m)), Some((ov, om))) => &*v == ov.as_str() && m == *om,
                    _ => false,
                }
            }
            (
                Input::Range {
                    key,
                    range_end,
                    limit,
                    count_only,
                },
                Output::Range {
                    kvs,
                    revision,
                    count,
                    more,
                },
            ) => {
                let Output::Range {
                    kvs: e_kvs,
                    revision: e_revision,
                    count: e_count,
                    more: e_more,
                } = range(state, key, range_end, *limit, *count_only)
                else {
                    return false;
                };
                // A history recorded without counts is checked for the rest.
                *kvs == e_kvs
                    && *revision == e_revision
                    && *more == e_more
                    && count.is_none_or(|c| Some(c) == e_count)
            }
            _ => false,
        }
    }
}

/// The live keys in `[key, range_end)` with etcd's conventions for `range_end` (empty = just
/// `key`, `"\0"` = every key `>= key`), in key order.
pub(super) fn in_range<'a>(
    state: &'a KvState,
    key: &'a str,
    range_end: &'a str,
) -> impl Iterator<Item = (&'a Arc<str>, &'a KeyValue)> + 'a {
    let inside = move |k: &str| match range_end {
        "" => k == key,
        "\0" => true,
        end => k < end,
    };
    state
        .keys
        .range::<str, _>((std::ops::Bound::Included(key), std::ops::Bound::Unbounded))
        .take_while(move |(k, _)| inside(k))
}

/// Why a read at revision `r` fails (`r <= 0` is the latest revision, which never does).
fn refused_read(state: &KvState, r: Revision) -> Option<Rejection> {
    if r > state.revision {
        Some(Rejection::FutureRevision)
    } else if r > 0 && r < state.compacted {
        Some(Rejection::Compacted)
    } else {
        None
    }
}

/// A range read of `[key, range_end)` with etcd's `limit` (0 = none) and `count_only`: `count`
/// is every key in the range, `more` whether the limit left some out.
fn range(state: &KvState, key: &str, range_end: &str, limit: i64, count_only: bool) -> Output {
    let count = in_range(state, key, range_end).count() as i64;
    let take = match (count_only, limit) {
        (true, _) => 0,
        (false, l) if l > 0 => l.min(count),
        (false, _) => count,
    };
    let kvs = in_range(state, key, range_end)
        .take(take as usize)
        .map(|(k, kv)| (k.to_string(), kv.value.to_string(), kv.mod_revision))
        .collect();
    Output::Range {
        kvs,
        revision: state.revision,
        count: Some(count),
        more: !count_only && take < count,
    }
}

impl Model for KvModel {
    type State = KvState;

    fn init(&self) -> KvState {
        KvState::default()
    }

    fn step(&self, state: &KvState, input: &Input, output: &Output) -> Outcome<KvState> {
        if *output == Output::Unknown {
            if !input.is_write() || matches!(input, Input::LeaseGrant { id: 0, .. }) {
                // A failed read constrains nothing; the ID of an unknown server-chosen lease
                // grant is unknowable, so nobody can use it: treat it as not applied.
                return Outcome::Unchanged;
            }
            return match self.apply(state, input) {
                (_, Some(next)) => Outcome::Either(next),
                (_, None) => Outcome::Unchanged,
            };
        }
        if !input.is_write() {
            return match self.read_matches(state, input, output) {
                true => Outcome::Unchanged,
                false => Outcome::Illegal,
            };
        }
        if let (Input::LeaseGrant { id: 0, .. }, Output::Lease { id, revision }) = (input, output) {
            // The server chose the ID: any ID not in use is fine.
            return match self.grant(state, *id) {
                (Output::Lease { revision: r, .. }, Some(next)) if r == *revision && *id != 0 => {
                    Outcome::Changed(next)
                }
                _ => Outcome::Illegal,
            };
        }
        match self.apply(state, input) {
            (expected, _) if expected != *output => Outcome::Illegal,
            (_, Some(next)) => Outcome::Changed(next),
            (_, None) => Outcome::Unchanged,
        }
    }

    fn progress(&self, state: &KvState) -> i64 {
        state.revision
    }

    fn ceiling(&self, input: &Input, output: &Output) -> Option<i64> {
        super::revision_ceiling(input, output)
    }

    fn explain(&self, state: &KvState, input: &Input, output: &Output) -> String {
        let (expected, _) = self.apply(state, input);
        format!(
            "{} at store revision {}: expected {}, observed {}",
            describe_input(input),
            state.revision,
            describe_output(&expected),
            describe_output(output)
        )
    }
}

/// A short human-readable form of a request.
pub fn describe_input(input: &Input) -> String {
    match input {
        Input::Put { key, value } => format!("put {key:?}={value:?}"),
        Input::PutWithLease { key, value, lease } => {
            format!("put {key:?}={value:?} lease {lease:x}")
        }
        Input::Get {
            key,
            revision: Some(r),
        } => format!("get {key:?} @{r}"),
        Input::Get { key, .. } => format!("get {key:?}"),
        Input::Range {
            key,
            range_end,
            limit,
            count_only,
        } => {
            let mut s = format!("range [{key:?}, {range_end:?})");
            if *limit > 0 {
                s.push_str(&format!(" limit {limit}"));
            }
            if *count_only {
                s.push_str(" count-only");
            }
            s
        }
        Input::Compact { revision } => format!("compact {revision}"),
        Input::Delete { key } => format!("delete {key:?}"),
        Input::DeleteRange { key, range_end } => {
            format!("delete range [{key:?}, {range_end:?})")
        }
        Input::Cas {
            key,
            expected_mod_revision,
            value,
        } => format!("cas {key:?} if mod={expected_mod_revision} then ={value:?}"),
        Input::Txn {
            compares,
            success,
            failure,
        } => format!(
            "txn if {} then {} else {}",
            crate::history::describe_compares(compares),
            crate::history::describe_writes(success),
            crate::history::describe_writes(failure)
        ),
        Input::LeaseGrant { id, ttl } => format!("lease grant {id:x} ttl {ttl}"),
        Input::LeaseRevoke { id } => format!("lease revoke {id:x}"),
    }
}

/// A short human-readable form of a response.
pub fn describe_output(output: &Output) -> String {
    match output {
        Output::Put { revision } => format!("OK @{revision}"),
        Output::Get {
            kv: Some((v, m)),
            revision,
        } => format!("{v:?} (mod {m}) @{revision}"),
        Output::Get { kv: None, revision } => format!("<absent> @{revision}"),
        Output::Range {
            kvs,
            revision,
            count,
            more,
        } => {
            let items: Vec<String> = kvs
                .iter()
                .map(|(k, v, m)| format!("{k:?}={v:?} (mod {m})"))
                .collect();
            let mut s = format!("[{}]", items.join(", "));
            if let Some(c) = count {
                s.push_str(&format!(" count {c}"));
            }
            if *more {
                s.push_str(" more");
            }
            format!("{s} @{revision}")
        }
        Output::Compact { revision } => format!("compacted @{revision}"),
        Output::Delete { deleted, revision } => format!("deleted {deleted} @{revision}"),
        Output::Cas {
            succeeded,
            revision,
        } => format!("succeeded={succeeded} @{revision}"),
        Output::Lease { id, revision } => format!("lease {id:x} @{revision}"),
        Output::Rejected { reason } => format!("rejected ({reason:?})"),
        Output::Unknown => "unknown".into(),
    }
}
