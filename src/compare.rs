//! Paired comparison of two programs over the same branch indices: each
//! branch of both sees the same noise for every shared node, so differences
//! are estimated branch by branch (flip table, divergence, paired intervals).

use crate::engine::branch::{RunError, Workspace, run_branch};
use crate::engine::run::{Job, RunSettings, run_job, with_pool};
use crate::engine::trace::NoTrace;
use crate::program::Program;
use crate::report::Report;
use crate::scenario::Change;
use crate::stats::interval::{Z95, paired_difference};
use crate::stats::moments::Moments;
use crate::stats::{Record, Tally};
use serde::Serialize;
use std::collections::HashSet;

/// Both runs' tallies and what they did together, branch by branch.
#[derive(Debug, Clone)]
pub struct PairTally {
    pub base: Tally,
    pub other: Tally,
    /// `flips[b][o]`: branches with base result `b` and other result `o`.
    pub flips: Vec<Vec<u64>>,
    /// Per shared flag: (both, only other, only base).
    pub flags: Vec<(u64, u64, u64)>,
    /// Per shared metric: moments of (other − base) where both are present.
    pub metric_diffs: Vec<Moments>,
    /// Per event of the union (base events, then events only in other):
    /// branches whose decisions first differ there.
    pub divergence: Vec<u64>,
    /// Branches whose sequence of decisions differs at all.
    pub paths_differ: u64,
}

/// How the two programs line up, computed once.
struct Alignment {
    /// Shared flags and metrics: (index in base, index in other).
    flags: Vec<(usize, usize)>,
    metrics: Vec<(usize, usize)>,
    /// Other's event index → union event index.
    event_union: Vec<u32>,
    /// Union event ids and their dates (months), for ordering.
    union_ids: Vec<String>,
    union_dates: Vec<i32>,
}

impl Alignment {
    fn new(base: &Program, other: &Program) -> Self {
        let pairs = |a: Vec<&str>, b: Vec<&str>| -> Vec<(usize, usize)> {
            a.iter()
                .enumerate()
                .filter_map(|(i, id)| b.iter().position(|x| x == id).map(|j| (i, j)))
                .collect()
        };
        let mut union_ids: Vec<String> = base.events.iter().map(|e| e.id.clone()).collect();
        let mut union_dates: Vec<i32> = base.events.iter().map(|e| e.date.0).collect();
        let event_union = other
            .events
            .iter()
            .map(|e| match union_ids.iter().position(|id| *id == e.id) {
                Some(i) => i as u32,
                None => {
                    union_ids.push(e.id.clone());
                    union_dates.push(e.date.0);
                    (union_ids.len() - 1) as u32
                }
            })
            .collect();
        Alignment {
            flags: pairs(
                base.flags.iter().map(|f| f.id.as_str()).collect(),
                other.flags.iter().map(|f| f.id.as_str()).collect(),
            ),
            metrics: pairs(
                base.metrics.iter().map(|f| f.id.as_str()).collect(),
                other.metrics.iter().map(|f| f.id.as_str()).collect(),
            ),
            event_union,
            union_ids,
            union_dates,
        }
    }

    /// The union event at which two paths first differ, if they do.
    fn first_difference(&self, base: &[u32], other: &[u32]) -> Option<usize> {
        let (mut i, mut j) = (0, 0);
        loop {
            let b = base.get(i).map(|s| ((s >> 1) as usize, s & 1));
            let o = other
                .get(j)
                .map(|s| (self.event_union[(s >> 1) as usize] as usize, s & 1));
            match (b, o) {
                (None, None) => return None,
                (Some((e, _)), None) | (None, Some((e, _))) => return Some(e),
                (Some((eb, yb)), Some((eo, yo))) if eb == eo => {
                    if yb != yo {
                        return Some(eb);
                    }
                    i += 1;
                    j += 1;
                }
                (Some((eb, _)), Some((eo, _))) => {
                    return Some(if self.union_dates[eo] < self.union_dates[eb] {
                        eo
                    } else {
                        eb
                    });
                }
            }
        }
    }
}

struct Paired<'p> {
    base: &'p Program,
    other: &'p Program,
    align: Alignment,
}

