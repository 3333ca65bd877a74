//! Recorded client histories: what each client asked, when, and what it was told.
//!
//! Times are virtual milliseconds. An operation whose `return_ms` is `None` never returned; an
//! operation whose output is [`Output::Unknown`] failed or timed out, so the checker treats it as
//! possibly applied at any point after its call (etcd's robustness tests do the same), whatever
//! its `return_ms` says.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// An etcd revision (etcd uses `int64`).
pub type Revision = i64;

/// A lease ID (etcd uses `int64`; 0 means "no lease" or "server chooses").
pub type LeaseId = i64;

/// One client call and its response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation {
    /// The client that issued the call.
    pub client: u32,
    /// Virtual time at which the call was issued.
    pub call_ms: u64,
    /// Virtual time at which the response arrived; `None` if it never did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_ms: Option<u64>,
    /// What was asked.
    pub input: Input,
    /// What was answered.
    pub output: Output,
}

/// A request to the KV store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Input {
    /// Put `value` at `key` (without a lease: detaches any lease the key had).
    Put {
        /// The key.
        key: String,
        /// The value.
        value: String,
    },
    /// Put `value` at `key`, attached to `lease` (0 = no lease).
    PutWithLease {
        /// The key.
        key: String,
        /// The value.
        value: String,
        /// The lease to attach the key to.
        lease: LeaseId,
    },
    /// Read one key, at the latest revision or (if `revision` is positive) at an older one.
    Get {
        /// The key.
        key: String,
        /// Revision to read at; `None` or `<= 0` = latest.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        revision: Option<Revision>,
    },
    /// Read every key in `[key, range_end)` at the latest revision. `range_end == "\0"` means
    /// every key `>= key`; an empty `range_end` means just `key`. With a `limit`, at most that
    /// many keys come back (`more` says whether there were others); with `count_only`, none do
    /// (only their `count`).
    Range {
        /// First key.
        key: String,
        /// End of the range (exclusive).
        range_end: String,
        /// Most keys returned (0 = no limit).
        #[serde(default, skip_serializing_if = "is_zero")]
        limit: i64,
        /// Return only the count of the keys.
        #[serde(default, skip_serializing_if = "is_false")]
        count_only: bool,
    },
    /// Delete one key.
    Delete {
        /// The key.
        key: String,
    },
    /// Delete every key in `[key, range_end)` in one revision (`range_end` as in
    /// [`Input::Range`]; `"\0"` = every key `>= key`).
    DeleteRange {
        /// First key.
        key: String,
        /// End of the range (exclusive).
        range_end: String,
    },
    /// A transaction `if mod_revision(key) == expected_mod_revision then put(key, value)`;
    /// a missing key has mod revision 0.
    Cas {
        /// The key.
        key: String,
        /// Expected mod revision (0 = the key must be absent).
        expected_mod_revision: Revision,
        /// Value written if the comparison holds.
        value: String,
    },
    /// A transaction: if every comparison holds, the `success` writes, else the `failure`
    /// writes, all at one revision (raised only if a write changed something). Reads inside a
    /// transaction are not recorded: leaving a read out can hide a violation, never make one.
    /// Answered with [`Output::Cas`] (or [`Output::Rejected`] for a put with a missing lease).
    Txn {
        /// The comparisons, ANDed.
        compares: Vec<Comparison>,
        /// Writes if they all hold.
        success: Vec<TxnWrite>,
        /// Writes if one does not.
        failure: Vec<TxnWrite>,
    },
    /// Grant a lease (`id` 0 = the server chooses).
    LeaseGrant {
        /// Requested lease ID, or 0.
        id: LeaseId,
        /// Time to live in seconds (recorded, not modelled: expiry is not simulated by the model).
        ttl: i64,
    },
    /// Revoke a lease, deleting every key attached to it in one revision.
    LeaseRevoke {
        /// The lease.
        id: LeaseId,
    },
    /// Compact the store at `revision`: reads below it fail from then on with "required
    /// revision has been compacted" (reads at or above it still see the history). The store
    /// revision does not change.
    Compact {
        /// The compaction point.
        revision: Revision,
    },
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// One comparison of a transaction, on one key, with etcd's rules: a missing key has version,
/// create revision, mod revision and lease 0, and a value comparison on it fails.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Comparison {
    /// The key.
    pub key: String,
    /// The operator.
    pub op: CmpOp,
    /// The field compared and the operand.
    pub target: CmpTarget,
}

