//! Variants of one program that differ from it only in parameter values
//! (a sensitivity analysis, a sweep), run together: each branch walks the
//! program itself (the trunk) once, and a variant goes its own way from a
//! copy of the trunk's state just before the first node that reads a
//! parameter it pins (see `Program::pin_points`). Until then it would do
//! exactly what the trunk does, draw for draw; a variant that never comes
//! to such a node ends as the trunk does. A variant takes that node's step
//! on its own, and when the step leaves it exactly where the trunk's
//! leaves the trunk (the pinned values aside: the same decision, the same
//! effects), it goes back to sharing the trunk until the next such node.
//! A variant whose results read a pin judges the trunk's branch again with
//! its pinned values when it ends there.

use super::branch::{RunError, Workspace};
use super::fork::{Forks, Stop, finish_again, resume, run_to_fork, step_over, walk_on};
use super::run::{Job, RunSettings, pool, run_job};
use crate::program::{PinRead, Program};
use crate::stats::Tally;

/// The trunk and the variants that can share it.
struct Trunk<'p> {
    base: &'p Program,
    variants: Vec<&'p Program>,
    /// Per variant: its pins (slot, value), whether its results read them,
    /// and the nodes it parts at.
    pins: Vec<Vec<(u32, f64)>>,
    results: Vec<bool>,
    parts_at: Vec<Vec<(u32, PinRead)>>,
    /// Per node: the variants that part there, and the nodes whose state
    /// a step of it can change.
    parting: Vec<Vec<u32>>,
    touched: Vec<Box<[u32]>>,
    /// Per node: how many variants part there, as it comes due and once
    /// its condition holds (a branch's starting counts).
    counts: Counts,
}

/// Per node, the variants still to part there: as it comes due, and once
/// its condition holds.
#[derive(Clone)]
struct Counts {
    due: Vec<u32>,
    holds: Vec<u32>,
}

impl Forks for Counts {
    #[inline]
    fn at(&self, node: u32) -> Stop {
        let i = node as usize;
        match (self.due[i], self.holds[i]) {
            (0, 0) => Stop::No,
            (0, _) => Stop::IfHolds,
            _ => Stop::Due,
        }
    }
}

/// How many times in a branch a variant may go back to the trunk after
/// a node that reads its pins left it where the trunk is. Each try costs
/// a copy, a step and a comparison; a node read every month would
/// otherwise cost more than the variant's own run.
const REJOINS: u32 = 16;

/// Per-thread scratch: the trunk's workspace, one for the variant being
/// run, one for the trunk's next step (the probe), the counts still to
/// part per node, which variants have parted, and how often each has
/// gone back to the trunk.
struct Scratch {
    trunk: Workspace,
    variant: Workspace,
    probe: Workspace,
    counts: Counts,
    parted: Vec<bool>,
    rejoined: Vec<u32>,
}

impl Job for Trunk<'_> {
    type Scratch = Scratch;
    /// The trunk's tally, then each variant's.
    type Tally = Vec<Tally>;

    fn scratch(&self, seed: u64) -> Scratch {
        Scratch {
            trunk: Workspace::new(self.base, seed),
            variant: Workspace::new(self.base, seed),
            probe: Workspace::new(self.base, seed),
            counts: self.counts.clone(),
            parted: vec![false; self.variants.len()],
            rejoined: vec![0; self.variants.len()],
        }
    }

    fn tally(&self) -> Vec<Tally> {
        let shape = self.base.shape();
        vec![Tally::new(&shape); self.variants.len() + 1]
    }

    fn branch(&self, s: &mut Scratch, tallies: &mut Vec<Tally>, branch: u64) -> Result<(), RunError> {
        s.counts.due.copy_from_slice(&self.counts.due);
        s.counts.holds.copy_from_slice(&self.counts.holds);
        s.parted.fill(false);
        s.rejoined.fill(0);
        let mut at = run_to_fork(self.base, &mut s.trunk, branch, &s.counts)?;
        while let Some(node) = at {
            // The trunk one step on, once a variant asks (`Some(next node)`).
            let mut probe: Option<Option<u32>> = None;
            for &k in &self.parting[node as usize] {
                let k = k as usize;
                if s.parted[k] {
                    continue;
                }
                self.pinned_copy(s, k);
                let after = match s.rejoined[k] < REJOINS {
                    true => self.step_beside(s, k, node, &mut probe, branch)?,
                    false => After::Apart,
                };
                if let After::Rejoined = after {
                    s.rejoined[k] += 1;
                    continue;
                }
                s.parted[k] = true;
                for &(n, read) in &self.parts_at[k] {
                    match read {
                        PinRead::Condition => s.counts.due[n as usize] -= 1,
                        _ => s.counts.holds[n as usize] -= 1,
                    }
                }
                if let After::Apart = after {
                    resume(self.variants[k], &mut s.variant, branch)?;
                }
                tallies[k + 1].add(&s.variant.record);
            }
            // The trunk takes the step its probe made, if one did.
            if probe.is_some() {
                std::mem::swap(&mut s.trunk, &mut s.probe);
            }
            at = match probe {
                Some(None) => None,
                _ => walk_on(self.base, &mut s.trunk, branch, &s.counts)?,
            };
        }
        tallies[0].add(&s.trunk.record);
        for k in 0..self.variants.len() {
            if s.parted[k] {
                continue;
            }
            if self.results[k] {
                // The trunk's branch, judged with the pinned values.
                self.pinned_copy(s, k);
                finish_again(self.variants[k], &mut s.variant, branch)?;
                tallies[k + 1].add(&s.variant.record);
            } else {
                tallies[k + 1].add(&s.trunk.record);
            }
        }
        Ok(())
    }

    fn merge(&self, a: Vec<Tally>, b: Vec<Tally>) -> Vec<Tally> {
        a.into_iter().zip(b).map(|(x, y)| x.merge(y)).collect()
    }
}

