//! Mean and standard deviation from exact integer sums.
//!
//! Each value is rounded once to a multiple of 2^-24 and summed as an
//! integer, so sums are associative: the result is the same for any batch
//! size, thread count or merge order, to the last bit.

/// Fixed-point scale: values are held as multiples of 2^-24 (≈ 6e-8).
const SCALE: f64 = (1u64 << 24) as f64;
/// Largest magnitude a metric value may have (2^39 ≈ 5.5e11).
pub const MAX_ABS: f64 = (1u64 << 39) as f64;

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Moments {
    pub n: u64,
    sum: i128,
    /// Sum of squares of the fixed-point values, as 192 bits (lo, hi).
    sq_lo: u128,
    sq_hi: u64,
}

/// The value a fixed-point form stands for.
pub fn unfixed(q: i64) -> f64 {
    q as f64 / SCALE
}

/// The fixed-point form of `x`, or `None` if it is not finite or too large.
pub fn fixed(x: f64) -> Option<i64> {
    (x.is_finite() && x.abs() <= MAX_ABS).then(|| (x * SCALE).round() as i64)
}

impl Moments {
    /// Adds a value already checked by [`fixed`].
    #[inline]
    pub fn add_fixed(&mut self, q: i64) {
        self.n += 1;
        self.sum += i128::from(q);
        let sq = (i128::from(q) * i128::from(q)) as u128;
        let (lo, carry) = self.sq_lo.overflowing_add(sq);
        self.sq_lo = lo;
        self.sq_hi += u64::from(carry);
    }

    /// Adds `n` zeros, as `n` calls of `add_fixed(0)` do.
    pub fn add_zeros(&mut self, n: u64) {
        self.n += n;
    }

    pub fn merge(&mut self, other: &Moments) {
        self.n += other.n;
        self.sum += other.sum;
        let (lo, carry) = self.sq_lo.overflowing_add(other.sq_lo);
        self.sq_lo = lo;
        self.sq_hi += other.sq_hi + u64::from(carry);
    }

    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum as f64 / SCALE / self.n as f64)
    }

    /// Sample standard deviation (n - 1 in the denominator).
    pub fn sd(&self) -> Option<f64> {
        if self.n < 2 {
            return None;
        }
        let n = self.n as f64;
        let sumsq = (self.sq_hi as f64 * 2f64.powi(128) + self.sq_lo as f64) / (SCALE * SCALE);
        let mean = self.sum as f64 / SCALE / n;
        let var = (sumsq - n * mean * mean) / (n - 1.0);
        Some(var.max(0.0).sqrt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_sd_match_direct_computation() {
        let xs = [1.0, 2.0, 4.0, 7.5, -3.25];
        let mut m = Moments::default();
        xs.iter().for_each(|&x| m.add_fixed(fixed(x).unwrap()));
        let mean = xs.iter().sum::<f64>() / 5.0;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 4.0;
        assert!((m.mean().unwrap() - mean).abs() < 1e-12);
        assert!((m.sd().unwrap() - var.sqrt()).abs() < 1e-9);
    }

    #[test]
    fn merge_is_exact_in_any_grouping() {
        let xs: Vec<f64> = (0..1000).map(|i| (i as f64 * 0.37).sin() * 1e6).collect();
        let mut all = Moments::default();
        xs.iter().for_each(|&x| all.add_fixed(fixed(x).unwrap()));
        let (mut a, mut b) = (Moments::default(), Moments::default());
        xs[..313].iter().for_each(|&x| a.add_fixed(fixed(x).unwrap()));
        xs[313..].iter().for_each(|&x| b.add_fixed(fixed(x).unwrap()));
        b.merge(&a);
        assert_eq!(b, all);
    }

    #[test]
    fn rejects_values_it_cannot_hold() {
        assert_eq!(fixed(f64::NAN), None);
        assert_eq!(fixed(1e12), None);
        assert_eq!(fixed(0.5), Some(1 << 23));
    }
}
