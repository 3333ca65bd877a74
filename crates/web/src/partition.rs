//! Drawing a partition by hand: the groups a person drags nodes between in the cluster view, and
//! the console line (`partition 1,2 3,4,5`, or `heal` for a single group) that makes them real.
//!
//! ```
//! use web::partition::{Draft, Target};
//! let mut d = Draft::single(&[1, 2, 3, 4, 5]);
//! d.place(1, Target::NewGroup);
//! d.place(2, Target::Node(1));
//! assert_eq!(d.line(), "partition 3,4,5 1,2");
//! ```

use sim::network::LinkMode;
use sim::ClusterView;

/// Where a node is dropped: onto another node (its group), onto a group, or into a new group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The group of this node.
    Node(u64),
    /// The group at this index.
    Group(usize),
    /// A group of its own.
    NewGroup,
}

impl Target {
    /// Reads a drop target's `data-part-target` attribute: `node:3`, `group:0` or `new`.
    pub fn parse(s: &str) -> Option<Target> {
        match s.split_once(':') {
            Some(("node", n)) => n.parse().ok().map(Target::Node),
            Some(("group", i)) => i.parse().ok().map(Target::Group),
            None if s == "new" => Some(Target::NewGroup),
            _ => None,
        }
    }

    /// The `data-part-target` attribute for this target.
    pub fn attr(self) -> String {
        match self {
            Target::Node(n) => format!("node:{n}"),
            Target::Group(i) => format!("group:{i}"),
            Target::NewGroup => "new".to_string(),
        }
    }
}

/// Puts `id` into the sorted group `g`, in order. (Groups are small: this keeps the sort
/// machinery of the standard library out of the browser bundle.)
fn insert_sorted(g: &mut Vec<u64>, id: u64) {
    if let Err(at) = g.binary_search(&id) {
        g.insert(at, id);
    }
}

/// The groups being drawn (none empty; each sorted), and the node picked up by a click or a key
/// to be placed by the next one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Draft {
    /// The groups, in the order they are shown.
    pub groups: Vec<Vec<u64>>,
    /// The node picked up, if any.
    pub picked: Option<u64>,
}

impl Draft {
    /// Every node in one group.
    pub fn single(ids: &[u64]) -> Draft {
        let mut g = Vec::with_capacity(ids.len());
        for id in ids {
            insert_sorted(&mut g, *id);
        }
        Draft {
            groups: if g.is_empty() { Vec::new() } else { vec![g] },
            picked: None,
        }
    }

