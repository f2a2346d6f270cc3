//! The Korean War library (second edition): the essay's stated conditions
//! hold as invariants of the baseline, the ten fixes of the fidelity review
//! hold as properties of the scenarios, every counterfactual is a minimal,
//! checked rewrite, every reading changes only parameters, and every event
//! and process cites the essay at paragraph level.

use crate::common::{root, run_json, sim, stderr};
use sim::compare::{comparison, run_pair};
use sim::engine::run::RunSettings;
use sim::program::{Program, Timing};
use sim::scenario::ChangeKind;

mod fixes;
mod library;

const COUNTERFACTUALS: [&str; 15] = [
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
    // New in the second edition.
    "acheson_perimeter",
    "stalin_lives",
    "eisenhower_nuclear_signal",
];

const READINGS: [&str; 4] = [
    "readings/orthodox",
    "readings/revisionist",
    "readings/archival",
    "readings/chinese_agency",
];

/// The essay's paragraphs, by section and opening words: every citation
/// must name one of them (`Section, paragraph beginning "..."`) by at least
/// its first fifteen characters.
const PARAGRAPHS: [(&str, &str); 21] = [
    (
        "Attack on South Korea",
        "From the perspective of today, more than a decade after",
    ),
    (
        "Attack on South Korea",
        "Nonetheless, when the Soviet-supplied tanks of the North Korean army",
    ),
    (
        "Attack on South Korea",
        "The President’s perception of the danger the North Korean attack",
    ),
    (
        "Attack on South Korea",
        "Because the Truman administration also believed that world peace",
    ),
    (
        "Attack on South Korea",
        "American fears of communist expansion were especially acute",
    ),
    (
        "Attack on South Korea",
        "Since China bordered Korea and had longstanding interests there",
    ),
    (
        "Attack on South Korea",
        "In Europe, the war in Korea led the Western powers",
    ),
    (
        "Russian and Chinese Evidence",
        "The partial opening of Russian archives after the collapse",
    ),
    (
        "Russian and Chinese Evidence",
        "The first question has been the easiest to resolve.",
    ),
    (
        "Russian and Chinese Evidence",
        "While Kim Il Sung and his foreign minister, Pak Hon Young",
    ),
    (
        "Russian and Chinese Evidence",
        "The Soviet leader nonetheless remained worried that the US",
    ),
    (
        "Russian and Chinese Evidence",
        "Were Western political leaders therefore correct to view",
    ),
    (
        "Russian and Chinese Evidence",
        "As for China’s role in the decision, Russian documents",
    ),
    (
        "Events on the Ground",
        "With inferior weapons and training, the ROK army",
    ),
    (
        "Events on the Ground",
        "The North Korean army rapidly disintegrated and on September 30",
    ),
    (
        "Events on the Ground",
        "The next day Stalin received another telegram from Beijing",
    ),
    (
        "Events on the Ground",
        "The main issue that delayed the negotiations on an armistice",
    ),
    (
        "Events on the Ground",
        "As the stalemate continued and the negotiations dragged on",
    ),
    ("Events on the Ground", "The ferocity of the US bombing of North Korea"),
    (
        "Events on the Ground",
        "Once the war became a stalemate and therefore no longer",
    ),
    (
        "Events on the Ground",
        "An armistice was finally signed on 27 July 1953",
    ),
];

/// The recorded course of the war, forced decision by decision, with the
/// accidents that would end it otherwise switched off. Used to measure the
/// war on the recorded path.
const RECORDED: [&str; 22] = [
    "--do",
    "mao_approves=true",
    "--do",
    "truman_commits=true",
    "--do",
    "pusan_perimeter=true",
    "--do",
    "inchon_succeeds=true",
    "--do",
    "un_crosses_38th=true",
    "--do",
    "china_intervenes=true",
    "--do",
    "chinese_offensive=true",
    "--do",
    "ridgway_counteroffensive=true",
    "--do",
    "exposure_crisis=false",
    "--set",
    "air_war_exposure_monthly=0",
    "--do",
    "eisenhower_reviews_korea=hold",
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

/// Runs a scenario alone (without its base) with extra flags; the JSON report.
fn run(id: &str, branches: &str, extra: &[&str]) -> serde_json::Value {
    let f = file(id);
    let mut args = vec![f.as_str(), "--no-base", "--branches", branches];
    args.extend_from_slice(extra);
    run_json(&args)
}

/// Runs the baseline with interventions over 20 000 branches.
fn baseline(extra: &[&str]) -> serde_json::Value {
    run("historical", "20000", extra)
}

fn item<'a>(v: &'a serde_json::Value, list: &str, id: &str) -> &'a serde_json::Value {
    let found = v[list].as_array().unwrap().iter().find(|x| x["id"] == id);
    found.unwrap_or_else(|| panic!("no {list} `{id}`"))
}

/// Count of an outcome or flag, or branches in which an event or process fired.
fn count(v: &serde_json::Value, list: &str, id: &str) -> u64 {
    item(v, list, id)[if list == "events" { "fired" } else { "count" }]
        .as_u64()
        .unwrap()
}

