//! Requests and responses of the typed client, named after etcd's protobuf messages
//! (`etcdserverpb`, `v3lockpb`, `v3electionpb`) field for field, so that a gRPC server maps
//! each call 1:1. The KV requests are kv's own (`kv::PutRequest`, ...), which already mirror
//! etcd's; responses add etcd's `header`.

pub use kv::{
    DeleteRangeRequest, Event, KeyValue, PutRequest, RangeRequest, ResponseOp, TxnRequest,
    WatchCreateRequest,
};

/// etcd's `ResponseHeader`: cluster id, answering member, store revision, raft term.
pub type ResponseHeader = crate::service::Header;

/// etcd's `RangeResponse`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct RangeResponse {
    /// Response header.
    pub header: ResponseHeader,
    /// The keys found (up to `limit`).
    pub kvs: Vec<KeyValue>,
    /// More keys matched than `limit` returned.
    pub more: bool,
    /// How many keys matched, ignoring `limit`.
    pub count: i64,
}

impl RangeResponse {
    /// Adds `header` to kv's response.
    pub fn new(header: ResponseHeader, r: kv::RangeResponse) -> Self {
        RangeResponse {
            header,
            kvs: r.kvs,
            more: r.more,
            count: r.count,
        }
    }

    /// kv's response (without the header).
    pub fn body(&self) -> kv::RangeResponse {
        kv::RangeResponse {
            kvs: self.kvs.clone(),
            more: self.more,
            count: self.count,
        }
    }
}

/// etcd's `PutResponse`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PutResponse {
    /// Response header.
    pub header: ResponseHeader,
    /// The previous value, when asked with `prev_kv`.
    pub prev_kv: Option<KeyValue>,
}

/// etcd's `DeleteRangeResponse`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct DeleteRangeResponse {
    /// Response header.
    pub header: ResponseHeader,
    /// How many keys were deleted.
    pub deleted: i64,
    /// The deleted pairs, when asked with `prev_kv`.
    pub prev_kvs: Vec<KeyValue>,
}

/// etcd's `TxnResponse`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct TxnResponse {
    /// Response header.
    pub header: ResponseHeader,
    /// Whether the compares held (the success branch ran).
    pub succeeded: bool,
    /// One response per operation of the branch that ran.
    pub responses: Vec<ResponseOp>,
}

/// etcd's `CompactionRequest`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct CompactionRequest {
    /// Compact every revision below this one.
    pub revision: i64,
    /// Wait until the compaction is physically applied (the simulated store always is).
    pub physical: bool,
}

/// etcd's `CompactionResponse`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct CompactionResponse {
    /// Response header.
    pub header: ResponseHeader,
}

/// etcd's `WatchResponse` (one message of a watch stream).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct WatchResponse {
    /// Response header (its revision is the member's revision when sent).
    pub header: ResponseHeader,
    /// The watch.
    pub watch_id: i64,
    /// The first message of a watch.
    pub created: bool,
    /// The watch ended (compacted start revision, or cancelled).
    pub canceled: bool,
    /// With `canceled`: the compaction point the start revision fell below.
    pub compact_revision: i64,
    /// With `canceled`: why.
    pub cancel_reason: String,
    /// Events, in revision order (none: a progress notification).
    pub events: Vec<Event>,
}

impl WatchResponse {
    /// Adds `header` to kv's response.
    pub fn new(header: ResponseHeader, r: kv::WatchResponse) -> Self {
        WatchResponse {
            header,
            watch_id: r.watch_id,
            created: r.created,
            canceled: r.canceled,
            compact_revision: r.compact_revision,
            cancel_reason: r.cancel_reason,
            events: r.events,
        }
    }

    /// kv's response (the header's revision as its revision).
    pub fn body(&self) -> kv::WatchResponse {
        self.clone().into_body()
    }

    /// kv's response, taking this one apart: the inverse of [`WatchResponse::new`].
    pub fn into_body(self) -> kv::WatchResponse {
        kv::WatchResponse {
            watch_id: self.watch_id,
            revision: self.header.revision,
            events: self.events,
            compact_revision: self.compact_revision,
            created: self.created,
            canceled: self.canceled,
            cancel_reason: self.cancel_reason,
        }
    }
}

