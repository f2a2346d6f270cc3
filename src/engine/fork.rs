//! Stopping a branch before given nodes, copying it, and going on: where
//! a counterfactual that only forces decisions parts from its base (see
//! `compare::pair`), or a run that pins parameters from the scenario's
//! trunk (see `trunk`). Up to that point the two programs are the same
//! code over the same draws, so the copy is what the other would have.

use super::branch::{RunError, Walk, Workspace, advance, begin, end, finish};
use super::trace::NoTrace;
use crate::program::Program;
use std::cell::Cell;

impl Workspace {
    /// Becomes a copy of `other`'s branch as it stands, a workspace of a
    /// program with the same layout (see `Program::fork_points`): the
    /// state, schedule and record, not the values cached per lane.
    pub fn copy_from(&mut self, other: &Workspace) {
        self.slots.copy_from_slice(&other.slots);
        self.lanes.count_as(&other.lanes);
        self.record.copy_from(&other.record);
        // Fixed-date events keep no state (see `begin`).
        let first_moving = self.fixed.len();
        self.nodes[first_moving..].copy_from_slice(&other.nodes[first_moving..]);
        self.agenda.copy_from(&other.agenda);
        self.windows.copy_from_slice(&other.windows);
        self.version = other.version;
        self.stop = other.stop;
        self.now = other.now;
        self.cursor = other.cursor;
        self.tick = other.tick;
    }
}

impl Workspace {
    /// Whether this branch stands exactly where `other`'s does, the
    /// `pinned` slots aside, when the two were alike but for those slots
    /// before each took one step of a node that can change the state of
    /// the `touched` nodes only (see `Program::touched_by`): then, as long
    /// as no node reads a pinned slot, the two go on alike.
    pub fn same_after_step(&self, other: &Workspace, pinned: &[(u32, f64)], touched: &[u32]) -> bool {
        let first_moving = self.fixed.len() as u32;
        let mut nodes = touched.iter().filter(|&&i| i >= first_moving).map(|&i| i as usize);
        let same = self.same_but_nodes(other, pinned) && nodes.all(|i| self.nodes[i].same_as(&other.nodes[i]));
        debug_assert!(
            !same
                || self.nodes[first_moving as usize..]
                    .iter()
                    .zip(&other.nodes[first_moving as usize..])
                    .all(|(a, b)| a.same_as(b)),
            "a step changed the state of a node it does not touch"
        );
        same
    }

    /// Everything [`Self::same_after_step`] compares but the nodes' states.
    fn same_but_nodes(&self, other: &Workspace, pinned: &[(u32, f64)]) -> bool {
        let mut slots = self.slots.iter().zip(&other.slots).enumerate();
        (self.version, self.now, self.cursor, self.tick) == (other.version, other.now, other.cursor, other.tick)
            && self.stop == other.stop
            && self.lanes.draws() == other.lanes.draws()
            && self.agenda == other.agenda
            && self.windows == other.windows
            && slots.all(|(s, (a, b))| a.to_bits() == b.to_bits() || pinned.iter().any(|&(p, _)| p as usize == s))
            && self.record == other.record
    }
}

/// The nodes a walk stops before (see [`run_to_fork`]).
pub trait Forks {
    fn at(&self, node: u32) -> Stop;
}

/// Whether a walk stops before a node that comes due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    No,
    /// Before the node runs.
    Due,
    /// Before the node runs, if its condition holds then (what it reads
    /// otherwise is read only when it does).
    IfHolds,
}

/// Marked nodes.
impl Forks for [bool] {
    #[inline]
    fn at(&self, node: u32) -> Stop {
        match self[node as usize] {
            true => Stop::Due,
            false => Stop::No,
        }
    }
}

/// No node: a walk to the end.
pub(super) struct Never;

impl Forks for Never {
    #[inline(always)]
    fn at(&self, _: u32) -> Stop {
        Stop::No
    }
}

/// Runs branch `branch` up to the first node in `forks` that comes due,
/// and leaves it there, returning that node; or, when none does, to its
/// end (`Ok(None)`, what happened in `ws.record`).
pub fn run_to_fork<F: Forks + ?Sized>(
    p: &Program,
    ws: &mut Workspace,
    branch: u64,
    forks: &F,
) -> Result<Option<u32>, RunError> {
    begin(p, ws, branch, &mut NoTrace);
    walk_on(p, ws, branch, forks)
}

/// Goes on with a branch left at a fork point (by [`run_to_fork`] or this,
/// in this workspace or one copied from it), as [`run_to_fork`] does.
pub fn walk_on<F: Forks + ?Sized>(
    p: &Program,
    ws: &mut Workspace,
    branch: u64,
    forks: &F,
) -> Result<Option<u32>, RunError> {
    match advance(p, ws, branch, &mut NoTrace, forks)? {
        Walk::Paused(node) => Ok(Some(node)),
        Walk::Ended(stopped) => end(p, ws, branch, stopped, &mut NoTrace).map(|()| None),
    }
}

/// Runs the node a branch was left before (at a fork point), and leaves
/// it before whatever comes due next, returning that node; or, when the
/// branch ends first, ends it (`Ok(None)`).
pub fn step_over(p: &Program, ws: &mut Workspace, branch: u64) -> Result<Option<u32>, RunError> {
    walk_on(p, ws, branch, &AfterFirst(Cell::new(true)))
}

/// Every node but the first asked about.
struct AfterFirst(Cell<bool>);

impl Forks for AfterFirst {
    fn at(&self, _: u32) -> Stop {
        match self.0.replace(false) {
            true => Stop::No,
            false => Stop::Due,
        }
    }
}

/// Works out the results (outcome, flags, metrics) of an ended branch
/// again, by `p`: a program whose results read values the branch's own
/// program did not have (a pinned parameter).
pub fn finish_again(p: &Program, ws: &mut Workspace, branch: u64) -> Result<(), RunError> {
    finish(p, ws, branch, &mut NoTrace)
}

/// Runs a branch left at a fork point to its end.
pub fn resume(p: &Program, ws: &mut Workspace, branch: u64) -> Result<(), RunError> {
    walk_on(p, ws, branch, &Never).map(|_| ())
}
