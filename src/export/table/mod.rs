//! Table export: what a teacher projects. Fits in 80 columns.

mod compare;
mod explore;

use super::Exporter;
use crate::report::{Proportion, Report};
use crate::sweep::{SensitivityReport, SweepReport};
use std::fmt::Write;

pub struct Table {
    /// List every warning, not a one-line summary.
    pub verbose: bool,
}

pub const WIDTH: usize = 80;

/// Cuts `s` to `width` characters, marking the cut with `…`.
pub fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        format!("{s:<width$}")
    } else {
        let cut: String = s.chars().take(width.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// A label in a column `width` wide: its first line padded to the width,
/// then the lines it continues on (a label is wrapped, never cut, so that
/// no two rows read alike).
pub fn label_lines(label: &str, width: usize) -> (String, Vec<String>) {
    let text = wrap(label, width, "");
    let mut lines = text.lines().map(str::to_string);
    let first = lines.next().unwrap_or_default();
    (format!("{first:<width$}"), lines.collect())
}

/// Writes a row whose label may wrap: `cells` follow the label's first
/// line; its other lines follow, indented like it.
pub fn labelled_row(out: &mut String, indent: &str, label: &str, width: usize, cells: &str) {
    let (first, rest) = label_lines(label, width);
    let _ = writeln!(out, "{indent}{first}{cells}");
    for line in rest {
        let _ = writeln!(out, "{indent}  {line}");
    }
}

/// Wraps `text` into lines of at most `width` characters, each after `indent`.
pub fn wrap(text: &str, width: usize, indent: &str) -> String {
    wrap_hanging(text, width, indent, indent)
}

/// Wraps `text` to `width` columns of text (not counting the indents), the
/// first line after `first` and every later line after `rest` (a hanging
/// indent for bullets).
pub fn wrap_hanging(text: &str, width: usize, first: &str, rest: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    let mut indent = first;
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            let _ = writeln!(out, "{indent}{line}");
            line.clear();
            indent = rest;
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{indent}{line}");
    }
    out
}

pub fn pct(p: f64) -> String {
    format!("{:.1}%", p * 100.0)
}

pub(super) fn number(x: Option<f64>) -> String {
    match x {
        None => "-".into(),
        Some(v) if v.fract() == 0.0 && v.abs() < 1e9 => format!("{v:.0}"),
        Some(v) if v.abs() >= 100.0 => format!("{v:.1}"),
        Some(v) => format!("{v:.3}"),
    }
}

pub(super) fn proportions(out: &mut String, title: &str, rows: &[Proportion]) {
    let _ = writeln!(out, "{:<48}{:>8}  {:>17}", title, "p", "95% interval");
    for o in rows {
        let cells = format!("{:>8}  {:>7} – {:<7}", pct(o.p), pct(o.ci95[0]), pct(o.ci95[1]));
        labelled_row(out, "  ", &o.label, 46, &cells);
    }
    out.push('\n');
}

/// The discussion prompts, numbered, to end a table with.
fn prompts(out: &mut String, prompts: &[String]) {
    if prompts.is_empty() {
        return;
    }
    let _ = writeln!(out, "TO DISCUSS");
    for (i, q) in prompts.iter().enumerate() {
        out.push_str(&wrap_hanging(q, WIDTH - 6, &format!("{:>3}. ", i + 1), "     "));
    }
}

/// Warnings: in full when `verbose`, else one line saying how many.
pub(super) fn warnings(out: &mut String, title: &str, what: &str, list: &[String], verbose: bool) {
    if list.is_empty() {
        return;
    }
    if verbose {
        let _ = writeln!(out, "{title} ({}): {what}", list.len());
        for w in list {
            out.push_str(&wrap_hanging(w, WIDTH - 4, "  - ", "    "));
        }
    } else {
        let s = if list.len() == 1 { "" } else { "s" };
        let line = format!(
            "{} warning{s} {what} (--verbose lists them; so does --format json).",
            list.len()
        );
        out.push_str(&wrap(&line, WIDTH - 2, ""));
    }
    out.push('\n');
}

/// Drops trailing spaces from every line.
fn tidy(out: &str) -> String {
    out.lines().map(str::trim_end).collect::<Vec<_>>().join("\n") + "\n"
}

impl Exporter for Table {
    fn sweep(&self, s: &SweepReport) -> String {
        tidy(&explore::sweep(s))
    }

    fn sensitivity(&self, s: &SensitivityReport) -> String {
        tidy(&explore::sensitivity(s))
    }

    fn run(&self, r: &Report) -> String {
        let mut out = String::new();
        header(&mut out, r);
        if let Some(c) = &r.comparison {
            compare::render(&mut out, r, c, self.verbose);
            prompts(&mut out, &r.scenario.prompts);
            return tidy(&out);
        }
        proportions(&mut out, "RESULT", &r.outcomes);
        if !r.flags.is_empty() {
            proportions(&mut out, "FLAGS", &r.flags);
        }
        if !r.metrics.is_empty() {
            let _ = writeln!(
                out,
                "{:<30}{:>8}{:>8}{:>8}{:>8}{:>8}{:>8}",
                "METRICS", "n", "mean", "sd", "p5", "p50", "p95"
            );
            for m in &r.metrics {
                let cells = format!(
                    "{:>8}{:>8}{:>8}{:>8}{:>8}{:>8}",
                    m.count,
                    number(m.mean),
                    number(m.sd),
                    number(m.p5),
                    number(m.p50),
                    number(m.p95)
                );
                labelled_row(&mut out, "  ", &m.label, 28, &cells);
            }
            out.push('\n');
        }
        let dates: Vec<String> = r
            .events
            .iter()
            .map(|e| {
                let date = e.date.clone().unwrap_or_else(|| "after".into());
                if e.kind == "process" { format!("{date}+") } else { date }
            })
            .collect();
        let dw = dates.iter().map(|d| d.chars().count()).max().unwrap_or(0).max(8);
        let _ = writeln!(
            out,
            "{:<w$}{:>dw$}{:>12}{:>12}",
            "DECISIONS AND EVENTS",
            "date",
            "reached",
            "fired",
            w = 56 - dw
        );
        for (e, date) in r.events.iter().zip(&dates) {
            let mark = if e.decision { "?" } else { " " };
            let _ = writeln!(
                out,
                "{mark} {}{date:>dw$}{:>12}{:>12}",
                fit(&e.id, 54 - dw),
                pct(e.reached as f64 / r.branches.max(1) as f64),
                pct(e.p)
            );
            for o in &e.options {
                let _ = writeln!(out, "    → {}{:>24}", fit(&o.id, 50 - dw + dw), pct(o.p));
            }
        }
        let _ = writeln!(
            out,
            "  (? marks decisions; fired = chose yes, or → the option picked; + marks\n  processes; \"after\": timed after another event; `sim list` shows when each\n  is due)\n"
        );
        if !r.paths.is_empty() {
            let _ = writeln!(out, "MOST FREQUENT PATHS (decisions taken, in order)");
            for (i, p) in r.paths.iter().enumerate() {
                let _ = writeln!(out, "{:>3}. {:>6} of branches", i + 1, pct(p.p));
                out += &wrap(&p.steps.join(" · "), WIDTH - 7, "       ");
            }
            if let Some(other) = &r.paths_not_kept {
                let note = format!(
                    "More than {} distinct paths: the run kept exact counts for {} of them, chosen by a fixed hash (not by frequency, so a common path may be missing above); {} of branches took a path not kept.",
                    crate::stats::paths::CAP,
                    crate::stats::paths::CAP,
                    pct(other.p)
                );
                out += &wrap(&note, WIDTH - 2, "  ");
            }
            out.push('\n');
        }
        warnings(&mut out, "WARNINGS", "about the scenario", &r.warnings, self.verbose);
        prompts(&mut out, &r.scenario.prompts);
        tidy(&out)
    }
}

fn header(out: &mut String, r: &Report) {
    let s = &r.scenario;
    let _ = writeln!(out, "{}", s.title);
    if let Some(q) = &s.question {
        out.push_str(&wrap(q, WIDTH - 2, ""));
    }
    if let Some(passage) = &s.passage {
        out.push_str(&wrap_hanging(&format!("Read: {passage}"), WIDTH - 8, "", "      "));
    }
    let _ = writeln!(
        out,
        "{} · seed {} · {} branches · {} {}",
        s.id, r.seed, r.branches, r.engine.name, r.engine.version
    );
    if !r.changes.is_empty() {
        let _ = writeln!(out, "Changes from the base scenario:");
        for c in &r.changes {
            out.push_str(&wrap_hanging(&c.detail, WIDTH - 4, "  - ", "    "));
        }
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bullets_hang_under_their_first_word() {
        let text = "one two three four five six seven eight";
        let got = wrap_hanging(text, 14, "  - ", "    ");
        assert_eq!(got, "  - one two three\n    four five six\n    seven eight\n");
        assert_eq!(wrap("a b", 14, "> "), "> a b\n");
    }
}
