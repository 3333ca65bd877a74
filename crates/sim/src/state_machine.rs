//! The replicated state machine the cluster drives. The simulator knows nothing about what the
//! commands mean: the etcd service plugs its store in here.

use std::any::Any;
use std::fmt::Debug;
use std::sync::Arc;

/// A state-machine snapshot held as a value: taking one is O(1) or close (a structurally shared
/// copy of the state), and bytes exist only when it crosses the simulated wire
/// ([`Image::encode`], called when raft-rs sends a snapshot to a follower).
pub trait Image: Debug + Send + Sync + Any {
    /// The bytes sent to a follower; [`StateMachine::restore`] reads them back.
    fn encode(&self) -> Vec<u8>;

    /// The logical size in bytes (what a view shows as the snapshot's size), without encoding.
    fn logical_size(&self) -> u64;

    /// For a machine that restores from its own image type (a restart reads it back without
    /// bytes).
    fn as_any(&self) -> &dyn Any;
}

/// A shared snapshot value, as durable storage keeps it.
pub type SharedImage = Arc<dyn Image>;

/// Plain bytes are an image of themselves (for small machines such as [`DigestMachine`]).
impl Image for Vec<u8> {
    fn encode(&self) -> Vec<u8> {
        self.clone()
    }

    fn logical_size(&self) -> u64 {
        self.len() as u64
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

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

    /// The replicated state as a snapshot value (see [`Image`]): O(1) or close, no bytes.
    fn snapshot(&self) -> SharedImage;

    /// Rebuilds the state from a snapshot value held in durable storage (a restart). The
    /// default encodes and restores; machines whose image is a copy of their state override it.
    ///
    /// # Errors
    /// A message if the image is not a snapshot of this machine.
    fn from_image(image: &dyn Image) -> Result<Self, String> {
        Self::restore(&image.encode())
    }

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

    fn snapshot(&self) -> SharedImage {
        let mut v = Vec::with_capacity(16 + self.last.len());
        v.extend_from_slice(&self.count.to_le_bytes());
        v.extend_from_slice(&self.digest.to_le_bytes());
        v.extend_from_slice(&self.last);
        Arc::new(v)
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
