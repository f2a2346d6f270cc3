//! Parallel runs: fixed-size batches of consecutive branches, spread over a
//! thread pool, merged by exact addition (so the split never shows).

use super::batch::{Batch, Failed, Plan, windows};
use super::branch::{RunError, Workspace, run_branch};
use super::trace::{NoTrace, Trace};
use crate::program::Program;
use crate::stats::Tally;
use rayon::prelude::*;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};

/// Branches per batch unless told otherwise.
pub const DEFAULT_BATCH: u64 = 4096;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSettings {
    pub seed: u64,
    /// The first branch index run (a shard of a larger run starts later).
    pub first: u64,
    /// How many branches, from `first`.
    pub branches: u64,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    pub batch_size: u64,
}

/// A pool of `threads` threads (0: one per core).
pub fn pool(threads: usize) -> Result<rayon::ThreadPool, String> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| format!("cannot start {threads} threads: {e}"))
}

/// Runs work on a pool of `threads` threads (0: one per core).
pub fn with_pool<R: Send>(threads: usize, work: impl FnOnce() -> R + Send) -> Result<R, String> {
    Ok(pool(threads)?.install(work))
}

/// Something that runs branches and counts them: one program, or a pair.
pub trait Job: Sync {
    type Scratch: Send;
    type Tally: Send;
    fn scratch(&self, seed: u64) -> Self::Scratch;
    fn tally(&self) -> Self::Tally;
    fn branch(&self, scratch: &mut Self::Scratch, tally: &mut Self::Tally, branch: u64) -> Result<(), RunError>;
    /// Runs and counts `branches` in order, stopping at the first error.
    fn branches(
        &self,
        scratch: &mut Self::Scratch,
        tally: &mut Self::Tally,
        branches: Range<u64>,
    ) -> Result<(), RunError> {
        branches.into_iter().try_for_each(|i| self.branch(scratch, tally, i))
    }
    fn merge(&self, a: Self::Tally, b: Self::Tally) -> Self::Tally;
}

/// Runs `job` over branches `0..branches`, in batches, on the current pool.
/// On errors, the one from the lowest branch index is returned.
pub fn run_job<J: Job>(job: &J, settings: &RunSettings) -> Result<J::Tally, RunError> {
    let batch = settings.batch_size.max(1);
    let batches = settings.branches.div_ceil(batch);
    let first_failed = AtomicU64::new(u64::MAX);
    (0..batches)
        .into_par_iter()
        .fold(
            || (None::<J::Scratch>, job.tally(), None::<RunError>),
            |(mut scratch, mut tally, mut error), b| {
                if error.is_some() || b > first_failed.load(Ordering::Relaxed) {
                    return (scratch, tally, error);
                }
                let ws = scratch.get_or_insert_with(|| job.scratch(settings.seed));
                let end = ((b + 1) * batch).min(settings.branches);
                if let Err(e) = job.branches(ws, &mut tally, settings.first + b * batch..settings.first + end) {
                    first_failed.fetch_min(b, Ordering::Relaxed);
                    error = Some(e);
                }
                (scratch, tally, error)
            },
        )
        .map(|(_, tally, error)| match error {
            Some(e) => Err(e),
            None => Ok(tally),
        })
        .reduce(
            || Ok(job.tally()),
            |a, b| match (a, b) {
                (Ok(a), Ok(b)) => Ok(job.merge(a, b)),
                (Err(a), Err(b)) => Err(if a.branch <= b.branch { a } else { b }),
                (Err(e), _) | (_, Err(e)) => Err(e),
            },
        )
}

/// One program, counted into a [`Tally`]: by the batch engine when the
/// program's timing allows it (see `batch`), else branch by branch.
pub struct Single<'p> {
    program: &'p Program,
    plan: Option<Plan>,
}

impl<'p> Single<'p> {
    pub fn new(program: &'p Program) -> Self {
        Single {
            program,
            plan: Plan::new(program),
        }
    }

    /// Branch by branch only (what the batch engine is compared with).
    pub fn event_driven(program: &'p Program) -> Self {
        Single { program, plan: None }
    }
}

impl Single<'_> {
    /// Runs and counts one branch with the event-driven engine.
    fn one(program: &Program, ws: &mut Workspace, tally: &mut Tally, branch: u64) -> Result<(), RunError> {
        run_branch(program, ws, branch, &mut NoTrace)?;
        tally.add(&ws.record);
        Ok(())
    }
}

/// A thread's scratch space for [`Single`].
pub struct SingleScratch {
    ws: Workspace,
    batch: Option<Batch>,
}

impl Job for Single<'_> {
    type Scratch = SingleScratch;
    type Tally = Tally;
    fn scratch(&self, seed: u64) -> SingleScratch {
        SingleScratch {
            ws: Workspace::new(self.program, seed),
            batch: self.plan.as_ref().map(|_| Batch::new(self.program, seed)),
        }
    }
    fn tally(&self) -> Tally {
        Tally::new(&self.program.shape())
    }
    fn branch(&self, s: &mut SingleScratch, tally: &mut Tally, branch: u64) -> Result<(), RunError> {
        Self::one(self.program, &mut s.ws, tally, branch)
    }
    fn branches(&self, s: &mut SingleScratch, tally: &mut Tally, branches: Range<u64>) -> Result<(), RunError> {
        let (Some(plan), Some(batch)) = (&self.plan, &mut s.batch) else {
            return branches.into_iter().try_for_each(|i| self.branch(s, tally, i));
        };
        for (start, lanes, range) in windows(branches) {
            match batch.run(self.program, plan, start, lanes) {
                Ok(()) => batch.records.tally(lanes, tally),
                // The event-driven engine runs them again and reports what went wrong.
                Err(Failed) => range
                    .into_iter()
                    .try_for_each(|i| Self::one(self.program, &mut s.ws, tally, i))?,
            }
        }
        Ok(())
    }
    fn merge(&self, a: Tally, b: Tally) -> Tally {
        a.merge(b)
    }
}

/// Runs `program` and tallies every branch.
pub fn run(program: &Program, settings: &RunSettings) -> Result<Result<Tally, RunError>, String> {
    with_pool(settings.threads, || run_job(&Single::new(program), settings))
}

/// Replays one branch with a tracer (same values as in any run with this seed).
pub fn replay<T: Trace>(program: &Program, seed: u64, branch: u64, trace: &mut T) -> Result<(), RunError> {
    let mut ws = Workspace::new(program, seed);
    run_branch(program, &mut ws, branch, trace)
}
