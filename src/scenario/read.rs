//! Reads a scenario file and its `extends` chain (every file within a hard
//! size limit, and only regular files), checks each file on its own, and
//! hands the chain to the merger.

use super::merge::Merger;
use super::raw::{Document, Effect, Event, Rule, Scalar};
use super::{FORMAT_VERSION, Overrides, Scenario};
use crate::diagnostic::{Diagnostic, FileId, Report, Sources, Span};
use crate::time::CivilDate;
use std::io::Read;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// Longest `extends` chain followed.
pub const MAX_CHAIN: usize = 16;
/// Largest scenario file read, in bytes.
pub const MAX_FILE_BYTES: u64 = 4 << 20;

/// Loads `path`, follows `extends`, and applies `overrides`.
pub fn load(path: &Path, overrides: &Overrides) -> Result<Scenario, Box<Report>> {
    let mut sources = Sources::default();
    let mut formats = Vec::new();
    match load_in(path, overrides, &mut sources, &mut formats) {
        Ok(mut scenario) => {
            scenario.sources = sources;
            scenario.formats = formats;
            Ok(scenario)
        }
        Err(diagnostic) => Err(Box::new(Report { diagnostic, sources })),
    }
}

fn load_in(
    path: &Path,
    overrides: &Overrides,
    sources: &mut Sources,
    formats: &mut Vec<i64>,
) -> Result<Scenario, Diagnostic> {
    // Read the chain, top first.
    let mut chain: Vec<(FileId, Document)> = Vec::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    let mut next = Some((path.to_path_buf(), None::<Span>));
    let mut extends = None;
    while let Some((file_path, from)) = next.take() {
        let text = read(&file_path, from.as_ref())?;
        let canonical = std::fs::canonicalize(&file_path).unwrap_or_else(|_| file_path.clone());
        if let Some(span) = &from {
            if seen.contains(&canonical) {
                let names: Vec<String> = seen
                    .iter()
                    .chain([&canonical])
                    .map(|p| p.display().to_string())
                    .collect();
                return Err(Diagnostic::at(
                    "`extends` chain loops",
                    span.clone(),
                    format!("this leads back: {}", names.join(" → ")),
                ));
            }
            if chain.len() >= MAX_CHAIN {
                return Err(Diagnostic::at(
                    "`extends` chain is too long",
                    span.clone(),
                    format!("at most {MAX_CHAIN} files"),
                ));
            }
        }
        seen.push(canonical);
        let file = sources.add(file_path.display().to_string(), Some(file_path.clone()), text);
        let doc = parse_document(sources, file)?;
        formats.push(doc.format.as_ref().map_or(1, |f| *f.get_ref()));
        if let Some(ext) = &doc.scenario.get_ref().extends {
            let base = file_path.parent().unwrap_or(Path::new(".")).join(ext.get_ref());
            if chain.is_empty() {
                extends = Some(base.clone());
            }
            next = Some((base, Some(Span::new(file, ext.span()))));
        }
        chain.push((file, doc));
    }

    let mut merger = Merger::new(path, extends, sources, formats);
    let top = chain.len() - 1;
    for (i, (file, doc)) in chain.into_iter().rev().enumerate() {
        merger.recording = i == top && top > 0;
        merger.document(file, doc)?;
    }
    merger.recording = true;
    merger.cli(overrides)?;
    Ok(merger.finish())
}

/// Reads a whole scenario file, refusing what is not a regular file and
/// anything over [`MAX_FILE_BYTES`] (read with that cap, whatever the file
/// claims its size is).
fn read(path: &Path, from: Option<&Span>) -> Result<String, Diagnostic> {
    let fail = |what: String| match from {
        Some(span) => Diagnostic::at(what, span.clone(), "the base scenario named here"),
        None => Diagnostic::new(what),
    };
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| fail(format!("cannot read `{shown}`: {e}")))?;
    if !meta.is_file() {
        return Err(fail(format!("`{shown}` is not a regular file")));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| fail(format!("cannot read `{shown}`: {e}")))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(fail(format!(
            "`{shown}` is larger than {MAX_FILE_BYTES} bytes, the most a scenario may be"
        )));
    }
    String::from_utf8(bytes).map_err(|e| fail(format!("`{shown}` is not UTF-8 text: {e}")))
}

/// Turns a TOML or shape error into a diagnostic at its span.
pub(crate) fn toml_error(file: FileId, e: &toml::de::Error) -> Diagnostic {
    let message = e.message().trim().to_string();
    let (message, label) = match message.split_once(", expected") {
        Some((m, rest)) => (m.to_string(), format!("expected{rest}")),
        None => (message, String::new()),
    };
    let help = message
        .starts_with("unknown field `remove`")
        .then_some("`remove = [\"id\", ...]` is a top-level key: write it above the first [table] of the file");
    let d = match e.span() {
        Some(r) => Diagnostic::at(message, Span::new(file, r), label),
        None => Diagnostic::new(message),
    };
    match help {
        Some(h) => d.with_help(h),
        None => d,
    }
}

