//! The one place that knows what runs under the playground.
//!
//! Until the etcd service's `etcd::Playground` facade exists, this is a stand-in with the same
//! shape over `sim::Cluster<sim::DigestMachine>`: it takes the fault and time lines of the repl
//! language itself (partition, heal, crash, restart, pause, resume, cut, restore, hold, release,
//! discard, move-leader, campaign, sleep, run) plus `propose [node] text`, and answers etcdctl
//! commands with a note that they arrive with the etcd service. Everything else in the web crate
//! talks to [`Engine`] only through the methods below, so switching to the facade is a change
//! of this file.

use std::collections::BTreeMap;

use sim::{Action, Cluster, ClusterConfig, Outcome, RequestId};

/// The replicated state machine the playground runs.
pub type Machine = sim::DigestMachine;

/// Identifies a console command for the whole run.
pub type CommandId = u64;

/// Where a command is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandState {
    /// Still waiting on the cluster (a write, a sleep, a watch).
    Running,
    /// Finished.
    Done,
    /// Finished with an error.
    Failed,
}

/// The output of one command so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandOutput {
    /// Text as the repl prints it.
    pub text: String,
    /// Running, done or failed.
    pub state: CommandState,
}

/// An open watch, for the watch panel (filled once the etcd service lands).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchView {
    /// The command that opened it.
    pub id: CommandId,
    /// Key or prefix.
    pub key: String,
    /// Events so far, as printed.
    pub events: Vec<String>,
}

/// A lease, for the lease panel (filled once the etcd service lands).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseView {
    /// Lease id in hex.
    pub id: String,
    /// Granted TTL in seconds.
    pub ttl_s: u64,
    /// Remaining virtual ms.
    pub remaining_ms: u64,
    /// Attached keys.
    pub keys: Vec<String>,
}

/// What the command is waiting for.
enum Wait {
    Until(u64),
    Request(RequestId),
}

/// The playground engine: a cluster plus the console's commands.
pub struct Engine {
    cluster: Cluster<Machine>,
    outputs: Vec<CommandOutput>,
    waiting: BTreeMap<CommandId, Wait>,
}

const ETCD_LATER: &str = "etcd commands arrive with the etcd service; until then this console \
takes fault and time lines (try `help`)";

const HELP: &str = "\
faults:  partition 1,2 3,4,5 | heal | crash N | restart N | pause N | resume N
links:   cut A->B | restore A->B | hold A->B | release A->B | discard A->B
         link A->B drop=0.1 latency=5-20ms | network drop=0 latency=2-10ms
leaders: move-leader N | campaign N
time:    sleep 5s (waits in virtual time) | run 2s (runs at once)
writes:  propose [N] text (a raw Raft entry; etcd commands arrive with the etcd service)";

impl Engine {
    /// A fresh cluster.
    ///
    /// # Errors
    /// A one-line message for a bad option.
    pub fn new(config: ClusterConfig) -> Result<Self, String> {
        Ok(Engine {
            cluster: Cluster::new(config).map_err(|e| e.to_string())?,
            outputs: Vec::new(),
            waiting: BTreeMap::new(),
        })
    }

    /// The cluster, read only.
    pub fn cluster(&self) -> &Cluster<Machine> {
        &self.cluster
    }

    /// Virtual time in ms.
    pub fn now(&self) -> u64 {
        self.cluster.now()
    }

    /// Runs one event, then settles the commands it finished.
    ///
    /// # Errors
    /// The invariant violation that stopped the run.
    pub fn step(&mut self) -> Result<u64, String> {
        let t = self.cluster.step().map_err(|e| e.to_string())?;
        self.settle();
        Ok(t)
    }

    /// Runs every event up to `t` (virtual ms).
    ///
    /// # Errors
    /// The invariant violation that stopped the run.
    pub fn run_until(&mut self, t: u64) -> Result<(), String> {
        while let Some(next) = self.cluster.next_event_time() {
            if next > t {
                break;
            }
            self.step()?;
        }
        self.cluster.run_until(t).map_err(|e| e.to_string())?;
        self.settle();
        Ok(())
    }

    /// A client write used by the playground's background load.
    pub fn client_op(&mut self, n: u64) {
        let node = self.cluster.leader().unwrap_or(1);
        self.cluster.propose(node, format!("load {n}").into_bytes());
    }

