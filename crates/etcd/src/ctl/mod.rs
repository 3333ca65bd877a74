//! The etcdctl v3 command language: parsing command lines and printing results as etcdctl does.
//!
//! A line is either an etcdctl command (`put foo bar`, `get --prefix foo -w json`, `lease grant
//! 60`, ...), a playground fault or time line (`partition 1,2 3,4,5`, `sleep 5s`), or an etcd v3
//! JSON gateway request (`POST /v3/kv/put {"key":"Zm9v","value":"YmFy"}`). [`parse_line`] parses
//! one line; [`LineParser`] also handles `txn`'s interactive multi-line form. The [`format`]
//! functions print results exactly as etcdctl v3.5 prints them.
//!
//! ```
//! use etcd::ctl::{self, Command, Feed, LineParser, OutputFormat, Target};
//!
//! let inv = ctl::parse_line("put --endpoints=node2 foo 'bar baz'").unwrap().unwrap();
//! assert_eq!(inv.target, Target::Node(2));
//! match inv.command {
//!     Command::Put(req) => assert_eq!(req.value, b"bar baz"),
//!     _ => unreachable!(),
//! }
//!
//! // A txn in etcdctl's interactive format: compares, success ops, failure ops, each ended
//! // by a blank line.
//! let mut p = LineParser::new();
//! for line in ["txn -w json", "mod(\"k\") > \"0\"", "", "put k v", "", "get k"] {
//!     assert!(matches!(p.feed(line), Feed::NeedMore));
//! }
//! let Feed::Done(Ok(inv)) = p.feed("") else { panic!() };
//! assert_eq!(inv.output, OutputFormat::Json);
//! assert!(matches!(inv.command, Command::Txn(_)));
//!
//! let h = ctl::Header { cluster_id: 1, member_id: 2, revision: 3, raft_term: 4 };
//! assert_eq!(ctl::format::lease_grant(&h, 0x694d77aa9e38260f, 60, OutputFormat::Simple),
//!            "lease 694d77aa9e38260f granted with TTL(60s)\n");
//! ```

mod cmd_args;
mod curl;
mod fault;
mod flags;
pub mod format;
mod gateway_recipes;
mod gateway_request;
mod goquote;
mod jsonpb;
mod kv_args;
mod lexer;
mod line;
mod parse;
mod txn;
mod usage;

pub use gateway_recipes::{gateway_observe_request, gateway_watch_request};
pub use gateway_request::post_paths as gateway_post_paths;
pub use line::{Feed, LineParser, TXN_ABANDONED};
pub use parse::parse_line;
pub use txn::Section;

/// etcd's response header, as the formats print it (one type with the service's).
pub use crate::service::Header;

use std::fmt;

use serde::Serialize;

/// Largest request etcd accepts (`--max-request-bytes`, 1.5 MiB).
pub const MAX_REQUEST_BYTES: usize = 1024 * 1024 + 512 * 1024;

/// One parsed command line: where it goes, how to print its result, and what it is.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Invocation {
    /// The node the request goes to (`--endpoints`, `--node`).
    pub target: Target,
    /// Output format (`-w`, `--write-out`).
    pub output: OutputFormat,
    /// The command.
    pub command: Command,
}

/// The node a request is sent to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize)]
pub enum Target {
    /// No endpoint given: the service picks (the client's default endpoint).
    #[default]
    Default,
    /// `--endpoints=node3`, `--endpoints=3`, `--endpoints=http://node3:2379`, `--node 3`.
    Node(u64),
}

/// etcdctl's `-w` / `--write-out` formats that raftlab prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize)]
pub enum OutputFormat {
    /// `simple` (the default).
    #[default]
    Simple,
    /// `json`: etcdctl's JSON (numbers as numbers, bytes base64).
    Json,
    /// `table`: only for `endpoint status|health|hashkv` and `member list`, as in etcdctl.
    Table,
    /// `fields`: one `"Name" : value` line per field.
    Fields,
    /// `simple` with `--hex`: keys and values as `\x66\x6f\x6f`.
    Hex,
}

/// Read consistency of `get` (`--consistency=l|s`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize)]
pub enum Consistency {
    /// `l`: through ReadIndex (the default).
    #[default]
    Linearizable,
    /// `s`: local, possibly stale.
    Serializable,
}