/// A comparison's operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CmpOp {
    /// `=`
    Equal,
    /// `>`
    Greater,
    /// `<`
    Less,
    /// `!=`
    NotEqual,
}

/// The field a comparison looks at, with its operand.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CmpTarget {
    /// The key's version (puts since it was created).
    Version(i64),
    /// The revision that created the key.
    Create(Revision),
    /// The revision of the key's last write.
    Mod(Revision),
    /// The key's value.
    Value(String),
    /// The lease the key is attached to.
    Lease(LeaseId),
}

/// A write inside a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TxnWrite {
    /// Put `value` at `key` with `lease` (0 = none).
    Put {
        /// The key.
        key: String,
        /// The value.
        value: String,
        /// The lease (0 = none).
        #[serde(default)]
        lease: LeaseId,
    },
    /// Delete the keys in `[key, range_end)` (as [`Input::DeleteRange`]; empty = `key` alone).
    Delete {
        /// First key.
        key: String,
        /// End of the range.
        #[serde(default)]
        range_end: String,
    },
}

/// Why a request was definitely rejected without effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rejection {
    /// `etcdserver: requested lease not found`.
    LeaseNotFound,
    /// `etcdserver: lease already exists`.
    LeaseExists,
    /// `mvcc: required revision has been compacted` (a read below the compaction point, or a
    /// compaction at or below it).
    Compacted,
    /// `mvcc: required revision is a future revision` (a read or a compaction above the store
    /// revision).
    FutureRevision,
}

/// A response from the KV store.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Output {
    /// A put (with or without lease) succeeded; `revision` is the new store revision.
    Put {
        /// Header revision (= the key's new mod revision).
        revision: Revision,
    },
    /// A single-key read: the value and mod revision if the key existed.
    Get {
        /// `(value, mod_revision)`, or `None` if the key did not exist.
        kv: Option<(String, Revision)>,
        /// Header revision (the store's current revision when the read was served).
        revision: Revision,
    },
    /// A range read: `(key, value, mod_revision)` in key order.
    Range {
        /// The keys found, sorted by key.
        kvs: Vec<(String, String, Revision)>,
        /// Header revision.
        revision: Revision,
        /// Keys in the range, whatever the limit (`None`: not recorded, not checked).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<i64>,
        /// Whether the range holds more keys than came back.
        #[serde(default, skip_serializing_if = "is_false")]
        more: bool,
    },
    /// A delete: how many keys it removed (0 or 1; any number for a range delete) and the
    /// header revision.
    Delete {
        /// Number of keys deleted.
        deleted: i64,
        /// Header revision (raised only if something was deleted).
        revision: Revision,
    },
    /// A compare-and-set transaction, or any [`Input::Txn`].
    Cas {
        /// Whether the comparison held (and the put happened).
        succeeded: bool,
        /// Header revision.
        revision: Revision,
    },
    /// A lease grant or revoke succeeded.
    Lease {
        /// The lease granted or revoked.
        id: LeaseId,
        /// Header revision.
        revision: Revision,
    },
    /// A compaction succeeded.
    Compact {
        /// Header revision (compaction does not raise it).
        revision: Revision,
    },
    /// The request was definitely rejected and had no effect.
    Rejected {
        /// Why.
        reason: Rejection,
    },
    /// Timeout or failure: a write may or may not have taken effect (at any time after its
    /// call); a read constrains nothing and is dropped by the checker.
    Unknown,
}

impl Input {
    /// Whether this request can change the store.
    pub fn is_write(&self) -> bool {
        !matches!(self, Input::Get { .. } | Input::Range { .. })
    }

    /// The single key this request is about, if any.
    pub fn key(&self) -> Option<&str> {
        match self {
            Input::Put { key, .. }
            | Input::PutWithLease { key, .. }
            | Input::Get { key, .. }
            | Input::Delete { key }
            | Input::Cas { key, .. } => Some(key),
            Input::Range { .. }
            | Input::DeleteRange { .. }
            | Input::Txn { .. }
            | Input::LeaseGrant { .. }
            | Input::LeaseRevoke { .. }
            | Input::Compact { .. } => None,
        }
    }