/// Where a variant stands after taking on its own the step of a node that
/// reads its pins.
enum After {
    /// Exactly where the trunk stands after that step: it shares it again.
    Rejoined,
    /// Its branch ended in that step.
    Ended,
    /// Elsewhere, or not tried: it goes on alone.
    Apart,
}

impl Trunk<'_> {
    /// The variant's workspace becomes the trunk's branch with variant
    /// `k`'s pins.
    fn pinned_copy(&self, s: &mut Scratch, k: usize) {
        s.variant.copy_from(&s.trunk);
        for &(slot, value) in &self.pins[k] {
            s.variant.slots[slot as usize] = value;
        }
    }

    /// Steps variant `k` (a pinned copy of the trunk) over `node`, and the
    /// trunk too in the probe unless `probe` already holds that step.
    fn step_beside(
        &self,
        s: &mut Scratch,
        k: usize,
        node: u32,
        probe: &mut Option<Option<u32>>,
        branch: u64,
    ) -> Result<After, RunError> {
        let next = step_over(self.variants[k], &mut s.variant, branch)?;
        let trunk_next = match *probe {
            Some(n) => n,
            None => {
                s.probe.copy_from(&s.trunk);
                *probe.insert(step_over(self.base, &mut s.probe, branch)?)
            }
        };
        Ok(match next {
            None => After::Ended,
            Some(_)
                if next == trunk_next
                    && s.variant
                        .same_after_step(&s.probe, &self.pins[k], &self.touched[node as usize]) =>
            {
                After::Rejoined
            }
            Some(_) => After::Apart,
        })
    }
}

/// Runs `base` and each of `variants` over the same branches, sharing each
/// branch's trunk where a variant only pins parameters; returns `base`'s
/// tally, then each variant's, or `None` for a variant that cannot share
/// the trunk (run it alone). The tallies are those of separate runs. The
/// branches run in `slices` consecutive parts; `done(k)` is told as the
/// work of `k` of the shared variants is done.
#[allow(clippy::type_complexity)]
pub fn run_variants(
    base: &Program,
    variants: &[Program],
    settings: &RunSettings,
    slices: u64,
    done: &dyn Fn(usize),
) -> Result<Result<(Tally, Vec<Option<Tally>>), RunError>, String> {
    let nodes = base.events.len() + base.processes.len();
    let mut job = Trunk {
        base,
        variants: Vec::new(),
        pins: Vec::new(),
        results: Vec::new(),
        parts_at: Vec::new(),
        parting: vec![Vec::new(); nodes],
        touched: (0..nodes as u32).map(|i| base.touched_by(i)).collect(),
        counts: Counts {
            due: vec![0; nodes],
            holds: vec![0; nodes],
        },
    };
    let mut shared = Vec::with_capacity(variants.len());
    for v in variants {
        let Some(points) = base.pin_points(v) else {
            shared.push(None);
            continue;
        };
        let forks = points.reads;
        let k = job.variants.len() as u32;
        let parts_at: Vec<(u32, PinRead)> = (0..nodes as u32)
            .map(|i| (i, forks[i as usize]))
            .filter(|&(_, read)| read != PinRead::Nothing)
            .collect();
        for &(n, read) in &parts_at {
            job.parting[n as usize].push(k);
            match read {
                PinRead::Condition => job.counts.due[n as usize] += 1,
                _ => job.counts.holds[n as usize] += 1,
            }
        }
        job.variants.push(v);
        job.pins.push(points.pins);
        job.results.push(points.results);
        job.parts_at.push(parts_at);
        shared.push(Some(k as usize));
    }
    let slice = settings.branches.div_ceil(slices.max(1)).max(1);
    let pool = pool(settings.threads)?;
    let mut tallies = Ok(job.tally());
    let (mut start, mut k) = (0, 0);
    while start < settings.branches {
        let part = RunSettings {
            first: settings.first + start,
            branches: slice.min(settings.branches - start),
            ..settings.clone()
        };
        tallies = match (tallies, pool.install(|| run_job(&job, &part))) {
            (Ok(sum), Ok(t)) => Ok(job.merge(sum, t)),
            (Err(e), _) | (_, Err(e)) => {
                tallies = Err(e);
                break;
            }
        };
        start += part.branches;
        k += 1;
        done(job.variants.len() * k / slices.max(1) as usize);
    }
    let tallies = match tallies {
        Ok(t) => t,
        Err(e) => return Ok(Err(e)),
    };
    let mut tallies = tallies.into_iter();
    let trunk = tallies.next().unwrap_or_else(|| Tally::new(&base.shape()));
    let mut by_variant: Vec<Option<Tally>> = tallies.map(Some).collect();
    let out = shared
        .into_iter()
        .map(|k| k.and_then(|k| by_variant[k].take()))
        .collect();
    Ok(Ok((trunk, out)))
}
