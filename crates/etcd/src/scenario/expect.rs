//! What a lesson step expects of the cluster.

use std::fmt;

use sim::{NodeStatus, Role};

use crate::machine::EtcdQuery;
use crate::playground::Playground;

/// An expectation, checked against the playground.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Some node leads.
    Leader,
    /// No node leads.
    NoLeader,
    /// An election has started: some node's election timer fired and it campaigns (as a
    /// pre-candidate or candidate) or already leads.
    Election,
    /// The leader (or its term) differs from the step's start.
    LeaderChange,
    /// A specific node leads.
    LeaderIs(u64),
    /// Node `n` has this role.
    Role(u64, Role),
    /// Node `n` has this status.
    Status(u64, NodeStatus),
    /// The leader's store holds `key` = `value`.
    Key(String, String),
    /// The leader's store does not hold `key`.
    NoKey(String),
    /// Every running node has applied at least this index.
    Applied(u64),
    /// The leader's term is at least this.
    TermAtLeast(u64),
    /// Some command output of the step contains this text.
    Output(String),
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Leader => write!(f, "a leader is elected"),
            Expect::NoLeader => write!(f, "no node leads"),
            Expect::Election => write!(f, "a node's election timer fires and it campaigns"),
            Expect::LeaderChange => write!(f, "the leader changes"),
            Expect::LeaderIs(n) => write!(f, "node {n} leads"),
            Expect::Role(n, r) => write!(f, "node {n} is {}", r.as_str()),
            Expect::Status(n, s) => write!(f, "node {n} is {}", s.as_str()),
            Expect::Key(k, v) => write!(f, "key {k} holds {v}"),
            Expect::NoKey(k) => write!(f, "key {k} does not exist"),
            Expect::Applied(i) => write!(f, "every running node applied index {i}"),
            Expect::TermAtLeast(t) => write!(f, "the term reaches {t}"),
            Expect::Output(s) => write!(f, "the output shows {s:?}"),
        }
    }
}

fn node(s: &str) -> Result<u64, String> {
    s.trim_start_matches("node")
        .parse::<u64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("bad node {s:?}"))
}

impl Expect {
    /// Parses the text after `@expect`.
    ///
    /// # Errors
    /// A reason naming what is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let w: Vec<&str> = text.split_whitespace().collect();
        Ok(match w.as_slice() {
            ["leader"] => Expect::Leader,
            ["no-leader"] => Expect::NoLeader,
            ["election"] => Expect::Election,
            ["leader-change"] => Expect::LeaderChange,
            ["leader", n] => Expect::LeaderIs(node(n)?),
            ["term", ">=", t] => Expect::TermAtLeast(t.parse().map_err(|_| format!("bad term {t:?}"))?),
            ["applied", i] => Expect::Applied(i.parse().map_err(|_| format!("bad index {i:?}"))?),
            ["key", k, v] => Expect::Key(k.to_string(), v.to_string()),
            ["no-key", k] => Expect::NoKey(k.to_string()),
            ["node", n, what] => {
                let n = node(n)?;
                match *what {
                    "leader" => Expect::Role(n, Role::Leader),
                    "follower" => Expect::Role(n, Role::Follower),
                    "candidate" => Expect::Role(n, Role::Candidate),
                    "pre-candidate" => Expect::Role(n, Role::PreCandidate),
                    "up" => Expect::Status(n, NodeStatus::Up),
                    "paused" => Expect::Status(n, NodeStatus::Paused),
                    "crashed" => Expect::Status(n, NodeStatus::Crashed),
                    other => return Err(format!("unknown node state {other:?}")),
                }
            }
            ["output", ..] => Expect::Output(text.trim_start()[6..].trim().trim_matches('"').to_string()),
            _ => {
                return Err(format!(
                    "unknown expectation {text:?} (leader, no-leader, election, leader-change, leader N, node N <role|status>, key K V, no-key K, applied N, term >= N, output TEXT)"
                ))
            }
        })
    }

    /// Checks the expectation. `start` is (leader, term) when the step began; `output` the text
    /// the step's commands printed.
    pub fn holds(&self, pg: &Playground, start: (Option<u64>, u64), output: &str) -> bool {
        let c = pg.cluster();
        let leader = c.leader();
        let term = leader.and_then(|l| c.role(l)).map_or(0, |r| r.1);
        let get = |k: &str| {
            let l = leader?;
            let a = c
                .read_local(
                    l,
                    &EtcdQuery::Range(kv::RangeRequest {
                        key: k.as_bytes().to_vec(),
                        ..Default::default()
                    }),
                )
                .ok()?;
            a.result.ok()?.kvs.into_iter().next()
        };
        match self {
            Expect::Leader => leader.is_some(),
            Expect::NoLeader => leader.is_none(),
            Expect::Election => c.node_ids().into_iter().any(|n| {
                c.role(n).is_some_and(|(r, _, _)| {
                    matches!(r, Role::PreCandidate | Role::Candidate | Role::Leader)
                })
            }),
            Expect::LeaderChange => leader.is_some() && (leader != start.0 || term > start.1),
            Expect::LeaderIs(n) => leader == Some(*n),
            Expect::Role(n, r) => c.role(*n).is_some_and(|x| x.0 == *r),
            Expect::Status(n, s) => c.status(*n).ok() == Some(*s),
            Expect::Key(k, v) => get(k).is_some_and(|kv| kv.value == v.as_bytes()),
            Expect::NoKey(k) => leader.is_some() && get(k).is_none(),
            Expect::Applied(i) => c
                .node_ids()
                .into_iter()
                .filter(|n| c.status(*n).ok() == Some(NodeStatus::Up))
                .all(|n| c.applied_index(n).unwrap_or(0) >= *i),
            Expect::TermAtLeast(t) => term >= *t,
            Expect::Output(s) => output.contains(s.as_str()),
        }
    }
}
