//! Paired comparison of two programs over the same branch indices: each
//! branch of both sees the same noise for every shared node, so differences
//! are estimated branch by branch (flip table, divergence, paired intervals).

mod align;
mod pair;

pub use pair::{PairTally, Sharing, replay_pair, run_pair, run_pair_as};

use crate::engine::run::RunSettings;
use crate::program::Program;
use crate::report::Report;
use crate::scenario::Change;
use crate::stats::interval::{Z95, paired_difference};
use crate::stats::moments::Moments;
use align::Alignment;
use serde::Serialize;
use std::collections::HashSet;

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
    /// Branches whose result differs although every decision is the same:
    /// the change acts without going through any decision (a parameter or
    /// a held state value read directly by an outcome or an effect).
    pub changed_without_decision: u64,
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
    /// The paired 2×2 table behind `diff` and its interval.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pairs: Option<Pairs>,
}

/// Branches by whether the result or flag held in both runs, only in the
/// base, only in this one, or in neither: any interval can be recomputed.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Pairs {
    pub both: u64,
    pub base_only: u64,
    pub this_only: u64,
    pub neither: u64,
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

/// A node at which branches' decisions first part.
#[derive(Debug, Clone, Serialize)]
pub struct Divergence {
    /// The event or process.
    pub event: String,
    pub count: u64,
    pub p: f64,
    /// How they part there, most frequent first: the base's decision and
    /// this scenario's (`(none)` where one took none at that point).
    pub partings: Vec<Parting>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Parting {
    pub base: String,
    pub this: String,
    pub count: u64,
}

/// The difference, its interval and its table, from the paired counts.
fn paired(both: u64, only_other: u64, only_base: u64, n: u64) -> (f64, [f64; 2], Pairs) {
    let diff = (only_other as f64 - only_base as f64) / n.max(1) as f64;
    let (lo, hi) = paired_difference(both, only_other, only_base, n);
    let pairs = Pairs {
        both,
        base_only: only_base,
        this_only: only_other,
        neither: n - both - only_other - only_base,
    };
    (diff, [lo, hi], pairs)
}

/// Builds the comparison block from a paired tally.
pub fn comparison(base: &Program, other: &Program, t: &PairTally) -> Comparison {
    let n = t.other.branches;
    let frac = |k: u64| k as f64 / n.max(1) as f64;
    let align = Alignment::new(base, other);
    let base_lanes: HashSet<u64> = base.read_lanes().collect();
    let pairing = Pairing {
        shared_random_nodes: other.read_lanes().filter(|l| base_lanes.contains(l)).count(),
        base_random_nodes: base_lanes.len(),
        random_nodes: other.read_lanes().count(),
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
                    let (diff, ci, pairs) = paired(both, only_other, only_base, n);
                    DiffProportion {
                        id: o.id.clone(),
                        label: o.label.clone(),
                        p_base: Some(frac(t.base.outcomes[i])),
                        p,
                        diff: Some(diff),
                        diff_ci95: Some(ci),
                        pairs: Some(pairs),
                    }
                }
                None => DiffProportion {
                    id: o.id.clone(),
                    label: o.label.clone(),
                    p_base: None,
                    p,
                    diff: None,
                    diff_ci95: None,
                    pairs: None,
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
                    let (diff, ci, pairs) = paired(both, only_other, only_base, n);
                    let p_base = Some(frac(t.base.flags[align.flags[k].0]));
                    DiffProportion {
                        id: f.id.clone(),
                        label: f.label.clone(),
                        p_base,
                        p,
                        diff: Some(diff),
                        diff_ci95: Some(ci),
                        pairs: Some(pairs),
                    }
                }
                None => DiffProportion {
                    id: f.id.clone(),
                    label: f.label.clone(),
                    p_base: None,
                    p,
                    diff: None,
                    diff_ci95: None,
                    pairs: None,
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
    let mut by_node: std::collections::BTreeMap<u32, Vec<(u32, u32, u64)>> = Default::default();
    for (&(node, b, o), &count) in &t.partings {
        by_node.entry(node).or_default().push((b, o, count));
    }
    let mut divergence: Vec<Divergence> = by_node
        .into_iter()
        .map(|(node, mut ways)| {
            ways.sort_by(|x, y| y.2.cmp(&x.2).then_with(|| (x.0, x.1).cmp(&(y.0, y.1))));
            let count = ways.iter().map(|w| w.2).sum();
            Divergence {
                event: align.union_ids[node as usize].clone(),
                count,
                p: frac(count),
                partings: ways
                    .into_iter()
                    .map(|(b, o, count)| Parting {
                        base: align.option_name(node, b, other),
                        this: align.option_name(node, o, other),
                        count,
                    })
                    .collect(),
            }
        })
        .collect();
    divergence.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.event.cmp(&b.event)));
    let branches_diverged = divergence.iter().map(|d| d.count).sum();
    let mut warnings = reachability_warnings(base, other, t);
    if !other
        .outcomes
        .iter()
        .any(|o| base.outcomes.iter().any(|b| b.id == o.id))
    {
        warnings.insert(
            0,
            format!(
                "`{}` and `{}` share no result: their results cannot be compared, only their flags and metrics",
                base.meta.id, other.meta.id
            ),
        );
    }
    Comparison {
        base: BaseInfo {
            id: base.meta.id.clone(),
            title: base.meta.title.clone(),
            file: base.meta.file.display().to_string(),
        },
        pairing,
        changes: other.changes.clone(),
        warnings,
        outcomes,
        flags,
        metrics,
        flips,
        divergence,
        branches_diverged,
        results_changed,
        changed_without_decision: t.changed_without_decision,
    }
}

/// Events that fire in one run but are never reached in the other: what the
/// change cut off, or opened up.
fn reachability_warnings(base: &Program, other: &Program, t: &PairTally) -> Vec<String> {
    let nodes = |p: &Program| p.nodes().map(|n| n.id.clone()).collect::<Vec<_>>();
    let (bn, on) = (nodes(base), nodes(other));
    let index = |ids: &[String]| -> std::collections::HashMap<String, usize> {
        ids.iter().enumerate().map(|(i, id)| (id.clone(), i)).collect()
    };
    let (bi, oi) = (index(&bn), index(&on));
    let n = t.other.branches.max(1) as f64;
    let mut out = Vec::new();
    for (i, id) in bn.iter().enumerate() {
        let reached_other = oi.get(id).map_or(0, |&j| t.other.reached[j]);
        if t.base.fired[i] > 0 && reached_other == 0 {
            out.push(format!(
                "`{id}` fires in {:.1}% of base branches but is never reached here",
                100.0 * t.base.fired[i] as f64 / n
            ));
        }
    }
    for (j, id) in on.iter().enumerate() {
        let reached_base = bi.get(id).map_or(0, |&i| t.base.reached[i]);
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
