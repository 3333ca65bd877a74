//! "Why?" on a playground: [`sim::explain`] for nodes, messages and log entries, plus what
//! only the etcd layer knows: a lease the leader revoked because it expired.
//!
//! ```
//! use etcd::Playground;
//! use sim::ClusterConfig;
//!
//! let mut pg = Playground::new(ClusterConfig::new(3, 1)).unwrap();
//! pg.run_until(3_000).unwrap();
//! let leader = pg.cluster().leader().unwrap();
//! let why = etcd::explain::node(&pg, leader);
//! assert!(why.headline.contains("won the election"));
//! ```

use sim::explain::{self, secs, Case, Params, Source, Why};
use sim::{TraceEvent, TraceKind};

use crate::ctl::Command;
use crate::playground::SessionEvent;
use crate::Playground;

/// The kept trace of a playground, oldest first.
pub fn events(pg: &Playground) -> Vec<TraceEvent> {
    pg.cluster().trace().events().cloned().collect()
}

/// The explainer's parameters for a playground's cluster.
pub fn params(pg: &Playground) -> Params {
    Params::of_cluster(pg.cluster())
}

/// Why node `id` is in its role and term.
pub fn node(pg: &Playground, id: u64) -> Why {
    explain::node(&events(pg), &params(pg), id)
}

/// Why message `msg` (its network id) was sent and what came of it.
pub fn message(pg: &Playground, msg: u64) -> Why {
    explain::message(&events(pg), &params(pg), msg)
}

/// Why node `id` has the entry at `index`; for a lease the leader revoked because it expired,
/// that comes first.
pub fn entry(pg: &Playground, id: u64, index: u64) -> Why {
    let events = events(pg);
    let why = explain::entry(&events, &params(pg), id, index);
    match lease_revoke(pg, &events, index) {
        Some(mut lease) => {
            lease.details.push(why.headline);
            lease.details.extend(why.details);
            for s in why.sources {
                lease = lease.source(s);
            }
            lease
        }
        None => why,
    }
}

/// The request written at `index`: (request id, node, time, what).
fn request_at(events: &[TraceEvent], index: u64) -> Option<(u64, u64, u64, String)> {
    let written = format!("written at {index}");
    let rid = events.iter().rev().find_map(|e| match &e.kind {
        TraceKind::Response { id, outcome, .. } if *outcome == written => Some(*id),
        _ => None,
    })?;
    events.iter().find_map(|e| match &e.kind {
        TraceKind::Request { id, node, what } if *id == rid => {
            Some((rid, *node, e.time_ms, what.clone()))
        }
        _ => None,
    })
}