/// etcd's `LeaseGrantRequest`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct LeaseGrantRequest {
    /// Time to live in seconds (raised to the minimum TTL).
    pub ttl: i64,
    /// The lease id; 0: the server chooses.
    pub id: i64,
}

/// etcd's `LeaseGrantResponse`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct LeaseGrantResponse {
    /// Response header.
    pub header: ResponseHeader,
    /// The lease id.
    pub id: i64,
    /// The TTL granted, in seconds.
    pub ttl: i64,
    /// Always empty (etcd reports grant errors as gRPC errors, and so does this client).
    pub error: String,
}

/// etcd's `LeaseRevokeResponse`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct LeaseRevokeResponse {
    /// Response header.
    pub header: ResponseHeader,
}

/// etcd's `LeaseKeepAliveResponse`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct LeaseKeepAliveResponse {
    /// Response header.
    pub header: ResponseHeader,
    /// The lease.
    pub id: i64,
    /// Its renewed TTL in seconds.
    pub ttl: i64,
}

/// etcd's `LeaseTimeToLiveRequest`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct LeaseTimeToLiveRequest {
    /// The lease.
    pub id: i64,
    /// Also list the attached keys.
    pub keys: bool,
}

/// etcd's `LeaseTimeToLiveResponse`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct LeaseTimeToLiveResponse {
    /// Response header.
    pub header: ResponseHeader,
    /// The lease.
    pub id: i64,
    /// Remaining seconds (-1: not found).
    pub ttl: i64,
    /// The TTL it was granted with.
    pub granted_ttl: i64,
    /// Attached keys, when asked.
    pub keys: Vec<Vec<u8>>,
}

impl LeaseTimeToLiveResponse {
    /// kv's lease info (without the header).
    pub fn info(&self) -> kv::LeaseInfo {
        kv::LeaseInfo {
            id: self.id,
            ttl: self.ttl,
            granted_ttl: self.granted_ttl,
            keys: self.keys.clone(),
        }
    }
}

/// etcd's `LeaseStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct LeaseStatus {
    /// The lease.
    pub id: i64,
}

/// etcd's `LeaseLeasesResponse`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct LeaseLeasesResponse {
    /// Response header.
    pub header: ResponseHeader,
    /// Every lease.
    pub leases: Vec<LeaseStatus>,
}

/// v3lockpb's `LockRequest`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct LockRequest {
    /// The lock's name (its keys are `name/<lease hex>`).
    pub name: Vec<u8>,
    /// The lease that owns the lock; the lock is lost when it ends.
    pub lease: i64,
}

/// v3lockpb's `LockResponse`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct LockResponse {
    /// Response header (the member's revision when the lock was taken).
    pub header: ResponseHeader,
    /// The key that holds the lock as long as it exists.
    pub key: Vec<u8>,
    /// Not in v3lockpb: the create revision of `key` (etcdctl reads the key back to print it;
    /// the client knows it already).
    pub create_revision: i64,
    /// Not in v3lockpb: the lease of `key`.
    pub lease: i64,
}

/// v3lockpb's `UnlockRequest`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct UnlockRequest {
    /// The key a `lock` call returned.
    pub key: Vec<u8>,
}

/// v3lockpb's `UnlockResponse`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct UnlockResponse {
    /// Response header.
    pub header: ResponseHeader,
}

/// v3electionpb's `LeaderKey`: who leads, as a key.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct LeaderKey {
    /// The election's name.
    pub name: Vec<u8>,
    /// The leader's key (`name/<lease hex>`).
    pub key: Vec<u8>,
    /// Its create revision.
    pub rev: i64,
    /// Its lease.
    pub lease: i64,
}

/// v3electionpb's `CampaignRequest`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CampaignRequest {
    /// The election's name.
    pub name: Vec<u8>,
    /// The lease of the campaign (the leadership ends with it).
    pub lease: i64,
    /// The value to proclaim once leader.
    pub value: Vec<u8>,
}

/// v3electionpb's `CampaignResponse`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CampaignResponse {
    /// Response header.
    pub header: ResponseHeader,
    /// The leadership won.
    pub leader: LeaderKey,
}

