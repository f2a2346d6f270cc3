//! The command line: arguments parsed by clap, turned once into validated
//! settings, dispatched to the engine; exit codes 0 (ok), 1 (internal
//! error), 2 (bad input or usage).

use crate::diagnostic::Report as ErrorReport;
use crate::engine::narrative::Narrative;
use crate::engine::run::{self, DEFAULT_BATCH, RunSettings};
use crate::export::{Format, exporter};
use crate::program::{self, Program};
use crate::report::Report;
use crate::scenario::{self, Overrides};
use clap::{Args, Parser, Subcommand};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const EXAMPLES: &str = "\
Examples:
  sim scenarios/no_us_intervention.toml
  sim scenarios/historical.toml --branches 1000000 --seed 7 --format json
  sim scenarios/historical.toml --set stalin.us_intervention_threshold=0.5
  sim scenarios/historical.toml --set 'truman.resolve={ beta = [8, 2] }'
  sim scenarios/historical.toml --do us_commits_forces=false
  sim scenarios/no_us_intervention.toml --no-base
  sim compare scenarios/inchon_fails.toml scenarios/halt_at_38th.toml
  sim sweep scenarios/historical.toml --vary stalin.us_intervention_threshold=0.1:0.6:6
  sim sensitivity scenarios/historical.toml --outcome armistice_divided
  sim check scenarios/historical.toml
  sim list scenarios/historical.toml
  sim explain scenarios/historical.toml --branch 42";

#[derive(Parser, Debug)]
#[command(
    name = "sim",
    version,
    about = "Counterfactual decision simulation: what if an actor had decided otherwise?",
    long_about = "Runs a scenario (TOML) of actors' stated decision rules as many seeded \
                  Monte Carlo branches and reports how often each outcome happens, with 95% intervals.\n\
                  `sim FILE` is short for `sim run FILE`.",
    after_help = EXAMPLES
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a scenario and report outcome statistics (the default). A scenario
    /// that `extends` a base is shown against it, paired branch by branch.
    Run(RunArgs),
    /// Compare two scenarios over the same branches (paired where they share nodes).
    Compare(CompareArgs),
    /// Run a grid of parameter values, all on the same branches.
    Sweep(SweepArgs),
    /// One-at-a-time sensitivity of an outcome to each uncertain parameter.
    Sensitivity(SensitivityArgs),
    /// Parse, resolve `extends`, validate and compile a scenario; run nothing.
    Check(ScenarioArgs),
    /// Replay one branch and tell it as a dated narrative.
    Explain(ExplainArgs),
    /// List every actor, parameter, belief, state variable, event, option,
    /// result, flag and metric: what can be --set, --do'ne and read.
    #[command(visible_alias = "describe")]
    List(ListArgs),
}

#[derive(Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// table or json.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// A scenario and the changes the command line makes to it.
#[derive(Args, Debug, Clone)]
pub struct ScenarioArgs {
    /// The scenario file (TOML).
    pub file: PathBuf,
    /// Override a parameter: NAME=VALUE, where VALUE is a number, true/false,
    /// or a distribution such as '{ uniform = [0.1, 0.3] }'. Repeatable.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Force a decision (EVENT_ID=true|false) or a state value
    /// (state.NAME=VALUE), whatever the rules say. Repeatable.
    #[arg(long = "do", value_name = "ID=VALUE")]
    pub interventions: Vec<String>,
}

/// How many branches, which seed, how to run and where to write.
#[derive(Args, Debug, Clone)]
pub struct RunOptions {
    /// Number of branches [default: the scenario's, else 100000].
    #[arg(long, short = 'n')]
    pub branches: Option<u64>,
    /// Random seed [default: the scenario's].
    #[arg(long, short = 's')]
    pub seed: Option<u64>,
    /// Worker threads [default: one per core]. Results do not depend on it.
    #[arg(long, short = 'j', default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=1024))]
    pub threads: u64,
    /// Branches per batch. Results do not depend on it.
    #[arg(long, default_value_t = DEFAULT_BATCH, value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    pub batch_size: u64,
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

impl RunOptions {
    /// Validated settings; the program supplies the defaults.
    fn settings(&self, p: &Program) -> Result<RunSettings, Failure> {
        Ok(RunSettings {
            seed: self.seed.unwrap_or(p.meta.seed),
            branches: match self.branches {
                Some(n) => program::check_branches_arg(n).map_err(Failure::Input)?,
                None => p.meta.branches,
            },
            threads: self.threads as usize,
            batch_size: self.batch_size,
        })
    }
}

#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    #[command(flatten)]
    pub options: RunOptions,
    /// Run the scenario alone, not against the base it extends.
    #[arg(long)]
    pub no_base: bool,
}

