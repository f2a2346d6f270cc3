//! Checks a merged [`Scenario`] and compiles it to a [`Program`]. Every
//! error here points at the file, line and column it is about.

use super::names::Names;
use super::*;
use crate::diagnostic::{Diagnostic, FileId, Span};
use crate::engine::rng::stream_id;
use crate::expr::{self, Type};
use crate::scenario::raw::{ExprSrc, Scalar};
use crate::scenario::{Item, Scenario};
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use toml::Spanned;

/// Most branches one run may ask for.
pub const MAX_BRANCHES: u64 = 1_000_000_000;
/// Longest timeline, in months.
pub const MAX_MONTHS: i32 = 1200;
/// Most steps a monthly process may take.
pub const MAX_STEPS: i64 = 1200;
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
            start: meta.start,
            slots: HashMap::new(),
            beliefs: HashMap::new(),
        },
        slots: vec![SlotInfo {
            name: "now".into(),
            ty: Type::Num,
        }],
        initial: vec![0.0],
        lanes: Vec::new(),
        lane_ids: HashSet::new(),
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
        })
        .collect();
    let beliefs = b.beliefs()?;
    let forced = b.forced_decisions()?;
    let mut events = Vec::new();
    for ev in &sc.events {
        events.push(b.node(ev, NodeKind::Event, &meta, &forced, &clamped)?);
    }
    let mut processes = Vec::new();
    for p in &sc.processes {
        processes.push(b.node(p, NodeKind::Process, &meta, &forced, &clamped)?);
    }
    super::nodes::link_stales(&mut events, &mut processes);
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
    let flags = b.checks(&sc.flags)?;
    let metrics = b.metrics()?;
    let stop_when = match &sc.header.stop_when {
        Some(s) => Some(b.expr(s.file, &s.value, None, Type::Bool)?),
        None => None,
    };
    Ok(Program {
        meta,
        slots: b.slots,
        initial: b.initial,
        params,
        actors,
        beliefs,
        events,
        processes,
        outcomes,
        flags,
        metrics,
        stop_when,
        lanes: b.lanes,
        changes: sc.changes.clone(),
    })
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
    let month = |item: &Option<Item<Spanned<String>>>, what: &str| -> Result<Month, Diagnostic> {
        let item = item
            .as_ref()
            .ok_or_else(|| missing(what, &format!("{what} = \"1950-06\"")))?;
        Month::parse(item.get())
            .ok_or_else(|| Diagnostic::at("malformed date", item.span(), "a date such as \"1950-06\""))
    };
    let id = h.id.as_ref().ok_or_else(|| missing("id", "id = \"my_scenario\""))?;
    let start = month(&h.start, "start")?;
    let horizon = month(&h.horizon, "horizon")?;
    if horizon < start {
        let at = h.horizon.as_ref().map(Item::span).expect("horizon was read above"); // ok: `month` returned it
        return Err(Diagnostic::at(
            "the horizon is before the start",
            at,
            format!("a date on or after {start}"),
        ));
    }
    if horizon.since(start) >= MAX_MONTHS {
        let at = h.horizon.as_ref().map(Item::span).expect("horizon was read above"); // ok: `month` returned it
        return Err(Diagnostic::at(
            "the timeline is too long",
            at,
            format!("at most {MAX_MONTHS} months after the start"),
        ));
    }
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
        file: sc.file.clone(),
        extends: sc.extends.clone(),
        start,
        horizon,
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
    slots: Vec<SlotInfo>,
    initial: Vec<f64>,
    lanes: Vec<u64>,
    lane_ids: HashSet<u64>,
}

/// The span of a value written in short form (inner span 0..0) is the outer one.
pub(super) fn inner_span<T>(inner: &Spanned<T>, outer: Range<usize>) -> Range<usize> {
    if inner.span() == (0..0) { outer } else { inner.span() }
}

fn scalar_value(s: &Scalar) -> Option<(f64, Type)> {
    match s {
        Scalar::Num(n) => Some((*n, Type::Num)),
        Scalar::Bool(b) => Some((f64::from(u8::from(*b)), Type::Bool)),
        Scalar::Str(_) => None,
    }
}

