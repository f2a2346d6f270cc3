//! The rewrite summary between two compiled programs that are not related by
//! `extends` (for `sim compare A B`): which parameters, interventions and
//! nodes differ. Scenarios that do extend their base use the exact record
//! kept while merging instead.

use crate::program::{Node, ParamValue, Program, SignalInfo};
use crate::scenario::{Change, ChangeKind};

fn describe(v: &ParamValue) -> String {
    match v {
        ParamValue::Fixed(x) => x.to_string(),
        ParamValue::Drawn { dist, .. } => dist.describe(),
    }
}

/// What tells two versions of a node apart, short of comparing code.
fn signature(p: &Program, n: &Node) -> String {
    format!(
        "{}|{}|{}|{:?}|{:?}|{:?}|{}|{}",
        n.label,
        p.timing_text(n),
        n.max_steps,
        n.rule.as_ref().map(|r| r.kind()),
        n.actor,
        n.evidence,
        n.then.assigns.len(),
        n.otherwise.assigns.len()
    )
}

fn change(kind: ChangeKind, id: &str, detail: String) -> Change {
    Change {
        kind,
        id: id.to_string(),
        detail,
    }
}

/// Changes that turn `base` into `other`, as far as their compiled forms show.
pub fn structural_changes(base: &Program, other: &Program) -> Vec<Change> {
    let mut out = Vec::new();
    for p in &other.params {
        match base.params.iter().find(|b| b.name == p.name) {
            Some(b) if describe(&b.value) != describe(&p.value) => {
                out.push(change(
                    ChangeKind::Set,
                    &p.name,
                    format!("{}: {} → {}", p.name, describe(&b.value), describe(&p.value)),
                ));
            }
            Some(_) => {}
            None => out.push(change(
                ChangeKind::Added,
                &p.name,
                format!("parameter `{}` = {}", p.name, describe(&p.value)),
            )),
        }
    }
    for b in base
        .params
        .iter()
        .filter(|b| !other.params.iter().any(|p| p.name == b.name))
    {
        out.push(change(ChangeKind::Removed, &b.name, format!("parameter `{}`", b.name)));
    }
    for (i, slot) in other
        .slots
        .iter()
        .enumerate()
        .filter(|(_, s)| s.name.starts_with("state."))
    {
        if let Some(j) = base.slots.iter().position(|s| s.name == slot.name) {
            if base.initial[j] != other.initial[i] {
                let detail = format!(
                    "{} starts at {} instead of {}",
                    slot.name, other.initial[i], base.initial[j]
                );
                out.push(change(ChangeKind::Modified, &slot.name, detail));
            }
        }
    }
    let nodes = |p: &Program| p.nodes().cloned().collect::<Vec<Node>>();
    let (bn, on) = (nodes(base), nodes(other));
    for n in &on {
        match bn.iter().find(|b| b.id == n.id) {
            None => out.push(change(
                ChangeKind::Added,
                &n.id,
                format!("`{}` ({})", n.id, other.timing_text(n)),
            )),
            Some(b) if b.forced != n.forced => {
                let detail = match n.forced {
                    Some(v) => format!("do({} = {})", n.id, n.option_name(v)),
                    None => format!("`{}` decided by its rule again", n.id),
                };
                out.push(change(ChangeKind::Do, &n.id, detail));
            }
            Some(b) if signature(base, b) != signature(other, n) => {
                out.push(change(ChangeKind::Modified, &n.id, format!("`{}`", n.id)))
            }
            Some(_) => {}
        }
    }
    for b in bn.iter().filter(|b| !on.iter().any(|n| n.id == b.id)) {
        out.push(change(ChangeKind::Removed, &b.id, format!("removed `{}`", b.id)));
    }
    belief_changes(base, other, &mut out);
    for (what, a, b) in [
        ("outcome", &base.outcomes, &other.outcomes),
        ("flag", &base.flags, &other.flags),
    ] {
        for o in b.iter().filter(|o| !a.iter().any(|x| x.id == o.id)) {
            out.push(change(ChangeKind::Added, &o.id, format!("{what} `{}`", o.id)));
        }
        for o in a.iter().filter(|o| !b.iter().any(|x| x.id == o.id)) {
            out.push(change(ChangeKind::Removed, &o.id, format!("{what} `{}`", o.id)));
        }
    }
    out
}

/// Belief changes: a prior or a signal's shift reads as a `[set]` of
/// `ACTOR.BELIEF.prior` / `ACTOR.BELIEF.SIGNAL_ID`; anything else about a
/// belief (signals added, dropped or re-conditioned) is a modification.
fn belief_changes(base: &Program, other: &Program, out: &mut Vec<Change>) {
    let name_of = |s: &SignalInfo| s.id.clone().unwrap_or_else(|| s.when.clone());
    for b in &other.beliefs {
        let Some(a) = base.beliefs.iter().find(|a| a.name == b.name) else {
            out.push(change(ChangeKind::Added, &b.name, format!("belief `{}`", b.name)));
            continue;
        };
        let show = |p: &Option<String>| p.clone().unwrap_or_else(|| "(none)".into());
        if a.prior != b.prior {
            let id = format!("{}.prior", b.name);
            let detail = format!("{id}: {} → {}", show(&a.prior), show(&b.prior));
            out.push(change(ChangeKind::Set, &id, detail));
        }
        let mut parts = Vec::new();
        if a.value != b.value {
            match &b.value {
                Some(v) => parts.push(format!("now {v}")),
                None => parts.push("now a prior moved by signals".into()),
            }
        }
        for (i, s) in b.signals.iter().enumerate() {
            match counterpart(&a.signals, s, i) {
                Some(x) if x.when != s.when => {
                    parts.push(format!("signal `{}` now when {}", name_of(s), s.when));
                }
                Some(x) if x.shift != s.shift => {
                    let id = format!("{}.{}", b.name, name_of(s));
                    let detail = format!("{id}: {} → {}", x.shift, s.shift);
                    out.push(change(ChangeKind::Set, &id, detail));
                }
                Some(_) => {}
                None => parts.push(format!("signal `{}` added", name_of(s))),
            }
        }
        for (i, x) in a.signals.iter().enumerate() {
            if counterpart(&b.signals, x, i).is_none() {
                parts.push(format!("signal `{}` dropped", name_of(x)));
            }
        }
        if !parts.is_empty() {
            let detail = format!("belief `{}`: {}", b.name, parts.join("; "));
            out.push(change(ChangeKind::Modified, &b.name, detail));
        }
    }
}

/// A signal's counterpart in `list`: by id, or by place for one without.
fn counterpart<'a>(list: &'a [SignalInfo], s: &SignalInfo, place: usize) -> Option<&'a SignalInfo> {
    match &s.id {
        Some(_) => list.iter().find(|x| x.id == s.id),
        None => list.get(place).filter(|x| x.id.is_none()),
    }
}
