//! What a branch can report as it runs: nothing (the hot loop), or a dated
//! narrative of who decided what, on which values, citing the evidence.

use crate::program::{Node, Param, Program, Rule};
use crate::scenario::date::Month;
use crate::stats::Record;

/// A decision and why it went the way it did.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub yes: bool,
    pub why: Why,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Why {
    /// `do(node = value)`.
    Forced,
    Chance {
        p: f64,
        u: f64,
    },
    Condition,
    Threshold {
        quantity: f64,
        limit: f64,
        below: bool,
    },
    /// Followed the patron's wish if `follows` (u < dependence), else its own.
    Dependence {
        dependence: f64,
        u: f64,
        follows: bool,
        wants: bool,
    },
    /// `case`: the case acted on, if the closest was similar enough.
    Analogy {
        case: Option<usize>,
        closest: usize,
        similarity: f64,
        needed: f64,
    },
}

/// Observer of a running branch. Every method defaults to doing nothing, so
/// the engine's hot loop, with [`NoTrace`], pays nothing for it.
pub trait Trace {
    /// Whether this trace ignores everything, so that the engine may skip
    /// over a run of monthly "no" decisions instead of telling each one.
    const SILENT: bool = false;
    fn param(&mut self, _param: &Param, _value: f64) {}
    fn month(&mut self, _month: Month) {}
    fn node(&mut self, _p: &Program, _node: &Node, _step: u32, _decision: Option<&Decision>, _fired: bool) {}
    fn stop(&mut self, _month: Month) {}
    fn finish(&mut self, _p: &Program, _record: &Record, _slots: &[f64]) {}
}

pub struct NoTrace;
impl Trace for NoTrace {
    const SILENT: bool = true;
}

/// Collects a readable, dated account of one branch.
#[derive(Default)]
pub struct Narrative {
    pub lines: Vec<String>,
    month: Option<Month>,
    /// Runs of monthly "no" decisions of a process, told as one line:
    /// process id → (line index, first month, first step, the rule's reason).
    quiet: std::collections::HashMap<String, (usize, Month, u32)>,
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

impl Narrative {
    fn dated(&mut self, text: String) {
        let date = self.month.map(|m| m.to_string()).unwrap_or_default();
        self.lines.push(format!("{date:<8} {text}"));
    }
}

impl Trace for Narrative {
    fn param(&mut self, param: &Param, value: f64) {
        let note = param
            .assumption
            .as_deref()
            .map(|a| format!("  [assumption: {a}]"))
            .unwrap_or_default();
        self.lines.push(format!(
            "drawn    {} = {}{note}",
            param.name,
            fmt_value(value, param.ty)
        ));
    }

    fn month(&mut self, month: Month) {
        self.month = Some(month);
    }

    fn node(&mut self, p: &Program, node: &Node, step: u32, decision: Option<&Decision>, fired: bool) {
        let who = node.actor.as_deref().map(|a| format!("[{a}] ")).unwrap_or_default();
        let step_note = if node.kind == crate::program::NodeKind::Process {
            format!(" (month {})", step + 1)
        } else {
            String::new()
        };
        let Some(d) = decision else {
            if fired {
                self.dated(format!("{who}{}{step_note}", node.label));
            } else if node.kind == crate::program::NodeKind::Event {
                self.dated(format!("(not reached: {})", node.id));
            }
            return;
        };
        let why = match (&d.why, &node.rule) {
            (Why::Forced, _) => "forced by intervention (do)".to_string(),
            (Why::Chance { p, u }, _) if u.is_nan() => format!("chance: certain (p = {p})"),
            (Why::Chance { p, u }, _) => format!("chance: drew {u:.3} against p = {p:.3}"),
            (Why::Condition, _) => "condition".to_string(),
            (
                Why::Threshold { quantity, limit, below },
                Some(Rule::Threshold {
                    quantity_text,
                    limit_text,
                    ..
                }),
            ) => {
                let (rel, ok) = if *below {
                    ("<", quantity < limit)
                } else {
                    (">", quantity > limit)
                };
                format!(
                    "threshold: {quantity_text} = {quantity:.3} {} {limit_text} = {limit:.3}",
                    if ok {
                        rel
                    } else if *below {
                        ">="
                    } else {
                        "<="
                    }
                )
            }
            (
                Why::Dependence {
                    dependence,
                    u,
                    follows,
                    wants,
                },
                Some(Rule::Dependence { patron, .. }),
            ) => {
                if *follows {
                    format!(
                        "dependence on {patron} ({dependence:.2}): follows {patron}, who wants {}",
                        yes_no(*wants)
                    )
                } else {
                    format!("dependence on {patron} ({dependence:.2}): drew {u:.3}, acts on own preference")
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
                    yes_no(a.cases[*c].lesson)
                ),
                None => format!(
                    "analogy: closest case {} only {similarity:.2} similar (needs {needed:.2}); default",
                    a.cases[*closest].name
                ),
            },
            (why, _) => format!("{why:?}"),
        };
        let _ = p;
        if node.kind == crate::program::NodeKind::Process {
            // Consecutive monthly "no"s of a process make one line.
            let run = self.quiet.get(&node.id).copied();
            match (d.yes, run) {
                (false, Some((line, first, first_step))) if self.lines.len() > line => {
                    let until = self.month.unwrap_or(first);
                    let why = match d.why {
                        Why::Chance { p, .. } => format!("chance each month, latest p = {p:.3}"),
                        _ => why,
                    };
                    self.lines[line] = format!(
                        "{first}  {who}{} (months {}-{}): NO every month to {until} — {why}",
                        node.label,
                        first_step + 1,
                        step + 1
                    );
                    return;
                }
                (false, None) => {
                    let first = self.month.unwrap_or(Month(0));
                    self.quiet.insert(node.id.clone(), (self.lines.len(), first, step));
                }
                (true, _) => {
                    self.quiet.remove(&node.id);
                }
                _ => {}
            }
        }
        self.dated(format!(
            "{who}{}{step_note}: {} — {why}",
            node.label,
            if d.yes { "YES" } else { "NO" }
        ));
        if node.kind == crate::program::NodeKind::Event {
            if let Some(e) = &node.evidence {
                self.lines.push(format!("         evidence: {e}"));
            }
        }
    }

    fn stop(&mut self, month: Month) {
        self.lines
            .push(format!("{month}  the branch ends (stop condition holds)"));
    }

    fn finish(&mut self, p: &Program, record: &Record, _slots: &[f64]) {
        let o = &p.outcomes[record.outcome];
        self.lines.push(format!("result   {} ({})", o.label, o.id));
        let flags: Vec<&str> = p
            .flags
            .iter()
            .zip(&record.flags)
            .filter(|(_, on)| **on)
            .map(|(f, _)| f.id.as_str())
            .collect();
        self.lines.push(format!(
            "flags    {}",
            if flags.is_empty() {
                "none".to_string()
            } else {
                flags.join(", ")
            }
        ));
        for (m, v) in p.metrics.iter().zip(&record.metrics) {
            let value = v.map_or("absent".to_string(), |q| {
                let x = crate::stats::moments::unfixed(q);
                if x.fract() == 0.0 {
                    format!("{x}")
                } else {
                    format!("{x:.4}")
                }
            });
            self.lines.push(format!("metric   {} = {value}", m.id));
        }
    }
}

fn fmt_value(v: f64, ty: crate::expr::Type) -> String {
    match ty {
        crate::expr::Type::Bool => (v != 0.0).to_string(),
        crate::expr::Type::Num => format!("{v:.4}"),
    }
}
