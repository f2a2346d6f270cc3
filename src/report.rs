//! The result of a run as one serializable value; every exporter reads it.

use crate::engine::run::RunSettings;
use crate::program::{NodeKind, Program, Timing};
use crate::scenario::Change;
use crate::stats::Tally;
use crate::stats::interval::wilson;
use serde::Serialize;

/// Version of the JSON layout below; bumped on any incompatible change.
pub const FORMAT_VERSION: u32 = 2;
/// How many of the most frequent paths are reported.
pub const TOP_PATHS: usize = 10;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub format_version: u32,
    pub engine: Engine,
    pub scenario: ScenarioInfo,
    pub seed: u64,
    pub branches: u64,
    pub outcomes: Vec<Proportion>,
    pub flags: Vec<Proportion>,
    pub events: Vec<EventStat>,
    pub metrics: Vec<MetricStat>,
    pub paths: Vec<PathStat>,
    /// Branches whose path is not among those the run kept: present only
    /// when it took more than `stats::paths::CAP` distinct paths.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paths_not_kept: Option<Share>,
    /// What this scenario changes in its base (empty for a base scenario).
    pub changes: Vec<Change>,
    /// What `sim check` warns about (parameters nothing reads, ...).
    pub warnings: Vec<String>,
    /// Present when the run is shown against a base scenario.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison: Option<crate::compare::Comparison>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Engine {
    pub name: &'static str,
    pub version: &'static str,
}

