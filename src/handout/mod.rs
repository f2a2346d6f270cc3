//! The classroom handout (`sim report`): one self-contained HTML page for
//! a set of scenarios, each with its question and passage, what it
//! changes, a predict-then-reveal exercise, its results as charts, a few
//! branches told as stories, the prompts to discuss and the assumptions
//! behind the numbers. The figures are those of the run's `Report`, the
//! very value the JSON output serialises.

mod html;
pub mod svg;

pub use html::page;

use crate::catalogue::{Catalogue, Entry};
use crate::engine::branch::RunError;
use crate::engine::narrative::{Line, Narrative};
use crate::program::Program;
use crate::report::Report;
use crate::stories::Pick;
use crate::sweep::{SensitivityReport, SweepReport};

/// The whole page.
pub struct Handout {
    pub sections: Vec<Section>,
    /// The command that made the page, as typed.
    pub command: String,
}

/// One scenario of the page.
pub struct Section {
    /// The run, shown against its base when it has one.
    pub report: Report,
    pub stories: Vec<Story>,
    /// Every parameter: its distribution, its doc and its assumption.
    pub assumptions: Vec<Entry>,
    pub sweep: Option<SweepReport>,
    pub sensitivity: Option<SensitivityReport>,
    /// The `sim` command that prints these figures.
    pub reproduce: String,
}

/// A branch told as a story.
pub struct Story {
    pub title: String,
    pub branch: u64,
    pub lines: Vec<Line>,
    /// Where it parts from the same branch of the base.
    pub against: Option<String>,
}

impl Section {
    pub fn new(report: Report, program: &Program, stories: Vec<Story>, reproduce: String) -> Self {
        Section {
            report,
            stories,
            assumptions: Catalogue::of(program).parameters,
            sweep: None,
            sensitivity: None,
            reproduce,
        }
    }
}

/// Tells a chosen branch: its story (without the parameters drawn) and,
/// for a counterfactual, where it parts from its base.
pub fn story(p: &Program, base: Option<&Program>, seed: u64, pick: &Pick) -> Result<Story, RunError> {
    let mut told = Narrative::default();
    crate::engine::run::replay(p, seed, pick.branch, &mut told)?;
    let against = match base {
        Some(base) => Some(crate::compare::replay_pair(base, p, seed, pick.branch)?),
        None => None,
    };
    Ok(Story {
        title: pick.title(p),
        branch: pick.branch,
        lines: told.lines,
        against,
    })
}
