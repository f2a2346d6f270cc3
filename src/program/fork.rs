//! Where a counterfactual can first part from its base: two programs that
//! differ only in forced decisions run alike, draw for draw, until one of
//! those nodes comes due, so a paired run can share that prefix.

use super::{Node, Program};
use crate::expr::Code;

/// Parameters pinned: (slot, value).
pub type Pins = Vec<(u32, f64)>;

/// Where a program that pins parameters can part from the program itself
/// (see [`Program::pin_points`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PinPoints {
    /// The pins, as (slot, value).
    pub pins: Pins,
    /// Per node (by index): where it reads a pinned slot.
    pub reads: Box<[PinRead]>,
    /// Whether a result (an outcome, a flag, a metric) reads one: a branch's
    /// results are then worked out again with the pinned values.
    pub results: bool,
}

/// Where a node reads a pinned parameter (see [`Program::pin_points`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinRead {
    Nothing,
    /// In its condition: a branch can part as soon as the node comes due.
    Condition,
    /// Only in what it evaluates once its condition holds (its rule, its
    /// effects, the delays of the nodes timed after it).
    OnceItHolds,
}

impl Program {
    /// Whether the two share what frames every node: slots, lanes, clock,
    /// results and the stop condition.
    fn same_frame(&self, other: &Program) -> bool {
        self.slots == other.slots
            && self.lanes == other.lanes
            && self.meta.clock == other.meta.clock
            && self.outcomes == other.outcomes
            && self.flags == other.flags
            && self.metrics == other.metrics
            && self.stop_when == other.stop_when
    }

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
        let same = self.same_frame(other)
            && self.initial == other.initial
            && self.params == other.params
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

impl Program {
    /// The nodes whose state a step of node `i` can change: itself, the
    /// nodes timed after it, and those its effects make stale (the engine
    /// writes no other node's state in a step; see `engine::trunk`).
    pub fn touched_by(&self, i: u32) -> Box<[u32]> {
        let n = self.node(i);
        let effects = n.option_effects();
        let mut touched: Vec<u32> = std::iter::once(i)
            .chain(n.followers.iter().copied())
            .chain(effects.flat_map(|e| e.stales.iter().copied()))
            .collect();
        touched.sort_unstable();
        touched.dedup();
        touched.into()
    }

    /// When `other` is this program with parameters pinned to other values
    /// (as [`Program::with_param`] makes it), the pins, where each node
    /// reads a pinned slot, and whether the results do; up to the first
    /// node that runs and reads one, a branch of `other` does exactly what
    /// the same branch of this program does. `None` when anything else
    /// differs, or a pinned parameter is read before any node runs or
    /// between steps (a computed date, a window, the stop condition).
    pub fn pin_points(&self, other: &Program) -> Option<PinPoints> {
        let same = self.same_frame(other)
            && self.events == other.events
            && self.processes == other.processes
            && self.params.len() == other.params.len();
        if !same {
            return None;
        }
        let mut pins = Vec::new();
        for (a, b) in self.params.iter().zip(&other.params) {
            if a.slot != b.slot || a.name != b.name {
                return None;
            }
            if a.value != b.value {
                let super::ParamValue::Fixed(v) = b.value else {
                    return None;
                };
                pins.push((b.slot, v));
            }
        }
        let pinned = |s: u32| pins.iter().any(|&(p, _)| p == s);
        for (s, (x, y)) in self.initial.iter().zip(&other.initial).enumerate() {
            if x.to_bits() != y.to_bits() && !pinned(s as u32) {
                return None;
            }
        }
        let reads = |c: &Code| pins.iter().any(|&(s, _)| c.reads(s));
        let ends = self.outcomes.iter().chain(&self.flags).map(|c| &c.when);
        let metrics = self
            .metrics
            .iter()
            .flat_map(|m| std::iter::once(&m.value).chain(&m.when));
        if self.stop_when.as_ref().is_some_and(reads) {
            return None;
        }
        let results = ends.chain(metrics).any(reads);
        let mut forks = Vec::with_capacity(self.events.len() + self.processes.len());
        for n in self.nodes() {
            let start = match &n.timing {
                super::Timing::AtExpr(c) => reads(c),
                _ => false,
            };
            if start || (n.window_from_params && reads(&n.when)) {
                return None;
            }
            // What the node evaluates once its condition holds, the delays
            // of the nodes timed after it included.
            let mut codes = Vec::new();
            if let Some(r) = n.rule.as_deref() {
                r.codes(&mut codes);
            }
            n.then.codes(&mut codes);
            n.otherwise.codes(&mut codes);
            n.options.iter().for_each(|o| o.effects.codes(&mut codes));
            for &f in n.followers.iter() {
                if let super::Timing::After {
                    delay: super::Delay::Expr(c),
                    ..
                } = &self.node(f).timing
                {
                    codes.push(c);
                }
            }
            forks.push(match (reads(&n.when), codes.into_iter().any(reads)) {
                (true, _) => PinRead::Condition,
                (false, true) => PinRead::OnceItHolds,
                (false, false) => PinRead::Nothing,
            });
        }
        Some(PinPoints {
            pins,
            reads: forks.into(),
            results,
        })
    }
}