impl Job for Paired<'_> {
    type Scratch = (Workspace, Workspace);
    type Tally = PairTally;

    fn scratch(&self, seed: u64) -> Self::Scratch {
        (Workspace::new(self.base, seed), Workspace::new(self.other, seed))
    }

    fn tally(&self) -> PairTally {
        let t = |p: &Program| {
            Tally::new(
                p.outcomes.len(),
                p.flags.len(),
                p.metrics.len(),
                p.events.len() + p.processes.len(),
            )
        };
        PairTally {
            base: t(self.base),
            other: t(self.other),
            flips: vec![vec![0; self.other.outcomes.len()]; self.base.outcomes.len()],
            flags: vec![(0, 0, 0); self.align.flags.len()],
            metric_diffs: vec![Moments::default(); self.align.metrics.len()],
            divergence: vec![0; self.align.union_ids.len()],
            paths_differ: 0,
        }
    }

    fn branch(&self, (wb, wo): &mut Self::Scratch, t: &mut PairTally, branch: u64) -> Result<(), RunError> {
        run_branch(self.base, wb, branch, &mut NoTrace).map_err(|e| RunError {
            message: format!("in the base scenario `{}`: {}", self.base.meta.id, e.message),
            ..e
        })?;
        run_branch(self.other, wo, branch, &mut NoTrace)?;
        let (b, o): (&Record, &Record) = (&wb.record, &wo.record);
        t.base.add(b);
        t.other.add(o);
        t.flips[b.outcome][o.outcome] += 1;
        for (cell, &(i, j)) in t.flags.iter_mut().zip(&self.align.flags) {
            match (b.flags[i], o.flags[j]) {
                (true, true) => cell.0 += 1,
                (false, true) => cell.1 += 1,
                (true, false) => cell.2 += 1,
                (false, false) => {}
            }
        }
        for (m, &(i, j)) in t.metric_diffs.iter_mut().zip(&self.align.metrics) {
            if let (Some(x), Some(y)) = (b.metrics[i], o.metrics[j]) {
                m.add_fixed(y - x);
            }
        }
        if let Some(e) = self.align.first_difference(&b.path, &o.path) {
            t.divergence[e] += 1;
            t.paths_differ += 1;
        }
        Ok(())
    }

    fn merge(&self, mut a: PairTally, b: PairTally) -> PairTally {
        a.base = a.base.merge(b.base);
        a.other = a.other.merge(b.other);
        for (ra, rb) in a.flips.iter_mut().zip(&b.flips) {
            ra.iter_mut().zip(rb).for_each(|(x, y)| *x += y);
        }
        for (x, y) in a.flags.iter_mut().zip(&b.flags) {
            *x = (x.0 + y.0, x.1 + y.1, x.2 + y.2);
        }
        a.metric_diffs
            .iter_mut()
            .zip(&b.metric_diffs)
            .for_each(|(x, y)| x.merge(y));
        a.divergence.iter_mut().zip(&b.divergence).for_each(|(x, y)| *x += y);
        a.paths_differ += b.paths_differ;
        a
    }
}

/// One branch of `other` set against the same branch of `base`: the base's
/// result and where their decisions first part, told in a sentence.
pub fn replay_pair(base: &Program, other: &Program, seed: u64, branch: u64) -> Result<String, RunError> {
    let (mut wb, mut wo) = (Workspace::new(base, seed), Workspace::new(other, seed));
    run_branch(base, &mut wb, branch, &mut NoTrace)?;
    run_branch(other, &mut wo, branch, &mut NoTrace)?;
    let align = Alignment::new(base, other);
    let (b, o) = (&base.outcomes[wb.record.outcome], &other.outcomes[wo.record.outcome]);
    let result = if b.id == o.id {
        format!("the same result, {} ({})", b.label, b.id)
    } else {
        format!("{} ({}) instead", b.label, b.id)
    };
    let parting = match align.first_difference(&wb.record.path, &wo.record.path) {
        Some(e) => format!("the two histories first part at `{}`", align.union_ids[e]),
        None => "every decision at a dated event is the same in both".to_string(),
    };
    Ok(format!(
        "against  the base `{}`, this branch ends with {result}; {parting}.",
        base.meta.id
    ))
}

