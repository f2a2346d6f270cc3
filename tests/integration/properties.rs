//! Property tests: invariants that hold for any seed, size or input.

use crate::common::{fixture, program};
use proptest::prelude::*;
use sim::engine::branch::{Workspace, run_branch};
use sim::engine::run::{RunSettings, run};
use sim::engine::trace::NoTrace;
use sim::program::Program;
use sim::report::Report;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn statistics_are_coherent(seed in any::<u64>(), branches in 1u64..3000, threads in 1usize..4) {
        let p = program(&fixture("harbour.toml"), &[]);
        let settings = RunSettings { first: 0, seed, branches, threads, batch_size: 256 };
        let tally = run(&p, &settings).unwrap().unwrap();
        let r = Report::new(&p, &settings, &tally);
        prop_assert_eq!(r.outcomes.iter().map(|o| o.count).sum::<u64>(), branches);
        for o in r.outcomes.iter().chain(&r.flags) {
            prop_assert!((0.0..=1.0).contains(&o.p));
            prop_assert!(o.ci95[0] <= o.p && o.p <= o.ci95[1], "{:?}", o);
        }
        for e in &r.events {
            prop_assert!(e.fired <= e.reached && e.reached <= branches);
        }
        let path_total: u64 = r.paths.iter().map(|p| p.count).sum();
        prop_assert!(path_total <= branches);
    }

    #[test]
    fn a_counterfactual_that_changes_nothing_matches_its_base(seed in any::<u64>(), start in 0u64..1_000_000) {
        let dir = crate::common::temp_dir();
        std::fs::copy(fixture("harbour.toml"), dir.join("harbour.toml")).unwrap();
        std::fs::write(dir.join("same.toml"), "[scenario]\nextends = \"harbour.toml\"\nid = \"same\"\n").unwrap();
        let base = program(&dir.join("harbour.toml"), &[]);
        let cf = program(&dir.join("same.toml"), &[]);
        let (mut wb, mut wc) = (Workspace::new(&base, seed), Workspace::new(&cf, seed));
        for b in start..start + 200 {
            run_branch(&base, &mut wb, b, &mut NoTrace).unwrap();
            run_branch(&cf, &mut wc, b, &mut NoTrace).unwrap();
            prop_assert_eq!(wb.record.outcome, wc.record.outcome);
            prop_assert_eq!(&wb.record.path, &wc.record.path);
            prop_assert_eq!(&wb.record.metrics, &wc.record.metrics);
            prop_assert_eq!(&wb.slots, &wc.slots);
        }
    }

    #[test]
    fn raising_a_threshold_never_lowers_the_chance_of_acting(lo in 0.0f64..0.5, step in 0.01f64..0.5, seed in any::<u64>()) {
        // north blockades when its belief is below north.risk_limit.
        let f = fixture("harbour.toml");
        let at = |x: f64| {
            let p = program(&f, &[&format!("north.risk_limit={x}")]);
            let s = RunSettings { first: 0, seed, branches: 2000, threads: 1, batch_size: 4096 };
            run(&p, &s).unwrap().unwrap().flags[0]
        };
        prop_assert!(at(lo + step) >= at(lo));
    }
}

/// Random expression trees, fully parenthesised, parse back to the same tree.
fn arb_expr() -> impl Strategy<Value = (String, String)> {
    let leaf = prop_oneof![
        (0u32..100).prop_map(|n| (n.to_string(), n.to_string())),
        Just(("x".to_string(), "x".to_string())),
        Just(("state.y".to_string(), "state.y".to_string())),
    ];
    leaf.prop_recursive(6, 64, 3, |inner| {
        prop_oneof![
            (
                inner.clone(),
                prop::sample::select(vec!["+", "-", "*", "/", "<", "==", "and", "or"]),
                inner.clone()
            )
                .prop_map(|((a, sa), op, (b, sb))| (format!("({a} {op} {b})"), format!("({op} {sa} {sb})"))),
            inner
                .clone()
                .prop_map(|(a, sa)| (format!("(not {a})"), format!("(not {sa})"))),
            (inner.clone(), inner.clone(), inner).prop_map(|((c, sc), (a, sa), (b, sb))| {
                (format!("(if {c} then {a} else {b})"), format!("(if {sc} {sa} {sb})"))
            }),
        ]
    })
}

proptest! {
    #[test]
    fn parser_round_trips_parenthesised_text((text, sexp) in arb_expr()) {
        let e = sim::expr::parser::parse(&text).unwrap();
        prop_assert_eq!(e.to_string(), sexp);
    }
}

