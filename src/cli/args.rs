//! The command-line arguments, as clap parses them (validated once, in
//! `runs`, into run settings).

use crate::engine::run::DEFAULT_BATCH;
use crate::export::Format;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

pub const EXAMPLES: &str = "\
Examples:
  sim scenarios/no_us_intervention.toml
  sim scenarios/historical.toml --branches 1000000 --seed 7 --format json
  sim scenarios/historical.toml --set stalin.us_intervention_threshold=0.5
  sim scenarios/historical.toml --set 'truman.resolve={ beta = [8, 2] }'
  sim scenarios/historical.toml --do truman_commits=false
  sim scenarios/no_us_intervention.toml --no-base
  sim compare scenarios/inchon_fails.toml scenarios/halt_at_38th.toml
  sim sweep scenarios/historical.toml --vary stalin.us_intervention_threshold=0.1:0.6:6
  sim sensitivity scenarios/historical.toml --outcome armistice_divided
  sim check scenarios/historical.toml
  sim list scenarios/historical.toml
  sim explain scenarios/historical.toml --branch 42
  sim explain scenarios/no_us_intervention.toml --sample 4
  sim report scenarios/no_us_intervention.toml -o no_us_intervention.html
  sim class scenarios/no_us_intervention.toml --bind 0.0.0.0";

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
    /// Print the JSON Schema (draft-07) of scenario files, for editors
    /// (Taplo, Even Better TOML: a `#:schema FILE` first line).
    Schema,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `sim man > sim.1`.
    Man,
    /// Merge the partial results of a sharded run into its output.
    Merge(MergeArgs),
    /// Write a classroom handout: one self-contained HTML page per set of
    /// scenarios, with a predict-then-reveal exercise, charts, stories,
    /// prompts and assumptions.
    Report(ReportArgs),
    /// Serve a live class session: students predict from their browsers,
    /// the teacher reveals, then they explore (docs/class.md).
    Class(ClassArgs),
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
    /// Force a decision (EVENT_ID=true|false, or EVENT_ID=OPTION for a
    /// choice) or a state value (state.NAME=VALUE), whatever the rules say.
    /// Repeatable.
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
    /// Output format [default: from the -o file's extension (.json, .csv),
    /// else table].
    #[arg(long, short = 'f', value_enum)]
    pub format: Option<Format>,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Run only part K of N (contiguous branches, or runs of a grid) and
    /// write a partial result to merge later with `sim merge`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// List every warning in the table (otherwise summed up in one line).
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

/// The output format: as given, else from the output file's extension.
fn format_for(given: Option<Format>, output: Option<&PathBuf>) -> Format {
    given.unwrap_or_else(|| {
        let ext = output
            .and_then(|o| o.extension())
            .map(|e| e.to_string_lossy().to_lowercase());
        match ext.as_deref() {
            Some("json") => Format::Json,
            Some("csv") => Format::Csv,
            _ => Format::Table,
        }
    })
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// The partial results, one per part (`sim ... --shard K/N -o part-K.json`).
    #[arg(required = true)]
    pub parts: Vec<PathBuf>,
    /// Output format [default: from the -o file's extension, else table].
    #[arg(long, short = 'f', value_enum)]
    pub format: Option<Format>,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// List every warning in the table (otherwise summed up in one line).
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

impl MergeArgs {
    pub fn format(&self) -> Format {
        format_for(self.format, self.output.as_ref())
    }
}

impl RunOptions {
    /// The output format: as given, else from the output file's extension.
    pub fn format(&self) -> Format {
        format_for(self.format, self.output.as_ref())
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
#[command(group(clap::ArgGroup::new("which").required(true).args(["branch", "sample"])))]
pub struct ExplainArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// The branches to replay, as numbered in any run: `42`, or `3,17,42`.
    #[arg(long, short = 'b', value_delimiter = ',', value_name = "N[,N...]")]
    pub branch: Vec<u64>,
    /// Tell N branches chosen to cover different endings (the commonest
    /// course, the recorded ending, rare ones), as `sim report` does.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=20))]
    pub sample: Option<u64>,
    /// Random seed [default: the scenario's].
    #[arg(long, short = 's')]
    pub seed: Option<u64>,
    /// Also list the parameters drawn for each branch, with their assumptions.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Wrap lines to this many columns [default: the terminal's width, else 80].
    #[arg(long, value_name = "COLUMNS", value_parser = clap::value_parser!(u64).range(40..=1000))]
    pub width: Option<u64>,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// The scenarios, one section each (a class set); a counterfactual is
    /// shown against the base it extends.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Write the page to FILE (needed when standard output is a terminal).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Number of branches [default: each scenario's].
    #[arg(long, short = 'n')]
    pub branches: Option<u64>,
    /// Random seed [default: each scenario's].
    #[arg(long, short = 's')]
    pub seed: Option<u64>,
    /// Worker threads [default: one per core]. Results do not depend on it.
    #[arg(long, short = 'j', default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=1024))]
    pub threads: u64,
    /// Add a sweep of one parameter to each section: NAME=LO:HI:STEPS or NAME=v1,v2,...
    #[arg(long, value_name = "NAME=LO:HI:STEPS")]
    pub sweep: Option<String>,
    /// Add a one-at-a-time sensitivity chart (a tornado) to each section.
    #[arg(long)]
    pub sensitivity: bool,
    /// The result the sensitivity chart explains [default: the most likely].
    #[arg(long, requires = "sensitivity")]
    pub outcome: Option<String>,
}

#[derive(Args, Debug)]
pub struct ClassArgs {
    /// The scenarios of the session; students are given them in turn.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Address to listen on: 127.0.0.1 for this computer only, 0.0.0.0 (or
    /// a LAN address) to open the session to the room.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,
    /// The SQLite file that keeps the session (resumed when it exists).
    #[arg(long, default_value = "class.sqlite")]
    pub db: PathBuf,
    /// Number of branches [default: each scenario's].
    #[arg(long, short = 'n')]
    pub branches: Option<u64>,
    /// Random seed [default: each scenario's].
    #[arg(long, short = 's')]
    pub seed: Option<u64>,
    /// Worker threads for the first runs [default: one per core].
    #[arg(long, short = 'j', default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=1024))]
    pub threads: u64,
    /// Branches of a student's explore rerun (at most the scenario's).
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(100..=10_000_000))]
    pub explore_branches: u64,
    /// Explore reruns each student (address) may ask for per minute.
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub explore_per_minute: u64,
}