    /// Starts a console line. Fault lines finish at once; sleeps and writes finish later.
    pub fn exec(&mut self, line: &str) -> CommandId {
        let id = self.outputs.len() as CommandId;
        let (state, text, wait) = match self.start(line.trim()) {
            Ok((text, None)) => (CommandState::Done, text, None),
            Ok((text, Some(w))) => (CommandState::Running, text, Some(w)),
            Err(e) => (CommandState::Failed, format!("Error: {e}"), None),
        };
        self.outputs.push(CommandOutput { text, state });
        if let Some(w) = wait {
            self.waiting.insert(id, w);
        }
        self.settle();
        id
    }

    /// A command's output so far.
    pub fn output(&self, id: CommandId) -> Option<&CommandOutput> {
        self.outputs.get(id as usize)
    }

    /// Stops a running command (a sleep or a watch). Returns whether it was running.
    pub fn cancel(&mut self, id: CommandId) -> bool {
        if self.waiting.remove(&id).is_some() {
            if let Some(o) = self.outputs.get_mut(id as usize) {
                o.state = CommandState::Done;
                if !o.text.is_empty() {
                    o.text.push('\n');
                }
                o.text.push_str("cancelled");
            }
            true
        } else {
            false
        }
    }

    /// Open watches (none before the etcd service).
    pub fn watches(&self) -> Vec<WatchView> {
        Vec::new()
    }

    /// Leases (none before the etcd service).
    pub fn leases(&self) -> Vec<LeaseView> {
        Vec::new()
    }

    fn settle(&mut self) {
        let done = self.cluster.take_completions();
        let now = self.cluster.now();
        let mut finished = Vec::new();
        for (cid, w) in &self.waiting {
            match w {
                Wait::Until(t) if *t <= now => finished.push((*cid, CommandState::Done, None)),
                Wait::Request(rid) => {
                    if let Some(c) = done.iter().find(|c| c.id == *rid) {
                        let (state, text) = match &c.outcome {
                            Outcome::Written { index, .. } => {
                                (CommandState::Done, format!("OK (index {index})"))
                            }
                            Outcome::Read { index, .. } => {
                                (CommandState::Done, format!("read at index {index}"))
                            }
                            Outcome::Failed(e) => (CommandState::Failed, format!("Error: {e}")),
                        };
                        finished.push((*cid, state, Some(text)));
                    }
                }
                Wait::Until(_) => {}
            }
        }
        for (cid, state, text) in finished {
            self.waiting.remove(&cid);
            let o = &mut self.outputs[cid as usize];
            o.state = state;
            if let Some(t) = text {
                o.text = t;
            }
        }
    }

