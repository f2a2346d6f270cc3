//! Runs two programs over the same branch indices in one pass and tallies
//! what they did together, branch by branch (in batches: `batched`).

mod batched;

use super::align::{Alignment, Parting};
use crate::engine::batch::{Batch, Records};
use crate::engine::branch::{RunError, Workspace, run_branch};
use crate::engine::fork::{resume, run_to_fork};
use crate::engine::run::{Job, RunSettings, run_job, with_pool};
use crate::engine::trace::NoTrace;
use crate::program::Program;
use crate::stats::moments::Moments;
use crate::stats::{FastMap, Record, Tally};
use batched::Batches;
use std::ops::Range;

/// Both runs' tallies and what they did together, branch by branch.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PairTally {
    pub base: Tally,
    pub other: Tally,
    /// `flips[b][o]`: branches with base result `b` and other result `o`.
    pub flips: Vec<Vec<u64>>,
    /// Per shared flag: (both, only other, only base).
    pub flags: Vec<(u64, u64, u64)>,
    /// Per shared metric: moments of (other − base) where both are present.
    pub metric_diffs: Vec<Moments>,
    /// Branches by where their decisions first part: (union node, option
    /// in the base, option in the other).
    #[serde(with = "crate::stats::sorted_map")]
    pub partings: FastMap<(u32, u32, u32), u64>,
    /// Branches whose result differs although no decision does.
    pub changed_without_decision: u64,
    /// Branches whose record is the same in both, counted once while the
    /// run goes on and then added to `base` and `other` (see `run_pair_as`).
    #[serde(skip)]
    shared: Tally,
}

impl PairTally {
    /// Adds another set of branches' tally (exact: the order never shows).
    pub fn merge(mut self, b: PairTally) -> PairTally {
        let a = &mut self;
        a.base = std::mem::take(&mut a.base).merge(b.base);
        a.other = std::mem::take(&mut a.other).merge(b.other);
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
        for (k, v) in b.partings {
            *a.partings.entry(k).or_insert(0) += v;
        }
        a.changed_without_decision += b.changed_without_decision;
        // A tally of no branches may be an empty one (read from a file).
        a.shared = match (a.shared.branches, b.shared.branches) {
            (_, 0) => std::mem::take(&mut a.shared),
            (0, _) => b.shared,
            _ => std::mem::take(&mut a.shared).merge(b.shared),
        };
        self
    }

    /// Adds the branches counted once for both to each one's tally.
    fn finish(mut self) -> PairTally {
        let shared = std::mem::take(&mut self.shared);
        if shared.branches > 0 {
            self.base = self.base.merge(shared.clone());
            self.other = self.other.merge(shared);
        }
        self
    }
}

/// How a paired run treats what the two programs share. Programs whose
/// timing is the same in every branch run 64 branches at a time (see
/// `engine::batch`) unless told `EventDriven`; the tally is the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sharing {
    /// Runs each branch once up to where the programs can first part (a
    /// forced decision coming due), then each on from a copy of that
    /// state; when they cannot part, the base's record serves both. The
    /// values are those of `Separate`: up to that point the two programs
    /// are the same code over the same draws. In batches, where that is the
    /// only place they can part, a branch the forced step leaves as the
    /// base's goes on only in the base, whose record serves both.
    Fork,
    /// Runs each program's branch from its start.
    Separate,
    /// As `Fork`, branch by branch with the event-driven engine only.
    EventDriven,
}

struct Paired<'p> {
    base: &'p Program,
    other: &'p Program,
    align: Alignment,
    /// Where the two can part, when they differ only in forced decisions.
    forks: Option<Box<[bool]>>,
    /// When both run in batches (see `engine::batch`).
    batches: Option<Batches>,
}

impl Paired<'_> {
    /// Runs branch `branch` of both programs into `wb` and `wo`.
    fn run(&self, wb: &mut Workspace, wo: &mut Workspace, branch: u64) -> Result<(), RunError> {
        let in_base = |e: RunError| RunError {
            message: format!("in the base scenario `{}`: {}", self.base.meta.id, e.message),
            ..e
        };
        let Some(forks) = &self.forks else {
            run_branch(self.base, wb, branch, &mut NoTrace).map_err(in_base)?;
            return run_branch(self.other, wo, branch, &mut NoTrace);
        };
        if run_to_fork(self.base, wb, branch, &forks[..])
            .map_err(in_base)?
            .is_some()
        {
            wo.copy_from(wb);
            resume(self.base, wb, branch).map_err(in_base)?;
            resume(self.other, wo, branch)
        } else {
            wo.record.copy_from(&wb.record);
            Ok(())
        }
    }
}

