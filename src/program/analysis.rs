//! Whole-program facts found once after compiling: which nodes an effect
//! makes stale, which nodes are timed after which, and what `sim check`
//! warns about (parameters, beliefs and actors nothing reads; interventions
//! that cannot change anything).

use super::*;
use std::collections::HashSet;

impl Rule {
    /// Every expression the rule evaluates.
    fn codes<'a>(&'a self, out: &mut Vec<&'a Code>) {
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
    fn codes<'a>(&'a self, out: &mut Vec<&'a Code>) {
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
            if let Some(r) = &n.rule {
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
    let reads: Vec<Option<HashSet<u32>>> = p
        .nodes()
        .map(|n| {
            let remembers = n.kind == NodeKind::Process || n.is_watched();
            remembers.then(|| {
                let chance = n.rule.as_ref().and_then(Rule::chance);
                std::iter::once(&n.when).chain(chance).flat_map(|c| c.loads()).collect()
            })
        })
        .collect();
    let stales = |effects: &Effects| -> Box<[u32]> {
        (0..reads.len() as u32)
            .filter(|&k| {
                reads[k as usize]
                    .as_ref()
                    .is_some_and(|r| effects.assigns.iter().any(|(slot, _)| r.contains(slot)))
            })
            .collect()
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
                || match &n.rule {
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
