//! Golden values: a fixed seed gives exactly these counts. A change here
//! changes every published figure, so it must be deliberate.

use crate::common::{fixture, run_json};

fn counts(v: &serde_json::Value, key: &str) -> Vec<(String, u64)> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["id"].as_str().unwrap().to_string(), o["count"].as_u64().unwrap()))
        .collect()
}

#[test]
fn harbour_counts_are_pinned() {
    let file = fixture("harbour.toml");
    let v = run_json(&[file.to_str().unwrap(), "--branches", "20000", "--seed", "7"]);
    let got = counts(&v, "outcomes");
    let want: Vec<(String, u64)> = GOLDEN.iter().map(|(k, c)| (k.to_string(), *c)).collect();
    assert_eq!(got, want);
    assert_eq!(v["branches"], 20000);
    assert_eq!(v["seed"], 7);
}

const GOLDEN: [(&str, u64); 4] = [("quiet", 16387), ("deal", 2747), ("war", 862), ("standoff", 4)];

#[test]
fn json_has_the_documented_shape() {
    let file = fixture("harbour.toml");
    let v = run_json(&[file.to_str().unwrap(), "--branches", "3000"]);
    assert_eq!(v["format_version"], 2);
    assert_eq!(v["engine"]["name"], "sim");
    assert_eq!(v["engine"]["version"], env!("CARGO_PKG_VERSION"));
    for key in ["id", "title", "file", "extends"] {
        assert!(v["scenario"].get(key).is_some(), "scenario.{key}");
    }
    let total: u64 = v["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["count"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 3000);
    for o in v["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .chain(v["flags"].as_array().unwrap())
    {
        for key in ["id", "label", "count", "p", "ci95"] {
            assert!(o.get(key).is_some(), "{key} in {o}");
        }
    }
    for e in v["events"].as_array().unwrap() {
        for key in ["id", "actor", "reached", "fired", "p"] {
            assert!(e.get(key).is_some(), "{key} in {e}");
        }
    }
    for m in v["metrics"].as_array().unwrap() {
        for key in ["id", "label", "count", "mean", "sd", "p5", "p50", "p95"] {
            assert!(m.get(key).is_some(), "{key} in {m}");
        }
    }
    let p = &v["paths"][0];
    assert!(p["steps"].is_array() && p["count"].is_u64() && p["p"].is_f64());
}
