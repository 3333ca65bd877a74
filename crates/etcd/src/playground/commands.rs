//! A parsed line becomes client calls: each command starts its calls on [`Client`] and
//! remembers how to print what comes back (see `answers.rs`). Only what is no etcd call
//! lives here: `sleep`, `run`, `tick`, faults, `plant`, `help`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{CommandId, Playground};
use crate::client::{
    CallId, CompactionRequest, LeaderRequest, LeaseGrantRequest, LeaseTimeToLiveRequest,
    MemberAddRequest,
};
use crate::ctl::{self, Command, Invocation, OutputFormat};

/// How to print the reply of a one-call command.
#[derive(Clone, Debug)]
pub(crate) enum Render {
    Put(OutputFormat),
    Get(OutputFormat, bool, bool),
    Del(OutputFormat),
    Txn(OutputFormat),
    LeaseGrant(OutputFormat),
    LeaseRevoke(OutputFormat, i64),
    TimeToLive(OutputFormat, bool),
    LeaseList(OutputFormat),
    Compaction(i64),
    KeepAliveOnce(OutputFormat),
    MemberList(OutputFormat),
    MemberAdd(OutputFormat),
    /// `member remove|promote|update`, `move-leader`: the member's id, and how to print.
    MemberChange(u64, OutputFormat),
    Gateway(GatewayKind),
}

/// What a call is to the command that made it.
#[derive(Clone, Debug)]
pub(crate) enum Role {
    /// The one call of a short command: its answer is printed even after a Ctrl-C, as
    /// the request was sent.
    Single(Render),
    /// The call of a long-running command.
    Stream,
    /// One member's call of an `endpoint` command.
    Member,
}

impl Role {
    /// Whether the call ends with its command (a short call's answer still comes, except a
    /// gateway lock or campaign still waiting: its client went away, so it gives up).
    pub(crate) fn cancelled_with_command(&self) -> bool {
        match self {
            Role::Single(Render::Gateway(kind)) => kind.waits(),
            Role::Single(_) => false,
            Role::Stream | Role::Member => true,
        }
    }
}

/// Which gateway call a reply answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GatewayKind {
    Put,
    Range,
    DeleteRange,
    Txn,
    LeaseGrant,
    LeaseRevoke,
    LeaseKeepAlive,
    LeaseTimeToLive(bool),
    LeaseLeases,
    Health,
    Compaction,
    MemberList,
    /// `maintenance/status` of this member.
    Status(u64),
    Lock,
    Unlock,
    Campaign,
    Proclaim,
    Leader,
    Resign,
    MemberAdd,
    /// The member removed.
    MemberRemove(u64),
    /// The member promoted.
    MemberPromote(u64),
    /// The member updated.
    MemberUpdate,
}

impl GatewayKind {
    /// A v3lock or v3election call (etcd runs them on a client of its own: every error is
    /// gRPC's `Unknown`).
    pub(crate) fn is_recipe(self) -> bool {
        matches!(
            self,
            GatewayKind::Lock
                | GatewayKind::Unlock
                | GatewayKind::Campaign
                | GatewayKind::Proclaim
                | GatewayKind::Leader
                | GatewayKind::Resign
        )
    }

    /// A call that may wait (a lock or campaign queued behind others): cancelled, not left to
    /// run, when its command is interrupted.
    pub(crate) fn waits(self) -> bool {
        matches!(self, GatewayKind::Lock | GatewayKind::Campaign)
    }
}

/// A running command: what its calls' events mean to it.
#[derive(Clone, Debug)]
pub(crate) enum Task {
    /// One call, printed when it answers.
    Single,
    /// `watch`.
    Watch {
        format: OutputFormat,
        node: u64,
        /// The service operation of the watch (the watch recorder's key).
        op: Option<crate::service::OpId>,
    },
    /// `lease keep-alive` (without `--once`).
    KeepAlive { lease: i64, format: OutputFormat },
    /// `sleep`.
    Sleep,
    /// `run` or `tick`: done once every event up to virtual time `until` has run. The command
    /// only schedules it: whoever drives time (the repl, a replay, the page's clock) runs there
    /// ([`crate::Playground::run_target`]).
    Run { until: u64 },
    /// `lock` or `elect NAME PROPOSAL`.
    Recipe {
        value: Vec<u8>,
        format: OutputFormat,
    },
    /// `elect --listen`.
    Observe { format: OutputFormat },
    /// `endpoint status|hashkv|health`: one call per member, printed when all are in.
    Gather(Box<Gather>),
}

/// Which endpoint command a [`Gather`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GatherKind {
    Status,
    HashKv,
    Health,
}