    /// The network as it stands: nodes joined by links cut in neither direction share a group
    /// (so a partition made before shows as its groups). Groups are ordered by their smallest
    /// node.
    pub fn from_view(view: &ClusterView) -> Draft {
        let ids: Vec<u64> = view.nodes.iter().map(|n| n.id).collect();
        let cut = |a: u64, b: u64| {
            view.links.iter().any(|l| {
                l.mode == LinkMode::Cut && ((l.from, l.to) == (a, b) || (l.from, l.to) == (b, a))
            })
        };
        let mut group_of: Vec<usize> = (0..ids.len()).collect();
        fn root(g: &mut [usize], mut i: usize) -> usize {
            while g[i] != i {
                g[i] = g[g[i]];
                i = g[i];
            }
            i
        }
        for i in 0..ids.len() {
            for j in i + 1..ids.len() {
                if !cut(ids[i], ids[j]) {
                    let (a, b) = (root(&mut group_of, i), root(&mut group_of, j));
                    group_of[a.max(b)] = a.min(b);
                }
            }
        }
        // The view lists nodes by id, so groups come in the order of their smallest node.
        let mut groups: Vec<(usize, Vec<u64>)> = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            let r = root(&mut group_of, i);
            match groups.iter_mut().find(|(k, _)| *k == r) {
                Some((_, g)) => insert_sorted(g, *id),
                None => groups.push((r, vec![*id])),
            }
        }
        let groups = groups.into_iter().map(|(_, g)| g).collect();
        Draft {
            groups,
            picked: None,
        }
    }

    /// Keeps the drawing to the nodes there are (membership can change while it is open): drops
    /// nodes that left and puts newcomers in the first group.
    /// Returns whether anything changed.
    pub fn sync(&mut self, ids: &[u64]) -> bool {
        let before = self.clone();
        for g in &mut self.groups {
            g.retain(|n| ids.contains(n));
        }
        self.groups.retain(|g| !g.is_empty());
        for id in ids {
            if self.group_of(*id).is_none() {
                match self.groups.first_mut() {
                    Some(g) => insert_sorted(g, *id),
                    None => self.groups.push(vec![*id]),
                }
            }
        }
        if self.picked.is_some_and(|p| !ids.contains(&p)) {
            self.picked = None;
        }
        *self != before
    }

    /// The index of `id`'s group.
    pub fn group_of(&self, id: u64) -> Option<usize> {
        self.groups.iter().position(|g| g.contains(&id))
    }

    /// Moves `id` to `target`. Returns whether anything changed (dropping a node on itself or
    /// on its own group does not).
    pub fn place(&mut self, id: u64, target: Target) -> bool {
        let Some(from) = self.group_of(id) else {
            return false;
        };
        let to = match target {
            Target::Node(other) => match self.group_of(other) {
                Some(g) => Some(g),
                None => return false,
            },
            Target::Group(i) if i < self.groups.len() => Some(i),
            Target::Group(_) | Target::NewGroup => None,
        };
        match to {
            Some(g) if g == from => return false,
            None if self.groups[from].len() == 1 => return false,
            _ => {}
        }
        self.groups[from].retain(|n| *n != id);
        match to {
            Some(g) => insert_sorted(&mut self.groups[g], id),
            None => self.groups.push(vec![id]),
        }
        self.groups.retain(|g| !g.is_empty());
        true
    }

    /// A click (or Enter) on node `id`: picks it up, puts it down again, or, with another node
    /// picked up, moves that one into `id`'s group.
    pub fn click_node(&mut self, id: u64) {
        match self.picked.take() {
            Some(p) if p != id => {
                self.place(p, Target::Node(id));
            }
            Some(_) => {}
            None => self.picked = Some(id),
        }
    }

    /// A click (or Enter) on a group or on empty space: places the node picked up, if any.
    pub fn click_target(&mut self, target: Target) {
        if let Some(p) = self.picked.take() {
            self.place(p, target);
        }
    }

    /// The console line that makes these groups real: `partition 1,2 3,4,5`, or `heal` when
    /// there is a single group.
    pub fn line(&self) -> String {
        if self.groups.len() < 2 {
            return "heal".to_string();
        }
        let parts: Vec<String> = self
            .groups
            .iter()
            .map(|g| g.iter().map(u64::to_string).collect::<Vec<_>>().join(","))
            .collect();
        format!("partition {}", parts.join(" "))
    }
}

/// A group's name on screen: A, B, ... Z, then G27, G28, ...
pub fn group_name(i: usize) -> String {
    match u8::try_from(i) {
        Ok(k) if k < 26 => char::from(b'A' + k).to_string(),
        _ => format!("G{}", i + 1),
    }
}

