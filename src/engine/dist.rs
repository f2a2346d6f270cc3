//! Distributions of uncertain parameters, each sampled by its inverse CDF
//! from one uniform, so that a shifted distribution moves every branch's
//! value in one direction (tight pairing between a scenario and its base).

use std::sync::{Arc, Mutex};

/// Knots of the tabulated beta quantile function. Linear interpolation
/// between exact quantiles keeps the sampled CDF within 1/(KNOTS-1) of the
/// true one everywhere, and the map monotone.
pub const BETA_KNOTS: usize = 2049;

#[derive(Debug, Clone, PartialEq)]
pub enum Dist {
    Uniform {
        lo: f64,
        hi: f64,
    },
    Triangular {
        lo: f64,
        mode: f64,
        hi: f64,
    },
    /// Normal, optionally truncated to `[lo, hi]` (stored as CDF bounds).
    Normal {
        mean: f64,
        sd: f64,
        cdf_lo: f64,
        cdf_hi: f64,
    },
    /// Beta(α, β), through a table of exact quantiles; in format 2 the
    /// two outer intervals of the table (the tails) are computed exactly.
    Beta {
        alpha: f64,
        beta: f64,
        table: Arc<[f64]>,
        exact_tails: bool,
    },
    /// 1.0 with probability `p`, else 0.0 (a flag).
    Bernoulli {
        p: f64,
    },
}

