//! Checks a merged [`Scenario`] and compiles it to a [`Program`]: the
//! header and clock, then the parts in dependency order. Every error here
//! points at the file, line and column it is about.

use super::names::Names;
use super::*;
use crate::diagnostic::{Diagnostic, FileId, Span};
use crate::engine::rng::stream_id;
use crate::expr::{self, Type};
use crate::scenario::raw::{ExprSrc, Scalar};
use crate::scenario::{Item, Scenario};
use crate::time::{CivilDate, Duration};
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use toml::Spanned;

/// Most branches one run may ask for.
pub const MAX_BRANCHES: u64 = 1_000_000_000;
/// Most steps a process may take in one branch.
pub const MAX_STEPS: i64 = 1_000_000;
/// Most random draws one branch may make (uncertain parameters, and every
/// step of every process whose rule draws).
pub const MAX_LANES: usize = 1 << 16;
/// Default branch count when neither the scenario nor the command line gives one.
pub const DEFAULT_BRANCHES: u64 = 100_000;

/// Compiles a loaded scenario.
pub fn compile(sc: &Scenario) -> Result<Program, Diagnostic> {
    let meta = header(sc)?;
    let mut b = Builder {
        sc,
        names: Names {
            clock: meta.clock.clone(),
            slots: HashMap::new(),
            beliefs: HashMap::new(),
            enums: Vec::new(),
            read_beliefs: HashSet::new(),
        },
        slots: vec![SlotInfo {
            name: "now".into(),
            ty: Type::Num,
        }],
        initial: vec![0.0],
        lanes: Vec::new(),
        lane_ids: HashSet::new(),
        actor_ids: sc.actors.iter().map(|a| a.value.id.get_ref().clone()).collect(),
    };
    b.names.slots.insert("now".into(), (NOW_SLOT, Type::Num));
    let params = b.params()?;
    let clamped = b.state()?;
    let actors = sc
        .actors
        .iter()
        .map(|a| Actor {
            id: a.value.id.get_ref().clone(),
            name: a.value.name.clone().unwrap_or_else(|| a.value.id.get_ref().clone()),
            role: a.value.role.clone(),
            doc: a.value.doc.clone(),
        })
        .collect();
    let beliefs = b.beliefs()?;
    let (events, processes) = b.nodes(&meta, &clamped)?;
    let outcomes = b.checks(&sc.outcomes)?;
    if outcomes.is_empty() {
        let at = sc.header.id.as_ref().map(Item::span);
        let d = Diagnostic::new("the scenario has no result outcomes").with_help(
            "add [[outcomes]] entries: an exclusive, exhaustive group of which exactly one holds in every branch",
        );
        return Err(match at {
            Some(span) => Diagnostic {
                span: Some(span),
                label: "in this scenario".into(),
                ..d
            },
            None => d,
        });
    }
    let mut meta = meta;
    if let Some(r) = &sc.header.recorded {
        let i = outcomes.iter().position(|o| o.id == *r.get()).ok_or_else(|| {
            let ids: Vec<&str> = outcomes.iter().map(|o| o.id.as_str()).collect();
            Diagnostic::at(
                format!("`recorded` names `{}`, which is not a result outcome", r.get()),
                r.span(),
                format!("one of {}", ids.join(", ")),
            )
        })?;
        meta.recorded = Some(i);
    }
    let flags = b.checks(&sc.flags)?;
    let metrics = b.metrics()?;
    let stop_when = match &sc.header.stop_when {
        Some(s) => Some(b.expr(s.file, &s.value, None, Type::Bool)?),
        None => None,
    };
    let read_beliefs = std::mem::take(&mut b.names.read_beliefs);
    let mut program = Program {
        meta,
        slots: b.slots,
        initial: b.initial,
        params,
        actors,
        beliefs,
        enums: b.names.enums,
        events,
        processes,
        outcomes,
        flags,
        metrics,
        stop_when,
        lanes: b.lanes,
        changes: sc.changes.clone(),
        warnings: Vec::new(),
    };
    super::analysis::link(&mut program);
    program.warnings = super::analysis::warnings(&program, &read_beliefs);
    Ok(program)
}

