//! The table of a scenario shown against its base: changes, paired
//! differences, the flip table and where histories first diverge.

use super::{fit, number, pct, wrap};
use crate::compare::{Comparison, DiffProportion};
use crate::report::Report;
use std::fmt::Write;

/// A difference in percentage points, signed.
fn pts(d: Option<f64>) -> String {
    d.map_or("-".into(), |d| format!("{:+.1}", d * 100.0))
}

fn diffs(out: &mut String, title: &str, rows: &[DiffProportion]) {
    let _ = writeln!(
        out,
        "{:<34}{:>8}{:>8}{:>9}  {:>17}",
        title, "base", "this", "change", "95% interval"
    );
    for d in rows {
        let interval = d.diff_ci95.map_or("-".to_string(), |[lo, hi]| {
            format!("{} to {}", pts(Some(lo)), pts(Some(hi)))
        });
        let base = d.p_base.map_or("-".into(), pct);
        let _ = writeln!(
            out,
            "  {}{:>8}{:>8}{:>9}  {:>17}",
            fit(&d.label, 32),
            base,
            pct(d.p),
            pts(d.diff),
            interval
        );
    }
    out.push('\n');
}

pub fn render(out: &mut String, r: &Report, c: &Comparison) {
    let pairing = &c.pairing;
    let _ = writeln!(
        out,
        "Paired on the same {} branches: {} of this scenario's {} random nodes share their noise with the base.",
        r.branches, pairing.shared_random_nodes, pairing.random_nodes
    );
    let _ = writeln!(
        out,
        "Changes are in percentage points; intervals use the pairing (Newcombe).\n"
    );
    for w in &c.warnings {
        out.push_str(&wrap(&format!("warning: {w}"), 78, ""));
    }
    if !c.warnings.is_empty() {
        out.push('\n');
    }
    diffs(out, "RESULT", &c.outcomes);
    if !c.flags.is_empty() {
        diffs(out, "FLAGS", &c.flags);
    }
    if !c.metrics.is_empty() {
        let _ = writeln!(
            out,
            "{:<34}{:>8}{:>8}{:>9}  {:>17}",
            "METRICS (mean)", "base", "this", "change", "95% interval"
        );
        for m in &c.metrics {
            let interval = m.diff_ci95.map_or("-".to_string(), |[lo, hi]| {
                format!("{} to {}", number(Some(lo)), number(Some(hi)))
            });
            let _ = writeln!(
                out,
                "  {}{:>8}{:>8}{:>9}  {:>17}",
                fit(&m.label, 32),
                number(m.mean_base),
                number(m.mean),
                number(m.diff),
                interval
            );
        }
        let _ = writeln!(
            out,
            "  (metric changes are over the branches where both runs have the metric)\n"
        );
    }
    let _ = writeln!(
        out,
        "FLIPS: branches whose result changed ({} of all branches)",
        pct(c.results_changed as f64 / r.branches.max(1) as f64)
    );
    if c.flips.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for f in c.flips.iter().take(10) {
        let _ = writeln!(out, "  {}{:>8}", fit(&format!("{} → {}", f.from, f.to), 60), pct(f.p));
    }
    out.push('\n');
    let _ = writeln!(
        out,
        "WHERE THE HISTORIES FIRST DIVERGE ({} of branches take a different decision)",
        pct(c.branches_diverged as f64 / r.branches.max(1) as f64)
    );
    if c.divergence.is_empty() {
        let _ = writeln!(out, "  nowhere: every branch takes the same decisions");
    }
    for d in c.divergence.iter().take(10) {
        let _ = writeln!(out, "  {}{:>8}", fit(&d.event, 60), pct(d.p));
    }
    let _ = writeln!(
        out,
        "\n(run with --no-base for this scenario's decisions and paths alone)"
    );
}
