//! JSON export: the [`Report`] as documented in docs/json.md.

use super::Exporter;
use crate::report::Report;
use crate::sweep::{SensitivityReport, SweepReport};
use serde::Serialize;

pub struct Json;

fn pretty<T: Serialize>(value: &T) -> String {
    let mut out = serde_json::to_string_pretty(value).expect("reports hold only plain data"); // ok: no maps with non-string keys
    out.push('\n');
    out
}

impl Exporter for Json {
    fn run(&self, report: &Report) -> String {
        pretty(report)
    }
    fn sweep(&self, report: &SweepReport) -> String {
        pretty(report)
    }
    fn sensitivity(&self, report: &SensitivityReport) -> String {
        pretty(report)
    }
}
