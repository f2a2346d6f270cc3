//! Streaming statistics over branches. Every accumulator merges by exact
//! integer addition, so results do not depend on batching or threads, and
//! memory does not grow with the branch count.

pub mod interval;
pub mod moments;
pub mod paths;
pub mod quantile;
pub mod score;

use moments::Moments;
use quantile::Quantiles;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

/// Serializes a hash map as a list of (key, value) pairs in key order, so
/// that a partial result is the same file whatever order the map holds.
pub mod sorted_map {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub fn serialize<K, V, H, S>(map: &HashMap<K, V, H>, s: S) -> Result<S::Ok, S::Error>
    where
        K: Serialize + Ord,
        V: Serialize,
        S: Serializer,
    {
        let mut pairs: Vec<(&K, &V)> = map.iter().collect();
        pairs.sort_by(|a, b| a.0.cmp(b.0));
        pairs.serialize(s)
    }

    pub fn deserialize<'de, K, V, H, D>(d: D) -> Result<HashMap<K, V, H>, D::Error>
    where
        K: Deserialize<'de> + Eq + Hash,
        V: Deserialize<'de>,
        H: std::hash::BuildHasher + Default,
        D: Deserializer<'de>,
    {
        Ok(Vec::<(K, V)>::deserialize(d)?.into_iter().collect())
    }
}

/// The sizes of what a program's branches record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shape {
    pub outcomes: usize,
    pub flags: usize,
    pub metrics: usize,
    /// Per node (events, then processes): its number of named options (0
    /// for a yes/no decision or a plain event).
    pub options: Vec<u32>,
}

impl Shape {
    /// Per node, where its options' counts start in [`Record::chosen`].
    pub(crate) fn offsets(&self) -> Vec<u32> {
        self.options
            .iter()
            .scan(0, |acc, &n| {
                let at = *acc;
                *acc += n;
                Some(at)
            })
            .collect()
    }

    pub(crate) fn total_options(&self) -> usize {
        self.options.iter().map(|&n| n as usize).sum()
    }
}

/// What one branch produced; filled by the engine, read by [`Tally::add`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    /// Index of the result outcome that held.
    pub outcome: usize,
    pub flags: Vec<bool>,
    /// Fixed-point metric values (see [`moments::fixed`]); `None` when absent.
    pub metrics: Vec<Option<i64>>,
    /// Per node (events, then processes): steps reached, steps that fired.
    pub reached: Vec<u32>,
    pub fired: Vec<u32>,
    /// Per option of every node with named options: steps that picked it
    /// (node `i`'s options start at `option_offsets[i]`).
    pub chosen: Vec<u32>,
    pub option_offsets: Vec<u32>,
    /// What happened, in order, as `(tick, node << 8 | option)`: every event
    /// reached, every step of a process that fired. The option is
    /// `0xff` for something that happened without a decision.
    pub decisions: Vec<(u32, u32)>,
    /// The decisions of `decisions` (a process's runs of equal ones once):
    /// the branch's path.
    pub path: Vec<u32>,
}

impl Record {
    pub fn new(shape: &Shape) -> Self {
        let nodes = shape.options.len();
        Record {
            outcome: 0,
            flags: vec![false; shape.flags],
            metrics: vec![None; shape.metrics],
            reached: vec![0; nodes],
            fired: vec![0; nodes],
            chosen: vec![0; shape.total_options()],
            option_offsets: shape.offsets(),
            decisions: Vec::with_capacity(64),
            path: Vec::with_capacity(64),
        }
    }

    /// Empties the record for the next branch (keeping its allocations).
    pub fn clear(&mut self) {
        self.reached.fill(0);
        self.fired.fill(0);
        self.chosen.fill(0);
        self.decisions.clear();
        self.path.clear();
    }

    /// Becomes a copy of `other`, a record of the same shape (no
    /// allocation once the lists have grown).
    pub fn copy_from(&mut self, other: &Record) {
        self.outcome = other.outcome;
        self.flags.copy_from_slice(&other.flags);
        self.metrics.copy_from_slice(&other.metrics);
        self.reached.copy_from_slice(&other.reached);
        self.fired.copy_from_slice(&other.fired);
        self.chosen.copy_from_slice(&other.chosen);
        self.decisions.clone_from(&other.decisions);
        self.path.clone_from(&other.path);
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MetricTally {
    pub moments: Moments,
    pub quantiles: Quantiles,
}

/// A word-at-a-time multiplicative hash for the tallies' maps: fast, and
/// since every count is exact, the hash never affects results.
#[derive(Default)]
pub struct FastHasher(u64);

/// A hash map keyed by our own data, with [`FastHasher`].
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

impl FastHasher {
    #[inline]
    fn mix(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 29)
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.mix(u64::from_le_bytes(c.try_into().expect("chunks of 8"))); // ok: chunks_exact(8)
        }
        chunks.remainder().iter().for_each(|&b| self.mix(u64::from(b)));
    }
    fn write_u32(&mut self, x: u32) {
        self.mix(u64::from(x));
    }
    fn write_usize(&mut self, x: usize) {
        self.mix(x as u64);
    }
    fn write_u64(&mut self, x: u64) {
        self.mix(x);
    }
    fn write_i64(&mut self, x: i64) {
        self.mix(x as u64);
    }
    fn write_i32(&mut self, x: i32) {
        self.mix(u64::from(x as u32));
    }
}