fn header(sc: &Scenario) -> Result<Meta, Diagnostic> {
    let h = &sc.header;
    // The file named on the command line is always the first source.
    let missing = |what: &str, example: &str| {
        Diagnostic::at(
            format!("the scenario has no `{what}`"),
            Span::new(0, 0..0),
            format!("[scenario] {example}"),
        )
    };
    let id = h.id.as_ref().ok_or_else(|| missing("id", "id = \"my_scenario\""))?;
    let tick = match &h.unit {
        Some(u) => Duration::parse(u.get())
            .filter(|d| (1..=1000).contains(&d.count))
            .ok_or_else(|| {
                Diagnostic::at(
                    "unknown time unit",
                    u.span(),
                    "a tick such as \"month\", \"day\", \"hour\", \"week\", \"year\" or \"2h\" (1 to 1000 units)",
                )
            })?,
        None => Duration::MONTH,
    };
    let date = |item: &Option<Item<Spanned<String>>>, what: &str| -> Result<(CivilDate, Span), Diagnostic> {
        let item = item
            .as_ref()
            .ok_or_else(|| missing(what, &format!("{what} = \"1950-06\"")))?;
        let d = CivilDate::parse(item.get())
            .ok_or_else(|| Diagnostic::at("malformed date", item.span(), "a date such as \"1950-06\""))?;
        Ok((d, item.span()))
    };
    let (start, start_at) = date(&h.start, "start")?;
    let (horizon, horizon_at) = date(&h.horizon, "horizon")?;
    let clock = crate::time::Clock::new(tick, start, horizon).map_err(|(at_horizon, e)| {
        let at = if at_horizon { horizon_at } else { start_at };
        Diagnostic::at(e.message, at, e.expected)
    })?;
    let seed = match &h.seed {
        Some(s) if *s.get() < 0 => return Err(Diagnostic::at("the seed is negative", s.span(), "a whole number >= 0")),
        Some(s) => *s.get() as u64,
        None => 1,
    };
    let branches = match &h.branches {
        Some(n) => check_branches(*n.get()).map_err(|e| Diagnostic::at("branch count out of range", n.span(), e))?,
        None => DEFAULT_BRANCHES,
    };
    let text = |o: &Option<Item<Spanned<String>>>| o.as_ref().map(|i| i.get().clone());
    Ok(Meta {
        id: id.get().clone(),
        title: text(&h.title).unwrap_or_else(|| id.get().clone()),
        question: text(&h.question),
        passage: text(&h.passage),
        prompts: h.prompts.clone(),
        recorded: None,
        file: sc.file.clone(),
        extends: sc.extends.clone(),
        clock,
        seed,
        branches,
    })
}

/// Checks a branch count given on the command line.
pub fn check_branches_arg(n: u64) -> Result<u64, String> {
    check_branches(i64::try_from(n).unwrap_or(i64::MAX)).map_err(|e| format!("error: --branches: expected {e}\n"))
}

/// Checks a branch count; the error says what is allowed.
pub fn check_branches(n: i64) -> Result<u64, String> {
    if n < 1 || n as u64 > MAX_BRANCHES {
        Err(format!("a branch count from 1 to {MAX_BRANCHES}, got {n}"))
    } else {
        Ok(n as u64)
    }
}

pub(super) struct Builder<'a> {
    pub(super) sc: &'a Scenario,
    pub(super) names: Names,
    pub(super) slots: Vec<SlotInfo>,
    pub(super) initial: Vec<f64>,
    lanes: Vec<u64>,
    lane_ids: HashSet<u64>,
    actor_ids: HashSet<String>,
}

/// The span of a value written in short form (inner span 0..0) is the outer one.
pub(super) fn inner_span<T>(inner: &Spanned<T>, outer: Range<usize>) -> Range<usize> {
    if inner.span() == (0..0) { outer } else { inner.span() }
}

/// A number (finite) or a flag, as a slot value and its type.
pub(super) fn scalar_value(s: &Scalar) -> Option<(f64, Type)> {
    match s {
        Scalar::Num(n) if n.is_finite() => Some((*n, Type::Num)),
        Scalar::Bool(b) => Some((f64::from(u8::from(*b)), Type::Bool)),
        Scalar::Num(_) | Scalar::Str(_) => None,
    }
}