impl Builder<'_> {
    fn slot(&mut self, name: &str, ty: Type, initial: f64) -> u32 {
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
            ));
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

    fn params(&mut self) -> Result<Vec<Param>, Diagnostic> {
        let mut out = Vec::new();
        for item in &self.sc.params {
            let (file, def) = (item.file, &item.value);
            let name = def.name.get_ref();
            let decl = &def.decl.get_ref().0;
            let at = |s: &Spanned<Vec<f64>>| Span::new(file, s.span());
            let bad = |s: Span, e: String| Diagnostic::at(format!("bad distribution for parameter `{name}`"), s, e);
            let pair = |s: &Spanned<Vec<f64>>, what: &str| -> Result<(f64, f64), Diagnostic> {
                match s.get_ref()[..] {
                    [a, b] => Ok((a, b)),
                    _ => Err(bad(at(s), format!("two numbers: {what}"))),
                }
            };
            let given: Vec<&str> = [
                ("value", decl.value.is_some()),
                ("uniform", decl.uniform.is_some()),
                ("beta", decl.beta.is_some()),
                ("triangular", decl.triangular.is_some()),
                ("normal", decl.normal.is_some()),
                ("bernoulli", decl.bernoulli.is_some()),
            ]
            .into_iter()
            .filter_map(|(k, on)| on.then_some(k))
            .collect();
            let whole = Span::new(file, def.decl.span());
            if given.len() != 1 {
                return Err(Diagnostic::at(
                    format!(
                        "parameter `{name}` needs exactly one of value, uniform, beta, triangular, normal, bernoulli"
                    ),
                    whole,
                    if given.is_empty() {
                        "none given".to_string()
                    } else {
                        format!("given: {}", given.join(", "))
                    },
                ));
            }
            if let (Some(w), None) = (&decl.within, &decl.normal) {
                return Err(Diagnostic::at(
                    "`within` applies only to `normal`",
                    at(w),
                    "remove `within`, or use `normal`",
                ));
            }
            let dist = if let Some(v) = &decl.uniform {
                let (lo, hi) = pair(v, "[low, high]")?;
                Some(crate::engine::dist::Dist::uniform(lo, hi).map_err(|e| bad(at(v), e))?)
            } else if let Some(v) = &decl.beta {
                let (a, b2) = pair(v, "[alpha, beta]")?;
                Some(crate::engine::dist::Dist::beta(a, b2).map_err(|e| bad(at(v), e))?)
            } else if let Some(v) = &decl.triangular {
                match v.get_ref()[..] {
                    [lo, mode, hi] => {
                        Some(crate::engine::dist::Dist::triangular(lo, mode, hi).map_err(|e| bad(at(v), e))?)
                    }
                    _ => return Err(bad(at(v), "three numbers: [low, mode, high]".into())),
                }
            } else if let Some(v) = &decl.normal {
                let (mean, sd) = pair(v, "[mean, sd]")?;
                let within = match &decl.within {
                    Some(w) => Some(pair(w, "[low, high]")?),
                    None => None,
                };
                Some(crate::engine::dist::Dist::normal(mean, sd, within).map_err(|e| bad(at(v), e))?)
            } else if let Some(p) = &decl.bernoulli {
                let span = Span::new(file, inner_span(p, def.decl.span()));
                Some(
                    crate::engine::dist::Dist::bernoulli(*p.get_ref())
                        .map_err(|e| Diagnostic::at(format!("probability out of range for `{name}`"), span, e))?,
                )
            } else {
                None
            };
            let range = match &decl.range {
                Some(r) => {
                    let (lo, hi) = pair(r, "[low, high]")?;
                    if lo.is_nan() || hi.is_nan() || lo > hi {
                        return Err(bad(at(r), "[low, high] with low <= high".into()));
                    }
                    Some((lo, hi))
                }
                None => None,
            };
            let (value, ty, initial) = match dist {
                Some(dist) => {
                    let ty = if matches!(dist, crate::engine::dist::Dist::Bernoulli { .. }) {
                        Type::Bool
                    } else {
                        Type::Num
                    };
                    let lane = self.lanes(&format!("parameter/{name}"), 1, whole.clone())?;
                    (ParamValue::Drawn { dist, lane }, ty, 0.0)
                }
                None => {
                    let v = decl.value.as_ref().expect("exactly one form was given"); // ok: counted above
                    let (x, ty) = scalar_value(v.get_ref()).ok_or_else(|| {
                        Diagnostic::at(
                            "a parameter value must be a number or true/false",
                            Span::new(file, inner_span(v, def.decl.span())),
                            "a number or true/false",
                        )
                    })?;
                    (ParamValue::Fixed(x), ty, x)
                }
            };
            let slot = self.slot(name, ty, initial);
            out.push(Param {
                name: name.clone(),
                slot,
                ty,
                value,
                range,
                doc: decl.doc.clone(),
                assumption: decl.assumption.clone(),
            });
        }
        Ok(out)
    }

    /// Declares state variables; returns those clamped by `do(state.x = v)`.
    fn state(&mut self) -> Result<HashSet<u32>, Diagnostic> {
        for item in &self.sc.state {
            let def = &item.value;
            let decl = &def.decl.get_ref().0;
            let value_at = |s: Range<usize>| Span::new(item.file, s);
            let Some(init) = &decl.initial else {
                return Err(Diagnostic::at(
                    "state variable has no initial value",
                    value_at(def.decl.span()),
                    "{ initial = ... }",
                ));
            };
            let (x, ty) = scalar_value(init.get_ref()).ok_or_else(|| {
                Diagnostic::at(
                    "a state variable starts as a number or true/false",
                    value_at(inner_span(init, def.decl.span())),
                    "a number or true/false",
                )
            })?;
            self.slot(&format!("state.{}", def.name.get_ref()), ty, x);
        }
        let mut clamped = HashSet::new();
        for item in &self.sc.interventions {
            let iv = &item.value;
            let Some(name) = iv.target.get_ref().strip_prefix("state.") else {
                continue;
            };
            let at = |s: Range<usize>| Span::new(item.file, s);
            let Some(&(slot, ty)) = self.names.slots.get(&format!("state.{name}")) else {
                let known: Vec<String> = self
                    .sc
                    .state
                    .iter()
                    .map(|s| format!("state.{}", s.value.name.get_ref()))
                    .collect();
                let known: Vec<&str> = known.iter().map(String::as_str).collect();
                return Err(Diagnostic::at(
                    format!("no state variable `{name}`"),
                    at(iv.target.span()),
                    "a state variable of the scenario",
                )
                .with_help(crate::scenario::suggest(iv.target.get_ref(), &known)));
            };
            let value = scalar_value(iv.value.get_ref())
                .filter(|(_, t)| *t == ty)
                .ok_or_else(|| {
                    Diagnostic::at(
                        format!("`{}` holds {ty}", iv.target.get_ref()),
                        at(iv.value.span()),
                        format!("{ty}"),
                    )
                })?;
            self.initial[slot as usize] = value.0;
            clamped.insert(slot);
        }
        Ok(clamped)
    }

    /// `do(event = true|false)`: forced decisions by node id.
    fn forced_decisions(&self) -> Result<HashMap<String, bool>, Diagnostic> {
        let ids: Vec<&str> = self
            .sc
            .events
            .iter()
            .chain(&self.sc.processes)
            .map(|e| e.get().id.get_ref().as_str())
            .collect();
        let mut forced = HashMap::new();
        for item in &self.sc.interventions {
            let iv = &item.value;
            let target = iv.target.get_ref();
            if target.starts_with("state.") {
                continue;
            }
            let at = |s: Range<usize>| Span::new(item.file, s);
            if !ids.contains(&target.as_str()) {
                return Err(Diagnostic::at(
                    format!("nothing named `{target}` to force"),
                    at(iv.target.span()),
                    "an event or process id, or state.NAME",
                )
                .with_help(crate::scenario::suggest(target, &ids)));
            }
            let Scalar::Bool(v) = iv.value.get_ref() else {
                return Err(Diagnostic::at(
                    "a decision is forced to true or false",
                    at(iv.value.span()),
                    "true or false",
                ));
            };
            forced.insert(target.clone(), *v);
        }
        Ok(forced)
    }
}
