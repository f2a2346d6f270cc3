//! The Korean library as a whole: counterfactuals and readings as minimal,
//! checked rewrites, and the library as a teaching tool.

use super::*;

// ---------------------------------------------------------------------------
// Counterfactuals and readings
// ---------------------------------------------------------------------------

#[test]
fn every_counterfactual_checks_and_changes_only_what_it_states() {
    let base = program("historical", &[], &[]);
    for id in COUNTERFACTUALS {
        let out = sim(["check", &file(id)]);
        assert!(out.status.success(), "{id}: {}", stderr(&out));
        let cf = program(id, &[], &[]);
        assert_eq!(cf.meta.id, id);
        assert!(
            cf.meta.question.is_some() && cf.meta.passage.is_some(),
            "{id} needs a question and a passage"
        );
        assert!((2..=3).contains(&cf.meta.prompts.len()), "{id} needs 2 or 3 prompts");
        assert!(!cf.changes.is_empty(), "{id} changes nothing");
        let stated: Vec<&str> = cf.changes.iter().map(|c| c.id.as_str()).collect();
        for c in sim::rewrite::structural_changes(&base, &cf) {
            // A state variable held by do() shows as a changed initial value.
            let id_of = c.id.trim_start_matches("state.");
            let declared = stated
                .iter()
                .any(|s| *s == c.id || s.trim_start_matches("state.") == id_of);
            assert!(
                declared,
                "{id} changes `{}` ({:?}: {}) without stating it",
                c.id, c.kind, c.detail
            );
        }
        assert!(
            cf.changes
                .iter()
                .all(|c| c.kind != ChangeKind::Removed || stated.contains(&c.id.as_str()))
        );
    }
}

/// The first edition's questions stay word for word.
#[test]
fn the_first_editions_questions_are_kept() {
    for id in &COUNTERFACTUALS[..12] {
        let old = crate::common::program(&crate::common::fixture(&format!("korea-v1/{id}.toml")), &[]);
        let new = program(id, &[], &[]);
        assert_eq!(old.meta.question, new.meta.question, "{id}");
    }
}

/// A reading extends the baseline and changes only parameters (including a
/// belief's prior or a signal's shift): no events, rules, states or results.
#[test]
fn every_reading_changes_only_parameters() {
    let base = program("historical", &[], &[]);
    for id in READINGS {
        let text = std::fs::read_to_string(file(id)).unwrap();
        let doc: toml::Table = text.parse().unwrap();
        let keys: Vec<&str> = doc.keys().map(|k| k.as_str()).collect();
        assert!(
            keys.iter().all(|k| ["format", "scenario", "set"].contains(k)),
            "{id} has {keys:?}"
        );
        assert_eq!(doc["scenario"]["extends"].as_str(), Some("../historical.toml"), "{id}");
        assert!(doc["set"].as_table().is_some_and(|t| !t.is_empty()), "{id}");
        let out = sim(["check", &file(id)]);
        assert!(out.status.success(), "{id}: {}", stderr(&out));
        let r = program(id, &[], &[]);
        assert!(r.changes.iter().all(|c| c.kind == ChangeKind::Set), "{id}");
        for c in sim::rewrite::structural_changes(&base, &r) {
            assert_eq!(c.kind, ChangeKind::Set, "{id}: {}", c.detail);
        }
        // Each names its school's main works.
        let passage = r.meta.passage.unwrap_or_default();
        assert!(passage.contains("the school:"), "{id}: {passage}");
    }
}

/// The debate changes the figures: the readings disagree where their
/// schools do.
#[test]
fn the_readings_disagree_where_their_schools_do() {
    let orthodox = run("readings/orthodox", "20000", &[]);
    let revisionist = run("readings/revisionist", "20000", &[]);
    let archival = run("readings/archival", "20000", &[]);
    let base = baseline(&[]);
    assert_eq!(archival["outcomes"], base["outcomes"]);
    assert!(p(&orthodox, "outcomes", "no_war") < p(&archival, "outcomes", "no_war"));
    assert!(p(&revisionist, "flags", "rok_attacks") > 3.0 * p(&archival, "flags", "rok_attacks"));
    let chinese = run("readings/chinese_agency", "20000", &[]);
    assert!(p(&chinese, "flags", "china_intervenes") > p(&archival, "flags", "china_intervenes") + 0.05);
}

#[test]
fn no_file_draws_a_warning_from_check() {
    for id in all_files() {
        let out = sim(["check", &file(&id)]);
        assert!(out.status.success(), "{id}: {}", stderr(&out));
        assert!(!stderr(&out).contains("warning"), "{id}: {}", stderr(&out));
    }
}

// ---------------------------------------------------------------------------
// The library as a teaching tool
// ---------------------------------------------------------------------------