pub type PathCounts = FastMap<Box<[u32]>, u64>;

/// Counts and sums over a set of branches.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Tally {
    pub branches: u64,
    pub outcomes: Vec<u64>,
    pub flags: Vec<u64>,
    /// Per node: branches in which it was reached / fired at least once.
    pub reached: Vec<u64>,
    pub fired: Vec<u64>,
    /// Per node: total steps run and steps fired.
    pub steps: Vec<u64>,
    pub steps_fired: Vec<u64>,
    /// Per option (as in [`Record::chosen`]): branches that picked it at
    /// least once, and steps that picked it.
    pub chosen: Vec<u64>,
    pub chosen_steps: Vec<u64>,
    pub metrics: Vec<MetricTally>,
    pub paths: paths::PathTable,
}

impl Tally {
    pub fn new(shape: &Shape) -> Self {
        let nodes = shape.options.len();
        let options = shape.total_options();
        Tally {
            branches: 0,
            outcomes: vec![0; shape.outcomes],
            flags: vec![0; shape.flags],
            reached: vec![0; nodes],
            fired: vec![0; nodes],
            steps: vec![0; nodes],
            steps_fired: vec![0; nodes],
            chosen: vec![0; options],
            chosen_steps: vec![0; options],
            metrics: vec![MetricTally::default(); shape.metrics],
            paths: paths::PathTable::default(),
        }
    }

    #[inline]
    pub fn add(&mut self, r: &Record) {
        self.branches += 1;
        self.outcomes[r.outcome] += 1;
        for (c, &f) in self.flags.iter_mut().zip(&r.flags) {
            *c += u64::from(f);
        }
        // Slices of one length, so the loop runs without bounds checks.
        let n = r.reached.len();
        let (reached, fired) = (&mut self.reached[..n], &mut self.fired[..n]);
        let (steps, steps_fired) = (&mut self.steps[..n], &mut self.steps_fired[..n]);
        let (r_reached, r_fired) = (&r.reached[..n], &r.fired[..n]);
        for i in 0..n {
            // A node fires only at steps it reached: most nodes of most
            // branches are not reached, and cost one test.
            let re = r_reached[i];
            if re == 0 {
                continue;
            }
            let fi = r_fired[i];
            reached[i] += 1;
            steps[i] += u64::from(re);
            if fi > 0 {
                fired[i] += 1;
                steps_fired[i] += u64::from(fi);
            }
        }
        let k = r.chosen.len();
        let (chosen, chosen_steps) = (&mut self.chosen[..k], &mut self.chosen_steps[..k]);
        for (i, &c) in r.chosen.iter().enumerate() {
            chosen[i] += u64::from(c > 0);
            chosen_steps[i] += u64::from(c);
        }
        for (m, v) in self.metrics.iter_mut().zip(&r.metrics) {
            if let Some(q) = *v {
                m.moments.add_fixed(q);
                m.quantiles.add_fixed(q);
            }
        }
        self.paths.add(&r.path);
    }

    pub fn merge(mut self, other: Tally) -> Tally {
        self.branches += other.branches;
        let add = |a: &mut Vec<u64>, b: &[u64]| a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        add(&mut self.outcomes, &other.outcomes);
        add(&mut self.flags, &other.flags);
        add(&mut self.reached, &other.reached);
        add(&mut self.fired, &other.fired);
        add(&mut self.steps, &other.steps);
        add(&mut self.steps_fired, &other.steps_fired);
        add(&mut self.chosen, &other.chosen);
        add(&mut self.chosen_steps, &other.chosen_steps);
        for (a, b) in self.metrics.iter_mut().zip(&other.metrics) {
            a.moments.merge(&b.moments);
            a.quantiles.merge(&b.quantiles);
        }
        self.paths.merge(other.paths);
        self
    }

    /// The `k` most frequent paths kept, ties broken by the path itself,
    /// and the branches whose path the table did not keep (see [`paths`]).
    pub fn top_paths(&self, k: usize) -> (Vec<(&[u32], u64)>, u64) {
        let (mut all, other) = self.paths.finished();
        all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        all.truncate(k);
        (all, other)
    }
}