/// A group's color (calm, distinct, readable on white), cycling.
pub fn group_color(i: usize) -> &'static str {
    const COLORS: [&str; 6] = [
        "#0f766e", "#b45309", "#6d28d9", "#be123c", "#0369a1", "#4d7c0f",
    ];
    COLORS[i % COLORS.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::{Cluster, ClusterConfig, DigestMachine};

    #[test]
    fn targets_round_trip_through_their_attribute() {
        for t in [Target::Node(7), Target::Group(2), Target::NewGroup] {
            assert_eq!(Target::parse(&t.attr()), Some(t));
        }
        assert_eq!(Target::parse("node:x"), None);
        assert_eq!(Target::parse("lane:1"), None);
        assert_eq!(Target::parse(""), None);
    }

    #[test]
    fn placing_moves_a_node_between_groups_and_drops_empty_ones() {
        let mut d = Draft::single(&[3, 1, 2, 5, 4]);
        assert_eq!(d.groups, vec![vec![1, 2, 3, 4, 5]]);
        assert_eq!(d.line(), "heal");
        assert!(d.place(5, Target::NewGroup));
        assert!(d.place(1, Target::Node(5)));
        assert_eq!(d.groups, vec![vec![2, 3, 4], vec![1, 5]]);
        assert_eq!(d.line(), "partition 2,3,4 1,5");
        // On itself, on its own group, alone into a new group: nothing changes.
        assert!(!d.place(1, Target::Node(1)));
        assert!(!d.place(1, Target::Node(5)));
        assert!(!d.place(1, Target::Group(1)));
        assert!(d.place(2, Target::NewGroup));
        assert!(!d.place(2, Target::NewGroup));
        // An unknown group index means a new group; unknown nodes change nothing.
        assert!(d.place(3, Target::Group(9)));
        assert!(!d.place(9, Target::NewGroup));
        assert!(!d.place(4, Target::Node(9)));
        assert_eq!(d.line(), "partition 4 1,5 2 3");
        // Emptying a group removes it; the others keep their order.
        assert!(d.place(2, Target::Group(0)));
        assert_eq!(d.groups, vec![vec![2, 4], vec![1, 5], vec![3]]);
        assert!(d.place(3, Target::Node(1)));
        assert_eq!(d.groups, vec![vec![2, 4], vec![1, 3, 5]]);
    }

    #[test]
    fn clicks_pick_up_and_place() {
        let mut d = Draft::single(&[1, 2, 3]);
        d.click_node(1);
        assert_eq!(d.picked, Some(1));
        d.click_node(1);
        assert_eq!(
            (d.picked, d.groups.len()),
            (None, 1),
            "a second click puts it back"
        );
        d.click_node(1);
        d.click_target(Target::NewGroup);
        assert_eq!(d.groups, vec![vec![2, 3], vec![1]]);
        d.click_node(2);
        d.click_node(1);
        assert_eq!(d.groups, vec![vec![3], vec![1, 2]]);
        assert_eq!(d.picked, None);
        d.click_target(Target::Group(0));
        assert_eq!(
            d.groups,
            vec![vec![3], vec![1, 2]],
            "nothing picked up, nothing moves"
        );
        d.click_node(3);
        d.click_target(Target::Group(1));
        assert_eq!(d.groups, vec![vec![1, 2, 3]]);
    }

    #[test]
    fn the_drawing_starts_from_the_network_as_it_stands() {
        let mut c: Cluster<DigestMachine> = Cluster::new(ClusterConfig::new(5, 1)).unwrap();
        assert_eq!(
            Draft::from_view(&c.view()).groups,
            vec![vec![1, 2, 3, 4, 5]]
        );
        c.apply(sim::Action::Partition(vec![vec![4, 1], vec![2]]))
            .unwrap();
        let d = Draft::from_view(&c.view());
        assert_eq!(d.groups, vec![vec![1, 4], vec![2], vec![3, 5]]);
        assert_eq!(d.line(), "partition 1,4 2 3,5");
        // A one-way cut separates the two nodes as well.
        c.apply(sim::Action::Heal).unwrap();
        c.apply(sim::Action::Cut { from: 2, to: 3 }).unwrap();
        let d = Draft::from_view(&c.view());
        assert_eq!(
            d.groups.len(),
            1,
            "2 and 3 still reach each other through 1"
        );
    }

    #[test]
    fn the_drawing_follows_membership_changes() {
        let mut d = Draft::single(&[1, 2, 3]);
        d.place(3, Target::NewGroup);
        d.click_node(3);
        assert!(d.sync(&[1, 2, 4]));
        assert!(!d.sync(&[1, 2, 4]));
        assert_eq!(d.groups, vec![vec![1, 2, 4]]);
        assert_eq!(d.picked, None);
        d.sync(&[]);
        assert!(d.groups.is_empty());
        d.sync(&[5]);
        assert_eq!(d.groups, vec![vec![5]]);
    }

    #[test]
    fn groups_have_names_and_colors() {
        assert_eq!(group_name(0), "A");
        assert_eq!(group_name(25), "Z");
        assert_eq!(group_name(26), "G27");
        assert_eq!(group_color(0), group_color(6));
    }
}