impl Dist {
    pub fn uniform(lo: f64, hi: f64) -> Result<Dist, String> {
        if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
            return Err(format!("[low, high] with low <= high, got [{lo}, {hi}]"));
        }
        Ok(Dist::Uniform { lo, hi })
    }

    pub fn triangular(lo: f64, mode: f64, hi: f64) -> Result<Dist, String> {
        if !(lo.is_finite() && hi.is_finite() && lo <= mode && mode <= hi && lo < hi) {
            return Err(format!(
                "[low, mode, high] with low <= mode <= high and low < high, got [{lo}, {mode}, {hi}]"
            ));
        }
        Ok(Dist::Triangular { lo, mode, hi })
    }

    pub fn normal(mean: f64, sd: f64, within: Option<(f64, f64)>) -> Result<Dist, String> {
        if !(mean.is_finite() && sd.is_finite() && sd > 0.0) {
            return Err(format!("[mean, sd] with sd > 0, got [{mean}, {sd}]"));
        }
        let (cdf_lo, cdf_hi) = match within {
            None => (0.0, 1.0),
            Some((lo, hi)) => {
                if lo.is_nan() || hi.is_nan() || lo >= hi {
                    return Err(format!("`within` as [low, high] with low < high, got [{lo}, {hi}]"));
                }
                let (a, b) = (normal_cdf((lo - mean) / sd), normal_cdf((hi - mean) / sd));
                if b - a < 1e-9 {
                    return Err(format!(
                        "a `within` range that holds some probability; [{lo}, {hi}] holds almost none"
                    ));
                }
                (a, b)
            }
        };
        Ok(Dist::Normal {
            mean,
            sd,
            cdf_lo,
            cdf_hi,
        })
    }

    pub fn beta(alpha: f64, beta: f64) -> Result<Dist, String> {
        if !(alpha.is_finite() && beta.is_finite() && alpha > 0.0 && beta > 0.0 && alpha <= 1e4 && beta <= 1e4) {
            return Err(format!(
                "[alpha, beta] with both > 0 (and at most 10000), got [{alpha}, {beta}]"
            ));
        }
        Ok(Dist::Beta {
            alpha,
            beta,
            table: beta_table(alpha, beta),
            exact_tails: false,
        })
    }

    /// The same distribution, with exact quantiles in the tails where it
    /// has a table (format 2): between the table's last knots a straight
    /// line gives far too much weight to the extremes (a Beta(4, 10) draw
    /// above 0.9 once in 10⁴ instead of 10⁻¹⁰).
    pub fn with_exact_tails(self) -> Dist {
        match self {
            Dist::Beta { alpha, beta, table, .. } => Dist::Beta {
                alpha,
                beta,
                table,
                exact_tails: true,
            },
            other => other,
        }
    }

    pub fn bernoulli(p: f64) -> Result<Dist, String> {
        if !(0.0..=1.0).contains(&p) {
            return Err(format!("a probability between 0 and 1, got {p}"));
        }
        Ok(Dist::Bernoulli { p })
    }

    /// The value at quantile `u` in (0, 1): the inverse CDF.
    #[inline]
    pub fn quantile(&self, u: f64) -> f64 {
        match *self {
            Dist::Uniform { lo, hi } => uniform_at(lo, hi, u),
            Dist::Triangular { lo, mode, hi } => {
                let f = (mode - lo) / (hi - lo);
                if u < f {
                    lo + (u * (hi - lo) * (mode - lo)).sqrt()
                } else {
                    hi - ((1.0 - u) * (hi - lo) * (hi - mode)).sqrt()
                }
            }
            Dist::Normal {
                mean,
                sd,
                cdf_lo,
                cdf_hi,
            } => {
                let q = (cdf_lo + u * (cdf_hi - cdf_lo)).clamp(1e-300, 1.0 - 1e-16);
                mean + sd * normal_quantile(q)
            }
            Dist::Beta {
                ref table,
                exact_tails,
                alpha,
                beta,
            } => {
                let (i, t) = knot(table, u);
                if exact_tails && (i == 0 || i == table.len() - 2) {
                    return beta_quantile(alpha, beta, u);
                }
                interpolate(table, i, t)
            }
            Dist::Bernoulli { p } => bernoulli_at(p, u),
        }
    }

    /// The quantile of every uniform of `u`, into `out`: as [`Self::quantile`]
    /// of each (the same operations, so the same values), with the kind of
    /// distribution matched once, so the common kinds run as vector loops.
    pub fn quantiles<const N: usize>(&self, u: &[f64; N], out: &mut [f64; N]) {
        match *self {
            Dist::Uniform { lo, hi } => {
                for (v, &u) in out.iter_mut().zip(u) {
                    *v = uniform_at(lo, hi, u);
                }
            }
            Dist::Bernoulli { p } => {
                for (v, &u) in out.iter_mut().zip(u) {
                    *v = bernoulli_at(p, u);
                }
            }
            Dist::Beta {
                ref table,
                exact_tails: false,
                ..
            } => {
                for (v, &u) in out.iter_mut().zip(u) {
                    let (i, t) = knot(table, u);
                    *v = interpolate(table, i, t);
                }
            }
            _ => {
                for (v, &u) in out.iter_mut().zip(u) {
                    *v = self.quantile(u);
                }
            }
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Dist::Uniform { lo, hi } => format!("uniform({lo}, {hi})"),
            Dist::Triangular { lo, mode, hi } => format!("triangular({lo}, {mode}, {hi})"),
            Dist::Normal { mean, sd, .. } => format!("normal({mean}, {sd})"),
            Dist::Beta { alpha, beta, .. } => format!("beta({alpha}, {beta})"),
            Dist::Bernoulli { p } => format!("bernoulli({p})"),
        }
    }
}

/// Uniform(lo, hi) at quantile `u`.
#[inline(always)]
fn uniform_at(lo: f64, hi: f64, u: f64) -> f64 {
    lo + u * (hi - lo)
}

/// Bernoulli(p) at quantile `u`: true for the top `p` of the unit
/// interval, so raising p only turns false into true.
#[inline(always)]
fn bernoulli_at(p: f64, u: f64) -> f64 {
    if u >= 1.0 - p { 1.0 } else { 0.0 }
}

/// The interval of a quantile table holding quantile `u` (its first knot),
/// and how far into it `u` lies, in [0, 1).
#[inline(always)]
fn knot(table: &[f64], u: f64) -> (usize, f64) {
    let x = u * (table.len() - 1) as f64;
    let i = (x as usize).min(table.len() - 2);
    (i, x - i as f64)
}

/// The straight line between knots `i` and `i + 1` of a table, at `t`.
#[inline(always)]
fn interpolate(table: &[f64], i: usize, t: f64) -> f64 {
    table[i] + t * (table[i + 1] - table[i])
}

