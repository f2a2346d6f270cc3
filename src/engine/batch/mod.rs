//! Branches run 64 at a time (`WIDTH`), column-wise: the state is one column of
//! values per slot (one value per branch of the batch), and the batch walks
//! the timeline tick by tick. Conditions, chances, condition and threshold
//! rules, effects and results are evaluated once for all the branches of
//! the batch (see `expr::columns`; conditions as bit masks, `expr::masks`)
//! and applied under masks; so are dependence and analogy rules (`rules`);
//! the other rules decide branch by branch, reading one branch's slots. A
//! node's step is in `step`, the plan of the walk in `plan`, the branches'
//! records in `records`.
//!
//! A batch is one lane window of the random streams, so each lane's values
//! for all 64 branches come from one refill (eight ChaCha blocks). Sets of branches are `Mask`s, one bit per branch.
//!
//! It runs the programs whose timing is the same in every branch (see
//! [`Plan`]): dated events, and processes stepping on a fixed grid from a
//! fixed date (every format-1 scenario is one). Its results are the
//! event-driven engine's (`branch`) to the bit: a process is visited at
//! each step of its grid where the event-driven engine could visit it, its
//! condition evaluated afresh or remembered as that engine remembers it (its
//! shortcuts only skip visits whose outcome is known). A batch in which
//! anything goes wrong (an error in any branch) is run again by the
//! event-driven engine, which reports it as it always does.

mod plan;
mod records;
mod rules;
mod step;

pub use plan::Plan;
pub use records::Records;

use super::rng::Lanes;
use crate::expr::Stack;
use crate::expr::columns::{Column, ColumnStack, Mask, WIDTH, splat};
use crate::expr::masks::MaskStack;
use crate::program::{NOW_SLOT, ParamValue, Program};
use crate::stats::moments::fixed;
use std::ops::Range;
use step::Chance;

/// Per-thread scratch space of the batch engine, reused for every batch.
pub struct Batch {
    slots: Vec<Column>,
    stack: ColumnStack,
    masks: MaskStack,
    lanes: Lanes,
    /// One branch's slots (only those a step reads are current).
    row: Vec<f64>,
    row_stack: Stack,
    scratch: Vec<f64>,
    /// The right sides of effects, over columns.
    values: Vec<Column>,
    /// What each branch of the batch did.
    pub records: Records,
    /// Per process (node `events + j`) and branch: its last entry in the
    /// branch's path (an event steps once: each step is a new entry).
    last_path: Vec<[u32; WIDTH]>,
    /// Per node: what is remembered of its condition (the branches where
    /// it holds) and of its chance (the column, and the tick it may change
    /// at; 0 when forgotten), and the branches where an effect wrote a slot
    /// they read since.
    holds: Vec<Option<Mask>>,
    chances: Vec<Chance>,
    chance_until: Vec<u32>,
    stale_holds: Vec<Mask>,
    stale_chance: Vec<Mask>,
    /// Per node: the branches where a process has taken all its steps, and
    /// the ticks it stepped at in any branch (so no branch has taken more).
    spent: Vec<Mask>,
    stepped: Vec<u32>,
    at: Place,
    /// Whether records keep their list of decisions (a paired run reads it).
    pub keep_decisions: bool,
}

/// How far a batch's walk has got.
#[derive(Debug, Clone, Copy)]
struct Place {
    /// The batch's first branch, and the branches of it being run.
    start: u64,
    lanes: Mask,
    /// The branches not stopped yet, and the tick each one stopped at
    /// (the last tick for those that did not).
    active: Mask,
    stopped: [u32; WIDTH],
    /// The tick being run, the position in its list of nodes due, and
    /// whether an effect has changed the state in it.
    t: u32,
    next: usize,
    changed: bool,
}

/// Something went wrong in a branch of the batch: run it the other way.
#[derive(Debug)]
pub struct Failed;