/// The answers of a multi-member command so far.
#[derive(Clone, Debug)]
pub(crate) struct Gather {
    pub kind: GatherKind,
    pub format: OutputFormat,
    /// Calls not answered yet.
    pub pending: usize,
    /// When it started (health's `took`).
    pub started: u64,
    /// Each member's endpoint name, in the order asked.
    pub names: BTreeMap<u64, String>,
    /// Each call's member.
    pub nodes: BTreeMap<CallId, u64>,
    /// Answers: (member, when, reply or error), in arrival order.
    pub answers: Vec<(u64, u64, Result<crate::client::Reply, String>)>,
}

/// An open watch, for the watch panel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WatchView {
    /// The command that opened it.
    pub command: CommandId,
    /// Its line.
    pub line: String,
    /// Member it is on.
    pub node: u64,
    /// Its events so far, as etcdctl prints them.
    pub events: String,
}

/// A lease, for the lease panel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LeaseView {
    /// Id (hex).
    pub id: String,
    /// Granted TTL in seconds.
    pub ttl: i64,
    /// Remaining ms on the leader's clock (None when no leader tracks it).
    pub remaining_ms: Option<u64>,
    /// Attached keys.
    pub keys: Vec<String>,
}

impl Playground {
    /// Starts a parsed command.
    pub(super) fn start(&mut self, id: CommandId, inv: Invocation) {
        let node = self.target(&inv.target);
        let f = inv.output;
        if matches!(inv.command, Command::Compaction { .. }) {
            self.keep_log_before_compaction();
        }
        let c = &mut self.client;
        match inv.command {
            Command::Put(req) => {
                let call = c.put(node, req);
                self.single(id, call, Render::Put(f));
            }
            Command::Del { req } => {
                let call = c.delete_range(node, req);
                self.single(id, call, Render::Del(f));
            }
            Command::Txn(req) => {
                let call = c.txn(node, req);
                self.single(id, call, Render::Txn(f));
            }
            Command::Get {
                req,
                print_value_only,
                ..
            } => {
                let keys_only = req.keys_only;
                let call = c.range(node, req);
                self.single(id, call, Render::Get(f, print_value_only, keys_only));
            }
            // etcd's compaction point starts at -1: compacting at 0 succeeds (once).
            Command::Compaction { rev: 0, .. }
                if c.service()
                    .cluster()
                    .state_machine(node)
                    .is_ok_and(|sm| sm.store.compact_revision() == 0) =>
            {
                self.print(id, &ctl::format::compaction(0));
                self.finish(id);
            }
            Command::Compaction { rev, physical } => {
                let req = CompactionRequest {
                    revision: rev,
                    physical,
                };
                let call = c.compact(node, req);
                self.single(id, call, Render::Compaction(rev));
            }
            Command::LeaseGrant { ttl } => {
                let call = c.lease_grant(node, LeaseGrantRequest { ttl, id: 0 });
                self.single(id, call, Render::LeaseGrant(f));
            }
            Command::LeaseRevoke { id: lease } => {
                let call = c.lease_revoke(node, lease);
                self.single(id, call, Render::LeaseRevoke(f, lease));
            }
            Command::LeaseTimeToLive { id: lease, keys } => {
                let call = c.lease_time_to_live(node, LeaseTimeToLiveRequest { id: lease, keys });
                self.single(id, call, Render::TimeToLive(f, keys));
            }
            Command::LeaseList => {
                let call = c.lease_leases(node);
                self.single(id, call, Render::LeaseList(f));
            }
            Command::LeaseKeepAlive { id: lease, once } => {
                let (call, task) = if once {
                    let call = c.lease_keep_alive_once(node, lease);
                    return self.single(id, call, Render::KeepAliveOnce(f));
                } else {
                    let call = c.lease_keep_alive(node, lease);
                    (call, Task::KeepAlive { lease, format: f })
                };
                self.stream(id, call, task);
            }
            Command::Watch { req } => {
                let call = c.watch(node, req.clone());
                let op = c.op_of(call);
                if let Some(op) = op {
                    self.session_log.watch_opened(id, op, node, req);
                }
                let task = Task::Watch {
                    format: f,
                    node,
                    op,
                };
                self.stream(id, call, task);
            }
            Command::Lock { name, ttl } => {
                let call = c.lock_with_session(node, name.as_bytes(), ttl);
                let task = Task::Recipe {
                    value: Vec::new(),
                    format: f,
                };
                self.stream(id, call, task);
            }
            Command::Elect {
                name,
                proposal,
                listen,
            } => {
                let (call, task) = match (listen, proposal) {
                    (true, _) => {
                        let req = LeaderRequest {
                            name: name.into_bytes(),
                        };
                        (c.observe(node, req), Task::Observe { format: f })
                    }
                    (false, Some(p)) => {
                        let call = c.campaign_with_session(node, name.as_bytes(), p.as_bytes(), 60);
                        let task = Task::Recipe {
                            value: p.into_bytes(),
                            format: f,
                        };
                        (call, task)
                    }
                    (false, None) => return self.fail(id, "no proposal argument but -l not set"),
                };
                self.stream(id, call, task);
            }
            Command::Sleep { ms } => {
                let call = c.after(ms);
                self.stream(id, call, Task::Sleep);
            }
            Command::Run { ms } => {
                let until = self.now().saturating_add(ms);
                self.schedule_run(id, until);
            }
            Command::Tick { n } => {
                let tick = c.service().cluster().config().tick_ms;
                let until = self.now().saturating_add(n.saturating_mul(tick));
                self.schedule_run(id, until);
            }
            Command::Fault(action) => self.fault(id, action),
            Command::Plant(bugs) => self.plant(id, bugs),
            Command::EndpointStatus { cluster } => {
                self.gather(id, GatherKind::Status, &inv.target, cluster, 0, f)
            }
            Command::EndpointHealth { cluster } => {
                self.gather(id, GatherKind::Health, &inv.target, cluster, 0, f)
            }
            Command::EndpointHashKv { rev, cluster } => {
                self.gather(id, GatherKind::HashKv, &inv.target, cluster, rev, f)
            }
            Command::MemberList => {
                let call = c.member_list(node);
                self.single(id, call, Render::MemberList(f));
            }
            Command::MemberAdd {
                name,
                learner,
                peer_urls,
            } => {
                let req = MemberAddRequest {
                    peer_urls,
                    is_learner: learner,
                    name,
                };
                let call = c.member_add(req);
                self.single(id, call, Render::MemberAdd(f));
            }
            Command::MemberRemove { id: member } => {
                let hex = self.member_hex_of(member);
                let call = self.client.member_remove(member);
                self.single(id, call, Render::MemberChange(hex, f));
            }
            Command::MemberPromote { id: member } => {
                let hex = self.member_hex_of(member);
                let call = self.client.member_promote(member);
                self.single(id, call, Render::MemberChange(hex, f));
            }
            Command::MemberUpdate {
                id: member,
                peer_urls,
            } => {
                let hex = self.member_hex_of(member);
                let call = self.client.member_update(member, peer_urls);
                self.single(id, call, Render::MemberChange(hex, f));
            }
            Command::MoveLeader { id: member } => {
                let hex = self.member_hex_of(member);
                let call = self.client.move_leader(member);
                self.single(id, call, Render::MemberChange(hex, f));
            }
            Command::Defrag => {
                // The simulated store has nothing to defragment: a no-op that answers as etcd.
                let text = ctl::format::defrag(&format!("node{node}"));
                self.print(id, &text);
                self.finish(id);
            }
            Command::Gateway(req) => self.gateway(id, node, req),
            Command::Help => {
                self.print(id, &ctl::help());
                self.finish(id);
            }
        }
    }

