//! Integration tests for `sim`, as one test binary.

mod cli;
mod common;
mod compare;
mod determinism;
mod errors;
mod format1;
mod format2;
mod golden;
mod korea;
mod properties;
