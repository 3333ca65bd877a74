//! Runs a session on `raftlab repl`'s playground: each line as the repl runs it, each command's
//! own output collected.

use etcd::{Playground, Repl};
use sim::ClusterConfig;

use super::corpus::{substitute, Kind, Session, Step};

/// Virtual time each background command gets to settle, and the session at its end, as the
/// real harness waits in wall time.
const SETTLE_MS: u64 = 300;

/// One output per step.
pub fn run(session: &Session) -> Vec<String> {
    run_with(session, &[])
}

/// One output per step, after `prelude` lines that are not part of the transcript (a test
/// plants a bug this way).
pub fn run_with(session: &Session, prelude: &[&str]) -> Vec<String> {
    let pg = Playground::new(ClusterConfig::new(session.members, 1)).unwrap();
    let mut repl = Repl::new(pg).unwrap();
    for line in prelude {
        repl.line(line).unwrap();
    }
    let pg = repl.playground_mut();
    let mut ids: Vec<Option<u64>> = Vec::new();
    let mut background: Vec<u64> = Vec::new();
    let members: Vec<u64> = (1..=session.members as u64)
        .map(|n| etcd::ids::member_id(1, n))
        .collect();
    for step in &session.steps {
        let prior: Vec<String> = ids
            .iter()
            .map(|id| {
                id.and_then(|id| pg.output(id))
                    .map(|o| o.text.clone())
                    .unwrap_or_default()
            })
            .collect();
        let step = &Step {
            line: substitute(&step.line, &prior, &members),
            input: step
                .input
                .iter()
                .map(|l| substitute(l, &prior, &members))
                .collect(),
        };
        if step.kind() == Kind::Cancel {
            let live = background
                .iter()
                .rev()
                .find(|id| {
                    pg.output(**id).map(|o| o.state)
                        == Some(etcd::playground::CommandState::Running)
                })
                .copied();
            if let Some(id) = live {
                pg.cancel(id);
            }
            ids.push(None);
            continue;
        }
        let mut id = pg.exec(&step.line);
        for l in &step.input {
            if !pg.needs_more() {
                break;
            }
            id = pg.exec(l);
        }
        if pg.needs_more() {
            // A txn left open: etcdctl reads EOF.
            id = pg.exec("");
            while pg.needs_more() && id.is_none() {
                id = pg.exec("");
            }
        }
        if let Some(id) = id {
            pg.run_until_settled(id, etcd::repl::LINE_LIMIT_MS).unwrap();
            if step.kind() == Kind::Background {
                let t = pg.now() + SETTLE_MS;
                pg.run_until(t).unwrap();
                background.push(id);
            }
        }
        ids.push(id);
    }
    let t = pg.now() + SETTLE_MS;
    pg.run_until(t).unwrap();
    ids.iter()
        .map(|id| {
            id.and_then(|id| pg.output(id))
                .map(|o| o.text.clone())
                .unwrap_or_default()
        })
        .collect()
}
