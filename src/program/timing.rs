//! Compiles when nodes are due: fixed dates, dates computed from the
//! parameters, timing after another node (with a delay), watch windows and
//! the periods of processes; and checks that no delays form a cycle.

use super::build::Builder;
use super::*;
use crate::diagnostic::{Diagnostic, FileId, Span};
use crate::scenario::NodeDef;
use crate::scenario::raw::{After, ExprSrc};
use crate::time::CivilDate;
use std::collections::HashMap;
use toml::Spanned;

impl Period {
    /// The tick of grid step `k` of a process whose step 0 is at `origin`.
    pub fn step(self, clock: &Clock, origin: u32, k: u32) -> i64 {
        match self {
            Period::Ticks(p) => i64::from(origin) + i64::from(k) * i64::from(p),
            Period::Calendar(d) => clock.after(
                origin,
                Duration {
                    count: d.count * i64::from(k),
                    unit: d.unit,
                },
            ),
        }
    }

    /// How many grid steps from `origin` fall on or before `last`.
    pub fn steps_until(self, clock: &Clock, origin: u32, last: u32) -> u64 {
        if last < origin {
            return 0;
        }
        match self {
            Period::Ticks(p) => u64::from((last - origin) / p) + 1,
            Period::Calendar(_) => {
                let mut k = 0;
                while self.step(clock, origin, k) <= i64::from(last) {
                    k += 1;
                }
                u64::from(k)
            }
        }
    }
}

/// Whether a text is meant as a date (it starts like one) rather than an expression.
fn looks_like_date(text: &str) -> bool {
    let t = text.trim().trim_start_matches('-');
    t.len() >= 4 && t.as_bytes()[..4].iter().all(u8::is_ascii_digit)
}