    /// The member id a member command names (a member id, or a node number).
    fn member_hex_of(&self, member: u64) -> u64 {
        self.client
            .node_of_member(member)
            .map_or(member, |n| self.client.member_id(n))
    }

    pub(super) fn single(&mut self, id: CommandId, call: CallId, render: Render) {
        self.tasks.insert(id, Box::new(Task::Single));
        self.calls
            .insert(call, Box::new((id, Role::Single(render))));
    }

    fn stream(&mut self, id: CommandId, call: CallId, task: Task) {
        self.tasks.insert(id, Box::new(task));
        self.calls.insert(call, Box::new((id, Role::Stream)));
    }

    /// `run` and `tick`: time is not run here (a command's start never runs the simulation);
    /// the command ends when the simulation has run to `until` (see
    /// [`crate::Playground::run_target`]).
    fn schedule_run(&mut self, id: CommandId, until: u64) {
        self.tasks.insert(id, Box::new(Task::Run { until }));
        self.finish_runs();
    }

    /// Ends the `run` and `tick` commands whose time has been run: virtual time is at or past
    /// their end and nothing due at or before it is left.
    pub(super) fn finish_runs(&mut self) {
        let Some(first) = self.run_target() else {
            return;
        };
        let (now, next) = (self.now(), self.next_time());
        if now < first || next <= first {
            return;
        }
        let done: Vec<CommandId> = self
            .tasks
            .iter()
            .filter_map(|(id, t)| match **t {
                Task::Run { until } if now >= until && next > until => Some(*id),
                _ => None,
            })
            .collect();
        for id in done {
            self.finish(id);
        }
    }

    fn fault(&mut self, id: CommandId, action: sim::Action) {
        match self.client.service_mut().cluster_mut().apply(action) {
            Ok(()) => {
                self.print(id, "OK");
                self.finish(id);
            }
            Err(e) => self.fail(id, &e.to_string()),
        }
    }

    /// Ctrl-C: the command's long calls are cancelled (a lock or election deletes its key and
    /// revokes its session, as etcdctl does).
    pub(super) fn interrupt(&mut self, id: CommandId) {
        self.finish(id);
    }
}