fn parse_document(sources: &Sources, file: FileId) -> Result<Document, Diagnostic> {
    let doc: Document = toml::from_str(&sources.get(file).text).map_err(|e| toml_error(file, &e))?;
    let format = match &doc.format {
        Some(v) if !(1..=FORMAT_VERSION).contains(v.get_ref()) => {
            return Err(Diagnostic::at(
                format!("unsupported scenario format {}", v.get_ref()),
                Span::new(file, v.span()),
                format!("format = 1 or format = {FORMAT_VERSION}"),
            ));
        }
        Some(v) => *v.get_ref(),
        None => 1,
    };
    if format < 2 {
        if let Some((key, span)) = format2_key(&doc) {
            return Err(Diagnostic::at(
                format!("`{key}` is new in format 2"),
                Span::new(file, span),
                "a format-1 key",
            )
            .with_help("add `format = 2` at the top of the file (docs/scenario-format.md lists what changes)"));
        }
    }
    check_event_dates(file, &doc.events)?;
    Ok(doc)
}

/// The first key of `doc` that only format 2 has, with its span.
fn format2_key(doc: &Document) -> Option<(&'static str, Range<usize>)> {
    if let Some(u) = &doc.scenario.get_ref().unit {
        return Some(("unit", u.span()));
    }
    for s in doc.state.values() {
        if let Some(v) = &s.get_ref().0.values {
            return Some(("values", v.span()));
        }
    }
    for actor in doc.actors.values() {
        for belief in actor.get_ref().beliefs.values() {
            for signal in &belief.get_ref().0.signals {
                let s = signal.get_ref();
                if let Some(id) = &s.id {
                    return Some(("id", id.span()));
                }
                if let Some(d) = &s.drop {
                    return Some(("drop", d.span()));
                }
            }
        }
    }
    doc.events
        .iter()
        .chain(&doc.processes)
        .find_map(|e| event_format2_key(e))
}

fn event_format2_key(e: &Spanned<Event>) -> Option<(&'static str, Range<usize>)> {
    let ev = e.get_ref();
    let keys = [
        ("after", ev.after.as_ref().map(Spanned::span)),
        ("until", ev.until.as_ref().map(Spanned::span)),
        ("within", ev.within.as_ref().map(Spanned::span)),
        ("every", ev.every.as_ref().map(Spanned::span)),
        ("options", ev.options.as_ref().map(Spanned::span)),
    ];
    if let Some((k, Some(span))) = keys.into_iter().find(|(_, s)| s.is_some()) {
        return Some((k, span));
    }
    let draw = ev
        .then
        .iter()
        .chain(&ev.otherwise)
        .flatten()
        .find(|(_, v)| matches!(v.get_ref(), Effect::Draw(_)));
    if let Some((_, v)) = draw {
        return Some(("a drawn effect", v.span()));
    }
    ev.rule.as_ref().and_then(rule_format2_key)
}

fn rule_format2_key(rule: &Spanned<Rule>) -> Option<(&'static str, Range<usize>)> {
    let r = rule.get_ref();
    if matches!(r.kind.get_ref().as_str(), "choice" | "weighed" | "council") {
        return Some(("this rule kind", r.kind.span()));
    }
    let keys = [
        ("patrons", r.patrons.first().map(Spanned::span)),
        ("per", r.per.as_ref().map(Spanned::span)),
        ("combine", r.combine.as_ref().map(Spanned::span)),
        ("select", r.select.as_ref().map(Spanned::span)),
        ("temperature", r.temperature.as_ref().map(Spanned::span)),
        ("utility", r.utility.values().next().map(Spanned::span)),
        ("weight", r.weight.values().next().map(Spanned::span)),
        ("terms", r.terms.first().map(Spanned::span)),
        ("scale", r.scale.as_ref().map(Spanned::span)),
        ("base", r.base.as_ref().map(Spanned::span)),
        ("members", r.members.first().map(Spanned::span)),
        ("needs", r.needs.as_ref().map(Spanned::span)),
    ];
    if let Some((k, Some(span))) = keys.into_iter().find(|(_, s)| s.is_some()) {
        return Some((k, span));
    }
    r.cases
        .iter()
        .find(|c| !matches!(c.get_ref().lesson.get_ref(), Scalar::Bool(_)))
        .map(|c| ("a lesson that names an option", c.get_ref().lesson.span()))
}

/// Events of one file with written dates must be listed in date order.
fn check_event_dates(file: FileId, events: &[Spanned<Event>]) -> Result<(), Diagnostic> {
    let mut last: Option<(CivilDate, &str, &str)> = None;
    for ev in events {
        let Some(date) = &ev.get_ref().date else { continue };
        let Some(d) = CivilDate::parse(date.get_ref()) else {
            continue;
        };
        if let Some((prev, prev_text, prev_id)) = last {
            if d.at < prev.at {
                return Err(Diagnostic::at(
                    "events are out of date order",
                    Span::new(file, date.span()),
                    format!("a date on or after {prev_text} (the date of `{prev_id}`, listed before)"),
                ));
            }
        }
        last = Some((d, date.get_ref(), ev.get_ref().id.get_ref()));
    }
    Ok(())
}
