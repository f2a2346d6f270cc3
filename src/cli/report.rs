//! `sim report`: runs each scenario whole (as `sim FILE` would, with the
//! same seed and branches) and writes the classroom handout, one HTML page.

use super::args::ReportArgs;
use super::runs::{Outcome, Shown, classroom_options, plain_invocation, shown, whole};
use super::{Failure, output};
use crate::handout::{self, Handout, Section};
use crate::shard::Invocation;
use std::io::IsTerminal;

/// How many stories each section tells.
const STORIES: usize = 4;

pub fn report(args: &ReportArgs) -> Result<(), Failure> {
    if args.output.is_none() && std::io::stdout().is_terminal() {
        return Err(Failure::Input(
            "error: `sim report` writes an HTML page; give it a file with `-o report.html` (or redirect the output)\n"
                .into(),
        ));
    }
    let options = classroom_options(args.branches, args.seed, args.threads);
    let mut sections = Vec::new();
    let mut inputs = Vec::new();
    for file in &args.files {
        let inv = |command: &str| Invocation {
            vary: args.sweep.iter().cloned().collect(),
            outcome: args.outcome.clone(),
            ..plain_invocation(command, file)
        };
        let Shown {
            report,
            loaded,
            stories,
        } = shown(file, &options, STORIES)?;
        let reproduce = format!(
            "sim {} --seed {} --branches {}",
            quote(&file.to_string_lossy()),
            report.seed,
            report.branches
        );
        let mut section = Section::new(report, &loaded.program, stories, reproduce);
        if args.sweep.is_some() {
            if let (Outcome::Sweep(s), _) = whole(inv("sweep"), &options)? {
                section.sweep = Some(s);
            }
        }
        if args.sensitivity {
            if let (Outcome::Sensitivity(s), _) = whole(inv("sensitivity"), &options)? {
                section.sensitivity = Some(s);
            }
        }
        inputs.extend(loaded.sources().map(|p| p.to_path_buf()));
        sections.push(section);
    }
    let command = typed_command(std::env::args().skip(1));
    let page = handout::page(&Handout { sections, command });
    output::emit(&page, args.output.as_deref(), inputs.iter().map(|p| p.as_path()))
}

/// The command as typed, less the thread count (which changes nothing
/// in the page, so the page does not change with it).
fn typed_command(args: impl Iterator<Item = String>) -> String {
    let mut words = vec!["sim".to_string()];
    let mut skip_value = false;
    for a in args {
        if std::mem::take(&mut skip_value) {
            continue;
        }
        if a == "-j" || a == "--threads" {
            skip_value = true;
        } else if !(a.starts_with("--threads=") || (a.starts_with("-j") && a.len() > 2)) {
            words.push(quote(&a));
        }
    }
    words.join(" ")
}

/// `arg` as a POSIX shell would need it typed.
fn quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::{quote, typed_command};

    #[test]
    fn the_command_shown_leaves_out_the_thread_count() {
        let args = [
            "report",
            "a b.toml",
            "-j",
            "2",
            "-o",
            "x.html",
            "-j4",
            "--threads=3",
            "--threads",
            "1",
        ];
        assert_eq!(
            typed_command(args.map(String::from).into_iter()),
            "sim report 'a b.toml' -o x.html"
        );
    }

    #[test]
    fn arguments_are_quoted_only_when_a_shell_needs_it() {
        assert_eq!(quote("scenarios/a.toml"), "scenarios/a.toml");
        assert_eq!(quote("p=0.1:0.5:5"), "p=0.1:0.5:5");
        assert_eq!(quote("my file.toml"), "'my file.toml'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
    }
}