#[test]
fn the_paired_interval_is_narrower_than_an_unpaired_one_on_the_library() {
    let base = program("historical", &[], &[]);
    let s = RunSettings {
        first: 0,
        seed: 1950,
        branches: 20000,
        threads: 2,
        batch_size: 4096,
    };
    for id in ["inchon_fails", "soviet_veto", "stalin_sends_troops"] {
        let cf = program(id, &[], &[]);
        let t = run_pair(&base, &cf, &s).unwrap().unwrap();
        let c = comparison(&base, &cf, &t);
        let i = base.outcomes.iter().position(|o| o.id == "armistice_divided").unwrap();
        let d = c.outcomes.iter().find(|o| o.id == "armistice_divided").unwrap();
        let [lo, hi] = d.diff_ci95.unwrap();
        let n = s.branches;
        let (kb, kc) = (t.base.outcomes[i], t.other.outcomes[i]);
        let unpaired = crate::common::unpaired_width(kb, kc, n);
        assert!(
            hi - lo < unpaired,
            "{id}: paired width {} not below unpaired {unpaired}",
            hi - lo
        );
    }
}

#[test]
fn raising_stalins_threshold_never_lowers_the_chance_of_invasion() {
    let f = file("historical");
    let out = sim([
        "sweep",
        &f,
        "--vary",
        "stalin.us_intervention_threshold=0:0.6:7",
        "--branches",
        "5000",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let invasion: Vec<f64> = v["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p["flags"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["id"] == "invasion")
                .unwrap()["p"]
                .as_f64()
                .unwrap()
        })
        .collect();
    assert!(invasion.windows(2).all(|w| w[1] >= w[0]), "{invasion:?}");
    assert!(invasion[6] > invasion[0], "{invasion:?}");
}

#[test]
fn the_classroom_command_fits_a_projector() {
    let out = sim([file("no_us_intervention").as_str(), "--branches", "20000"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = crate::common::stdout(&out);
    assert!(text.contains("What if Truman had not sent US forces"));
    assert!(text.contains("do(truman_commits = false)"));
    assert!(text.contains("armistice_divided → dprk_unifies"));
    for line in text.lines() {
        assert!(line.chars().count() <= 80, "too wide: {line:?}");
    }
}

#[test]
fn explain_tells_a_branch_with_its_reasons() {
    let out = sim([
        "explain",
        file("historical").as_str(),
        "--branch",
        "0",
        "--width",
        "1000",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let story = crate::common::stdout(&out);
    assert!(story.contains("threshold: stalin.us_will_intervene = "), "{story}");
    assert!(story.contains("analogy: closest case "), "{story}");
    assert!(story.contains("dependence on stalin"), "{story}");
    assert!(story.contains("dependence on truman and unsc together"), "{story}");
    assert!(
        story.contains("evidence: Weathersby, \"The US, the USSR, and the Korean War\""),
        "{story}"
    );
    // Monthly processes that say no month after month are told in one line.
    assert!(story.contains("NO each month to "), "{story}");
    assert!(story.lines().count() < 170, "{} lines", story.lines().count());
    assert!(story.contains("result     "));
}

#[test]
fn explaining_a_counterfactual_sets_the_branch_against_its_base() {
    let out = sim([
        "explain",
        file("inchon_fails").as_str(),
        "--branch",
        "0",
        "--width",
        "1000",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let story = crate::common::stdout(&out);
    assert!(story.contains("forced by intervention (do)"), "{story}");
    // The story, then where it parts from its base, then a count of the draws.
    let lines: Vec<&str> = story.lines().collect();
    assert!(
        lines[lines.len() - 1].ends_with("parameters drawn for this branch: --verbose lists them)"),
        "{story}"
    );
    let last = lines[lines.len() - 2];
    assert!(
        last.starts_with("against  the base `historical`, this branch ends with"),
        "{last}"
    );
    assert!(last.contains("first part at `inchon_succeeds`"), "{last}");
}

/// Every number the essay does not give is a parameter with a one-line
/// reason, in every file (the essay's own facts are the exceptions).
#[test]
fn every_number_not_in_the_essay_gives_its_reason() {
    const ESSAY_FACTS: [&str; 2] = ["stalin.death_month", "stalin.no_troops_rule"];
    for id in all_files() {
        let p = program(&id, &[], &[]);
        for x in &p.params {
            if ESSAY_FACTS.contains(&x.name.as_str()) {
                continue;
            }
            assert!(
                x.assumption.as_deref().is_some_and(|a| !a.trim().is_empty()),
                "{id}: `{}` has no assumption",
                x.name
            );
        }
    }
}

/// The tables of scenarios/README.md are what `headline.sh` prints from the
/// scenarios as they are (and from the first edition's frozen copies), word
/// for word: a figure quoted to students is a figure the engine gives.
#[test]
fn the_readme_tables_are_what_the_scenarios_give() {
    let readme = std::fs::read_to_string(root().join("scenarios/README.md")).unwrap();
    for args in [
        vec!["scenarios"],
        vec!["--before-after", "tests/fixtures/korea-v1", "scenarios"],
    ] {
        let out = std::process::Command::new("sh")
            .arg("scenarios/headline.sh")
            .args(&args)
            .env("SIM", env!("CARGO_BIN_EXE_sim"))
            .current_dir(root())
            .output()
            .expect("sh runs");
        assert!(out.status.success(), "{}", stderr(&out));
        let table = String::from_utf8(out.stdout).unwrap();
        assert!(table.lines().count() > 10, "{table}");
        assert!(
            readme.contains(&table),
            "scenarios/README.md is out of date; regenerate with `SIM=target/release/sim sh scenarios/headline.sh {}`:\n{table}",
            args.join(" ")
        );
    }
}
