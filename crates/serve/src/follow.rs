//! The live view's stream (`raftlab serve --ui`, `GET /raftlab/follow`): Server-Sent Events
//! that let a page follow the served cluster in lockstep. A follower first gets the cluster's
//! set-up and every line applied so far, then each new line as it is applied, and every
//! [`TICK`] of wall time the point the server has reached, so that its own copy of the cluster
//! applies the same lines at the same (virtual time, event count) and never runs past the
//! server. The [`Hub`] lives on the cluster thread (the driver), which alone applies lines, so
//! a follower's backlog and its live lines never overlap or miss one.
//!
//! The events, one per SSE message:
//!
//! ```text
//! event: setup            data: the scenario header (@nodes, @seed, @option, @planted)
//! event: line             data: MS EVENTS LINE   (a line given at virtual MS after EVENTS events)
//! event: line             data: + LINE           (a continuation of a multi-line txn)
//! event: tick             data: MS EVENTS HASH   (the server's point and trace hash now)
//! ```

use std::time::{Duration, Instant};

use axum::body::Bytes;
use etcd::playground::Recorded;
use etcd::Playground;
use tokio::sync::mpsc;

/// Most pages following at once (beyond: `503`, the page's EventSource retries).
pub const MAX_FOLLOWERS: usize = 16;
/// Messages queued for one follower at most: a follower that falls this far behind (a stalled
/// connection) is dropped, not buffered for; its EventSource reconnects and starts over.
pub const FOLLOWER_QUEUE: usize = 4096;
/// How often followers hear the server's point (wall time).
pub const TICK: Duration = Duration::from_millis(100);

/// A follower's stream of SSE chunks.
pub type Stream = mpsc::Receiver<Bytes>;

/// The followers of a session (kept by the cluster thread).
pub struct Hub {
    followers: Vec<mpsc::Sender<Bytes>>,
    last_tick: Instant,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            followers: Vec::new(),
            last_tick: Instant::now(),
        }
    }
}

/// One SSE message: `event` and its data, a `data:` field per line of `data`.
fn message(event: &str, data: &str) -> String {
    let mut s = format!("event: {event}\n");
    for l in data.split('\n') {
        s.push_str("data: ");
        s.push_str(l.trim_end_matches('\r'));
        s.push('\n');
    }
    s.push('\n');
    s
}

/// The `line` message's data for a recorded line.
pub fn line_data(r: &Recorded) -> String {
    match r.continuation {
        true => format!("+ {}", r.line),
        false => format!("{} {} {}", r.at_ms, r.step, r.line.trim()),
    }
}

/// The `tick` message's data: the playground's point and trace hash.
pub fn tick_data(pg: &Playground) -> String {
    format!("{} {} {}", pg.now(), pg.steps(), pg.cluster().trace_hash())
}

/// The `setup` message's data: the scenario header that builds the same cluster.
pub fn setup_data(pg: &Playground, title: &str) -> String {
    let text = etcd::scenario::record_session(
        pg.cluster().config(),
        pg.planted_at_start(),
        title,
        &[],
        (0, 0),
    );
    // The header alone: the follower takes lines and points from the stream.
    text.lines()
        .filter(|l| !l.starts_with("@until"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl Hub {
    /// Followers now.
    pub fn len(&self) -> usize {
        self.followers.len()
    }

    /// Whether nobody follows.
    pub fn is_empty(&self) -> bool {
        self.followers.is_empty()
    }

    /// A new follower of the session `lines` of `pg`: its stream starts with the set-up, every
    /// line so far and the point now, in one chunk.
    ///
    /// # Errors
    /// Too many followers already.
    pub fn join(
        &mut self,
        pg: &Playground,
        title: &str,
        lines: &[Recorded],
    ) -> Result<Stream, String> {
        self.followers.retain(|f| !f.is_closed());
        if self.followers.len() >= MAX_FOLLOWERS {
            return Err(format!(
                "too many followers (at most {MAX_FOLLOWERS} pages follow at once)"
            ));
        }
        let mut first = String::from("retry: 2000\n\n");
        first.push_str(&message("setup", &setup_data(pg, title)));
        for r in lines {
            first.push_str(&message("line", &line_data(r)));
        }
        first.push_str(&message("tick", &tick_data(pg)));
        let (tx, rx) = mpsc::channel(FOLLOWER_QUEUE);
        // Empty and just made: this cannot fail.
        let _ = tx.try_send(Bytes::from(first));
        self.followers.push(tx);
        Ok(rx)
    }

    /// A line was just applied.
    pub fn line(&mut self, r: &Recorded) {
        if !self.followers.is_empty() {
            self.send(message("line", &line_data(r)));
        }
    }

    /// Tells the followers the point reached, if a [`TICK`] has passed since it last did.
    pub fn tick(&mut self, pg: &Playground) {
        if self.followers.is_empty() || self.last_tick.elapsed() < TICK {
            return;
        }
        self.last_tick = Instant::now();
        self.send(message("tick", &tick_data(pg)));
    }

    /// Sends one message to every follower; one whose queue is full (it stopped reading) or
    /// closed (it went away) is dropped.
    fn send(&mut self, msg: String) {
        let b = Bytes::from(msg);
        self.followers.retain(|f| f.try_send(b.clone()).is_ok());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_sse() {
        assert_eq!(message("tick", "1 2 ab"), "event: tick\ndata: 1 2 ab\n\n");
        assert_eq!(
            message("setup", "a\nb"),
            "event: setup\ndata: a\ndata: b\n\n"
        );
        let r = Recorded {
            at_ms: 12,
            step: 34,
            line: " put a 1".into(),
            continuation: false,
        };
        assert_eq!(line_data(&r), "12 34 put a 1");
        let c = Recorded {
            continuation: true,
            line: "  put b 2".into(),
            ..r
        };
        assert_eq!(line_data(&c), "+   put b 2");
    }

    #[test]
    fn a_follower_gets_the_backlog_then_lines_and_a_stalled_one_is_dropped() {
        let pg = Playground::new(sim::ClusterConfig::new(3, 7)).unwrap();
        let mut hub = Hub::default();
        let r = Recorded {
            at_ms: 0,
            step: 0,
            line: "put a 1".into(),
            continuation: false,
        };
        let mut rx = hub.join(&pg, "t", std::slice::from_ref(&r)).unwrap();
        let first = String::from_utf8(rx.try_recv().unwrap().to_vec()).unwrap();
        assert!(
            first.contains("event: setup\ndata: # raftlab scenario"),
            "{first}"
        );
        assert!(first.contains("data: @nodes 3\ndata: @seed 7\n"), "{first}");
        assert!(
            first.contains("event: line\ndata: 0 0 put a 1\n"),
            "{first}"
        );
        assert!(!first.contains("@until"), "{first}");
        hub.line(&r);
        assert!(rx.try_recv().is_ok());
        for _ in 0..FOLLOWER_QUEUE + 1 {
            hub.line(&r);
        }
        assert!(hub.is_empty(), "a follower that stopped reading is dropped");
        let kept: Vec<Stream> = (0..MAX_FOLLOWERS)
            .map(|_| hub.join(&pg, "", &[]).unwrap())
            .collect();
        assert!(hub.join(&pg, "", &[]).is_err(), "a cap on followers");
        drop(kept);
        assert!(hub.join(&pg, "", &[]).is_ok(), "those gone make room");
    }
}
