//! `sim`: a counterfactual decision simulation engine.
//!
//! A scenario (TOML) states what each actor said would make them act; the
//! engine compiles it once and runs many seeded branches, addressably random,
//! and reports outcome frequencies with honest intervals.

pub mod catalogue;
pub mod class;
pub mod cli;
pub mod compare;
pub mod diagnostic;
pub mod engine;
pub mod export;
pub mod expr;
pub mod handout;
pub mod program;
pub mod report;
pub mod rewrite;
pub mod scenario;
pub mod shard;
pub mod stats;
pub mod stories;
pub mod sweep;
pub mod time;
