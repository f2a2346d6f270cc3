//! One node's step in the branches of a batch: its condition, its
//! decision (over columns, or branch by branch through `decide`), and its
//! record and effects, applied under masks.

use super::plan::{Decider, Effect, Plan};
use super::{Batch, Failed, add_where, bits};
use crate::engine::branch::HAPPENED;
use crate::engine::decide::{Ctx, decide};
use crate::engine::trace::NoTrace;
use crate::expr::columns::{Column, ColumnCode, Mask, WIDTH, splat};
use crate::expr::masks::BIT;
use crate::program::{NodeKind, Program, YES};

impl Batch {
    /// Runs node `i` in the branches of `mask` at tick `t`: where its
    /// condition holds, a step. Returns whether the state changed.
    pub(super) fn visit(
        &mut self,
        p: &Program,
        plan: &Plan,
        i: usize,
        mask: Mask,
        start: u64,
        t: u32,
    ) -> Result<bool, Failed> {
        // A remembered value is evaluated again once it is stale in a
        // branch it is needed in (the new column is current in all).
        let holds = match self.holds[i] {
            Some(h) if self.stale_holds[i] & mask == 0 => h,
            _ => {
                let h = plan.when[i].eval(&self.slots, &mut self.masks);
                if plan.steady[i] {
                    self.holds[i] = Some(h);
                    self.stale_holds[i] = 0;
                }
                h
            }
        } & mask;
        if holds == 0 {
            return Ok(false);
        }
        let node = p.node(i as u32);
        let reached = &mut self.records.reached[i];
        let steps = *reached;
        add_where(reached, holds);
        self.stepped[i] += 1;
        // A node steps at most once a tick.
        self.spent[i] |= match node.max_steps {
            1 => holds,
            most if most > self.stepped[i] => 0,
            most => {
                let mut spent = 0;
                for (&r, &bit) in reached.iter().zip(&BIT) {
                    spent |= if r >= most { bit } else { 0 };
                }
                spent & holds
            }
        };
        let at = Step {
            i,
            start,
            t,
            steps: &steps,
        };
        let yes = match &plan.decide[i] {
            Decider::Happens => return Ok(self.settle(p, plan, &at, None, holds)),
            Decider::Forced(option) => return Ok(self.settle(p, plan, &at, Some(*option), holds)),
            Decider::Condition(code) => code.eval(&self.slots, &mut self.masks) & holds,
            Decider::Threshold { quantity, limit, below } => {
                self.values.resize(self.values.len().max(1), splat(0.0));
                self.values[0] = *quantity.eval(&self.slots, &mut self.stack);
                let l = limit.eval(&self.slots, &mut self.stack);
                let q = &self.values[0];
                let mut yes = 0;
                for ((q, l), &bit) in q.iter().zip(l).zip(&BIT) {
                    yes |= if (*below && q < l) || (!*below && q > l) {
                        bit
                    } else {
                        0
                    };
                }
                yes & holds
            }
            Decider::Chance { p: code, lane } => self.chances(plan, code, *lane, &at, holds)?,
            Decider::Dependence(d) => self.dependence(d, &at, holds)?,
            Decider::Analogy(a) => {
                let options = self.analogy(a);
                return Ok(self.settle_options(p, plan, &at, &options, holds));
            }
            Decider::EachBranch => return self.each_branch(p, plan, &at, holds),
        };
        let mut changed = self.settle(p, plan, &at, Some(YES), yes);
        if !plan.quiet_no[i] {
            changed |= self.settle(p, plan, &at, Some(0), holds & !yes);
        }
        Ok(changed)
    }

