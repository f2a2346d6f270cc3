//! `sim`: a counterfactual decision simulation engine.
//!
//! A scenario (TOML) states what each actor said would make them act; the
//! engine compiles it once and runs many seeded branches, addressably random,
//! and reports outcome frequencies with honest intervals.

pub mod diagnostic;
pub mod expr;
pub mod scenario;
pub mod engine;
pub mod program;
pub mod stats;
pub mod export;
pub mod report;
pub mod cli;
