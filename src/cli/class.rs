//! `sim class`: runs each scenario once (as `sim FILE` would), chooses its
//! stories, prints the teacher's and the students' addresses, and serves
//! the session (see `crate::class`).

use super::args::ClassArgs;
use super::runs::{Shown, classroom_options, shown};
use super::{Failure, output};
use crate::class::{Scenario, Settings, serve};

pub fn class(args: &ClassArgs) -> Result<(), Failure> {
    if args.db.extension().is_some_and(|e| e.eq_ignore_ascii_case("toml")) {
        return Err(Failure::Input(format!(
            "error: refusing to use `{}` as the class database: it looks like a scenario\n",
            args.db.display()
        )));
    }
    let options = classroom_options(args.branches, args.seed, args.threads);
    let mut scenarios: Vec<Scenario> = Vec::new();
    for file in &args.files {
        let Shown {
            report,
            loaded,
            stories,
        } = shown(file, &options, 4)?;
        let id = &report.scenario.id;
        if scenarios.iter().any(|s| &s.report.scenario.id == id) {
            return Err(Failure::Input(format!(
                "error: two scenarios of the session have the id `{id}`; give each once\n"
            )));
        }
        scenarios.push(Scenario {
            file: file.clone(),
            report,
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
