//! Reads a scenario file and its `extends` chain, and merges them (base
//! first) with the command line's `--set` and `--do` into a [`Scenario`].

use super::date::Month;
use super::raw::{Document, Event, ParamDecl, Scalar, Short};
use super::*;
use crate::diagnostic::{Diagnostic, Report, Sources};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Longest `extends` chain followed.
pub const MAX_CHAIN: usize = 16;
/// Largest scenario file read, in bytes.
pub const MAX_FILE_BYTES: u64 = 4 << 20;

/// Overrides from the command line, as typed: `NAME=VALUE`.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub set: Vec<String>,
    pub interventions: Vec<String>,
}

/// Loads `path`, follows `extends`, and applies `overrides`.
pub fn load(path: &Path, overrides: &Overrides) -> Result<Scenario, Box<Report>> {
    let mut sources = Sources::default();
    match load_in(path, overrides, &mut sources) {
        Ok(mut scenario) => {
            scenario.sources = sources;
            Ok(scenario)
        }
        Err(diagnostic) => Err(Box::new(Report { diagnostic, sources })),
    }
}

fn load_in(path: &Path, overrides: &Overrides, sources: &mut Sources) -> Result<Scenario, Diagnostic> {
    // Read the chain, top first.
    let mut chain: Vec<(FileId, Document)> = Vec::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    let mut next = Some((path.to_path_buf(), None::<Span>));
    let mut extends = None;
    while let Some((file_path, from)) = next.take() {
        let canonical = std::fs::canonicalize(&file_path).unwrap_or_else(|_| file_path.clone());
        if seen.contains(&canonical) {
            let names: Vec<String> = seen
                .iter()
                .chain([&canonical])
                .map(|p| p.display().to_string())
                .collect();
            let span = from.expect("only an extends can revisit a file"); // ok: the first file is never seen before
            return Err(Diagnostic::at(
                "`extends` chain loops",
                span,
                format!("this leads back: {}", names.join(" → ")),
            ));
        }
        if chain.len() >= MAX_CHAIN {
            let span = from.expect("only an extends can lengthen the chain"); // ok: the chain starts empty
            return Err(Diagnostic::at(
                "`extends` chain is too long",
                span,
                format!("at most {MAX_CHAIN} files"),
            ));
        }
        seen.push(canonical);
        let text = read(&file_path, from)?;
        let file = sources.add(file_path.display().to_string(), Some(file_path.clone()), text);
        let doc = parse_document(sources, file)?;
        if let Some(ext) = &doc.scenario.get_ref().extends {
            let base = file_path.parent().unwrap_or(Path::new(".")).join(ext.get_ref());
            if chain.is_empty() {
                extends = Some(base.clone());
            }
            next = Some((base, Some(Span::new(file, ext.span()))));
        }
        chain.push((file, doc));
    }

    let mut merger = Merger {
        sc: empty(path, extends),
        recording: false,
        sources,
    };
    let top = chain.len() - 1;
    for (i, (file, doc)) in chain.into_iter().rev().enumerate() {
        merger.recording = i == top && top > 0;
        merger.document(file, doc)?;
    }
    merger.recording = true;
    merger.cli(overrides)?;
    Ok(merger.sc)
}

fn read(path: &Path, from: Option<Span>) -> Result<String, Diagnostic> {
    let fail = |what: String| match &from {
        Some(span) => Diagnostic::at(what, span.clone(), "the base scenario named here"),
        None => Diagnostic::new(what),
    };
    let meta = std::fs::metadata(path).map_err(|e| fail(format!("cannot read `{}`: {e}", path.display())))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(fail(format!(
            "`{}` is {} bytes; a scenario may be at most {MAX_FILE_BYTES}",
            path.display(),
            meta.len()
        )));
    }
    std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read `{}`: {e}", path.display())))
}

/// Turns a TOML or shape error into a diagnostic at its span.
pub(crate) fn toml_error(file: FileId, e: &toml::de::Error) -> Diagnostic {
    let message = e.message().trim().to_string();
    let (message, label) = match message.split_once(", expected") {
        Some((m, rest)) => (m.to_string(), format!("expected{rest}")),
        None => (message, String::new()),
    };
    match e.span() {
        Some(r) => Diagnostic::at(message, Span::new(file, r), label),
        None => Diagnostic::new(message),
    }
}

