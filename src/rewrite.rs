//! The rewrite summary between two compiled programs that are not related by
//! `extends` (for `sim compare A B`): which parameters, interventions and
//! nodes differ. Scenarios that do extend their base use the exact record
//! kept while merging instead.

use crate::program::{Node, ParamValue, Program};
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
