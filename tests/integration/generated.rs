//! Random format-2 scenarios built from the new constructs (clocks, relative
//! and watched timing, options, weighed, council and several-patron rules,
//! chances per period, drawn effects, enumerated state): each one compiles
//! or gets a located error, never a panic; and when it runs, skipping runs
//! of "no" steps changes no branch.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use sim::engine::branch::{Workspace, run_branch};
use sim::engine::narrative::Narrative;
use sim::engine::trace::NoTrace;

use crate::scenario_gen::Gen;

/// A trace that listens, so the engine walks every step.
struct Listening;
impl sim::engine::trace::Trace for Listening {}

fn generated() -> impl Strategy<Value = Gen> {
    (
        0usize..4,
        prop::collection::vec((0usize..8, 0usize..9, 0usize..3, any::<bool>()), 1..6),
        prop::collection::vec((0usize..3, 0usize..3, any::<bool>()), 0..3),
        any::<bool>(),
    )
        .prop_map(|(unit, events, processes, stop)| Gen {
            unit,
            events,
            processes,
            stop,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn generated_scenarios_run_or_are_refused_and_shortcuts_change_nothing(g in generated()) {
        let text = g.text();
        let path = crate::common::write_temp("gen.toml", &text);
        let outcome = std::panic::catch_unwind(|| {
            let sc = sim::scenario::load(&path, &sim::scenario::Overrides::default()).map_err(|e| e.to_string())?;
            let p = sim::program::compile(&sc).map_err(|d| d.render(&sc.sources))?;
            let (mut quiet, mut walked) = (Workspace::new(&p, 2), Workspace::new(&p, 2));
            let mut ran = 0;
            for branch in 0..300 {
                let a = run_branch(&p, &mut quiet, branch, &mut NoTrace);
                let b = run_branch(&p, &mut walked, branch, &mut Listening);
                assert_eq!(a, b, "branch {branch}");
                if a.is_ok() {
                    assert_eq!(quiet.record, walked.record, "branch {branch}");
                    ran += 1;
                }
            }
            let mut story = Narrative::default();
            let _ = sim::engine::run::replay(&p, 2, 7, &mut story);
            Ok::<u32, String>(ran)
        });
        prop_assert!(outcome.is_ok(), "panicked on:\n{text}");
        // What compiles runs: the generator writes no scenario that fails at run time.
        if let Ok(Ok(ran)) = outcome {
            prop_assert_eq!(ran, 300, "{}", text);
        }
    }
}

/// The generator mostly writes scenarios that compile (so the property
/// above exercises the engine, not only the error paths).
#[test]
fn most_generated_scenarios_compile() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = generated();
    let mut compiled = 0;
    for _ in 0..100 {
        let g = strategy.new_tree(&mut runner).unwrap().current();
        let path = crate::common::write_temp("gen.toml", &g.text());
        let sc = sim::scenario::load(&path, &sim::scenario::Overrides::default()).unwrap_or_else(|e| panic!("{e}"));
        match sim::program::compile(&sc) {
            Ok(_) => compiled += 1,
            Err(d) => eprintln!("{}\n{}", g.text(), d.render(&sc.sources)),
        }
    }
    assert!(compiled >= 80, "only {compiled} of 100 compiled");
}
