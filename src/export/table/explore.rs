//! Tables for sweeps (one row per grid point) and sensitivity (a tornado).

use super::{fit, pct};
use crate::sweep::{SensitivityReport, SweepReport};
use std::fmt::Write;

pub fn sweep(s: &SweepReport) -> String {
    let mut out = format!(
        "{}\nsweep · seed {} · {} branches per point, the same branches at every point\n\n",
        s.scenario.title, s.seed, s.branches
    );
    let Some(first) = s.points.first() else { return out };
    let owidth = 9;
    let room = 80usize.saturating_sub(first.outcomes.len() * owidth);
    let pwidth = (room / s.vary.len()).saturating_sub(1).clamp(8, 24);
    for v in &s.vary {
        out += &format!("{:>pwidth$}", fit(&short(v, pwidth - 1), pwidth - 1));
        out.push(' ');
    }
    for i in 0..first.outcomes.len() {
        out += &format!("{:>owidth$}", format!("({})", i + 1));
    }
    out.push('\n');
    for point in &s.points {
        for v in &s.vary {
            out += &format!(
                "{:>pwidth$} ",
                format!("{:.4}", point.values[v])
                    .trim_end_matches('0')
                    .trim_end_matches('.')
            );
        }
        for o in &point.outcomes {
            out += &format!("{:>owidth$}", pct(o.p));
        }
        out.push('\n');
    }
    out += "\nColumns: the probability of each result\n";
    for (i, o) in first.outcomes.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}",
            fit(&format!("  ({}) {}: {}", i + 1, o.id, o.label), 79).trim_end()
        );
    }
    out += "(intervals for every point: --format json or csv)\n";
    out
}

/// The last `width` characters of a name (the distinctive end of `actor.name`).
fn short(s: &str, width: usize) -> String {
    let n = s.chars().count();
    if n <= width {
        s.to_string()
    } else {
        format!("…{}", s.chars().skip(n + 1 - width).collect::<String>())
    }
}

pub fn sensitivity(s: &SensitivityReport) -> String {
    let mut out = format!("{}\n", s.scenario.title);
    let what = format!(
        "Sensitivity of {} ({}): {} at the scenario's own values.",
        s.label,
        s.outcome,
        pct(s.p)
    );
    out += &super::wrap(&what, 78, "");
    out += &format!(
        "seed {} · {} branches per run, the same branches in every run\n\n",
        s.seed, s.branches
    );
    let _ = writeln!(
        out,
        "{:<28}{:>9}{:>9}{:>9}{:>9}  swing",
        "PARAMETER (pinned low/high)", "low", "high", "p low", "p high"
    );
    let widest = s.parameters.iter().map(|w| w.swing).fold(0.0, f64::max);
    for w in &s.parameters {
        let bar = if widest > 0.0 {
            "#".repeat(((w.swing / widest) * 8.0).round() as usize)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "{}{:>9.3}{:>9.3}{:>9}{:>9}  {:.1} {bar}",
            fit(&w.parameter, 28),
            w.low,
            w.high,
            pct(w.p_low),
            pct(w.p_high),
            w.swing * 100.0
        );
    }
    let _ = writeln!(
        out,
        "\nswing in percentage points; low/high are each parameter's 10th/90th percentiles,"
    );
    let _ = writeln!(out, "or its stated range, or false/true for a flag.");
    if !s.not_varied.is_empty() {
        out += &super::wrap(
            &format!("Fixed, with no stated range (not varied): {}", s.not_varied.join(", ")),
            78,
            "",
        );
    }
    out
}
