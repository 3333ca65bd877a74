//! The session's client operations in the checker's terms, for the browser's Check panel.
//!
//! Every `put` (with or without `--lease`), `del` (one key or a range), linearizable `get` (one
//! key or a plain range; serializable reads may be stale by design), `txn` (comparisons on
//! single keys, puts and deletes; a plain `mod(key) = N` then one put is a compare-and-set),
//! `lease grant` and `lease revoke` run in the playground is
//! recorded with its call time (virtual ms when it was started), its return time and its
//! structured result (through [`crate::history::Recorder`], not by parsing text). The client of
//! an operation is the member the request went to, so a timeline has one lane per member; the
//! leader's revokes of expired leases are operations of [`SERVER_CLIENT`]. Failed or timed-out
//! writes are unknown outcomes. Commands that change the key space in ways the model does not
//! know (nested txns or range comparisons, locks, elections, gateway writes), and a lease grant
//! whose answer never
//! came (nobody can know its ID), are noted by line, so that a check can say the history is
//! incomplete instead of reporting a false violation.

use check::history::{CmpOp, CmpTarget, Comparison, Input, Operation, Output, TxnWrite};
use kv::{CompareResult, RequestOp, SortOrder, SortTarget, TargetUnion, TxnRequest};

use super::{CommandId, Playground};
use crate::ctl::{Command, GatewayRequest, Invocation, Target};
use crate::history::{Recorder, SERVER_CLIENT};
use crate::service::{OpId, OpResult};

/// The recorded client operations of a session.
#[derive(Debug, Default, Clone)]
pub struct SessionRecord {
    rec: Recorder,
    unmodelled: Vec<String>,
}