/// The engine's shortcuts (process windows read from conditions, steady
/// conditions kept while the state does not change, fused code) must not
/// change a single count: compare with the same program stripped of them.
#[test]
fn shortcuts_change_no_result() {
    for file in [
        crate::common::root().join("scenarios/historical.toml"),
        fixture("harbour.toml"),
    ] {
        let fast = program(&file, &[]);
        let plain = fast.without_shortcuts();
        let s = RunSettings {
            first: 0,
            seed: 11,
            branches: 20000,
            threads: 2,
            batch_size: 1000,
        };
        let report = |p: &Program| serde_json::to_string(&Report::new(p, &s, &run(p, &s).unwrap().unwrap())).unwrap();
        assert_eq!(report(&fast), report(&plain), "{}", file.display());
    }
}

/// A trace that listens, so the engine walks every month and step.
struct Listening;
impl sim::engine::trace::Trace for Listening {}

/// Unobserved, the engine reads runs of monthly "no" decisions ahead and
/// skips them; observed, it walks them step by step. Both must agree on
/// every branch: the same result, flags, metrics, steps, path and draws.
#[test]
fn quiet_runs_change_no_branch() {
    for (file, skips) in [
        (crate::common::root().join("scenarios/historical.toml"), true),
        (crate::common::root().join("scenarios/pow_compromise.toml"), true),
        // Its chance process has `else` effects: walked either way.
        (fixture("harbour.toml"), false),
    ] {
        let p = program(&file, &[]);
        // Whether the shortcut applies: a chance process with a steady
        // condition, a probability that changes only at dates, and no
        // `else` effects.
        let eligible = p.processes.iter().any(|n| {
            matches!(n.rule.as_deref(), Some(sim::program::Rule::Chance { .. }))
                && n.steady
                && n.chance_breaks.is_some()
                && n.otherwise.assigns.is_empty()
        });
        assert_eq!(eligible, skips, "{}", file.display());
        let (mut quiet, mut walked) = (Workspace::new(&p, 5), Workspace::new(&p, 5));
        for branch in 0..3000 {
            run_branch(&p, &mut quiet, branch, &mut NoTrace).unwrap();
            run_branch(&p, &mut walked, branch, &mut Listening).unwrap();
            assert_eq!(quiet.record, walked.record, "{} branch {branch}", file.display());
            assert_eq!(
                quiet.lanes.draws(),
                walked.lanes.draws(),
                "{} branch {branch}",
                file.display()
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Any text given as an expression is parsed or refused, never a panic.
    #[test]
    fn expressions_never_panic(src in "[ a-z0-9_.()+*/<>=!@,-]{0,40}|(if|then|else|and|or|not|min|max|clamp|[(),]| |x|1|@1950-06){0,30}") {
        let _ = sim::expr::parser::parse(&src);
    }

    /// A scenario file with random edits loads or gets an error, never a panic.
    #[test]
    fn edited_scenarios_never_panic(edits in prop::collection::vec((any::<prop::sample::Index>(), prop::sample::select(vec![
        "", "\"", "=", "[", "]", "{", "}", ",", "\n", "0", "-1", "1e400", "true", "x", ".", "state.", "@", "not ", "and", "#", "'", "2000-13",
    ])), 1..4)) {
        let mut text = std::fs::read_to_string(fixture("harbour.toml")).unwrap();
        for (at, insert) in edits {
            let mut i = at.index(text.len() + 1);
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            text.insert_str(i, insert);
        }
        let path = crate::common::write_temp("edited.toml", &text);
        let result = std::panic::catch_unwind(|| {
            if let Ok(sc) = sim::scenario::load(&path, &sim::scenario::Overrides::default()) {
                if let Ok(p) = sim::program::compile(&sc) {
                    let s = RunSettings { first: 0, seed: 1, branches: 50, threads: 1, batch_size: 50 };
                    let _ = run(&p, &s);
                }
            }
        });
        prop_assert!(result.is_ok(), "panicked on:\n{text}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Errors render for any text and any span, whatever characters the
    /// span cuts through: never a panic, always a location.
    #[test]
    fn errors_render_for_any_span(text in "(\\PC|\n| |\u{a0}|\u{3000}|é|\t){0,60}", start in 0usize..80, len in 0usize..80) {
        let mut sources = sim::diagnostic::Sources::default();
        let id = sources.add("f.toml".into(), None, text.clone());
        let d = sim::diagnostic::Diagnostic::at("bad", sim::diagnostic::Span::new(id, start..start + len), "here");
        let out = d.render(&sources);
        prop_assert!(out.contains("--> f.toml:"), "{}", out);
    }
}
