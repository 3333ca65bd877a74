//! The Check panel's lease part: no lease may outlive its TTL once nobody renews it (the
//! leader revokes it through Raft, within a few seconds' slack), checked with
//! [`harness::verdict::leases`] on the leader's leases, as the sweep judges them.

use check::replicas::LeaseAlive;
use harness::verdict;
use serde::Serialize;

/// The verdict on the session's leases.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LeaseCheckView {
    /// `Valid`, `Invalid`, `Unknown` (no leader to ask) or `None` (no leases).
    pub verdict: &'static str,
    /// Leases alive on the leader.
    pub leases: usize,
    /// The verdict in words.
    pub explanation: String,
    /// The leases that outlived their TTL, in words.
    pub findings: Vec<String>,
}

/// Checks the leases `alive` on the leader at virtual time `now` (`None`: no leader).
pub fn check_leases(alive: Option<&[LeaseAlive]>, now: u64) -> LeaseCheckView {
    let slack = harness::verify::VerifyOptions::default().lease_slack_ms;
    let Some(alive) = alive else {
        return LeaseCheckView {
            verdict: "Unknown",
            leases: 0,
            explanation: "Not checked: there is no leader, and only the leader expires leases."
                .into(),
            findings: Vec::new(),
        };
    };
    let findings = verdict::leases(alive, now, slack).lingering;
    let (verdict, explanation) = match (alive.len(), findings.len()) {
        (0, _) => ("None", "Try lease grant 5, then wait.".to_string()),
        (n, 0) => (
            "Valid",
            format!("{n} lease(s) alive, each renewed within its TTL (plus {slack} ms for the leader's revoke)."),
        ),
        (_, k) => (
            "Invalid",
            format!("{k} lease(s) outlived their TTL: the leader should have revoked them, and their keys."),
        ),
    };
    LeaseCheckView {
        verdict,
        leases: alive.len(),
        explanation,
        findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_on_leases() {
        let lease = |id, renewed_ms| LeaseAlive {
            id,
            ttl_s: 2,
            renewed_ms,
        };
        assert_eq!(check_leases(None, 1).verdict, "Unknown");
        assert_eq!(check_leases(Some(&[]), 1).verdict, "None");
        let fresh = check_leases(Some(&[lease(7, 9_000)]), 10_000);
        assert_eq!((fresh.verdict, fresh.leases), ("Valid", 1));
        let stale = check_leases(Some(&[lease(7, 9_000), lease(8, 1_000)]), 10_000);
        assert_eq!(stale.verdict, "Invalid");
        assert_eq!(stale.findings.len(), 1);
        assert!(
            stale.findings[0].contains("lease 0000000000000008 (TTL 2 s)"),
            "{:?}",
            stale.findings
        );
    }
}
