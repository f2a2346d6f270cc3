//! What each command does, once its arguments are validated.

use super::args::*;
use super::{Failure, compile, compile_file, output};
use crate::engine::narrative::Narrative;
use crate::engine::run::{self, RunSettings};
use crate::export::{Format, exporter};
use crate::program::Program;
use crate::report::Report;

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
        Command::Explain(args) => {
            let (p, _) = compile(&args.scenario)?;
            let seed = args.seed.unwrap_or(p.meta.seed);
            let mut story = Narrative::default();
            run::replay(&p, seed, args.branch, &mut story).map_err(|e| run_failure(&p, e))?;
            let mut text = format!("{} · branch {} · seed {}\n", p.meta.title, args.branch, seed);
            for line in story.draws.iter().chain(&story.lines) {
                text += line;
                text.push('\n');
            }
            if let Some(base_file) = &p.meta.extends {
                let base = compile_file(base_file.clone())?.0;
                let against =
                    crate::compare::replay_pair(&base, &p, seed, args.branch).map_err(|e| run_failure(&p, e))?;
                text += &against;
                text.push('\n');
            }
            output::stdout(&text)
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
            output::emit(
                &exporter(args.options.format()).run(&report),
                args.options.output.as_deref(),
                sc.sources.paths(),
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
            output::emit(
                &exporter(args.options.format()).run(&report),
                args.options.output.as_deref(),
                sc.sources.paths().chain(base_sc.sources.paths()),
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
            output::emit(
                &exporter(args.options.format()).sweep(&report),
                args.options.output.as_deref(),
                sc.sources.paths(),
            )
        }
        Command::Sensitivity(args) => {
            let (p, sc) = compile(&args.scenario)?;
            let settings = args.options.settings(&p)?;
            let report = crate::sweep::sensitivity(&p, args.outcome.as_deref(), &settings)
                .map_err(|e| Failure::Input(format!("error: {e}\n")))?;
            output::emit(
                &exporter(args.options.format()).sensitivity(&report),
                args.options.output.as_deref(),
                sc.sources.paths(),
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
