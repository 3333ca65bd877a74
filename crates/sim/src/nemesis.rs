//! A seeded random nemesis and client load: faults come and go while clients propose.
//!
//! The nemesis reacts to the cluster (it isolates the current leader, crashes a node that is up),
//! and since the cluster is deterministic, so is everything it does. One fault is active at a
//! time; each lasts a random while, then is undone and the cluster gets a quiet spell.

use serde::Serialize;

use crate::action::Action;
use crate::cluster::Cluster;
use crate::config::LinkConfig;
use crate::error::Result;
use crate::node::NodeStatus;
use crate::rng::{stream, SimRng};
use crate::state_machine::StateMachine;

/// What the nemesis may do and how often.
#[derive(Clone, Debug, Serialize)]
pub struct NemesisConfig {
    /// Inject faults at all (off = client load only).
    pub faults: bool,
    /// A fault lasts between these many ms.
    pub fault_ms: (u64, u64),
    /// Quiet time between faults, in ms.
    pub quiet_ms: (u64, u64),
    /// Client proposals per virtual second (0 = none).
    pub proposals_per_sec: u64,
    /// Include membership changes (remove a voter and add it back as a new learner, promote).
    pub membership: bool,
}

impl Default for NemesisConfig {
    fn default() -> Self {
        NemesisConfig {
            faults: true,
            fault_ms: (1_000, 5_000),
            quiet_ms: (500, 3_000),
            proposals_per_sec: 20,
            membership: false,
        }
    }
}

/// The fault currently in force, so it can be undone.
#[derive(Clone, Debug, PartialEq)]
enum Active {
    None,
    Partition,
    Crash(u64),
    Pause(u64),
    Network,
    Link(u64, u64),
    Learner(u64),
}

/// A seeded nemesis with a client load.
#[derive(Clone, Debug)]
pub struct RandomNemesis {
    cfg: NemesisConfig,
    rng: SimRng,
    load: SimRng,
    active: Active,
    next_fault: u64,
    next_proposal: u64,
    proposals: u64,
}

impl RandomNemesis {
    /// A nemesis drawing from `seed`'s nemesis and workload streams.
    pub fn new(seed: u64, cfg: NemesisConfig) -> Self {
        let mut rng = SimRng::sub(seed, stream::NEMESIS);
        let first = rng.range_inclusive(cfg.quiet_ms.0, cfg.quiet_ms.1) + 2_000;
        RandomNemesis {
            cfg,
            rng,
            load: SimRng::sub(seed, stream::WORKLOAD),
            active: Active::None,
            next_fault: first,
            next_proposal: 1_000,
            proposals: 0,
        }
    }

    /// Client proposals made so far.
    pub fn proposals(&self) -> u64 {
        self.proposals
    }

    /// Virtual time of the next thing the nemesis (or its client load) wants to do.
    pub fn next_due(&self) -> u64 {
        let f = if self.cfg.faults {
            self.next_fault
        } else {
            u64::MAX
        };
        let p = if self.cfg.proposals_per_sec > 0 {
            self.next_proposal
        } else {
            u64::MAX
        };
        f.min(p)
    }

    /// Runs `cluster` until virtual time `until`, acting whenever something is due.
    ///
    /// # Errors
    /// An invariant violation stops the run.
    pub fn drive<SM: StateMachine>(&mut self, cluster: &mut Cluster<SM>, until: u64) -> Result<()> {
        loop {
            let t = self.next_due().min(until);
            cluster.run_until(t)?;
            if t >= until {
                return Ok(());
            }
            self.act(cluster)?;
        }
    }

    /// Does whatever is due at the cluster's current time.
    ///
    /// # Errors
    /// An invariant violation.
    pub fn act<SM: StateMachine>(&mut self, c: &mut Cluster<SM>) -> Result<()> {
        let now = c.now();
        if self.cfg.proposals_per_sec > 0 && now >= self.next_proposal {
            self.propose(c);
            let gap = 1_000 / self.cfg.proposals_per_sec.max(1);
            self.next_proposal = now + self.load.range_inclusive(gap / 2, gap + gap / 2).max(1);
        }
        if self.cfg.faults && now >= self.next_fault {
            if self.active == Active::None {
                self.inject(c)?;
                self.next_fault = now
                    + self
                        .rng
                        .range_inclusive(self.cfg.fault_ms.0, self.cfg.fault_ms.1);
            } else {
                self.undo(c)?;
                self.next_fault = now
                    + self
                        .rng
                        .range_inclusive(self.cfg.quiet_ms.0, self.cfg.quiet_ms.1);
            }
        }
        Ok(())
    }

    fn propose<SM: StateMachine>(&mut self, c: &mut Cluster<SM>) {
        let ids = c.node_ids();
        let node = match c.leader() {
            Some(l) if self.load.chance(0.7) => l,
            _ => ids[self.load.below(ids.len() as u64) as usize],
        };
        self.proposals += 1;
        let data = format!("k{}=v{}", self.load.below(16), self.proposals).into_bytes();
        c.propose(node, data);
    }

    fn up_nodes<SM: StateMachine>(c: &Cluster<SM>) -> Vec<u64> {
        c.node_ids()
            .into_iter()
            .filter(|n| c.status(*n).ok() == Some(NodeStatus::Up))
            .collect()
    }

    fn pick(&mut self, v: &[u64]) -> Option<u64> {
        (!v.is_empty()).then(|| v[self.rng.below(v.len() as u64) as usize])
    }

