//! `sim list`: every actor, parameter, belief, state variable, event,
//! process, option, result, flag and metric of a compiled scenario, with
//! what can be `--set` or `--do`ne to it, as a table or as JSON.

use crate::export::table::{WIDTH, wrap};
use crate::program::{NodeKind, ParamValue, Program, Rule};
use serde::Serialize;
use std::fmt::Write;

#[derive(Debug, Clone, Serialize)]
pub struct Catalogue {
    pub id: String,
    pub title: String,
    /// One tick of the clock, and the first and last tick.
    pub tick: String,
    pub start: String,
    pub horizon: String,
    pub actors: Vec<Entry>,
    pub parameters: Vec<Entry>,
    pub beliefs: Vec<Entry>,
    pub state: Vec<Entry>,
    pub events: Vec<NodeEntry>,
    pub outcomes: Vec<Entry>,
    pub flags: Vec<Entry>,
    pub metrics: Vec<Entry>,
}

/// One named thing: its id, what it is, and its documentation.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub id: String,
    pub what: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assumption: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NodeEntry {
    pub id: String,
    /// `event` or `process`.
    pub kind: &'static str,
    pub label: String,
    pub actor: Option<String>,
    pub timing: String,
    /// The rule that decides it (none: it happens when reached).
    pub rule: Option<&'static str>,
    /// What `--do ID=...` takes: `true`/`false`, or its options.
    pub options: Vec<String>,
}

impl Catalogue {
    pub fn of(p: &Program) -> Self {
        let clock = &p.meta.clock;
        let entry = |id: &str, what: String, doc: Option<&String>| Entry {
            id: id.to_string(),
            what,
            doc: doc.cloned(),
            assumption: None,
        };
        let parameters = p
            .params
            .iter()
            .map(|x| Entry {
                id: x.name.clone(),
                what: match &x.value {
                    ParamValue::Fixed(v) if x.ty == crate::expr::Type::Bool => (*v != 0.0).to_string(),
                    ParamValue::Fixed(v) => match x.range {
                        Some((lo, hi)) => format!("{v} (range {lo} to {hi})"),
                        None => v.to_string(),
                    },
                    ParamValue::Drawn { dist, .. } => dist.describe(),
                },
                doc: x.doc.clone(),
                assumption: x.assumption.clone(),
            })
            .collect();
        let beliefs = p
            .beliefs
            .iter()
            .map(|b| {
                let what = match &b.prior {
                    Some(prior) => {
                        let ids: Vec<&str> = b.signals.iter().filter_map(|s| s.id.as_deref()).collect();
                        let named = if ids.is_empty() {
                            String::new()
                        } else {
                            format!(
                                "; --set {}.ID for a signal's shift, ID one of {}",
                                b.name,
                                ids.join(", ")
                            )
                        };
                        format!(
                            "prior {prior} moved by {} signals (--set {}.prior=...{named})",
                            b.signals.len(),
                            b.name
                        )
                    }
                    None => "an expression".to_string(),
                };
                entry(&b.name, what, b.doc.as_ref())
            })
            .collect();
        let state = p
            .slots
            .iter()
            .zip(&p.initial)
            .filter_map(|(s, &v)| {
                let name = s.name.strip_prefix("state.")?;
                let what = match s.ty {
                    crate::expr::Type::Enum(list) => {
                        let values = &p.enums[list as usize];
                        format!("one of {} (starts {})", values.join(", "), values[v as usize])
                    }
                    crate::expr::Type::Bool => format!("true/false (starts {})", v != 0.0),
                    crate::expr::Type::Num => format!("a number (starts {v})"),
                };
                Some(entry(&format!("state.{name}"), what, None))
            })
            .collect();
        let events = p
            .nodes()
            .map(|n| NodeEntry {
                id: n.id.clone(),
                kind: if n.kind == NodeKind::Event { "event" } else { "process" },
                label: n.label.clone(),
                actor: n.actor.clone(),
                timing: p.timing_text(n),
                rule: n.rule.as_deref().map(Rule::kind),
                options: if n.options.is_empty() {
                    vec!["true".into(), "false".into()]
                } else {
                    n.options.iter().map(|o| o.id.clone()).collect()
                },
            })
            .collect();
        let checks =
            |list: &[crate::program::Check]| list.iter().map(|c| entry(&c.id, c.label.clone(), None)).collect();
        Catalogue {
            id: p.meta.id.clone(),
            title: p.meta.title.clone(),
            tick: clock.tick_name(),
            start: clock.format(0),
            horizon: clock.format(clock.last),
            actors: p
                .actors
                .iter()
                .map(|a| {
                    entry(
                        &a.id,
                        a.name.clone() + &a.role.as_ref().map(|r| format!(" — {r}")).unwrap_or_default(),
                        a.doc.as_ref(),
                    )
                })
                .collect(),
            parameters,
            beliefs,
            state,
            events,
            outcomes: checks(&p.outcomes),
            flags: checks(&p.flags),
            metrics: p.metrics.iter().map(|m| entry(&m.id, m.label.clone(), None)).collect(),
        }
    }

    /// The catalogue as text for a terminal, 80 columns.
    pub fn table(&self) -> String {
        let mut out = String::new();
        out += &wrap(&format!("{} — {}", self.id, self.title), WIDTH, "");
        let _ = writeln!(
            out,
            "one tick = {}, from {} to {}\n",
            self.tick, self.start, self.horizon
        );
        let section = |out: &mut String, title: &str, rows: &[Entry]| {
            if rows.is_empty() {
                return;
            }
            let _ = writeln!(out, "{title}");
            for e in rows {
                let _ = writeln!(out, "  {}", e.id);
                *out += &wrap(&e.what, WIDTH - 6, "      ");
                if let Some(d) = &e.doc {
                    *out += &wrap(d, WIDTH - 6, "      ");
                }
                if let Some(a) = &e.assumption {
                    *out += &wrap(&format!("assumption: {a}"), WIDTH - 6, "      ");
                }
            }
            out.push('\n');
        };
        section(&mut out, "ACTORS", &self.actors);
        section(&mut out, "PARAMETERS (--set NAME=VALUE)", &self.parameters);
        section(&mut out, "BELIEFS", &self.beliefs);
        section(&mut out, "STATE (--do state.NAME=VALUE)", &self.state);
        let _ = writeln!(out, "EVENTS AND PROCESSES (--do ID=VALUE)");
        for e in &self.events {
            let who = e.actor.as_ref().map(|a| format!(" [{a}]")).unwrap_or_default();
            let _ = writeln!(out, "  {} ({}{who})", e.id, e.kind);
            out += &wrap(&e.label, WIDTH - 6, "      ");
            out += &wrap(&format!("when: {}", e.timing), WIDTH - 6, "      ");
            if let Some(rule) = e.rule {
                out += &wrap(
                    &format!("decided by a {rule} rule, or forced with"),
                    WIDTH - 6,
                    "      ",
                );
                let _ = writeln!(out, "      --do {}={}", e.id, e.options.join("|"));
            }
        }
        out.push('\n');
        section(&mut out, "RESULTS (exactly one holds in each branch)", &self.outcomes);
        section(&mut out, "FLAGS", &self.flags);
        section(&mut out, "METRICS", &self.metrics);
        out.lines().map(str::trim_end).collect::<Vec<_>>().join("\n") + "\n"
    }
}
