//! A client session (etcd's `concurrency.Session`): a lease kept alive every TTL/3 while the
//! command runs. When keep-alives fail for a whole TTL, the session is over.

use crate::service::OpResult;

/// A session's lease and health.
#[derive(Clone, Debug)]
pub struct Session {
    /// The member the client talks to.
    pub node: u64,
    /// The lease (0 until granted).
    pub lease: i64,
    /// Its TTL in seconds.
    pub ttl: i64,
    /// Last virtual time a keep-alive (or the grant) succeeded.
    pub last_ok: u64,
}

/// What a keep-alive answer means for the session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    /// Alive.
    Alive,
    /// The lease is gone (expired on the leader, or revoked).
    Expired,
    /// No answer, but not yet for a whole TTL.
    Unsure,
}

impl Session {
    /// A session that will grant a lease of `ttl` seconds through `node`.
    pub fn new(node: u64, ttl: i64) -> Self {
        Session {
            node,
            lease: 0,
            ttl,
            last_ok: 0,
        }
    }

    /// Milliseconds between keep-alives (etcd's client sends one every TTL/3).
    pub fn interval_ms(&self) -> u64 {
        ((self.ttl.max(1) as u64) * 1000 / 3).max(500)
    }

    /// Interprets a keep-alive result at `now`.
    pub fn on_keepalive(&mut self, r: &OpResult, now: u64) -> Health {
        match r {
            OpResult::KeepAlive(_, ttl) if *ttl > 0 => {
                self.last_ok = now;
                Health::Alive
            }
            OpResult::Failed(e) if e.contains("lease not found") => Health::Expired,
            _ if now.saturating_sub(self.last_ok) >= self.ttl.max(1) as u64 * 1000 => {
                Health::Expired
            }
            _ => Health::Unsure,
        }
    }
}
