//! The commands that run branches (run, compare, sweep, sensitivity),
//! whole or as one part of N (`--shard K/N`), and `merge`, which turns the
//! parts back into the very output of the whole run: both paths end in the
//! same `render` from the same tallies.

use super::args::*;
use super::{Failure, compile, compile_file, output};
use crate::engine::run::{self, RunSettings};
use crate::export::{Format, exporter};
use crate::program::Program;
use crate::report::Report;
use crate::scenario::Scenario;
use crate::shard::{self, Invocation, PartData, Partial};
use std::path::PathBuf;

/// The programs a command runs, with the scenarios they came from.
pub(super) struct Loaded {
    pub(super) program: Program,
    pub(super) scenario: Scenario,
    /// The base a counterfactual is shown against, or the one `compare` names.
    pub(super) base: Option<(Program, Scenario)>,
}

impl Loaded {
    pub(super) fn sources(&self) -> impl Iterator<Item = &std::path::Path> {
        let base = self.base.iter().flat_map(|(_, s)| s.sources.paths());
        self.scenario.sources.paths().chain(base)
    }

    fn digest(&self) -> String {
        let mut all = vec![&self.scenario.sources];
        all.extend(self.base.iter().map(|(_, s)| &s.sources));
        shard::digest(&all)
    }
}

/// Loads what an invocation names: the scenario with its overrides, and
/// the base it is shown against (its own, or `compare`'s).
fn load(inv: &Invocation) -> Result<Loaded, Failure> {
    let (mut program, scenario) = compile(&ScenarioArgs {
        file: inv.file.clone(),
        set: inv.set.clone(),
        interventions: inv.interventions.clone(),
    })?;
    let base = match (&inv.base, &program.meta.extends, inv.no_base, inv.command.as_str()) {
        (Some(base), ..) => {
            let (base, base_sc) = compile_file(base.clone())?;
            let own = program
                .meta
                .extends
                .as_ref()
                .and_then(|e| std::fs::canonicalize(e).ok());
            if own.is_none() || own != std::fs::canonicalize(&base_sc.file).ok() {
                program.changes = crate::rewrite::structural_changes(&base, &program);
            }
            Some((base, base_sc))
        }
        (None, Some(extends), false, "run") => Some(compile_file(extends.clone())?),
        _ => None,
    };
    Ok(Loaded {
        program,
        scenario,
        base,
    })
}

fn settings(inv: &Invocation, options: &RunOptions, first: u64, branches: u64) -> RunSettings {
    RunSettings {
        seed: inv.seed,
        first,
        branches,
        threads: options.threads as usize,
        batch_size: options.batch_size,
    }
}

/// Runs the invocation's work over branches `branches` (run and compare)
/// or runs `grid` of its plan (sweep and sensitivity).
fn work(
    inv: &Invocation,
    loaded: &Loaded,
    options: &RunOptions,
    branches: std::ops::Range<u64>,
    grid: impl FnOnce(usize) -> std::ops::Range<usize>,
) -> Result<PartData, Failure> {
    let p = &loaded.program;
    let s = settings(inv, options, branches.start, branches.end - branches.start);
    let input = |e: String| Failure::Input(format!("error: {e}\n"));
    Ok(match (inv.command.as_str(), &loaded.base) {
        ("run" | "compare", Some((base, _))) => PartData::Paired {
            tally: Box::new(
                crate::compare::run_pair(base, p, &s)
                    .map_err(Failure::Internal)?
                    .map_err(|e| run_failure(p, e))?,
            ),
        },
        ("run" | "compare", None) => PartData::Run {
            tally: Box::new(
                run::run(p, &s)
                    .map_err(Failure::Internal)?
                    .map_err(|e| run_failure(p, e))?,
            ),
        },
        (command, _) => {
            let plan = plan(inv, p)?;
            let runs = grid(plan.len());
            if command == "sensitivity" {
                crate::sweep::check_outcome(p, inv.outcome.as_deref()).map_err(input)?;
            }
            PartData::Grid {
                first: runs.start,
                tallies: {
                    let bar = super::progress::Progress::new(if command == "sweep" { "sweep" } else { "sensitivity" });
                    crate::sweep::run_plan(p, &plan, runs, &s, &|k, n| bar.set(k, n)).map_err(input)?
                },
            }
        }
    })
}

fn plan(inv: &Invocation, p: &Program) -> Result<Vec<crate::sweep::Pins>, Failure> {
    let input = |e: String| Failure::Input(format!("error: {e}\n"));
    match inv.command.as_str() {
        "sweep" => {
            let vary = inv
                .vary
                .iter()
                .map(|v| crate::sweep::parse_vary(v))
                .collect::<Result<Vec<_>, _>>()
                .map_err(input)?;
            crate::sweep::sweep_plan(&vary).map_err(input)
        }
        _ => Ok(crate::sweep::sensitivity_plan(p)),
    }
}

