//! What each command does, once its arguments are validated.

use super::args::*;
use super::runs;
use super::{Failure, compile, output};
use crate::export::Format;
use crate::shard::Invocation;

pub fn execute(command: Command) -> Result<(), Failure> {
    match command {
        Command::Check(args) => {
            let (p, sc) = compile(&args)?;
            let decisions = p.events.iter().chain(&p.processes).filter(|n| n.is_decision()).count();
            let line = format!(
                "ok: {} ({}): {} files, {} actors, {} parameters ({} uncertain), {} events, {} processes ({} decisions), {} outcomes, {} flags, {} metrics, {} to {}\n",
                p.meta.id,
                args.file.display(),
                sc.sources.paths().count(),
                p.actors.len(),
                p.params.len(),
                p.params
                    .iter()
                    .filter(|x| matches!(x.value, crate::program::ParamValue::Drawn { .. }))
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
                output::stderr(&format!("warning: {w}\n"));
            }
            output::stdout(&line)
        }
        Command::Schema => output::stdout(&crate::scenario::scenario_schema()),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "sim", &mut out);
            output::stdout(&String::from_utf8_lossy(&out))
        }
        Command::Man => {
            let mut out = Vec::new();
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command())
                .render(&mut out)
                .map_err(|e| Failure::Internal(e.to_string()))?;
            output::stdout(&String::from_utf8_lossy(&out))
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
            output::stdout(&text)
        }
        Command::Explain(args) => super::explain::explain(&args),
        Command::Run(args) => runs::execute(
            invocation("run", &args.scenario, None, &args.options, args.no_base),
            &args.options,
        ),
        Command::Compare(args) => runs::execute(
            invocation("compare", &args.scenario, Some(args.base.clone()), &args.options, false),
            &args.options,
        ),
        Command::Sweep(args) => {
            let mut inv = invocation("sweep", &args.scenario, None, &args.options, true);
            inv.vary = args.vary.clone();
            runs::execute(inv, &args.options)
        }
        Command::Sensitivity(args) => {
            let mut inv = invocation("sensitivity", &args.scenario, None, &args.options, true);
            inv.outcome = args.outcome.clone();
            runs::execute(inv, &args.options)
        }
        Command::Merge(args) => runs::merge(&args),
        Command::Report(args) => super::report::report(&args),
        Command::Class(args) => super::class::class(&args),
    }
}

/// What a run-like command asks for (seed and branch count are filled in
/// once the scenario, which gives their defaults, is loaded).
fn invocation(
    command: &str,
    scenario: &ScenarioArgs,
    base: Option<std::path::PathBuf>,
    options: &RunOptions,
    no_base: bool,
) -> Invocation {
    Invocation {
        command: command.to_string(),
        cwd: std::env::current_dir().unwrap_or_default(),
        file: scenario.file.clone(),
        base,
        set: scenario.set.clone(),
        interventions: scenario.interventions.clone(),
        no_base,
        vary: Vec::new(),
        outcome: None,
        seed: options.seed.unwrap_or(0),
        branches: 0,
    }
}