    /// The branches of `holds` where a chance says yes. The probability is
    /// evaluated over columns and remembered as the event-driven engine
    /// remembers it; a certain outcome draws nothing, as in `decide`.
    fn chances(&mut self, plan: &Plan, code: &ColumnCode, lane: u32, at: &Step, holds: Mask) -> Result<Mask, Failed> {
        let i = at.i;
        if at.t >= self.chance_until[i] || self.stale_chance[i] & holds != 0 {
            self.chances[i] = Chance::new(code.eval(&self.slots, &mut self.stack));
            self.stale_chance[i] = 0;
            self.chance_until[i] = match &plan.breaks[i] {
                Some(b) => b.iter().find(|&&b| b > at.t).copied().unwrap_or(u32::MAX),
                None => at.t + 1,
            };
        }
        let chance = &self.chances[i];
        if chance.outside & holds != 0 {
            return Err(Failed);
        }
        let drawn = chance.drawn & holds;
        let (mut yes, mut left) = (chance.certain & holds, drawn);
        while left != 0 {
            // The branches at the same step read one lane.
            let step = at.steps[left.trailing_zeros() as usize];
            let group = at.at_step(step) & left;
            let uniforms = self.lanes.window((lane + step) as usize, at.start).uniforms();
            let mut below = 0;
            for ((&u, &p), &bit) in uniforms.iter().zip(&chance.p).zip(&BIT) {
                below |= if u < p { bit } else { 0 };
            }
            yes |= below & group;
            left &= !group;
        }
        self.lanes.count(u64::from(drawn.count_ones()));
        Ok(yes)
    }

    /// The uniforms of the branches of `mask` on the lanes from `lane`
    /// (each branch's is `lane` and its count of steps), counted as draws;
    /// NaN in the other places.
    pub(super) fn drawn(&mut self, lane: u32, at: &Step, mask: Mask) -> Column {
        let (mut u, mut left) = (splat(f64::NAN), mask);
        while left != 0 {
            let step = at.steps[left.trailing_zeros() as usize];
            let group = at.at_step(step) & left;
            let window = self.lanes.window((lane + step) as usize, at.start).uniforms();
            for ((u, &w), &bit) in u.iter_mut().zip(window).zip(&BIT) {
                *u = if group & bit != 0 { w } else { *u };
            }
            left &= !group;
        }
        self.lanes.count(u64::from(mask.count_ones()));
        u
    }

    /// Decides branch by branch through `decide` (the rules not written
    /// over columns), then settles the branches that picked each option.
    fn each_branch(&mut self, p: &Program, plan: &Plan, at: &Step, holds: Mask) -> Result<bool, Failed> {
        let node = p.node(at.i as u32);
        let rule = node.rule.as_deref().ok_or(Failed)?;
        let mut options = [0u32; WIDTH];
        for k in bits(holds) {
            for &s in plan.reads[at.i].iter() {
                self.row[s as usize] = self.slots[s as usize][k];
            }
            let mut c = Ctx {
                slots: &self.row,
                stack: &mut self.row_stack,
                lanes: &mut self.lanes,
                scratch: &mut self.scratch,
                branch: at.start + k as u64,
                step: at.steps[k],
            };
            options[k] = decide(p, node, rule, node.lane, None, &mut c, &mut NoTrace)
                .map_err(|_| Failed)?
                .option;
        }
        Ok(self.settle_options(p, plan, at, &options, holds))
    }

    /// Settles the branches of `holds` that picked each option, as
    /// `options` gives them. Returns whether the state changed.
    fn settle_options(&mut self, p: &Program, plan: &Plan, at: &Step, options: &[u32; WIDTH], holds: Mask) -> bool {
        let (mut left, mut changed) = (holds, false);
        while left != 0 {
            let option = options[left.trailing_zeros() as usize];
            let picked = bits(left)
                .filter(|&k| options[k] == option)
                .fold(0, |m: Mask, k| m | 1 << k);
            changed |= self.settle(p, plan, at, Some(option), picked);
            left &= !picked;
        }
        changed
    }

