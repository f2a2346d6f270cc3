//! Which branches to tell: a handful that cover the different endings (the
//! commonest course, the ending history recorded, rare ones), chosen the
//! same way by the report, the class server and `explain --sample`.

use crate::engine::branch::{RunError, Workspace, run_branch};
use crate::engine::trace::NoTrace;
use crate::program::Program;
use serde::Serialize;
use std::collections::HashMap;

/// Branches scanned to choose from: the first of the run.
pub const SCAN: u64 = 20_000;

/// Why a branch was chosen, in the order stories are told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The branch takes the most frequent path.
    Commonest,
    /// It ends with the result history recorded.
    Recorded,
    /// It ends with a result no story above ends with.
    Ending,
    /// It ends with the rarest result seen.
    Rare,
    /// It takes another frequent path (when there are few endings).
    Course,
}

/// A branch worth telling.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pick {
    pub branch: u64,
    pub reason: Reason,
    /// The result it ends with (an index into the program's outcomes).
    pub outcome: usize,
    /// How many of the scanned branches share its path, and end as it does.
    pub same_path: u64,
    pub same_outcome: u64,
    /// How many branches were scanned.
    pub scanned: u64,
}

impl Pick {
    /// A heading for the story: why it was chosen, with its shares.
    pub fn title(&self, p: &Program) -> String {
        let o = &p.outcomes[self.outcome].label;
        let pct = |k: u64| format!("{:.1}%", 100.0 * k as f64 / self.scanned.max(1) as f64);
        match self.reason {
            Reason::Commonest => {
                let as_recorded = if p.meta.recorded == Some(self.outcome) {
                    ", as history did"
                } else {
                    ""
                };
                format!(
                    "The commonest course ({} of branches take it), ending: {o}{as_recorded}",
                    pct(self.same_path)
                )
            }
            Reason::Recorded => format!(
                "The ending history recorded: {o} ({} of branches)",
                pct(self.same_outcome)
            ),
            Reason::Ending => format!("Another ending: {o} ({} of branches)", pct(self.same_outcome)),
            Reason::Rare => format!("A rare ending: {o} ({} of branches)", pct(self.same_outcome)),
            Reason::Course => format!(
                "Another course ({} of branches take it), ending: {o}",
                pct(self.same_path)
            ),
        }
    }
}

/// Per path seen: how many branches took it, the first of them, its result.
struct PathSeen {
    count: u64,
    first: u64,
    outcome: usize,
}

/// Chooses up to `count` branches among the first [`SCAN`] of `branches`:
/// the commonest path's first branch, the recorded ending's, the rarest
/// ending's, then the other endings by frequency, then other frequent
/// paths; each ending told by the first branch of its commonest path.
pub fn choose(p: &Program, seed: u64, branches: u64, count: usize) -> Result<Vec<Pick>, RunError> {
    let scanned = branches.min(SCAN);
    let mut ws = Workspace::new(p, seed);
    let mut paths: HashMap<Vec<u32>, PathSeen> = HashMap::new();
    let mut endings = vec![0u64; p.outcomes.len()];
    for b in 0..scanned {
        run_branch(p, &mut ws, b, &mut NoTrace)?;
        let outcome = ws.record.outcome;
        endings[outcome] += 1;
        paths
            .entry(ws.record.path.clone())
            .and_modify(|s| s.count += 1)
            .or_insert(PathSeen {
                count: 1,
                first: b,
                outcome,
            });
    }
    // Paths, most frequent first (ties: the earlier first branch).
    let mut ranked: Vec<&PathSeen> = paths.values().collect();
    ranked.sort_by(|a, b| b.count.cmp(&a.count).then(a.first.cmp(&b.first)));
    let pick = |s: &PathSeen, reason| Pick {
        branch: s.first,
        reason,
        outcome: s.outcome,
        same_path: s.count,
        same_outcome: endings[s.outcome],
        scanned,
    };
    let ending = |o: usize| ranked.iter().find(|s| s.outcome == o).copied();
    let mut candidates = Vec::new();
    if let Some(top) = ranked.first() {
        candidates.push(pick(top, Reason::Commonest));
    }
    if let Some(s) = p.meta.recorded.and_then(ending) {
        candidates.push(pick(s, Reason::Recorded));
    }
    let mut seen: Vec<usize> = (0..endings.len()).filter(|&o| endings[o] > 0).collect();
    seen.sort_by(|&a, &b| endings[b].cmp(&endings[a]).then(a.cmp(&b)));
    if let Some(&rare) = seen.last() {
        candidates.push(pick(ending(rare).expect("a seen ending has a path"), Reason::Rare)); // ok: counted from a path
    }
    for &o in &seen {
        candidates.push(pick(ending(o).expect("a seen ending has a path"), Reason::Ending)); // ok: as above
    }
    for s in ranked.iter().skip(1).take(count) {
        candidates.push(pick(s, Reason::Course));
    }
    // Each ending once (the first reason it was picked for), each branch once.
    let mut picks: Vec<Pick> = Vec::new();
    for c in candidates {
        let ending_told = picks.iter().any(|x| x.outcome == c.outcome);
        let branch_told = picks.iter().any(|x| x.branch == c.branch);
        let wanted = match c.reason {
            Reason::Course => picks.len() < 3.min(count),
            _ => !ending_told,
        };
        if wanted && !branch_told && picks.len() < count {
            picks.push(c);
        }
    }
    picks.sort_by(|a, b| {
        a.reason
            .cmp(&b.reason)
            .then(b.same_outcome.cmp(&a.same_outcome))
            .then(b.same_path.cmp(&a.same_path))
    });
    Ok(picks)
}