/// A parsed command.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Command {
    /// `put [--lease=ID] [--prev-kv] [--ignore-value] [--ignore-lease] key value`
    Put(kv::PutRequest),
    /// `get [options] key [range_end]`
    Get {
        /// The range request (`serializable` is set for `--consistency=s`).
        req: kv::RangeRequest,
        /// `--print-value-only`
        print_value_only: bool,
        /// `--consistency`
        consistency: Consistency,
    },
    /// `del [--prefix] [--from-key] [--prev-kv] key [range_end]`
    Del {
        /// The delete request.
        req: kv::DeleteRangeRequest,
    },
    /// `txn` (interactive multi-line form, or the one-line `txn cmps; ops; ops` form).
    Txn(kv::TxnRequest),
    /// `watch [--prefix] [--rev N] [--prev-kv] [--progress-notify] key [range_end]`
    Watch {
        /// The watch create request.
        req: kv::WatchCreateRequest,
    },
    /// `lease grant <ttl>`
    LeaseGrant {
        /// TTL in seconds.
        ttl: i64,
    },
    /// `lease revoke <id hex>`
    LeaseRevoke {
        /// Lease id.
        id: i64,
    },
    /// `lease timetolive <id hex> [--keys]`
    LeaseTimeToLive {
        /// Lease id.
        id: i64,
        /// `--keys`: list attached keys.
        keys: bool,
    },
    /// `lease keep-alive <id hex> [--once]`
    LeaseKeepAlive {
        /// Lease id.
        id: i64,
        /// `--once`: one keep-alive, then return.
        once: bool,
    },
    /// `lease list`
    LeaseList,
    /// `lock [--ttl N] <name>` (etcdctl's default session TTL is 10 s).
    Lock {
        /// Lock name (the key prefix).
        name: String,
        /// Session TTL in seconds.
        ttl: i64,
    },
    /// `elect <name> <proposal>` or `elect -l <name>`
    Elect {
        /// Election name (the key prefix).
        name: String,
        /// The proposal to campaign with; `None` with `listen`.
        proposal: Option<String>,
        /// `-l` / `--listen`: observe only.
        listen: bool,
    },
    /// `endpoint status [--cluster]`
    EndpointStatus {
        /// `--cluster`: every member, not just the target.
        cluster: bool,
    },
    /// `endpoint health [--cluster]`
    EndpointHealth {
        /// `--cluster`: every member, not just the target.
        cluster: bool,
    },
    /// `endpoint hashkv [--rev N]`
    EndpointHashKv {
        /// Revision to hash at (0 = latest).
        rev: i64,
        /// `--cluster`: every member, not just the target.
        cluster: bool,
    },
    /// `member list`
    MemberList,
    /// `member add <name> --peer-urls=URL[,URL] [--learner]`.
    MemberAdd {
        /// Member name.
        name: String,
        /// `--learner`
        learner: bool,
        /// `--peer-urls` (comma-separated; required, as etcdctl requires it).
        peer_urls: Vec<String>,
    },
    /// `member remove <id hex>`
    MemberRemove {
        /// Member id.
        id: u64,
    },
    /// `member promote <id hex>`
    MemberPromote {
        /// Member id.
        id: u64,
    },
    /// `member update <id hex> --peer-urls=URL[,URL]`
    MemberUpdate {
        /// Member id.
        id: u64,
        /// The member's new peer URLs.
        peer_urls: Vec<String>,
    },
    /// `move-leader <id hex>`
    MoveLeader {
        /// Transferee member id.
        id: u64,
    },
    /// `compaction [--physical] <rev>`
    Compaction {
        /// Revision to compact at.
        rev: i64,
        /// `--physical`
        physical: bool,
    },
    /// `defrag` (`--cluster` accepted)
    Defrag,
    /// A playground fault line (not etcdctl): `partition 1,2 3,4,5`, `heal`, `crash 3`, ...
    Fault(sim::Action),
    /// `sleep 5s`: let virtual time pass while commands in flight continue.
    Sleep {
        /// Virtual milliseconds.
        ms: u64,
    },
    /// `run 2s`: advance the simulation by this much virtual time.
    Run {
        /// Virtual milliseconds.
        ms: u64,
    },
    /// `tick [n]`: advance by `n` Raft ticks (default 1).
    Tick {
        /// Number of ticks.
        n: u64,
    },
    /// `plant NAME,...` / `plant none`: switch the planted bugs of a deliberately broken cluster
    /// (the teaching menu writes these lines; see `crate::planted`). Bare `plant` shows them.
    Plant(Option<crate::planted::PlantedBugs>),
    /// An etcd v3 JSON gateway request: `POST /v3/kv/put {...}`, `GET /health`.
    Gateway(GatewayRequest),
    /// `help`, `--help`, `-h`: print [`help`].
    Help,
}

