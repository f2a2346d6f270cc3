//! What a branch can report as it runs: nothing (the hot loop), or a dated
//! narrative (see `narrative`).

use super::decide::Decision;
use crate::program::{Node, Param, Program};
use crate::stats::Record;

/// Observer of a running branch. Every method defaults to doing nothing, so
/// the engine's hot loop, with [`NoTrace`], pays nothing for it.
pub trait Trace {
    /// Whether this trace ignores everything, so that the engine may skip
    /// over a run of "no" decisions of a process instead of telling each one.
    const SILENT: bool = false;
    fn param(&mut self, _param: &Param, _value: f64) {}
    /// The clock reached `tick`, where something is due.
    fn tick(&mut self, _p: &Program, _tick: u32) {}
    /// A node was evaluated: not reached (`decision` None and not fired),
    /// happened, or decided.
    fn node(
        &mut self,
        _p: &Program,
        _node: &Node,
        _step: u32,
        _decision: Option<&Decision>,
        _fired: bool,
        _slots: &[f64],
    ) {
    }
    /// Member `member` of a council decided (before the council's decision).
    fn member(&mut self, _p: &Program, _node: &Node, _member: usize, _decision: &Decision, _slots: &[f64]) {}
    /// An effect set state slot `slot` to a fresh draw.
    fn drew(&mut self, _p: &Program, _slot: u32, _value: f64) {}
    fn stop(&mut self, _p: &Program, _tick: u32) {}
    fn finish(&mut self, _p: &Program, _record: &Record, _slots: &[f64]) {}
}

pub struct NoTrace;
impl Trace for NoTrace {
    const SILENT: bool = true;
}