impl Batch {
    pub fn new(p: &Program, seed: u64) -> Self {
        let nodes = p.events.len() + p.processes.len();
        Batch {
            slots: p.initial.iter().map(|&v| splat(v)).collect(),
            stack: ColumnStack::default(),
            masks: MaskStack::default(),
            lanes: Lanes::new(seed, &p.lanes),
            row: p.initial.clone(),
            row_stack: Stack::default(),
            scratch: Vec::with_capacity(64),
            values: Vec::new(),
            records: Records::new(&p.shape()),
            last_path: vec![[u32::MAX; WIDTH]; p.processes.len()],
            holds: vec![None; nodes],
            chances: vec![Chance::default(); nodes],
            chance_until: vec![0; nodes],
            stale_holds: vec![0; nodes],
            stale_chance: vec![0; nodes],
            spent: vec![0; nodes],
            stepped: vec![0; nodes],
            at: Place {
                start: 0,
                lanes: 0,
                active: 0,
                stopped: [0; WIDTH],
                t: 0,
                next: 0,
                changed: false,
            },
            keep_decisions: false,
        }
    }

    /// Runs the branches `start + k` for each bit `k` of `lanes` (`start` a
    /// multiple of [`WIDTH`]), leaving each one's record in `records[k]`.
    pub fn run(&mut self, p: &Program, plan: &Plan, start: u64, lanes: Mask) -> Result<(), Failed> {
        self.begin(p, plan, start, lanes);
        self.walk(p, plan, None)?;
        self.end(plan)
    }

    /// Starts the branches `start + k` for each bit `k` of `lanes` (`start`
    /// a multiple of [`WIDTH`]): draws their parameters, resets the state.
    pub fn begin(&mut self, p: &Program, plan: &Plan, start: u64, lanes: Mask) {
        debug_assert!(start % WIDTH as u64 == 0);
        self.draw(p, plan, start, lanes);
        self.at = Place {
            start,
            lanes,
            active: lanes,
            stopped: [p.meta.clock.last; WIDTH],
            t: 0,
            next: 0,
            changed: true,
        };
    }

    /// Walks the batch tick by tick to the end of the timeline (or until
    /// every branch has stopped), or until the `next`-th node due at tick
    /// `t` is about to run, given as `Some((t, next))` (`next` the count of
    /// nodes due: after the last, before the stop condition); returns
    /// whether it paused there. Within a tick, the nodes due run in node
    /// order (dated events, then processes); the stop condition is checked
    /// at its end.
    pub fn walk(&mut self, p: &Program, plan: &Plan, pause: Option<(u32, usize)>) -> Result<bool, Failed> {
        let last = p.meta.clock.last;
        while self.at.t <= last && self.at.active != 0 {
            let t = self.at.t;
            if self.at.next == 0 {
                self.slots[NOW_SLOT as usize] = splat(f64::from(t));
                self.at.changed = t == 0;
            }
            let due = &plan.due[t as usize];
            loop {
                if pause == Some((t, self.at.next)) {
                    return Ok(true);
                }
                let Some(&i) = due.get(self.at.next) else { break };
                let i = i as usize;
                self.at.next += 1;
                let mask = self.at.active & !self.spent[i];
                if mask != 0 {
                    self.at.changed |= self.visit(p, plan, i, mask, self.at.start, t)?;
                }
            }
            if let Some(stop) = &plan.stop {
                if self.at.changed || plan.stop_reads_now {
                    let ends = self.at.active & stop.eval(&self.slots, &mut self.masks);
                    for k in bits(ends) {
                        self.at.stopped[k] = t;
                    }
                    self.at.active &= !ends;
                }
            }
            self.at.t += 1;
            self.at.next = 0;
        }
        Ok(false)
    }

    /// The branches still walking.
    pub fn walking(&self) -> Mask {
        self.at.active
    }

    /// Runs the node the batch was paused before (see [`Self::walk`]) and
    /// pauses again just after it.
    pub fn step(&mut self, p: &Program, plan: &Plan) -> Result<(), Failed> {
        let (t, next) = (self.at.t, self.at.next);
        self.walk(p, plan, Some((t, next + 1))).map(drop)
    }