/// What a whole run gives, from its tallies, before any format.
pub(super) enum Outcome {
    Run(Box<Report>),
    Sweep(crate::sweep::SweepReport),
    Sensitivity(crate::sweep::SensitivityReport),
}

/// The result of a whole run, from its tallies.
pub(super) fn outcome(inv: &Invocation, loaded: &Loaded, data: &PartData) -> Result<Outcome, Failure> {
    let p = &loaded.program;
    let s = RunSettings {
        seed: inv.seed,
        first: 0,
        branches: inv.branches,
        threads: 0,
        batch_size: 1,
    };
    let input = |e: String| Failure::Input(format!("error: {e}\n"));
    Ok(match data {
        PartData::Run { tally } => Outcome::Run(Box::new(Report::new(p, &s, tally))),
        PartData::Paired { tally } => {
            // A part written by `sim` has a base exactly when it is paired;
            // an edited one may not.
            let base = &loaded
                .base
                .as_ref()
                .ok_or_else(|| input("the parts hold a paired run, but their command has no base scenario".into()))?
                .0;
            Outcome::Run(Box::new(crate::compare::report(base, p, &s, tally)))
        }
        PartData::Grid { tallies, .. } if inv.command == "sweep" => {
            let vary = inv
                .vary
                .iter()
                .map(|v| crate::sweep::parse_vary(v))
                .collect::<Result<Vec<_>, _>>()
                .map_err(input)?;
            let plan = plan(inv, p)?;
            Outcome::Sweep(crate::sweep::sweep_report(p, &vary, &plan, tallies, &s).map_err(input)?)
        }
        PartData::Grid { tallies, .. } => Outcome::Sensitivity(
            crate::sweep::sensitivity_report(p, inv.outcome.as_deref(), tallies, &s).map_err(input)?,
        ),
    })
}

/// The output of a whole run, from its tallies.
fn render(
    inv: &Invocation,
    loaded: &Loaded,
    data: &PartData,
    format: Format,
    verbose: bool,
) -> Result<String, Failure> {
    let out = exporter(format, verbose);
    Ok(match outcome(inv, loaded, data)? {
        Outcome::Run(r) => out.run(&r),
        Outcome::Sweep(s) => out.sweep(&s),
        Outcome::Sensitivity(s) => out.sensitivity(&s),
    })
}

/// Loads and runs an invocation whole: what `sim report` and `sim class`
/// show is what `sim run`, `sweep` and `sensitivity` print.
pub(super) fn whole(mut inv: Invocation, options: &RunOptions) -> Result<(Outcome, Loaded), Failure> {
    let loaded = load(&inv)?;
    inv.seed = options.seed.unwrap_or(loaded.program.meta.seed);
    inv.branches = match options.branches {
        Some(n) => crate::program::check_branches_arg(n).map_err(Failure::Input)?,
        None => loaded.program.meta.branches,
    };
    let data = work(&inv, &loaded, options, 0..inv.branches, |n| 0..n)?;
    Ok((outcome(&inv, &loaded, &data)?, loaded))
}

/// What a classroom command shows of one scenario: its whole run (as
/// `sim FILE` gives it, against its base when it extends one), what was
/// loaded, and `stories` branches told (chosen by `stories::choose`).
pub(super) struct Shown {
    pub(super) report: Report,
    pub(super) loaded: Loaded,
    pub(super) stories: Vec<crate::handout::Story>,
}

/// The run options of `report` and `class`: branches, seed and threads.
pub(super) fn classroom_options(branches: Option<u64>, seed: Option<u64>, threads: u64) -> RunOptions {
    RunOptions {
        branches,
        seed,
        threads,
        batch_size: crate::engine::run::DEFAULT_BATCH,
        format: None,
        output: None,
        shard: None,
        verbose: false,
    }
}

/// An invocation of `command` on `file` alone (no overrides).
pub(super) fn plain_invocation(command: &str, file: &std::path::Path) -> Invocation {
    Invocation {
        command: command.into(),
        cwd: std::env::current_dir().unwrap_or_default(),
        file: file.to_path_buf(),
        base: None,
        set: Vec::new(),
        interventions: Vec::new(),
        no_base: command != "run",
        vary: Vec::new(),
        outcome: None,
        seed: 0,
        branches: 0,
    }
}

