//! `sim class`: runs each scenario once (as `sim FILE` would), chooses its
//! stories, prints the teacher's and the students' addresses, and serves
//! the session (see `crate::class`).

use super::args::{ClassArgs, RunOptions};
use super::runs::{Outcome, run_failure, whole};
use super::{Failure, output};
use crate::class::{Scenario, Settings, serve};
use crate::shard::Invocation;

pub fn class(args: &ClassArgs) -> Result<(), Failure> {
    if args.db.extension().is_some_and(|e| e.eq_ignore_ascii_case("toml")) {
        return Err(Failure::Input(format!(
            "error: refusing to use `{}` as the class database: it looks like a scenario\n",
            args.db.display()
        )));
    }
    let options = RunOptions {
        branches: args.branches,
        seed: args.seed,
        threads: args.threads,
        batch_size: crate::engine::run::DEFAULT_BATCH,
        format: None,
        output: None,
        shard: None,
        verbose: false,
    };
    let mut scenarios: Vec<Scenario> = Vec::new();
    for file in &args.files {
        let inv = Invocation {
            command: "run".into(),
            cwd: std::env::current_dir().unwrap_or_default(),
            file: file.clone(),
            base: None,
            set: Vec::new(),
            interventions: Vec::new(),
            no_base: false,
            vary: Vec::new(),
            outcome: None,
            seed: 0,
            branches: 0,
        };
        let (Outcome::Run(report), loaded) = whole(inv, &options)? else {
            return Err(Failure::Internal("a run gave no run report".into()));
        };
        let id = &report.scenario.id;
        if scenarios.iter().any(|s| &s.report.scenario.id == id) {
            return Err(Failure::Input(format!(
                "error: two scenarios of the session have the id `{id}`; give each once\n"
            )));
        }
        let p = &loaded.program;
        let base = loaded.base.as_ref().map(|(b, _)| b);
        let picks = crate::stories::choose(p, report.seed, report.branches, 4).map_err(|e| run_failure(p, e))?;
        let stories = picks
            .iter()
            .map(|pick| crate::handout::story(p, base, report.seed, pick))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| run_failure(p, e))?;
        scenarios.push(Scenario {
            file: file.clone(),
            report: *report,
            program: loaded.program,
            stories,
        });
    }
    let settings = Settings {
        scenarios,
        bind: args.bind,
        port: args.port,
        db: args.db.clone(),
        explore_branches: args.explore_branches,
        explore_per_minute: args.explore_per_minute as usize,
    };
    serve(settings, |teacher, students| {
        let _ = output::stdout(&format!(
            "sim class: serving until stopped (Ctrl-C); predictions are kept in the database\n\
             teacher (keep this link to yourself): {teacher}\n\
             students:                             {students}\n"
        ));
    })
    .map_err(|e| Failure::Input(format!("error: {e}\n")))
}