impl Builder<'_> {
    pub(super) fn slot(&mut self, name: &str, ty: Type, initial: f64) -> u32 {
        let slot = self.slots.len() as u32;
        self.slots.push(SlotInfo {
            name: name.to_string(),
            ty,
        });
        self.initial.push(initial);
        self.names.slots.insert(name.to_string(), (slot, ty));
        slot
    }

    /// Reserves `count` lanes for draws of `node`; their streams must not collide.
    pub(super) fn lanes(&mut self, node: &str, count: u32, at: Span) -> Result<u32, Diagnostic> {
        let first = self.lanes.len() as u32;
        if self.lanes.len() + count as usize > MAX_LANES {
            return Err(Diagnostic::at(
                "too many random draws per branch",
                at,
                format!("at most {MAX_LANES} in all (parameters, and each step of a process that draws)"),
            )
            .with_help("give the process a `max_steps`, a longer `every`, or a shorter window"));
        }
        for draw in 0..count {
            let id = stream_id(node, draw);
            if !self.lane_ids.insert(id) {
                return Err(Diagnostic::at(
                    "random stream collision",
                    at,
                    "a different id (two ids hash alike)",
                ));
            }
            self.lanes.push(id);
        }
        Ok(first)
    }

    /// Compiles an expression source, mapping error spans into the file.
    pub(super) fn expr(
        &mut self,
        file: FileId,
        src: &Spanned<ExprSrc>,
        outer: Option<Range<usize>>,
        want: Type,
    ) -> Result<Code, Diagnostic> {
        let value_span = match outer {
            Some(o) => inner_span(src, o),
            None => src.span(),
        };
        let text = &src.get_ref().text;
        expr::compile_source(text, Some(want), &mut self.names)
            .map(|(code, _)| code)
            .map_err(|e| Diagnostic::at(e.message, self.locate(file, value_span, text, e.span), e.expected))
    }

    /// Compiles an expression of any type; returns its code and type.
    pub(super) fn expr_any(&mut self, item: &Item<Spanned<ExprSrc>>) -> Result<(Code, Type), Diagnostic> {
        let text = &item.get().text;
        expr::compile_source(text, None, &mut self.names).map_err(|e| {
            Diagnostic::at(
                e.message,
                self.locate(item.file, item.value.span(), text, e.span),
                e.expected,
            )
        })
    }

    /// Maps a span within expression `text` to the file, where the text sits
    /// verbatim inside the TOML value at `value_span`.
    pub(super) fn locate(&self, file: FileId, value_span: Range<usize>, text: &str, rel: Range<usize>) -> Span {
        let src = &self.sc.sources.get(file).text;
        let raw = src.get(value_span.clone()).unwrap_or("");
        let mut prefix = if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
            3
        } else {
            usize::from(raw.starts_with('"') || raw.starts_with('\''))
        };
        if prefix == 3 && raw[3..].starts_with('\n') {
            prefix += 1;
        }
        let body = value_span.start + prefix;
        if src.get(body..body + text.len()) == Some(text) {
            Span::new(file, body + rel.start..body + rel.end.max(rel.start))
        } else {
            Span::new(file, value_span)
        }
    }

    /// Checks a node id: letters, digits and `_`.
    pub(super) fn check_id(file: FileId, id: &Spanned<String>) -> Result<(), Diagnostic> {
        let mut chars = id.get_ref().chars();
        let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if ok {
            Ok(())
        } else {
            Err(Diagnostic::at(
                format!("`{}` is not a valid id", id.get_ref()),
                Span::new(file, id.span()),
                "letters, digits and `_`, starting with a letter",
            ))
        }
    }

    pub(super) fn known_actor(&self, file: FileId, actor: &Spanned<String>) -> Result<(), Diagnostic> {
        if self.actor_ids.contains(actor.get_ref()) {
            return Ok(());
        }
        let ids: Vec<&str> = self.sc.actors.iter().map(|a| a.value.id.get_ref().as_str()).collect();
        Err(Diagnostic::at(
            format!("unknown actor `{}`", actor.get_ref()),
            Span::new(file, actor.span()),
            "an actor declared under [actors.NAME]",
        )
        .with_help(crate::scenario::suggest(actor.get_ref(), &ids)))
    }
}
