//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures").join(name)
}

/// Runs the `sim` binary.
pub fn sim<I: IntoIterator<Item = S>, S: AsRef<std::ffi::OsStr>>(args: I) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(args)
        .output()
        .expect("the sim binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh directory under the target's temp dir.
pub fn temp_dir() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "t{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Writes `text` as `name` in a fresh temp dir and returns its path.
pub fn write_temp(name: &str, text: &str) -> PathBuf {
    let path = temp_dir().join(name);
    std::fs::write(&path, text).expect("write temp file");
    path
}

/// Runs `sim` with JSON output and parses it.
pub fn run_json(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["run", "--format", "json"];
    all.extend_from_slice(args);
    let out = sim(&all);
    assert!(out.status.success(), "sim {all:?} failed: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

/// Loads and compiles a scenario with `--set` and `--do` overrides.
pub fn program_with(path: &Path, set: &[&str], interventions: &[&str]) -> sim::program::Program {
    let overrides = sim::scenario::Overrides {
        set: set.iter().map(|s| s.to_string()).collect(),
        interventions: interventions.iter().map(|s| s.to_string()).collect(),
    };
    let sc = sim::scenario::load(path, &overrides).unwrap_or_else(|e| panic!("{e}"));
    sim::program::compile(&sc).unwrap_or_else(|d| panic!("{}", d.render(&sc.sources)))
}

/// Loads and compiles a scenario with `--set` overrides.
pub fn program(path: &Path, set: &[&str]) -> sim::program::Program {
    program_with(path, set, &[])
}

/// Width of the 95% interval for `p1 - p0` had the two runs of `n` branches
/// been independent (Newcombe's method 10 for unpaired samples).
pub fn unpaired_width(k0: u64, k1: u64, n: u64) -> f64 {
    use sim::stats::interval::wilson;
    let (p0, p1) = (k0 as f64 / n as f64, k1 as f64 / n as f64);
    let ((l0, u0), (l1, u1)) = (wilson(k0, n), wilson(k1, n));
    ((p1 - l1).powi(2) + (u0 - p0).powi(2)).sqrt() + ((u1 - p1).powi(2) + (p0 - l0).powi(2)).sqrt()
}
