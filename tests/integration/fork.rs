//! A paired run that forks where its two programs can first part counts
//! exactly what two full runs count.

use crate::common::{fixture, program, program_with, root, write_temp};
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
/// a council, either way) forks, and counts what the separate runs count
/// (the first edition runs in batches, where a branch the forced step
/// leaves alike takes the base's record).
#[test]
fn forcing_any_one_decision_forks_without_changing_a_count() {
    let mut checked = 0;
    for file in [
        fixture("cuba1962.toml"),
        fixture("harbour.toml"),
        root().join("scenarios/historical.toml"),
        fixture("korea-v1/historical.toml"),
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

/// Each run of a sensitivity analysis or a sweep, sharing the trunk of the
/// scenario where it only pins parameters, counts exactly what the pinned
/// program counts alone.
#[test]
fn runs_that_share_a_trunk_count_what_they_count_alone() {
    use sim::engine::run::run;
    use sim::sweep::{run_plan, sensitivity_plan, sweep_plan};
    let s = settings(700);
    let mut shared = 0;
    for file in [
        root().join("scenarios/historical.toml"),
        root().join("scenarios/no_us_intervention.toml"),
        fixture("cuba1962.toml"),
        fixture("harbour.toml"),
        fixture("korea-v1/historical.toml"),
    ] {
        let p = program(&file, &[]);
        let mut plan = sensitivity_plan(&p);
        // And a grid of two parameters, as a sweep makes.
        let names: Vec<&str> = p.params.iter().take(2).map(|x| x.name.as_str()).collect();
        let vary: Vec<String> = names.iter().map(|n| format!("{n}=0:1:2")).collect();
        if let Ok(grid) = sweep_plan(
            &vary
                .iter()
                .map(|v| sim::sweep::parse_vary(v).unwrap())
                .collect::<Vec<_>>(),
        ) {
            plan.extend(
                grid.into_iter()
                    .filter(|pins| pins.iter().all(|(n, v)| p.with_param(n, *v).is_ok())),
            );
        }
        let together = run_plan(&p, &plan, 0..plan.len(), &s, &|_, _| {}).unwrap();
        for (pins, tally) in plan.iter().zip(&together) {
            let mut alone = p.clone();
            for (name, value) in pins {
                alone = alone.with_param(name, *value).unwrap();
            }
            shared += usize::from(
                p.pin_points(&alone)
                    .is_some_and(|at| at.results || at.reads.iter().any(|r| *r != sim::program::PinRead::Nothing)),
            );
            let by_itself = run(&alone, &s).unwrap().unwrap();
            assert_eq!(
                serde_json::to_string(tally).unwrap(),
                serde_json::to_string(&by_itself).unwrap(),
                "{} with {pins:?}",
                file.display()
            );
        }
    }
    // Most runs do share a trunk (and part from it somewhere).
    assert!(shared > 200, "only {shared} runs shared a trunk");
}

#[test]
fn pin_points_say_where_a_pinned_parameter_is_read() {
    use sim::program::PinRead;
    let p = program(&fixture("coin.toml"), &[]);
    let pinned = p.with_param("p", 0.35).unwrap();
    let at = p.pin_points(&pinned).expect("coin's p is read by its toss's rule only");
    assert_eq!(at.pins, [(p.params[0].slot, 0.35)]);
    assert_eq!(&at.reads[..], [PinRead::OnceItHolds]);
    assert!(!at.results);
    // Read by a result too: the results are worked out again.
    let coin = std::fs::read_to_string(fixture("coin.toml")).unwrap();
    let judged = write_temp(
        "coin_result.toml",
        &coin
            .replace(r#"when = "state.heads""#, r#"when = "state.heads and p < 1""#)
            .replace(r#"when = "not state.heads""#, r#"when = "not (state.heads and p < 1)""#),
    );
    let q = program(&judged, &[]);
    let at = q.pin_points(&q.with_param("p", 0.35).unwrap()).unwrap();
    assert!(at.results);
    assert_eq!(&at.reads[..], [PinRead::OnceItHolds]);
    // Read by the stop condition, checked between steps: nothing is shared.
    let stopped = write_temp(
        "coin_stop.toml",
        &coin.replace(
            "branches = 2000",
            "branches = 2000\nstop_when = \"state.heads and p > 0.9\"",
        ),
    );
    let r = program(&stopped, &[]);
    assert!(r.pin_points(&r.with_param("p", 0.35).unwrap()).is_none());
    // A forced decision is not a pin.
    let harbour = program(&fixture("harbour.toml"), &[]);
    let forced = program_with(&fixture("harbour.toml"), &[], &["ally_intervenes=false"]);
    assert!(harbour.pin_points(&forced).is_none());
}

/// A variant that pins a parameter goes back to its trunk after a step
/// that left it exactly where the trunk is (the pinned value aside), and
/// only then: here, where the toss came out the same under both chances.
#[test]
fn a_variant_rejoins_its_trunk_exactly_where_a_step_left_it_alike() {
    use sim::engine::branch::Workspace;
    use sim::engine::fork::{run_to_fork, step_over};
    let file = write_temp(
        "coin_then_more.toml",
        &std::fs::read_to_string(fixture("coin.toml"))
            .unwrap()
            .replace(r#"horizon = "2000-01""#, r#"horizon = "2000-02""#)
            .replacen(
                "[[outcomes]]",
                "[[events]]\nid = \"later\"\ndate = \"2000-02\"\nwhen = \"state.heads\"\n\n[[outcomes]]",
                1,
            ),
    );
    let base = program(&file, &[]);
    let pinned = base.with_param("p", 0.6).unwrap();
    let at = base.pin_points(&pinned).unwrap();
    let (pins, reads) = (at.pins, at.reads);
    let forks: Vec<bool> = reads.iter().map(|r| *r != sim::program::PinRead::Nothing).collect();
    let toss = forks.iter().position(|&f| f).unwrap() as u32;
    let touched = base.touched_by(toss);
    let heads = base.slots.iter().position(|s| s.name == "state.heads").unwrap();
    let (mut trunk, mut probe, mut variant) = (
        Workspace::new(&base, 5),
        Workspace::new(&base, 5),
        Workspace::new(&base, 5),
    );
    let (mut alike, mut apart) = (0, 0);
    for branch in 0..300 {
        assert_eq!(run_to_fork(&base, &mut trunk, branch, &forks[..]).unwrap(), Some(toss));
        probe.copy_from(&trunk);
        variant.copy_from(&trunk);
        variant.slots[pins[0].0 as usize] = pins[0].1;
        let next = step_over(&base, &mut probe, branch).unwrap();
        assert_eq!(step_over(&pinned, &mut variant, branch).unwrap(), next);
        let same_toss = probe.slots[heads] == variant.slots[heads];
        assert_eq!(
            variant.same_after_step(&probe, &pins, &touched),
            same_toss,
            "branch {branch}"
        );
        // Without the pin set aside, the two never stand alike.
        assert!(!variant.same_after_step(&probe, &[], &touched));
        if same_toss { alike += 1 } else { apart += 1 }
    }
    // Heads under 0.6 but not under 0.3: about three branches in ten part.
    assert!(alike > 150 && apart > 50, "{alike} alike, {apart} apart");
}
