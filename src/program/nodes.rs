//! Compiles the scenario's moving parts: beliefs (in dependency order),
//! events and processes with their decision rules and effects, outcomes,
//! flags and metrics.

use super::build::{Builder, inner_span};
use super::*;
use crate::diagnostic::{Diagnostic, FileId, Span};
use crate::expr::parser::{self, Expr, ExprKind};
use crate::expr::vm::Op;
use crate::scenario::raw::{self, ExprSrc};
use crate::scenario::{BeliefDef, Item};
use std::collections::{HashMap, HashSet};
use toml::Spanned;

/// The names an expression mentions, with their spans.
fn mentions(e: &Expr, out: &mut Vec<(String, std::ops::Range<usize>)>) {
    match &e.kind {
        ExprKind::Name(n) => out.push((n.clone(), e.span.clone())),
        ExprKind::Unary(_, a) => mentions(a, out),
        ExprKind::Binary(_, a, b) => {
            mentions(a, out);
            mentions(b, out);
        }
        ExprKind::If(a, b, c) => {
            mentions(a, out);
            mentions(b, out);
            mentions(c, out);
        }
        ExprKind::Call(_, args) => args.iter().for_each(|a| mentions(a, out)),
        ExprKind::Num(_) | ExprKind::Bool(_) | ExprKind::Date(..) => {}
    }
}

