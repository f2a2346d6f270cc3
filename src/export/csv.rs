//! CSV export: tidy tables that pandas or R read directly. A run is
//! `kind,id,statistic,value,text`: `value` is always a number (or empty),
//! `text` holds the few values that are words (a path's steps, a file); a
//! sweep adds one column per varied parameter. docs/json.md lists every kind.

use super::Exporter;
use crate::report::{MetricStat, Proportion, Report};
use crate::sweep::{SensitivityReport, SweepReport};
use std::fmt::Write;

pub struct Csv;

/// Quotes a field if it needs it (RFC 4180).
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn num(x: Option<f64>) -> String {
    x.map_or(String::new(), |v| v.to_string())
}

/// Rows `kind,id,statistic,value` for outcomes, flags and metrics.
fn figures(
    outcomes: &[Proportion],
    flags: &[Proportion],
    metrics: &[MetricStat],
    row: &mut dyn FnMut(&str, &str, &str, String),
) {
    for (kind, list) in [("outcome", outcomes), ("flag", flags)] {
        for o in list {
            row(kind, &o.id, "count", o.count.to_string());
            row(kind, &o.id, "p", o.p.to_string());
            row(kind, &o.id, "ci95_lo", o.ci95[0].to_string());
            row(kind, &o.id, "ci95_hi", o.ci95[1].to_string());
        }
    }
    for m in metrics {
        row("metric", &m.id, "count", m.count.to_string());
        for (stat, v) in [
            ("mean", m.mean),
            ("sd", m.sd),
            ("p5", m.p5),
            ("p50", m.p50),
            ("p95", m.p95),
        ] {
            row("metric", &m.id, stat, num(v));
        }
    }
}

impl Exporter for Csv {
    fn run(&self, r: &Report) -> String {
        let mut out = String::from("kind,id,statistic,value,text\n");
        // The exercise first: title, question, passage and prompts, as text.
        let sc = &r.scenario;
        let mut texts: Vec<(String, String, String, String)> = Vec::new();
        let mut exercise = vec![("title".to_string(), Some(&sc.title))];
        exercise.push(("question".into(), sc.question.as_ref()));
        exercise.push(("passage".into(), sc.passage.as_ref()));
        exercise.extend(
            sc.prompts
                .iter()
                .enumerate()
                .map(|(i, q)| (format!("prompt{}", i + 1), Some(q))),
        );
        for (stat, text) in exercise {
            if let Some(text) = text {
                texts.push(("scenario".into(), sc.id.clone(), stat, text.clone()));
            }
        }
        let mut row = |kind: &str, id: &str, stat: &str, value: String| {
            let _ = writeln!(out, "{kind},{},{stat},{},", field(id), field(&value));
        };
        row("run", &r.scenario.id, "seed", r.seed.to_string());
        row("run", &r.scenario.id, "branches", r.branches.to_string());
        figures(&r.outcomes, &r.flags, &r.metrics, &mut row);
        for e in &r.events {
            row(e.kind, &e.id, "reached", e.reached.to_string());
            row(e.kind, &e.id, "fired", e.fired.to_string());
            row(e.kind, &e.id, "p", e.p.to_string());
            if let Some(s) = e.mean_steps {
                row(e.kind, &e.id, "mean_steps", s.to_string());
            }
        }
        for (i, p) in r.paths.iter().enumerate() {
            let id = format!("path{}", i + 1);
            row("path", &id, "count", p.count.to_string());
            row("path", &id, "p", p.p.to_string());
            texts.push(("path".into(), id, "steps".into(), p.steps.join(" > ")));
        }
        if let Some(other) = &r.paths_not_kept {
            row("path", "not_kept", "count", other.count.to_string());
            row("path", "not_kept", "p", other.p.to_string());
        }
        if let Some(c) = &r.comparison {
            texts.push((
                "comparison".into(),
                c.base.id.clone(),
                "base".into(),
                c.base.file.clone(),
            ));
            for (kind, list) in [("outcome_change", &c.outcomes), ("flag_change", &c.flags)] {
                for d in list {
                    row(kind, &d.id, "p_base", num(d.p_base));
                    row(kind, &d.id, "p", d.p.to_string());
                    row(kind, &d.id, "diff", num(d.diff));
                    row(kind, &d.id, "diff_ci95_lo", num(d.diff_ci95.map(|c| c[0])));
                    row(kind, &d.id, "diff_ci95_hi", num(d.diff_ci95.map(|c| c[1])));
                    if let Some(pairs) = d.pairs {
                        row(kind, &d.id, "both", pairs.both.to_string());
                        row(kind, &d.id, "base_only", pairs.base_only.to_string());
                        row(kind, &d.id, "this_only", pairs.this_only.to_string());
                        row(kind, &d.id, "neither", pairs.neither.to_string());
                    }
                }
            }
            for m in &c.metrics {
                row("metric_change", &m.id, "mean_base", num(m.mean_base));
                row("metric_change", &m.id, "mean", num(m.mean));
                row("metric_change", &m.id, "diff", num(m.diff));
                row("metric_change", &m.id, "diff_ci95_lo", num(m.diff_ci95.map(|c| c[0])));
                row("metric_change", &m.id, "diff_ci95_hi", num(m.diff_ci95.map(|c| c[1])));
            }
            for f in &c.flips {
                row("flip", &format!("{}>{}", f.from, f.to), "count", f.count.to_string());
            }
            for d in &c.divergence {
                row("divergence", &d.event, "count", d.count.to_string());
            }
        }
        for (kind, id, stat, text) in texts {
            let _ = writeln!(out, "{kind},{},{stat},,{}", field(&id), field(&text));
        }
        out
    }

    fn sweep(&self, s: &SweepReport) -> String {
        let names: Vec<String> = s.vary.iter().map(|v| field(v)).collect();
        let mut out = format!("point,{},kind,id,statistic,value\n", names.join(","));
        for (i, point) in s.points.iter().enumerate() {
            let values: Vec<String> = s.vary.iter().map(|v| point.values[v].to_string()).collect();
            let prefix = format!("{},{}", i + 1, values.join(","));
            let mut row = |kind: &str, id: &str, stat: &str, value: String| {
                let _ = writeln!(out, "{prefix},{kind},{},{stat},{}", field(id), field(&value));
            };
            figures(&point.outcomes, &point.flags, &point.metrics, &mut row);
        }
        out
    }

    fn sensitivity(&self, s: &SensitivityReport) -> String {
        let mut out = String::from("outcome,parameter,basis,low,high,p_low,p_high,swing\n");
        for w in &s.parameters {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{}",
                field(&s.outcome),
                field(&w.parameter),
                field(&w.basis),
                w.low,
                w.high,
                w.p_low,
                w.p_high,
                w.swing
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
