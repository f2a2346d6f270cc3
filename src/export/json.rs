//! JSON export: the [`Report`] as documented in docs/json.md.

use super::Exporter;
use crate::report::Report;

pub struct Json;

impl Exporter for Json {
    fn render(&self, report: &Report) -> String {
        let mut out = serde_json::to_string_pretty(report).expect("a report always serializes");
        out.push('\n');
        out
    }
}
