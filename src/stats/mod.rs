//! Streaming statistics over branches. Every accumulator merges by exact
//! integer addition, so results do not depend on batching or threads, and
//! memory does not grow with the branch count.

pub mod interval;
pub mod moments;
pub mod quantile;

use moments::Moments;
use quantile::Quantiles;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

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
    /// Decisions taken at dated events: `event index << 1 | yes`.
    pub path: Vec<u32>,
}

impl Record {
    pub fn new(flags: usize, metrics: usize, nodes: usize) -> Self {
        Record {
            outcome: 0,
            flags: vec![false; flags],
            metrics: vec![None; metrics],
            reached: vec![0; nodes],
            fired: vec![0; nodes],
            path: Vec::with_capacity(64),
        }
    }
}

#[derive(Debug, Clone, Default)]
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
#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub branches: u64,
    pub outcomes: Vec<u64>,
    pub flags: Vec<u64>,
    /// Per node: branches in which it was reached / fired at least once.
    pub reached: Vec<u64>,
    pub fired: Vec<u64>,
    /// Per node: total steps run and steps fired (processes step monthly).
    pub steps: Vec<u64>,
    pub steps_fired: Vec<u64>,
    pub metrics: Vec<MetricTally>,
    pub paths: PathCounts,
}

impl Tally {
    pub fn new(outcomes: usize, flags: usize, metrics: usize, nodes: usize) -> Self {
        Tally {
            branches: 0,
            outcomes: vec![0; outcomes],
            flags: vec![0; flags],
            reached: vec![0; nodes],
            fired: vec![0; nodes],
            steps: vec![0; nodes],
            steps_fired: vec![0; nodes],
            metrics: vec![MetricTally::default(); metrics],
            paths: PathCounts::default(),
        }
    }

    #[inline]
    pub fn add(&mut self, r: &Record) {
        self.branches += 1;
        self.outcomes[r.outcome] += 1;
        for (c, &f) in self.flags.iter_mut().zip(&r.flags) {
            *c += u64::from(f);
        }
        for i in 0..r.reached.len() {
            let (reached, fired) = (r.reached[i], r.fired[i]);
            self.reached[i] += u64::from(reached > 0);
            self.fired[i] += u64::from(fired > 0);
            self.steps[i] += u64::from(reached);
            self.steps_fired[i] += u64::from(fired);
        }
        for (m, v) in self.metrics.iter_mut().zip(&r.metrics) {
            if let Some(q) = *v {
                m.moments.add_fixed(q);
                m.quantiles.add_fixed(q);
            }
        }
        match self.paths.get_mut(&r.path[..]) {
            Some(c) => *c += 1,
            None => {
                self.paths.insert(r.path.clone().into_boxed_slice(), 1);
            }
        }
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
        for (a, b) in self.metrics.iter_mut().zip(&other.metrics) {
            a.moments.merge(&b.moments);
            a.quantiles.merge(&b.quantiles);
        }
        for (k, v) in other.paths {
            *self.paths.entry(k).or_insert(0) += v;
        }
        self
    }

    /// The `k` most frequent paths, ties broken by the path itself.
    pub fn top_paths(&self, k: usize) -> Vec<(&[u32], u64)> {
        let mut all: Vec<(&[u32], u64)> = self.paths.iter().map(|(p, &c)| (&p[..], c)).collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        all.truncate(k);
        all
    }
}
