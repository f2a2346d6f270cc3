//! Streaming quantiles with a stated error bound and exact merges.
//!
//! While a metric has at most [`EXACT_CAP`] distinct values (months, counts:
//! the usual case) every value is counted exactly and quantiles are exact.
//! Past that, values fall into logarithmic buckets of ratio [`GAMMA`], and a
//! reported quantile is within 1% (relative) of a value whose rank is the
//! one asked for. Both forms merge by adding counts, so the result does not
//! depend on how branches were split across batches or threads.

use super::FastMap;
use super::moments::unfixed;

pub const EXACT_CAP: usize = 4096;
/// Bucket ratio: a bucket's representative is within (GAMMA-1)/(GAMMA+1) ≈ 1% of its values.
pub const GAMMA: f64 = 1.02;
/// Values closer to zero than this share the zero bucket.
const ZERO: f64 = 1e-9;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Quantiles {
    /// Fixed-point value (see `moments::fixed`) → count.
    Exact(#[serde(with = "super::sorted_map")] FastMap<i64, u64>),
    /// Signed log-bucket index → count.
    Buckets(#[serde(with = "super::sorted_map")] FastMap<i32, u64>),
}

impl Default for Quantiles {
    fn default() -> Self {
        Quantiles::Exact(FastMap::default())
    }
}

fn bucket(q: i64) -> i32 {
    let v = unfixed(q);
    if v.abs() < ZERO {
        return 0;
    }
    let i = ((v.abs() / ZERO).ln() / GAMMA.ln()).ceil() as i32 + 1;
    if v < 0.0 { -i } else { i }
}

fn representative(i: i32) -> f64 {
    if i == 0 {
        return 0.0;
    }
    let k = f64::from(i.abs() - 1);
    let v = ZERO * GAMMA.powf(k) * 2.0 / (GAMMA + 1.0);
    if i < 0 { -v } else { v }
}

impl Quantiles {
    #[inline]
    pub fn add_fixed(&mut self, q: i64) {
        match self {
            Quantiles::Exact(map) => {
                *map.entry(q).or_insert(0) += 1;
                if map.len() > EXACT_CAP {
                    self.bucketize();
                }
            }
            Quantiles::Buckets(map) => *map.entry(bucket(q)).or_insert(0) += 1,
        }
    }

    fn bucketize(&mut self) {
        if let Quantiles::Exact(map) = self {
            let mut buckets = FastMap::default();
            for (&q, &c) in map.iter() {
                *buckets.entry(bucket(q)).or_insert(0) += c;
            }
            *self = Quantiles::Buckets(buckets);
        }
    }

    pub fn merge(&mut self, other: &Quantiles) {
        match (&mut *self, other) {
            (Quantiles::Exact(a), Quantiles::Exact(b)) => {
                for (&q, &c) in b {
                    *a.entry(q).or_insert(0) += c;
                }
                if a.len() > EXACT_CAP {
                    self.bucketize();
                }
            }
            (Quantiles::Buckets(_), _) | (_, Quantiles::Buckets(_)) => {
                self.bucketize();
                let mut other = other.clone();
                other.bucketize();
                if let (Quantiles::Buckets(a), Quantiles::Buckets(b)) = (self, &other) {
                    for (&i, &c) in b {
                        *a.entry(i).or_insert(0) += c;
                    }
                }
            }
        }
    }

    pub fn is_exact(&self) -> bool {
        matches!(self, Quantiles::Exact(_))
    }

    /// The nearest-rank `p` quantile: the least value with at least
    /// `ceil(p·n)` values at or below it.
    pub fn quantile(&self, p: f64) -> Option<f64> {
        let n: u64 = match self {
            Quantiles::Exact(m) => m.values().sum(),
            Quantiles::Buckets(m) => m.values().sum(),
        };
        if n == 0 {
            return None;
        }
        let rank = ((p * n as f64).ceil() as u64).clamp(1, n);
        // Values in ascending order, with their counts.
        let mut sorted: Vec<(f64, u64)> = match self {
            Quantiles::Exact(m) => m.iter().map(|(&q, &c)| (unfixed(q), c)).collect(),
            Quantiles::Buckets(m) => m.iter().map(|(&i, &c)| (representative(i), c)).collect(),
        };
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut seen = 0;
        sorted
            .into_iter()
            .find(|(_, c)| {
                seen += c;
                seen >= rank
            })
            .map(|(v, _)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::moments::fixed;

    #[test]
    fn exact_quantiles_use_nearest_rank() {
        let mut q = Quantiles::default();
        for x in 1..=100 {
            q.add_fixed(fixed(f64::from(x)).unwrap());
        }
        assert_eq!(q.quantile(0.05), Some(5.0));
        assert_eq!(q.quantile(0.5), Some(50.0));
        assert_eq!(q.quantile(0.95), Some(95.0));
        assert!(q.is_exact());
    }

    #[test]
    fn buckets_keep_relative_error_within_one_percent() {
        let mut q = Quantiles::default();
        let xs: Vec<f64> = (0..20_000).map(|i| 1.0 + f64::from(i) * 0.731 - 5000.0).collect();
        xs.iter().for_each(|&x| q.add_fixed(fixed(x).unwrap()));
        assert!(!q.is_exact());
        let mut sorted = xs.clone();
        sorted.sort_by(f64::total_cmp);
        for p in [0.05, 0.5, 0.95] {
            let truth = sorted[((p * sorted.len() as f64).ceil() as usize) - 1];
            let got = q.quantile(p).unwrap();
            assert!(
                (got - truth).abs() <= 0.0101 * truth.abs() + 1e-9,
                "p={p} got={got} truth={truth}"
            );
        }
    }

    #[test]
    fn merging_equals_adding_everything_to_one() {
        let xs: Vec<f64> = (0..6000).map(|i| f64::from(i % 5000) * 1.5).collect();
        let mut all = Quantiles::default();
        xs.iter().for_each(|&x| all.add_fixed(fixed(x).unwrap()));
        let (mut a, mut b) = (Quantiles::default(), Quantiles::default());
        xs[..3000].iter().for_each(|&x| a.add_fixed(fixed(x).unwrap()));
        xs[3000..].iter().for_each(|&x| b.add_fixed(fixed(x).unwrap()));
        a.merge(&b);
        assert_eq!(a, all);
    }
}
