//! A branch told as a dated narrative: who decided what, on which values,
//! against which bar, citing the evidence behind each event.

use super::decide::{Decision, Why};
use super::trace::Trace;
use crate::program::{Node, NodeKind, Param, Program, Rule, Term};
use crate::stats::Record;
use std::collections::HashMap;

/// What a line of a story is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LineKind {
    /// Something that happened or was decided, dated.
    Told,
    /// Detail under the line before it: a council member's vote, a value drawn.
    Detail,
    /// The evidence cited for the line before it.
    Evidence,
    /// How the branch ends: its result, flags and metrics (`date` names which).
    End,
}

/// One line of a story.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Line {
    pub date: String,
    pub kind: LineKind,
    pub text: String,
}

/// A parameter drawn for the branch.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Drawn {
    pub name: String,
    pub value: String,
    pub assumption: Option<String>,
}

/// A run of "no" steps of a process being told as one line.
#[derive(Debug, Clone)]
struct QuietRun {
    line: usize,
    first_step: u32,
    /// The tick of its last step, and the reason its steps share.
    last_tick: u32,
    reason: String,
}

/// Collects a readable, dated account of one branch.
#[derive(Default)]
pub struct Narrative {
    /// The parameters drawn.
    pub draws: Vec<Drawn>,
    /// The story, in order.
    pub lines: Vec<Line>,
    date: String,
    tick: u32,
    /// Runs of "no" steps of a process, told as one line, by process id.
    quiet: HashMap<String, QuietRun>,
    /// Council members' votes, told after the council's decision.
    votes: Vec<Line>,
    /// Processes whose evidence has been cited already.
    cited: std::collections::HashSet<String>,
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// What one term adds: `id: value × weight = contribution`.
/// What each term adds, and its share of all the terms' pull (the sum of
/// their sizes): `id: value × weight = contribution (share%)`.
fn terms(t: &[Term], slots: &[f64]) -> String {
    let mut stack = crate::expr::Stack::default();
    let parts: Vec<(String, f64)> = t
        .iter()
        .map(|t| {
            let (v, w) = (t.value.eval(slots, &mut stack), t.weight.eval(slots, &mut stack));
            (format!("{} {v:.3} × {w:.3} = {:+.3}", t.id, v * w), v * w)
        })
        .collect();
    let pull: f64 = parts.iter().map(|(_, c)| c.abs()).sum();
    parts
        .into_iter()
        .map(|(text, c)| {
            if pull > 0.0 {
                format!("{text} ({:.0}%)", 100.0 * c.abs() / pull)
            } else {
                text
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Why a rule decided as it did, in words.
pub fn reason(node: &Node, rule: Option<&Rule>, d: &Decision, slots: &[f64]) -> String {
    let base = |w: &crate::program::Weighed| w.base.eval(slots, &mut crate::expr::Stack::default());
    match (&d.why, rule) {
        (Why::Forced, _) => "forced by intervention (do)".to_string(),
        (Why::Chance { p, u }, _) if u.is_nan() => format!("chance: certain (p = {p})"),
        (Why::Chance { p, u }, _) => format!("chance: drew {u:.3} against p = {p:.3}"),
        (Why::Hazard { p, fires }, rule) => {
            let terms = match rule {
                Some(Rule::Weighed(w)) => format!(
                    "weighed (log-odds): base {:+.3}; {} → ",
                    base(w),
                    terms(&w.terms, slots)
                ),
                _ => "chance ".to_string(),
            };
            let verdict = if *fires {
                "the waiting time drawn for it runs out now"
            } else {
                "not yet"
            };
            format!("{terms}p = {p:.3} per {}: {verdict}", node.step_name)
        }
        (Why::Condition, _) => "condition".to_string(),
        (
            Why::Threshold { quantity, limit, below },
            Some(Rule::Threshold {
                quantity_text,
                limit_text,
                ..
            }),
        ) => {
            let ok = if *below { quantity < limit } else { quantity > limit };
            let rel = match (*below, ok) {
                (true, true) => "<",
                (true, false) => ">=",
                (false, true) => ">",
                (false, false) => "<=",
            };
            format!("threshold: {quantity_text} = {quantity:.3} {rel} {limit_text} = {limit:.3}")
        }
        (Why::Weighed { p: Some(pv), u, .. }, Some(Rule::Weighed(w))) => {
            let drew = if u.is_nan() {
                "certain".to_string()
            } else {
                format!("drew {u:.3}")
            };
            format!(
                "weighed (log-odds): base {:+.3}; {} → p = {pv:.3}; {drew}",
                base(w),
                terms(&w.terms, slots)
            )
        }
        (
            Why::Weighed {
                score,
                bar: Some((l, below)),
                ..
            },
            Some(Rule::Weighed(w)),
        ) => format!(
            "weighed (utility): {} → sum {score:.3} {} bar {l:.3}",
            terms(&w.terms, slots),
            if *below {
                "against the upper"
            } else {
                "against the lower"
            }
        ),
        (
            Why::Dependence {
                follows,
                pull,
                u,
                wants,
            },
            Some(Rule::Dependence(dep)),
        ) => {
            let names: Vec<&str> = dep.patrons.iter().map(|x| x.actor.as_str()).collect();
            match follows {
                Some(i) if dep.patrons.len() == 1 || dep.combine == crate::program::Combine::InOrder => format!(
                    "dependence on {} ({pull:.2} in all): follows {}, who wants {}",
                    names.join(", "),
                    names[*i],
                    yes_no(*wants)
                ),
                Some(_) => format!(
                    "dependence on {} together ({pull:.2}): they agree on {}, and it follows",
                    names.join(" and "),
                    yes_no(*wants)
                ),
                None => format!(
                    "dependence on {} ({pull:.2}): drew {u:.3}, acts on its own preference",
                    names.join(", ")
                ),
            }
        }
        (
            Why::Analogy {
                case,
                closest,
                similarity,
                needed,
            },
            Some(Rule::Analogy(a)),
        ) => match case {
            Some(c) => format!(
                "analogy: closest case {} (similarity {similarity:.2} >= {needed:.2}), lesson: {}",
                a.cases[*c].name,
                node.option_name(a.cases[*c].lesson)
            ),
            None => format!(
                "analogy: closest case {} only {similarity:.2} similar (needs {needed:.2}); default",
                a.cases[*closest].name
            ),
        },
        (Why::Choice { u }, Some(Rule::Choice(c))) => {
            let mut stack = crate::expr::Stack::default();
            let scores: Vec<String> = node
                .options
                .iter()
                .zip(&c.scores)
                .map(|(o, (s, _))| format!("{} {:.3}", o.id, s.eval(slots, &mut stack)))
                .collect();
            let how = match c.select {
                crate::program::Select::Best => "the best".to_string(),
                crate::program::Select::Softmax => format!("softmax, drew {u:.3}"),
                crate::program::Select::Weighted => format!("by weight, drew {u:.3}"),
            };
            format!("choice ({how}) among {}", scores.join(", "))
        }
        (Why::Council { yes, needed }, Some(Rule::Council(c))) => format!(
            "council: {yes} of {} say yes; it needs {} ({needed})",
            c.members.len(),
            c.needs_text
        ),
        (why, _) => format!("{why:?}"),
    }
}

impl Narrative {
    fn push(&mut self, kind: LineKind, date: &str, text: String) {
        self.lines.push(Line {
            date: date.to_string(),
            kind,
            text,
        });
    }

    fn dated(&mut self, text: String) {
        let date = self.date.clone();
        self.push(LineKind::Told, &date, text);
    }

    /// The evidence behind a node: for an event each time it is told, for
    /// a process the first time.
    fn cite(&mut self, node: &Node) {
        let Some(e) = &node.evidence else { return };
        if node.kind == NodeKind::Event || self.cited.insert(node.id.clone()) {
            let date = self.date.clone();
            self.push(LineKind::Evidence, &date, e.clone());
        }
    }

    /// The story as text, each line wrapped to `width` columns under its
    /// own indent (dates in a column of their own).
    pub fn text(&self, width: usize) -> String {
        let mut out = String::new();
        for line in &self.lines {
            let (first, rest) = match line.kind {
                LineKind::Told | LineKind::End => (format!("{:<10} ", line.date), " ".repeat(13)),
                LineKind::Detail => (" ".repeat(11), " ".repeat(13)),
                LineKind::Evidence => (format!("{}evidence: ", " ".repeat(11)), " ".repeat(13)),
            };
            out += &wrap(&line.text, width, &first, &rest);
        }
        out
    }

    /// The parameters drawn, as text wrapped to `width` columns.
    pub fn draws_text(&self, width: usize) -> String {
        let mut out = String::new();
        for d in &self.draws {
            let note = d
                .assumption
                .as_deref()
                .map(|a| format!(" [assumption: {a}]"))
                .unwrap_or_default();
            out += &wrap(
                &format!("{} = {}{note}", d.name, d.value),
                width,
                "drawn    ",
                &" ".repeat(11),
            );
        }
        out
    }
}

/// Wraps `text` after `first`, continuing after `rest`, in `width` columns
/// (a word longer than the room left stands on a line of its own).
fn wrap(text: &str, width: usize, first: &str, rest: &str) -> String {
    let mut out = String::new();
    let mut line = first.to_string();
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + word.chars().count() > width {
            out += line.trim_end();
            out.push('\n');
            line = rest.to_string();
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out += line.trim_end();
    out.push('\n');
    out
}

impl Trace for Narrative {
    fn param(&mut self, param: &Param, value: f64) {
        let v = match param.ty {
            crate::expr::Type::Bool => (value != 0.0).to_string(),
            _ => format!("{value:.4}"),
        };
        self.draws.push(Drawn {
            name: param.name.clone(),
            value: v,
            assumption: param.assumption.clone(),
        });
    }

    fn tick(&mut self, p: &Program, tick: u32) {
        self.date = p.meta.clock.format(tick);
        self.tick = tick;
    }

    fn node(&mut self, p: &Program, node: &Node, step: u32, decision: Option<&Decision>, fired: bool, slots: &[f64]) {
        let who = node.actor.as_deref().map(|a| format!("[{a}] ")).unwrap_or_default();
        let process = node.kind == NodeKind::Process;
        let step_note = if process {
            format!(" ({} {})", node.step_name, step + 1)
        } else {
            String::new()
        };
        let Some(d) = decision else {
            if fired {
                self.dated(format!("{who}{}{step_note}", node.label));
                self.cite(node);
            } else if !process {
                self.dated(format!("(not reached: {})", node.id));
            }
            return;
        };
        let why = reason(node, node.rule.as_deref(), d, slots);
        if process {
            // Consecutive "no"s of a process for the same reasons (the
            // uniforms drawn aside) make one line; a pause (the process
            // slept) starts a new one.
            let key = match &d.why {
                Why::Chance { p, .. } => format!("chance p = {p:.3} each {}", node.step_name),
                _ => why.split("; drew").next().unwrap_or(&why).to_string(),
            };
            let next_turn = |last: u32| match node.every {
                Some(period) => period.step(&p.meta.clock, last, 1),
                None => i64::from(last),
            };
            let run = self
                .quiet
                .get(&node.id)
                .cloned()
                .filter(|r| r.reason == key && next_turn(r.last_tick) == i64::from(self.tick));
            match (node.fires(d.option), run) {
                (false, Some(run)) if self.lines.len() > run.line => {
                    self.lines[run.line].text = format!(
                        "{who}{} ({}s {}-{}): NO each {} to {} — {}",
                        node.label,
                        node.step_name,
                        run.first_step + 1,
                        step + 1,
                        node.step_name,
                        self.date,
                        run.reason
                    );
                    if let Some(r) = self.quiet.get_mut(&node.id) {
                        r.last_tick = self.tick;
                    }
                    return;
                }
                (false, _) => {
                    self.quiet.insert(
                        node.id.clone(),
                        QuietRun {
                            line: self.lines.len(),
                            first_step: step,
                            last_tick: self.tick,
                            reason: key,
                        },
                    );
                }
                (true, _) => {
                    self.quiet.remove(&node.id);
                }
            }
        }
        let verdict = match node.options.is_empty() {
            true => (if d.yes() { "YES" } else { "NO" }).to_string(),
            false => node.option_name(d.option).to_uppercase(),
        };
        self.dated(format!("{who}{}{step_note}: {verdict} — {why}", node.label));
        let votes = std::mem::take(&mut self.votes);
        self.lines.extend(votes);
        self.cite(node);
    }

    fn drew(&mut self, p: &Program, slot: u32, value: f64) {
        let name = &p.slots[slot as usize].name;
        let date = self.date.clone();
        self.push(LineKind::Detail, &date, format!("drew {name} = {value:.4}"));
    }

    fn member(&mut self, _p: &Program, node: &Node, member: usize, d: &Decision, slots: &[f64]) {
        let Some(Rule::Council(c)) = node.rule.as_deref() else {
            return;
        };
        let m = &c.members[member];
        let why = reason(node, Some(&m.rule), d, slots);
        self.votes.push(Line {
            date: self.date.clone(),
            kind: LineKind::Detail,
            text: format!("{} votes {} — {why}", m.actor, if d.yes() { "yes" } else { "no" }),
        });
    }

    fn stop(&mut self, p: &Program, tick: u32) {
        self.push(
            LineKind::Told,
            &p.meta.clock.format(tick),
            "the branch ends (stop condition holds)".into(),
        );
    }

    fn finish(&mut self, p: &Program, record: &Record, _slots: &[f64]) {
        let o = &p.outcomes[record.outcome];
        self.push(LineKind::End, "result", format!("{} ({})", o.label, o.id));
        let flags: Vec<&str> = p
            .flags
            .iter()
            .zip(&record.flags)
            .filter(|(_, on)| **on)
            .map(|(f, _)| f.id.as_str())
            .collect();
        let flags = if flags.is_empty() {
            "none".to_string()
        } else {
            flags.join(", ")
        };
        self.push(LineKind::End, "flags", flags);
        for (m, v) in p.metrics.iter().zip(&record.metrics) {
            let value = v.map_or("absent".to_string(), |q| {
                let x = crate::stats::moments::unfixed(q);
                if x.fract() == 0.0 {
                    format!("{x}")
                } else {
                    format!("{x:.4}")
                }
            });
            self.push(LineKind::End, "metric", format!("{} = {value}", m.id));
        }
    }
}
