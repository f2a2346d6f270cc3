//! Differential: generated process-heavy scenarios (the generator of
//! tests/integration/scenario_gen.rs, its choices read from the fuzzer's
//! bytes) run with every shortcut on, walked step by step (a listening
//! trace), and compiled without the shortcuts (no windows, no steady
//! conditions, no chance breaks); every branch's record and draw count
//! must agree; and where the timing is fixed, the batch engine's records
//! (32 branches at a time) must agree with them too.
#![no_main]

#[path = "../../tests/integration/scenario_gen.rs"]
mod scenario_gen;

use libfuzzer_sys::fuzz_target;
use scenario_gen::Gen;
use sim::engine::batch::{Batch, Plan};
use sim::engine::branch::{Workspace, run_branch};
use sim::engine::trace::NoTrace;
use sim::expr::columns::{Mask, WIDTH};

struct Listening;
impl sim::engine::trace::Trace for Listening {}

/// The generator's choices from bytes (zero once they run out).
fn generate(data: &[u8]) -> Gen {
    let mut bytes = data.iter().map(|&b| b as usize);
    let mut next = |n: usize| bytes.next().unwrap_or(0) % n;
    let unit = next(4);
    let events = (0..1 + next(5))
        .map(|_| (next(8), next(9), next(3), next(2) == 1))
        .collect();
    let processes = (0..next(3)).map(|_| (next(3), next(3), next(2) == 1)).collect();
    let stop = next(2) == 1;
    Gen {
        unit,
        events,
        processes,
        stop,
    }
}

fuzz_target!(|data: &[u8]| {
    let text = generate(data).text();
    let dir = if std::path::Path::new("/dev/shm").is_dir() {
        "/dev/shm".into()
    } else {
        std::env::temp_dir()
    };
    let path = std::path::Path::new(&dir).join(format!("sim-fuzz-gen-{}.toml", std::process::id()));
    std::fs::write(&path, &text).expect("the fuzz file is written");
    let Ok(sc) = sim::scenario::load(&path, &Default::default()) else {
        return;
    };
    let Ok(fast) = sim::program::compile(&sc) else { return };
    let plain = fast.without_shortcuts();
    let seed = data.len() as u64;
    let (mut quiet, mut walked, mut stripped) = (
        Workspace::new(&fast, seed),
        Workspace::new(&fast, seed),
        Workspace::new(&plain, seed),
    );
    for branch in 0..64 {
        let a = run_branch(&fast, &mut quiet, branch, &mut NoTrace);
        let b = run_branch(&fast, &mut walked, branch, &mut Listening);
        let c = run_branch(&plain, &mut stripped, branch, &mut NoTrace);
        assert_eq!(a, b, "branch {branch}:\n{text}");
        assert_eq!(a, c, "branch {branch}:\n{text}");
        if a.is_ok() {
            assert_eq!(quiet.record, walked.record, "branch {branch}:\n{text}");
            assert_eq!(quiet.record, stripped.record, "branch {branch}:\n{text}");
            assert_eq!(quiet.lanes.draws(), walked.lanes.draws(), "branch {branch}:\n{text}");
        }
    }
    // Fixed timing: a batch of branches at a time, column-wise, gives the same
    // records (but the list of decisions, which a single run does not keep).
    let Some(plan) = Plan::new(&fast) else { return };
    let mut batch = Batch::new(&fast, seed);
    let mut r = quiet.record.clone();
    for start in [0u64, WIDTH as u64] {
        let batched = batch.run(&fast, &plan, start, Mask::MAX).is_ok();
        let mut failed = false;
        for k in 0..WIDTH as u64 {
            let branch = start + k;
            match run_branch(&fast, &mut quiet, branch, &mut NoTrace) {
                Ok(()) if batched => {
                    batch.records.record(k as usize, &mut r);
                    r.decisions.clone_from(&quiet.record.decisions);
                    assert_eq!(r, quiet.record, "batch, branch {branch}:\n{text}");
                }
                Ok(()) => {}
                Err(_) => failed = true,
            }
        }
        assert_eq!(batched, !failed, "batch from {start}:\n{text}");
    }
});
