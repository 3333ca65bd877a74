//! Request, response and data types mirroring etcd's `rpc.proto` and `mvccpb`.
//!
//! Field names follow the protobuf definitions. Keys and values are raw bytes.

use serde::{Deserialize, Serialize};

/// A key and its metadata at one revision (mvccpb.KeyValue).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct KeyValue {
    /// The key.
    pub key: Vec<u8>,
    /// Revision of the last creation of this key.
    pub create_revision: i64,
    /// Revision of the last modification of this key.
    pub mod_revision: i64,
    /// Number of modifications since creation (1 right after a create).
    pub version: i64,
    /// The value.
    pub value: Vec<u8>,
    /// Lease attached to the key, 0 if none.
    pub lease: i64,
}

/// Kind of a watch event (mvccpb.Event.EventType).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum EventType {
    /// A key was created or updated.
    #[default]
    Put,
    /// A key was deleted.
    Delete,
}

/// One change of one key (mvccpb.Event).
///
/// A `Delete` event's `kv` carries only the key and `mod_revision` = the deletion
/// revision (other fields 0), as etcd sends it. `prev_kv` is the key's value just
/// before the change (`None` for a create); the store always fills it, the watch hub
/// strips it for watchers that did not ask for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Event {
    /// Put or delete.
    pub kind: EventType,
    /// The key after the change.
    pub kv: KeyValue,
    /// The key before the change, if it existed.
    pub prev_kv: Option<KeyValue>,
}

impl Event {
    /// True for a PUT that created the key (version 1), as etcd's `IsCreate`.
    pub fn is_create(&self) -> bool {
        self.kind == EventType::Put && self.kv.create_revision == self.kv.mod_revision
    }
}

/// Order of range results.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum SortOrder {
    /// Key order (but see [`RangeRequest::sort_target`]).
    #[default]
    None,
    /// Ascending by the sort target.
    Ascend,
    /// Descending by the sort target.
    Descend,
}

/// What range results are sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum SortTarget {
    /// The key.
    #[default]
    Key,
    /// The version.
    Version,
    /// The create revision.
    Create,
    /// The mod revision.
    Mod,
    /// The value.
    Value,
}

/// A range (get) request (etcdserverpb.RangeRequest).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct RangeRequest {
    /// First key of the range.
    pub key: Vec<u8>,
    /// Empty = only `key`; `[0]` = every key `>= key`; otherwise `[key, range_end)`.
    pub range_end: Vec<u8>,
    /// Maximum number of keys returned, 0 (or negative) = no limit.
    pub limit: i64,
    /// Revision to read at; `<= 0` = the latest.
    pub revision: i64,
    /// Sort order.
    pub sort_order: SortOrder,
    /// Sort target. A target other than `Key` with order `None` sorts ascending.
    pub sort_target: SortTarget,
    /// Serializable (local) read; the store ignores it, the service layer uses it.
    pub serializable: bool,
    /// Return keys without values.
    pub keys_only: bool,
    /// Return only the count.
    pub count_only: bool,
    /// Drop keys with a mod revision below this (0 = no filter).
    pub min_mod_revision: i64,
    /// Drop keys with a mod revision above this (0 = no filter).
    pub max_mod_revision: i64,
    /// Drop keys with a create revision below this (0 = no filter).
    pub min_create_revision: i64,
    /// Drop keys with a create revision above this (0 = no filter).
    pub max_create_revision: i64,
}

/// Result of a range (without the header; the header revision is the store's
/// current revision).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct RangeResponse {
    /// The matching keys (empty for `count_only`).
    pub kvs: Vec<KeyValue>,
    /// True if `limit` cut the result short.
    pub more: bool,
    /// Number of keys in the range at the revision, ignoring `limit` and the
    /// min/max filters (as etcd does).
    pub count: i64,
}

/// A put request (etcdserverpb.PutRequest).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PutRequest {
    /// The key.
    pub key: Vec<u8>,
    /// The value.
    pub value: Vec<u8>,
    /// Lease to attach, 0 = none (detaches any previous lease).
    pub lease: i64,
    /// Return the previous key-value.
    pub prev_kv: bool,
    /// Keep the current value (the key must exist).
    pub ignore_value: bool,
    /// Keep the current lease (the key must exist).
    pub ignore_lease: bool,
}

/// Result of a put.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PutResponse {
    /// The previous key-value, if asked for and the key existed.
    pub prev_kv: Option<KeyValue>,
}