fn parse_document(sources: &Sources, file: FileId) -> Result<Document, Diagnostic> {
    let doc: Document = toml::from_str(&sources.get(file).text).map_err(|e| toml_error(file, &e))?;
    if let Some(v) = &doc.format {
        if *v.get_ref() != FORMAT_VERSION {
            return Err(Diagnostic::at(
                format!("unsupported scenario format {}", v.get_ref()),
                Span::new(file, v.span()),
                format!("format = {FORMAT_VERSION}"),
            ));
        }
    }
    check_event_dates(file, &doc.events)?;
    Ok(doc)
}

/// Events of one file must be listed in date order.
fn check_event_dates(file: FileId, events: &[Spanned<Event>]) -> Result<(), Diagnostic> {
    let mut last: Option<(Month, &str)> = None;
    for ev in events {
        let Some(date) = &ev.get_ref().date else { continue };
        let Some(month) = Month::parse(date.get_ref()) else {
            return Err(Diagnostic::at(
                "malformed date",
                Span::new(file, date.span()),
                "a date such as \"1950-06\"",
            ));
        };
        if let Some((prev, prev_id)) = last {
            if month < prev {
                return Err(Diagnostic::at(
                    "events are out of date order",
                    Span::new(file, date.span()),
                    format!("a date on or after {prev} (the date of `{prev_id}`, listed before)"),
                ));
            }
        }
        last = Some((month, ev.get_ref().id.get_ref()));
    }
    Ok(())
}

fn empty(file: &Path, extends: Option<PathBuf>) -> Scenario {
    Scenario {
        sources: Sources::default(),
        file: file.to_path_buf(),
        extends,
        header: Header::default(),
        actors: Vec::new(),
        params: Vec::new(),
        state: Vec::new(),
        beliefs: Vec::new(),
        events: Vec::new(),
        processes: Vec::new(),
        outcomes: Vec::new(),
        flags: Vec::new(),
        metrics: Vec::new(),
        interventions: Vec::new(),
        changes: Vec::new(),
    }
}

/// Items identified by an `id` key.
trait HasId {
    fn id(&self) -> &Spanned<String>;
}

impl HasId for Event {
    fn id(&self) -> &Spanned<String> {
        &self.id
    }
}

impl HasId for super::raw::Outcome {
    fn id(&self) -> &Spanned<String> {
        &self.id
    }
}

impl HasId for super::raw::Metric {
    fn id(&self) -> &Spanned<String> {
        &self.id
    }
}

struct Merger<'s> {
    sc: Scenario,
    /// Whether changes are being recorded (the top file and the command line).
    recording: bool,
    sources: &'s mut Sources,
}

/// Replaces the item with the same key, or appends; a key repeated within
/// one file is an error. Returns whether an item was replaced.
fn upsert<T>(
    items: &mut Vec<Item<T>>,
    item: Item<T>,
    key: impl Fn(&T) -> &Spanned<String>,
    what: &str,
) -> Result<bool, Diagnostic> {
    let k = key(&item.value).get_ref().clone();
    match items.iter_mut().find(|i| *key(&i.value).get_ref() == k) {
        Some(existing) if existing.file == item.file => Err(Diagnostic::at(
            format!("duplicate {what} `{k}`"),
            Span::new(item.file, key(&item.value).span()),
            format!("a {what} id not used before in this file"),
        )),
        Some(existing) => {
            *existing = item;
            Ok(true)
        }
        None => {
            items.push(item);
            Ok(false)
        }
    }
}

