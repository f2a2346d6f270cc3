//! Where a counterfactual can first part from its base: two programs that
//! differ only in forced decisions run alike, draw for draw, until one of
//! those nodes comes due, so a paired run can share that prefix.

use super::{Node, Program};

impl Program {
    /// The streams of the lanes some rule reads: all but those of forced
    /// nodes (which keep theirs, unread, for [`Self::fork_points`]).
    pub fn read_lanes(&self) -> impl Iterator<Item = u64> + '_ {
        let unread: Vec<std::ops::Range<usize>> = self
            .nodes()
            .filter(|n| n.forced.is_some())
            .filter_map(|n| n.lane.map(|l| l as usize..(l + n.max_steps) as usize))
            .collect();
        let read = move |i: &usize| !unread.iter().any(|r| r.contains(i));
        (0..self.lanes.len()).filter(read).map(|i| self.lanes[i])
    }

    /// The nodes (by index) whose forced decision differs between `self`
    /// and `other`, when that is all that differs in what the engine reads
    /// (slots, parameters, lanes, nodes, results, clock); `None` otherwise.
    /// Up to the first of them, a branch of either program does exactly
    /// what the same branch of the other does.
    pub fn fork_points(&self, other: &Program) -> Option<Box<[bool]>> {
        let same = self.slots == other.slots
            && self.initial == other.initial
            && self.params == other.params
            && self.lanes == other.lanes
            && self.meta.clock == other.meta.clock
            && self.outcomes == other.outcomes
            && self.flags == other.flags
            && self.metrics == other.metrics
            && self.stop_when == other.stop_when
            && self.events.len() == other.events.len()
            && self.processes.len() == other.processes.len();
        if !same {
            return None;
        }
        let unforced = |n: &Node| Node {
            forced: None,
            ..n.clone()
        };
        self.nodes()
            .zip(other.nodes())
            .map(|(a, b)| {
                let alike = match a.forced == b.forced {
                    true => a == b,
                    false => unforced(a) == unforced(b),
                };
                alike.then_some(a.forced != b.forced)
            })
            .collect()
    }
}
