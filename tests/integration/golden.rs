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
