//! A paired run that forks where its two programs can first part counts
//! exactly what two full runs count.

use crate::common::{fixture, program, program_with, root};
use sim::compare::{PairTally, Sharing, run_pair_as};
use sim::engine::run::RunSettings;
use sim::program::Program;
use std::path::PathBuf;

fn settings(branches: u64) -> RunSettings {
    RunSettings {
        seed: 11,
        first: 0,
        branches,
        threads: 2,
        batch_size: 97,
    }
}

fn tally(base: &Program, other: &Program, branches: u64, sharing: Sharing) -> String {
    let t: PairTally = run_pair_as(base, other, &settings(branches), sharing).unwrap().unwrap();
    serde_json::to_string(&t).unwrap()
}

fn scenario_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["scenarios", "tests/fixtures", "tests/fixtures/korea-v1"] {
        for entry in std::fs::read_dir(root().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_counterfactual_pairs_alike_forked_or_not() {
    let mut forked = Vec::new();
    for file in scenario_files() {
        let other = program(&file, &[]);
        let Some(extends) = other.meta.extends.clone() else {
            continue;
        };
        let base = program(&extends, &[]);
        if base.fork_points(&other).is_some() {
            forked.push(format!("{}", file.strip_prefix(root()).unwrap().display()));
        }
        assert_eq!(
            tally(&base, &other, 1500, Sharing::Fork),
            tally(&base, &other, 1500, Sharing::Separate),
            "{}",
            file.display()
        );
    }
    // The counterfactuals that only force a decision do fork.
    for name in [
        "scenarios/no_us_intervention.toml",
        "scenarios/pow_compromise.toml",
        "tests/fixtures/korea-v1/no_us_intervention.toml",
    ] {
        assert!(forked.iter().any(|f| f == name), "{name} does not fork: {forked:?}");
    }
    // One that also sets a parameter does not.
    assert!(!forked.iter().any(|f| f.ends_with("harbour_no_mediator.toml")));
}

/// Forcing any one decision of a baseline (an event, a process, a choice,
/// a council, either way) forks, and counts what the separate runs count.
#[test]
fn forcing_any_one_decision_forks_without_changing_a_count() {
    let mut checked = 0;
    for file in [
        fixture("cuba1962.toml"),
        fixture("harbour.toml"),
        root().join("scenarios/historical.toml"),
    ] {
        let base = program(&file, &[]);
        for node in base.nodes().filter(|n| n.is_decision() && n.forced.is_none()) {
            let options: Vec<String> = match node.options.is_empty() {
                true => vec!["false".into(), "true".into()],
                false => vec![node.options[0].id.clone(), node.options.last().unwrap().id.clone()],
            };
            for option in options {
                let other = program_with(&file, &[], &[&format!("{}={option}", node.id)]);
                let forks = base.fork_points(&other).expect("only a forced decision differs");
                assert_eq!(forks.iter().filter(|&&f| f).count(), 1);
                assert_eq!(
                    tally(&base, &other, 300, Sharing::Fork),
                    tally(&base, &other, 300, Sharing::Separate),
                    "{} with {}={option}",
                    file.display(),
                    node.id
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 90, "only {checked} interventions tried");
}

#[test]
fn programs_that_differ_beyond_forced_decisions_do_not_fork() {
    let base = program(&fixture("coin.toml"), &[]);
    assert!(base.fork_points(&program(&fixture("coin.toml"), &["p=0.35"])).is_none());
    // The same program forks nowhere: every branch is shared whole.
    let same = base.fork_points(&program(&fixture("coin.toml"), &[])).unwrap();
    assert!(same.iter().all(|&f| !f));
    assert_eq!(
        tally(&base, &base, 500, Sharing::Fork),
        tally(&base, &base, 500, Sharing::Separate)
    );
}
