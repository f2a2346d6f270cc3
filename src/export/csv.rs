//! CSV export: one tidy table (`kind,id,statistic,value`) that pandas or R
//! reads directly.

use super::Exporter;
use crate::report::Report;
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

impl Exporter for Csv {
    fn render(&self, r: &Report) -> String {
        let mut out = String::from("kind,id,statistic,value\n");
        let mut row = |kind: &str, id: &str, stat: &str, value: String| {
            let _ = writeln!(out, "{kind},{},{stat},{}", field(id), field(&value));
        };
        row("run", &r.scenario.id, "seed", r.seed.to_string());
        row("run", &r.scenario.id, "branches", r.branches.to_string());
        for (kind, list) in [("outcome", &r.outcomes), ("flag", &r.flags)] {
            for o in list {
                row(kind, &o.id, "count", o.count.to_string());
                row(kind, &o.id, "p", o.p.to_string());
                row(kind, &o.id, "ci95_lo", o.ci95[0].to_string());
                row(kind, &o.id, "ci95_hi", o.ci95[1].to_string());
            }
        }
        for e in &r.events {
            row(e.kind, &e.id, "reached", e.reached.to_string());
            row(e.kind, &e.id, "fired", e.fired.to_string());
            row(e.kind, &e.id, "p", e.p.to_string());
            if let Some(s) = e.mean_steps {
                row(e.kind, &e.id, "mean_steps", s.to_string());
            }
        }
        for m in &r.metrics {
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
        for (i, p) in r.paths.iter().enumerate() {
            let id = format!("path{}", i + 1);
            row("path", &id, "count", p.count.to_string());
            row("path", &id, "p", p.p.to_string());
            row("path", &id, "steps", p.steps.join(" > "));
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
