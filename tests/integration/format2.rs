//! Format 2: the clock, timing, options, weighed and joint decisions, draws
//! inside a step, truthful comparisons and safer counterfactual editing.
//! Each of the seven problems the format fixes has a test here.

use crate::common::{fixture, program, program_with, run_json, sim, stderr, stdout, temp_dir};
use sim::engine::branch::{Workspace, run_branch};
use sim::engine::run::{RunSettings, run};
use sim::engine::trace::NoTrace;
use std::path::PathBuf;

mod decisions;

/// Writes scenario files into one fresh directory; returns their paths.
fn files(list: &[(&str, &str)]) -> Vec<PathBuf> {
    let dir = temp_dir();
    list.iter()
        .map(|(name, text)| {
            let path = dir.join(name);
            std::fs::write(&path, text).unwrap();
            path
        })
        .collect()
}

fn count(v: &serde_json::Value, list: &str, id: &str) -> u64 {
    v[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {list}"))["count"]
        .as_u64()
        .unwrap()
}

fn json_of(path: &std::path::Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![path.to_str().unwrap()];
    args.extend_from_slice(extra);
    run_json(&args)
}

// ---------------------------------------------------------------------------
// The complete example: golden counts, determinism, shortcuts.
// ---------------------------------------------------------------------------

#[test]
fn the_cuban_example_keeps_its_counts() {
    let v = run_json(&[fixture("cuba1962.toml").to_str().unwrap(), "-n", "20000"]);
    let mut pinned = String::new();
    for list in ["outcomes", "flags"] {
        for o in v[list].as_array().unwrap() {
            pinned += &format!("{list} {} {}\n", o["id"].as_str().unwrap(), o["count"]);
        }
    }
    for e in v["events"].as_array().unwrap() {
        pinned += &format!("node {} {} {}\n", e["id"].as_str().unwrap(), e["reached"], e["fired"]);
        for o in e["options"].as_array().into_iter().flatten() {
            pinned += &format!("  option {} {}\n", o["id"].as_str().unwrap(), o["count"]);
        }
    }
    insta::assert_snapshot!("cuba1962_counts", pinned);
}

#[test]
fn the_cuban_example_is_identical_across_threads_and_batches() {
    let f = fixture("cuba1962.toml");
    let out = |j: &str, b: &str| {
        let o = sim([
            f.as_os_str(),
            "-n".as_ref(),
            "20000".as_ref(),
            "-j".as_ref(),
            j.as_ref(),
            "--batch-size".as_ref(),
            b.as_ref(),
            "-f".as_ref(),
            "json".as_ref(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        o.stdout
    };
    let reference = out("1", "4096");
    assert!(reference == out("2", "999"));
    assert!(reference == out("5", "37"));
}

/// A trace that listens, so the engine walks every step.
struct Listening;
impl sim::engine::trace::Trace for Listening {}

/// Format-2 chance processes decide by waiting times: skipping the steps
/// before a firing and walking them must agree on every branch.
#[test]
fn waiting_times_skipped_or_walked_agree() {
    let p = program(&fixture("cuba1962.toml"), &["incident_per_day=0.3"]);
    assert!(
        p.processes.iter().all(|n| n.hazard),
        "both processes decide by a chance per step"
    );
    let (mut quiet, mut walked) = (Workspace::new(&p, 3), Workspace::new(&p, 3));
    for branch in 0..4000 {
        run_branch(&p, &mut quiet, branch, &mut NoTrace).unwrap();
        run_branch(&p, &mut walked, branch, &mut Listening).unwrap();
        assert_eq!(quiet.record, walked.record, "branch {branch}");
        assert_eq!(quiet.slots, walked.slots, "branch {branch}");
    }
}

// ---------------------------------------------------------------------------
// 1. A real clock: any tick, relative and uncertain timing.
// ---------------------------------------------------------------------------

const CLOCK: &str = r#"format = 2
[scenario]
id = "clock"
unit = "day"
start = "2000-01"
horizon = "2000-12"
branches = 2000
[parameters]
lag = { value = 7, doc = "days from the strike to its discovery" }
[state]
struck = false
found = false
answered = false
found_at = 0
[[events]]
id = "strike"
date = "2000-03-10"
then = { struck = true }
[[events]]
id = "discovery"
after = { event = "strike", delay = "days(lag)" }
then = { found = true, found_at = "now" }
[[events]]
id = "answer"
after = { event = "discovery", delay = "2d" }
rule = { kind = "chance", p = 0.5 }
then = { answered = true }
[[processes]]
id = "monthly_review"
every = "1 month"
date = "2000-01-15"
label = "A monthly review"
[[outcomes]]
id = "answered"
when = "state.answered"
[[outcomes]]
id = "not_answered"
when = "not state.answered"
[[metrics]]
id = "found_day"
value = "state.found_at"
when = "state.found"
"#;

#[test]
fn relative_timing_follows_its_anchor_and_a_shift_moves_what_follows() {
    let shifted = "format = 2\n[scenario]\nextends = \"clock.toml\"\nid = \"later\"\n[[events]]\nid = \"strike\"\ndate = \"2000-06-01\"\n";
    let paths = files(&[("clock.toml", CLOCK), ("later.toml", shifted)]);
    let base = json_of(&paths[0], &["--no-base"]);
    // 10 March is day 69 of 2000 (counted from 0); discovery 7 days later.
    let metric = |v: &serde_json::Value| v["metrics"][0]["mean"].as_f64().unwrap();
    assert_eq!(metric(&base), 76.0);
    let later = json_of(&paths[1], &["--no-base"]);
    // 1 June is day 152: the discovery moved with the strike, and the
    // decision after it is still reached in every branch.
    assert_eq!(metric(&later), 159.0);
    for v in [&base, &later] {
        let answer = v["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == "answer")
            .unwrap();
        assert_eq!(answer["reached"], 2000);
        assert_eq!(answer["timing"], "2 days after `discovery`");
    }
    // A monthly process in a daily clock steps on the 15th of each month.
    let review = base["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "monthly_review")
        .unwrap();
    assert_eq!(review["mean_steps"], 12.0);
    assert_eq!(review["timing"], "every month from 2000-01-15");
}

#[test]
fn a_delay_can_be_swept() {
    let paths = files(&[("clock.toml", CLOCK)]);
    let out = sim([
        "sweep".as_ref(),
        paths[0].as_os_str(),
        "--vary".as_ref(),
        "lag=1,10,100".as_ref(),
        "-f".as_ref(),
        "json".as_ref(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let days: Vec<f64> = v["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["metrics"][0]["mean"].as_f64().unwrap())
        .collect();
    assert_eq!(days, vec![70.0, 79.0, 169.0]);
}

#[test]
fn a_chance_per_day_in_two_hour_steps_has_the_stated_daily_odds() {
    // A process every 2 hours with a chance of 0.2 per day: the share that
    // fires within the first day is 0.2, within three days 1 - 0.8^3.
    let text = r#"format = 2
[scenario]
id = "hazard"
unit = "2h"
start = "2000-01-01"
horizon = "2000-01-03"
branches = 40000
[state]
fired = false
[[processes]]
id = "clash"
while = "not state.fired"
rule = { kind = "chance", p = 0.2, per = "1 day" }
then = { fired = true }
[[outcomes]]
id = "yes"
when = "state.fired"
[[outcomes]]
id = "no"
when = "not state.fired"
"#;
    let paths = files(&[("h.toml", text)]);
    let v = json_of(&paths[0], &["--no-base"]);
    let p = count(&v, "outcomes", "yes") as f64 / 40000.0;
    let want = 1.0 - 0.8f64.powi(3);
    assert!((p - want).abs() < 0.01, "{p} vs {want}");
    assert_eq!(v["scenario"]["tick"], "2 hours");
}

// ---------------------------------------------------------------------------
// 2. Comparisons that tell the truth.
// ---------------------------------------------------------------------------

#[test]
fn process_decisions_show_where_histories_part() {
    // The counterfactual changes only a process's chance: the divergence
    // must name the process, and paths must show its decisions.
    let cf = "[scenario]\nextends = \"harbour.toml\"\nid = \"faster_talks\"\n[set]\ntalk_success = 0.3\n";
    let dir = temp_dir();
    std::fs::copy(fixture("harbour.toml"), dir.join("harbour.toml")).unwrap();
    std::fs::write(dir.join("cf.toml"), cf).unwrap();
    let v = json_of(&dir.join("cf.toml"), &["-n", "5000"]);
    let c = &v["comparison"];
    assert!(c["results_changed"].as_u64().unwrap() > 0);
    let first = &c["divergence"][0];
    assert_eq!(first["event"], "talks", "{c}");
    assert!(
        first["partings"][0]["this"] == "yes" || first["partings"][0]["base"] == "yes",
        "{first}"
    );
    assert_eq!(c["changed_without_decision"], 0);
    let paths = v["paths"].as_array().unwrap();
    assert!(
        paths
            .iter()
            .any(|p| p["steps"].as_array().unwrap().iter().any(|s| s == "talks: yes")),
        "{paths:?}"
    );
}

#[test]
fn forcing_an_event_without_effects_is_warned_about() {
    let cf = "format = 2\n[scenario]\nextends = \"clock.toml\"\nid = \"noop\"\n[do]\nmonthly_review = false\n";
    let paths = files(&[("clock.toml", CLOCK), ("noop.toml", cf)]);
    let out = sim(["check".as_ref(), paths[1].as_os_str()]);
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("warning: do(monthly_review = no) changes nothing"),
        "{}",
        stderr(&out)
    );
    let v = json_of(&paths[1], &["-n", "200"]);
    assert!(
        v["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("changes nothing"))
    );
}

#[test]
fn comparing_scenarios_with_no_result_in_common_warns() {
    let out = sim([
        "compare".as_ref(),
        fixture("harbour.toml").as_os_str(),
        fixture("coin.toml").as_os_str(),
        "-f".as_ref(),
        "json".as_ref(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let w = v["comparison"]["warnings"][0].as_str().unwrap();
    assert!(w.contains("share no result"), "{w}");
}

#[test]
fn check_warns_about_what_nothing_reads() {
    let text = CLOCK.replace(
        "[state]",
        "idle = 0.5\n[actors.bystander]\nname = \"A bystander\"\n[actors.bystander.parameters]\nmood = 1\n[state]",
    );
    let paths = files(&[("c.toml", &text)]);
    let out = sim(["check".as_ref(), paths[0].as_os_str()]);
    let err = stderr(&out);
    assert!(err.contains("parameter `idle` is never read"), "{err}");
    assert!(err.contains("parameter `bystander.mood` is never read"), "{err}");
    assert!(err.contains("actor `bystander` takes no part"), "{err}");
    assert!(!err.contains("`lag`"), "{err}");
}

// ---------------------------------------------------------------------------
// 6. Safer counterfactual editing.
// ---------------------------------------------------------------------------

const BELIEF: &str = r#"format = 2
[scenario]
id = "belief"
start = "2000-01"
horizon = "2000-02"
branches = 100
[state]
x = true
[actors.a]
name = "A"
[actors.a.beliefs.b]
prior = 0.5
signals = [
  { id = "first", when = "state.x", shift = 1.0 },
  { id = "second", when = "state.x", shift = 2.0 },
]
[[metrics]]
id = "b"
value = "a.b"
[[outcomes]]
id = "only"
when = "true"
"#;

fn belief_value(path: &std::path::Path, set: &[&str]) -> f64 {
    let v = json_of(
        path,
        &["--no-base", "-n", "10"]
            .iter()
            .copied()
            .chain(set.iter().copied())
            .collect::<Vec<_>>(),
    );
    v["metrics"][0]["mean"].as_f64().unwrap()
}

#[test]
fn a_counterfactual_edits_a_belief_field_by_field() {
    let logistic = |x: f64| 1.0 / (1.0 + (-x).exp());
    let prior_only = "format = 2\n[scenario]\nextends = \"b.toml\"\nid = \"p\"\n[actors.a.beliefs.b]\nprior = 0.2\n";
    let one_signal = "format = 2\n[scenario]\nextends = \"b.toml\"\nid = \"s\"\n[actors.a.beliefs.b]\nsignals = [{ id = \"second\", shift = -1.0 }, { id = \"first\", drop = true }, { id = \"third\", when = \"true\", shift = 0.5 }]\n";
    let paths = files(&[("b.toml", BELIEF), ("p.toml", prior_only), ("s.toml", one_signal)]);
    assert!((belief_value(&paths[0], &[]) - logistic(3.0)).abs() < 1e-6);
    // Restating the prior keeps both signals.
    let logit = |p: f64| (p / (1.0 - p)).ln();
    assert!((belief_value(&paths[1], &[]) - logistic(logit(0.2) + 3.0)).abs() < 1e-6);
    // One signal replaced, one dropped, one added.
    assert!((belief_value(&paths[2], &[]) - logistic(-0.5)).abs() < 1e-6);
    // --set reaches the prior and a signal's shift.
    let v = belief_value(&paths[0], &["--set", "a.b.prior=0.2", "--set", "a.b.second=0"]);
    assert!((v - logistic(logit(0.2) + 1.0)).abs() < 1e-6, "{v}");
}

#[test]
fn remove_misplaced_under_scenario_gets_a_hint() {
    let cf = "[scenario]\nextends = \"clock.toml\"\nid = \"r\"\nremove = [\"answer\"]\n";
    let paths = files(&[("clock.toml", CLOCK), ("r.toml", cf)]);
    let out = sim(["check".as_ref(), paths[1].as_os_str()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("is a top-level key"), "{}", stderr(&out));
    // Written where it belongs, it removes the event and says so.
    let ok = "remove = [\"answer\"]\n[scenario]\nextends = \"clock.toml\"\nid = \"r\"\n[[outcomes]]\nid = \"answered\"\nwhen = \"false\"\n[[outcomes]]\nid = \"not_answered\"\nwhen = \"true\"\n";
    std::fs::write(&paths[1], ok).unwrap();
    let v = json_of(&paths[1], &["-n", "100"]);
    assert!(
        v["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["detail"] == "removed `answer`")
    );
}

#[test]
fn a_long_list_of_names_says_how_many_it_leaves_out() {
    let out = sim([
        "check".as_ref(),
        fixture("korea-v1/historical.toml").as_os_str(),
        "--set".as_ref(),
        "zzzz=1".as_ref(),
    ]);
    let err = stderr(&out);
    assert!(err.contains("more (`sim list FILE` shows them all)"), "{err}");
}

// ---------------------------------------------------------------------------
// 7. Draws inside a step; maths functions.
// ---------------------------------------------------------------------------

#[test]
fn an_effect_can_set_a_fresh_draw() {
    let text = r#"format = 2
[scenario]
id = "draw"
start = "2000-01"
horizon = "2000-06"
branches = 20000
[state]
total = 0
last = 0
[[processes]]
id = "monthly"
then = { last = { beta = [9, 2] }, total = "state.total + pow(2, 1) * exp(0) / 2" }
[[outcomes]]
id = "only"
when = "true"
[[metrics]]
id = "last"
value = "state.last"
[[metrics]]
id = "total"
value = "state.total"
"#;
    let paths = files(&[("d.toml", text)]);
    let v = json_of(&paths[0], &["--no-base"]);
    let mean = v["metrics"][0]["mean"].as_f64().unwrap();
    assert!((mean - 9.0 / 11.0).abs() < 0.005, "{mean}");
    assert!(v["metrics"][0]["sd"].as_f64().unwrap() > 0.05);
    assert_eq!(v["metrics"][1]["mean"], 6.0);
    // Each step draws afresh on its own lane: six lanes for six months.
    let p = program_with(&paths[0], &[], &[]);
    assert_eq!(p.lanes.len(), 6);
}

// ---------------------------------------------------------------------------
// `sim list`
// ---------------------------------------------------------------------------

#[test]
fn list_shows_what_can_be_set_and_forced() {
    let out = sim(["list".as_ref(), fixture("cuba1962.toml").as_os_str()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for needle in [
        "PARAMETERS (--set NAME=VALUE)",
        "kennedy.temperature",
        "--do excomm_decides=nothing|diplomacy|quarantine|airstrike|invasion",
        "state.posture",
        "one of none, nothing, diplomacy, quarantine, airstrike, invasion",
        "when: every 2 hours",
        "RESULTS",
    ] {
        assert!(text.contains(needle), "{needle} in\n{text}");
    }
    for line in text.lines() {
        assert!(line.chars().count() <= 80, "{line}");
    }
    let json = sim([
        "list".as_ref(),
        fixture("cuba1962.toml").as_os_str(),
        "-f".as_ref(),
        "json".as_ref(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["tick"], "2 hours");
    assert_eq!(v["events"].as_array().unwrap().len(), 13);
}

/// An event timed right after a process step (no delay) that makes an
/// earlier process's chance stale: that process's turn in this tick has
/// passed, whether its steps were skipped or walked.
#[test]
fn a_follower_of_a_process_step_stales_earlier_processes_alike_skipped_or_walked() {
    let text = r#"format = 2
[scenario]
id = "follow"
start = "2000-01"
horizon = "2004-12"
[state]
done = false
hard = false
exposed = false
[[processes]]
id = "b"
while = "not state.done"
rule = { kind = "chance", p = "if state.hard then 0.01 else 0.05" }
then = { done = true }
[[processes]]
id = "a"
while = "not state.exposed and not state.done"
rule = { kind = "chance", p = 0.05 }
then = { exposed = true }
[[events]]
id = "e"
after = { event = "a" }
then = { hard = true }
[[outcomes]]
id = "done"
when = "state.done"
[[outcomes]]
id = "not_done"
when = "not state.done"
"#;
    let paths = files(&[("f.toml", text)]);
    let p = program(&paths[0], &[]);
    let (mut quiet, mut walked) = (Workspace::new(&p, 1), Workspace::new(&p, 1));
    for branch in 0..20000 {
        run_branch(&p, &mut quiet, branch, &mut NoTrace).unwrap();
        run_branch(&p, &mut walked, branch, &mut Listening).unwrap();
        assert_eq!(quiet.record, walked.record, "branch {branch}");
    }
}
