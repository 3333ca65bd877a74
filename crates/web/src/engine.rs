//! The one place that knows what runs under the playground: the etcd service's
//! [`etcd::Playground`] (etcdctl lines, fault and time lines, JSON gateway lines) over a
//! `sim::Cluster<etcd::EtcdMachine>`. Everything else in the web crate talks to [`Engine`].

use sim::{Cluster, ClusterConfig};

pub use etcd::{CommandId, CommandOutput, CommandState};

/// The replicated state machine the playground runs.
pub type Machine = etcd::EtcdMachine;

/// An open watch, for the watch panel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchView {
    /// The command that opened it.
    pub id: CommandId,
    /// Its line.
    pub line: String,
    /// The member it watches through.
    pub node: u64,
    /// Events so far, as etcdctl prints them.
    pub events: String,
}

/// A lease, for the lease panel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseView {
    /// Lease id in hex.
    pub id: String,
    /// Granted TTL in seconds.
    pub ttl_s: i64,
    /// Remaining virtual ms on the leader's clock (None when no leader tracks it).
    pub remaining_ms: Option<u64>,
    /// Attached keys.
    pub keys: Vec<String>,
}

/// The playground engine.
pub struct Engine {
    pg: etcd::Playground,
    /// `help` is answered here; it needs an id that cannot clash with the playground's.
    notes: Vec<(CommandId, CommandOutput)>,
}

/// Ids of commands answered by the engine itself (the playground counts up from 1).
const NOTE_BASE: CommandId = 1 << 62;

impl Engine {
    /// A fresh cluster.
    ///
    /// # Errors
    /// A one-line message for a bad option.
    pub fn new(config: ClusterConfig) -> Result<Self, String> {
        Ok(Engine {
            pg: etcd::Playground::new(config).map_err(|e| e.to_string())?,
            notes: Vec::new(),
        })
    }

    /// The cluster, read only.
    pub fn cluster(&self) -> &Cluster<Machine> {
        self.pg.cluster()
    }

    /// Virtual time in ms.
    pub fn now(&self) -> u64 {
        self.pg.now()
    }

    /// Virtual time of the next event (cluster or command timer), if any.
    pub fn next_time(&self) -> Option<u64> {
        Some(self.pg.next_time()).filter(|t| *t != u64::MAX)
    }

    /// Runs one event.
    ///
    /// # Errors
    /// The invariant violation that stopped the run.
    pub fn step(&mut self) -> Result<(), String> {
        self.pg.step().map_err(|e| e.to_string())
    }

    /// Runs every event up to `t` (virtual ms).
    ///
    /// # Errors
    /// The invariant violation that stopped the run.
    pub fn run_until(&mut self, t: u64) -> Result<(), String> {
        self.pg.run_until(t).map_err(|e| e.to_string())
    }

    /// A client write of the playground's background load.
    pub fn client_op(&mut self, n: u64) {
        self.pg.exec(&format!("put load/{} {n}", n % 16));
    }

    /// Starts a console line. `None` for a blank line, a comment or the inside of a multi-line
    /// `txn`.
    pub fn exec(&mut self, line: &str) -> Option<CommandId> {
        if matches!(line.trim(), "help" | "?") {
            let id = NOTE_BASE + self.notes.len() as CommandId;
            self.notes.push((
                id,
                CommandOutput {
                    line: line.trim().to_string(),
                    text: etcd::ctl::help(),
                    state: CommandState::Done,
                    settled: true,
                },
            ));
            return Some(id);
        }
        self.pg.exec(line)
    }

    /// Whether a multi-line command (txn) is waiting for more lines.
    pub fn needs_more(&self) -> bool {
        self.pg.needs_more()
    }

    /// A command's output so far.
    pub fn output(&self, id: CommandId) -> Option<&CommandOutput> {
        if id >= NOTE_BASE {
            return self.notes.iter().find(|(i, _)| *i == id).map(|(_, o)| o);
        }
        self.pg.output(id)
    }

    /// Stops a running command (a watch, a keep-alive, a sleep). Returns whether it was running.
    pub fn cancel(&mut self, id: CommandId) -> bool {
        self.pg.cancel(id)
    }

    /// Open watches with their events.
    pub fn watches(&self) -> Vec<WatchView> {
        self.pg
            .watches()
            .into_iter()
            .map(|w| WatchView {
                id: w.command,
                events: self
                    .pg
                    .output(w.command)
                    .map(|o| o.text.clone())
                    .unwrap_or_default(),
                line: w.line,
                node: w.node,
            })
            .collect()
    }

    /// Leases.
    pub fn leases(&self) -> Vec<LeaseView> {
        self.pg
            .leases()
            .into_iter()
            .map(|l| LeaseView {
                id: l.id,
                ttl_s: l.ttl,
                remaining_ms: l.remaining_ms,
                keys: l.keys,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> Engine {
        Engine::new(ClusterConfig::new(5, 7)).unwrap()
    }

    fn run(e: &mut Engine, line: &str, ms: u64) -> CommandOutput {
        let id = e.exec(line).expect("a command");
        let t = e.now() + ms;
        e.run_until(t).unwrap();
        e.output(id).unwrap().clone()
    }

    #[test]
    fn put_get_and_faults() {
        let mut e = engine();
        e.run_until(4_000).unwrap();
        assert!(e.cluster().leader().is_some());
        let o = run(&mut e, "put foo bar", 1_000);
        assert_eq!((o.state, o.text.as_str()), (CommandState::Done, "OK\n"));
        let o = run(&mut e, "get foo", 1_000);
        assert_eq!(o.text, "foo\nbar\n");
        let l = e.cluster().leader().unwrap();
        let o = run(&mut e, &format!("crash {l}"), 5_000);
        assert_eq!(o.state, CommandState::Done);
        assert_ne!(e.cluster().leader(), Some(l));
        let o = run(&mut e, "crash x", 0);
        assert_eq!(o.state, CommandState::Failed);
    }

    #[test]
    fn help_and_watches() {
        let mut e = engine();
        let id = e.exec("help").unwrap();
        assert!(e.output(id).unwrap().text.contains("partition"));
        e.run_until(4_000).unwrap();
        let w = e.exec("watch k").unwrap();
        run(&mut e, "put k v", 1_000);
        let ws = e.watches();
        assert_eq!(ws.len(), 1);
        assert!(ws[0].events.contains("PUT"), "{:?}", ws[0]);
        assert!(e.cancel(w));
        assert!(e.watches().is_empty());
        run(&mut e, "lease grant 10", 1_000);
        assert_eq!(e.leases().len(), 1);
    }
}
