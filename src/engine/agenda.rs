//! The agenda: the due key of every node, kept in a tournament tree so
//! that the first one due is read at the root and a change to one node's
//! key costs a walk up the tree (log₂ of the node count), not a scan of
//! every node.

use super::schedule::NEVER;

/// Due keys of nodes `first..first + count` (the others are never due);
/// every internal entry holds the smaller of its two children, so the
/// root holds the first key due.
#[derive(Clone, PartialEq)]
pub struct Agenda {
    first: u32,
    /// Leaves start here: node `i` is entry `leaves + i - first`.
    leaves: usize,
    tree: Box<[u64]>,
}

impl Agenda {
    pub fn new(first: u32, count: usize) -> Self {
        let leaves = count.next_power_of_two().max(2);
        Agenda {
            first,
            leaves,
            tree: vec![NEVER; 2 * leaves].into(),
        }
    }

    #[inline]
    fn leaf(&self, i: u32) -> usize {
        debug_assert!(i >= self.first, "node {i} is never due");
        self.leaves + (i - self.first) as usize
    }

    /// The first key due ([`NEVER`] if none).
    #[inline]
    pub fn first(&self) -> u64 {
        self.tree[1]
    }

    /// Node `i`'s due key.
    #[inline]
    pub fn due(&self, i: u32) -> u64 {
        match i >= self.first {
            true => self.tree[self.leaf(i)],
            false => NEVER,
        }
    }

    /// Becomes a copy of `other`, an agenda of the same size.
    pub fn copy_from(&mut self, other: &Agenda) {
        self.tree.copy_from_slice(&other.tree);
    }

    /// Sets node `i`'s due key.
    #[inline]
    pub fn set(&mut self, i: u32, key: u64) {
        let mut j = self.leaf(i);
        if self.tree[j] == key {
            return;
        }
        self.tree[j] = key;
        while j > 1 {
            let m = self.tree[j].min(self.tree[j ^ 1]);
            j /= 2;
            if self.tree[j] == m {
                return; // nothing above changes
            }
            self.tree[j] = m;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// After any sequence of changes, the root is the smallest key,
        /// and each node's key is the last one set.
        #[test]
        fn root_is_the_minimum(first in 0u32..5, count in 1usize..70, changes in prop::collection::vec((0u32..70, 0u64..1000, any::<bool>()), 0..200)) {
            let mut agenda = Agenda::new(first, count);
            let mut keys = vec![NEVER; count];
            prop_assert_eq!(agenda.due(first.saturating_sub(1)), NEVER);
            for (i, k, never) in changes {
                let i = i % count as u32;
                let k = if never { NEVER } else { k };
                agenda.set(first + i, k);
                keys[i as usize] = k;
                prop_assert_eq!(agenda.first(), keys.iter().copied().min().unwrap_or(NEVER));
                prop_assert_eq!(agenda.due(first + i), k);
            }
            for i in 0..count as u32 {
                agenda.set(first + i, NEVER);
            }
            prop_assert_eq!(agenda.first(), NEVER);
        }
    }
}