/// What a command means to the history.
#[derive(Debug, Clone, PartialEq)]
pub enum Recording {
    /// A client operation the model knows.
    Op(Input),
    /// A write the model does not know.
    Unmodelled,
    /// Nothing that changes the key space (a fault line, a watch, an unusual read, ...).
    Ignore,
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn cas(t: &TxnRequest) -> Option<Input> {
    let [c] = t.compare.as_slice() else {
        return None;
    };
    let TargetUnion::ModRevision(expected) = c.value else {
        return None;
    };
    let [RequestOp::Put(p)] = t.success.as_slice() else {
        return None;
    };
    let plain = c == &kv::Compare::mod_revision(c.key.clone(), CompareResult::Equal, expected)
        && c.range_end.is_empty()
        && t.failure.is_empty()
        && p.key == c.key
        && p.lease == 0
        && !p.ignore_value
        && !p.ignore_lease;
    plain.then(|| Input::Cas {
        key: text(&c.key),
        expected_mod_revision: expected,
        value: text(&p.value),
    })
}

/// A transaction the model knows: comparisons on single keys, puts and deletes in the branches
/// (reads in them are left out: dropping a read never makes a violation); not nested ones.
pub(crate) fn txn(t: &TxnRequest) -> Option<Input> {
    let compares = t
        .compare
        .iter()
        .map(|c| {
            if !c.range_end.is_empty() {
                return None;
            }
            let target = match &c.value {
                TargetUnion::Version(n) => CmpTarget::Version(*n),
                TargetUnion::CreateRevision(n) => CmpTarget::Create(*n),
                TargetUnion::ModRevision(n) => CmpTarget::Mod(*n),
                TargetUnion::Value(v) => CmpTarget::Value(text(v)),
                TargetUnion::Lease(n) => CmpTarget::Lease(*n),
            };
            let op = match c.result {
                CompareResult::Equal => CmpOp::Equal,
                CompareResult::Greater => CmpOp::Greater,
                CompareResult::Less => CmpOp::Less,
                CompareResult::NotEqual => CmpOp::NotEqual,
            };
            Some(Comparison {
                key: text(&c.key),
                op,
                target,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    let writes = |ops: &[RequestOp]| {
        ops.iter()
            .filter_map(|o| match o {
                RequestOp::Range(_) => None,
                RequestOp::Put(p) if !p.ignore_value && !p.ignore_lease => {
                    Some(Some(TxnWrite::Put {
                        key: text(&p.key),
                        value: text(&p.value),
                        lease: p.lease,
                    }))
                }
                RequestOp::DeleteRange(d) => Some(Some(TxnWrite::Delete {
                    key: text(&d.key),
                    range_end: text(&d.range_end),
                })),
                _ => Some(None),
            })
            .collect::<Option<Vec<_>>>()
    };
    Some(Input::Txn {
        compares,
        success: writes(&t.success)?,
        failure: writes(&t.failure)?,
    })
}

fn read_only(ops: &[RequestOp]) -> bool {
    ops.iter().all(|o| match o {
        RequestOp::Range(_) => true,
        RequestOp::Txn(t) => read_only(&t.success) && read_only(&t.failure),
        _ => false,
    })
}

/// How `command` is recorded.
pub fn recording(command: &Command) -> Recording {
    match command {
        Command::Put(p) if !p.ignore_value && !p.ignore_lease => Recording::Op(match p.lease {
            0 => Input::Put {
                key: text(&p.key),
                value: text(&p.value),
            },
            lease => Input::PutWithLease {
                key: text(&p.key),
                value: text(&p.value),
                lease,
            },
        }),
        Command::Del { req } if req.range_end.is_empty() => Recording::Op(Input::Delete {
            key: text(&req.key),
        }),
        Command::Del { req } => Recording::Op(Input::DeleteRange {
            key: text(&req.key),
            range_end: text(&req.range_end),
        }),
        Command::LeaseGrant { ttl } => Recording::Op(Input::LeaseGrant { id: 0, ttl: *ttl }),
        Command::LeaseRevoke { id } => Recording::Op(Input::LeaseRevoke { id: *id }),
        Command::Get {
            req, consistency, ..
        } => {
            // Serializable reads may be stale by design: not client operations of the model.
            let plain = *consistency == crate::ctl::Consistency::Linearizable
                && req.limit == 0
                && !req.keys_only
                && !req.count_only
                && req.sort_order == SortOrder::None
                && req.sort_target == SortTarget::default()
                && req.min_mod_revision == 0
                && req.max_mod_revision == 0
                && req.min_create_revision == 0
                && req.max_create_revision == 0;
            if !plain {
                Recording::Ignore
            } else if req.range_end.is_empty() {
                Recording::Op(Input::Get {
                    key: text(&req.key),
                    revision: (req.revision > 0).then_some(req.revision),
                })
            } else if req.revision == 0 {
                Recording::Op(Input::Range {
                    key: text(&req.key),
                    range_end: text(&req.range_end),
                    limit: 0,
                    count_only: false,
                })
            } else {
                Recording::Ignore
            }
        }
        Command::Txn(t) if read_only(&t.success) && read_only(&t.failure) => Recording::Ignore,
        Command::Txn(t) => match cas(t).or_else(|| txn(t)) {
            Some(input) => Recording::Op(input),
            None => Recording::Unmodelled,
        },
        Command::Put(_) | Command::Lock { .. } | Command::Elect { .. } => Recording::Unmodelled,
        Command::Gateway(g) => match g {
            GatewayRequest::Range(_)
            | GatewayRequest::LeaseKeepAlive { .. }
            | GatewayRequest::Leader { .. } => Recording::Ignore,
            // Lease grants too: the model must know every lease a put may name.
            _ => Recording::Unmodelled,
        },
        _ => Recording::Ignore,
    }
}

impl SessionRecord {
    /// Notes that `client` called `input` at `now` as operation `op`.
    pub fn call(&mut self, op: OpId, client: u32, input: Input, now: u64) {
        self.rec.call(op, client, input, now);
    }

    /// Notes a command line the model cannot account for.
    pub fn unmodelled(&mut self, line: &str) {
        self.unmodelled.push(line.to_string());
    }

    /// Records the answer to `op`, if it is a recorded call.
    pub fn answer(&mut self, op: OpId, result: &OpResult, now: u64) {
        let server_chosen = matches!(self.rec.input(op), Some(Input::LeaseGrant { id: 0, .. }));
        if let Some(Output::Unknown) = self.rec.answer(op, result, now) {
            if server_chosen {
                // A lease that may exist with an ID nobody learned: the model cannot follow it.
                self.unmodelled("lease grant (no answer: its lease ID is unknown)");
            }
        }
    }

    /// The operations so far (pending ones have no return time and an unknown output).
    pub fn operations(&self) -> &[Operation] {
        self.rec.history()
    }

    /// Lines that changed the key space in ways the model does not know.
    pub fn unmodelled_lines(&self) -> &[String] {
        &self.unmodelled
    }
}

impl Playground {
    /// The session's client operations so far, in the checker's terms (one client per member).
    pub fn client_history(&self) -> &SessionRecord {
        &self.record
    }

    /// Before `start`: what command `inv` is to the history, and the member it goes to.
    pub(super) fn record_before(&self, inv: &Invocation) -> (Recording, u64) {
        let node = match inv.target {
            Target::Node(n) => n,
            Target::Default => self.cluster().leader().unwrap_or(1),
        };
        (recording(&inv.command), node)
    }

    /// Records a revoke the leader proposed for an expired lease, as an operation of
    /// [`SERVER_CLIENT`] (its answer comes as for any operation).
    pub(super) fn record_expiry(&mut self, e: crate::planted::ExpiryRevoke) {
        let input = Input::LeaseRevoke { id: e.lease };
        self.record.call(e.op, SERVER_CLIENT, input, e.time_ms);
    }

    /// After `start` (before its events are processed): notes command `id`'s operation.
    pub(super) fn record_after(&mut self, id: CommandId, what: (Recording, u64)) {
        let (rec, node) = what;
        match rec {
            Recording::Ignore => {}
            Recording::Unmodelled => {
                let line = self
                    .outputs
                    .get(&id)
                    .map(|o| o.line.clone())
                    .unwrap_or_default();
                self.record.unmodelled(&line);
            }
            Recording::Op(input) => {
                let op = self.calls.iter().find_map(|(call, (cmd, role))| {
                    (*cmd == id && matches!(role, super::commands::Role::Single(_)))
                        .then(|| self.client.op_of(*call))
                        .flatten()
                });
                if let Some(op) = op {
                    let now = self.now();
                    self.record
                        .call(op, u32::try_from(node).unwrap_or(u32::MAX), input, now);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use check::history::Output;

    fn pg() -> Playground {
        Playground::new(sim::ClusterConfig::default()).unwrap()
    }

    fn run(p: &mut Playground, line: &str) {
        let id = p.exec(line).unwrap();
        p.run_until_settled(id, 30_000).unwrap();
    }

    #[test]
    fn commands_become_operations() {
        let mut p = pg();
        p.run_until(3_000).unwrap();
        run(&mut p, "put a 1");
        run(&mut p, "get a");
        run(&mut p, "--endpoints=node2 get a");
        run(&mut p, "get a --consistency=s");
        run(&mut p, "del a");
        run(&mut p, "get --prefix a");
        run(&mut p, "partition 1");
        run(&mut p, "sleep 1s");
        run(&mut p, "get a --keys-only");
        let r = p.client_history();
        let ops = r.operations();
        assert_eq!(ops.len(), 5, "{ops:#?}");
        assert!(matches!(ops[0].output, Output::Put { .. }));
        assert!(matches!(ops[1].output, Output::Get { kv: Some(_), .. }));
        assert_eq!(ops[2].client, 2);
        assert!(matches!(ops[3].output, Output::Delete { deleted: 1, .. }));
        assert!(matches!(ops[4].input, Input::Range { .. }));
        assert!(ops.iter().all(|o| o.return_ms.unwrap() >= o.call_ms));
        assert!(r.unmodelled_lines().is_empty());
        assert_eq!(check::check(ops).unwrap(), check::Verdict::Linearizable);
        run(&mut p, "heal");
        run(&mut p, "lock l");
        assert_eq!(p.client_history().unmodelled_lines().len(), 1);
    }

    /// The ops of `p`'s history, as (client, input kind) pairs, from the `from`-th on.
    fn kinds(p: &Playground, from: usize) -> Vec<(u32, &'static str)> {
        p.client_history().operations()[from..]
            .iter()
            .map(|o| {
                let kind = match o.input {
                    Input::Put { .. } => "put",
                    Input::PutWithLease { .. } => "put-lease",
                    Input::Get { .. } => "get",
                    Input::Range { .. } => "range",
                    Input::Delete { .. } => "del",
                    Input::DeleteRange { .. } => "del-range",
                    Input::Cas { .. } => "cas",
                    Input::Txn { .. } => "txn",
                    Input::LeaseGrant { .. } => "grant",
                    Input::LeaseRevoke { .. } => "revoke",
                    Input::Compact { .. } => "compact",
                };
                (o.client, kind)
            })
            .collect()
    }

    #[test]
    fn leases_range_deletes_and_expiries_are_operations() {
        let mut p = pg();
        p.run_until(3_000).unwrap();
        let leader = p.cluster().leader().unwrap() as u32;
        run(&mut p, "lease grant 2");
        let lease = match &p.client_history().operations()[0].output {
            Output::Lease { id, .. } => *id,
            other => panic!("{other:?}"),
        };
        assert_ne!(lease, 0, "the server's choice is recorded");
        run(&mut p, &format!("put --lease={lease:x} a 1"));
        run(&mut p, "put b 2");
        run(&mut p, "put c 3");
        run(&mut p, "lease grant 60");
        run(&mut p, "del --prefix b");
        run(&mut p, "del a z");
        run(&mut p, "put --lease=1 d 4");
        // Nobody keeps the first lease alive: the leader revokes it (a server operation).
        run(&mut p, &format!("put --lease={lease:x} a 1"));
        run(&mut p, "sleep 6s");
        run(&mut p, "get a");
        let leader_lease = p.client_history().operations()[4].output.clone();
        let Output::Lease { id: second, .. } = leader_lease else {
            panic!("{leader_lease:?}")
        };
        run(&mut p, &format!("lease revoke {second:x}"));
        assert_eq!(
            kinds(&p, 0),
            [
                (leader, "grant"),
                (leader, "put-lease"),
                (leader, "put"),
                (leader, "put"),
                (leader, "grant"),
                (leader, "del-range"),
                (leader, "del-range"),
                (leader, "put-lease"),
                (leader, "put-lease"),
                (SERVER_CLIENT, "revoke"),
                (leader, "get"),
                (leader, "revoke"),
            ]
        );
        let ops = p.client_history().operations();
        assert!(
            matches!(ops[6].output, Output::Delete { deleted: 2, .. }),
            "{:?}",
            ops[6]
        );
        assert!(
            matches!(ops[7].output, Output::Rejected { .. }),
            "{:?}",
            ops[7]
        );
        assert!(
            matches!(ops[10].output, Output::Get { kv: None, .. }),
            "{:?}",
            ops[10]
        );
        assert!(p.client_history().unmodelled_lines().is_empty());
        assert_eq!(check::check(ops).unwrap(), check::Verdict::Linearizable);
        // A history whose expiry revoke is missing cannot explain the read.
        let mut missing = ops.to_vec();
        missing.remove(9);
        assert!(matches!(
            check::check(&missing).unwrap(),
            check::Verdict::NotLinearizable { .. }
        ));
    }

    #[test]
    fn transactions_become_operations() {
        let mut p = pg();
        p.run_until(3_000).unwrap();
        let leader = p.cluster().leader().unwrap() as u32;
        run(&mut p, "put a x");
        run(
            &mut p,
            r#"txn value("a") = "x", version("a") = "1"; put b 1, get a, del a; put c 2"#,
        );
        run(&mut p, r#"txn value("a") = "x"; put b 2; put c 3"#);
        run(&mut p, r#"txn mod("k") > "0"; get k; get a"#);
        run(&mut p, "get c");
        assert_eq!(
            kinds(&p, 0),
            [
                (leader, "put"),
                (leader, "txn"),
                (leader, "txn"),
                (leader, "get")
            ]
        );
        let ops = p.client_history().operations();
        let Input::Txn {
            compares,
            success,
            failure,
        } = &ops[1].input
        else {
            panic!("{:?}", ops[1]);
        };
        assert_eq!(
            (compares.len(), success.len(), failure.len()),
            (2, 2, 1),
            "the get is left out"
        );
        assert_eq!(
            ops[1].output,
            Output::Cas {
                succeeded: true,
                revision: 3
            }
        );
        assert_eq!(
            ops[2].output,
            Output::Cas {
                succeeded: false,
                revision: 4
            }
        );
        assert_eq!(check::check(ops).unwrap(), check::Verdict::Linearizable);
        assert!(p.client_history().unmodelled_lines().is_empty());
    }

    #[test]
    fn an_unanswered_server_chosen_grant_is_unmodelled() {
        let mut p = pg();
        p.run_until(3_000).unwrap();
        let leader = p.cluster().leader().unwrap();
        run(&mut p, &format!("partition {leader}"));
        run(&mut p, &format!("--endpoints=node{leader} lease grant 10"));
        let lines = p.client_history().unmodelled_lines();
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].contains("lease ID is unknown"));
    }

    #[test]
    fn a_stale_follower_read_is_not_linearizable() {
        use crate::planted::{PlantedBug, PlantedBugs};
        let mut p = pg();
        p.set_planted_bugs(PlantedBugs::NONE.with(PlantedBug::FollowerLocalRead));
        p.run_until(3_000).unwrap();
        run(&mut p, "put x 1");
        run(&mut p, "sleep 1s");
        let c = p.cluster();
        let leader = c.leader();
        let f = c
            .node_ids()
            .into_iter()
            .find(|n| Some(*n) != leader)
            .unwrap();
        run(&mut p, &format!("partition {f}"));
        run(&mut p, "put x 2");
        run(&mut p, "sleep 100ms");
        run(&mut p, &format!("--endpoints=node{f} get x"));
        let ops = p.client_history().operations();
        assert!(
            matches!(&ops[2].output, Output::Get { kv: Some((v, _)), .. } if v == "1"),
            "{ops:#?}"
        );
        let verdict = check::check(ops).unwrap();
        assert!(
            matches!(verdict, check::Verdict::NotLinearizable { .. }),
            "{verdict:?}"
        );
    }
}
