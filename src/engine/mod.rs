//! Runs a compiled program: addressable randomness, the event-driven
//! branch loop and its schedule, decision rules, parallel batches merged
//! exactly, and narratives.

mod agenda;
mod ahead;
pub mod batch;
pub mod branch;
mod chacha8;
pub mod decide;
pub mod dist;
pub mod fork;
pub mod narrative;
pub mod rng;
pub mod run;
mod schedule;
pub mod trace;
pub mod trunk;
