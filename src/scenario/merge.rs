//! Merges the files of an `extends` chain, base first, into one
//! [`Scenario`]: an item with an existing id replaces the base's (a format-2
//! file changes only the keys it gives), a new id adds, `remove` drops, and
//! `[set]` and `[do]` override. Every change the top file makes is recorded.

mod beliefs;

use super::keyed::Keyed;
use super::raw::{BeliefDecl, Document, Event, ExprSrc, ParamDecl, Scalar, Short};
use super::*;
use crate::diagnostic::Diagnostic;
use std::path::Path;

pub struct Merger<'s> {
    /// Whether changes are being recorded (the top file and the command line).
    pub recording: bool,
    pub(super) sources: &'s mut Sources,
    pub(super) formats: &'s mut Vec<i64>,
    file: PathBuf,
    extends: Option<PathBuf>,
    header: Header,
    changes: Vec<Change>,
    params: Keyed<Item<ParamDef>>,
    state: Keyed<Item<StateDef>>,
    actors: Keyed<Item<ActorDef>>,
    beliefs: Keyed<BeliefDef>,
    events: Keyed<NodeDef>,
    processes: Keyed<NodeDef>,
    outcomes: Keyed<Item<Spanned<Outcome>>>,
    flags: Keyed<Item<Spanned<Outcome>>>,
    metrics: Keyed<Item<Spanned<Metric>>>,
    interventions: Keyed<Item<Intervention>>,
}

/// The error for an id declared twice in one file.
fn duplicate(what: &str, file: FileId, id: &Spanned<String>) -> Diagnostic {
    Diagnostic::at(
        format!("duplicate {what} `{}`", id.get_ref()),
        Span::new(file, id.span()),
        "an id not used before in this file",
    )
}

/// An expression part of a declaration, with its file; a value written in
/// short form (span 0..0) takes the span of the whole declaration.
fn part(file: FileId, outer: &Range<usize>, v: Option<Spanned<ExprSrc>>) -> Option<Item<Spanned<ExprSrc>>> {
    v.map(|v| {
        let value = if v.span() == (0..0) {
            Spanned::new(outer.clone(), v.into_inner())
        } else {
            v
        };
        Item { file, value }
    })
}

impl<'s> Merger<'s> {
    pub fn new(file: &Path, extends: Option<PathBuf>, sources: &'s mut Sources, formats: &'s mut Vec<i64>) -> Self {
        Merger {
            recording: false,
            sources,
            formats,
            file: file.to_path_buf(),
            extends,
            header: Header::default(),
            changes: Vec::new(),
            params: Keyed::default(),
            state: Keyed::default(),
            actors: Keyed::default(),
            beliefs: Keyed::default(),
            events: Keyed::default(),
            processes: Keyed::default(),
            outcomes: Keyed::default(),
            flags: Keyed::default(),
            metrics: Keyed::default(),
            interventions: Keyed::default(),
        }
    }

    pub fn finish(self) -> Scenario {
        Scenario {
            sources: Sources::default(),
            formats: Vec::new(),
            file: self.file,
            extends: self.extends,
            header: self.header,
            actors: self.actors.into_vec(),
            params: self.params.into_vec(),
            state: self.state.into_vec(),
            beliefs: self.beliefs.into_vec(),
            events: self.events.into_vec(),
            processes: self.processes.into_vec(),
            outcomes: self.outcomes.into_vec(),
            flags: self.flags.into_vec(),
            metrics: self.metrics.into_vec(),
            interventions: self.interventions.into_vec(),
            changes: self.changes,
        }
    }

    fn format(&self, file: FileId) -> i64 {
        self.formats.get(file).copied().unwrap_or(FORMAT_VERSION)
    }