impl Merger<'_> {
    fn record(&mut self, kind: ChangeKind, id: &str, detail: String) {
        if self.recording {
            // A later override of the same parameter or intervention replaces
            // the earlier one (a file's `[set]`, then `--set`).
            if matches!(kind, ChangeKind::Set | ChangeKind::Do) {
                self.sc.changes.retain(|c| !(c.id == id && c.kind == kind));
            }
            self.sc.changes.push(Change {
                kind,
                id: id.to_string(),
                detail,
            });
        }
    }

    fn changed(&mut self, replaced: bool, what: &str, id: &str) {
        let kind = if replaced {
            ChangeKind::Modified
        } else {
            ChangeKind::Added
        };
        self.record(kind, id, format!("{what} `{id}`"));
    }

    fn document(&mut self, file: FileId, doc: Document) -> Result<(), Diagnostic> {
        let meta = doc.scenario.into_inner();
        let h = &mut self.sc.header;
        macro_rules! take {
            ($($field:ident),*) => { $( if let Some(value) = meta.$field { h.$field = Some(Item { file, value }); } )* };
        }
        take!(id, title, question, passage, start, horizon, seed, branches, stop_when);
        if !meta.prompts.is_empty() {
            h.prompts = meta.prompts.into_iter().map(Spanned::into_inner).collect();
        }

        for (name, decl) in doc.parameters {
            self.param(file, name, decl)?;
        }
        for (id, actor) in doc.actors {
            let actor = actor.into_inner();
            let def = ActorDef {
                id: id.clone(),
                name: actor.name,
                role: actor.role,
            };
            upsert(&mut self.sc.actors, Item { file, value: def }, |a| &a.id, "actor")?;
            for (name, decl) in actor.parameters {
                let q = Spanned::new(name.span(), format!("{}.{}", id.get_ref(), name.get_ref()));
                self.param(file, q, decl)?;
            }
            for (name, decl) in actor.beliefs {
                let q = Spanned::new(name.span(), format!("{}.{}", id.get_ref(), name.get_ref()));
                let id = q.get_ref().clone();
                let replaced = upsert(
                    &mut self.sc.beliefs,
                    Item {
                        file,
                        value: BeliefDef { name: q, decl },
                    },
                    |b| &b.name,
                    "belief",
                )?;
                self.changed(replaced, "belief", &id);
            }
        }
        for (name, decl) in doc.state {
            let id = name.get_ref().clone();
            let replaced = upsert(
                &mut self.sc.state,
                Item {
                    file,
                    value: StateDef { name, decl },
                },
                |s| &s.name,
                "state variable",
            )?;
            self.changed(replaced, "state variable", &id);
        }
        self.merge(file, doc.events, |sc| &mut sc.events, "event")?;
        // Events of the chain stay in date order; a replaced event may move.
        self.sc
            .events
            .sort_by_key(|e| e.get().date.as_ref().and_then(|d| Month::parse(d.get_ref())));
        self.merge(file, doc.processes, |sc| &mut sc.processes, "process")?;
        self.merge(file, doc.outcomes, |sc| &mut sc.outcomes, "outcome")?;
        self.merge(file, doc.flags, |sc| &mut sc.flags, "flag")?;
        self.merge(file, doc.metrics, |sc| &mut sc.metrics, "metric")?;
        for id in doc.remove {
            self.remove(file, &id)?;
        }
        for (name, decl) in doc.set {
            self.set(file, name, decl)?;
        }
        for (target, value) in doc.interventions {
            self.intervene(file, target, value)?;
        }
        Ok(())
    }

    /// Merges one file's items of a kind: same id replaces, new id adds.
    fn merge<T: HasId>(
        &mut self,
        file: FileId,
        items: Vec<Spanned<T>>,
        list: fn(&mut Scenario) -> &mut Vec<Item<Spanned<T>>>,
        what: &str,
    ) -> Result<(), Diagnostic> {
        for value in items {
            let id = value.get_ref().id().get_ref().clone();
            let replaced = upsert(list(&mut self.sc), Item { file, value }, |v| v.get_ref().id(), what)?;
            self.changed(replaced, what, &id);
        }
        Ok(())
    }

    fn param(
        &mut self,
        file: FileId,
        name: Spanned<String>,
        decl: Spanned<Short<ParamDecl>>,
    ) -> Result<(), Diagnostic> {
        let id = name.get_ref().clone();
        let detail = describe(&decl.get_ref().0);
        let replaced = upsert(
            &mut self.sc.params,
            Item {
                file,
                value: ParamDef { name, decl },
            },
            |p| &p.name,
            "parameter",
        )?;
        let kind = if replaced {
            ChangeKind::Modified
        } else {
            ChangeKind::Added
        };
        self.record(kind, &id, format!("parameter `{id}` = {detail}"));
        Ok(())
    }

    fn remove(&mut self, file: FileId, id: &Spanned<String>) -> Result<(), Diagnostic> {
        let name = id.get_ref();
        let before = self.sc.events.len() + self.sc.processes.len();
        self.sc.events.retain(|e| e.get().id.get_ref() != name);
        self.sc.processes.retain(|e| e.get().id.get_ref() != name);
        if before == self.sc.events.len() + self.sc.processes.len() {
            return Err(Diagnostic::at(
                format!("nothing named `{name}` to remove"),
                Span::new(file, id.span()),
                "the id of an event or process of the base scenario",
            ));
        }
        self.record(ChangeKind::Removed, name, format!("removed `{name}`"));
        Ok(())
    }

    fn set(&mut self, file: FileId, name: Spanned<String>, decl: Spanned<Short<ParamDecl>>) -> Result<(), Diagnostic> {
        let Some(existing) = self
            .sc
            .params
            .iter_mut()
            .find(|p| p.value.name.get_ref() == name.get_ref())
        else {
            let known: Vec<&str> = self.sc.params.iter().map(|p| p.value.name.get_ref().as_str()).collect();
            return Err(Diagnostic::at(
                format!("no parameter named `{}`", name.get_ref()),
                Span::new(file, name.span()),
                "the name of a parameter of the scenario",
            )
            .with_help(suggest(name.get_ref(), &known)));
        };
        let detail = format!(
            "{}: {} → {}",
            name.get_ref(),
            describe(&existing.value.decl.get_ref().0),
            describe(&decl.get_ref().0)
        );
        *existing = Item {
            file,
            value: ParamDef {
                name: name.clone(),
                decl,
            },
        };
        self.record(ChangeKind::Set, name.get_ref(), detail);
        Ok(())
    }

    fn intervene(&mut self, file: FileId, target: Spanned<String>, value: Spanned<Scalar>) -> Result<(), Diagnostic> {
        let id = target.get_ref().clone();
        let detail = format!("do({id} = {})", value.get_ref());
        let item = Item {
            file,
            value: Intervention { target, value },
        };
        match self
            .sc
            .interventions
            .iter_mut()
            .find(|i| i.value.target.get_ref() == &id)
        {
            Some(existing) => *existing = item,
            None => self.sc.interventions.push(item),
        }
        self.record(ChangeKind::Do, &id, detail);
        Ok(())
    }

    /// Applies `--set` and `--do`; each argument becomes a source of its own.
    fn cli(&mut self, overrides: &Overrides) -> Result<(), Diagnostic> {
        #[derive(Deserialize)]
        struct OneParam {
            v: Spanned<Short<ParamDecl>>,
        }
        #[derive(Deserialize)]
        struct OneScalar {
            v: Spanned<Scalar>,
        }
        for (flag, args) in [("--set", &overrides.set), ("--do", &overrides.interventions)] {
            for arg in args {
                let file = self.sources.add(flag.to_string(), None, arg.clone());
                let Some((name, value)) = arg.split_once('=') else {
                    return Err(Diagnostic::at(
                        format!("`{flag}` takes NAME=VALUE"),
                        Span::new(file, 0..arg.len()),
                        "NAME=VALUE, e.g. stalin.us_intervention_threshold=0.4",
                    ));
                };
                if name.trim().is_empty() {
                    return Err(Diagnostic::at(
                        format!("`{flag}` needs a name before `=`"),
                        Span::new(file, 0..1),
                        "NAME=VALUE",
                    ));
                }
                // Parse `v   =VALUE`, padded so that spans fall on the argument text.
                let wrapped = format!("v{}={value}", " ".repeat(name.len() - 1));
                let start = name.len() - name.trim_start().len();
                let name = Spanned::new(start..start + name.trim().len(), name.trim().to_string());
                if flag == "--set" {
                    let one: OneParam = toml::from_str(&wrapped).map_err(|e| toml_error(file, &e))?;
                    self.set(file, name, one.v)?;
                } else {
                    let one: OneScalar = toml::from_str(&wrapped).map_err(|e| toml_error(file, &e))?;
                    self.intervene(file, name, one.v)?;
                }
            }
        }
        Ok(())
    }
}