/// The months in which a condition can hold (see [`Node::window`]).
pub fn window(when: &Code, first: i32, months: usize, known: impl Fn(u32) -> Option<f64>) -> (u32, u32) {
    let (lo, hi) = when.whole_bounds_on(NOW_SLOT, known);
    let first = f64::from(first).max(lo).max(0.0);
    let last = hi.min(months as f64 - 1.0);
    if first > last {
        (1, 0)
    } else {
        (first as u32, last as u32)
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn check_id(file: FileId, id: &Spanned<String>) -> Result<(), Diagnostic> {
    if is_identifier(id.get_ref()) {
        Ok(())
    } else {
        Err(Diagnostic::at(
            format!("`{}` is not a valid id", id.get_ref()),
            Span::new(file, id.span()),
            "letters, digits and `_`, starting with a letter",
        ))
    }
}

/// The expression parts of a belief: (source, outer span).
fn belief_parts(def: &BeliefDef) -> Vec<&Spanned<ExprSrc>> {
    let d = &def.decl.get_ref().0;
    let mut parts: Vec<&Spanned<ExprSrc>> = d.value.iter().chain(&d.prior).collect();
    for s in &d.signals {
        parts.push(&s.get_ref().when);
        parts.push(&s.get_ref().shift);
    }
    parts
}

impl Builder<'_> {
    /// Compiles every belief, each after the beliefs it names; a cycle is an error.
    pub(super) fn beliefs(&mut self) -> Result<Vec<Belief>, Diagnostic> {
        let defs = &self.sc.beliefs;
        let index: HashMap<&str, usize> = defs
            .iter()
            .enumerate()
            .map(|(i, b)| (b.value.name.get_ref().as_str(), i))
            .collect();
        // Dependencies, with the span of each mention.
        let mut deps: Vec<Vec<(usize, Span)>> = Vec::new();
        for item in defs {
            let outer = item.value.decl.span();
            let mut found = Vec::new();
            for part in belief_parts(&item.value) {
                let span = inner_span(part, outer.clone());
                let text = &part.get_ref().text;
                let e = parser::parse(text).map_err(|e| {
                    Diagnostic::at(
                        e.message,
                        self.locate(item.file, span.clone(), text, e.span),
                        e.expected,
                    )
                })?;
                let mut names = Vec::new();
                mentions(&e, &mut names);
                for (name, rel) in names {
                    if let Some(&j) = index.get(name.as_str()) {
                        found.push((j, self.locate(item.file, span.clone(), text, rel)));
                    }
                }
            }
            deps.push(found);
        }
        let mut order = Vec::new();
        let mut state = vec![0u8; defs.len()]; // 0 new, 1 on the path, 2 done
        for i in 0..defs.len() {
            visit(i, &deps, &mut state, &mut Vec::new(), &mut order, defs)?;
        }
        let mut out: Vec<Option<Belief>> = vec![None; defs.len()];
        for i in order {
            let belief = self.belief(&defs[i])?;
            self.names
                .beliefs
                .insert(belief.name.clone(), (belief.code.clone(), belief.ty));
            out[i] = Some(belief);
        }
        Ok(out.into_iter().flatten().collect())
    }

    fn belief(&mut self, item: &Item<BeliefDef>) -> Result<Belief, Diagnostic> {
        let (file, def) = (item.file, &item.value);
        let outer = def.decl.span();
        let d = &def.decl.get_ref().0;
        let name = def.name.get_ref().clone();
        let (code, ty) = match (&d.value, &d.prior) {
            (Some(v), None) if d.signals.is_empty() => {
                let text = &v.get_ref().text;
                let span = inner_span(v, outer.clone());
                let (code, ty) = crate::expr::compile_source(text, None, &mut self.names).map_err(|e| {
                    Diagnostic::at(e.message, self.locate(file, span.clone(), text, e.span), e.expected)
                })?;
                (code, ty)
            }
            (None, Some(prior)) => {
                // logistic(logit(prior) + Σ shift_i · [when_i])
                let mut ops: Vec<Op> = self.expr(file, prior, Some(outer.clone()), Type::Num)?.ops().to_vec();
                ops.push(Op::Logit);
                for s in &d.signals {
                    let s = s.get_ref();
                    ops.extend_from_slice(self.expr(file, &s.when, None, Type::Bool)?.ops());
                    ops.extend_from_slice(self.expr(file, &s.shift, None, Type::Num)?.ops());
                    ops.extend([Op::Mul, Op::Add]);
                }
                ops.push(Op::Logistic);
                (Code::new(ops), Type::Num)
            }
            _ => {
                return Err(Diagnostic::at(
                    format!("belief `{name}` needs either `value`, or `prior` with `signals`"),
                    Span::new(file, outer),
                    "value = \"expression\"  or  prior = 0.5, signals = [...]",
                ));
            }
        };
        Ok(Belief {
            name,
            ty,
            code,
            doc: d.doc.clone(),
        })
    }

    pub(super) fn node(
        &mut self,
        item: &Item<Spanned<raw::Event>>,
        kind: NodeKind,
        meta: &Meta,
        forced: &HashMap<String, bool>,
        clamped: &HashSet<u32>,
    ) -> Result<Node, Diagnostic> {
        let file = item.file;
        let ev = item.get();
        let at = |r: std::ops::Range<usize>| Span::new(file, r);
        check_id(file, &ev.id)?;
        let id = ev.id.get_ref().clone();
        let duplicates = self
            .sc
            .events
            .iter()
            .chain(&self.sc.processes)
            .filter(|e| e.get().id.get_ref() == &id)
            .count();
        if duplicates > 1 {
            return Err(Diagnostic::at(
                format!("`{id}` names both an event and a process"),
                at(ev.id.span()),
                "a unique id",
            ));
        }
        let what = if kind == NodeKind::Event { "event" } else { "process" };
        let misplaced = |field: &str, span: std::ops::Range<usize>, hint: &str| {
            Diagnostic::at(
                format!("`{field}` does not apply to an {what}"),
                at(span),
                hint.to_string(),
            )
        };
        let date = match (&ev.date, kind) {
            (Some(d), _) => {
                let m = Month::parse(d.get_ref())
                    .ok_or_else(|| Diagnostic::at("malformed date", at(d.span()), "a date such as \"1950-06\""))?;
                if m < meta.start || m > meta.horizon {
                    return Err(Diagnostic::at(
                        "date outside the scenario's timeline",
                        at(d.span()),
                        format!("a date from {} to {}", meta.start, meta.horizon),
                    ));
                }
                m
            }
            (None, NodeKind::Event) => {
                return Err(Diagnostic::at(
                    format!("event `{id}` has no date"),
                    at(item.value.span()),
                    "date = \"YYYY-MM\"",
                ));
            }
            (None, NodeKind::Process) => meta.start,
        };
        let (cond, steps) = match kind {
            NodeKind::Event => {
                if let Some(w) = &ev.while_ {
                    return Err(misplaced(
                        "while",
                        w.span(),
                        "`when`, or declare it under [[processes]]",
                    ));
                }
                if let Some(m) = &ev.max_steps {
                    return Err(misplaced("max_steps", m.span(), "declare it under [[processes]]"));
                }
                (&ev.when, 1)
            }
            NodeKind::Process => {
                if let Some(w) = &ev.when {
                    return Err(misplaced(
                        "when",
                        w.span(),
                        "`while` (a process runs each month while it holds)",
                    ));
                }
                let remaining = i64::from(meta.horizon.since(date)) + 1;
                let steps = match &ev.max_steps {
                    Some(m) if !(1..=MAX_STEPS).contains(m.get_ref()) => {
                        return Err(Diagnostic::at(
                            "step bound out of range",
                            at(m.span()),
                            format!("a whole number from 1 to {MAX_STEPS}"),
                        ));
                    }
                    Some(m) => (*m.get_ref()).min(remaining),
                    None => remaining,
                };
                (&ev.while_, steps as u32)
            }
        };
        let when = match cond {
            Some(c) => self.expr(file, c, None, Type::Bool)?,
            None => Code::constant(1.0),
        };
        let window = window(&when, date.since(meta.start), meta.months(), |_| None);
        let param_slots = 1..=self.sc.params.len() as u32;
        let window_from_params =
            kind == NodeKind::Process && when.compares_with(NOW_SLOT, |s| param_slots.contains(&s));
        let steady = kind == NodeKind::Process && when.reads_only_as_bounds(NOW_SLOT, |s| param_slots.contains(&s));
        if let Some(actor) = &ev.actor {
            self.known_actor(file, actor)?;
        }
        let rule = match &ev.rule {
            Some(r) => Some(self.rule(file, r)?),
            None => None,
        };
        let forced = forced.get(&id).copied();
        if rule.is_none() && forced.is_none() && !ev.otherwise.is_empty() {
            let first = ev.otherwise.keys().next().expect("not empty"); // ok: checked just above
            return Err(Diagnostic::at(
                "`else` effects need a decision rule",
                at(first.span()),
                "a `rule`, or move these into `then`",
            ));
        }
        let chance_breaks = match (&rule, kind) {
            (Some(Rule::Chance { p }), NodeKind::Process) => p.breaks_on(NOW_SLOT),
            _ => None,
        };
        let lane = match &rule {
            Some(r) if r.draws() && forced.is_none() => {
                Some(self.lanes(&format!("{what}/{id}"), steps, at(ev.id.span()))?)
            }
            _ => None,
        };
        Ok(Node {
            label: ev.label.clone().unwrap_or_else(|| id.clone()),
            actor: ev.actor.as_ref().map(|a| a.get_ref().clone()),
            then: self.effects(file, &ev.then, clamped)?,
            otherwise: self.effects(file, &ev.otherwise, clamped)?,
            evidence: ev.evidence.as_ref().map(|e| e.get_ref().clone()),
            id,
            kind,
            date,
            when,
            max_steps: steps,
            window,
            window_from_params,
            steady,
            chance_breaks,
            rule,
            forced,
            lane,
        })
    }

    pub(super) fn known_actor(&self, file: FileId, actor: &Spanned<String>) -> Result<(), Diagnostic> {
        let ids: Vec<&str> = self.sc.actors.iter().map(|a| a.value.id.get_ref().as_str()).collect();
        if ids.contains(&actor.get_ref().as_str()) {
            return Ok(());
        }
        Err(Diagnostic::at(
            format!("unknown actor `{}`", actor.get_ref()),
            Span::new(file, actor.span()),
            "an actor declared under [actors.NAME]",
        )
        .with_help(crate::scenario::suggest(actor.get_ref(), &ids)))
    }

    fn effects(
        &mut self,
        file: FileId,
        map: &raw::Map<ExprSrc>,
        clamped: &HashSet<u32>,
    ) -> Result<Effects, Diagnostic> {
        let mut assigns = Vec::new();
        for (name, value) in map {
            let key = format!("state.{}", name.get_ref().trim_start_matches("state."));
            let Some(&(slot, ty)) = self.names.slots.get(&key) else {
                let known: Vec<&str> = self.sc.state.iter().map(|s| s.value.name.get_ref().as_str()).collect();
                return Err(Diagnostic::at(
                    format!("no state variable `{}`", name.get_ref()),
                    Span::new(file, name.span()),
                    "a variable declared under [state]",
                )
                .with_help(crate::scenario::suggest(name.get_ref(), &known)));
            };
            let code = self.expr(file, value, None, ty)?;
            if !clamped.contains(&slot) {
                assigns.push((slot, code));
            }
        }
        Ok(Effects {
            assigns,
            stales: Box::default(),
        })
    }

    pub(super) fn checks(&mut self, items: &[Item<Spanned<raw::Outcome>>]) -> Result<Vec<Check>, Diagnostic> {
        let mut out = Vec::new();
        for item in items {
            let o = item.get();
            check_id(item.file, &o.id)?;
            out.push(Check {
                id: o.id.get_ref().clone(),
                label: o.label.clone().unwrap_or_else(|| o.id.get_ref().clone()),
                when: self.expr(item.file, &o.when, None, Type::Bool)?,
            });
        }
        Ok(out)
    }

    pub(super) fn metrics(&mut self) -> Result<Vec<MetricCode>, Diagnostic> {
        let mut out = Vec::new();
        for item in &self.sc.metrics {
            let m = item.get();
            check_id(item.file, &m.id)?;
            let when = match &m.when {
                Some(w) => Some(self.expr(item.file, w, None, Type::Bool)?),
                None => None,
            };
            out.push(MetricCode {
                id: m.id.get_ref().clone(),
                label: m.label.clone().unwrap_or_else(|| m.id.get_ref().clone()),
                value: self.expr(item.file, &m.value, None, Type::Num)?,
                when,
            });
        }
        Ok(out)
    }
}

/// Depth-first visit for the belief order; reports the first cycle found.
fn visit(
    i: usize,
    deps: &[Vec<(usize, Span)>],
    state: &mut [u8],
    path: &mut Vec<usize>,
    order: &mut Vec<usize>,
    defs: &[Item<BeliefDef>],
) -> Result<(), Diagnostic> {
    match state[i] {
        2 => return Ok(()),
        1 => unreachable!("cycles are caught before revisiting"), // ok: visit checks state 1 first
        _ => {}
    }
    state[i] = 1;
    path.push(i);
    for (j, span) in &deps[i] {
        if state[*j] == 1 {
            let start = path.iter().position(|p| p == j).unwrap_or(0);
            let names: Vec<&str> = path[start..]
                .iter()
                .chain([j])
                .map(|k| defs[*k].value.name.get_ref().as_str())
                .collect();
            return Err(Diagnostic::at(
                "beliefs depend on each other in a cycle",
                span.clone(),
                names.join(" → "),
            ));
        }
        visit(*j, deps, state, path, order, defs)?;
    }
    path.pop();
    state[i] = 2;
    order.push(i);
    Ok(())
}

/// Links every node's effects to the processes they can change the
/// condition or chance probability of (see [`Effects::stales`]).
pub(super) fn link_stales(events: &mut [Node], processes: &mut [Node]) {
    let first = events.len() as u32;
    let reads: Vec<HashSet<u32>> = processes
        .iter()
        .map(|n| {
            let p = match &n.rule {
                Some(Rule::Chance { p }) => Some(p),
                _ => None,
            };
            std::iter::once(&n.when).chain(p).flat_map(|c| c.loads()).collect()
        })
        .collect();
    let stales = |effects: &Effects| -> Box<[u32]> {
        (0..reads.len() as u32)
            .filter(|&k| effects.assigns.iter().any(|(slot, _)| reads[k as usize].contains(slot)))
            .map(|k| first + k)
            .collect()
    };
    for n in events.iter_mut().chain(processes.iter_mut()) {
        n.then.stales = stales(&n.then);
        n.otherwise.stales = stales(&n.otherwise);
    }
}
