//! The batch engine (64 branches at a time, column-wise) against the
//! event-driven engine: every branch's record, every tally and every error
//! the same, on the scenario files it runs and on generated scenarios.

use crate::common::{fixture, program, root, write_temp};
use crate::scenario_gen::Gen;
use proptest::strategy::{Strategy, ValueTree};
use sim::engine::batch::{Batch, Plan};
use sim::engine::branch::{RunError, Workspace, run_branch};
use sim::engine::run::{RunSettings, Single, run_job, with_pool};
use sim::engine::trace::NoTrace;
use sim::expr::columns::{Mask, WIDTH};
use sim::program::Program;
use sim::stats::Record;
use std::path::PathBuf;

/// What the tally reads of a record (the batch engine keeps no list of decisions).
fn counted(r: &Record) -> impl PartialEq + std::fmt::Debug + '_ {
    (
        r.outcome, &r.flags, &r.metrics, &r.reached, &r.fired, &r.chosen, &r.path,
    )
}

/// Runs the batches holding `branches` both ways and compares each branch;
/// a batch fails exactly where some branch of it fails. Returns how many
/// branches ran.
fn same_branches(p: &Program, plan: &Plan, seed: u64, windows: &[(u64, Mask)], what: &str) -> usize {
    let mut batch = Batch::new(p, seed);
    let mut ws = Workspace::new(p, seed);
    let mut record = Record::new(&p.shape());
    let mut ran = 0;
    for &(start, lanes) in windows {
        let batched = batch.run(p, plan, start, lanes).is_ok();
        let mut failed = false;
        for k in (0..WIDTH as u64).filter(|k| lanes & (1 << k) != 0) {
            let branch = start + k;
            match run_branch(p, &mut ws, branch, &mut NoTrace) {
                Ok(()) if batched => {
                    batch.records.record(k as usize, &mut record);
                    assert_eq!(counted(&record), counted(&ws.record), "{what}, branch {branch}");
                    ran += 1;
                }
                Ok(()) => {}
                Err(_) => failed = true,
            }
        }
        assert_eq!(
            batched, !failed,
            "{what}: the batch from {start} failed only if a branch of it does"
        );
    }
    ran
}

/// Full windows over the first 320 branches, and part of a window far on
/// (8 branches, in both halves of the mask).
const WINDOWS: [(u64, Mask); 6] = [
    (0, Mask::MAX),
    (64, Mask::MAX),
    (128, Mask::MAX),
    (192, Mask::MAX),
    (256, Mask::MAX),
    (1 << 40, 1 << 63 | 1 << 60 | 1 << 33 | 0b1110_0110),
];

