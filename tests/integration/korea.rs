//! The Korean War library: the essay's stated conditions hold as invariants
//! of the baseline, every counterfactual is a minimal, checked rewrite, and
//! every event cites its evidence.

use crate::common::{root, run_json, sim, stderr};
use sim::compare::{comparison, run_pair};
use sim::engine::run::RunSettings;
use sim::program::Program;
use sim::scenario::ChangeKind;

const COUNTERFACTUALS: [&str; 12] = [
    "no_us_intervention",
    "us_troops_stay",
    "no_ccp_victory",
    "mao_refuses",
    "credible_deterrence",
    "soviet_veto",
    "inchon_fails",
    "halt_at_38th",
    "china_stays_out",
    "stalin_sends_troops",
    "stalin_dies_early",
    "pow_compromise",
];

fn file(id: &str) -> String {
    root()
        .join("scenarios")
        .join(format!("{id}.toml"))
        .display()
        .to_string()
}

fn program(id: &str, set: &[&str], interventions: &[&str]) -> Program {
    crate::common::program_with(std::path::Path::new(&file(id)), set, interventions)
}

/// Runs the baseline with interventions; returns the JSON report.
fn baseline(extra: &[&str]) -> serde_json::Value {
    let f = file("historical");
    let mut args = vec![f.as_str(), "--branches", "20000"];
    args.extend_from_slice(extra);
    run_json(&args)
}

fn count(v: &serde_json::Value, list: &str, id: &str) -> u64 {
    let item = v[list].as_array().unwrap().iter().find(|x| x["id"] == id);
    item.unwrap_or_else(|| panic!("no {list} `{id}`"))[if list == "events" { "fired" } else { "count" }]
        .as_u64()
        .unwrap()
}

#[test]
fn required_ids_are_present() {
    let v = baseline(&[]);
    let ids = |list: &str| -> Vec<String> {
        v[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        ids("outcomes"),
        [
            "no_war",
            "dprk_unifies",
            "rok_unifies",
            "armistice_divided",
            "superpower_war"
        ]
    );
    let flags = ids("flags");
    for f in [
        "invasion",
        "us_intervenes",
        "un_resolution",
        "china_intervenes",
        "soviet_troops",
        "seventh_fleet_taiwan",
        "soviet_probes_elsewhere",
    ] {
        assert!(flags.iter().any(|x| x == f), "flag {f}");
    }
    let metrics = ids("metrics");
    assert!(metrics.iter().any(|m| m == "war_months") && metrics.iter().any(|m| m == "armistice_month"));
}

#[test]
fn the_recorded_history_is_the_most_likely_and_alternatives_stay_visible() {
    let v = baseline(&[]);
    let outcomes = v["outcomes"].as_array().unwrap();
    let best = outcomes.iter().max_by_key(|o| o["count"].as_u64().unwrap()).unwrap();
    assert_eq!(best["id"], "armistice_divided");
    for o in outcomes {
        assert!(
            o["count"].as_u64().unwrap() > 0,
            "{} has no probability at all",
            o["id"]
        );
    }
    // The most frequent path is the recorded course: Stalin approves, Mao
    // approves, Truman commits.
    let top: Vec<&str> = v["paths"][0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    for step in [
        "stalin_approves: yes",
        "mao_approves: yes",
        "truman_commits: yes",
        "un_resolution: yes",
        "inchon_succeeds: yes",
        "un_crosses_38th: yes",
        "china_intervenes: yes",
    ] {
        assert!(top.contains(&step), "top path lacks {step}: {top:?}");
    }
}

#[test]
fn stalin_never_approves_while_us_troops_are_in_the_south() {
    let v = baseline(&["--do", "state.us_troops_in_rok=true"]);
    assert_eq!(count(&v, "events", "stalin_approves"), 0);
    assert_eq!(count(&v, "flags", "invasion"), 0);
}

#[test]
fn no_invasion_without_maos_approval() {
    let v = baseline(&["--do", "mao_approves=false"]);
    assert_eq!(count(&v, "flags", "invasion"), 0);
    assert_eq!(count(&v, "outcomes", "no_war"), 20000);
}

#[test]
fn stalin_never_sends_ground_troops_in_the_baseline() {
    let v = baseline(&[]);
    assert_eq!(count(&v, "flags", "soviet_troops"), 0);
}

#[test]
fn the_resolution_never_passes_when_the_soviet_delegation_is_present() {
    let v = baseline(&["--do", "state.soviet_delegation_present=true"]);
    assert!(count(&v, "flags", "invasion") > 0);
    assert_eq!(count(&v, "flags", "un_resolution"), 0);
}

#[test]
fn the_us_only_fights_if_truman_commits() {
    let v = baseline(&["--do", "truman_commits=false"]);
    assert_eq!(count(&v, "flags", "us_intervenes"), 0);
    assert_eq!(count(&v, "outcomes", "armistice_divided"), 0);
}

#[test]
fn war_months_is_zero_without_a_war() {
    let v = baseline(&["--do", "mao_approves=false"]);
    let m = v["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "war_months")
        .unwrap();
    assert_eq!(m["count"], 20000);
    assert_eq!(m["mean"], 0.0);
    let a = v["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "armistice_month")
        .unwrap();
    assert_eq!(a["count"], 0);
}

#[test]
fn every_event_and_process_cites_evidence() {
    let p = program("historical", &[], &[]);
    for n in p.events.iter().chain(&p.processes) {
        let e = n.evidence.as_deref().unwrap_or("");
        assert!(
            e.contains("Weathersby"),
            "`{}` cites no evidence from the essay: {e:?}",
            n.id
        );
    }
}

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
    for id in ["inchon_fails", "stalin_dies_early", "pow_compromise"] {
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
    let out = sim(["explain", file("historical").as_str(), "--branch", "0"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let story = crate::common::stdout(&out);
    assert!(story.contains("threshold: stalin.us_will_intervene = "), "{story}");
    assert!(story.contains("analogy: closest case "), "{story}");
    assert!(story.contains("dependence on stalin"), "{story}");
    assert!(
        story.contains("evidence: Weathersby, \"The US, the USSR, and the Korean War\""),
        "{story}"
    );
    // Monthly processes that say no month after month are told in one line.
    assert!(story.contains("NO each month to "), "{story}");
    assert!(story.lines().count() < 120, "{} lines", story.lines().count());
    assert!(story.contains("result     "));
}

#[test]
fn explaining_a_counterfactual_sets_the_branch_against_its_base() {
    let out = sim(["explain", file("inchon_fails").as_str(), "--branch", "0"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let story = crate::common::stdout(&out);
    assert!(story.contains("forced by intervention (do)"), "{story}");
    let last = story.lines().last().unwrap();
    assert!(
        last.starts_with("against  the base `historical`, this branch ends with"),
        "{last}"
    );
    assert!(last.contains("first part at `inchon_succeeds`"), "{last}");
}
