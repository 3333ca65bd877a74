//! The teaching side of the playground: a deliberately broken cluster. Bugs planted when the
//! cluster is built ([`Playground::with_planted_bugs`], a scenario's `@planted` header) and the
//! `plant NAME,...` line, which switches the service's bugs at that point of the session, so an
//! export, a share link or a seek replays them exactly.

use sim::ClusterConfig;

use super::{CommandId, Playground};
use crate::error::Result;
use crate::planted::{PlantedBug, PlantedBugs};

impl Playground {
    /// A fresh cluster with `bugs` planted from the start (the simulator's part, apply before
    /// commit, goes into `config` first).
    ///
    /// # Errors
    /// An invalid configuration.
    pub fn with_planted_bugs(mut config: ClusterConfig, bugs: PlantedBugs) -> Result<Self> {
        bugs.configure(&mut config);
        let mut pg = Playground::new(config)?;
        pg.client.service_mut().set_planted_bugs(bugs.switchable());
        pg.planted_at_start = bugs;
        Ok(pg)
    }

    /// Switches the service's planted bugs now (not recorded in the session: tests and
    /// workloads; a session uses the `plant` line).
    pub fn set_planted_bugs(&mut self, bugs: PlantedBugs) {
        self.client.service_mut().set_planted_bugs(bugs);
    }

    /// The bugs planted now, the simulator's included.
    pub fn planted_bugs(&self) -> PlantedBugs {
        self.service().planted_bugs()
    }

    /// The bugs the cluster was built with (what a recording's `@planted` header says).
    pub fn planted_at_start(&self) -> PlantedBugs {
        self.planted_at_start
    }

    /// `plant NAME,...` / `plant none`: sets the service's bugs; bare `plant` shows them.
    pub(super) fn plant(&mut self, id: CommandId, bugs: Option<PlantedBugs>) {
        if let Some(bugs) = bugs {
            let fixed = self.cluster().config().planted_apply_before_commit;
            if bugs.contains(PlantedBug::ApplyBeforeCommit) && !fixed {
                self.fail(
                    id,
                    "apply-before-commit is chosen when the cluster is built: start a new \
                     cluster from the teaching menu, or put `@planted apply-before-commit` in a \
                     scenario",
                );
                return;
            }
            self.client
                .service_mut()
                .set_planted_bugs(bugs.switchable());
        }
        let now = self.planted_bugs();
        let text = if now.is_empty() {
            "no planted bugs\n".to_string()
        } else {
            let mut t = "planted bugs (a deliberately broken cluster):\n".to_string();
            for b in now.iter() {
                t.push_str(&format!("  {}: {}\n", b.name(), b.describe()));
            }
            t
        };
        self.print(id, &text);
        self.finish(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(p: &mut Playground, line: &str) -> String {
        let id = p.exec(line).unwrap();
        p.run_until_settled(id, 10_000).unwrap();
        p.output(id).unwrap().text.clone()
    }

    #[test]
    fn plant_lines_switch_the_service_bugs() {
        let mut p = Playground::new(ClusterConfig::new(3, 4)).unwrap();
        assert_eq!(run(&mut p, "plant"), "no planted bugs\n");
        let out = run(&mut p, "plant follower-local-read,drop-watch-event");
        assert!(
            out.contains("follower-local-read: followers serve"),
            "{out}"
        );
        assert!(out.contains("drop-watch-event"), "{out}");
        assert!(p.planted_bugs().contains(PlantedBug::DropWatchEvent));
        let out = run(&mut p, "plant apply-before-commit");
        assert!(out.contains("when the cluster is built"), "{out}");
        assert!(
            p.planted_bugs().contains(PlantedBug::FollowerLocalRead),
            "unchanged"
        );
        assert_eq!(run(&mut p, "plant none"), "no planted bugs\n");
        assert!(p.planted_bugs().is_empty());
        assert!(p.planted_at_start().is_empty());
    }

    #[test]
    fn a_cluster_built_broken_keeps_apply_before_commit() {
        let bugs = PlantedBugs::parse_list("apply-before-commit,skip-lease-revoke").unwrap();
        let mut p = Playground::with_planted_bugs(ClusterConfig::new(3, 4), bugs).unwrap();
        assert_eq!(p.planted_bugs(), bugs);
        assert_eq!(p.planted_at_start(), bugs);
        let out = run(&mut p, "plant none");
        assert!(out.contains("apply-before-commit"), "{out}");
        assert!(!out.contains("skip-lease-revoke"), "{out}");
        run(&mut p, "plant apply-before-commit,lock-without-recheck");
        assert!(p.planted_bugs().contains(PlantedBug::LockWithoutRecheck));
    }
}