/// A request to etcd's v3 JSON gateway (grpc-gateway): bytes are base64, int64 may be strings.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum GatewayRequest {
    /// `POST /v3/kv/put`
    Put(kv::PutRequest),
    /// `POST /v3/kv/range`
    Range(kv::RangeRequest),
    /// `POST /v3/kv/deleterange`
    DeleteRange(kv::DeleteRangeRequest),
    /// `POST /v3/kv/txn`
    Txn(kv::TxnRequest),
    /// `POST /v3/lease/grant` (`{"TTL": 60, "ID": 0}`)
    LeaseGrant {
        /// TTL in seconds.
        ttl: i64,
        /// Requested id, 0 = server chooses.
        id: i64,
    },
    /// `POST /v3/lease/revoke` (also `/v3/kv/lease/revoke`)
    LeaseRevoke {
        /// Lease id.
        id: i64,
    },
    /// `POST /v3/lease/keepalive`
    LeaseKeepAlive {
        /// Lease id.
        id: i64,
    },
    /// `POST /v3/lease/timetolive` (also `/v3/kv/lease/timetolive`)
    LeaseTimeToLive {
        /// Lease id.
        id: i64,
        /// Include attached keys.
        keys: bool,
    },
    /// `POST /v3/lease/leases` (also `/v3/kv/lease/leases`)
    LeaseLeases,
    /// `POST /v3/maintenance/status`
    Status,
    /// `POST /v3/cluster/member/list`
    MemberList,
    /// `GET /health`
    Health,
    /// `POST /v3/kv/compaction`
    Compaction {
        /// Revision to compact at.
        rev: i64,
        /// Wait for the physical compaction.
        physical: bool,
    },
    /// `POST /v3/lock/lock` (v3lock `Lock`): answers once the lock is held.
    Lock {
        /// The lock's name.
        name: Vec<u8>,
        /// The lease that owns the lock (0: a lease of 60 s is granted for it).
        lease: i64,
    },
    /// `POST /v3/lock/unlock` (v3lock `Unlock`).
    Unlock {
        /// The key `Lock` answered with.
        key: Vec<u8>,
    },
    /// `POST /v3/election/campaign`: answers once leader.
    Campaign {
        /// The election's name.
        name: Vec<u8>,
        /// The lease of the campaign (0: a lease of 60 s is granted for it).
        lease: i64,
        /// The value proclaimed once leader.
        value: Vec<u8>,
    },
    /// `POST /v3/election/proclaim`.
    Proclaim {
        /// The leadership (`None`: the field is missing).
        leader: Option<ElectionLeader>,
        /// The new value.
        value: Vec<u8>,
    },
    /// `POST /v3/election/leader`.
    Leader {
        /// The election's name.
        name: Vec<u8>,
    },
    /// `POST /v3/election/resign`.
    Resign {
        /// The leadership (`None`: the field is missing).
        leader: Option<ElectionLeader>,
    },
    /// `POST /v3/cluster/member/add`.
    MemberAdd {
        /// The new member's peer URLs.
        peer_urls: Vec<String>,
        /// Add it as a learner.
        is_learner: bool,
    },
    /// `POST /v3/cluster/member/remove`.
    MemberRemove {
        /// Member id.
        id: u64,
    },
    /// `POST /v3/cluster/member/promote`.
    MemberPromote {
        /// Member id.
        id: u64,
    },
    /// `POST /v3/cluster/member/update`.
    MemberUpdate {
        /// Member id.
        id: u64,
        /// The member's new peer URLs.
        peer_urls: Vec<String>,
    },
}

/// v3election's `LeaderKey` as a gateway request carries it.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize)]
pub struct ElectionLeader {
    /// The election's name.
    pub name: Vec<u8>,
    /// The leader's key.
    pub key: Vec<u8>,
    /// Its create revision.
    pub rev: i64,
    /// Its lease.
    pub lease: i64,
}

/// A parse error. The string is the complete line to print, exactly as etcdctl (or etcd's
/// gateway) would: `Error: unknown command "fly" for "etcdctl"`, or for gateway requests
/// etcd's error JSON `{"error":"...","code":3,"message":"..."}`. It is one line, except where
/// etcdctl prints a command's usage (a flag error, a missing or unknown subcommand).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError(pub String);

impl ParseError {
    /// An etcdctl-style error: `Error: <msg>`.
    pub(crate) fn new(msg: impl AsRef<str>) -> Self {
        ParseError(one_line(&format!("Error: {}", msg.as_ref())))
    }

    /// A line printed verbatim (gateway JSON errors).
    pub(crate) fn raw(line: impl AsRef<str>) -> Self {
        ParseError(one_line(line.as_ref()))
    }

    /// Several lines printed verbatim (etcdctl's usage after a flag error).
    pub(crate) fn text(text: String) -> Self {
        ParseError(text)
    }
}

