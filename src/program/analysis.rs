//! Whole-program facts found once after compiling: which nodes an effect
//! makes stale, which nodes are timed after which, and what `sim check`
//! warns about (parameters, beliefs and actors nothing reads; interventions
//! that cannot change anything).

use super::*;
use std::collections::HashSet;

impl Rule {
    /// Every expression the rule evaluates.
    pub(crate) fn codes<'a>(&'a self, out: &mut Vec<&'a Code>) {
        match self {
            Rule::Chance { p } => out.push(p),
            Rule::Condition { holds } => out.push(holds),
            Rule::Threshold { quantity, limit, .. } => out.extend([quantity, limit]),
            Rule::Weighed(w) => {
                out.push(&w.p);
                out.extend(w.bar.iter().map(|(c, _)| c));
            }
            Rule::Dependence(d) => {
                out.push(&d.own);
                for p in &d.patrons {
                    out.extend([&p.wants, &p.dependence]);
                }
            }
            Rule::Analogy(a) => {
                out.extend(a.features.iter().map(|(_, c)| c));
                out.push(&a.similarity);
                if let Lesson::Code(c) = &a.otherwise {
                    out.push(c);
                }
            }
            Rule::Choice(c) => {
                out.extend(c.scores.iter().map(|(s, _)| s));
                out.extend(&c.temperature);
            }
            Rule::Council(c) => c.members.iter().for_each(|m| m.rule.codes(out)),
        }
    }
}

impl Effects {
    pub(crate) fn codes<'a>(&'a self, out: &mut Vec<&'a Code>) {
        out.extend(self.assigns.iter().filter_map(|(_, a)| match a {
            Assign::Code(c) => Some(c),
            Assign::Draw { .. } => None,
        }));
    }
}

impl Program {
    /// Every expression the program evaluates.
    pub fn codes(&self) -> Vec<&Code> {
        let mut out: Vec<&Code> = Vec::new();
        for n in self.nodes() {
            out.push(&n.when);
            if let Some(r) = n.rule.as_deref() {
                r.codes(&mut out);
            }
            match &n.timing {
                Timing::AtExpr(c)
                | Timing::After {
                    delay: Delay::Expr(c), ..
                } => out.push(c),
                _ => {}
            }
            n.then.codes(&mut out);
            n.otherwise.codes(&mut out);
            n.options.iter().for_each(|o| o.effects.codes(&mut out));
        }
        for c in self.outcomes.iter().chain(&self.flags) {
            out.push(&c.when);
        }
        for m in &self.metrics {
            out.push(&m.value);
            out.extend(&m.when);
        }
        out.extend(&self.stop_when);
        out
    }
}

/// Links effects to the nodes they make stale (see [`Effects::stales`]),
/// and nodes to those timed after them (see [`Node::followers`]).
pub(super) fn link(p: &mut Program) {
    // Per slot, the nodes that remember something that reads it.
    let mut readers: Vec<Vec<u32>> = vec![Vec::new(); p.slots.len()];
    for (k, n) in p.nodes().enumerate() {
        if n.kind == NodeKind::Process || n.is_watched() {
            let chance = n.rule.as_deref().and_then(Rule::chance);
            let mut slots: Vec<u32> = std::iter::once(&n.when).chain(chance).flat_map(|c| c.loads()).collect();
            slots.sort_unstable();
            slots.dedup();
            for s in slots {
                readers[s as usize].push(k as u32);
            }
        }
    }
    let stales = |effects: &Effects| -> Box<[u32]> {
        let mut out: Vec<u32> = effects
            .assigns
            .iter()
            .flat_map(|(slot, _)| readers[*slot as usize].iter().copied())
            .collect();
        out.sort_unstable();
        out.dedup();
        out.into_boxed_slice()
    };
    let count = p.events.len() + p.processes.len();
    let mut followers: Vec<Vec<u32>> = vec![Vec::new(); count];
    for (k, n) in p.nodes().enumerate() {
        if let Timing::After { anchor, .. } = n.timing {
            followers[anchor as usize].push(k as u32);
        }
    }
    for (k, n) in p.events.iter_mut().chain(p.processes.iter_mut()).enumerate() {
        n.then.stales = stales(&n.then);
        n.otherwise.stales = stales(&n.otherwise);
        for o in &mut n.options {
            o.effects.stales = stales(&o.effects);
        }
        n.followers = std::mem::take(&mut followers[k]).into_boxed_slice();
    }
}