fn files(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .expect("the directory exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    v.sort();
    v
}

#[test]
fn the_first_edition_and_the_fixed_date_fixtures_run_in_batches() {
    let mut batched = files("tests/fixtures/korea-v1");
    batched.extend(
        [
            "coin.toml",
            "harbour.toml",
            "harbour_no_mediator.toml",
            "many_paths.toml",
        ]
        .map(fixture),
    );
    for path in &batched {
        let p = program(path, &[]);
        assert!(Plan::new(&p).is_some(), "{} should run in batches", path.display());
    }
    // Relative and watched timing and waiting-time chances stay event-driven.
    for path in [root().join("scenarios/historical.toml"), fixture("cuba1962.toml")] {
        assert!(Plan::new(&program(&path, &[])).is_none(), "{}", path.display());
    }
}

#[test]
fn every_branch_of_a_batch_is_the_event_driven_branch() {
    let mut paths = files("tests/fixtures/korea-v1");
    paths.extend(
        [
            "coin.toml",
            "harbour.toml",
            "harbour_no_mediator.toml",
            "many_paths.toml",
        ]
        .map(fixture),
    );
    for path in &paths {
        let p = program(path, &[]);
        let plan = Plan::new(&p).expect("runs in batches");
        let ran = same_branches(&p, &plan, 1950, &WINDOWS, &path.display().to_string());
        assert_eq!(ran, 328, "{}: every branch ran", path.display());
    }
}

/// A run counted both ways, on `threads` threads.
fn tallies(p: &Program, settings: &RunSettings) -> (Result<String, RunError>, Result<String, RunError>) {
    let json =
        |r: Result<sim::stats::Tally, RunError>| r.map(|t| serde_json::to_string(&t).expect("a tally serialises"));
    with_pool(settings.threads, || {
        (
            json(run_job(&Single::new(p), settings)),
            json(run_job(&Single::event_driven(p), settings)),
        )
    })
    .expect("a pool starts")
}

#[test]
fn tallies_are_the_same_whatever_the_split() {
    let p = program(&fixture("korea-v1/historical.toml"), &[]);
    // A shard starting inside a window, chunks that are not whole windows.
    for (first, branches, threads, batch_size) in [(0, 2000, 1, 4096), (13, 1000, 2, 100), (1_000_003, 333, 2, 7)] {
        let settings = RunSettings {
            seed: 7,
            first,
            branches,
            threads,
            batch_size,
        };
        let (batched, event_driven) = tallies(&p, &settings);
        assert_eq!(batched.expect("runs"), event_driven.expect("runs"), "{settings:?}");
    }
}

#[test]
fn an_error_in_one_branch_is_reported_as_the_event_driven_engine_reports_it() {
    let text = r#"format = 1
[scenario]
id = "odds"
start = "2000-01"
horizon = "2000-12"
[parameters]
odds = { uniform = [0.0, 1.02] }
[state]
hit = false
[[processes]]
id = "try"
date = "2000-02"
while = "not state.hit"
rule = { kind = "chance", p = "odds" }
then = { hit = true }
[[outcomes]]
id = "hit"
when = "state.hit"
[[outcomes]]
id = "miss"
when = "not state.hit"
"#;
    let p = program(&write_temp("odds.toml", text), &[]);
    assert!(Plan::new(&p).is_some());
    let settings = RunSettings {
        seed: 3,
        first: 0,
        branches: 5000,
        threads: 2,
        batch_size: 256,
    };
    let (batched, event_driven) = tallies(&p, &settings);
    let (a, b) = (
        batched.expect_err("a branch draws odds above 1"),
        event_driven.expect_err("the same branch"),
    );
    assert_eq!(a, b);
    assert!(a.message.contains("outside [0, 1]"), "{}", a.message);
}

#[test]
fn generated_scenarios_with_fixed_dates_run_alike_in_batches() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = (
        0usize..4,
        proptest::collection::vec((0usize..2, 0usize..9, 0usize..3, proptest::bool::ANY), 1..6),
        proptest::collection::vec((0usize..3, 0usize..3, proptest::bool::ANY), 0..3),
        proptest::bool::ANY,
    );
    let (mut batched, mut branches) = (0, 0);
    for case in 0..150 {
        let (unit, events, processes, stop) = strategy.new_tree(&mut runner).expect("a case").current();
        // Timing 0 (a date) for every event; 1 dates the first one too.
        let events = events.into_iter().map(|(t, k, e, o)| (t * 4, k, e, o)).collect();
        let g = Gen {
            unit,
            events,
            processes,
            stop,
        };
        let text = g.text();
        let path = write_temp("gen.toml", &text);
        let Ok(sc) = sim::scenario::load(&path, &Default::default()) else {
            continue;
        };
        let Ok(p) = sim::program::compile(&sc) else { continue };
        let Some(plan) = Plan::new(&p) else { continue };
        batched += 1;
        branches += same_branches(&p, &plan, case, &WINDOWS[..2], &format!("case {case}:\n{text}"));
    }
    assert!(batched >= 40, "only {batched} generated scenarios ran in batches");
    assert!(branches >= 40 * 128, "only {branches} branches compared");
}

#[test]
fn processes_that_draw_at_every_step_read_the_lane_of_the_step() {
    // Rules decided branch by branch (a council, a dependence), effects
    // drawn afresh, and named options, all at every step of a process.
    let text = r#"format = 2
[scenario]
id = "steps"
start = "2000-01"
horizon = "2002-12"
stop_when = "state.n >= 9"
[parameters]
p = { uniform = [0.2, 0.8] }
[state]
x = false
n = 0
z = 0
e = { initial = "a", values = ["a", "b", "c"] }
[actors.a]
name = "A"
[actors.b]
name = "B"
[actors.c]
name = "C"
[[processes]]
id = "vote"
every = "1 month"
while = "state.n < 12"
rule = { kind = "council", needs = "majority", members = [{ actor = "a", rule = { kind = "chance", p = 0.5 } }, { actor = "b", rule = { kind = "chance", p = "p" } }, { actor = "c", rule = { kind = "condition", if = "state.x" } }] }
then = { n = "state.n + 1", z = { normal = [0, 1] } }
else = { x = "state.z > 0" }
[[processes]]
id = "follow"
every = "2 months"
while = "not state.x or state.z < 1"
rule = { kind = "dependence", patrons = [{ actor = "a", wants = true, dependence = "p" }] }
then = { z = { uniform = [-1, 1] } }
[[processes]]
id = "pick"
every = "1 month"
while = "state.n > 2"
options = [{ id = "a", then = { e = "a" } }, { id = "b", then = { e = "b", z = { normal = [1, 1] } } }, { id = "c", then = { e = "c" } }]
rule = { kind = "choice", select = "weighted", weight = { a = "p", b = 1, c = "state.z * state.z" } }
[[outcomes]]
id = "many"
when = "state.n >= 9"
[[outcomes]]
id = "few"
when = "state.n < 9"
[[flags]]
id = "chose_c"
when = "state.e == 'c'"
[[metrics]]
id = "z"
value = "state.z"
"#;
    let p = program(&write_temp("steps.toml", text), &[]);
    let plan = Plan::new(&p).expect("fixed timing runs in batches");
    assert_eq!(same_branches(&p, &plan, 5, &WINDOWS, "steps.toml"), 328);
}