    /// Records the step in the branches of `mask`, which all picked
    /// `decision` (`None`: nothing was decided), and applies its effects
    /// there, as `branch::step` does. Returns whether the state changed.
    fn settle(&mut self, p: &Program, plan: &Plan, at: &Step, decision: Option<u32>, mask: Mask) -> bool {
        if mask == 0 {
            return false;
        }
        let i = at.i;
        let node = p.node(i as u32);
        let option = decision.unwrap_or(YES);
        let fired = node.fires(option);
        let code = ((i as u32) << 8) | if decision.is_some() { option } else { HAPPENED };
        let kept = node.kind == NodeKind::Event || fired;
        let in_path = decision.is_some() && kept;
        let keep_decisions = self.keep_decisions && kept;
        let records = &mut self.records;
        if fired {
            add_where(&mut records.fired[i], mask);
        }
        if !node.options.is_empty() {
            add_where(&mut records.chosen[(records.offsets[i] + option) as usize], mask);
        }
        if keep_decisions {
            for k in bits(mask) {
                records.decisions[k].push((at.t, code));
            }
        }
        if in_path {
            match i.checked_sub(p.events.len()) {
                None => bits(mask).for_each(|k| records.paths[k].push(code)),
                Some(j) => {
                    for k in bits(mask) {
                        let last_path = &mut self.last_path[j][k];
                        if *last_path != code {
                            records.paths[k].push(code);
                            *last_path = code;
                        }
                    }
                }
            }
        }
        let effects = &plan.effects[i][option as usize];
        if effects.is_empty() {
            return false;
        }
        // Every right side is read before any is written.
        if self.values.len() < effects.len() {
            self.values.resize(effects.len(), splat(0.0));
        }
        for (j, (_, e)) in effects.iter().enumerate() {
            match e {
                Effect::Const(_) => {}
                Effect::Code(code) => self.values[j] = *code.eval(&self.slots, &mut self.stack),
                Effect::Draw { dist, lane } => {
                    for k in bits(mask) {
                        let u = self.lanes.uniform((lane + at.steps[k]) as usize, at.start + k as u64);
                        self.values[j][k] = dist.quantile(u);
                    }
                }
            }
        }
        for (j, (slot, e)) in effects.iter().enumerate() {
            let (slot, col) = (*slot, &mut self.slots[*slot as usize]);
            match e {
                Effect::Const(v) => bits(mask).for_each(|k| col[k] = *v),
                _ => bits(mask).for_each(|k| col[k] = self.values[j][k]),
            }
            for &n in plan.holds_readers[slot as usize].iter() {
                self.stale_holds[n as usize] |= mask;
            }
            for &n in plan.chance_readers[slot as usize].iter() {
                self.stale_chance[n as usize] |= mask;
            }
        }
        true
    }
}

/// A chance's probability in every branch of the batch, and the branches
/// where it is outside [0, 1] (an error), 1 (yes without a draw) and
/// strictly between 0 and 1 (a draw decides; at 0 it is no without one).
#[derive(Debug, Clone, Copy)]
pub(super) struct Chance {
    p: Column,
    outside: Mask,
    certain: Mask,
    drawn: Mask,
}

impl Chance {
    fn new(p: &Column) -> Chance {
        let (mut outside, mut certain, mut drawn) = (0, 0, 0);
        for (&v, &bit) in p.iter().zip(&BIT) {
            outside |= if (0.0..=1.0).contains(&v) { 0 } else { bit };
            certain |= if v == 1.0 { bit } else { 0 };
            drawn |= if v > 0.0 && v < 1.0 { bit } else { 0 };
        }
        Chance {
            p: *p,
            outside,
            certain,
            drawn,
        }
    }
}

impl Default for Chance {
    fn default() -> Chance {
        Chance::new(&splat(0.0))
    }
}

/// Where a node's step is taken: node `i` at tick `t` in the batch from
/// branch `start`, with each branch's count of the node's earlier steps.
pub(super) struct Step<'a> {
    i: usize,
    start: u64,
    t: u32,
    steps: &'a [u32; WIDTH],
}

impl Step<'_> {
    /// The branches at the node's step `step` (they read one lane).
    fn at_step(&self, step: u32) -> Mask {
        let mut group = 0;
        for (&s, &bit) in self.steps.iter().zip(&BIT) {
            group |= if s == step { bit } else { 0 };
        }
        group
    }
}