/// Runs `base` and `other` over the same branches in one pass.
pub fn run_pair(
    base: &Program,
    other: &Program,
    settings: &RunSettings,
) -> Result<Result<PairTally, RunError>, String> {
    let job = Paired {
        base,
        other,
        align: Alignment::new(base, other),
    };
    with_pool(settings.threads, || run_job(&job, settings))
}

#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub base: BaseInfo,
    /// Random nodes the two share (their noise is common) and each has.
    pub pairing: Pairing,
    pub changes: Vec<Change>,
    pub warnings: Vec<String>,
    pub outcomes: Vec<DiffProportion>,
    pub flags: Vec<DiffProportion>,
    pub metrics: Vec<DiffMetric>,
    pub flips: Vec<Flip>,
    pub divergence: Vec<Divergence>,
    /// Branches whose decisions differ anywhere, and whose result differs.
    pub branches_diverged: u64,
    pub results_changed: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct BaseInfo {
    pub id: String,
    pub title: String,
    pub file: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Pairing {
    pub shared_random_nodes: usize,
    pub base_random_nodes: usize,
    pub random_nodes: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct DiffProportion {
    pub id: String,
    pub label: String,
    pub p_base: Option<f64>,
    pub p: f64,
    pub diff: Option<f64>,
    pub diff_ci95: Option<[f64; 2]>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DiffMetric {
    pub id: String,
    pub label: String,
    pub mean_base: Option<f64>,
    pub mean: Option<f64>,
    /// Mean of (this − base) over branches where both have the metric.
    pub diff: Option<f64>,
    pub diff_ci95: Option<[f64; 2]>,
    pub paired_count: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Flip {
    pub from: String,
    pub to: String,
    pub count: u64,
    pub p: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Divergence {
    pub event: String,
    pub count: u64,
    pub p: f64,
}

fn paired(both: u64, only_other: u64, only_base: u64, n: u64) -> (f64, [f64; 2]) {
    let diff = (only_other as f64 - only_base as f64) / n.max(1) as f64;
    let (lo, hi) = paired_difference(both, only_other, only_base, n);
    (diff, [lo, hi])
}

/// Builds the comparison block from a paired tally.
pub fn comparison(base: &Program, other: &Program, t: &PairTally) -> Comparison {
    let n = t.other.branches;
    let frac = |k: u64| k as f64 / n.max(1) as f64;
    let align = Alignment::new(base, other);
    let base_lanes: HashSet<u64> = base.lanes.iter().copied().collect();
    let pairing = Pairing {
        shared_random_nodes: other.lanes.iter().filter(|l| base_lanes.contains(l)).count(),
        base_random_nodes: base.lanes.len(),
        random_nodes: other.lanes.len(),
    };
    let outcomes = other
        .outcomes
        .iter()
        .enumerate()
        .map(|(j, o)| {
            let p = frac(t.other.outcomes[j]);
            match base.outcomes.iter().position(|b| b.id == o.id) {
                Some(i) => {
                    let both = t.flips[i][j];
                    let only_other = t.other.outcomes[j] - both;
                    let only_base = t.base.outcomes[i] - both;
                    let (diff, ci) = paired(both, only_other, only_base, n);
                    DiffProportion {
                        id: o.id.clone(),
                        label: o.label.clone(),
                        p_base: Some(frac(t.base.outcomes[i])),
                        p,
                        diff: Some(diff),
                        diff_ci95: Some(ci),
                    }
                }
                None => DiffProportion {
                    id: o.id.clone(),
                    label: o.label.clone(),
                    p_base: None,
                    p,
                    diff: None,
                    diff_ci95: None,
                },
            }
        })
        .collect();
    let flags = other
        .flags
        .iter()
        .enumerate()
        .map(|(j, f)| {
            let p = frac(t.other.flags[j]);
            match align.flags.iter().position(|&(_, jj)| jj == j) {
                Some(k) => {
                    let (both, only_other, only_base) = t.flags[k];
                    let (diff, ci) = paired(both, only_other, only_base, n);
                    let p_base = Some(frac(t.base.flags[align.flags[k].0]));
                    DiffProportion {
                        id: f.id.clone(),
                        label: f.label.clone(),
                        p_base,
                        p,
                        diff: Some(diff),
                        diff_ci95: Some(ci),
                    }
                }
                None => DiffProportion {
                    id: f.id.clone(),
                    label: f.label.clone(),
                    p_base: None,
                    p,
                    diff: None,
                    diff_ci95: None,
                },
            }
        })
        .collect();
    let metrics = other
        .metrics
        .iter()
        .enumerate()
        .map(|(j, m)| {
            let shared = align.metrics.iter().position(|&(_, jj)| jj == j);
            let d = shared.map(|k| &t.metric_diffs[k]);
            let diff = d.and_then(Moments::mean);
            let ci = d.and_then(|d| {
                let (mean, sd) = (d.mean()?, d.sd()?);
                let half = Z95 * sd / (d.n as f64).sqrt();
                Some([mean - half, mean + half])
            });
            DiffMetric {
                id: m.id.clone(),
                label: m.label.clone(),
                mean_base: shared.and_then(|k| t.base.metrics[align.metrics[k].0].moments.mean()),
                mean: t.other.metrics[j].moments.mean(),
                diff,
                diff_ci95: ci,
                paired_count: d.map_or(0, |d| d.n),
            }
        })
        .collect();
    let mut flips: Vec<Flip> = Vec::new();
    for (i, row) in t.flips.iter().enumerate() {
        for (j, &count) in row.iter().enumerate() {
            if count > 0 && base.outcomes[i].id != other.outcomes[j].id {
                flips.push(Flip {
                    from: base.outcomes[i].id.clone(),
                    to: other.outcomes[j].id.clone(),
                    count,
                    p: frac(count),
                });
            }
        }
    }
    flips.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| (&a.from, &a.to).cmp(&(&b.from, &b.to)))
    });
    let results_changed = flips.iter().map(|f| f.count).sum();
    let mut divergence: Vec<Divergence> = align
        .union_ids
        .iter()
        .zip(&t.divergence)
        .filter(|(_, c)| **c > 0)
        .map(|(id, &count)| Divergence {
            event: id.clone(),
            count,
            p: frac(count),
        })
        .collect();
    divergence.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.event.cmp(&b.event)));
    Comparison {
        base: BaseInfo {
            id: base.meta.id.clone(),
            title: base.meta.title.clone(),
            file: base.meta.file.display().to_string(),
        },
        pairing,
        changes: other.changes.clone(),
        warnings: reachability_warnings(base, other, t),
        outcomes,
        flags,
        metrics,
        flips,
        divergence,
        branches_diverged: t.paths_differ,
        results_changed,
    }
}

