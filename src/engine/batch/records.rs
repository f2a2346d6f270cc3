//! The records of a batch's branches, kept column-wise: per node, option,
//! flag and metric one column of 64 values (one per branch of the batch),
//! so a step is recorded in all the branches that took it at once, and a
//! batch is counted into a [`Tally`] a column at a time.

use super::bits;
use crate::expr::columns::{Mask, WIDTH};
use crate::expr::masks::BIT;
use crate::stats::{Record, Shape, Tally};

/// What a batch's branches did: a [`Record`] per branch, stored by column.
/// A branch outside the batch's lanes keeps zeros (and empty lists); one
/// taken out of it (see `Batch::leave`) keeps what it had then.
#[derive(Debug, Clone)]
pub struct Records {
    /// Per branch: the index of the result outcome that held.
    pub(super) outcome: [u32; WIDTH],
    /// Per flag: the branches where it holds.
    pub(super) flags: Vec<Mask>,
    /// Per metric and branch: its fixed-point value, `None` when absent.
    pub(super) metrics: Vec<[Option<i64>; WIDTH]>,
    /// Per node (events, then processes): steps reached, steps that fired.
    pub(super) reached: Vec<[u32; WIDTH]>,
    pub(super) fired: Vec<[u32; WIDTH]>,
    /// Per option of every node with named options (node `i`'s from
    /// `offsets[i]`, as in [`Record::chosen`]): steps that picked it.
    pub(super) chosen: Vec<[u32; WIDTH]>,
    pub(super) offsets: Vec<u32>,
    /// Per branch: its decisions (kept only when asked) and its path, as in [`Record`].
    pub(super) decisions: Vec<Vec<(u32, u32)>>,
    pub(super) paths: Vec<Vec<u32>>,
}

impl Records {
    pub fn new(shape: &Shape) -> Self {
        let nodes = shape.options.len();
        Records {
            outcome: [0; WIDTH],
            flags: vec![0; shape.flags],
            metrics: vec![[None; WIDTH]; shape.metrics],
            reached: vec![[0; WIDTH]; nodes],
            fired: vec![[0; WIDTH]; nodes],
            chosen: vec![[0; WIDTH]; shape.total_options()],
            offsets: shape.offsets(),
            decisions: (0..WIDTH).map(|_| Vec::with_capacity(64)).collect(),
            paths: (0..WIDTH).map(|_| Vec::with_capacity(64)).collect(),
        }
    }

    /// Empties the records for the next batch (keeping their allocations).
    pub(super) fn clear(&mut self) {
        self.outcome = [0; WIDTH];
        self.flags.fill(0);
        self.metrics.fill([None; WIDTH]);
        self.reached.fill([0; WIDTH]);
        self.fired.fill([0; WIDTH]);
        self.chosen.fill([0; WIDTH]);
        self.decisions.iter_mut().for_each(Vec::clear);
        self.paths.iter_mut().for_each(Vec::clear);
    }

    /// Becomes a copy of `other`, the records of a batch of the same shape,
    /// but for the lists of the branches outside `lists`.
    pub(super) fn copy_from(&mut self, other: &Records, lists: Mask) {
        self.outcome = other.outcome;
        self.flags.copy_from_slice(&other.flags);
        self.metrics.copy_from_slice(&other.metrics);
        self.reached.copy_from_slice(&other.reached);
        self.fired.copy_from_slice(&other.fired);
        self.chosen.copy_from_slice(&other.chosen);
        for k in bits(lists) {
            self.decisions[k].clone_from(&other.decisions[k]);
            self.paths[k].clone_from(&other.paths[k]);
        }
    }

