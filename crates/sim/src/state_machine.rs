//! The replicated state machine the cluster drives. The simulator knows nothing about what the
//! commands mean: the etcd service plugs its store in here.

use std::fmt::Debug;

/// Where and when an entry is applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApplyContext {
    /// The node applying.
    pub node: u64,
    /// Log index of the entry.
    pub index: u64,
    /// Term of the entry.
    pub term: u64,
    /// Virtual time of the apply, in ms.
    pub time_ms: u64,
    /// Whether the applying node currently believes it leads.
    pub is_leader: bool,
}

/// A deterministic state machine replicated by Raft.
pub trait StateMachine: Default + 'static {
    /// Result of applying one command.
    type Output: Clone + Debug;
    /// A read request.
    type Query: Clone + Debug;
    /// The answer to a read.
    type Answer: Clone + Debug;

    /// Applies one committed command. Must be a pure function of the state and the command
    /// (the context is for bookkeeping such as lease clocks, identical on every replica for the
    /// index and term).
    fn apply(&mut self, ctx: &ApplyContext, data: &[u8]) -> Self::Output;

    /// Answers a read against the current state.
    fn query(&self, q: &Self::Query) -> Self::Answer;

    /// Serialises the state for a Raft snapshot.
    fn snapshot(&self) -> Vec<u8>;

    /// Rebuilds the state from a snapshot.
    ///
    /// # Errors
    /// A message if the bytes are not a snapshot of this machine.
    fn restore(data: &[u8]) -> Result<Self, String>;

    /// Replaces the replicated state with a snapshot received from the leader. The default
    /// rebuilds the machine; machines with local, non-replicated state (such as a node's
    /// watchers) override it to keep that state.
    ///
    /// # Errors
    /// A message if the bytes are not a snapshot of this machine.
    fn install_snapshot(&mut self, data: &[u8]) -> Result<(), String> {
        *self = Self::restore(data)?;
        Ok(())
    }

    /// A digest of the state, for replica agreement.
    fn digest(&self) -> u64;

    /// A short human description of a command, for log views.
    fn describe(data: &[u8]) -> String {
        format!("{} bytes", data.len())
    }
}

/// A small honest state machine: it counts commands and folds each into a running digest, so two
/// replicas agree on the digest only if they applied the same commands in the same order. Used by
/// the CLI's `run` and by tests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DigestMachine {
    /// Commands applied.
    pub count: u64,
    /// Running FNV-1a digest over (index, command).
    pub digest: u64,
    /// The last command applied.
    pub last: Vec<u8>,
}

impl StateMachine for DigestMachine {
    type Output = u64;
    type Query = ();
    type Answer = (u64, Vec<u8>);

    fn apply(&mut self, ctx: &ApplyContext, data: &[u8]) -> u64 {
        use std::hash::Hasher;
        let mut h = crate::trace::StableHasher::default();
        h.write_u64(self.digest);
        h.write_u64(ctx.index);
        h.write(data);
        self.digest = h.finish();
        self.count += 1;
        self.last = data.to_vec();
        self.count
    }

    fn query(&self, _q: &()) -> (u64, Vec<u8>) {
        (self.count, self.last.clone())
    }

    fn snapshot(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(16 + self.last.len());
        v.extend_from_slice(&self.count.to_le_bytes());
        v.extend_from_slice(&self.digest.to_le_bytes());
        v.extend_from_slice(&self.last);
        v
    }

    fn restore(data: &[u8]) -> Result<Self, String> {
        if data.is_empty() {
            return Ok(Self::default());
        }
        if data.len() < 16 {
            return Err(format!(
                "digest snapshot of {} bytes is too short",
                data.len()
            ));
        }
        let count = u64::from_le_bytes(data[0..8].try_into().map_err(|_| "bad count")?);
        let digest = u64::from_le_bytes(data[8..16].try_into().map_err(|_| "bad digest")?);
        Ok(DigestMachine {
            count,
            digest,
            last: data[16..].to_vec(),
        })
    }

    fn digest(&self) -> u64 {
        self.digest
    }

    fn describe(data: &[u8]) -> String {
        String::from_utf8_lossy(data).chars().take(24).collect()
    }
}
