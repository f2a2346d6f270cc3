//! Compiles events and processes: their order, timing, conditions, options,
//! decision rules, forced decisions and effects; and outcomes, flags and
//! metrics.

use super::build::Builder;
use super::params::{dist_type, distribution};
use super::*;
use crate::diagnostic::{Diagnostic, FileId, Span};
use crate::scenario::raw::{self, Effect, ExprSrc, Scalar};
use crate::scenario::{Intervention, Item, NodeDef};
use crate::time::CivilDate;
use std::collections::{HashMap, HashSet};
use toml::Spanned;

/// Most options one decision may have.
pub const MAX_OPTIONS: usize = 64;

/// The ticks in which a condition can hold (see [`Node::window`]).
pub fn window(when: &Code, first: u32, last: u32, known: impl Fn(u32) -> Option<f64>) -> (u32, u32) {
    let (lo, hi) = when.whole_bounds_on(NOW_SLOT, known);
    let first = f64::from(first).max(lo);
    let last = hi.min(f64::from(last));
    if first > last {
        (1, 0)
    } else {
        (first as u32, last as u32)
    }
}

/// What a node's parts need to know about the node.
pub(super) struct NodeCtx<'a> {
    pub what: &'static str,
    pub id: &'a str,
    /// Option ids (empty for a yes/no decision).
    pub options: &'a [String],
    /// Steps the node may take in a branch (each may draw).
    pub steps: u32,
    /// A process's step, in ticks (months at their average length).
    pub step_ticks: Option<f64>,
}

