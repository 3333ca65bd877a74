//! "Why?": plain-words explanations of a node's state, a message or a log entry, derived from
//! the trace (and the real messages in it), each naming the Raft rule that produced it and where
//! the rule comes from (the Raft paper's section, or raft-rs's or etcd's behaviour).
//!
//! Nothing here is invented: every number in an explanation is read from the trace (times,
//! terms, indexes, who sent what to whom) or computed the way the simulation computes it (the
//! randomized election timeout is a pure function of seed, node and term). When the kept trace
//! no longer holds what an explanation needs, it says so instead of guessing; when what a node
//! did disagrees with what the rebuilt state predicts, the explanation reports what happened and
//! says the reason is not known.
//!
//! ```
//! use sim::{Cluster, ClusterConfig, DigestMachine};
//! use sim::explain::{self, Params};
//!
//! let mut c: Cluster<DigestMachine> = Cluster::new(ClusterConfig::new(3, 1)).unwrap();
//! c.run_for(3_000).unwrap();
//! let leader = c.leader().unwrap();
//! let p = Params::of(c.config());
//! let events: Vec<_> = c.trace().events().cloned().collect();
//! let why = explain::node(&events, &p, leader);
//! assert!(why.headline.contains("won the election"), "{}", why.headline);
//! ```

mod entries;
mod messages;
mod nodes;
pub mod replay;
mod votes;

use std::fmt;

use serde::Serialize;

use crate::config::ClusterConfig;
use crate::trace::TraceEvent;

pub use entries::entry;
pub use messages::message;
pub use nodes::node;

/// Where a rule comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Source {
    /// A section of the Raft paper (Ongaro and Ousterhout, "In Search of an Understandable
    /// Consensus Algorithm"), e.g. "5.4.1".
    Paper(&'static str),
    /// A section of Ongaro's thesis ("Consensus: Bridging Theory and Practice").
    Thesis(&'static str),
    /// raft-rs behaviour (the function or option named).
    RaftRs(&'static str),
    /// etcd behaviour.
    Etcd(&'static str),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Paper(s) => write!(f, "Raft paper §{s}"),
            Source::Thesis(s) => write!(f, "Raft thesis §{s}"),
            Source::RaftRs(s) => write!(f, "raft-rs: {s}"),
            Source::Etcd(s) => write!(f, "etcd: {s}"),
        }
    }
}

/// Why a vote or pre-vote was refused or ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Refusal {
    /// The candidate's term is behind the voter's.
    StaleTerm,
    /// The voter's log is more up to date than the candidate's (§5.4.1).
    LogBehind,
    /// The voter already voted for this other node in the term.
    AlreadyVoted(u64),
    /// The voter already follows this leader in the term.
    KnowsLeader(u64),
    /// Check-quorum lease: the voter heard from this leader less than an election timeout ago.
    Lease(u64),
}

/// The case an explanation covers (for the UI and for tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Case {
    /// A node's election timer ran out and it started an election (or pre-vote).
    ElectionTimeout,
    /// A person asked a node to campaign.
    Campaign,
    /// A leader handed leadership over (MsgTimeoutNow).
    Transfer,
    /// A pre-candidate got a majority of pre-votes and became a candidate.
    PreVoteWon,
    /// A candidate won the election.
    Elected,
    /// A vote or pre-vote granted.
    VoteGranted,
    /// A vote or pre-vote refused with a response.
    VoteRefused(Refusal),
    /// A vote or pre-vote request dropped without a response.
    VoteIgnored(Refusal),
    /// A leader stepped down because it did not hear from a majority (check-quorum).
    CheckQuorumStepDown,
    /// A node saw a higher term and became a follower.
    HigherTerm,
    /// A follower of a leader.
    Following,
    /// An append the follower accepted.
    AppendAccepted,
    /// An append the follower rejected (log matching), and the leader's back-off.
    AppendRejected,
    /// A heartbeat (or its response).
    Heartbeat,
    /// A commit index advanced on a majority's match indexes.
    CommitAdvanced,
    /// A log entry: who wrote it, where it is replicated, whether it is committed.
    Entry,
    /// Entries replaced after a partition healed.
    Overwritten,
    /// A ReadIndex round.
    ReadIndex,
    /// A snapshot sent instead of entries.
    SnapshotSent,
    /// A forwarded proposal.
    Forwarded,
    /// A message lost by the network.
    Lost,
    /// A lease revoked by the leader (etcd).
    LeaseRevoked,
    /// Crashed or paused by a person.
    Down,
    /// Nothing better can be said from the kept trace.
    Unknown,
}

/// An explanation: a one-sentence headline, the facts behind it, and the rule's sources.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Why {
    /// The case.
    pub case: Case,
    /// One plain sentence.
    pub headline: String,
    /// Further sentences: facts from the trace and the rule they follow.
    pub details: Vec<String>,
    /// Where the rules come from.
    pub sources: Vec<Source>,
}

impl Why {
    /// An explanation with a headline.
    pub fn new(case: Case, headline: impl Into<String>) -> Self {
        Why {
            case,
            headline: headline.into(),
            details: Vec::new(),
            sources: Vec::new(),
        }
    }

    /// Adds a sentence.
    pub fn detail(mut self, s: impl Into<String>) -> Self {
        self.details.push(s.into());
        self
    }

