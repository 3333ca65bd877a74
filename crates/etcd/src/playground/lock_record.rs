//! The session's lock holds in the lock checker's terms: each `lock` command that took the
//! lock, with its key and when it took and let go of it (the command ended: unlocked,
//! cancelled, or its session lost). The client of a hold is the lock command's number (as
//! `cancel N` counts), so two calls from the same member are two holders.

use std::collections::BTreeMap;

use check::lock::LockHold;

use super::{CommandId, Playground};

/// The lock holds of a session.
#[derive(Debug, Default, Clone)]
pub struct SessionLocks {
    holds: Vec<LockHold>,
    /// Holds not yet let go: command -> hold.
    open: BTreeMap<CommandId, usize>,
}

impl SessionLocks {
    /// Notes that `lock` command `cmd` took the lock with `key` at `now`.
    pub(super) fn acquired(&mut self, cmd: CommandId, key: &str, now: u64) {
        self.open.insert(cmd, self.holds.len());
        self.holds.push(LockHold {
            client: u32::try_from(cmd).unwrap_or(u32::MAX),
            key: key.to_string(),
            acquired_ms: now,
            released_ms: None,
        });
    }

    /// Notes that command `cmd` ended at `now` (if it held a lock, it let go).
    pub(super) fn ended(&mut self, cmd: CommandId, now: u64) {
        if let Some(i) = self.open.remove(&cmd) {
            self.holds[i].released_ms = Some(now);
        }
    }

    /// Every hold so far, in the order the locks were taken (open ones have no release).
    pub fn holds(&self) -> &[LockHold] {
        &self.holds
    }
}

impl Playground {
    /// The session's lock holds.
    pub fn lock_holds(&self) -> &[LockHold] {
        self.lock_log.holds()
    }
}

#[cfg(test)]
mod tests {
    use crate::planted::{PlantedBug, PlantedBugs};
    use crate::Playground;
    use check::lock::check_locks;

    fn run(p: &mut Playground, line: &str) -> u64 {
        let id = p.exec(line).unwrap();
        p.run_until_settled(id, 30_000).unwrap();
        id
    }

    /// A holds the lock, B queues behind it; B's session lease is revoked; A lets go.
    fn session(bugs: PlantedBugs) -> (Playground, u64, u64) {
        let mut p = Playground::with_planted_bugs(sim::ClusterConfig::new(3, 6), bugs).unwrap();
        p.run_until(3_000).unwrap();
        let a = run(&mut p, "lock l");
        let b = run(&mut p, "lock l");
        let a_key = p.output(a).unwrap().text.trim().to_string();
        let b_lease = p
            .leases()
            .into_iter()
            .map(|l| l.id)
            .find(|id| !a_key.ends_with(id.trim_start_matches('0')))
            .unwrap();
        run(&mut p, &format!("lease revoke {b_lease}"));
        assert!(p.cancel(a));
        run(&mut p, "sleep 1s");
        (p, a, b)
    }

    fn log_of(p: &Playground) -> Vec<check::kv::Event> {
        let log = p.committed_log().unwrap();
        log.into_iter()
            .filter(|e| e.kv.key.starts_with(b"l/"))
            .collect()
    }

    #[test]
    fn holds_are_recorded_and_granted_by_the_store() {
        let (p, a, _) = session(PlantedBugs::NONE);
        let holds = p.lock_holds();
        assert_eq!(holds.len(), 1, "{holds:?}");
        assert_eq!(holds[0].client as u64, a);
        assert!(holds[0].released_ms.is_some(), "cancelled: let go");
        let r = check_locks(holds, &log_of(&p), p.now());
        assert!(r.violations.is_empty() && r.overlaps.is_empty(), "{r:?}");
    }

    #[test]
    fn a_lock_taken_without_the_recheck_is_a_violation() {
        let (p, _, b) = session(PlantedBugs::NONE.with(PlantedBug::LockWithoutRecheck));
        let holds = p.lock_holds();
        assert_eq!(holds.len(), 2, "{holds:?}");
        assert_eq!(holds[1].client as u64, b);
        let r = check_locks(holds, &log_of(&p), p.now());
        assert_eq!(r.violations.len(), 1, "{r:?}");
        assert!(r.violations[0].contains("deleted at revision"), "{r:?}");
    }
}