    /// Whether `output` is a response of the right kind for this request.
    pub fn accepts(&self, output: &Output) -> bool {
        matches!(
            (self, output),
            (_, Output::Unknown)
                | (Input::Put { .. }, Output::Put { .. })
                | (
                    Input::PutWithLease { .. },
                    Output::Put { .. } | Output::Rejected { .. }
                )
                | (
                    Input::Get { .. },
                    Output::Get { .. } | Output::Rejected { .. }
                )
                | (Input::Range { .. }, Output::Range { .. })
                | (
                    Input::Delete { .. } | Input::DeleteRange { .. },
                    Output::Delete { .. }
                )
                | (Input::Cas { .. }, Output::Cas { .. })
                | (
                    Input::Txn { .. },
                    Output::Cas { .. } | Output::Rejected { .. }
                )
                | (
                    Input::LeaseGrant { .. } | Input::LeaseRevoke { .. },
                    Output::Lease { .. } | Output::Rejected { .. }
                )
                | (
                    Input::Compact { .. },
                    Output::Compact { .. } | Output::Rejected { .. }
                )
        )
    }
}

impl Operation {
    /// Whether the outcome is unknown: the output is [`Output::Unknown`] or the call never
    /// returned.
    pub fn is_unknown(&self) -> bool {
        self.output == Output::Unknown || self.return_ms.is_none()
    }

    /// Check that the operation is self-consistent; `index` is used in the error.
    pub fn validate(&self, index: usize) -> Result<()> {
        let bad = |reason: String| Err(Error::Malformed { index, reason });
        if let Some(ret) = self.return_ms {
            if ret < self.call_ms {
                return bad(format!(
                    "returns at {ret} ms before its call at {}",
                    self.call_ms
                ));
            }
        } else if self.output != Output::Unknown {
            return bad("never returned but has a definite output".into());
        }
        if !self.input.accepts(&self.output) {
            return bad(format!("{:?} cannot answer {:?}", self.output, self.input));
        }
        Ok(())
    }
}

/// A whole history: operations in any order (the checker orders them by time).
pub type History = Vec<Operation>;

/// Validate every operation of a history.
pub fn validate(history: &[Operation]) -> Result<()> {
    history
        .iter()
        .enumerate()
        .try_for_each(|(i, op)| op.validate(i))
}
/// `mod("a") = 3 && value("b") != "x"`.
pub(crate) fn describe_compares(compares: &[Comparison]) -> String {
    let one = |c: &Comparison| {
        let op = match c.op {
            CmpOp::Equal => "=",
            CmpOp::Greater => ">",
            CmpOp::Less => "<",
            CmpOp::NotEqual => "!=",
        };
        let (field, operand) = match &c.target {
            CmpTarget::Version(n) => ("version", n.to_string()),
            CmpTarget::Create(n) => ("create", n.to_string()),
            CmpTarget::Mod(n) => ("mod", n.to_string()),
            CmpTarget::Value(v) => ("value", format!("{v:?}")),
            CmpTarget::Lease(n) => ("lease", format!("{n:x}")),
        };
        format!("{field}({:?}) {op} {operand}", c.key)
    };
    compares.iter().map(one).collect::<Vec<_>>().join(" && ")
}

/// `[put "a"="1", del ["b", "c")]`.
pub(crate) fn describe_writes(writes: &[TxnWrite]) -> String {
    let one = |w: &TxnWrite| match w {
        TxnWrite::Put {
            key,
            value,
            lease: 0,
        } => format!("put {key:?}={value:?}"),
        TxnWrite::Put { key, value, lease } => format!("put {key:?}={value:?} lease {lease:x}"),
        TxnWrite::Delete { key, range_end } if range_end.is_empty() => format!("del {key:?}"),
        TxnWrite::Delete { key, range_end } => format!("del [{key:?}, {range_end:?})"),
    };
    format!(
        "[{}]",
        writes.iter().map(one).collect::<Vec<_>>().join(", ")
    )
}