/// What `sim check` warns about.
pub(super) fn warnings(p: &Program, read_beliefs: &HashSet<String>) -> Vec<String> {
    let read: HashSet<u32> = p.codes().into_iter().flat_map(Code::loads).collect();
    let mut out = Vec::new();
    for param in &p.params {
        if !read.contains(&param.slot) {
            out.push(format!(
                "parameter `{}` is never read: nothing depends on it",
                param.name
            ));
        }
    }
    for b in &p.beliefs {
        if !read_beliefs.contains(&b.name) {
            out.push(format!(
                "belief `{}` is never read: no rule or condition uses it",
                b.name
            ));
        }
    }
    for actor in &p.actors {
        let prefix = format!("{}.", actor.id);
        let acts = p.nodes().any(|n| {
            n.actor.as_deref() == Some(actor.id.as_str())
                || match n.rule.as_deref() {
                    Some(Rule::Dependence(d)) => d.patrons.iter().any(|x| x.actor == actor.id),
                    Some(Rule::Council(c)) => c.members.iter().any(|m| m.actor == actor.id),
                    _ => false,
                }
        });
        let read_own = p
            .params
            .iter()
            .any(|x| x.name.starts_with(&prefix) && read.contains(&x.slot))
            || read_beliefs.iter().any(|b| b.starts_with(&prefix));
        if !acts && !read_own {
            out.push(format!(
                "actor `{}` takes no part: no event names it and nothing reads its parameters or beliefs",
                actor.id
            ));
        }
    }
    for n in p.nodes() {
        let mut rules: Vec<&Rule> = n.rule.as_deref().into_iter().collect();
        if let Some(Rule::Council(c)) = n.rule.as_deref() {
            rules.extend(c.members.iter().map(|m| &m.rule));
        }
        for r in rules {
            let Rule::Threshold {
                quantity,
                limit,
                below,
                quantity_text,
                ..
            } = r
            else {
                continue;
            };
            if let Some(bar) = fixed_value(p, limit).filter(|b| !(0.0..=1.0).contains(b)) {
                if is_probability(p, quantity) {
                    let always = if (bar > 1.0) == *below { "yes" } else { "no" };
                    out.push(format!(
                        "`{}`: {quantity_text} is a probability (0 to 1) but its bar is {bar}, so the rule always decides {always}",
                        n.id
                    ));
                }
            }
        }
    }
    for n in p.nodes() {
        let Some(option) = n.forced else { continue };
        let silent = n.then.assigns.is_empty()
            && n.otherwise.assigns.is_empty()
            && n.options.iter().all(|o| o.effects.assigns.is_empty());
        if silent && n.followers.is_empty() {
            out.push(format!(
                "do({} = {}) changes nothing: `{}` has no effects and nothing is timed after it",
                n.id,
                n.option_name(option),
                n.id
            ));
        }
    }
    out
}

/// The value of code that is a constant or a fixed parameter.
fn fixed_value(p: &Program, code: &Code) -> Option<f64> {
    if let Some(c) = code.as_constant() {
        return Some(c);
    }
    match code.ops() {
        [crate::expr::vm::Op::Load(s)] => p.params.iter().find(|x| x.slot == *s).and_then(|x| match x.value {
            ParamValue::Fixed(v) => Some(v),
            ParamValue::Drawn { .. } => None,
        }),
        _ => None,
    }
}

/// Whether code always yields a probability: a belief moved by signals (a
/// logistic), or a parameter drawn from a beta distribution.
fn is_probability(p: &Program, code: &Code) -> bool {
    match code.ops() {
        [.., crate::expr::vm::Op::Logistic] => true,
        [crate::expr::vm::Op::Load(s)] => p.params.iter().any(|x| {
            x.slot == *s
                && matches!(
                    &x.value,
                    ParamValue::Drawn {
                        dist: crate::engine::dist::Dist::Beta { .. },
                        ..
                    }
                )
        }),
        _ => false,
    }
}
