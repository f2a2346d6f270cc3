//! The table of a scenario shown against its base: changes, paired
//! differences, the flip table and where histories first diverge.

use super::{fit, labelled_row, pct, wrap};
use crate::compare::{Comparison, DiffProportion};
use crate::report::Report;
use std::fmt::Write;

/// A difference in percentage points, signed (no sign when it rounds to 0).
fn pts(d: Option<f64>) -> String {
    match d.map(|d| (d * 1000.0).round() / 10.0) {
        None => "-".into(),
        Some(0.0) => "0.0".into(),
        Some(v) => format!("{v:+.1}"),
    }
}

/// A number in at most 6 characters (4 significant digits below 1000).
fn short(x: Option<f64>) -> String {
    match x {
        None => "-".into(),
        Some(0.0) => "0".into(),
        Some(v) if v.abs() >= 1000.0 => format!("{v:.0}"),
        Some(v) if v.abs() >= 100.0 => format!("{v:.1}"),
        Some(v) if v.abs() >= 10.0 => format!("{v:.2}"),
        Some(v) => format!("{v:.3}"),
    }
}

/// Label 40 (wrapped), base 7, this 7, change 7, interval 17: 80 columns.
fn row(out: &mut String, label: &str, base: &str, this: &str, change: &str, interval: &str) {
    labelled_row(
        out,
        "  ",
        label,
        40,
        &format!("{base:>7}{this:>7}{change:>7}{interval:>17}"),
    );
}

fn diffs(out: &mut String, title: &str, rows: &[DiffProportion]) {
    let _ = writeln!(
        out,
        "{:<42}{:>7}{:>7}{:>7}{:>17}",
        title, "base", "this", "change", "95% interval"
    );
    for d in rows {
        let interval = d.diff_ci95.map_or("-".to_string(), |[lo, hi]| {
            format!("{} to {}", pts(Some(lo)), pts(Some(hi)))
        });
        let base = d.p_base.map_or("-".into(), pct);
        row(out, &d.label, &base, &pct(d.p), &pts(d.diff), &interval);
    }
    out.push('\n');
}

pub fn render(out: &mut String, r: &Report, c: &Comparison, verbose: bool) {
    let pairing = &c.pairing;
    let text = format!(
        "Paired: both ran the same {} branches, and {} of this scenario's {} random nodes share their noise with the base. Changes are in percentage points; their intervals use the pairing (Newcombe).",
        r.branches, pairing.shared_random_nodes, pairing.random_nodes
    );
    out.push_str(&wrap(&text, 78, ""));
    out.push('\n');
    super::warnings(
        out,
        "WARNINGS",
        "about what the change cut off or opened up",
        &c.warnings,
        verbose,
    );
    diffs(out, "RESULT", &c.outcomes);
    if !c.flags.is_empty() {
        diffs(out, "FLAGS", &c.flags);
    }
    if !c.metrics.is_empty() {
        let _ = writeln!(
            out,
            "{:<42}{:>7}{:>7}{:>7}{:>17}",
            "METRICS (mean)", "base", "this", "change", "95% interval"
        );
        for m in &c.metrics {
            let interval = m.diff_ci95.map_or("-".to_string(), |[lo, hi]| {
                format!("{} to {}", short(Some(lo)), short(Some(hi)))
            });
            row(
                out,
                &m.label,
                &short(m.mean_base),
                &short(m.mean),
                &short(m.diff),
                &interval,
            );
        }
        let _ = writeln!(
            out,
            "  (metric changes are over the branches where both runs have the metric)\n"
        );
    }
    let share = |k: u64| pct(k as f64 / r.branches.max(1) as f64);
    let title = format!(
        "FLIPS: branches whose result changed ({} of all branches)",
        share(c.results_changed)
    );
    let flips = c.flips.iter().map(|f| (format!("{} → {}", f.from, f.to), f.p));
    ranked(out, &title, "none", flips);
    out.push('\n');
    let title = format!(
        "WHERE THE HISTORIES FIRST DIVERGE ({} of branches take a different decision)",
        share(c.branches_diverged)
    );
    let parts = c.divergence.iter().map(|d| (d.event.clone(), d.p));
    ranked(out, &title, "nowhere: every branch takes the same decisions", parts);
    let _ = writeln!(
        out,
        "\n(run with --no-base for this scenario's decisions and paths alone)\n"
    );
}

/// A titled list of the 10 largest shares, or a line saying there are none.
fn ranked(out: &mut String, title: &str, empty: &str, rows: impl Iterator<Item = (String, f64)>) {
    let _ = writeln!(out, "{title}");
    let mut any = false;
    for (name, p) in rows.take(10) {
        any = true;
        let _ = writeln!(out, "  {}{:>8}", fit(&name, 60), pct(p));
    }
    if !any {
        let _ = writeln!(out, "  {empty}");
    }
}
