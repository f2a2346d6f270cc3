//! Format-1 scenarios keep their results: for every format-1 file in the
//! repository (the Korean library as it stood before format 2, frozen under
//! tests/fixtures/korea-v1, and the test fixtures), the counts of results,
//! flags and events, the metric statistics, and the paired comparison of
//! each counterfactual with its base are pinned. Any engine change that
//! moves one of these numbers fails here.

use crate::common::{fixture, sim, stderr};
use serde_json::Value;
use std::fmt::Write;

const BRANCHES: &str = "20000";

fn json(args: &[&str]) -> Value {
    let mut all = vec!["run", "--format", "json", "-n", BRANCHES];
    all.extend_from_slice(args);
    let out = sim(&all);
    assert!(out.status.success(), "sim {all:?}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

/// The numbers a format-1 run must keep, one per line.
fn figures(v: &Value) -> String {
    let mut out = String::new();
    for kind in ["outcomes", "flags"] {
        for o in v[kind].as_array().unwrap() {
            let _ = writeln!(out, "{kind} {} {}", o["id"].as_str().unwrap(), o["count"]);
        }
    }
    for e in v["events"].as_array().unwrap() {
        let _ = writeln!(
            out,
            "node {} reached {} fired {} mean_steps {}",
            e["id"].as_str().unwrap(),
            e["reached"],
            e["fired"],
            e.get("mean_steps").unwrap_or(&Value::Null)
        );
    }
    for m in v["metrics"].as_array().unwrap() {
        let _ = writeln!(
            out,
            "metric {} n {} mean {} sd {} p5 {} p50 {} p95 {}",
            m["id"].as_str().unwrap(),
            m["count"],
            m["mean"],
            m["sd"],
            m["p5"],
            m["p50"],
            m["p95"]
        );
    }
    out
}

/// The paired comparison's numbers: differences and flips (interval
/// methods may improve; what each branch did may not change).
fn comparison(v: &Value) -> String {
    let c = &v["comparison"];
    let mut out = String::new();
    for kind in ["outcomes", "flags"] {
        for d in c[kind].as_array().unwrap() {
            let _ = writeln!(
                out,
                "{kind} {} base {} this {} diff {}",
                d["id"].as_str().unwrap(),
                d["p_base"],
                d["p"],
                d["diff"]
            );
        }
    }
    for m in c["metrics"].as_array().unwrap() {
        let _ = writeln!(
            out,
            "metric {} base {} this {} diff {} ci {} n {}",
            m["id"].as_str().unwrap(),
            m["mean_base"],
            m["mean"],
            m["diff"],
            m["diff_ci95"],
            m["paired_count"]
        );
    }
    for f in c["flips"].as_array().unwrap() {
        let _ = writeln!(
            out,
            "flip {} > {} {}",
            f["from"].as_str().unwrap(),
            f["to"].as_str().unwrap(),
            f["count"]
        );
    }
    out
}

fn korea_v1(name: &str) -> String {
    fixture("korea-v1").join(name).display().to_string()
}

#[test]
fn the_format1_korean_library_keeps_its_results() {
    let dir = fixture("korea-v1");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 13, "{files:?}");
    for name in files {
        let file = korea_v1(&name);
        let alone = json(&[&file, "--no-base"]);
        insta::assert_snapshot!(format!("korea_v1_{}", name.trim_end_matches(".toml")), figures(&alone));
        if name != "historical.toml" {
            let paired = json(&[&file]);
            insta::assert_snapshot!(
                format!("korea_v1_{}_paired", name.trim_end_matches(".toml")),
                comparison(&paired)
            );
        }
    }
}

#[test]
fn the_format1_fixtures_keep_their_results() {
    for name in ["harbour", "harbour_no_mediator", "coin"] {
        let file = fixture(&format!("{name}.toml")).display().to_string();
        insta::assert_snapshot!(format!("fixture_{name}"), figures(&json(&[&file, "--no-base"])));
    }
    let cf = fixture("harbour_no_mediator.toml").display().to_string();
    insta::assert_snapshot!("fixture_harbour_no_mediator_paired", comparison(&json(&[&cf])));
}