/// The entry at `index` as a revoke the leader proposed for an expired lease, explained.
pub fn lease_revoke(pg: &Playground, events: &[TraceEvent], index: u64) -> Option<Why> {
    let (_, node, at, what) = request_at(events, index)?;
    let hex = what.strip_prefix("propose lease revoke ")?.to_string();
    let lease = i64::from_str_radix(&hex, 16).ok()?;
    let log = pg.session_log().events();
    let expired = log
        .iter()
        .any(|e| matches!(e, SessionEvent::ExpiryRevoke(r) if r.time_ms == at && r.lease == lease));
    if !expired {
        return None;
    }
    let grant_prefix = format!("propose lease grant {hex} ");
    let grant = events.iter().find_map(|e| match &e.kind {
        TraceKind::Request { what, .. } => what
            .strip_prefix(&grant_prefix)
            .map(|ttl| (e.time_ms, ttl.to_string())),
        _ => None,
    });
    let mut why = Why::new(
        Case::LeaseRevoked,
        format!(
            "Leader {node} revoked lease {hex} at {} because it expired: no keep-alive reached \
             the leader within its TTL. The revoke is entry {index}.",
            secs(at)
        ),
    );
    if let Some((t, ttl)) = &grant {
        why = why.detail(format!(
            "It was granted with a TTL of {ttl} at {}.",
            secs(*t)
        ));
    }
    let since = grant.as_ref().map_or(0, |g| g.0);
    let line_about = |l: &str| l.contains(&hex) || l.contains(hex.trim_start_matches('0'));
    for r in pg.given() {
        if r.at_ms >= since && r.at_ms <= at && r.line.contains("keep-alive") && line_about(&r.line)
        {
            why = why.detail(format!(
                "`{}` at {} renews it through its member as long as that member reaches the \
                 leader.",
                r.line,
                secs(r.at_ms)
            ));
        }
    }
    for e in events {
        if e.time_ms < since || e.time_ms > at {
            continue;
        }
        match &e.kind {
            TraceKind::Role {
                node: n,
                role: sim::Role::Leader,
                ..
            } => {
                why = why.detail(format!(
                    "Node {n} became leader at {} and renewed every lease: etcd does so that a \
                     leader change never expires a lease early.",
                    secs(e.time_ms)
                ));
            }
            TraceKind::Fault { what } if !what.starts_with("start ") => {
                why = why.detail(format!("`{what}` happened at {}.", secs(e.time_ms)));
            }
            _ => {}
        }
    }
    // Sorted and without repeats (`order::sort`: a `BTreeSet<String>` compiled one more sort).
    let mut keys: Vec<String> = log
        .iter()
        .filter_map(|e| match e {
            SessionEvent::Started {
                request: Command::Put(p),
                op: Some(_),
                ..
            } if p.lease == lease && !p.ignore_value && !p.ignore_lease => {
                Some(String::from_utf8_lossy(&p.key).into_owned())
            }
            _ => None,
        })
        .collect();
    order::sort(&mut keys);
    keys.dedup();
    if !keys.is_empty() {
        why = why.detail(format!(
            "Applying the revoke deletes its keys ({}) on every member, all in one revision.",
            keys.join(", ")
        ));
    }
    Some(
        why.detail(
            "Only the leader expires leases: every 500 ms its lessor looks for leases past their \
             TTL and proposes a revoke through Raft, so every member deletes the same keys at the \
             same point of the log.",
        )
        .source(Source::Etcd("lessor revokeExpiredLeases (leader only)")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{builtin, parse};

    #[test]
    fn a_lease_the_leader_let_expire() {
        let s = parse(builtin::get("08-leases-partition").unwrap()).unwrap();
        let (pg, _) = s.run().unwrap();
        let evs = events(&pg);
        let leader = pg.cluster().leader().unwrap();
        let last = pg.cluster().commit_index(leader).unwrap();
        let why = (1..=last)
            .find_map(|i| lease_revoke(&pg, &evs, i))
            .expect("the leader revoked the lease");
        assert_eq!(why.case, Case::LeaseRevoked);
        assert!(
            why.headline.contains("revoked lease 1512bc5bcd942fbd"),
            "{}",
            why.headline
        );
        let text = why.text();
        assert!(text.contains("granted with a TTL of 4s"), "{text}");
        assert!(text.contains("`partition 3` happened"), "{text}");
        assert!(text.contains("deletes its keys (session-key)"), "{text}");
        assert!(text.contains("lease keep-alive 1512bc5bcd942fbd"), "{text}");
        // A client's own revoke is not the leader's expiry.
        let s = parse(
            "@nodes 3\n@seed 8\nsleep 3s\nlease grant 60\nlease revoke 1512bc5bcd942fbd\nsleep 1s\n",
        )
        .unwrap();
        let (pg, _) = s.run().unwrap();
        let evs = events(&pg);
        assert!((1..=20).all(|i| lease_revoke(&pg, &evs, i).is_none()));
        let whys: Vec<Why> = (1..=6).map(|i| entry(&pg, 1, i)).collect();
        assert!(
            whys.iter()
                .any(|w| w.text().contains("lease revoke 1512bc5bcd942fbd")),
            "the client's revoke is an ordinary entry: {whys:?}"
        );
    }
}
