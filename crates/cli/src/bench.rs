//! `raftlab bench`: committed proposals per wall-clock second through the simulator (trace and
//! invariants off), next to a minimal loop that drives bare raft-rs RawNodes over in-memory
//! queues with the same workload. Both apply every entry to the same `DigestMachine`.

use std::collections::VecDeque;
use std::time::Instant;

use clap::Args;
use raft::eraftpb::{ConfState, Entry, EntryType, Message};
use raft::storage::MemStorage;
use raft::{Config, RawNode, StateRole, Storage};
use sim::{ApplyContext, Cluster, ClusterConfig, DigestMachine, Outcome, StateMachine};

/// Options of `raftlab bench`.
#[derive(Args, Debug, Clone)]
pub struct BenchArgs {
    /// Cluster sizes to measure.
    #[arg(long, value_delimiter = ',', default_values_t = vec![3u64, 5, 7])]
    pub nodes: Vec<u64>,
    /// Proposals committed per measurement.
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(100..=10_000_000))]
    pub proposals: u64,
    /// Proposals per batch (the next batch is proposed once the previous one committed).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub window: u64,
    /// Measurements per cell; the median is reported.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=100))]
    pub repeat: u64,
}

fn payload(i: u64) -> Vec<u8> {
    format!("key{:05}=value{:06}", i % 1000, i).into_bytes()
}

/// Our simulator: returns committed proposals per second.
fn ours(nodes: u64, proposals: u64, window: u64) -> f64 {
    let mut cfg = ClusterConfig::new(nodes as usize, 1);
    cfg.trace = false;
    cfg.check_invariants = false;
    cfg.raft.compaction_threshold = 0;
    let mut c: Cluster<DigestMachine> = Cluster::new(cfg).expect("config");
    c.run_until_pred(10_000, |c| c.leader().is_some())
        .expect("run");
    let leader = c.leader().expect("leader");
    let start = Instant::now();
    let (mut proposed, mut done, mut outstanding) = (0u64, 0u64, 0u64);
    while done < proposals {
        // A batch of `window` proposals, the next one once it is all committed.
        while outstanding == 0 && proposed < proposals {
            for _ in 0..window.min(proposals - proposed) {
                c.propose(leader, payload(proposed));
                proposed += 1;
                outstanding += 1;
            }
        }
        c.step().expect("step");
        for d in c.take_completions() {
            outstanding -= 1;
            done += 1;
            // A healthy network commits everything; anything else would flatter the figure.
            assert!(matches!(d.outcome, Outcome::Written { .. }), "{d:?}");
        }
    }
    proposals as f64 / start.elapsed().as_secs_f64()
}

struct Bare {
    node: RawNode<MemStorage>,
    sm: DigestMachine,
}

fn bare_ready(b: &mut Bare, out: &mut VecDeque<Message>) -> u64 {
    if !b.node.has_ready() {
        return 0;
    }
    let mut applied = 0;
    let leader = b.node.raft.state == StateRole::Leader;
    let mut apply = |b: &mut Bare, ents: Vec<Entry>| {
        for e in ents {
            if e.get_entry_type() == EntryType::EntryNormal && !e.data.is_empty() {
                let ctx = ApplyContext {
                    node: b.node.raft.id,
                    index: e.index,
                    term: e.term,
                    time_ms: 0,
                    is_leader: leader,
                };
                b.sm.apply(&ctx, &e.data);
                if leader {
                    applied += 1;
                }
            }
        }
    };
    let store = b.node.raft.raft_log.store.clone();
    let mut rd = b.node.ready();
    out.extend(rd.take_messages());
    let committed = rd.take_committed_entries();
    apply(b, committed);
    store.wl().append(rd.entries()).expect("append");
    if let Some(hs) = rd.hs() {
        store.wl().set_hardstate(hs.clone());
    }
    out.extend(rd.take_persisted_messages());
    let mut light = b.node.advance(rd);
    if let Some(c) = light.commit_index() {
        store.wl().mut_hard_state().set_commit(c);
    }
    out.extend(light.take_messages());
    let committed = light.take_committed_entries();
    apply(b, committed);
    b.node.advance_apply();
    applied
}

/// Bare raft-rs RawNodes over in-memory queues: returns committed proposals per second.
fn bare(nodes: u64, proposals: u64, window: u64) -> f64 {
    let logger = slog::Logger::root(slog::Discard, slog::o!());
    let voters: Vec<u64> = (1..=nodes).collect();
    let mut rns: Vec<Bare> = voters
        .iter()
        .map(|id| {
            let storage =
                MemStorage::new_with_conf_state(ConfState::from((voters.clone(), vec![])));
            let cfg = Config {
                id: *id,
                election_tick: 10,
                heartbeat_tick: 1,
                max_inflight_msgs: 256,
                max_size_per_msg: 1024 * 1024,
                ..Default::default()
            };
            Bare {
                node: RawNode::new(&cfg, storage, &logger).expect("raw node"),
                sm: DigestMachine::default(),
            }
        })
        .collect();
    let mut q: VecDeque<Message> = VecDeque::new();
    rns[0].node.campaign().expect("campaign");
    let pump = |rns: &mut Vec<Bare>, q: &mut VecDeque<Message>| -> u64 {
        let mut applied = 0;
        for b in rns.iter_mut() {
            applied += bare_ready(b, q);
        }
        while let Some(m) = q.pop_front() {
            let to = (m.to - 1) as usize;
            let _ = rns[to].node.step(m);
            applied += bare_ready(&mut rns[to], q);
        }
        applied
    };
    while rns[0].node.raft.state != StateRole::Leader {
        pump(&mut rns, &mut q);
    }
    pump(&mut rns, &mut q);
    let start = Instant::now();
    let (mut proposed, mut done) = (0u64, 0u64);
    while done < proposals {
        if proposed == done {
            for _ in 0..window.min(proposals - proposed) {
                rns[0]
                    .node
                    .propose(vec![], payload(proposed))
                    .expect("propose");
                proposed += 1;
            }
        }
        done += pump(&mut rns, &mut q);
    }
    let _ = rns[0].node.raft.raft_log.store.last_index();
    proposals as f64 / start.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Runs `raftlab bench`; returns the exit status.
pub fn main(args: BenchArgs) -> i32 {
    if let Some(bad) = args.nodes.iter().find(|n| **n == 0 || **n > 51) {
        eprintln!("raftlab: node count {bad} is out of range (1 to 51)");
        return 2;
    }
    println!(
        "committed proposals per wall-clock second, median of {} (proposals {}, window {}, trace and invariants off)",
        args.repeat, args.proposals, args.window
    );
    println!(
        "{:>5}  {:>14}  {:>14}  {:>6}  {:>12}",
        "nodes", "raftlab", "bare raft-rs", "ratio", "paired ratio"
    );
    for n in &args.nodes {
        let (mut o, mut b, mut r) = (Vec::new(), Vec::new(), Vec::new());
        // Interleave so both see the same machine conditions; the paired ratio (median of each
        // run's ratio to the bare run right after it) is the steadier figure on a busy machine.
        for _ in 0..args.repeat {
            let ours = ours(*n, args.proposals, args.window);
            let bare = bare(*n, args.proposals, args.window);
            r.push(ours / bare);
            o.push(ours);
            b.push(bare);
        }
        let (mo, mb) = (median(o), median(b));
        println!(
            "{:>5}  {:>14.0}  {:>14.0}  {:>6.2}  {:>12.2}",
            n,
            mo,
            mb,
            mo / mb,
            median(r)
        );
    }
    0
}