/// A compact description of a parameter declaration, for change summaries.
pub fn describe(d: &ParamDecl) -> String {
    let list = |v: &Spanned<Vec<f64>>| v.get_ref().iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", ");
    if let Some(v) = &d.value {
        return v.get_ref().to_string();
    }
    let dist = [
        ("uniform", &d.uniform),
        ("beta", &d.beta),
        ("triangular", &d.triangular),
        ("normal", &d.normal),
    ]
    .into_iter()
    .find_map(|(name, v)| v.as_ref().map(|v| format!("{name}({})", list(v))));
    match (dist, &d.bernoulli) {
        (Some(s), _) => s,
        (None, Some(p)) => format!("bernoulli({})", p.get_ref()),
        (None, None) => "(no value)".to_string(),
    }
}

/// "did you mean" help for a misspelt name.
pub fn suggest(name: &str, known: &[&str]) -> String {
    let close = known
        .iter()
        .map(|k| (edit_distance(name, k), *k))
        .filter(|(d, k)| *d <= 3.max(k.len() / 4))
        .min_by_key(|(d, _)| *d);
    match close {
        Some((_, k)) => format!("did you mean `{k}`?"),
        None if known.is_empty() => "the scenario defines no such names".to_string(),
        None => format!(
            "known: {}",
            known.iter().take(12).copied().collect::<Vec<_>>().join(", ")
        ),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}