#[derive(Args, Debug)]
pub struct CompareArgs {
    /// The scenario to compare against (shown as the base).
    pub base: PathBuf,
    /// The scenario shown (with any --set/--do applied to it).
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    #[command(flatten)]
    pub options: RunOptions,
}

#[derive(Args, Debug)]
pub struct SweepArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// NAME=LO:HI:STEPS or NAME=v1,v2,... (repeat for a grid of up to 3).
    #[arg(long, required = true, value_name = "NAME=LO:HI:STEPS")]
    pub vary: Vec<String>,
    #[command(flatten)]
    pub options: RunOptions,
}

#[derive(Args, Debug)]
pub struct SensitivityArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// The outcome or flag to explain [default: the most likely result].
    #[arg(long)]
    pub outcome: Option<String>,
    #[command(flatten)]
    pub options: RunOptions,
}

#[derive(Args, Debug)]
pub struct ExplainArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// The branch to replay (as numbered in any run).
    #[arg(long, short = 'b')]
    pub branch: u64,
    /// Random seed [default: the scenario's].
    #[arg(long, short = 's')]
    pub seed: Option<u64>,
}

const SUBCOMMANDS: &[&str] = &[
    "run",
    "compare",
    "sweep",
    "sensitivity",
    "check",
    "explain",
    "list",
    "describe",
    "help",
];

/// Inserts `run` when the first argument is a file, so `sim FILE` works.
pub fn with_default_command(mut args: Vec<String>) -> Vec<String> {
    if let Some(first) = args.get(1) {
        if !first.starts_with('-') && !SUBCOMMANDS.contains(&first.as_str()) {
            args.insert(1, "run".into());
        }
    }
    args
}

/// A failure, with the exit code it maps to.
pub enum Failure {
    /// Bad input: exit 2.
    Input(String),
    /// Our fault or the machine's: exit 1.
    Internal(String),
}

impl From<Box<ErrorReport>> for Failure {
    fn from(r: Box<ErrorReport>) -> Self {
        Failure::Input(r.to_string())
    }
}

pub fn main() -> ExitCode {
    let args = with_default_command(std::env::args().collect());
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match execute(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(msg)) => {
            eprint!("{msg}");
            ExitCode::from(2)
        }
        Err(Failure::Internal(msg)) => {
            eprintln!("internal error: {msg}");
            ExitCode::from(1)
        }
    }
}

/// Loads and compiles a scenario with its command-line overrides.
pub fn compile(args: &ScenarioArgs) -> Result<(Program, scenario::Scenario), Failure> {
    let overrides = Overrides {
        set: args.set.clone(),
        interventions: args.interventions.clone(),
    };
    let sc = scenario::load(&args.file, &overrides)?;
    match program::compile(&sc) {
        Ok(p) => Ok((p, sc)),
        Err(diagnostic) => Err(Box::new(ErrorReport {
            diagnostic,
            sources: sc.sources,
        })
        .into()),
    }
}

/// Loads and compiles a scenario file as it is (a base, with no overrides).
fn compile_file(file: PathBuf) -> Result<(Program, scenario::Scenario), Failure> {
    compile(&ScenarioArgs {
        file,
        set: vec![],
        interventions: vec![],
    })
}

