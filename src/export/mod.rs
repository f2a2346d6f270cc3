//! Output formats, one small file each, all reading the same [`Report`].

mod csv;
mod json;
pub(crate) mod table;

use crate::report::Report;
use crate::sweep::{SensitivityReport, SweepReport};

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned text for a terminal, 80 columns.
    Table,
    /// The documented JSON object (see docs/json.md).
    Json,
    /// One tidy table: kind, id, statistic, value.
    Csv,
}

/// Renders each kind of result in one format.
pub trait Exporter {
    /// A run, with its comparison against a base when there is one.
    fn run(&self, report: &Report) -> String;
    fn sweep(&self, report: &SweepReport) -> String;
    fn sensitivity(&self, report: &SensitivityReport) -> String;
}

/// The exporter of `format`; `verbose` lists in full in a table what it
/// otherwise sums up (JSON and CSV always list everything).
pub fn exporter(format: Format, verbose: bool) -> Box<dyn Exporter> {
    match format {
        Format::Table => Box::new(table::Table { verbose }),
        Format::Json => Box::new(json::Json),
        Format::Csv => Box::new(csv::Csv),
    }
}