/// v3electionpb's `ProclaimRequest`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ProclaimRequest {
    /// The leadership (as `campaign` returned it).
    pub leader: LeaderKey,
    /// The new value.
    pub value: Vec<u8>,
}

/// v3electionpb's `ProclaimResponse`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ProclaimResponse {
    /// Response header.
    pub header: ResponseHeader,
}

/// v3electionpb's `LeaderRequest` (and `Observe`'s request).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct LeaderRequest {
    /// The election's name.
    pub name: Vec<u8>,
}

/// v3electionpb's `LeaderResponse`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct LeaderResponse {
    /// Response header.
    pub header: ResponseHeader,
    /// The leader's key and value.
    pub kv: Option<KeyValue>,
}

/// v3electionpb's `ResignRequest`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ResignRequest {
    /// The leadership to give up.
    pub leader: LeaderKey,
}

/// v3electionpb's `ResignResponse`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ResignResponse {
    /// Response header.
    pub header: ResponseHeader,
}

/// etcd's `Member`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Member {
    /// Member id.
    pub id: u64,
    /// Name (empty until the member has started).
    pub name: String,
    /// Peer URLs.
    pub peer_urls: Vec<String>,
    /// Client URLs (empty until the member has started).
    pub client_urls: Vec<String>,
    /// A learner (non-voting) member.
    pub is_learner: bool,
}

/// etcd's `MemberListResponse`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct MemberListResponse {
    /// Response header.
    pub header: ResponseHeader,
    /// The members, by id.
    pub members: Vec<Member>,
}

/// etcd's `MemberAddRequest`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct MemberAddRequest {
    /// Peer URLs of the new member.
    pub peer_urls: Vec<String>,
    /// Add it as a learner.
    pub is_learner: bool,
    /// Not in etcd's message (etcdctl passes it to the new member's flags): its name, listed
    /// once it has started.
    pub name: String,
}

/// etcd's `MemberAddResponse`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct MemberAddResponse {
    /// Response header.
    pub header: ResponseHeader,
    /// The member added.
    pub member: Member,
    /// Every member, the new one included.
    pub members: Vec<Member>,
}

/// etcd's `MemberRemoveResponse`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct MemberRemoveResponse {
    /// Response header.
    pub header: ResponseHeader,
    /// The members left.
    pub members: Vec<Member>,
}

/// etcd's `MemberPromoteResponse`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct MemberPromoteResponse {
    /// Response header.
    pub header: ResponseHeader,
    /// Every member after the promotion.
    pub members: Vec<Member>,
}

/// etcd's `MemberUpdateResponse`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct MemberUpdateResponse {
    /// Response header.
    pub header: ResponseHeader,
    /// Every member after the update.
    pub members: Vec<Member>,
}

/// etcd's `MoveLeaderResponse`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct MoveLeaderResponse {
    /// Response header.
    pub header: ResponseHeader,
}

/// etcd's `StatusResponse`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct StatusResponse {
    /// Response header.
    pub header: ResponseHeader,
    /// Server version.
    pub version: String,
    /// Size of the backend database (bytes).
    pub db_size: i64,
    /// Member id of the cluster's leader (0: none).
    pub leader: u64,
    /// Raft log index.
    pub raft_index: u64,
    /// Raft term.
    pub raft_term: u64,
    /// Applied index.
    pub raft_applied_index: u64,
    /// Alarms and errors.
    pub errors: Vec<String>,
    /// Bytes in use.
    pub db_size_in_use: i64,
    /// A learner.
    pub is_learner: bool,
    /// Not in etcd's message: the member itself is in the leader role (etcdctl derives its
    /// IS LEADER column from `leader`; a deposed leader that has not heard yet says yes here).
    pub is_leader: bool,
}

/// etcd's `HashKVResponse`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct HashKvResponse {
    /// Response header.
    pub header: ResponseHeader,
    /// Hash of the key space up to the revision asked.
    pub hash: u32,
    /// The compaction point (-1 before the first compaction).
    pub compact_revision: i64,
}

/// A member's health (etcd's `/health` answer, which etcdctl's `endpoint health` checks
/// with a linearizable read).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct HealthResponse {
    /// The read went through.
    pub health: bool,
    /// Why not.
    pub reason: String,
}