impl Engine {
    pub fn this() -> Self {
        Engine {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ScenarioInfo {
    pub id: String,
    pub title: String,
    pub question: Option<String>,
    pub passage: Option<String>,
    /// Discussion prompts for class.
    pub prompts: Vec<String>,
    pub file: String,
    pub extends: Option<String>,
    /// One tick of the scenario's clock ("month", "day", "2 hours").
    pub tick: String,
}

impl ScenarioInfo {
    pub fn of(p: &Program) -> Self {
        let m = &p.meta;
        ScenarioInfo {
            id: m.id.clone(),
            title: m.title.clone(),
            question: m.question.clone(),
            passage: m.passage.clone(),
            prompts: m.prompts.clone(),
            file: m.file.display().to_string(),
            extends: m.extends.as_ref().map(|e| e.display().to_string()),
            tick: m.clock.tick_name(),
        }
    }
}

/// A count out of the branches, with its Wilson 95% interval.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Proportion {
    pub id: String,
    pub label: String,
    pub count: u64,
    pub p: f64,
    pub ci95: [f64; 2],
}

impl Proportion {
    pub fn new(id: &str, label: &str, count: u64, n: u64) -> Self {
        let (lo, hi) = wilson(count, n);
        Proportion {
            id: id.to_string(),
            label: label.to_string(),
            count,
            p: ratio(count, n),
            ci95: [lo, hi],
        }
    }
}

fn ratio(k: u64, n: u64) -> f64 {
    if n == 0 { 0.0 } else { k as f64 / n as f64 }
}

#[derive(Debug, Clone, Serialize)]
pub struct EventStat {
    pub id: String,
    pub label: String,
    pub actor: Option<String>,
    /// `event` or `process`.
    pub kind: &'static str,
    /// Its fixed date (a process: its first), at the clock's precision;
    /// `null` when it is timed after another event or by the parameters.
    pub date: Option<String>,
    /// When it is due, in words ("every month from 1950-06", "2 days after `strike`").
    pub timing: String,
    /// Whether a rule (or an intervention) decides it.
    pub decision: bool,
    /// Branches in which it was reached (a process: ran at least one step).
    pub reached: u64,
    /// Branches in which it fired (a decision: chose yes) at least once.
    pub fired: u64,
    /// `fired / branches`.
    pub p: f64,
    /// `fired / reached`.
    pub p_given_reached: f64,
    /// Processes: mean steps per branch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_steps: Option<f64>,
    /// A decision among named options: how often each was picked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<OptionStat>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OptionStat {
    pub id: String,
    pub label: String,
    /// Branches in which it was picked at least once.
    pub count: u64,
    /// `count / branches`.
    pub p: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct MetricStat {
    pub id: String,
    pub label: String,
    /// Branches in which the metric was present.
    pub count: u64,
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    pub p5: Option<f64>,
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    /// False once the metric had too many distinct values to count exactly
    /// (quantiles are then within 1%).
    pub exact_quantiles: bool,
}

/// A decision of a path as it reads: `event_id: option`.
pub fn path_step(p: &Program, code: u32) -> String {
    let node = p.node(code >> 8);
    format!("{}: {}", node.id, node.option_name(code & 0xff))
}

/// A number of branches, and their share of all.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Share {
    pub count: u64,
    pub p: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PathStat {
    /// `node_id: option` for each decision, in order (`yes`/`no` for a
    /// yes/no decision; a process's run of equal decisions once).
    pub steps: Vec<String>,
    pub count: u64,
    pub p: f64,
}

impl Report {
    pub fn new(p: &Program, settings: &RunSettings, t: &Tally) -> Self {
        let n = t.branches;
        let mut offset = 0;
        let events = p
            .nodes()
            .enumerate()
            .map(|(i, node)| {
                let options = node
                    .options
                    .iter()
                    .enumerate()
                    .map(|(k, o)| OptionStat {
                        id: o.id.clone(),
                        label: o.label.clone(),
                        count: t.chosen[offset + k],
                        p: ratio(t.chosen[offset + k], n),
                    })
                    .collect();
                offset += node.options.len();
                EventStat {
                    id: node.id.clone(),
                    label: node.label.clone(),
                    actor: node.actor.clone(),
                    kind: if node.kind == NodeKind::Event {
                        "event"
                    } else {
                        "process"
                    },
                    date: match node.timing {
                        Timing::At(tick) => Some(p.meta.clock.format(tick)),
                        _ => None,
                    },
                    timing: p.timing_text(node),
                    decision: node.is_decision(),
                    reached: t.reached[i],
                    fired: t.fired[i],
                    p: ratio(t.fired[i], n),
                    p_given_reached: ratio(t.fired[i], t.reached[i]),
                    mean_steps: (node.kind == NodeKind::Process).then(|| ratio(t.steps[i], n)),
                    options,
                }
            })
            .collect();
        let metrics = p
            .metrics
            .iter()
            .zip(&t.metrics)
            .map(|(m, mt)| MetricStat {
                id: m.id.clone(),
                label: m.label.clone(),
                count: mt.moments.n,
                mean: mt.moments.mean(),
                sd: mt.moments.sd(),
                p5: mt.quantiles.quantile(0.05),
                p50: mt.quantiles.quantile(0.5),
                p95: mt.quantiles.quantile(0.95),
                exact_quantiles: mt.quantiles.is_exact(),
            })
            .collect();
        let (top, not_kept) = t.top_paths(TOP_PATHS);
        let paths = top
            .into_iter()
            .map(|(steps, count)| PathStat {
                steps: steps.iter().map(|&code| path_step(p, code)).collect(),
                count,
                p: ratio(count, n),
            })
            .collect();
        Report {
            format_version: FORMAT_VERSION,
            engine: Engine::this(),
            scenario: ScenarioInfo::of(p),
            seed: settings.seed,
            branches: n,
            outcomes: p
                .outcomes
                .iter()
                .zip(&t.outcomes)
                .map(|(o, &c)| Proportion::new(&o.id, &o.label, c, n))
                .collect(),
            flags: p
                .flags
                .iter()
                .zip(&t.flags)
                .map(|(o, &c)| Proportion::new(&o.id, &o.label, c, n))
                .collect(),
            events,
            metrics,
            paths,
            paths_not_kept: (not_kept > 0).then(|| Share {
                count: not_kept,
                p: ratio(not_kept, n),
            }),
            changes: p.changes.clone(),
            warnings: p.warnings.clone(),
            comparison: None,
        }
    }
}
