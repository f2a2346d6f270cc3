//! 95% intervals: Wilson's score interval for a proportion, and Newcombe's
//! interval for the difference of two paired proportions.

/// The 97.5th percentile of the standard normal.
pub const Z95: f64 = 1.959_963_984_540_054;

/// Wilson score interval for `k` successes in `n` trials.
pub fn wilson(k: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    let lo = if k == 0.0 { 0.0 } else { (centre - half).max(0.0) };
    let hi = if k == n { 1.0 } else { (centre + half).min(1.0) };
    (lo, hi)
}

/// Newcombe's hybrid score interval (method 10, 1998) for `p1 - p0`, where
/// over `n` paired branches `both` had the event in both runs, `only1` only
/// in run 1, and `only0` only in run 0. The correlation of the pair is the
/// phi coefficient of the 2×2 table with Newcombe's correction: its
/// numerator AD − BC loses n/2 when it exceeds n/2, is 0 between 0 and
/// n/2, and is kept as it is when negative.
pub fn paired_difference(both: u64, only1: u64, only0: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (-1.0, 1.0);
    }
    let nf = n as f64;
    let (k1, k0) = (both + only1, both + only0);
    let (p1, p0) = (k1 as f64 / nf, k0 as f64 / nf);
    let d = p1 - p0;
    let (l1, u1) = wilson(k1, n);
    let (l0, u0) = wilson(k0, n);
    let neither = n - both - only1 - only0;
    let (a, b, c, e) = (both as f64, only1 as f64, only0 as f64, neither as f64);
    let denom = ((a + b) * (c + e) * (a + c) * (b + e)).sqrt();
    let ad_bc = a * e - b * c;
    let numerator = if ad_bc > nf / 2.0 {
        ad_bc - nf / 2.0
    } else if ad_bc >= 0.0 {
        0.0
    } else {
        ad_bc
    };
    let phi = if denom > 0.0 { numerator / denom } else { 0.0 };
    let lo = d
        - ((p1 - l1).powi(2) - 2.0 * phi * (p1 - l1) * (u0 - p0) + (u0 - p0).powi(2))
            .max(0.0)
            .sqrt();
    let hi = d
        + ((u1 - p1).powi(2) - 2.0 * phi * (u1 - p1) * (p0 - l0) + (p0 - l0).powi(2))
            .max(0.0)
            .sqrt();
    (lo.max(-1.0), hi.min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_published_values() {
        // Newcombe (1998), Table I: 81/263 → 0.2553 to 0.3662.
        let (lo, hi) = wilson(81, 263);
        assert!((lo - 0.2553).abs() < 1e-4 && (hi - 0.3662).abs() < 1e-4, "{lo} {hi}");
        assert_eq!(wilson(0, 10).0, 0.0);
        assert_eq!(wilson(10, 10).1, 1.0);
    }

    #[test]
    fn paired_interval_contains_the_estimate_and_uses_the_pairing() {
        // 1000 pairs; 300 had it in both, 40 only in run 1, 10 only in run 0.
        let (lo, hi) = paired_difference(300, 40, 10, 1000);
        let d = 0.03;
        assert!(lo < d && d < hi, "{lo} {hi}");
        // Unpaired (independent samples) interval for the same margins is wider.
        let (l1, u1) = wilson(340, 1000);
        let (l0, u0) = wilson(310, 1000);
        let unpaired =
            ((0.34 - l1).powi(2) + (u0 - 0.31).powi(2)).sqrt() + ((u1 - 0.34).powi(2) + (0.31 - l0).powi(2)).sqrt();
        assert!(hi - lo < 0.7 * unpaired, "paired {} vs unpaired {unpaired}", hi - lo);
    }

    /// The example of Fagerland, Lydersen and Laake, *Statistical Analysis
    /// of Contingency Tables* (2017), ch. 8: complete response before and
    /// after consolidation therapy (Cavo et al., 2012), a paired table of
    /// 59, 6 / 16, 80. Newcombe's square-and-add interval: −0.0621 (−0.1186
    /// to −0.0046). In our terms run 1 is "before" (row) and run 0 "after"
    /// (column): both 59, only1 6, only0 16, neither 80.
    #[test]
    fn matches_the_published_paired_example() {
        let (lo, hi) = paired_difference(59, 6, 16, 161);
        assert!((lo - -0.1186).abs() < 5e-5 && (hi - -0.0046).abs() < 5e-5, "{lo} {hi}");
    }

    /// An independent reading of Newcombe (1998), method 10, written from
    /// the paper's formulas: L = θ − δ, U = θ + ε with δ, ε from the two
    /// Wilson intervals and the corrected phi.
    fn reference(a: f64, b: f64, c: f64, d: f64) -> (f64, f64) {
        let n = a + b + c + d;
        let (p1, p2) = ((a + b) / n, (a + c) / n);
        let (l1, u1) = wilson((a + b) as u64, n as u64);
        let (l2, u2) = wilson((a + c) as u64, n as u64);
        let prod = (a + b) * (c + d) * (a + c) * (b + d);
        let big_a = a * d - b * c;
        let phi = if prod == 0.0 {
            0.0
        } else if big_a > n / 2.0 {
            (big_a - n / 2.0) / prod.sqrt()
        } else if big_a >= 0.0 {
            0.0
        } else {
            big_a / prod.sqrt()
        };
        let delta = ((p1 - l1).powi(2) - 2.0 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2).powi(2)).sqrt();
        let eps = ((u1 - p1).powi(2) - 2.0 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2).powi(2)).sqrt();
        (p1 - p2 - delta, p1 - p2 + eps)
    }

    #[test]
    fn agrees_with_an_independent_implementation() {
        let mut x: u64 = 7;
        let mut next = |m: u64| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (x >> 33) % m
        };
        for _ in 0..5000 {
            let (a, b, c, d) = (next(60), next(30), next(30), next(60));
            let n = a + b + c + d;
            if n == 0 {
                continue;
            }
            let (lo, hi) = paired_difference(a, b, c, n);
            let (rl, rh) = reference(a as f64, b as f64, c as f64, d as f64);
            assert!(
                (lo - rl.max(-1.0)).abs() < 1e-12 && (hi - rh.min(1.0)).abs() < 1e-12,
                "{a} {b} {c} {d}"
            );
        }
    }

    #[test]
    fn no_discordant_pairs_give_a_narrow_interval_around_zero() {
        // Newcombe's correction keeps a sliver of uncertainty, which shrinks
        // faster than the sample grows.
        let (lo, hi) = paired_difference(300, 0, 0, 1000);
        assert!(lo <= 0.0 && hi >= 0.0 && hi - lo < 0.006, "{lo} {hi}");
        let (lo, hi) = paired_difference(30_000, 0, 0, 100_000);
        assert!(lo <= 0.0 && hi >= 0.0 && hi - lo < 0.00006, "{lo} {hi}");
    }
}
