//! A persistent list of full leaves: an append-only trie of [`WIDTH`]-item leaves under
//! [`WIDTH`]-child branches (Clojure's persistent vector without its tail; [`crate::revs`]
//! keeps the tail). A clone is O(1) and shares every node; a push after a clone copies only
//! the branches on the path to the new leaf (at most [`WIDTH`] pointers per level), never a
//! leaf, so a key's revision history costs the same to extend however long it is and
//! however often a snapshot shares it.

use std::sync::Arc;

/// Items per leaf and children per branch.
pub(crate) const WIDTH: usize = 16;
const BITS: u32 = WIDTH.trailing_zeros();

#[derive(Clone, Debug)]
enum Node<T> {
    Leaf(Arc<[T; WIDTH]>),
    Branch(Arc<Vec<Node<T>>>),
}

/// Full leaves of `T`, in push order (see the module's documentation).
#[derive(Clone, Debug)]
pub(crate) struct Leaves<T> {
    root: Option<Node<T>>,
    /// Leaves held.
    count: usize,
    /// Levels of branches above the leaves (0: the root is the only leaf).
    height: u32,
}

impl<T> Default for Leaves<T> {
    fn default() -> Self {
        Leaves {
            root: None,
            count: 0,
            height: 0,
        }
    }
}

impl<T: Copy> Leaves<T> {
    /// Items held (a multiple of [`WIDTH`]).
    pub fn len(&self) -> usize {
        self.count * WIDTH
    }

    /// The `i`th item.
    pub fn get(&self, i: usize) -> Option<&T> {
        let leaf = i / WIDTH;
        if leaf >= self.count {
            return None;
        }
        let mut node = self.root.as_ref()?;
        let mut height = self.height;
        loop {
            match node {
                Node::Leaf(items) => return items.get(i % WIDTH),
                Node::Branch(children) => {
                    height -= 1;
                    node = children.get((leaf >> (BITS * height)) & (WIDTH - 1))?;
                }
            }
        }
    }

    /// Appends a full leaf.
    pub fn push(&mut self, items: [T; WIDTH]) {
        let leaf = Node::Leaf(Arc::new(items));
        self.root = Some(match self.root.take() {
            None => leaf,
            // Every slot under the root is taken: a new root above it.
            Some(root) if self.count == 1 << (BITS * self.height) => {
                self.height += 1;
                Node::Branch(Arc::new(vec![root, path(leaf, self.height - 1)]))
            }
            Some(mut root) => {
                push_into(&mut root, leaf, self.count, self.height);
                root
            }
        });
        self.count += 1;
    }
}

/// `leaf` under `height` levels of one-child branches.
fn path<T>(leaf: Node<T>, height: u32) -> Node<T> {
    (0..height).fold(leaf, |node, _| Node::Branch(Arc::new(vec![node])))
}

/// Puts `leaf` as leaf number `at` under `node`, a branch `height` levels above the leaves
/// with a free slot for it.
fn push_into<T: Copy>(node: &mut Node<T>, leaf: Node<T>, at: usize, height: u32) {
    let Node::Branch(children) = node else {
        unreachable!("a leaf has no free slot");
    };
    let children = Arc::make_mut(children);
    let slot = (at >> (BITS * (height - 1))) & (WIDTH - 1);
    if slot == children.len() {
        children.push(path(leaf, height - 1));
    } else {
        push_into(&mut children[slot], leaf, at, height - 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_every_item_and_a_clone_does_not_move() {
        let mut leaves = Leaves::default();
        let mut clones = Vec::new();
        for n in 0..300usize {
            let items: [usize; WIDTH] = std::array::from_fn(|i| n * WIDTH + i);
            clones.push(leaves.clone());
            leaves.push(items);
            assert_eq!(leaves.len(), (n + 1) * WIDTH);
        }
        for i in 0..leaves.len() {
            assert_eq!(leaves.get(i), Some(&i));
        }
        assert_eq!(leaves.get(leaves.len()), None);
        for (n, c) in clones.iter().enumerate() {
            assert_eq!(c.len(), n * WIDTH);
            assert!((0..c.len()).all(|i| c.get(i) == Some(&i)), "clone {n}");
        }
    }
}