    /// Adds a source (once).
    pub fn source(mut self, s: Source) -> Self {
        if !self.sources.contains(&s) {
            self.sources.push(s);
        }
        self
    }

    /// Everything as one text: the headline, the details, then the sources.
    pub fn text(&self) -> String {
        let mut out = self.headline.clone();
        for d in &self.details {
            out.push(' ');
            out.push_str(d);
        }
        if !self.sources.is_empty() {
            let s: Vec<String> = self.sources.iter().map(Source::to_string).collect();
            out.push_str(&format!(" ({})", s.join("; ")));
        }
        out
    }
}

/// The settings of the run that explanations need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// The run's seed (the randomized election timeouts derive from it).
    pub seed: u64,
    /// Virtual ms per tick.
    pub tick_ms: u64,
    /// Election timeout in ticks.
    pub election_tick: usize,
    /// Heartbeat interval in ticks.
    pub heartbeat_tick: usize,
    /// Pre-vote on.
    pub pre_vote: bool,
    /// Check-quorum on.
    pub check_quorum: bool,
    /// Number of voters in the cluster's first configuration (for majorities).
    pub voters: usize,
    /// Configuration changes as nodes applied them, oldest first: a node counts the majority of
    /// its latest configuration (see [`Params::voters_at`]).
    pub voter_changes: Vec<crate::VotersChange>,
}

impl Params {
    /// The parameters of a cluster built from `config` (voters: its initial nodes).
    pub fn of(config: &ClusterConfig) -> Self {
        Params {
            seed: config.seed,
            tick_ms: config.tick_ms,
            election_tick: config.raft.election_tick,
            heartbeat_tick: config.raft.heartbeat_tick,
            pre_vote: config.raft.pre_vote,
            check_quorum: config.raft.check_quorum,
            voters: config.nodes,
            voter_changes: Vec::new(),
        }
    }

    /// The parameters of `cluster` as it stands, with the membership changes its nodes applied.
    pub fn of_cluster<SM: crate::StateMachine>(cluster: &crate::Cluster<SM>) -> Self {
        Params {
            voter_changes: cluster.voter_changes().iter().copied().collect(),
            ..Params::of(cluster.config())
        }
    }

    /// The voters node `node` counted at trace event `seq`: those of the last configuration
    /// change it applied before that event, else the cluster's first configuration.
    pub fn voters_at(&self, node: u64, seq: u64) -> usize {
        self.voter_changes
            .iter()
            .rev()
            .find(|c| c.node == node && c.seq <= seq)
            .map_or(self.voters, |c| c.voters)
    }

    /// The majority of the voters node `node` counted at trace event `seq`.
    pub fn majority_at(&self, node: u64, seq: u64) -> usize {
        self.voters_at(node, seq) / 2 + 1
    }

    /// The randomized election timeout (in ticks) of `node` in `term`, as the simulation draws
    /// it: raft-rs's range `[election_tick, 2 * election_tick)`.
    pub fn timeout_ticks(&self, node: u64, term: u64) -> usize {
        crate::rng::election_timeout(
            self.seed,
            node,
            term,
            self.election_tick,
            2 * self.election_tick,
        )
    }

    /// The election timeout in ms.
    pub fn election_ms(&self) -> u64 {
        self.election_tick as u64 * self.tick_ms
    }
}

/// A virtual time as a person reads it: "1.25 s".
pub fn secs(ms: u64) -> String {
    let whole = ms / 1000;
    let frac = ms % 1000;
    if frac == 0 {
        format!("{whole}.0 s")
    } else {
        let f = format!("{frac:03}");
        format!("{whole}.{} s", f.trim_end_matches('0'))
    }
}

/// The kept trace as a slice of events, for the explainers.
pub(crate) fn note_partial(why: Why, events: &[TraceEvent]) -> Why {
    match events.first() {
        Some(e) if e.seq > 0 => why.detail(format!(
            "(The kept trace starts at {}; what happened before is rebuilt only as far as later \
             events tell.)",
            secs(e.time_ms)
        )),
        _ => why,
    }
}

/// A list of node ids in words: "1, 2 and 4".
pub(crate) fn ids(list: &[u64]) -> String {
    let s: Vec<String> = list.iter().map(u64::to_string).collect();
    match s.len() {
        0 => "none".into(),
        1 => s[0].clone(),
        n => format!("{} and {}", s[..n - 1].join(", "), s[n - 1]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_lists_read_plainly() {
        assert_eq!(secs(0), "0.0 s");
        assert_eq!(secs(1250), "1.25 s");
        assert_eq!(secs(10_000), "10.0 s");
        assert_eq!(secs(8_705), "8.705 s");
        assert_eq!(ids(&[1, 2, 4]), "1, 2 and 4");
        assert_eq!(ids(&[3]), "3");
    }

    #[test]
    fn timeouts_are_the_simulations() {
        let p = Params::of(&ClusterConfig::new(5, 7));
        for node in 1..=5 {
            for term in 1..5 {
                let t = p.timeout_ticks(node, term);
                assert!((10..20).contains(&t));
                assert_eq!(t, crate::rng::election_timeout(7, node, term, 10, 20));
            }
        }
    }
}
