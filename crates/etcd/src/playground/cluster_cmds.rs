//! Cluster commands: `endpoint status|health|hashkv` ask each endpoint through the client and
//! print once every member answered; which endpoints a command asks.

use std::collections::BTreeMap;

use super::commands::{Gather, GatherKind, Role, Task};
use super::{CommandId, Playground};
use crate::ctl::{OutputFormat, Target};

impl Playground {
    fn endpoints(&self, target: &Target) -> Vec<u64> {
        match target {
            Target::Node(n) => vec![*n],
            Target::Default => self.cluster().node_ids(),
        }
    }

    /// The endpoints a cluster command asks, with their names as etcdctl prints them: as given
    /// (`node1`), or with `--cluster` every started member's client URL, ordered by member id
    /// as etcd lists its members.
    fn named_endpoints(&self, target: &Target, cluster: bool) -> Vec<(u64, String)> {
        if !cluster {
            return self
                .endpoints(target)
                .into_iter()
                .map(|n| (n, format!("node{n}")))
                .collect();
        }
        let mut nodes: Vec<u64> = self
            .client
            .members()
            .iter()
            .filter(|m| !m.client_urls.is_empty())
            .filter_map(|m| self.client.node_of_member(m.id))
            .collect();
        order::sort_by(&mut nodes, |a, b| {
            self.client.member_id(*a).cmp(&self.client.member_id(*b))
        });
        nodes
            .into_iter()
            .map(|n| (n, format!("http://node{n}:2379")))
            .collect()
    }

    /// `endpoint status|hashkv|health`: one call per endpoint.
    pub(super) fn gather(
        &mut self,
        id: CommandId,
        kind: GatherKind,
        target: &Target,
        cluster: bool,
        rev: i64,
        format: OutputFormat,
    ) {
        let endpoints = self.named_endpoints(target, cluster);
        let mut g = Gather {
            kind,
            format,
            pending: endpoints.len(),
            started: self.now(),
            names: order::map(endpoints.iter().cloned()),
            nodes: BTreeMap::new(),
            answers: Vec::new(),
        };
        for (n, _) in &endpoints {
            let call = match kind {
                GatherKind::Status => self.client.status(*n),
                GatherKind::HashKv => self.client.hash_kv(*n, rev),
                GatherKind::Health => self.client.health(*n),
            };
            g.nodes.insert(call, *n);
            self.calls.insert(call, Box::new((id, Role::Member)));
        }
        self.tasks.insert(id, Box::new(Task::Gather(Box::new(g))));
        if endpoints.is_empty() {
            self.gathered(id);
        }
    }
}
