//! `sim explain`: branches told as dated stories, the story first, wrapped
//! to the terminal; the parameters drawn only when asked for.

use super::args::ExplainArgs;
use super::runs::run_failure;
use super::{Failure, compile, compile_file, output};
use crate::engine::narrative::Narrative;
use crate::engine::run;
use crate::program::Program;
use crate::stories::{self, Pick};

/// Columns to wrap to: as asked, else the terminal's, else 80.
fn width(asked: Option<u64>) -> usize {
    asked.map(|w| w as usize).unwrap_or_else(|| {
        terminal_size::terminal_size()
            .map(|(w, _)| usize::from(w.0))
            .filter(|&w| w >= 40)
            .unwrap_or(80)
    })
}

pub fn explain(args: &ExplainArgs) -> Result<(), Failure> {
    let (p, _) = compile(&args.scenario)?;
    let seed = args.seed.unwrap_or(p.meta.seed);
    let width = width(args.width);
    let base = match &p.meta.extends {
        Some(file) => Some(compile_file(file.clone())?.0),
        None => None,
    };
    let told: Vec<(u64, Option<Pick>)> = match args.sample {
        Some(n) => stories::choose(&p, seed, p.meta.branches, n as usize)
            .map_err(|e| run_failure(&p, e))?
            .into_iter()
            .map(|pick| (pick.branch, Some(pick)))
            .collect(),
        None => args.branch.iter().map(|&b| (b, None)).collect(),
    };
    let mut text = String::new();
    if args.sample.is_some() {
        text += &crate::export::table::wrap(
            &format!(
                "{}: {} branches chosen among the first {} to cover different endings.",
                p.meta.title,
                told.len(),
                p.meta.branches.min(stories::SCAN)
            ),
            width,
            "",
        );
        text.push('\n');
    }
    for (i, (branch, pick)) in told.iter().enumerate() {
        if i > 0 {
            text.push('\n');
        }
        text += &tell(&p, base.as_ref(), seed, *branch, pick.as_ref(), args.verbose, width)?;
    }
    output::stdout(&text)
}

/// One branch: a heading, the story, where it parts from its base branch,
/// and the parameters drawn (listed when `verbose`, else counted).
fn tell(
    p: &Program,
    base: Option<&Program>,
    seed: u64,
    branch: u64,
    pick: Option<&Pick>,
    verbose: bool,
    width: usize,
) -> Result<String, Failure> {
    let mut story = Narrative::default();
    run::replay(p, seed, branch, &mut story).map_err(|e| run_failure(p, e))?;
    let mut text = crate::export::table::wrap(&format!("{} · branch {branch} · seed {seed}", p.meta.title), width, "");
    if let Some(pick) = pick {
        text += &crate::export::table::wrap(&pick.title(p), width, "");
    }
    text += &story.text(width);
    if let Some(base) = base {
        let against = crate::compare::replay_pair(base, p, seed, branch).map_err(|e| run_failure(p, e))?;
        text += &crate::export::table::wrap_hanging(
            against.trim_start_matches("against").trim_start(),
            width.saturating_sub(9),
            "against  ",
            "         ",
        );
    }
    match (verbose, story.draws.len()) {
        (_, 0) => {}
        (true, _) => {
            text += "parameters drawn for this branch:\n";
            text += &story.draws_text(width);
        }
        (false, n) => {
            text += &format!("({n} parameters drawn for this branch: --verbose lists them)\n");
        }
    }
    Ok(text)
}