impl Builder<'_> {
    /// A date on the clock: a tick within the timeline.
    pub(super) fn date(&self, file: FileId, d: &Spanned<String>, clock: &Clock) -> Result<u32, Diagnostic> {
        clock
            .tick_in_timeline(d.get_ref())
            .map_err(|e| Diagnostic::at(e.message, Span::new(file, d.span()), e.expected))
    }

    /// A duration written as `7d`, `2h`, `1 month`.
    pub(super) fn duration(&self, file: FileId, d: &Spanned<String>) -> Result<Duration, Diagnostic> {
        Duration::parse(d.get_ref()).filter(|d| d.count >= 1).ok_or_else(|| {
            Diagnostic::at(
                "malformed duration",
                Span::new(file, d.span()),
                "a duration such as \"7d\", \"2h\", \"3 weeks\" or \"1 month\"",
            )
        })
    }

    /// When a node is due: `date`, `after`, or (a process) the start.
    pub(super) fn timing(
        &mut self,
        def: &NodeDef,
        kind: NodeKind,
        clock: &Clock,
        index: &HashMap<&str, u32>,
        options: &HashMap<&str, Vec<String>>,
    ) -> Result<Timing, Diagnostic> {
        // The newest declaration that gives either key decides.
        let layer = def
            .layers
            .iter()
            .rev()
            .find(|l| l.get().date.is_some() || l.get().after.is_some());
        let Some(layer) = layer else {
            return match kind {
                NodeKind::Process => Ok(Timing::At(0)),
                NodeKind::Event => Err(Diagnostic::at(
                    format!("event `{}` has no date", def.id().get_ref()),
                    Span::new(def.newest().file, def.id().span()),
                    "date = \"...\" or after = { event = \"...\" }",
                )),
            };
        };
        let file = layer.file;
        match (&layer.get().date, &layer.get().after) {
            (Some(_), Some(a)) => Err(Diagnostic::at(
                "a node is timed by `date` or by `after`, not both",
                Span::new(file, a.span()),
                "remove `date` or `after`",
            )),
            (Some(d), None) if looks_like_date(d.get_ref()) || CivilDate::parse(d.get_ref()).is_some() => {
                Ok(Timing::At(self.date(file, d, clock)?))
            }
            (Some(d), None) => {
                let src = Spanned::new(
                    d.span(),
                    ExprSrc {
                        text: d.get_ref().clone(),
                    },
                );
                let code = self.expr(file, &src, None, Type::Num)?;
                let params = 1..=self.sc.params.len() as u32;
                if code.loads().any(|s| !params.contains(&s)) {
                    return Err(Diagnostic::at(
                        "a date may depend only on parameters",
                        Span::new(file, d.span()),
                        "a date such as \"1962-10-16\", or an expression of parameters such as \"@1962-10-14 + days(lag)\"",
                    ));
                }
                Ok(Timing::AtExpr(code))
            }
            (None, Some(a)) => self.after(file, a, clock, index, options),
            (None, None) => unreachable!("the layer gives date or after"), // ok: found by that test above
        }
    }

    fn after(
        &mut self,
        file: FileId,
        a: &Spanned<After>,
        clock: &Clock,
        index: &HashMap<&str, u32>,
        options: &HashMap<&str, Vec<String>>,
    ) -> Result<Timing, Diagnostic> {
        let a = a.get_ref();
        let name = a.event.get_ref().as_str();
        let Some(&anchor) = index.get(name) else {
            let known: Vec<&str> = index.keys().copied().collect();
            return Err(Diagnostic::at(
                format!("no event or process `{name}` to be timed after"),
                Span::new(file, a.event.span()),
                "the id of an event or process",
            )
            .with_help(crate::scenario::suggest(name, &known)));
        };
        let option = match &a.option {
            None => None,
            Some(o) => {
                let list = options.get(name).map(Vec::as_slice).unwrap_or(&[]);
                let yes_no = ["no".to_string(), "yes".to_string()];
                let list = if list.is_empty() { &yes_no[..] } else { list };
                let i = list.iter().position(|x| x == o.get_ref()).ok_or_else(|| {
                    Diagnostic::at(
                        format!("`{name}` has no option `{}`", o.get_ref()),
                        Span::new(file, o.span()),
                        format!("one of {}", list.join(", ")),
                    )
                })?;
                Some(i as u32)
            }
        };
        let delay_text = a.delay.as_ref().map_or(String::new(), |d| d.get_ref().text.clone());
        let delay = match &a.delay {
            None => Delay::Ticks(0),
            Some(d) => match crate::time::Duration::parse(&d.get_ref().text) {
                Some(dur) => match clock.whole_ticks(dur) {
                    Some(n) => Delay::Ticks(n),
                    None => Delay::Calendar(dur),
                },
                None => Delay::Expr(self.expr(file, d, None, Type::Num)?),
            },
        };
        Ok(Timing::After {
            anchor,
            option,
            delay,
            delay_text,
        })
    }

    /// `until` (a date) or `within` (a duration from the start).
    pub(super) fn until(&self, def: &NodeDef, clock: &Clock) -> Result<Option<Until>, Diagnostic> {
        let layer = def
            .layers
            .iter()
            .rev()
            .find(|l| l.get().until.is_some() || l.get().within.is_some());
        let Some(layer) = layer else { return Ok(None) };
        Ok(Some(match (&layer.get().until, &layer.get().within) {
            (Some(_), Some(w)) => {
                return Err(Diagnostic::at(
                    "give `until` or `within`, not both",
                    Span::new(layer.file, w.span()),
                    "one end for the window",
                ));
            }
            (Some(u), None) => Until::Tick(
                clock
                    .last_tick_in_timeline(u.get_ref())
                    .map_err(|e| Diagnostic::at(e.message, Span::new(layer.file, u.span()), e.expected))?,
            ),
            (None, Some(w)) => Until::Within(self.duration(layer.file, w)?),
            (None, None) => unreachable!("the layer gives until or within"), // ok: found by that test above
        }))
    }

    /// A process's period: `every`, or one tick.
    pub(super) fn every(&self, def: &NodeDef, clock: &Clock) -> Result<Period, Diagnostic> {
        let Some((file, e)) = def.get(|ev| ev.every.as_ref()) else {
            return Ok(Period::Ticks(1));
        };
        let d = self.duration(file, e)?;
        match clock.whole_ticks(d) {
            Some(n) => Ok(Period::Ticks(n)),
            None if matches!(d.unit, crate::time::Unit::Month | crate::time::Unit::Year) => Ok(Period::Calendar(d)),
            None => Err(Diagnostic::at(
                format!("`every` must be a whole number of ticks ({})", clock.tick),
                Span::new(file, e.span()),
                format!("a multiple of {}", clock.tick),
            )),
        }
    }
}