#[test]
fn dependence_and_analogy_rules_decide_over_columns_as_branch_by_branch() {
    // Patrons in order and together, wishes and own preferences that vary
    // by branch (so following a patron changes the decision both ways), at
    // every step of processes (lanes of several steps in one batch), and an
    // analogy whose fallback is a condition.
    let text = r#"format = 2
[scenario]
id = "rules"
start = "2000-01"
horizon = "2001-12"
[parameters]
p = { uniform = [0, 1] }
q = { uniform = [0, 1] }
r = { triangular = [0, 0.5, 1] }
[state]
x = false
y = false
n = 0
z = 0
[actors.a]
name = "A"
[actors.b]
name = "B"
[actors.c]
name = "C"
[[events]]
id = "first"
date = "2000-02"
actor = "c"
rule = { kind = "dependence", patrons = [{ actor = "a", wants = "q > 0.5", dependence = "p" }, { actor = "b", wants = "q < 0.7", dependence = "r" }], own = "r > 0.3" }
then = { x = true }
else = { z = 5 }
[[events]]
id = "lesson"
date = "2000-03"
actor = "c"
rule = { kind = "analogy", features = { f = "p", g = "state.z / 5" }, cases = [{ name = "one", features = { f = 0.2, g = 0 }, lesson = true }, { name = "two", features = { f = 0.9, g = 1 }, lesson = false }, { name = "three", features = { f = 0.9, g = 1 }, lesson = true }], similarity = "r", otherwise = "q < 0.4" }
then = { y = true }
[[processes]]
id = "pulled"
every = "1 month"
while = "state.n < 6 and r > 0.2"
actor = "c"
rule = { kind = "dependence", combine = "together", patrons = [{ actor = "a", wants = "state.x", dependence = "p" }, { actor = "b", wants = "state.y", dependence = 0.5 }], own = "q > 0.5" }
then = { n = "state.n + 1", z = "state.z + 1" }
else = { z = "state.z - 1" }
[[processes]]
id = "follows"
every = "2 months"
while = "state.z < 3"
actor = "c"
rule = { kind = "dependence", patron = "a", wants = "not state.x", dependence = "q", own = "p > 0.5" }
then = { z = "state.z + 2" }
[[outcomes]]
id = "many"
when = "state.n >= 3"
[[outcomes]]
id = "few"
when = "state.n < 3"
[[flags]]
id = "x"
when = "state.x"
[[flags]]
id = "y"
when = "state.y"
[[metrics]]
id = "z"
value = "state.z"
"#;
    let p = program(&write_temp("rules.toml", text), &[]);
    let plan = Plan::new(&p).expect("fixed timing runs in batches");
    assert_eq!(plan.decided_branch_by_branch(), 0, "every rule runs over columns");
    assert_eq!(same_branches(&p, &plan, 3, &WINDOWS, "rules.toml"), 328);
    assert_eq!(same_branches(&p, &plan, 4, &WINDOWS, "rules.toml"), 328);
}

#[test]
fn paired_runs_in_batches_part_where_the_event_driven_pair_parts() {
    use sim::compare::{Sharing, run_pair_as};
    let base = program(&fixture("korea-v1/historical.toml"), &[]);
    let mut checked = 0;
    for name in [
        "no_us_intervention",
        "pow_compromise",
        "halt_at_38th",
        "stalin_dies_early",
        "no_ccp_victory",
    ] {
        let other = program(&fixture(&format!("korea-v1/{name}.toml")), &[]);
        let forks = base.fork_points(&other).is_some();
        for (first, branches, threads) in [(0, 700, 1), (45, 333, 2)] {
            let settings = RunSettings {
                seed: 11,
                first,
                branches,
                threads,
                batch_size: 100,
            };
            let json = |sharing| {
                let t = run_pair_as(&base, &other, &settings, sharing)
                    .expect("a pool")
                    .expect("runs");
                serde_json::to_string(&t).expect("a tally serialises")
            };
            let event_driven = json(Sharing::EventDriven);
            assert_eq!(json(Sharing::Fork), event_driven, "{name}, {settings:?}");
            assert_eq!(json(Sharing::Separate), event_driven, "{name}, {settings:?}");
        }
        checked += usize::from(forks);
    }
    assert!(
        checked >= 3,
        "only {checked} counterfactuals differ from the base in forced decisions only"
    );
}