fn reached(v: &serde_json::Value, id: &str) -> u64 {
    item(v, "events", id)["reached"].as_u64().unwrap()
}

fn p(v: &serde_json::Value, list: &str, id: &str) -> f64 {
    item(v, list, id)["p"].as_f64().unwrap()
}

fn metric(v: &serde_json::Value, id: &str, stat: &str) -> f64 {
    item(v, "metrics", id)[stat].as_f64().unwrap_or(f64::NAN)
}

fn all_files() -> Vec<String> {
    let mut all = vec!["historical".to_string()];
    all.extend(COUNTERFACTUALS.iter().map(|s| s.to_string()));
    all.extend(READINGS.iter().map(|s| s.to_string()));
    all
}

// ---------------------------------------------------------------------------
// The shape of the baseline
// ---------------------------------------------------------------------------

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
            "pusan_line_partition",
            "war_under_way",
            "superpower_war"
        ]
    );
    let flags = ids("flags");
    for f in [
        "invasion",
        "us_intervenes",
        "un_resolution",
        "allied_contingents",
        "china_intervenes",
        "soviet_troops",
        "seventh_fleet_taiwan",
        "soviet_probes_elsewhere",
        "wider_western_response",
        "us_defence_tripled",
        "pow_dispute",
        "communist_pow_concession",
        "un_pow_concession",
        "heavy_bombing",
        "germ_warfare_charges",
    ] {
        assert!(flags.iter().any(|x| x == f), "flag {f}");
    }
    let metrics = ids("metrics");
    for m in ["war_months", "length_of_war", "armistice_month", "war_start_month"] {
        assert!(metrics.iter().any(|x| x == m), "metric {m}");
    }
}