    /// The branches where node `i`'s counts (steps reached and fired,
    /// each option picked) are the same in `other`, records of the same shape.
    pub fn same_counts(&self, other: &Records, i: usize) -> Mask {
        let options = self.offsets[i] as usize..self.offsets.get(i + 1).map_or(self.chosen.len(), |&o| o as usize);
        let pairs = [(&self.reached[i], &other.reached[i]), (&self.fired[i], &other.fired[i])];
        let chosen = self.chosen[options.clone()].iter().zip(&other.chosen[options]);
        pairs.into_iter().chain(chosen).fold(Mask::MAX, |same, (a, b)| {
            let mut equal = 0;
            for ((x, y), &bit) in a.iter().zip(b).zip(&BIT) {
                equal |= if x == y { bit } else { 0 };
            }
            same & equal
        })
    }

    /// Branch `k`'s result outcome, metric `m` and list of decisions.
    pub fn outcome(&self, k: usize) -> usize {
        self.outcome[k] as usize
    }

    pub fn metric(&self, m: usize, k: usize) -> Option<i64> {
        self.metrics[m][k]
    }

    pub fn decisions(&self, k: usize) -> &[(u32, u32)] {
        &self.decisions[k]
    }

    /// The branches where flag `f` holds.
    pub fn flag_lanes(&self, f: usize) -> Mask {
        self.flags[f]
    }

    /// Branch `k`'s record, written into `r` (a record of the same shape).
    pub fn record(&self, k: usize, r: &mut Record) {
        r.outcome = self.outcome[k] as usize;
        for (f, &holds) in r.flags.iter_mut().zip(&self.flags) {
            *f = holds & (1 << k) != 0;
        }
        for (m, values) in r.metrics.iter_mut().zip(&self.metrics) {
            *m = values[k];
        }
        let column = |to: &mut Vec<u32>, from: &[[u32; WIDTH]]| {
            to.iter_mut().zip(from).for_each(|(v, c)| *v = c[k]);
        };
        column(&mut r.reached, &self.reached);
        column(&mut r.fired, &self.fired);
        column(&mut r.chosen, &self.chosen);
        r.decisions.clone_from(&self.decisions[k]);
        r.path.clone_from(&self.paths[k]);
    }

    /// Counts the branches of `lanes` into `t`, as [`Tally::add`] of each
    /// branch's record in turn does (lowest branch first).
    pub fn tally(&self, lanes: Mask, t: &mut Tally) {
        if lanes == 0 {
            return;
        }
        t.branches += u64::from(lanes.count_ones());
        for k in bits(lanes) {
            t.outcomes[self.outcome[k] as usize] += 1;
        }
        for (c, &holds) in t.flags.iter_mut().zip(&self.flags) {
            *c += u64::from((holds & lanes).count_ones());
        }
        let keep = BIT.map(|bit| if lanes & bit != 0 { u32::MAX } else { 0 });
        counts(&self.reached, &keep, &mut t.reached, &mut t.steps);
        counts(&self.fired, &keep, &mut t.fired, &mut t.steps_fired);
        counts(&self.chosen, &keep, &mut t.chosen, &mut t.chosen_steps);
        for (m, values) in t.metrics.iter_mut().zip(&self.metrics) {
            for q in bits(lanes).filter_map(|k| values[k]) {
                m.moments.add_fixed(q);
                m.quantiles.add_fixed(q);
            }
        }
        for k in bits(lanes) {
            t.paths.add(&self.paths[k]);
        }
    }
}

/// Adds, per column, the branches where it is not zero to `once` and its
/// sum to `total`, in the places where `keep` is all ones (the others are
/// zeros). A count is at most one a tick, and a batch's timeline has fewer
/// than 2^25 ticks (see `Plan::new`), so 64 of them add up without
/// overflow in a `u32`.
fn counts(columns: &[[u32; WIDTH]], keep: &[u32; WIDTH], once: &mut [u64], total: &mut [u64]) {
    for ((c, once), total) in columns.iter().zip(once).zip(total) {
        let (mut n, mut sum) = (0u32, 0u32);
        for (&v, &keep) in c.iter().zip(keep) {
            let v = v & keep;
            n += u32::from(v != 0);
            sum += v;
        }
        *once += u64::from(n);
        *total += u64::from(sum);
    }
}
