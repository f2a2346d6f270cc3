//! Scoring a forecast of the results against the simulated probabilities.

/// The Brier score a forecast `f` (one probability per result) would earn
/// on average if the result were drawn from the simulated probabilities
/// `p`: `Σ_i p_i Σ_j (f_j − [i = j])²`, which is `Σ f² − 2 f·p + Σ p`.
/// 0 is certain foresight of a certain result; the simulation's own
/// forecast scores `1 − Σ p²`, the least any forecast can.
pub fn brier(f: &[f64], p: &[f64]) -> f64 {
    let ff: f64 = f.iter().map(|x| x * x).sum();
    let fp: f64 = f.iter().zip(p).map(|(x, y)| x * y).sum();
    let sp: f64 = p.iter().sum();
    ff - 2.0 * fp + sp
}

#[cfg(test)]
mod tests {
    use super::brier;

    #[test]
    fn matches_the_definition_and_is_least_at_the_truth() {
        let p: [f64; 3] = [0.6, 0.3, 0.1];
        let f: [f64; 3] = [0.2, 0.5, 0.3];
        let direct: f64 = (0..3)
            .map(|i| {
                p[i] * (0..3)
                    .map(|j| (f[j] - if i == j { 1.0 } else { 0.0 }).powi(2))
                    .sum::<f64>()
            })
            .sum();
        assert!((brier(&f, &p) - direct).abs() < 1e-12);
        let own = brier(&p, &p);
        assert!((own - (1.0 - (0.36 + 0.09 + 0.01))).abs() < 1e-12);
        assert!(brier(&f, &p) > own);
        assert_eq!(brier(&[1.0, 0.0], &[1.0, 0.0]), 0.0);
    }
}