    fn record(&mut self, kind: ChangeKind, id: &str, detail: String) {
        if self.recording {
            // A later override of the same target replaces the earlier one
            // (a file's `[set]`, then `--set`).
            if matches!(kind, ChangeKind::Set | ChangeKind::Do) {
                self.changes.retain(|c| !(c.id == id && c.kind == kind));
            }
            self.changes.push(Change {
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

    pub fn document(&mut self, file: FileId, doc: Document) -> Result<(), Diagnostic> {
        let meta = doc.scenario.into_inner();
        let h = &mut self.header;
        macro_rules! take {
            ($($field:ident),*) => { $( if let Some(value) = meta.$field { h.$field = Some(Item { file, value }); } )* };
        }
        take!(
            id, title, question, passage, recorded, start, horizon, unit, seed, branches, stop_when
        );
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
                doc: actor.doc,
            };
            let key = id.get_ref().clone();
            match self.actors.get_mut(&key) {
                Some(existing) if existing.file == file => return Err(duplicate("actor", file, &id)),
                // Restating an actor (to add a parameter, say) keeps what it does not give.
                Some(existing) => {
                    let old = &existing.value;
                    let def = ActorDef {
                        name: def.name.or(old.name.clone()),
                        role: def.role.or(old.role.clone()),
                        doc: def.doc.or(old.doc.clone()),
                        ..def
                    };
                    *existing = Item { file, value: def };
                }
                None => self.actors.push(key, Item { file, value: def }),
            }
            for (name, decl) in actor.parameters {
                let q = Spanned::new(name.span(), format!("{}.{}", id.get_ref(), name.get_ref()));
                self.param(file, q, decl)?;
            }
            for (name, decl) in actor.beliefs {
                let q = Spanned::new(name.span(), format!("{}.{}", id.get_ref(), name.get_ref()));
                self.belief(file, q, decl)?;
            }
        }
        for (name, decl) in doc.state {
            let id = name.get_ref().clone();
            let item = Item {
                file,
                value: StateDef { name, decl },
            };
            let replaced = match self.state.get_mut(&id) {
                Some(existing) if existing.file == file => {
                    return Err(duplicate("state variable", file, &item.value.name));
                }
                Some(existing) => {
                    *existing = item;
                    true
                }
                None => {
                    self.state.push(id.clone(), item);
                    false
                }
            };
            self.changed(replaced, "state variable", &id);
        }
        for ev in doc.events {
            self.node(file, ev, false)?;
        }
        for ev in doc.processes {
            self.node(file, ev, true)?;
        }
        for (list, what) in [(doc.outcomes, "outcome"), (doc.flags, "flag")] {
            for o in list {
                self.check_like(file, o, what)?;
            }
        }
        for m in doc.metrics {
            let id = m.get_ref().id.clone();
            let key = id.get_ref().clone();
            let replaced = match self.metrics.get_mut(&key) {
                Some(existing) if existing.file == file => return Err(duplicate("metric", file, &id)),
                Some(existing) => {
                    *existing = Item { file, value: m };
                    true
                }
                None => {
                    self.metrics.push(key.clone(), Item { file, value: m });
                    false
                }
            };
            self.changed(replaced, "metric", &key);
        }
        for id in doc.remove {
            self.remove(file, &id)?;
        }
        for (name, decl) in doc.set {
            self.set(file, name, decl)?;
        }
        for (target, value) in doc.interventions {
            self.intervene(file, target, value);
        }
        Ok(())
    }

    /// An outcome or a flag: same id replaces, new id adds.
    fn check_like(&mut self, file: FileId, o: Spanned<Outcome>, what: &str) -> Result<(), Diagnostic> {
        let id = o.get_ref().id.clone();
        let key = id.get_ref().clone();
        let list = if what == "outcome" {
            &mut self.outcomes
        } else {
            &mut self.flags
        };
        let replaced = match list.get_mut(&key) {
            Some(existing) if existing.file == file => return Err(duplicate(what, file, &id)),
            Some(existing) => {
                *existing = Item { file, value: o };
                true
            }
            None => {
                list.push(key.clone(), Item { file, value: o });
                false
            }
        };
        self.changed(replaced, what, &key);
        Ok(())
    }

    /// An event or process: a new id adds it; an existing one is restated,
    /// key by key from a format-2 file, whole from a format-1 file.
    fn node(&mut self, file: FileId, ev: Spanned<Event>, process: bool) -> Result<(), Diagnostic> {
        let id = ev.get_ref().id.clone();
        let key = id.get_ref().clone();
        let field_by_field = self.format(file) >= 2;
        let (list, what) = if process {
            (&mut self.processes, "process")
        } else {
            (&mut self.events, "event")
        };
        let layer = Item { file, value: ev };
        let replaced = match list.get_mut(&key) {
            Some(existing) if existing.newest().file == file => return Err(duplicate(what, file, &id)),
            Some(existing) if field_by_field => {
                existing.layers.push(layer);
                true
            }
            Some(existing) => {
                existing.layers = vec![layer];
                true
            }
            None => {
                list.push(
                    key.clone(),
                    NodeDef {
                        origin: file,
                        layers: vec![layer],
                    },
                );
                false
            }
        };
        self.changed(replaced, what, &key);
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
        let item = Item {
            file,
            value: ParamDef { name, decl },
        };
        let replaced = match self.params.get_mut(&id) {
            Some(existing) if existing.file == file => return Err(duplicate("parameter", file, &item.value.name)),
            Some(existing) => {
                *existing = item;
                true
            }
            None => {
                self.params.push(id.clone(), item);
                false
            }
        };
        let kind = if replaced {
            ChangeKind::Modified
        } else {
            ChangeKind::Added
        };
        self.record(kind, &id, format!("parameter `{id}` = {detail}"));
        Ok(())
    }

    /// Drops events, processes, outcomes, flags or metrics of the base.
    fn remove(&mut self, file: FileId, id: &Spanned<String>) -> Result<(), Diagnostic> {
        let name = id.get_ref();
        let removed = self.events.remove(name).is_some()
            || self.processes.remove(name).is_some()
            || self.outcomes.remove(name).is_some()
            || self.flags.remove(name).is_some()
            || self.metrics.remove(name).is_some();
        if !removed {
            let known: Vec<&str> = self
                .events
                .ids()
                .chain(self.processes.ids())
                .chain(self.outcomes.ids())
                .chain(self.flags.ids())
                .chain(self.metrics.ids())
                .collect();
            return Err(Diagnostic::at(
                format!("nothing named `{name}` to remove"),
                Span::new(file, id.span()),
                "the id of an event, process, outcome, flag or metric of the base scenario",
            )
            .with_help(suggest(name, &known)));
        }
        self.record(ChangeKind::Removed, name, format!("removed `{name}`"));
        Ok(())
    }

    /// `[set]` and `--set`: a parameter, a belief's prior
    /// (`actor.belief.prior`) or a signal's shift (`actor.belief.signal_id`).
    pub(super) fn set(
        &mut self,
        file: FileId,
        name: Spanned<String>,
        decl: Spanned<Short<ParamDecl>>,
    ) -> Result<(), Diagnostic> {
        let key = name.get_ref().clone();
        if let Some(existing) = self.params.get_mut(&key) {
            let (was, now) = (is_flag(&existing.value.decl.get_ref().0), is_flag(&decl.get_ref().0));
            if was != now {
                let (is, given) = if was {
                    ("true/false", "a number")
                } else {
                    ("a number", "true/false")
                };
                return Err(Diagnostic::at(
                    format!("`{key}` is {is} in the scenario, but this gives {given}"),
                    Span::new(file, decl.span()),
                    format!("{is}, like the parameter it overrides"),
                ));
            }
            let detail = format!(
                "{key}: {} → {}",
                describe(&existing.value.decl.get_ref().0),
                describe(&decl.get_ref().0)
            );
            // The override keeps the parameter's documentation and range.
            let old = &existing.value.decl.get_ref().0;
            let span = decl.span();
            let mut new = decl.into_inner().0;
            new.doc = new.doc.or(old.doc.clone());
            new.assumption = new.assumption.or(old.assumption.clone());
            new.range = new.range.or(old.range.clone());
            *existing = Item {
                file,
                value: ParamDef {
                    name,
                    decl: Spanned::new(span, Short(new)),
                },
            };
            self.record(ChangeKind::Set, &key, detail);
            return Ok(());
        }
        if let Some((belief, part)) = key.rsplit_once('.') {
            if let Some(b) = self.beliefs.get_mut(belief) {
                let detail = beliefs::set_belief_part(b, part, file, &name, &decl)?;
                self.record(ChangeKind::Set, &key, detail);
                return Ok(());
            }
        }
        let mut known: Vec<String> = self.params.ids().map(str::to_string).collect();
        for b in self.beliefs.iter().filter(|b| b.prior.is_some()) {
            known.push(format!("{}.prior", b.name.get_ref()));
            known.extend(
                b.signals
                    .iter()
                    .filter_map(|s| Some(format!("{}.{}", b.name.get_ref(), s.id.as_ref()?))),
            );
        }
        let known: Vec<&str> = known.iter().map(String::as_str).collect();
        Err(Diagnostic::at(
            format!("no parameter named `{key}`"),
            Span::new(file, name.span()),
            "a parameter, a belief's `ACTOR.BELIEF.prior`, or a signal's `ACTOR.BELIEF.SIGNAL_ID`",
        )
        .with_help(suggest(&key, &known)))
    }

    pub(super) fn intervene(&mut self, file: FileId, target: Spanned<String>, value: Spanned<Scalar>) {
        let id = target.get_ref().clone();
        let detail = format!("do({id} = {})", value.get_ref());
        let item = Item {
            file,
            value: Intervention { target, value },
        };
        match self.interventions.get_mut(&id) {
            Some(existing) => *existing = item,
            None => self.interventions.push(id.clone(), item),
        }
        self.record(ChangeKind::Do, &id, detail);
    }
}

/// Whether a parameter declaration is a true/false flag.
fn is_flag(d: &ParamDecl) -> bool {
    d.bernoulli.is_some() || d.value.as_ref().is_some_and(|v| matches!(v.get_ref(), Scalar::Bool(_)))
}