    /// Takes the branches of `lanes` out of the batch: they walk no
    /// further and are not judged (their records stay as they stand).
    pub fn leave(&mut self, lanes: Mask) {
        self.at.active &= !lanes;
        self.at.lanes &= !lanes;
    }

    /// The branches where this batch stands exactly as `other` does, a
    /// batch of a program with the same layout (see [`Self::copy_from`]):
    /// walking or not, the same slots, records and nodes spent. What is
    /// remembered of conditions and chances is left aside: it only spares
    /// work, never changes a result. For checking the places where two
    /// batches are known to stand alike.
    pub fn same_lanes(&self, other: &Batch, plan: &Plan) -> Mask {
        let mut differ = self.at.active ^ other.at.active;
        let mut columns = |a: &[u32; WIDTH], b: &[u32; WIDTH]| {
            for (k, (x, y)) in a.iter().zip(b).enumerate() {
                differ |= Mask::from(x != y) << k;
            }
        };
        let (a, b) = (&self.records, &other.records);
        for (x, y) in [(&a.reached, &b.reached), (&a.fired, &b.fired), (&a.chosen, &b.chosen)] {
            x.iter().zip(y).for_each(|(x, y)| columns(x, y));
        }
        self.last_path
            .iter()
            .zip(&other.last_path)
            .for_each(|(x, y)| columns(x, y));
        for &s in plan.changing.iter() {
            let (x, y) = (&self.slots[s as usize], &other.slots[s as usize]);
            for (k, (x, y)) in x.iter().zip(y).enumerate() {
                differ |= Mask::from(x.to_bits() != y.to_bits()) << k;
            }
        }
        for k in 0..WIDTH {
            let lists = (&a.decisions[k], &a.paths[k]) != (&b.decisions[k], &b.paths[k]);
            differ |= Mask::from(lists || self.at.stopped[k] != other.at.stopped[k]) << k;
        }
        for (x, y) in self.spent.iter().zip(&other.spent) {
            differ |= x ^ y;
        }
        !differ
    }

    /// Judges every branch once its walk is over (`now` the tick it stopped at).
    pub fn end(&mut self, plan: &Plan) -> Result<(), Failed> {
        self.slots[NOW_SLOT as usize] = self.at.stopped.map(f64::from);
        self.judge(plan, self.at.lanes)
    }

    /// Becomes a copy of `other`'s batch as it stands, a batch of a program
    /// with the same layout, initial values and effects (one that differs
    /// only in forced decisions, as `plan`'s does): only the slots a batch
    /// changes can differ. The branches outside `lists` keep their own
    /// lists of decisions and path (for branches no one reads again).
    pub fn copy_from(&mut self, other: &Batch, plan: &Plan, lists: Mask) {
        for &s in plan.changing.iter() {
            self.slots[s as usize] = other.slots[s as usize];
        }
        self.records.copy_from(&other.records, lists);
        self.last_path.copy_from_slice(&other.last_path);
        self.holds.copy_from_slice(&other.holds);
        // A chance not remembered (`chance_until` 0) is evaluated afresh.
        for (i, &until) in other.chance_until.iter().enumerate() {
            if until != 0 {
                self.chances[i] = other.chances[i];
            }
        }
        self.chance_until.copy_from_slice(&other.chance_until);
        self.stale_holds.copy_from_slice(&other.stale_holds);
        self.stale_chance.copy_from_slice(&other.stale_chance);
        self.spent.copy_from_slice(&other.spent);
        self.stepped.copy_from_slice(&other.stepped);
        self.at = other.at;
    }

    /// Trades lane caches with `other`, a batch of a program with the same
    /// lanes and seed: the values are the same whoever reads them, so the
    /// windows `other` has filled for this batch serve this one.
    pub fn share_lanes(&mut self, other: &mut Batch) {
        std::mem::swap(&mut self.lanes, &mut other.lanes);
    }

