//! When each node of a branch is next due. The clock is event-driven: the
//! engine jumps from one due key (tick, then node index: events before
//! processes) to the next. A process steps on its own grid (`every`); a
//! steady condition that is false sends it to sleep until an effect makes
//! it stale; a run of known "no" steps is counted ahead and skipped.

use super::branch::Workspace;
use crate::program::{Node, NodeKind, Period, Program, Timing, Until};
use crate::time::Clock;

/// Never due.
pub const NEVER: u64 = u64::MAX;

/// The order of everything due: by tick, then node index.
#[inline]
pub fn key(tick: u32, node: u32) -> u64 {
    (u64::from(tick) << 32) | u64::from(node)
}

#[inline]
pub fn tick_of(key: u64) -> u32 {
    (key >> 32) as u32
}

/// What the engine remembers of a node with a condition checked repeatedly.
/// It holds until an effect writes a slot the node reads (see `Effects::stales`).
#[derive(Debug, Clone, Copy)]
pub struct Memo {
    /// The value of a steady condition.
    pub holds: Option<bool>,
    /// The chance probability, and the first tick it may differ in.
    pub chance: Option<(f64, u32)>,
}

pub const FORGOTTEN: Memo = Memo {
    holds: None,
    chance: None,
};

/// A run of "no" steps of a process, counted ahead and skipped.
#[derive(Debug, Clone, Copy)]
pub struct Quiet {
    /// Grid index of the run's first step, and how many steps it holds.
    pub from: u32,
    pub steps: u32,
    /// Whether each of those steps used a draw (read ahead).
    pub draws: bool,
}

/// The waiting time of a format-2 process's chance per step. The `j`-th
/// firing draws an exponential `E` from the process's lane `j`; the process
/// fires at the first step where the hazard summed since its last firing,
/// `-ln(1 - p)` per step, reaches `E`. Steps at one probability form a
/// stretch: the hazard of `n` steps of a stretch is `n·h`, so the firing
/// step is found by one division whether the steps are walked or skipped.
#[derive(Debug, Clone, Copy)]
pub struct Hazard {
    /// What is left of `E` at the start of the current stretch.
    pub left: f64,
    /// The hazard per step in this stretch, and the steps taken in it.
    pub h: f64,
    pub n: u32,
    /// Firings so far (the lane of the next draw), and whether `left` holds
    /// a draw for the next firing.
    pub firings: u32,
    pub drawn: bool,
}

pub const FRESH: Hazard = Hazard {
    left: 0.0,
    h: 0.0,
    n: 0,
    firings: 0,
    drawn: false,
};

/// A node's timing in one branch.
#[derive(Debug, Clone, Copy)]
pub struct NodeState {
    /// Whether the node has a start in this branch (a node timed after
    /// another has none until that one fires).
    pub started: bool,
    /// Tick of grid step 0 (a process) or of the start of a watch.
    pub origin: u32,
    /// The first and last tick the node may run in this branch.
    pub first: u32,
    pub last: u32,
    /// A process's grid index of its next step.
    pub k: u32,
    pub memo: Memo,
    pub quiet: Option<Quiet>,
    pub hazard: Hazard,
    /// A process's last entry in the branch's path (runs of equal decisions count once).
    pub last_path: u32,
}

impl NodeState {
    /// Whether the two states are the same to the bit (a branch in either
    /// goes on alike).
    pub fn same_as(&self, o: &NodeState) -> bool {
        let bits = |x: f64| x.to_bits();
        let quiet = |q: Option<Quiet>| q.map(|q| (q.from, q.steps, q.draws));
        let (h, g) = (&self.hazard, &o.hazard);
        self.started == o.started
            && (self.origin, self.first, self.last, self.k, self.last_path)
                == (o.origin, o.first, o.last, o.k, o.last_path)
            && self.memo.holds == o.memo.holds
            && self.memo.chance.map(|(v, t)| (bits(v), t)) == o.memo.chance.map(|(v, t)| (bits(v), t))
            && quiet(self.quiet) == quiet(o.quiet)
            && (bits(h.left), bits(h.h), h.n, h.firings, h.drawn) == (bits(g.left), bits(g.h), g.n, g.firings, g.drawn)
    }
}

pub const IDLE: NodeState = NodeState {
    started: false,
    origin: 0,
    first: 0,
    last: 0,
    k: 0,
    memo: FORGOTTEN,
    quiet: None,
    hazard: FRESH,
    last_path: u32::MAX,
};

/// The tick of grid step `k` of a process, or `u32::MAX` past the timeline.
#[inline]
pub fn grid(node: &Node, clock: &Clock, origin: u32, k: u32) -> u32 {
    match node.every {
        Some(Period::Ticks(1)) => origin.saturating_add(k),
        Some(period) => u32::try_from(period.step(clock, origin, k)).unwrap_or(u32::MAX),
        None => origin,
    }
}