/// Events that fire in one run but are never reached in the other: what the
/// change cut off, or opened up.
fn reachability_warnings(base: &Program, other: &Program, t: &PairTally) -> Vec<String> {
    let nodes = |p: &Program| {
        p.events
            .iter()
            .chain(&p.processes)
            .map(|n| n.id.clone())
            .collect::<Vec<_>>()
    };
    let (bn, on) = (nodes(base), nodes(other));
    let n = t.other.branches.max(1) as f64;
    let mut out = Vec::new();
    for (i, id) in bn.iter().enumerate() {
        let reached_other = on.iter().position(|x| x == id).map_or(0, |j| t.other.reached[j]);
        if t.base.fired[i] > 0 && reached_other == 0 {
            out.push(format!(
                "`{id}` fires in {:.1}% of base branches but is never reached here",
                100.0 * t.base.fired[i] as f64 / n
            ));
        }
    }
    for (j, id) in on.iter().enumerate() {
        let reached_base = bn.iter().position(|x| x == id).map_or(0, |i| t.base.reached[i]);
        if t.other.fired[j] > 0 && reached_base == 0 {
            out.push(format!(
                "`{id}` fires in {:.1}% of branches here but is never reached in the base",
                100.0 * t.other.fired[j] as f64 / n
            ));
        }
    }
    out
}

/// A run report of `other` with its comparison against `base` attached.
pub fn report(base: &Program, other: &Program, settings: &RunSettings, t: &PairTally) -> Report {
    let mut r = Report::new(other, settings, &t.other);
    r.comparison = Some(comparison(base, other, t));
    r
}