/// Standard normal CDF.
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * libm::erfc(-z / std::f64::consts::SQRT_2)
}

/// Standard normal quantile: Wichura's AS 241 (PPND16), relative error ~1e-16.
#[allow(clippy::excessive_precision)] // the published coefficients, as published
pub fn normal_quantile(p: f64) -> f64 {
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180625 - q * q;
        return q * poly(
            &[
                3.387_132_872_796_366_5,
                133.141_667_891_784_38,
                1_971.590_950_306_551_3,
                13_731.693_765_509_461,
                45_921.953_931_549_87,
                67_265.770_927_008_7,
                33_430.575_583_588_13,
                2_509.080_928_730_122_7,
            ],
            r,
        ) / poly(
            &[
                1.0,
                42.313_330_701_600_91,
                687.187_007_492_057_9,
                5_394.196_021_424_751,
                21_213.794_301_586_597,
                39_307.895_800_092_71,
                28_729.085_735_721_943,
                5_226.495_278_852_545,
            ],
            r,
        );
    }
    let r = if q < 0.0 { p } else { 1.0 - p };
    let r = (-r.ln()).sqrt();
    let z = if r <= 5.0 {
        let r = r - 1.6;
        poly(
            &[
                1.423_437_110_749_683_5,
                4.630_337_846_156_546,
                5.769_497_221_460_691,
                3.647_848_324_763_204_5,
                1.270_458_252_452_368_4,
                0.241_780_725_177_450_6,
                0.022_723_844_989_269_184,
                7.745_450_142_783_414e-4,
            ],
            r,
        ) / poly(
            &[
                1.0,
                2.053_191_626_637_759,
                1.676_384_830_183_803_8,
                0.689_767_334_985_1,
                0.148_103_976_427_480_08,
                0.015_198_666_563_616_457,
                5.475_938_084_995_345e-4,
                1.050_750_071_644_416_9e-9,
            ],
            r,
        )
    } else {
        let r = r - 5.0;
        poly(
            &[
                6.657_904_643_501_103,
                5.463_784_911_164_114,
                1.784_826_539_917_291_3,
                0.296_560_571_828_504_9,
                0.026_532_189_526_576_124,
                0.001_242_660_947_388_078_4,
                2.711_555_568_743_487_6e-5,
                2.010_334_399_292_288_1e-7,
            ],
            r,
        ) / poly(
            &[
                1.0,
                0.599_832_206_555_888,
                0.136_929_880_922_735_8,
                0.014_875_361_290_850_615,
                7.868_691_311_456_133e-4,
                1.846_318_317_510_054_8e-5,
                1.421_511_758_316_446e-7,
                2.044_263_103_389_939_7e-15,
            ],
            r,
        )
    };
    if q < 0.0 { -z } else { z }
}

fn poly(c: &[f64], x: f64) -> f64 {
    c.iter().rev().fold(0.0, |acc, &k| acc * x + k)
}

/// The quantile table of Beta(a, b), computed once per process for each
/// pair (a paired run, a sweep or the class server compile the same
/// distributions again; a table costs about 2049 quantile searches). The
/// last [`KEPT_TABLES`] pairs are kept, so a sweep over a beta's shape
/// cannot grow the cache without bound.
const KEPT_TABLES: usize = 64;
/// A table, by the bits of (a, b).
type Table = ((u64, u64), Arc<[f64]>);
static TABLES: Mutex<Vec<Table>> = Mutex::new(Vec::new());

fn beta_table(a: f64, b: f64) -> Arc<[f64]> {
    let key = (a.to_bits(), b.to_bits());
    let cached = |tables: &[Table]| tables.iter().find(|(k, _)| *k == key).map(|(_, t)| t.clone());
    if let Some(t) = TABLES.lock().ok().and_then(|t| cached(&t)) {
        return t;
    }
    let table: Arc<[f64]> = (0..BETA_KNOTS)
        .map(|i| beta_quantile(a, b, i as f64 / (BETA_KNOTS - 1) as f64))
        .collect();
    if let Ok(mut tables) = TABLES.lock() {
        if cached(&tables).is_none() {
            if tables.len() == KEPT_TABLES {
                tables.remove(0);
            }
            tables.push((key, table.clone()));
        }
    }
    table
}