/// The first grid index of a process whose tick is at least `tick`.
pub fn grid_from(node: &Node, clock: &Clock, origin: u32, tick: u32) -> u32 {
    if tick <= origin {
        return 0;
    }
    match node.every {
        Some(Period::Ticks(p)) => (tick - origin).div_ceil(p),
        _ => {
            let mut k = 0;
            while grid(node, clock, origin, k) < tick {
                k += 1;
            }
            k
        }
    }
}

impl Workspace {
    /// Starts node `i` at tick `at` (its date, or its anchor's firing plus the delay).
    pub(super) fn start(&mut self, p: &Program, i: u32, at: u32) {
        let node = p.node(i);
        let clock = &p.meta.clock;
        let s = &mut self.nodes[i as usize];
        s.started = true;
        s.origin = at;
        let end = match node.until {
            Some(Until::Tick(t)) => t,
            Some(Until::Within(d)) => u32::try_from(clock.after(at, d) - 1).unwrap_or(u32::MAX),
            None => clock.last,
        };
        let (w0, w1) = self.windows[i as usize];
        s.first = at.max(w0);
        s.last = end.min(w1).min(clock.last);
        let due = match (node.kind, node.is_watched()) {
            (NodeKind::Process, _) => {
                s.k = grid_from(node, clock, at, s.first);
                let t = grid(node, clock, at, s.k);
                if t <= s.last { key(t, i) } else { NEVER }
            }
            (NodeKind::Event, true) if s.first <= s.last => key(s.first, i),
            (NodeKind::Event, true) => NEVER,
            (NodeKind::Event, false) if at <= clock.last => key(at, i),
            (NodeKind::Event, false) => NEVER,
        };
        self.agenda.set(i, due);
    }

    /// Schedules a process's step `k` (or nothing, past its window or bound).
    pub(super) fn schedule_step(&mut self, p: &Program, i: u32, k: u32) {
        let node = p.node(i);
        let s = &mut self.nodes[i as usize];
        s.k = k;
        let t = grid(node, &p.meta.clock, s.origin, k);
        let due = if t <= s.last && self.record.reached[i as usize] < node.max_steps {
            key(t, i)
        } else {
            NEVER
        };
        self.agenda.set(i, due);
    }

    /// An effect at key `now` wrote a slot node `j` reads: forget what was
    /// remembered of it, cut short a run counted ahead, and wake it if it slept.
    pub(super) fn stale(&mut self, p: &Program, j: u32, now: u64) {
        let s = &mut self.nodes[j as usize];
        s.memo = FORGOTTEN;
        if !s.started {
            return;
        }
        let node = p.node(j);
        let clock = &p.meta.clock;
        if s.quiet.is_some() {
            let k = self.cut_quiet(p, j, now);
            self.schedule_step(p, j, k);
            return;
        }
        if self.agenda.due(j) != NEVER || (node.kind == NodeKind::Event && !node.is_watched()) {
            return;
        }
        // Asleep: due again at its next turn after now.
        let t = tick_of(now);
        let next = if key(t, j) > now { t } else { t + 1 };
        if node.kind == NodeKind::Process {
            let k = grid_from(node, clock, s.origin, next.max(s.first)).max(s.k);
            self.schedule_step(p, j, k);
        } else if self.record.reached[j as usize] == 0 && next.max(s.first) <= s.last {
            self.agenda.set(j, key(next.max(s.first), j));
        }
    }

    /// Ends node `j`'s run of steps counted ahead at key `now`: the steps
    /// whose turn came before it passed (those of earlier ticks, and this
    /// tick's if node `j` ran first); the rest are taken back. Returns the
    /// grid index of the node's next step.
    pub(super) fn cut_quiet(&mut self, p: &Program, j: u32, now: u64) -> u32 {
        let node = p.node(j);
        let clock = &p.meta.clock;
        let s = &mut self.nodes[j as usize];
        let Some(q) = s.quiet.take() else { return s.k };
        let t = tick_of(now);
        let limit = if key(t, j) < now { t.saturating_add(1) } else { t };
        let passed = match node.every {
            Some(Period::Ticks(period)) => {
                let g = grid(node, clock, s.origin, q.from);
                limit.saturating_sub(g).div_ceil(period).min(q.steps)
            }
            _ => {
                let mut n = 0;
                while n < q.steps && grid(node, clock, s.origin, q.from + n) < limit {
                    n += 1;
                }
                n
            }
        };
        let undone = q.steps - passed;
        self.record.reached[j as usize] -= undone;
        if node.hazard {
            s.hazard.n -= undone;
        }
        if q.draws {
            self.lanes.uncount(u64::from(undone));
        }
        q.from + passed
    }

    /// Starts at branch start every node whose timing is known then.
    pub(super) fn start_all(&mut self, p: &Program, moving: &[u32]) {
        for &i in moving {
            let node = p.node(i);
            match &node.timing {
                Timing::At(t) => self.start(p, i, *t),
                Timing::AtExpr(code) => {
                    let v = code.eval(&self.slots, &mut self.stack).ceil();
                    if (0.0..=f64::from(p.meta.clock.last)).contains(&v) {
                        self.start(p, i, v as u32);
                    }
                }
                Timing::After { .. } => {}
            }
        }
    }
}
