//! Runs a compiled program: addressable randomness, decision rules, the
//! branch loop, and parallel batches merged exactly.

pub mod branch;
pub mod dist;
pub mod rng;
pub mod run;
pub mod trace;