impl Builder<'_> {
    /// Compiles every event and process: events with a fixed date in date
    /// order (file order among equals), then the others in file order.
    pub(super) fn nodes(&mut self, meta: &Meta, clamped: &HashSet<u32>) -> Result<(Vec<Node>, Vec<Node>), Diagnostic> {
        let clock = &meta.clock;
        let sc = self.sc;
        let fixed = |d: &NodeDef| -> Option<i64> {
            let layer = d
                .layers
                .iter()
                .rev()
                .find(|l| l.get().date.is_some() || l.get().after.is_some())?;
            let date = CivilDate::parse(layer.get().date.as_ref()?.get_ref())?;
            clock.tick_of(date).ok()
        };
        let mut order: Vec<(Option<i64>, usize)> = sc.events.iter().enumerate().map(|(i, e)| (fixed(e), i)).collect();
        order.sort_by_key(|&(d, i)| (d.is_none(), d, i));
        let defs: Vec<&NodeDef> = order.iter().map(|&(_, i)| &sc.events[i]).chain(&sc.processes).collect();
        let n_events = sc.events.len();
        let mut index: HashMap<&str, u32> = HashMap::new();
        let mut options: HashMap<&str, Vec<String>> = HashMap::new();
        for (k, d) in defs.iter().enumerate() {
            let file = d.newest().file;
            Builder::check_id(file, d.id())?;
            if index.insert(d.id().get_ref(), k as u32).is_some() {
                return Err(Diagnostic::at(
                    format!("`{}` names both an event and a process", d.id().get_ref()),
                    Span::new(file, d.id().span()),
                    "a unique id",
                ));
            }
            if let Some((_, list)) = d.get(|e| e.options.as_ref()) {
                let ids = list
                    .get_ref()
                    .iter()
                    .map(|o| o.get_ref().id.get_ref().clone())
                    .collect();
                options.insert(d.id().get_ref(), ids);
            }
        }
        let forced = self.forced_targets(&index)?;
        let mut anchors = Vec::new();
        let mut nodes = Vec::new();
        for (k, def) in defs.iter().enumerate() {
            let kind = if k < n_events {
                NodeKind::Event
            } else {
                NodeKind::Process
            };
            let node = self.node(def, kind, meta, &index, &options, &forced, clamped)?;
            anchors.push(match node.timing {
                Timing::After { anchor, .. } => Some(anchor),
                _ => None,
            });
            nodes.push(node);
        }
        super::timing::check_cycles(&defs, &anchors)?;
        let processes = nodes.split_off(n_events);
        Ok((nodes, processes))
    }

    /// `do(node = value)` targets by node id; each must name a node.
    fn forced_targets(&self, index: &HashMap<&str, u32>) -> Result<HashMap<String, Item<Intervention>>, Diagnostic> {
        let mut out = HashMap::new();
        for item in &self.sc.interventions {
            let target = item.value.target.get_ref();
            if target.starts_with("state.") {
                continue;
            }
            if !index.contains_key(target.as_str()) {
                let ids: Vec<&str> = index.keys().copied().collect();
                return Err(Diagnostic::at(
                    format!("nothing named `{target}` to force"),
                    Span::new(item.file, item.value.target.span()),
                    "an event or process id, or state.NAME",
                )
                .with_help(crate::scenario::suggest(target, &ids)));
            }
            out.insert(target.clone(), item.clone());
        }
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)] // the node's whole context, passed flat
    fn node(
        &mut self,
        def: &NodeDef,
        kind: NodeKind,
        meta: &Meta,
        index: &HashMap<&str, u32>,
        options: &HashMap<&str, Vec<String>>,
        forced: &HashMap<String, Item<Intervention>>,
        clamped: &HashSet<u32>,
    ) -> Result<Node, Diagnostic> {
        let clock = &meta.clock;
        let newest = def.newest();
        let id = def.id().get_ref().clone();
        let what = if kind == NodeKind::Event { "event" } else { "process" };
        // Keys that belong to the other kind of node.
        let misplaced: [(&str, bool, &str); 4] = [
            (
                "while",
                kind == NodeKind::Event,
                "`when`, or declare it under [[processes]]",
            ),
            ("max_steps", kind == NodeKind::Event, "declare it under [[processes]]"),
            ("every", kind == NodeKind::Event, "declare it under [[processes]]"),
            (
                "when",
                kind == NodeKind::Process,
                "`while` (a process runs each step while it holds)",
            ),
        ];
        for (key, wrong, hint) in misplaced {
            if !wrong {
                continue;
            }
            let span = match key {
                "while" => def.get(|e| e.while_.as_ref()).map(|(f, s)| (f, s.span())),
                "max_steps" => def.get(|e| e.max_steps.as_ref()).map(|(f, s)| (f, s.span())),
                "every" => def.get(|e| e.every.as_ref()).map(|(f, s)| (f, s.span())),
                _ => def.get(|e| e.when.as_ref()).map(|(f, s)| (f, s.span())),
            };
            if let Some((file, span)) = span {
                return Err(Diagnostic::at(
                    format!("`{key}` does not apply to an {what}"),
                    Span::new(file, span),
                    hint.to_string(),
                ));
            }
        }
        let timing = self.timing(def, kind, clock, index, options)?;
        let until = self.until(def, clock)?;
        let every = match kind {
            NodeKind::Process => Some(self.every(def, clock)?),
            NodeKind::Event => None,
        };
        let cond = match kind {
            NodeKind::Event => def.get(|e| e.when.as_ref()),
            NodeKind::Process => def.get(|e| e.while_.as_ref()),
        };
        let when = match cond {
            Some((file, c)) => self.expr(file, c, None, Type::Bool)?,
            None => Code::constant(1.0),
        };
        let first = match timing {
            Timing::At(t) => t,
            _ => 0,
        };
        let last = match until {
            Some(Until::Tick(t)) => t,
            _ => clock.last,
        };
        if last < first {
            let (file, span) = def
                .get(|e| e.until.as_ref())
                .map(|(f, u)| (f, u.span()))
                .unwrap_or((newest.file, def.id().span()));
            return Err(Diagnostic::at(
                "the window ends before it starts",
                Span::new(file, span),
                format!("a date on or after {}", clock.format(first)),
            ));
        }
        let repeats = kind == NodeKind::Process || until.is_some();
        let window = window(&when, first, last, |_| None);
        let param_slots = 1..=self.sc.params.len() as u32;
        let window_from_params = repeats && when.compares_with(NOW_SLOT, |s| param_slots.contains(&s));
        let steady = repeats && when.reads_only_as_bounds(NOW_SLOT, |s| param_slots.contains(&s));
        let steps = match (kind, every) {
            (NodeKind::Process, Some(period)) => {
                let grid = period.steps_until(clock, first, last).clamp(1, MAX_STEPS as u64) as i64;
                match def.get(|e| e.max_steps.as_ref()) {
                    Some((file, m)) if !(1..=MAX_STEPS).contains(m.get_ref()) => {
                        return Err(Diagnostic::at(
                            "step bound out of range",
                            Span::new(file, m.span()),
                            format!("a whole number from 1 to {MAX_STEPS}"),
                        ));
                    }
                    Some((_, m)) => (*m.get_ref()).min(grid),
                    None => grid,
                }
            }
            _ => 1,
        } as u32;
        if let Some((file, actor)) = def.get(|e| e.actor.as_ref()) {
            self.known_actor(file, actor)?;
        }
        let option_ids = options.get(id.as_str()).cloned().unwrap_or_default();
        let step_ticks = every.map(|period| match period {
            Period::Ticks(n) => f64::from(n),
            Period::Calendar(d) => d.count as f64 * clock.ticks_per(d.unit),
        });
        let ctx = NodeCtx {
            what,
            id: &id,
            options: &option_ids,
            steps,
            step_ticks,
        };
        let choices = self.options(def, &ctx, clamped)?;
        let rule = match def.get(|e| e.rule.as_ref()) {
            Some((file, r)) => Some(self.rule(file, r, &ctx)?),
            None => None,
        };
        let forced = match forced.get(&id) {
            Some(item) => Some(forced_option(item, &id, &option_ids)?),
            None => None,
        };
        let then = def.get(|e| e.then.as_ref()).filter(|(_, m)| !m.is_empty());
        let otherwise = def.get(|e| e.otherwise.as_ref()).filter(|(_, m)| !m.is_empty());
        self.check_decision(def, rule.as_ref(), &option_ids, forced, then.is_some(), otherwise)?;
        let chance_breaks = match (&rule, kind) {
            (Some(r), NodeKind::Process) => r.chance().and_then(|p| p.breaks_on(NOW_SLOT)),
            _ => None,
        };
        // A forced node keeps its lanes (unread), so a counterfactual that
        // only forces decisions has its base's lane layout (see `fork`).
        let lane = match &rule {
            Some(r) if r.draws() => {
                Some(self.lanes(&format!("{what}/{id}"), steps, Span::new(newest.file, def.id().span()))?)
            }
            _ => None,
        };
        let hazard = kind == NodeKind::Process
            && self.sc.format_of(def.origin) >= 2
            && rule.as_ref().is_some_and(|r| r.chance().is_some());
        let then = match then {
            Some((file, map)) => self.effects(file, map, clamped, &format!("{what}/{id}/then"), steps)?,
            None => Effects::default(),
        };
        let otherwise = match otherwise {
            Some((file, map)) => self.effects(file, map, clamped, &format!("{what}/{id}/else"), steps)?,
            None => Effects::default(),
        };
        let text = |f: fn(&raw::Event) -> &Option<String>| def.layers.iter().rev().find_map(|l| f(l.get()).clone());
        let written = match def.get(|e| e.every.as_ref()) {
            Some((_, e)) => crate::time::Duration::parse(e.get_ref()).unwrap_or(clock.tick),
            None => clock.tick,
        };
        let every_text = match written.count {
            1 => written.unit.name().to_string(),
            _ => written.to_string(),
        };
        Ok(Node {
            step_name: written.step_name(),
            every_text,
            label: text(|e| &e.label).unwrap_or_else(|| id.clone()),
            actor: def.get(|e| e.actor.as_ref()).map(|(_, a)| a.get_ref().clone()),
            evidence: def.get(|e| e.evidence.as_ref()).map(|(_, e)| e.get_ref().clone()),
            id,
            kind,
            timing,
            every,
            until,
            when,
            max_steps: steps,
            window,
            window_from_params,
            steady,
            chance_breaks,
            rule: rule.map(Box::new),
            options: choices,
            forced,
            then,
            otherwise,
            lane,
            hazard,
            followers: Box::default(),
        })
    }

    /// Named options, each with its effects.
    fn options(&mut self, def: &NodeDef, ctx: &NodeCtx, clamped: &HashSet<u32>) -> Result<Vec<Choice>, Diagnostic> {
        let Some((file, list)) = def.get(|e| e.options.as_ref()) else {
            return Ok(Vec::new());
        };
        let list = list.get_ref();
        if list.len() > MAX_OPTIONS {
            return Err(Diagnostic::at(
                "too many options",
                Span::new(file, list[MAX_OPTIONS].span()),
                format!("at most {MAX_OPTIONS}"),
            ));
        }
        let mut out: Vec<Choice> = Vec::new();
        for o in list {
            let o = o.get_ref();
            Builder::check_id(file, &o.id)?;
            if out.iter().any(|c| c.id == *o.id.get_ref()) || matches!(o.id.get_ref().as_str(), "yes" | "no") {
                return Err(Diagnostic::at(
                    format!("option `{}` is named twice, or is `yes`/`no`", o.id.get_ref()),
                    Span::new(file, o.id.span()),
                    "an option id of its own",
                ));
            }
            let prefix = format!("{}/{}/{}", ctx.what, ctx.id, o.id.get_ref());
            out.push(Choice {
                id: o.id.get_ref().clone(),
                label: o.label.clone().unwrap_or_else(|| o.id.get_ref().clone()),
                effects: self.effects(
                    file,
                    o.then.as_ref().unwrap_or(&raw::Map::new()),
                    clamped,
                    &prefix,
                    ctx.steps,
                )?,
            });
        }
        Ok(out)
    }

    /// Checks that the rule, options, forced value and effects fit together.
    fn check_decision(
        &self,
        def: &NodeDef,
        rule: Option<&Rule>,
        options: &[String],
        forced: Option<u32>,
        has_then: bool,
        otherwise: Option<(FileId, &raw::Map<Effect>)>,
    ) -> Result<(), Diagnostic> {
        let at_id = Span::new(def.newest().file, def.id().span());
        if !options.is_empty() {
            if rule.is_none() {
                return Err(Diagnostic::at(
                    "a decision with options needs a rule that picks one",
                    at_id,
                    "rule = { kind = \"choice\", ... } or an analogy whose lessons name options",
                ));
            }
            if has_then || otherwise.is_some() {
                let (file, span) = def
                    .get(|e| e.then.as_ref())
                    .filter(|(_, m)| !m.is_empty())
                    .or(otherwise)
                    .and_then(|(f, m)| m.keys().next().map(|k| (f, k.span())))
                    .unwrap_or((at_id.file, at_id.range.clone()));
                return Err(Diagnostic::at(
                    "with options, effects go in each option's `then`",
                    Span::new(file, span),
                    "options = [{ id = \"...\", then = { ... } }, ...]",
                ));
            }
        }
        if rule.is_none() && forced.is_none() {
            if let Some((file, map)) = otherwise {
                let first = map.keys().next().expect("not empty"); // ok: empty tables are filtered out above
                return Err(Diagnostic::at(
                    "`else` effects need a decision rule",
                    Span::new(file, first.span()),
                    "a `rule`, or move these into `then`",
                ));
            }
        }
        Ok(())
    }

    /// Compiles effects; a `do(state.x = v)` holds `x`, so effects on it are dropped.
    pub(super) fn effects(
        &mut self,
        file: FileId,
        map: &raw::Map<Effect>,
        clamped: &HashSet<u32>,
        prefix: &str,
        steps: u32,
    ) -> Result<Effects, Diagnostic> {
        let mut assigns = Vec::new();
        for (name, value) in map {
            let var = name.get_ref().trim_start_matches("state.");
            let Some(&(slot, ty)) = self.names.slots.get(&format!("state.{var}")) else {
                let known: Vec<&str> = self.sc.state.iter().map(|s| s.value.name.get_ref().as_str()).collect();
                return Err(Diagnostic::at(
                    format!("no state variable `{}`", name.get_ref()),
                    Span::new(file, name.span()),
                    "a variable declared under [state]",
                )
                .with_help(crate::scenario::suggest(name.get_ref(), &known)));
            };
            let assign = match value.get_ref() {
                Effect::Expr(src) => {
                    // A bare option name sets an enumerated variable: `posture = "blockade"`.
                    let text = match ty {
                        Type::Enum(list) if self.names.enums[list as usize].contains(&src.text.trim().to_string()) => {
                            format!("'{}'", src.text.trim())
                        }
                        _ => src.text.clone(),
                    };
                    let src = Spanned::new(value.span(), ExprSrc { text });
                    Assign::Code(self.expr(file, &src, None, ty)?)
                }
                Effect::Draw(decl) => {
                    let what = format!("the draw of `{}`", name.get_ref());
                    let exact = self.sc.format_of(file) >= 2;
                    let dist = distribution(file, &what, decl, value.span(), exact)?;
                    let Some(dist) = dist.filter(|d| dist_type(d) == ty) else {
                        return Err(Diagnostic::at(
                            format!("`{}` holds {ty}; draw it from a distribution of those", name.get_ref()),
                            Span::new(file, value.span()),
                            "uniform, beta, triangular or normal for a number; bernoulli for true/false",
                        ));
                    };
                    let lane = self.lanes(&format!("{prefix}/{var}"), steps, Span::new(file, value.span()))?;
                    Assign::Draw { dist, lane }
                }
            };
            if !clamped.contains(&slot) {
                assigns.push((slot, assign));
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
            Builder::check_id(item.file, &o.id)?;
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
            Builder::check_id(item.file, &m.id)?;
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

/// The option a `do(node = value)` forces: true/false for a yes/no
/// decision, an option id for a choice.
fn forced_option(item: &Item<Intervention>, id: &str, options: &[String]) -> Result<u32, Diagnostic> {
    let at = Span::new(item.file, item.value.value.span());
    match (item.value.value.get_ref(), options.is_empty()) {
        (Scalar::Bool(b), true) => Ok(u32::from(*b)),
        (Scalar::Str(s), true) if s == "yes" || s == "no" => Ok(u32::from(s == "yes")),
        (Scalar::Str(s), false) => options.iter().position(|o| o == s).map(|i| i as u32).ok_or_else(|| {
            Diagnostic::at(
                format!("`{id}` has no option `{s}`"),
                at.clone(),
                format!("one of {}", options.join(", ")),
            )
            .with_help(crate::scenario::suggest(
                s,
                &options.iter().map(String::as_str).collect::<Vec<_>>(),
            ))
        }),
        (_, true) => Err(Diagnostic::at(
            "a decision is forced to true or false",
            at,
            "true or false",
        )),
        (_, false) => Err(Diagnostic::at(
            format!("`{id}` is a choice; it is forced to one of its options"),
            at,
            format!("one of {}", options.join(", ")),
        )),
    }
}