/// Replaces line breaks so that an error is always one line.
fn one_line(s: &str) -> String {
    s.replace("\r\n", " ").replace(['\n', '\r'], " ")
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

/// One row of `endpoint status` (etcdctl's epStatus).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct EndpointStatusRow {
    /// The endpoint as named on the command line or in the member list (`node1`).
    pub endpoint: String,
    /// Member id.
    pub id: u64,
    /// Server version string (`3.5.0`).
    pub version: String,
    /// Backend size in bytes.
    pub db_size: i64,
    /// This member is the leader.
    pub is_leader: bool,
    /// This member is a learner.
    pub is_learner: bool,
    /// Current Raft term.
    pub raft_term: u64,
    /// Last Raft log index.
    pub raft_index: u64,
    /// Last applied Raft index.
    pub raft_applied_index: u64,
    /// Alarms / errors (shown joined by ", ").
    pub errors: Vec<String>,
    /// Cluster id (JSON output only).
    pub cluster_id: u64,
    /// Store revision (JSON output only).
    pub revision: i64,
    /// Leader's member id, 0 if none (JSON output only).
    pub leader: u64,
    /// Bytes in use in the backend (JSON output only; 0 = omitted).
    pub db_size_in_use: i64,
}

/// One row of `endpoint health` (etcdctl's epHealth).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct EndpointHealthRow {
    /// The endpoint.
    pub endpoint: String,
    /// Whether a read through Raft succeeded.
    pub health: bool,
    /// How long it took, in virtual milliseconds.
    pub took_ms: u64,
    /// Why it is unhealthy.
    pub error: Option<String>,
}

/// One row of `endpoint hashkv`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct EndpointHashKvRow {
    /// The endpoint.
    pub endpoint: String,
    /// The member's header.
    pub header: Header,
    /// The hash.
    pub hash: u32,
    /// The revision at which compaction last happened.
    pub compact_revision: i64,
}

/// One member of `member list`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct MemberRow {
    /// Member id.
    pub id: u64,
    /// `started` or `unstarted` (etcdctl derives it from an empty name).
    pub status: String,
    /// Member name (empty if not started).
    pub name: String,
    /// Peer URLs.
    pub peer_urls: Vec<String>,
    /// Client URLs.
    pub client_urls: Vec<String>,
    /// Learner or voter.
    pub is_learner: bool,
}

/// A short list of the commands and fault lines, for `help`.
pub fn help() -> String {
    HELP.to_string()
}

const HELP: &str = "\
etcdctl commands (etcd v3.5 syntax; global flags: --endpoints=nodeN | --node N, -w simple|json|table):
  put [--lease=ID] [--prev-kv] [--ignore-value] [--ignore-lease] <key> <value>
  get [--prefix|--from-key] [--limit=N] [--rev=N] [--keys-only] [--print-value-only]
      [--order=ASCEND|DESCEND] [--sort-by=KEY|CREATE|MODIFY|VALUE|VERSION] [--consistency=l|s] <key> [range_end]
  del [--prefix|--from-key] [--prev-kv] <key> [range_end]
  txn            then compares, blank line, success ops, blank line, failure ops, blank line
                 compares: mod(\"k\") > \"5\"  value(\"k\") = \"v\"  version(\"k\") = \"0\"  create(\"k\") < \"9\"  lease(\"k\") = \"<hex>\"
                 ops: put k v | get k | del k   (one line: txn <cmps, ...>; <ops, ...>; <ops, ...>)
  watch [--prefix] [--rev=N] [--prev-kv] [--progress-notify] <key> [range_end]
  lease grant <ttl> | revoke <id> | timetolive <id> [--keys] | keep-alive [--once] <id> | list
  lock [--ttl=N] <name>            elect <name> <proposal> | elect -l <name>
  endpoint status|health [--cluster] | endpoint hashkv [--rev=N]
  member list | add <name> [--learner] | remove <id> | promote <id> | update <id> --peer-urls=URL
  move-leader <id>   compaction [--physical] <rev>   defrag
faults and time (raftlab):
  partition 1,2 3,4,5 | heal | crash N | restart N | pause N | resume N | campaign N
  cut A->B | restore A->B | hold A->B | release A->B [msg] | drop A->B [msg]
  link A->B drop=0.2 latency=5-50ms dup=0.1 reorder=on | network drop=0.1 latency=2-10ms
  sleep 5s | run 2s | tick [n]
teaching (a deliberately broken cluster, for the Check panel to catch):
  plant follower-local-read,apply-before-commit,drop-watch-event,skip-lease-revoke,lock-without-recheck | plant none
etcd v3 JSON gateway:
  POST /v3/kv/put {\"key\":\"Zm9v\",\"value\":\"YmFy\"}   (also /v3/kv/range, /v3/kv/deleterange, /v3/kv/txn,
  /v3/kv/compaction, /v3/lease/grant, /v3/lease/revoke, /v3/lease/keepalive, /v3/lease/timetolive,
  /v3/lease/leases, /v3/maintenance/status)   GET /health
";