/// Runs `file` whole and tells `stories` of its branches.
pub(super) fn shown(file: &std::path::Path, options: &RunOptions, stories: usize) -> Result<Shown, Failure> {
    let (Outcome::Run(report), loaded) = whole(plain_invocation("run", file), options)? else {
        return Err(Failure::Internal("a run gave no run report".into()));
    };
    let p = &loaded.program;
    let base = loaded.base.as_ref().map(|(b, _)| b);
    let told = crate::stories::choose(p, report.seed, report.branches, stories)
        .and_then(|picks| {
            picks
                .iter()
                .map(|pick| crate::handout::story(p, base, report.seed, pick))
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|e| run_failure(p, e))?;
    Ok(Shown {
        report: *report,
        loaded,
        stories: told,
    })
}

/// Runs a command whole, or as one part when `--shard K/N` is given.
pub fn execute(mut inv: Invocation, options: &RunOptions) -> Result<(), Failure> {
    let loaded = load(&inv)?;
    let p = &loaded.program;
    inv.seed = options.seed.unwrap_or(p.meta.seed);
    inv.branches = match options.branches {
        Some(n) => crate::program::check_branches_arg(n).map_err(Failure::Input)?,
        None => p.meta.branches,
    };
    let Some(shard_text) = &options.shard else {
        let data = work(&inv, &loaded, options, 0..inv.branches, |n| 0..n)?;
        let text = render(&inv, &loaded, &data, options.format(), options.verbose)?;
        return output::emit(&text, options.output.as_deref(), loaded.sources());
    };
    let (k, n) = shard::parse_shard(shard_text).map_err(Failure::Input)?;
    let branches = match inv.command.as_str() {
        "run" | "compare" => shard::range(inv.branches, k, n),
        _ => 0..inv.branches,
    };
    let data = work(&inv, &loaded, options, branches, |runs| {
        let r = shard::range(runs as u64, k, n);
        r.start as usize..r.end as usize
    })?;
    let part = Partial {
        partial_format: shard::PARTIAL_FORMAT,
        engine_version: env!("CARGO_PKG_VERSION").to_string(),
        digest: loaded.digest(),
        invocation: inv,
        shard: [k, n],
        data,
    };
    let text = serde_json::to_string(&part).map_err(|e| Failure::Internal(e.to_string()))? + "\n";
    output::emit(&text, options.output.as_deref(), loaded.sources())
}

/// `sim merge`: the parts' tallies added up, rendered as the whole run.
pub fn merge(args: &MergeArgs) -> Result<(), Failure> {
    let parts = shard::read_parts(&args.parts).map_err(Failure::Input)?;
    let inv = parts[0].invocation.clone();
    // Scenario paths are as the parts' command gave them.
    let here = std::env::current_dir().ok();
    std::env::set_current_dir(&inv.cwd).map_err(|e| {
        Failure::Input(format!(
            "error: the parts ran in `{}`, which cannot be entered here: {e}\n",
            inv.cwd.display()
        ))
    })?;
    let loaded = load(&inv);
    if let Some(dir) = &here {
        let _ = std::env::set_current_dir(dir);
    }
    let loaded = loaded?;
    if loaded.digest() != parts[0].digest {
        return Err(Failure::Input(format!(
            "error: the scenario files of `{}` changed since the parts ran; run them again\n",
            inv.file.display()
        )));
    }
    let mut data = None::<PartData>;
    for part in parts {
        data = Some(match (data, part.data) {
            (None, d) => d,
            (Some(PartData::Run { tally: a }), PartData::Run { tally: b }) => PartData::Run {
                tally: Box::new(a.merge(*b)),
            },
            (Some(PartData::Paired { tally: a }), PartData::Paired { tally: b }) => PartData::Paired {
                tally: Box::new(a.merge(*b)),
            },
            (Some(PartData::Grid { first, tallies: mut a }), PartData::Grid { first: f, tallies: b })
                if f == first + a.len() =>
            {
                a.extend(b);
                PartData::Grid { first, tallies: a }
            }
            _ => {
                return Err(Failure::Input(
                    "error: the parts hold different kinds of results\n".into(),
                ));
            }
        });
    }
    let data = data.expect("read_parts gives at least one part"); // ok: read_parts refuses an empty list
    let text = render(&inv, &loaded, &data, args.format(), args.verbose)?;
    let outputs: Vec<PathBuf> = args.parts.clone();
    output::emit(
        &text,
        args.output.as_deref(),
        loaded.sources().chain(outputs.iter().map(PathBuf::as_path)),
    )
}

pub fn run_failure(p: &Program, e: crate::engine::branch::RunError) -> Failure {
    Failure::Input(format!(
        "error: in branch {} of {}: {}\n  = help: replay it with `sim explain {} --branch {}`\n",
        e.branch,
        p.meta.file.display(),
        e.message,
        p.meta.file.display(),
        e.branch
    ))
}