/// The recorded course is the single most frequent path and
/// `armistice_divided` the most likely result, without forcing them: the
/// other results the essay treats as possible keep a visible share.
#[test]
fn the_recorded_history_is_the_most_likely_and_alternatives_stay_visible() {
    let v = baseline(&[]);
    let outcomes = v["outcomes"].as_array().unwrap();
    let best = outcomes.iter().max_by_key(|o| o["count"].as_u64().unwrap()).unwrap();
    assert_eq!(best["id"], "armistice_divided");
    let visible: Vec<&str> = outcomes
        .iter()
        .filter(|o| o["p"].as_f64().unwrap() > 0.01)
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    // No war, a northern victory, a southern victory and a divided Korea.
    assert!(visible.len() >= 4, "{visible:?}");
    assert!(best["p"].as_f64().unwrap() < 0.8, "{}", best["p"]);
    let top: Vec<&str> = v["paths"][0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    for step in [
        "kim_asks_stalin: yes",
        "stalin_approves: yes",
        "mao_approves: yes",
        "truman_commits: yes",
        "un_resolution: yes",
        "west_reads_attack: soviet_aggression",
        "inchon_succeeds: yes",
        "un_crosses_38th: yes",
        "china_intervenes: yes",
        "chinese_offensive: yes",
        "ridgway_counteroffensive: yes",
        "un_insists_voluntary_repatriation: yes",
        "eisenhower_reviews_korea: hold",
        "communist_pow_concession: yes",
        "armistice_talks: yes",
    ] {
        assert!(top.contains(&step), "top path lacks {step}: {top:?}");
    }
    // The recorded war begins in June 1950 (month 17) in most branches.
    assert_eq!(metric(&v, "war_start_month", "p50"), 17.0);
}

// ---------------------------------------------------------------------------
// The essay's stated conditions, as invariants
// ---------------------------------------------------------------------------

#[test]
fn stalin_never_approves_while_us_troops_are_in_the_south() {
    let v = baseline(&["--do", "state.us_troops_in_rok=true"]);
    assert_eq!(count(&v, "events", "kim_asks_stalin"), 0);
    assert_eq!(count(&v, "events", "stalin_approves"), 0);
    assert_eq!(count(&v, "flags", "invasion"), 0);
}

#[test]
fn no_invasion_without_maos_approval() {
    let v = baseline(&["--do", "mao_approves=false", "--do", "mao_reconsiders=false"]);
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
    assert_eq!(count(&v, "outcomes", "rok_unifies"), 0);
}

/// The decision was unanimous: Truman commits in nearly every invasion.
#[test]
fn truman_commits_in_nearly_every_invasion() {
    let v = baseline(&[]);
    let share = count(&v, "flags", "us_intervenes") as f64 / count(&v, "flags", "invasion") as f64;
    assert!(share > 0.99, "{share}");
}

#[test]
fn war_months_is_zero_without_a_war() {
    let v = baseline(&["--do", "mao_approves=false", "--do", "mao_reconsiders=false"]);
    let m = item(&v, "metrics", "war_months");
    assert_eq!(m["count"], 20000);
    assert_eq!(m["mean"], 0.0);
    assert_eq!(item(&v, "metrics", "armistice_month")["count"], 0);
    assert_eq!(item(&v, "metrics", "length_of_war")["count"], 0);
}

// ---------------------------------------------------------------------------
// Fix 9 (part): the KPA's readiness and Stalin's "win quickly" condition
// ---------------------------------------------------------------------------

/// The KPA's build-up does not wait for Stalin's approval (the first edition
/// switched readiness on at the moment he said yes, so his August 1949
/// reason was circular).
#[test]
fn the_kpa_build_up_does_not_wait_for_stalin() {
    let v = baseline(&["--do", "kim_asks_stalin=false"]);
    assert_eq!(count(&v, "events", "stalin_approves"), 0);
    assert_eq!(count(&v, "flags", "kpa_ready"), 20000);
    // Its date is drawn from the parameters, not set by any decision, and
    // it is never ready by August 1949 (month 7), when he refused.
    let p = program("historical", &[], &[]);
    let build_up = p.events.iter().find(|n| n.id == "kpa_build_up").unwrap();
    assert!(matches!(build_up.timing, Timing::AtExpr(_)));
    let ready = p.params.iter().find(|x| x.name == "kpa_ready_month").unwrap();
    match &ready.value {
        sim::program::ParamValue::Drawn {
            dist: sim::engine::dist::Dist::Triangular { lo, .. },
            ..
        } => assert!(*lo > 7.0, "{lo}"),
        other => panic!("{other:?}"),
    }
}

/// "The war must be won quickly": no attack is launched before the KPA is
/// strong enough, however low Stalin judges the risk.
#[test]
fn stalins_quick_victory_is_a_real_condition() {
    let v = baseline(&["--set", "kpa_ready_month=30"]);
    assert!(count(&v, "flags", "invasion") > 10000);
    // Month 30 is June 1951: planning waits, then Mao, then the attack.
    assert!(metric(&v, "war_start_month", "p5") >= 31.0, "{v:#}");
}

// ---------------------------------------------------------------------------
// Fix 3: refusals are not forever
// ---------------------------------------------------------------------------

/// With Mao's first answer forced to yes, a war that starts after June 1950
/// means Stalin said no in January 1950 and Kim asked again.
#[test]
fn kim_asks_again_after_a_refusal() {
    let v = baseline(&["--do", "mao_approves=true"]);
    assert!(metric(&v, "war_start_month", "p95") > 17.0, "{v:#}");
}

#[test]
fn maos_refusal_postpones_the_war_rather_than_preventing_it() {
    let base = baseline(&[]);
    let cf = run("mao_refuses", "20000", &[]);
    let (b, c) = (count(&base, "flags", "invasion"), count(&cf, "flags", "invasion"));
    assert!(c as f64 > 0.95 * b as f64, "{b} {c}");
    assert!(metric(&cf, "war_start_month", "mean") >= metric(&base, "war_start_month", "mean") + 3.0);
    // Mao's delay is rare in the baseline: Stalin's refusal is the main way
    // the war does not come ("the essential decision was Stalin's").
    let delayed = reached(&base, "mao_reconsiders");
    assert!(delayed < count(&base, "outcomes", "no_war"), "{delayed}");
}

#[test]
fn stalins_refusal_over_us_troops_ends_when_they_leave() {
    let stay = run("us_troops_stay", "20000", &["--set", "garrison_withdrawal_yearly=0"]);
    assert_eq!(count(&stay, "flags", "invasion"), 0);
    let leave = run("us_troops_stay", "20000", &[]);
    assert!(count(&leave, "flags", "invasion") > 4000);
    // The war waits for the garrison: it starts about a year later on average.
    let base = baseline(&[]);
    assert!(metric(&leave, "war_start_month", "mean") > metric(&base, "war_start_month", "mean") + 9.0);
}

#[test]
fn without_a_communist_china_the_war_waits_for_one() {
    let v = run("no_ccp_victory", "20000", &[]);
    assert!(count(&v, "flags", "invasion") > 2000);
    // The victory comes in month 24 at the earliest; the alliance, Stalin's
    // agreement and Mao's consent follow it.
    assert!(metric(&v, "war_start_month", "p5") > 24.0);
}

/// No result reads 100.0% in any scenario of the library unless the README
/// names it, with a reason, in its list of certain results.
#[test]
fn no_result_is_certain_unless_the_readme_says_why() {
    let readme = std::fs::read_to_string(root().join("scenarios/README.md")).unwrap();
    let (_, rest) = readme
        .split_once("<!-- certain-results:begin -->")
        .expect("README has a certain-results block");
    let (block, _) = rest.split_once("<!-- certain-results:end -->").unwrap();
    let justified: Vec<(String, String)> = block
        .lines()
        .filter_map(|l| {
            let mut parts = l.strip_prefix("- `")?.split('`');
            let file = parts.next()?.to_string();
            let outcome = parts.nth(1)?.to_string();
            Some((file, outcome))
        })
        .collect();
    for id in all_files() {
        let f = file(&id);
        let v = run_json(&[f.as_str(), "--no-base"]);
        for o in v["outcomes"].as_array().unwrap() {
            let shown = (o["p"].as_f64().unwrap() * 1000.0).round() / 10.0;
            if shown >= 100.0 {
                let key = (format!("{id}.toml"), o["id"].as_str().unwrap().to_string());
                assert!(justified.contains(&key), "{} reads 100.0% in {id}", o["id"]);
            }
        }
    }
}