    /// Records every branch's result outcome, flags and metrics, as
    /// `branch::judge` does; fails if any branch breaks a rule of results.
    fn judge(&mut self, plan: &Plan, lanes: Mask) -> Result<(), Failed> {
        let mut held: Mask = 0;
        for (o, code) in plan.outcomes.iter().enumerate() {
            let holds = code.eval(&self.slots, &mut self.masks) & lanes;
            if held & holds != 0 {
                return Err(Failed); // two outcomes hold
            }
            held |= holds;
            for k in bits(holds) {
                self.records.outcome[k] = o as u32;
            }
        }
        if held != lanes {
            return Err(Failed); // none holds
        }
        for (f, code) in plan.flags.iter().enumerate() {
            self.records.flags[f] = code.eval(&self.slots, &mut self.masks) & lanes;
        }
        for (m, (value, when)) in plan.metrics.iter().enumerate() {
            let present = match when {
                Some(w) => w.eval(&self.slots, &mut self.masks),
                None => Mask::MAX,
            };
            let values = value.eval(&self.slots, &mut self.stack);
            for k in bits(lanes) {
                self.records.metrics[m][k] = match present & (1 << k) {
                    0 => None,
                    _ => Some(fixed(values[k]).ok_or(Failed)?),
                };
            }
        }
        Ok(())
    }

    /// Draws the parameters of every branch and resets the state.
    fn draw(&mut self, p: &Program, plan: &Plan, start: u64, lanes: Mask) {
        for &s in plan.changing.iter() {
            self.slots[s as usize] = splat(p.initial[s as usize]);
        }
        for param in &p.params {
            if let ParamValue::Drawn { dist, lane } = &param.value {
                // Every branch of the window gets a value; those outside
                // `lanes` are never read.
                let window = self.lanes.window(*lane as usize, start);
                dist.quantiles(window.uniforms(), &mut self.slots[param.slot as usize]);
                self.lanes.count(u64::from(lanes.count_ones()));
            }
        }
        self.records.clear();
        self.last_path.iter_mut().for_each(|l| *l = [u32::MAX; WIDTH]);
        self.holds.fill(None);
        self.chance_until.fill(0);
        self.stale_holds.fill(0);
        self.stale_chance.fill(0);
        self.spent.fill(0);
        self.stepped.fill(0);
    }
}

/// The batches covering `branches`: each one's first branch (a multiple of
/// [`WIDTH`]), the bits of its branches inside the range, and those branches.
pub fn windows(branches: Range<u64>) -> impl Iterator<Item = (u64, Mask, Range<u64>)> {
    let width = WIDTH as u64;
    let first = branches.start - branches.start % width;
    (first..branches.end).step_by(WIDTH).map(move |start| {
        let (lo, hi) = (branches.start.max(start), branches.end.min(start + width));
        let lanes = (lo - start..hi - start).fold(0, |m: Mask, k| m | 1 << k);
        (start, lanes, lo..hi)
    })
}

/// Adds one to the places of `column` in the branches of `mask` (written
/// so that it runs as a few vector operations: 32-bit halves of the mask
/// against 32-bit places).
#[inline]
fn add_where(column: &mut [u32; WIDTH], mask: Mask) {
    const BIT: [u32; 32] = {
        let mut bits = [0; 32];
        let mut k = 0;
        while k < 32 {
            bits[k] = 1 << k;
            k += 1;
        }
        bits
    };
    for (half, m) in column.chunks_exact_mut(32).zip([mask as u32, (mask >> 32) as u32]) {
        for (v, bit) in half.iter_mut().zip(BIT) {
            *v += u32::from(m & bit != 0);
        }
    }
}

/// The positions of the set bits of `mask`, lowest first.
#[inline]
pub fn bits(mut mask: Mask) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        (mask != 0).then(|| {
            let k = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            k
        })
    })
}