    fn inject<SM: StateMachine>(&mut self, c: &mut Cluster<SM>) -> Result<()> {
        let ids = c.node_ids();
        let up = Self::up_nodes(c);
        let choice = self.rng.below(if self.cfg.membership { 9 } else { 8 });
        let (action, active) = match choice {
            0 => {
                // Random split into two groups.
                let mut a = Vec::new();
                let mut b = Vec::new();
                for n in &ids {
                    if self.rng.chance(0.5) {
                        a.push(*n)
                    } else {
                        b.push(*n)
                    }
                }
                if a.is_empty() || b.is_empty() {
                    let n = self.pick(&ids).unwrap_or(1);
                    a = vec![n];
                    b = ids.iter().copied().filter(|m| *m != n).collect();
                }
                (Action::Partition(vec![a, b]), Active::Partition)
            }
            1 => {
                // Isolate the leader (or a random node).
                let n = c.leader().or_else(|| self.pick(&ids)).unwrap_or(1);
                let rest = ids.iter().copied().filter(|m| *m != n).collect();
                (Action::Partition(vec![vec![n], rest]), Active::Partition)
            }
            2 => match self.pick(&up) {
                Some(n) => (Action::Crash(n), Active::Crash(n)),
                None => return Ok(()),
            },
            3 => match self.pick(&up) {
                Some(n) => (Action::Pause(n), Active::Pause(n)),
                None => return Ok(()),
            },
            4 => {
                let drop = 0.05 + self.rng.below(25) as f64 / 100.0;
                (
                    Action::SetNetwork(LinkConfig {
                        drop_prob: drop,
                        ..LinkConfig::default()
                    }),
                    Active::Network,
                )
            }
            5 => {
                let hi = 20 + self.rng.below(300);
                (
                    Action::SetNetwork(LinkConfig {
                        latency_min_ms: 1,
                        latency_max_ms: hi,
                        reorder: self.rng.chance(0.5),
                        duplicate_prob: if self.rng.chance(0.5) { 0.1 } else { 0.0 },
                        ..LinkConfig::default()
                    }),
                    Active::Network,
                )
            }
            6 => {
                let a = self.pick(&ids).unwrap_or(1);
                let others: Vec<u64> = ids.iter().copied().filter(|m| *m != a).collect();
                match self.pick(&others) {
                    Some(b) => (Action::Cut { from: a, to: b }, Active::Link(a, b)),
                    None => return Ok(()),
                }
            }
            7 => match self.pick(&up) {
                Some(n) => {
                    c.apply(Action::TransferLeader(n)).or_else(ignore_refusal)?;
                    return Ok(());
                }
                None => return Ok(()),
            },
            _ => {
                // Membership: demote a random follower to learner and back, through joint
                // consensus (remove, then add as learner, then promote when undone).
                let leader = c.leader();
                let followers: Vec<u64> =
                    up.iter().copied().filter(|n| Some(*n) != leader).collect();
                match self.pick(&followers) {
                    Some(n) => (Action::AddLearner(n), Active::Learner(n)),
                    None => return Ok(()),
                }
            }
        };
        c.apply(action).or_else(ignore_refusal)?;
        self.active = active;
        Ok(())
    }

    /// Undoes the fault in force, if any.
    ///
    /// # Errors
    /// An invariant violation.
    pub fn undo<SM: StateMachine>(&mut self, c: &mut Cluster<SM>) -> Result<()> {
        let action = match std::mem::replace(&mut self.active, Active::None) {
            Active::None => return Ok(()),
            Active::Partition => Action::Heal,
            Active::Crash(n) => Action::Restart(n),
            Active::Pause(n) => Action::Resume(n),
            Active::Network => Action::SetNetwork(LinkConfig::default()),
            Active::Link(a, b) => Action::Restore { from: a, to: b },
            Active::Learner(n) => Action::Promote(n),
        };
        c.apply(action).or_else(ignore_refusal)
    }
}

/// The cluster may refuse an action (no leader for a transfer, say); a nemesis shrugs. Only an
/// invariant violation stops it.
fn ignore_refusal(e: crate::Error) -> Result<()> {
    match e {
        crate::Error::Invariant(_) => Err(e),
        _ => Ok(()),
    }
}

/// The headless run behind `raftlab run` and the determinism tests: a `DigestMachine` cluster
/// driven for `duration_ms` by a seeded client load and, if `faults`, a random nemesis. After
/// the nemesis stops, every fault is undone and the cluster gets a few quiet seconds so that
/// replicas converge.
///
/// # Errors
/// An invalid configuration or an invariant violation.
pub fn headless_run(
    cfg: crate::ClusterConfig,
    nemesis: NemesisConfig,
    duration_ms: u64,
) -> Result<Cluster<crate::DigestMachine>> {
    headless_run_on(cfg, nemesis, duration_ms)
}

/// [`headless_run`] on a cluster of any state machine (the proposals are the same bytes,
/// whatever the machine makes of them). The browser runs it on the etcd machine it already
/// carries, so that its bundle holds one `Cluster` instead of two.
///
/// # Errors
/// An invalid configuration or an invariant violation.
pub fn headless_run_on<SM: StateMachine>(
    cfg: crate::ClusterConfig,
    nemesis: NemesisConfig,
    duration_ms: u64,
) -> Result<Cluster<SM>> {
    let seed = cfg.seed;
    let mut c = Cluster::new(cfg)?;
    let mut n = RandomNemesis::new(seed, nemesis);
    n.drive(&mut c, duration_ms)?;
    n.undo(&mut c)?;
    Ok(c)
}

/// (seed, nodes, faults) of the runs whose 20 s trace hashes are pinned in
/// `tests/golden/trace_hashes.txt`, checked natively and in wasm.
pub const GOLDEN_CASES: &[(u64, usize, bool)] =
    &[(1, 5, true), (42, 5, true), (7, 3, false), (2026, 7, true)];