/// Regularized incomplete beta I_x(a, b) (continued fraction, Lentz).
pub fn beta_cdf(a: f64, b: f64, x: f64) -> f64 {
    beta_cdf_with(a, b, ln_beta_norm(a, b), x)
}

/// `ln(Γ(a+b) / (Γ(a) Γ(b)))`, the log of the beta density's constant.
fn ln_beta_norm(a: f64, b: f64) -> f64 {
    libm::lgamma(a + b) - libm::lgamma(a) - libm::lgamma(b)
}

/// [`beta_cdf`] with its constant computed once by the caller (the same
/// operations in the same order, so the same value to the last bit).
fn beta_cdf_with(a: f64, b: f64, ln_norm: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_norm + a * x.ln() + b * (1.0 - x).ln();
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_cf(a, b, x) / a
    } else {
        1.0 - ln_front.exp() * beta_cf(b, a, 1.0 - x) / b
    }
}

fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..10_000 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// The `q` quantile of Beta(a, b): Newton steps on the CDF, kept inside a
/// shrinking bisection bracket (exact to ~1e-14).
fn beta_quantile(a: f64, b: f64, q: f64) -> f64 {
    if q <= 0.0 {
        return 0.0;
    }
    if q >= 1.0 {
        return 1.0;
    }
    let ln_norm = ln_beta_norm(a, b);
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    let mut x = (a / (a + b)).clamp(1e-6, 1.0 - 1e-6);
    for _ in 0..100 {
        let f = beta_cdf_with(a, b, ln_norm, x) - q;
        if f < 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        if f.abs() < 1e-14 || hi - lo < 1e-15 {
            break;
        }
        let density = (ln_norm + (a - 1.0) * x.ln() + (b - 1.0) * (1.0 - x).ln()).exp();
        let step = x - f / density;
        x = if density.is_finite() && density > 0.0 && step > lo && step < hi {
            step
        } else {
            0.5 * (lo + hi)
        };
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_of_a_window_are_each_ones_quantile() {
        let dists = [
            Dist::uniform(-1.5, 2.25).unwrap(),
            Dist::triangular(0.2, 0.45, 0.8).unwrap(),
            Dist::normal(1.0, 0.5, Some((0.0, 3.0))).unwrap(),
            Dist::beta(4.0, 10.0).unwrap(),
            Dist::beta(4.0, 10.0).unwrap().with_exact_tails(),
            Dist::bernoulli(0.2).unwrap(),
        ];
        // The extremes a uniform can take, the Bernoulli's edge, and a spread.
        let mut u = [0.0; 64];
        for (k, u) in u.iter_mut().enumerate() {
            *u = match k {
                0 => 0.5 / (1u64 << 53) as f64,
                1 => 1.0 - 0.5 / (1u64 << 53) as f64,
                2 => 0.8,
                3 => 0.8 - f64::EPSILON,
                _ => (k as f64 * 0.618_033_988_749).fract(),
            };
        }
        for d in &dists {
            let mut got = [f64::NAN; 64];
            d.quantiles(&u, &mut got);
            for (k, (&g, &u)) in got.iter().zip(&u).enumerate() {
                assert_eq!(g.to_bits(), d.quantile(u).to_bits(), "{} at u[{k}] = {u}", d.describe());
            }
        }
    }

    #[test]
    fn normal_quantile_inverts_the_cdf() {
        for &p in &[1e-10, 0.001, 0.025, 0.3, 0.5, 0.8, 0.975, 0.999_999] {
            let z = normal_quantile(p);
            assert!((normal_cdf(z) - p).abs() < 1e-12 * p.max(1e-3), "p={p} z={z}");
        }
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-12);
    }

    #[test]
    fn beta_cdf_matches_closed_forms() {
        // Beta(1,1) is uniform; Beta(2,1) has CDF x^2; Beta(1,3) has 1-(1-x)^3.
        assert!((beta_cdf(1.0, 1.0, 0.3) - 0.3).abs() < 1e-12);
        assert!((beta_cdf(2.0, 1.0, 0.6) - 0.36).abs() < 1e-12);
        assert!((beta_cdf(1.0, 3.0, 0.2) - (1.0 - 0.8f64.powi(3))).abs() < 1e-12);
    }

    #[test]
    fn a_beta_table_is_computed_once_and_is_the_exact_quantiles() {
        let table = |d: &Dist| match d {
            Dist::Beta { table, .. } => table.clone(),
            _ => unreachable!(),
        };
        let (a, b) = (
            table(&Dist::beta(3.5, 7.25).unwrap()),
            table(&Dist::beta(3.5, 7.25).unwrap()),
        );
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &table(&Dist::beta(7.25, 3.5).unwrap())));
        for i in [1, 100, 1024, 2047] {
            let q = beta_quantile(3.5, 7.25, i as f64 / (BETA_KNOTS - 1) as f64);
            assert_eq!(a[i].to_bits(), q.to_bits(), "knot {i}");
        }
        // A sweep over many shapes keeps only the last ones.
        for k in 0..KEPT_TABLES + 5 {
            Dist::beta(1.0 + k as f64 / 8.0, 2.0).unwrap();
        }
        assert!(TABLES.lock().unwrap().len() <= KEPT_TABLES);
    }

    #[test]
    fn beta_table_keeps_cdf_error_within_bound() {
        let d = Dist::beta(2.0, 5.0).unwrap();
        for i in 1..200 {
            let u = i as f64 / 200.0 + 0.0013;
            let x = d.quantile(u.min(0.9999));
            assert!((beta_cdf(2.0, 5.0, x) - u.min(0.9999)).abs() <= 1.0 / (BETA_KNOTS - 1) as f64);
        }
    }

    #[test]
    fn quantiles_are_monotone_and_in_range() {
        let dists = [
            Dist::uniform(0.1, 0.4).unwrap(),
            Dist::triangular(0.0, 0.2, 1.0).unwrap(),
            Dist::normal(0.5, 0.2, Some((0.0, 1.0))).unwrap(),
            Dist::beta(0.5, 0.5).unwrap(),
            Dist::bernoulli(0.3).unwrap(),
        ];
        for d in &dists {
            let mut last = f64::NEG_INFINITY;
            for i in 1..1000 {
                let x = d.quantile(i as f64 / 1000.0);
                assert!(x >= last, "{d:?} not monotone at {i}");
                assert!((-0.0..=1.0).contains(&x), "{d:?} out of range: {x}");
                last = x;
            }
        }
    }

    #[test]
    fn bad_parameters_are_rejected() {
        assert!(Dist::uniform(0.5, 0.1).is_err());
        assert!(Dist::beta(0.0, 1.0).is_err());
        assert!(Dist::normal(0.0, -1.0, None).is_err());
        assert!(Dist::normal(0.0, 1.0, Some((50.0, 51.0))).is_err());
        assert!(Dist::bernoulli(1.5).is_err());
        assert!(Dist::triangular(0.0, 2.0, 1.0).is_err());
    }

    #[test]
    fn exact_tails_keep_extremes_as_rare_as_they_are() {
        let table = Dist::beta(4.0, 10.0).unwrap();
        let exact = table.clone().with_exact_tails();
        // The top 1/10^6 of Beta(4, 10): the table's last segment reaches
        // toward 1.0; the exact quantile is below 0.9.
        let u = 1.0 - 1e-6;
        assert!(table.quantile(u) > 0.9, "{}", table.quantile(u));
        let q = exact.quantile(u);
        assert!(q < 0.9 && (beta_cdf(4.0, 10.0, q) - u).abs() < 1e-9, "{q}");
        // Inside the table both agree; across the tails' edges the exact
        // form stays monotone.
        assert_eq!(table.quantile(0.5), exact.quantile(0.5));
        let mut last = 0.0;
        for k in 0..=40_000 {
            let u = (f64::from(k) + 0.5) / 40_001.0;
            let v = exact.quantile(u);
            assert!(v >= last, "not monotone at {u}");
            last = v;
        }
    }
}