/// A delete request (etcdserverpb.DeleteRangeRequest).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DeleteRangeRequest {
    /// First key of the range.
    pub key: Vec<u8>,
    /// Same meaning as [`RangeRequest::range_end`].
    pub range_end: Vec<u8>,
    /// Return the deleted key-values.
    pub prev_kv: bool,
}

/// Result of a delete.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DeleteRangeResponse {
    /// Number of keys deleted.
    pub deleted: i64,
    /// The deleted key-values, if asked for.
    pub prev_kvs: Vec<KeyValue>,
}

/// Comparison operator of a txn compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum CompareResult {
    /// `=`
    #[default]
    Equal,
    /// `>`
    Greater,
    /// `<`
    Less,
    /// `!=`
    NotEqual,
    /// A number etcd's `CompareResult` does not name (gRPC and the JSON gateway take any
    /// int32): etcd's applier has no case for it, so the compare holds.
    Unknown(i32),
}

/// Field a txn compare looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum CompareTarget {
    /// The version.
    #[default]
    Version,
    /// The create revision.
    Create,
    /// The mod revision.
    Mod,
    /// The value.
    Value,
    /// The lease.
    Lease,
    /// A number etcd's `CompareTarget` does not name: etcd's applier compares nothing, so
    /// the key's field counts as equal to the operand (and a missing key still compares).
    Unknown(i32),
}

impl CompareResult {
    /// The operator of etcd's enum number (`etcdserverpb.Compare.CompareResult`), any int32.
    pub fn from_number(n: i32) -> Self {
        match n {
            0 => CompareResult::Equal,
            1 => CompareResult::Greater,
            2 => CompareResult::Less,
            3 => CompareResult::NotEqual,
            n => CompareResult::Unknown(n),
        }
    }

    /// Its etcd enum number.
    pub fn number(self) -> i32 {
        match self {
            CompareResult::Equal => 0,
            CompareResult::Greater => 1,
            CompareResult::Less => 2,
            CompareResult::NotEqual => 3,
            CompareResult::Unknown(n) => n,
        }
    }
}

impl CompareTarget {
    /// The target of etcd's enum number (`etcdserverpb.Compare.CompareTarget`), any int32.
    pub fn from_number(n: i32) -> Self {
        match n {
            0 => CompareTarget::Version,
            1 => CompareTarget::Create,
            2 => CompareTarget::Mod,
            3 => CompareTarget::Value,
            4 => CompareTarget::Lease,
            n => CompareTarget::Unknown(n),
        }
    }

    /// Its etcd enum number.
    pub fn number(self) -> i32 {
        match self {
            CompareTarget::Version => 0,
            CompareTarget::Create => 1,
            CompareTarget::Mod => 2,
            CompareTarget::Value => 3,
            CompareTarget::Lease => 4,
            CompareTarget::Unknown(n) => n,
        }
    }

    /// The operand a compare of this target has when its request gives none: the target's
    /// zero value, as etcd reads a missing `target_union` (an unknown target looks at nothing).
    pub fn zero_operand(self) -> TargetUnion {
        match self {
            CompareTarget::Version | CompareTarget::Unknown(_) => TargetUnion::Version(0),
            CompareTarget::Create => TargetUnion::CreateRevision(0),
            CompareTarget::Mod => TargetUnion::ModRevision(0),
            CompareTarget::Value => TargetUnion::Value(Vec::new()),
            CompareTarget::Lease => TargetUnion::Lease(0),
        }
    }
}

/// The operand of a compare (the protobuf `target_union` oneof).
///
/// If it does not match [`Compare::target`], the operand counts as 0 / empty, as in etcd.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TargetUnion {
    /// Operand for [`CompareTarget::Version`].
    Version(i64),
    /// Operand for [`CompareTarget::Create`].
    CreateRevision(i64),
    /// Operand for [`CompareTarget::Mod`].
    ModRevision(i64),
    /// Operand for [`CompareTarget::Value`].
    Value(Vec<u8>),
    /// Operand for [`CompareTarget::Lease`].
    Lease(i64),
}

impl Default for TargetUnion {
    fn default() -> Self {
        TargetUnion::Version(0)
    }
}

/// One txn condition (etcdserverpb.Compare). All compares of a txn are ANDed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Compare {
    /// The operator.
    pub result: CompareResult,
    /// The field compared.
    pub target: CompareTarget,
    /// The key (or first key of the range).
    pub key: Vec<u8>,
    /// Same meaning as [`RangeRequest::range_end`]; every key in the range must match.
    pub range_end: Vec<u8>,
    /// The operand.
    pub value: TargetUnion,
}