impl Job for Paired<'_> {
    type Scratch = PairScratch;
    type Tally = PairTally;

    fn scratch(&self, seed: u64) -> Self::Scratch {
        let batches = self
            .batches
            .as_ref()
            .map(|_| Box::new((Batch::new(self.base, seed), Batch::new(self.other, seed))));
        PairScratch {
            base: Workspace::new(self.base, seed),
            other: Workspace::new(self.other, seed),
            batches,
        }
    }

    fn tally(&self) -> PairTally {
        PairTally {
            base: Tally::new(&self.base.shape()),
            other: Tally::new(&self.other.shape()),
            flips: vec![vec![0; self.other.outcomes.len()]; self.base.outcomes.len()],
            flags: vec![(0, 0, 0); self.align.flags.len()],
            metric_diffs: vec![Moments::default(); self.align.metrics.len()],
            partings: FastMap::default(),
            changed_without_decision: 0,
            shared: Tally::new(&self.base.shape()),
        }
    }

    fn branch(&self, s: &mut PairScratch, t: &mut PairTally, branch: u64) -> Result<(), RunError> {
        self.run(&mut s.base, &mut s.other, branch)?;
        self.count(t, &s.base.record, &s.other.record);
        Ok(())
    }

    fn branches(&self, s: &mut PairScratch, t: &mut PairTally, branches: Range<u64>) -> Result<(), RunError> {
        let (Some(plans), Some(batches)) = (&self.batches, &mut s.batches) else {
            return branches.into_iter().try_for_each(|i| self.branch(s, t, i));
        };
        let (bb, bo) = &mut **batches;
        self.in_batches(plans, (bb, bo), (&mut s.base, &mut s.other), t, branches)
    }

    fn merge(&self, a: PairTally, b: PairTally) -> PairTally {
        a.merge(b)
    }
}

/// A thread's scratch space for a paired run.
struct PairScratch {
    base: Workspace,
    other: Workspace,
    batches: Option<Box<(Batch, Batch)>>,
}

impl Paired<'_> {
    /// Counts one branch of both programs.
    fn count(&self, t: &mut PairTally, b: &Record, o: &Record) {
        t.base.add(b);
        t.other.add(o);
        self.compare(t, b, o);
    }

    /// Counts how one branch of the two programs differs (their own
    /// tallies aside).
    fn compare(&self, t: &mut PairTally, b: &Record, o: &Record) {
        for (cell, &(i, j)) in t.flags.iter_mut().zip(&self.align.flags) {
            match (b.flags[i], o.flags[j]) {
                (true, true) => cell.0 += 1,
                (false, true) => cell.1 += 1,
                (true, false) => cell.2 += 1,
                (false, false) => {}
            }
        }
        self.compare_rest(t, b, o);
    }

    /// [`Self::compare`] but for the flags.
    fn compare_rest(&self, t: &mut PairTally, b: impl Branch, o: impl Branch) {
        t.flips[b.outcome()][o.outcome()] += 1;
        for (m, &(i, j)) in t.metric_diffs.iter_mut().zip(&self.align.metrics) {
            if let (Some(x), Some(y)) = (b.metric(i), o.metric(j)) {
                m.add_fixed(y - x);
            }
        }
        match self.align.first_difference(b.decisions(), o.decisions()) {
            Some(Parting { node, base, other }) => *t.partings.entry((node, base, other)).or_insert(0) += 1,
            None => {
                let same = self.base.outcomes[b.outcome()].id == self.other.outcomes[o.outcome()].id;
                t.changed_without_decision += u64::from(!same);
            }
        }
    }
}

/// What comparing a branch of two programs reads of each: a branch's
/// record, or branch `k` of a batch's records.
trait Branch {
    fn outcome(&self) -> usize;
    fn metric(&self, m: usize) -> Option<i64>;
    fn decisions(&self) -> &[(u32, u32)];
}

impl Branch for &Record {
    fn outcome(&self) -> usize {
        self.outcome
    }
    fn metric(&self, m: usize) -> Option<i64> {
        self.metrics[m]
    }
    fn decisions(&self) -> &[(u32, u32)] {
        &self.decisions
    }
}

impl Branch for (&Records, usize) {
    fn outcome(&self) -> usize {
        self.0.outcome(self.1)
    }
    fn metric(&self, m: usize) -> Option<i64> {
        self.0.metric(m, self.1)
    }
    fn decisions(&self) -> &[(u32, u32)] {
        self.0.decisions(self.1)
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
    let parting = match align.first_difference(&wb.record.decisions, &wo.record.decisions) {
        Some(x) => format!(
            "the two histories first part at `{}` ({} in the base, {} here)",
            align.union_ids[x.node as usize],
            align.option_name(x.node, x.base, other),
            align.option_name(x.node, x.other, other)
        ),
        None => "every decision is the same in both".to_string(),
    };
    Ok(format!(
        "against  the base `{}`, this branch ends with {result}; {parting}.",
        base.meta.id
    ))
}

/// Runs `base` and `other` over the same branches in one pass, sharing
/// what they can (see [`Sharing::Fork`]).
pub fn run_pair(
    base: &Program,
    other: &Program,
    settings: &RunSettings,
) -> Result<Result<PairTally, RunError>, String> {
    run_pair_as(base, other, settings, Sharing::Fork)
}

/// [`run_pair`], sharing as told: the tally is the same either way.
pub fn run_pair_as(
    base: &Program,
    other: &Program,
    settings: &RunSettings,
    sharing: Sharing,
) -> Result<Result<PairTally, RunError>, String> {
    let forks = match sharing {
        Sharing::Fork | Sharing::EventDriven => base.fork_points(other),
        Sharing::Separate => None,
    };
    let batches = match sharing {
        Sharing::EventDriven => None,
        _ => Batches::new(base, other, forks.as_deref()),
    };
    let job = Paired {
        base,
        other,
        align: Alignment::new(base, other),
        forks,
        batches,
    };
    with_pool(settings.threads, || run_job(&job, settings).map(PairTally::finish))
}