pub fn execute(command: Command) -> Result<(), Failure> {
    match command {
        Command::Check(args) => {
            let (p, sc) = compile(&args)?;
            let decisions = p.events.iter().chain(&p.processes).filter(|n| n.is_decision()).count();
            println!(
                "ok: {} ({}): {} files, {} actors, {} parameters ({} uncertain), {} events, {} processes ({} decisions), {} outcomes, {} flags, {} metrics, {} to {}",
                p.meta.id,
                args.file.display(),
                sc.sources.paths().count(),
                p.actors.len(),
                p.params.len(),
                p.params
                    .iter()
                    .filter(|x| matches!(x.value, program::ParamValue::Drawn { .. }))
                    .count(),
                p.events.len(),
                p.processes.len(),
                decisions,
                p.outcomes.len(),
                p.flags.len(),
                p.metrics.len(),
                p.meta.clock.format(0),
                p.meta.clock.format(p.meta.clock.last),
            );
            for w in &p.warnings {
                eprintln!("warning: {w}");
            }
            Ok(())
        }
        Command::List(args) => {
            let (p, _) = compile(&args.scenario)?;
            let catalogue = crate::catalogue::Catalogue::of(&p);
            let text = match args.format {
                Format::Json => serde_json::to_string_pretty(&catalogue)
                    .map(|s| s + "\n")
                    .map_err(|e| Failure::Internal(e.to_string()))?,
                Format::Table | Format::Csv => catalogue.table(),
            };
            emit(&text, None, &[])
        }
        Command::Explain(args) => {
            let (p, _) = compile(&args.scenario)?;
            let seed = args.seed.unwrap_or(p.meta.seed);
            let mut story = Narrative::default();
            run::replay(&p, seed, args.branch, &mut story).map_err(|e| run_failure(&p, e))?;
            println!("{} · branch {} · seed {}", p.meta.title, args.branch, seed);
            for line in story.draws.iter().chain(&story.lines) {
                println!("{line}");
            }
            if let Some(base_file) = &p.meta.extends {
                let base = compile_file(base_file.clone())?.0;
                let against =
                    crate::compare::replay_pair(&base, &p, seed, args.branch).map_err(|e| run_failure(&p, e))?;
                println!("{against}");
            }
            Ok(())
        }
        Command::Run(args) => {
            let (p, sc) = compile(&args.scenario)?;
            let settings = args.options.settings(&p)?;
            let report = match (&p.meta.extends, args.no_base) {
                (Some(base_file), false) => {
                    let base = compile_file(base_file.clone())?.0;
                    paired_report(&base, &p, &settings)?
                }
                _ => {
                    let tally = run::run(&p, &settings)
                        .map_err(Failure::Internal)?
                        .map_err(|e| run_failure(&p, e))?;
                    Report::new(&p, &settings, &tally)
                }
            };
            emit(
                &exporter(args.options.format).run(&report),
                args.options.output.as_deref(),
                &[&sc],
            )
        }
        Command::Compare(args) => {
            let (base, base_sc) = compile_file(args.base.clone())?;
            let (mut p, sc) = compile(&args.scenario)?;
            let extends_base = p.meta.extends.as_ref().and_then(|e| std::fs::canonicalize(e).ok());
            if extends_base.is_none() || extends_base != std::fs::canonicalize(&args.base).ok() {
                p.changes = crate::rewrite::structural_changes(&base, &p);
            }
            let settings = args.options.settings(&p)?;
            let report = paired_report(&base, &p, &settings)?;
            emit(
                &exporter(args.options.format).run(&report),
                args.options.output.as_deref(),
                &[&sc, &base_sc],
            )
        }
        Command::Sweep(args) => {
            let (p, sc) = compile(&args.scenario)?;
            let settings = args.options.settings(&p)?;
            let vary = args
                .vary
                .iter()
                .map(|v| crate::sweep::parse_vary(v))
                .collect::<Result<Vec<_>, _>>();
            let vary = vary.map_err(|e| Failure::Input(format!("error: {e}\n")))?;
            let report =
                crate::sweep::sweep(&p, &vary, &settings).map_err(|e| Failure::Input(format!("error: {e}\n")))?;
            emit(
                &exporter(args.options.format).sweep(&report),
                args.options.output.as_deref(),
                &[&sc],
            )
        }
        Command::Sensitivity(args) => {
            let (p, sc) = compile(&args.scenario)?;
            let settings = args.options.settings(&p)?;
            let report = crate::sweep::sensitivity(&p, args.outcome.as_deref(), &settings)
                .map_err(|e| Failure::Input(format!("error: {e}\n")))?;
            emit(
                &exporter(args.options.format).sensitivity(&report),
                args.options.output.as_deref(),
                &[&sc],
            )
        }
    }
}

/// Runs a scenario against a base over the same branches.
fn paired_report(base: &Program, p: &Program, settings: &RunSettings) -> Result<Report, Failure> {
    let pair = crate::compare::run_pair(base, p, settings).map_err(Failure::Internal)?;
    let tally = pair.map_err(|e| run_failure(p, e))?;
    Ok(crate::compare::report(base, p, settings, &tally))
}

fn run_failure(p: &Program, e: crate::engine::branch::RunError) -> Failure {
    Failure::Input(format!(
        "error: in branch {} of {}: {}\n  = help: replay it with `sim explain {} --branch {}`\n",
        e.branch,
        p.meta.file.display(),
        e.message,
        p.meta.file.display(),
        e.branch
    ))
}

/// Writes the report to stdout or to a file (atomically; never over a file
/// of the scenarios it was made from).
fn emit(text: &str, output: Option<&Path>, inputs: &[&scenario::Scenario]) -> Result<(), Failure> {
    let Some(path) = output else {
        let mut out = std::io::stdout().lock();
        return match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            Err(e) => Err(Failure::Internal(format!("cannot write to standard output: {e}"))),
        };
    };
    let target = std::fs::canonicalize(path).ok();
    let mut files = inputs.iter().flat_map(|sc| sc.sources.paths());
    if target.is_some() && files.any(|p| std::fs::canonicalize(p).ok() == target) {
        return Err(Failure::Input(format!(
            "error: refusing to write the report over `{}`, a scenario file of this run\n",
            path.display()
        )));
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let write = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, path));
    write.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Failure::Input(format!("error: cannot write `{}`: {e}\n", path.display()))
    })
}
