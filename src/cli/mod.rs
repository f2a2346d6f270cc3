//! The command line: arguments parsed by clap, turned once into validated
//! settings, dispatched to the engine; exit codes 0 (ok), 1 (internal
//! error), 2 (bad input or usage).

mod args;
mod class;
mod commands;
mod explain;
mod output;
mod progress;
mod report;
mod runs;

pub use args::*;
pub use commands::execute;

use crate::diagnostic::Report as ErrorReport;
use crate::program::{self, Program};
use crate::scenario::{self, Overrides};
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

const SUBCOMMANDS: &[&str] = &[
    "run",
    "compare",
    "sweep",
    "sensitivity",
    "check",
    "explain",
    "list",
    "describe",
    "schema",
    "completions",
    "man",
    "merge",
    "report",
    "class",
    "help",
];

/// Inserts `run` when the first argument is a file, so `sim FILE` works.
/// A first argument that is no file but close to a command is a typo.
pub fn with_default_command(mut args: Vec<String>) -> Result<Vec<String>, Failure> {
    if let Some(first) = args.get(1) {
        if !first.starts_with('-') && !SUBCOMMANDS.contains(&first.as_str()) {
            let looks_like_a_word = !first.contains(['.', '/', '\\']);
            if looks_like_a_word && !std::path::Path::new(first).exists() {
                let help = crate::scenario::suggest(first, SUBCOMMANDS);
                return Err(Failure::Input(format!(
                    "error: `{first}` is neither a command nor a scenario file\n  = help: {help}\n  = usage: sim [COMMAND] FILE [OPTIONS] (sim --help lists the commands)\n"
                )));
            }
            args.insert(1, "run".into());
        }
    }
    Ok(args)
}

/// A failure, with the exit code it maps to.
pub enum Failure {
    /// Bad input: exit 2.
    Input(String),
    /// The output could not be written (a full disk): exit 1.
    Output(String),
    /// Our fault: exit 1.
    Internal(String),
}

impl From<Box<ErrorReport>> for Failure {
    fn from(r: Box<ErrorReport>) -> Self {
        Failure::Input(r.to_string())
    }
}

pub fn main() -> ExitCode {
    let result = with_default_command(std::env::args().collect()).and_then(|args| match Cli::try_parse_from(args) {
        Ok(cli) => execute(cli.command),
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let text = e.render().to_string();
            match code {
                0 => output::stdout(&text),
                _ => Err(Failure::Input(text)),
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(msg)) => {
            output::stderr(&msg);
            ExitCode::from(2)
        }
        Err(Failure::Output(msg)) => {
            output::stderr(&format!("error: {msg}\n"));
            ExitCode::from(1)
        }
        Err(Failure::Internal(msg)) => {
            output::stderr(&format!("internal error: {msg}\n"));
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
pub(crate) fn compile_file(file: PathBuf) -> Result<(Program, scenario::Scenario), Failure> {
    compile(&ScenarioArgs {
        file,
        set: vec![],
        interventions: vec![],
    })
}