impl Compare {
    fn new(key: impl Into<Vec<u8>>, result: CompareResult, value: TargetUnion) -> Self {
        let target = match value {
            TargetUnion::Version(_) => CompareTarget::Version,
            TargetUnion::CreateRevision(_) => CompareTarget::Create,
            TargetUnion::ModRevision(_) => CompareTarget::Mod,
            TargetUnion::Value(_) => CompareTarget::Value,
            TargetUnion::Lease(_) => CompareTarget::Lease,
        };
        Compare {
            result,
            target,
            key: key.into(),
            range_end: Vec::new(),
            value,
        }
    }

    /// `version(key) <result> v`
    pub fn version(key: impl Into<Vec<u8>>, result: CompareResult, v: i64) -> Self {
        Self::new(key, result, TargetUnion::Version(v))
    }

    /// `create_revision(key) <result> v`
    pub fn create_revision(key: impl Into<Vec<u8>>, result: CompareResult, v: i64) -> Self {
        Self::new(key, result, TargetUnion::CreateRevision(v))
    }

    /// `mod_revision(key) <result> v`
    pub fn mod_revision(key: impl Into<Vec<u8>>, result: CompareResult, v: i64) -> Self {
        Self::new(key, result, TargetUnion::ModRevision(v))
    }

    /// `value(key) <result> v`
    pub fn value(key: impl Into<Vec<u8>>, result: CompareResult, v: impl Into<Vec<u8>>) -> Self {
        Self::new(key, result, TargetUnion::Value(v.into()))
    }

    /// `lease(key) <result> v`
    pub fn lease(key: impl Into<Vec<u8>>, result: CompareResult, v: i64) -> Self {
        Self::new(key, result, TargetUnion::Lease(v))
    }

    /// The same compare over `[key, range_end)` (see [`RangeRequest::range_end`]).
    pub fn with_range_end(mut self, range_end: impl Into<Vec<u8>>) -> Self {
        self.range_end = range_end.into();
        self
    }
}

/// One operation of a txn branch (etcdserverpb.RequestOp).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RequestOp {
    /// A range.
    Range(RangeRequest),
    /// A put.
    Put(PutRequest),
    /// A delete.
    DeleteRange(DeleteRangeRequest),
    /// A nested txn.
    Txn(TxnRequest),
}

/// Result of one txn operation (etcdserverpb.ResponseOp).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResponseOp {
    /// Result of a range.
    Range(RangeResponse),
    /// Result of a put.
    Put(PutResponse),
    /// Result of a delete.
    DeleteRange(DeleteRangeResponse),
    /// Result of a nested txn.
    Txn(TxnResponse),
}

/// A transaction (etcdserverpb.TxnRequest): if all `compare` hold, run `success`,
/// else `failure`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TxnRequest {
    /// Conditions, ANDed.
    pub compare: Vec<Compare>,
    /// Operations run when every compare holds.
    pub success: Vec<RequestOp>,
    /// Operations run otherwise.
    pub failure: Vec<RequestOp>,
}

/// Result of a txn.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TxnResponse {
    /// Whether the compares held (the success branch ran).
    pub succeeded: bool,
    /// One response per operation of the branch that ran.
    pub responses: Vec<ResponseOp>,
}

/// What a write returns: the response, the store revision after the write (the
/// header revision) and the events it produced, all at that revision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct WriteResult<T> {
    /// The operation's response.
    pub response: T,
    /// Store revision after the operation (unchanged if nothing changed).
    pub revision: i64,
    /// Events in the order the changes were made; each carries `prev_kv`.
    pub events: Vec<Event>,
}

#[cfg(test)]
mod compare_number_tests {
    use super::*;

    #[test]
    fn etcd_enum_numbers_round_trip_and_unknown_numbers_are_kept() {
        for n in [-1, 0, 1, 2, 3, 4, 7, 9, i32::MAX] {
            assert_eq!(CompareResult::from_number(n).number(), n);
            assert_eq!(CompareTarget::from_number(n).number(), n);
        }
        assert_eq!(CompareResult::from_number(3), CompareResult::NotEqual);
        assert_eq!(CompareResult::from_number(7), CompareResult::Unknown(7));
        assert_eq!(CompareTarget::from_number(4), CompareTarget::Lease);
        assert_eq!(CompareTarget::from_number(9), CompareTarget::Unknown(9));
        assert_eq!(
            CompareTarget::Value.zero_operand(),
            TargetUnion::Value(Vec::new())
        );
        assert_eq!(
            CompareTarget::Unknown(9).zero_operand(),
            TargetUnion::Version(0)
        );
    }
}