/// Checks that no node is timed, through a chain of `after`s, after itself
/// (each node has at most one anchor, so one walk from each node, never
/// repeating a finished one, finds every cycle in linear time).
pub(super) fn check_cycles(nodes: &[&NodeDef], anchors: &[Option<u32>]) -> Result<(), Diagnostic> {
    let mut state = vec![0u8; anchors.len()]; // 0 new, 1 on this walk, 2 done
    for start in 0..anchors.len() {
        let mut walk = Vec::new();
        let mut at = Some(start as u32);
        while let Some(n) = at {
            match state[n as usize] {
                2 => break,
                1 => {
                    let first = walk.iter().position(|&w| w == n).unwrap_or(0);
                    let cycle = &walk[first..];
                    let def = nodes[n as usize];
                    let (file, a) = def.get(|e| e.after.as_ref()).expect("a node in a cycle has an anchor"); // ok: anchors come from `after`
                    let names: Vec<&str> = cycle
                        .iter()
                        .chain([&n])
                        .map(|&k| nodes[k as usize].id().get_ref().as_str())
                        .collect();
                    return Err(Diagnostic::at(
                        "events are timed after each other in a cycle",
                        Span::new(file, a.span()),
                        names.join(" after "),
                    ));
                }
                _ => {
                    state[n as usize] = 1;
                    walk.push(n);
                    at = anchors[n as usize];
                }
            }
        }
        for w in walk {
            state[w as usize] = 2;
        }
    }
    Ok(())
}

impl Program {
    /// When a node is due, in words and in the scenario's own dates:
    /// "1950-06", "every day from 1962-10-16 to 1962-10-28", "2 days after
    /// `strike`".
    pub fn timing_text(&self, node: &Node) -> String {
        let clock = &self.meta.clock;
        let start = match &node.timing {
            Timing::At(t) => clock.format(*t),
            Timing::AtExpr(_) => "a date set by the parameters".to_string(),
            Timing::After {
                anchor,
                option,
                delay,
                delay_text,
            } => {
                let a = self.node(*anchor);
                let what = match option {
                    Some(o) => format!("`{}` picks {}", a.id, a.option_name(*o)),
                    None => format!("`{}`", a.id),
                };
                match (delay, Duration::parse(delay_text)) {
                    (Delay::Ticks(0), _) => format!("when {what}"),
                    (_, Some(d)) => format!("{d} after {what}"),
                    _ => format!("{delay_text} after {what}"),
                }
            }
        };
        let end = match node.until {
            Some(Until::Tick(t)) => format!(" to {}", clock.format(t)),
            Some(Until::Within(d)) => format!(" for {d}"),
            None => String::new(),
        };
        match (node.kind, node.every) {
            (NodeKind::Process, Some(_)) => {
                let every = &node.every_text;
                let from = if matches!(node.timing, Timing::At(_)) {
                    "from "
                } else {
                    ""
                };
                format!("every {every} {from}{start}{end}")
            }
            _ if node.until.is_some() => format!("watched from {start}{end}"),
            _ => start,
        }
    }
}
