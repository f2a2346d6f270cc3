//! Parameter sweeps and one-at-a-time sensitivity. Every point runs the same
//! branch indices with the same seed, so points differ only by the parameter
//! (common random numbers): curves are smooth and swings are paired.

use crate::engine::dist::Dist;
use crate::engine::run::{RunSettings, run};
use crate::program::{ParamValue, Program};
use crate::report::{Engine, MetricStat, Proportion, Report, ScenarioInfo};
use crate::stats::Tally;
use serde::Serialize;
use std::collections::BTreeMap;

/// Most grid points one sweep may run.
pub const MAX_POINTS: usize = 1000;
/// Most parameters one sweep may vary.
pub const MAX_VARY: usize = 3;

/// One varied parameter and its values.
#[derive(Debug, Clone, PartialEq)]
pub struct Vary {
    pub name: String,
    pub values: Vec<f64>,
}

/// Parses `NAME=LO:HI:STEPS` or `NAME=v1,v2,...` (numbers or true/false).
pub fn parse_vary(arg: &str) -> Result<Vary, String> {
    let (name, spec) = arg
        .split_once('=')
        .ok_or_else(|| format!("`--vary {arg}`: expected NAME=LO:HI:STEPS or NAME=v1,v2,..."))?;
    let num = |s: &str| -> Result<f64, String> {
        match s.trim() {
            "true" => Ok(1.0),
            "false" => Ok(0.0),
            t => t
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| format!("`--vary {arg}`: `{t}` is not a number")),
        }
    };
    let values = if spec.contains(':') {
        let parts: Vec<&str> = spec.split(':').collect();
        let [lo, hi, steps] = parts[..] else {
            return Err(format!("`--vary {arg}`: expected LO:HI:STEPS"));
        };
        let (lo, hi) = (num(lo)?, num(hi)?);
        let steps: usize = steps
            .trim()
            .parse()
            .ok()
            .filter(|s| (2..=MAX_POINTS).contains(s))
            .ok_or_else(|| {
                format!(
                    "`--vary {arg}`: STEPS must be a whole number from 2 to {MAX_POINTS} (for one value, write NAME=VALUE)"
                )
            })?;
        (0..steps)
            .map(|i| lo + (hi - lo) * i as f64 / (steps - 1) as f64)
            .collect()
    } else {
        spec.split(',').map(num).collect::<Result<Vec<_>, _>>()?
    };
    Ok(Vary {
        name: name.trim().to_string(),
        values,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct SweepReport {
    pub format_version: u32,
    pub engine: Engine,
    pub scenario: ScenarioInfo,
    pub seed: u64,
    pub branches: u64,
    pub vary: Vec<String>,
    pub points: Vec<SweepPoint>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SweepPoint {
    pub values: BTreeMap<String, f64>,
    pub outcomes: Vec<Proportion>,
    pub flags: Vec<Proportion>,
    pub metrics: Vec<MetricStat>,
}

/// A failure of a sweep or sensitivity run: bad input, or a branch error.
pub type Failure = String;

fn run_tally(p: &Program, settings: &RunSettings) -> Result<Tally, Failure> {
    run(p, settings)?.map_err(|e| format!("in branch {}: {}", e.branch, e.message))
}

/// Pins of one run of a grid: (parameter, value) pairs.
pub type Pins = Vec<(String, f64)>;

/// The runs of a sweep: every point of the grid spanned by `vary`, the
/// last parameter varying fastest.
pub fn sweep_plan(vary: &[Vary]) -> Result<Vec<Pins>, Failure> {
    if vary.is_empty() || vary.len() > MAX_VARY {
        return Err(format!("a sweep varies 1 to {MAX_VARY} parameters"));
    }
    for (i, v) in vary.iter().enumerate() {
        if vary[..i].iter().any(|w| w.name == v.name) {
            return Err(format!(
                "`{}` is varied twice; give all its values in one --vary (NAME=v1,v2,...)",
                v.name
            ));
        }
    }
    let total: usize = vary.iter().map(|v| v.values.len()).product();
    if total > MAX_POINTS {
        return Err(format!("the grid has {total} points; at most {MAX_POINTS}"));
    }
    Ok((0..total)
        .map(|k| {
            // Mixed-radix index: the last parameter varies fastest.
            let mut rest = k;
            let mut pins = vec![(String::new(), 0.0); vary.len()];
            for (i, v) in vary.iter().enumerate().rev() {
                pins[i] = (v.name.clone(), v.values[rest % v.values.len()]);
                rest /= v.values.len();
            }
            pins
        })
        .collect())
}

/// Runs the plan's runs `runs` (all on the same branches), in order.
///
/// Runs that only pin parameters share each branch up to the first node
/// that reads one of their pins (see `engine::trunk`), a slice of the
/// branches at a time; the others run alone. The tallies are those of
/// separate runs, and so is the error if a branch fails. `done(k, n)` is
/// told as the work of `k` of the `n` runs is done (for a progress bar).
pub fn run_plan(
    p: &Program,
    plan: &[Pins],
    runs: std::ops::Range<usize>,
    settings: &RunSettings,
    done: &dyn Fn(usize, usize),
) -> Result<Vec<Tally>, Failure> {
    let n = runs.len();
    let programs: Result<Vec<Program>, Failure> = plan[runs.clone()].iter().map(|pins| pinned(p, pins)).collect();
    let Ok(programs) = programs else {
        return run_alone(p, &plan[runs], settings, done);
    };
    let Some(mut shared) = run_shared(p, &programs, settings, &|k| done(k, n))? else {
        return run_alone(p, &plan[runs], settings, done);
    };
    let before = shared.iter().filter(|t| t.is_some()).count();
    let mut left = 0;
    programs
        .iter()
        .zip(shared.iter_mut())
        .map(|(program, tally)| match tally.take() {
            Some(t) => Ok(t),
            None => {
                let t = run_tally(program, settings);
                left += 1;
                done(before + left, n);
                t
            }
        })
        .collect()
}

/// Each run alone, in order.
fn run_alone(
    p: &Program,
    plan: &[Pins],
    settings: &RunSettings,
    done: &dyn Fn(usize, usize),
) -> Result<Vec<Tally>, Failure> {
    let n = plan.len();
    plan.iter()
        .enumerate()
        .map(|(k, pins)| {
            let tally = run_tally(&pinned(p, pins)?, settings);
            done(k + 1, n);
            tally
        })
        .collect()
}

/// The runs of `programs` that can share `p`'s trunk, in slices of the
/// branches (`done(k)`: the work of `k` runs is done); `None` where a
/// branch failed (run alone, the runs give the same error as ever).
fn run_shared(
    p: &Program,
    programs: &[Program],
    settings: &RunSettings,
    done: &dyn Fn(usize),
) -> Result<Option<Vec<Option<Tally>>>, Failure> {
    const SLICES: u64 = 20;
    match crate::engine::trunk::run_variants(p, programs, settings, SLICES, done)? {
        Ok((_, tallies)) => Ok(Some(tallies)),
        Err(_) => Ok(None),
    }
}

/// A copy of the program with the pins applied.
fn pinned(p: &Program, pins: &Pins) -> Result<Program, Failure> {
    let mut program = p.clone();
    for (name, x) in pins {
        program = program.with_param(name, *x)?;
    }
    Ok(program)
}

/// The sweep's report from one tally per point of the plan.
pub fn sweep_report(
    p: &Program,
    vary: &[Vary],
    plan: &[Pins],
    tallies: &[Tally],
    settings: &RunSettings,
) -> Result<SweepReport, Failure> {
    let mut points = Vec::with_capacity(plan.len());
    for (pins, tally) in plan.iter().zip(tallies) {
        let program = pinned(p, pins)?;
        let r = Report::new(&program, settings, tally);
        points.push(SweepPoint {
            values: pins.iter().cloned().collect(),
            outcomes: r.outcomes,
            flags: r.flags,
            metrics: r.metrics,
        });
    }
    Ok(SweepReport {
        format_version: crate::report::FORMAT_VERSION,
        engine: Engine::this(),
        scenario: ScenarioInfo::of(p),
        seed: settings.seed,
        branches: settings.branches,
        vary: vary.iter().map(|v| v.name.clone()).collect(),
        points,
    })
}

/// Runs every point of the grid spanned by `vary`.
pub fn sweep(p: &Program, vary: &[Vary], settings: &RunSettings) -> Result<SweepReport, Failure> {
    let plan = sweep_plan(vary)?;
    let tallies = run_plan(p, &plan, 0..plan.len(), settings, &|_, _| {})?;
    sweep_report(p, vary, &plan, &tallies, settings)
}

#[derive(Debug, Clone, Serialize)]
pub struct SensitivityReport {
    pub format_version: u32,
    pub engine: Engine,
    pub scenario: ScenarioInfo,
    pub seed: u64,
    pub branches: u64,
    /// The outcome or flag whose probability is explained.
    pub outcome: String,
    pub label: String,
    pub p: f64,
    /// Parameters ranked by swing, largest first.
    pub parameters: Vec<Swing>,
    /// Fixed parameters without a stated `range`, not varied.
    pub not_varied: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Swing {
    pub parameter: String,
    /// Where the low and high values come from.
    pub basis: String,
    pub low: f64,
    pub high: f64,
    pub p_low: f64,
    pub p_high: f64,
    /// `|p_high − p_low|`.
    pub swing: f64,
}

/// The low and high values to pin a parameter at, and why those.
pub fn pins(value: &ParamValue, range: Option<(f64, f64)>) -> Option<(f64, f64, String)> {
    match (value, range) {
        (_, Some((lo, hi))) => Some((lo, hi, "stated range".into())),
        (
            ParamValue::Drawn {
                dist: Dist::Bernoulli { .. },
                ..
            },
            None,
        ) => Some((0.0, 1.0, "false / true".into())),
        (ParamValue::Drawn { dist, .. }, None) => Some((
            dist.quantile(0.1),
            dist.quantile(0.9),
            format!("p10 / p90 of {}", dist.describe()),
        )),
        (ParamValue::Fixed(_), None) => None,
    }
}

/// The probability of `id` (an outcome or a flag) in a tally.
fn probability(p: &Program, t: &Tally, id: &str) -> Option<f64> {
    let n = t.branches.max(1) as f64;
    if let Some(i) = p.outcomes.iter().position(|o| o.id == id) {
        return Some(t.outcomes[i] as f64 / n);
    }
    p.flags.iter().position(|o| o.id == id).map(|i| t.flags[i] as f64 / n)
}

/// The runs of a sensitivity analysis: the scenario as it is, then each
/// parameter pinned low and high (parameters without pins are left out).
pub fn sensitivity_plan(p: &Program) -> Vec<Pins> {
    let mut plan = vec![Vec::new()];
    for param in &p.params {
        if let Some((low, high, _)) = pins(&param.value, param.range) {
            plan.push(vec![(param.name.clone(), low)]);
            plan.push(vec![(param.name.clone(), high)]);
        }
    }
    plan
}

/// The outcome or flag a sensitivity explains (default: the most likely
/// result of the base run), its label and its probability there.
fn explained(p: &Program, outcome: Option<&str>, base: &Tally) -> Result<(String, String, f64), Failure> {
    let id = match outcome {
        Some(id) => id.to_string(),
        None => {
            let best = (0..p.outcomes.len())
                .max_by_key(|&i| (base.outcomes[i], std::cmp::Reverse(i)))
                .unwrap_or(0);
            p.outcomes[best].id.clone()
        }
    };
    let Some(p_base) = probability(p, base, &id) else {
        let ids: Vec<&str> = p.outcomes.iter().chain(&p.flags).map(|o| o.id.as_str()).collect();
        return Err(format!(
            "no outcome or flag `{id}` ({})",
            crate::scenario::suggest(&id, &ids)
        ));
    };
    let label = p
        .outcomes
        .iter()
        .chain(&p.flags)
        .find(|o| o.id == id)
        .map(|o| o.label.clone())
        .unwrap_or_default();
    Ok((id, label, p_base))
}

/// Checks that `outcome` names an outcome or flag of the program.
pub fn check_outcome(p: &Program, outcome: Option<&str>) -> Result<(), Failure> {
    explained(p, outcome, &Tally::new(&p.shape())).map(|_| ())
}

/// The sensitivity report from one tally per run of the plan.
pub fn sensitivity_report(
    p: &Program,
    outcome: Option<&str>,
    tallies: &[Tally],
    settings: &RunSettings,
) -> Result<SensitivityReport, Failure> {
    let (id, label, p_base) = explained(p, outcome, &tallies[0])?;
    let mut parameters = Vec::new();
    let mut not_varied = Vec::new();
    let mut next = 1;
    for param in &p.params {
        let Some((low, high, basis)) = pins(&param.value, param.range) else {
            not_varied.push(param.name.clone());
            continue;
        };
        let (p_low, p_high) = (
            probability(p, &tallies[next], &id).unwrap_or(0.0),
            probability(p, &tallies[next + 1], &id).unwrap_or(0.0),
        );
        next += 2;
        parameters.push(Swing {
            parameter: param.name.clone(),
            basis,
            low,
            high,
            p_low,
            p_high,
            swing: (p_high - p_low).abs(),
        });
    }
    parameters.sort_by(|a, b| b.swing.total_cmp(&a.swing).then_with(|| a.parameter.cmp(&b.parameter)));
    Ok(SensitivityReport {
        format_version: crate::report::FORMAT_VERSION,
        engine: Engine::this(),
        scenario: ScenarioInfo::of(p),
        seed: settings.seed,
        branches: settings.branches,
        outcome: id,
        label,
        p: p_base,
        parameters,
        not_varied,
    })
}

/// One-at-a-time sensitivity of `outcome` (default: the most likely result).
pub fn sensitivity(p: &Program, outcome: Option<&str>, settings: &RunSettings) -> Result<SensitivityReport, Failure> {
    check_outcome(p, outcome)?;
    let plan = sensitivity_plan(p);
    let tallies = run_plan(p, &plan, 0..plan.len(), settings, &|_, _| {})?;
    sensitivity_report(p, outcome, &tallies, settings)
}