    fn start(&mut self, line: &str) -> Result<(String, Option<Wait>), String> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some(&cmd) = words.first() else {
            return Ok((String::new(), None));
        };
        let args = &words[1..];
        let node = |i: usize| -> Result<u64, String> {
            let w = args
                .get(i)
                .ok_or_else(|| format!("{cmd} needs a node id, e.g. `{cmd} 1`"))?;
            w.parse::<u64>()
                .map_err(|_| format!("{w:?} is not a node id"))
        };
        let link = || -> Result<(u64, u64), String> {
            let w = args
                .first()
                .ok_or_else(|| format!("{cmd} needs a link, e.g. `{cmd} 1->2`"))?;
            parse_link(w)
        };
        let action = match cmd {
            "help" | "?" => return Ok((HELP.to_string(), None)),
            "partition" => {
                if args.is_empty() {
                    return Err("partition needs groups, e.g. `partition 1,2 3,4,5`".into());
                }
                let groups = args
                    .iter()
                    .map(|g| {
                        g.split(',')
                            .filter(|s| !s.is_empty())
                            .map(|s| {
                                s.parse::<u64>()
                                    .map_err(|_| format!("{s:?} is not a node id"))
                            })
                            .collect::<Result<Vec<u64>, String>>()
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Action::Partition(groups)
            }
            "heal" => Action::Heal,
            "crash" => Action::Crash(node(0)?),
            "restart" => Action::Restart(node(0)?),
            "pause" => Action::Pause(node(0)?),
            "resume" => Action::Resume(node(0)?),
            "campaign" => Action::Campaign(node(0)?),
            "move-leader" | "transfer" => Action::TransferLeader(node(0)?),
            "cut" => {
                let (from, to) = link()?;
                Action::Cut { from, to }
            }
            "restore" => {
                let (from, to) = link()?;
                Action::Restore { from, to }
            }
            "hold" => {
                let (from, to) = link()?;
                Action::Hold { from, to }
            }
            "release" | "discard" | "drop" => {
                let (from, to) = link()?;
                let msg = match args.get(1) {
                    Some(m) => Some(
                        m.parse::<u64>()
                            .map_err(|_| format!("{m:?} is not a message id"))?,
                    ),
                    None => None,
                };
                if cmd == "release" {
                    Action::Release { from, to, msg }
                } else {
                    Action::Discard { from, to, msg }
                }
            }
            "link" => {
                let (from, to) = link()?;
                Action::SetLink {
                    from,
                    to,
                    config: parse_link_config(&args[1..], self.cluster.config().link.clone())?,
                }
            }
            "network" => {
                Action::SetNetwork(parse_link_config(args, self.cluster.config().link.clone())?)
            }
            "sleep" | "run" => {
                let d = args
                    .first()
                    .ok_or_else(|| format!("{cmd} needs a duration, e.g. `{cmd} 2s`"))?;
                let ms = sim::time::parse_duration(d)?;
                let until = self.cluster.now().saturating_add(ms);
                if cmd == "run" {
                    self.run_until(until)?;
                    return Ok((String::new(), None));
                }
                return Ok((String::new(), Some(Wait::Until(until))));
            }
            "propose" => {
                let (at, rest) = match args.first().and_then(|w| w.parse::<u64>().ok()) {
                    Some(n) if args.len() > 1 => (n, &args[1..]),
                    _ => (self.cluster.leader().unwrap_or(1), args),
                };
                if rest.is_empty() {
                    return Err("propose needs some text, e.g. `propose x=1`".into());
                }
                let rid = self.cluster.propose(at, rest.join(" ").into_bytes());
                return Ok((String::new(), Some(Wait::Request(rid))));
            }
            "put" | "get" | "del" | "txn" | "watch" | "lease" | "lock" | "elect" | "endpoint"
            | "member" | "compaction" | "status" => return Err(ETCD_LATER.into()),
            other => return Err(format!("unknown command {other:?} (try `help`)")),
        };
        let text = describe(&action);
        self.cluster.apply(action).map_err(|e| e.to_string())?;
        Ok((text, None))
    }
}

fn parse_link(w: &str) -> Result<(u64, u64), String> {
    let (a, b) = w
        .split_once("->")
        .ok_or_else(|| format!("{w:?} is not a link (write it as 1->2)"))?;
    let p = |s: &str| {
        s.parse::<u64>()
            .map_err(|_| format!("{s:?} is not a node id"))
    };
    Ok((p(a)?, p(b)?))
}

/// `drop=0.1 latency=5-20ms dup=0 reorder=false`, starting from `base`.
fn parse_link_config(args: &[&str], base: sim::LinkConfig) -> Result<sim::LinkConfig, String> {
    let mut c = base;
    if args.is_empty() {
        return Err("give settings, e.g. `drop=0.1 latency=5-20ms`".into());
    }
    for a in args {
        let (k, v) = a
            .split_once('=')
            .ok_or_else(|| format!("{a:?} is not a setting (write it as name=value)"))?;
        let prob = |v: &str| {
            v.parse::<f64>()
                .map_err(|_| format!("{k}: {v:?} is not a number"))
        };
        match k {
            "drop" => c.drop_prob = prob(v)?,
            "dup" => c.duplicate_prob = prob(v)?,
            "reorder" => {
                c.reorder = v
                    .parse()
                    .map_err(|_| format!("reorder: {v:?} is not true or false"))?
            }
            "latency" => {
                let (lo, hi) = v.split_once('-').unwrap_or((v, v));
                let unit = |s: &str| {
                    if s.ends_with("ms") || s.ends_with('s') {
                        sim::time::parse_duration(s)
                    } else {
                        sim::time::parse_duration(&format!("{s}ms"))
                    }
                };
                c.latency_min_ms = unit(lo)?;
                c.latency_max_ms = unit(hi)?;
            }
            _ => {
                return Err(format!(
                    "unknown setting {k:?} (drop, latency, dup, reorder)"
                ))
            }
        }
    }
    c.validate()?;
    Ok(c)
}

fn describe(a: &Action) -> String {
    match a {
        Action::Partition(gs) => format!(
            "partitioned into {}",
            gs.iter()
                .map(|g| format!(
                    "{{{}}}",
                    g.iter().map(u64::to_string).collect::<Vec<_>>().join(",")
                ))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        Action::Heal => "healed every cut link".into(),
        Action::Crash(n) => format!("node {n} crashed"),
        Action::Restart(n) => format!("node {n} restarted"),
        Action::Pause(n) => format!("node {n} paused"),
        Action::Resume(n) => format!("node {n} resumed"),
        Action::Campaign(n) => format!("node {n} campaigns"),
        Action::TransferLeader(n) => format!("asked the leader to hand over to node {n}"),
        Action::Cut { from, to } => format!("link {from}->{to} cut"),
        Action::Restore { from, to } => format!("link {from}->{to} restored"),
        Action::Hold { from, to } => format!("link {from}->{to} held"),
        Action::Release { from, to, .. } => format!("released a message on {from}->{to}"),
        Action::Discard { from, to, .. } => format!("dropped a message on {from}->{to}"),
        Action::SetLink { from, to, config } => format!(
            "link {from}->{to}: drop {}%, latency {}-{} ms",
            config.drop_prob * 100.0,
            config.latency_min_ms,
            config.latency_max_ms
        ),
        Action::SetNetwork(config) => format!(
            "every link: drop {}%, latency {}-{} ms",
            config.drop_prob * 100.0,
            config.latency_min_ms,
            config.latency_max_ms
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> Engine {
        Engine::new(ClusterConfig::new(5, 7)).unwrap()
    }

    #[test]
    fn elects_and_proposes() {
        let mut e = engine();
        e.run_until(4_000).unwrap();
        assert!(e.cluster().leader().is_some());
        let id = e.exec("propose hello");
        assert_eq!(e.output(id).unwrap().state, CommandState::Running);
        e.run_until(5_000).unwrap();
        let o = e.output(id).unwrap();
        assert_eq!(o.state, CommandState::Done, "{}", o.text);
        assert!(o.text.starts_with("OK"));
    }

    #[test]
    fn fault_lines() {
        let mut e = engine();
        e.run_until(4_000).unwrap();
        let l = e.cluster().leader().unwrap();
        let id = e.exec(&format!("crash {l}"));
        assert_eq!(e.output(id).unwrap().state, CommandState::Done);
        e.exec("run 5s");
        let l2 = e.cluster().leader().unwrap();
        assert_ne!(l, l2);
        for line in [
            "partition 1,2 3,4,5",
            "heal",
            "cut 1->2",
            "restore 1->2",
            "link 1->2 drop=0.5 latency=5-20ms",
            "network latency=3-4ms",
        ] {
            let id = e.exec(line);
            assert_eq!(e.output(id).unwrap().state, CommandState::Done, "{line}");
        }
    }

    #[test]
    fn errors_in_words() {
        let mut e = engine();
        for (line, want) in [
            ("crash", "needs a node id"),
            ("crash x", "not a node id"),
            ("cut 1-2", "not a link"),
            ("put foo bar", "etcd service"),
            ("frobnicate", "unknown command"),
            ("sleep 5", "missing unit"),
            ("crash 9", "9"),
        ] {
            let id = e.exec(line);
            let o = e.output(id).unwrap();
            assert_eq!(o.state, CommandState::Failed, "{line}");
            assert!(o.text.contains(want), "{line}: {}", o.text);
        }
    }

    #[test]
    fn sleep_waits_in_virtual_time() {
        let mut e = engine();
        let id = e.exec("sleep 1s");
        assert_eq!(e.output(id).unwrap().state, CommandState::Running);
        e.run_until(999).unwrap();
        assert_eq!(e.output(id).unwrap().state, CommandState::Running);
        e.run_until(1_000).unwrap();
        assert_eq!(e.output(id).unwrap().state, CommandState::Done);
        let id = e.exec("sleep 1s");
        assert!(e.cancel(id));
        assert!(!e.cancel(id));
    }
}
