//! The session's leases as the lease checker reads them: every lease the leader's lessor
//! holds, with when it was last renewed (its expiry minus its TTL: a grant, a keep-alive, or
//! the leader change that renewed every lease).

use check::replicas::LeaseAlive;

use super::Playground;

impl Playground {
    /// The leases alive on the leader now, for `check::replicas::lingering_leases`; `None`
    /// without a leader (nobody expires leases then).
    pub fn leases_alive(&self) -> Option<Vec<LeaseAlive>> {
        let c = self.cluster();
        let sm = c.state_machine(c.leader()?).ok()?;
        Some(
            sm.lessor
                .leases()
                .into_iter()
                .filter_map(|id| sm.lessor.lookup(id))
                .filter_map(|l| {
                    let expiry = l.expiry_ms?;
                    let ttl_ms = u64::try_from(l.ttl).unwrap_or(0) * 1000;
                    Some(LeaseAlive {
                        id: l.id,
                        ttl_s: l.ttl,
                        renewed_ms: expiry.saturating_sub(ttl_ms),
                    })
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::planted::{PlantedBug, PlantedBugs};
    use crate::Playground;
    use check::replicas::lingering_leases;

    fn run(p: &mut Playground, line: &str) {
        let id = p.exec(line).unwrap();
        p.run_until_settled(id, 30_000).unwrap();
    }

    /// Two leases, one kept alive; 8 s later, what lingers.
    fn lingering(bugs: PlantedBugs) -> Vec<String> {
        let mut p = Playground::with_planted_bugs(sim::ClusterConfig::new(3, 8), bugs).unwrap();
        p.run_until(3_000).unwrap();
        run(&mut p, "lease grant 2");
        run(&mut p, "lease grant 5");
        let kept = p.leases()[1].id.clone();
        p.exec(&format!("lease keep-alive {kept}"));
        let t = p.now() + 8_000;
        p.run_until(t).unwrap();
        let alive = p.leases_alive().unwrap();
        lingering_leases(&alive, p.now(), 3_000)
    }

    #[test]
    fn an_unrevoked_expired_lease_lingers() {
        assert_eq!(lingering(PlantedBugs::NONE), Vec::<String>::new());
        let found = lingering(PlantedBugs::NONE.with(PlantedBug::SkipLeaseRevoke));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("TTL 2 s"), "{found:?}");
    }
}
