//! Integration tests for `sim`, as one test binary.

mod batch;
mod browser;
mod class;
mod cli;
mod common;
mod compare;
mod determinism;
mod errors;
mod errors_format2;
mod external;
mod fork;
mod format1;
mod format2;
mod generated;
mod golden;
mod hostile;
mod korea;
mod properties;
mod scenario_gen;
mod shards;
