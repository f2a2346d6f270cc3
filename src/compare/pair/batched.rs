//! The paired run in batches of 64 branches (see `engine::batch`): both
//! programs' batches share the walk up to where they can part, and where
//! only one place can part them, a branch the forced step leaves as the
//! base's goes on only in the base.

use super::{PairTally, Paired};
use crate::engine::batch::{Batch, Failed, Plan, Records, bits, windows};
use crate::engine::branch::{RunError, Workspace};
use crate::expr::columns::Mask;
use crate::program::Program;
use std::ops::Range;

/// Both programs' batch plans, and where a batch of the base parts from
/// one of the other: before the `next`-th node due at tick `t`, the first
/// fork point to come due (timing is the same in every branch, so it is
/// the same place in all of them). `Parts::Never`: no fork point comes due.
pub(super) struct Batches {
    base: Plan,
    other: Plan,
    parts: Parts,
}

enum Parts {
    /// `rejoin`: the node due there, when no place after this one has a
    /// node where they can part, so a branch its step leaves as the base's
    /// goes on as the base's.
    At {
        t: u32,
        next: usize,
        rejoin: Option<usize>,
    },
    Never,
    /// They differ in more than forced decisions: each runs from its start.
    Separate,
}

impl Batches {
    pub(super) fn new(base: &Program, other: &Program, forks: Option<&[bool]>) -> Option<Batches> {
        let (b, o) = (Plan::new(base)?, Plan::new(other)?);
        let parts = match forks {
            None => Parts::Separate,
            Some(forks) => {
                let forked = |i: u32| forks[i as usize];
                match b.first_due(forked) {
                    None => Parts::Never,
                    Some((t, next)) => Parts::At {
                        t,
                        next,
                        rejoin: (b.last_due(forked) == Some((t, next))).then(|| b.due_at((t, next)) as usize),
                    },
                }
            }
        };
        Some(Batches {
            base: b,
            other: o,
            parts,
        })
    }
}

