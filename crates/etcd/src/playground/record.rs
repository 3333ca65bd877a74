//! The session's client operations in the checker's terms, for the browser's Check panel.
//!
//! Every `put`, single-key `del`, linearizable `get` (one key or a plain range; serializable reads may be stale by design) and compare-and-set `txn`
//! (`mod(key) = N` then one put) run in the playground is recorded with its call time (virtual
//! ms when it was started), its return time and its structured result (through
//! [`crate::history::Recorder`], not by parsing text). The client of an operation is the member
//! the request went to, so a timeline has one lane per member. Failed or timed-out writes are
//! unknown outcomes. Commands that change the key space in ways the model does not know (range
//! deletes, other txns, leases, locks, elections, gateway writes) are noted by line, so that a
//! check can say the history is incomplete instead of reporting a false violation.

use check::history::{Input, Operation};
use kv::{CompareResult, RequestOp, SortOrder, SortTarget, TargetUnion, TxnRequest};

use super::{CommandId, Playground};
use crate::ctl::{Command, GatewayRequest, Invocation, Target};
use crate::history::Recorder;
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
        Command::Put(p) if p.lease == 0 && !p.ignore_value && !p.ignore_lease => {
            Recording::Op(Input::Put {
                key: text(&p.key),
                value: text(&p.value),
            })
        }
        Command::Del { req } if req.range_end.is_empty() => Recording::Op(Input::Delete {
            key: text(&req.key),
        }),
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
                })
            } else {
                Recording::Ignore
            }
        }
        Command::Txn(t) => match cas(t) {
            Some(input) => Recording::Op(input),
            None if read_only(&t.success) && read_only(&t.failure) => Recording::Ignore,
            None => Recording::Unmodelled,
        },
        Command::Put(_)
        | Command::Del { .. }
        | Command::LeaseRevoke { .. }
        | Command::Lock { .. }
        | Command::Elect { .. } => Recording::Unmodelled,
        Command::Gateway(g) => match g {
            GatewayRequest::Range(_) | GatewayRequest::LeaseKeepAlive { .. } => Recording::Ignore,
            GatewayRequest::LeaseGrant { .. } => Recording::Ignore,
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
        if self.rec.is_pending(op) {
            self.rec.answer(op, result, now);
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
            Target::Default => self.service.cluster().leader().unwrap_or(1),
        };
        (recording(&inv.command), node)
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
                let op = self.ops.iter().find_map(|(op, (cmd, p))| {
                    (*cmd == id && matches!(p, super::tasks::Purpose::Single(_))).then_some(*op)
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