impl Paired<'_> {
    /// Runs and counts `branches` in batches; a batch in which anything
    /// goes wrong runs again branch by branch (in `wb` and `wo`), which
    /// reports what.
    pub(super) fn in_batches(
        &self,
        plans: &Batches,
        (bb, bo): (&mut Batch, &mut Batch),
        (wb, wo): (&mut Workspace, &mut Workspace),
        t: &mut PairTally,
        branches: Range<u64>,
    ) -> Result<(), RunError> {
        for (start, lanes, range) in windows(branches) {
            match self.batch(plans, bb, bo, start, lanes) {
                Ok(alike) => {
                    // Where the other's record is the base's, the base's
                    // is read for it (the two have one layout: see
                    // `Program::fork_points`).
                    let (b, o, own) = (&bb.records, &bo.records, lanes & !alike);
                    b.tally(own, &mut t.base);
                    o.tally(own, &mut t.other);
                    b.tally(alike, &mut t.shared);
                    // The flags a column at a time, the rest branch by branch.
                    for (cell, &(i, j)) in t.flags.iter_mut().zip(&self.align.flags) {
                        let bf = b.flag_lanes(i) & lanes;
                        let of = (o.flag_lanes(j) & own) | (b.flag_lanes(j) & alike);
                        cell.0 += u64::from((bf & of).count_ones());
                        cell.1 += u64::from((!bf & of).count_ones());
                        cell.2 += u64::from((bf & !of).count_ones());
                    }
                    for k in bits(own) {
                        self.compare_rest(t, (b, k), (o, k));
                    }
                    self.compare_alike(t, b, alike);
                }
                // Branch by branch, which reports what went wrong.
                Err(Failed) => {
                    for i in range {
                        self.run(wb, wo, i)?;
                        self.count(t, &wb.record, &wo.record);
                    }
                }
            }
        }
        Ok(())
    }

    /// Runs a batch of both programs, sharing the walk up to where they
    /// part; returns the branches whose record in the other is the base's
    /// (those `bo` did not take to the end).
    fn batch(&self, plans: &Batches, bb: &mut Batch, bo: &mut Batch, start: u64, lanes: Mask) -> Result<Mask, Failed> {
        // Up to the fork point the two keep the same decisions, so only
        // those from there on are listed: where the lists first differ is
        // the same without their common start.
        bb.keep_decisions = matches!(plans.parts, Parts::Separate);
        bo.keep_decisions = true;
        bb.begin(self.base, &plans.base, start, lanes);
        let alike = match plans.parts {
            Parts::Separate => {
                bb.walk(self.base, &plans.base, None)?;
                bo.begin(self.other, &plans.other, start, lanes);
                bo.walk(self.other, &plans.other, None)?;
                0
            }
            Parts::At { t, next, rejoin } => {
                if !bb.walk(self.base, &plans.base, Some((t, next)))? {
                    // Every branch stopped before the fork point.
                    return bb.end(&plans.base).map(|()| lanes);
                }
                // Where they can rejoin, a branch that stopped before the
                // fork is alike in both: the other never reads its lists.
                let lists = if rejoin.is_some() { bb.walking() } else { lanes };
                bo.copy_from(bb, &plans.base, lists);
                bb.keep_decisions = true;
                let alike = match rejoin {
                    Some(node) => self.step_forced(plans, bb, bo, node, lanes)?,
                    None => 0,
                };
                bb.walk(self.base, &plans.base, None)?;
                // The same lanes: the other reads the windows the base filled.
                bo.share_lanes(bb);
                bo.walk(self.other, &plans.other, None)?;
                alike
            }
            Parts::Never => {
                bb.walk(self.base, &plans.base, None)?;
                return bb.end(&plans.base).map(|()| lanes);
            }
        };
        bb.end(&plans.base)?;
        if alike != lanes {
            bo.end(&plans.other)?;
        }
        Ok(alike)
    }

    /// Takes the step of the forced node `node` in both batches, paused
    /// before it (`plans.parts` says no other place can part them). Returns
    /// the branches it leaves as the base's, which `bo` then leaves: they
    /// go on alike. Where each other branch has different entries for the
    /// step (or one only) in the two lists of decisions, the two first part
    /// there whatever follows (a list's next entry is later in time, or
    /// later in node order in this tick), so the lists stop here.
    fn step_forced(
        &self,
        plans: &Batches,
        bb: &mut Batch,
        bo: &mut Batch,
        node: usize,
        lanes: Mask,
    ) -> Result<Mask, Failed> {
        bb.step(self.base, &plans.base)?;
        bo.step(self.other, &plans.other)?;
        let alike = lanes & bb.records.same_counts(&bo.records, node);
        debug_assert_eq!(
            alike & bb.walking() & !bb.same_lanes(bo, &plans.base),
            0,
            "a step counted alike left a branch unlike"
        );
        bo.leave(alike);
        let (b, o, unlike) = (&bb.records, &bo.records, lanes & !alike);
        if bits(unlike).all(|k| b.decisions(k) != o.decisions(k)) {
            bb.keep_decisions = false;
            bo.keep_decisions = false;
        }
        Ok(alike)
    }

    /// [`Self::compare_rest`] of the branches of `alike` with themselves,
    /// each one's record in the other being the base's: the same result,
    /// no metric moves, no decision parts.
    fn compare_alike(&self, t: &mut PairTally, b: &Records, alike: Mask) {
        for k in bits(alike) {
            let o = b.outcome(k);
            t.flips[o][o] += 1;
        }
        for (m, &(i, j)) in t.metric_diffs.iter_mut().zip(&self.align.metrics) {
            let both = bits(alike).filter(|&k| b.metric(i, k).is_some() && b.metric(j, k).is_some());
            m.add_zeros(both.count() as u64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::align::Alignment;
    use crate::scenario::{Overrides, load};
    use std::path::Path;

    fn program(name: &str, interventions: &[&str]) -> Program {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/korea-v1/{name}.toml"));
        let overrides = Overrides {
            set: Vec::new(),
            interventions: interventions.iter().map(|s| s.to_string()).collect(),
        };
        crate::program::compile(&load(&path, &overrides).unwrap()).unwrap()
    }

    fn paired<'p>(base: &'p Program, other: &'p Program) -> Paired<'p> {
        let forks = base.fork_points(other);
        Paired {
            base,
            other,
            align: Alignment::new(base, other),
            batches: Batches::new(base, other, forks.as_deref()),
            forks,
        }
    }

    /// Forcing a dated decision: the branches its step leaves as the base's
    /// are exactly those where the base made the forced choice (or none),
    /// and they take the base's record rather than walking on.
    #[test]
    fn branches_the_forced_step_leaves_alike_take_the_base_record() {
        let base = program("historical", &[]);
        for (name, node, fires) in [
            ("no_us_intervention", "truman_commits", false),
            ("pow_compromise", "un_insists_voluntary_repatriation", false),
            ("historical", "truman_commits", true),
        ] {
            let other = match name {
                "historical" => program(name, &["truman_commits=true"]),
                _ => program(name, &[]),
            };
            let job = paired(&base, &other);
            let plans = job.batches.as_ref().unwrap();
            let i = base.nodes().position(|n| n.id == node).unwrap();
            assert!(
                matches!(plans.parts, Parts::At { rejoin: Some(n), .. } if n == i),
                "{name}"
            );
            let (mut bb, mut bo) = (Batch::new(&base, 5), Batch::new(&other, 5));
            let (mut alike, mut all) = (0, 0);
            for start in (0..64 * 40).step_by(64) {
                let lanes = job.batch(plans, &mut bb, &mut bo, start, Mask::MAX).unwrap();
                let records = &bb.records;
                let chose = |k: usize| records.decisions(k).iter().find(|&&(_, code)| code >> 8 == i as u32);
                for k in 0..64 {
                    // The forced choice, or no step of the node at all.
                    let as_forced = chose(k).is_none_or(|&(_, code)| base.node(i as u32).fires(code & 0xff) == fires);
                    assert_eq!(lanes & 1 << k != 0, as_forced, "{name}, branch {}", start + k as u64);
                    // They part at the forced step, so nothing after it is listed.
                    assert!(records.decisions(k).len() <= 1, "{name}, branch {}", start + k as u64);
                }
                alike += lanes.count_ones();
                all += 64;
            }
            assert!(0 < alike && alike < all, "{name}: {alike} of {all} alike");
        }
    }

    /// A forced process comes due again after its first step: there the
    /// two may part later in a branch they were alike in, so none rejoins.
    #[test]
    fn a_forced_process_parts_without_rejoining() {
        let base = program("historical", &[]);
        let other = program("historical", &["southern_attack=false"]);
        let job = paired(&base, &other);
        let plans = job.batches.as_ref().unwrap();
        assert!(matches!(plans.parts, Parts::At { rejoin: None, .. }));
        let (mut bb, mut bo) = (Batch::new(&base, 5), Batch::new(&other, 5));
        for start in (0..64 * 10).step_by(64) {
            assert_eq!(job.batch(plans, &mut bb, &mut bo, start, Mask::MAX).unwrap(), 0);
        }
    }
}
