//! The classroom handout in a real browser: Debian's chromium, headless,
//! driven by playwright-core (tests/browser/handout.mjs). `.ci/run`
//! installs both and sets SIM_CI; run by hand without them, the test says
//! loudly that it is skipped.

use crate::common::{fixture, root, sim, stderr, stdout, temp_dir};
use crate::external::require;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

const BRANCHES: &str = "2000";

pub fn browser_ready() -> bool {
    require("chromium", "command -v chromium")
        && require("node", "command -v node")
        && require(
            "playwright-core (npm ci in tests/browser)",
            &format!(
                "test -d {}",
                root().join("tests/browser/node_modules/playwright-core").display()
            ),
        )
}

/// Writes the report of `files` (and any `extra` flags) to `out`.
fn report(files: &[&Path], extra: &[&str], out: &Path) {
    use std::ffi::OsStr;
    let mut args: Vec<&OsStr> = vec![OsStr::new("report")];
    args.extend(files.iter().map(|f| f.as_os_str()));
    args.extend(["-n", BRANCHES, "-o"].map(OsStr::new));
    args.push(out.as_os_str());
    args.extend(extra.iter().map(OsStr::new));
    let o = sim(&args);
    assert!(o.status.success(), "sim report {files:?}: {}", stderr(&o));
}

/// `sim FILE --format json` for the same branches and seed.
fn json_of(file: &Path) -> Value {
    let o = sim([
        file.as_os_str(),
        "-n".as_ref(),
        BRANCHES.as_ref(),
        "-f".as_ref(),
        "json".as_ref(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).expect("json output")
}

/// A prediction that differs from scenario to scenario: whole percents
/// summing to 100, as a student would type them.
fn prediction(ids: &[String], salt: usize) -> Vec<f64> {
    let mut f: Vec<f64> = (0..ids.len()).map(|j| ((j * 7 + salt * 3) % 20) as f64).collect();
    let rest: f64 = f[1..].iter().sum();
    f[0] = 100.0 - rest;
    f
}

/// The expected Brier score, from its definition: the mean over endings i
/// (weighted by their simulated probability) of Σ_j (f_j − [i = j])².
fn expected_brier(f: &[f64], p: &[f64]) -> f64 {
    p.iter()
        .enumerate()
        .map(|(i, pi)| {
            pi * f
                .iter()
                .enumerate()
                .map(|(j, fj)| (fj - if i == j { 1.0 } else { 0.0 }).powi(2))
                .sum::<f64>()
        })
        .sum()
}

/// Drives chromium through the pages of `job` and returns what it saw.
fn drive(dir: &Path, pages: Vec<Value>) -> Vec<Value> {
    let job = dir.join("job.json");
    let which = std::process::Command::new("sh")
        .args(["-c", "command -v chromium"])
        .output()
        .unwrap();
    let chromium = String::from_utf8_lossy(&which.stdout).trim().to_string();
    std::fs::write(&job, json!({ "chromium": chromium, "pages": pages }).to_string()).unwrap();
    let o = std::process::Command::new("node")
        .arg(root().join("tests/browser/handout.mjs"))
        .arg(&job)
        .output()
        .expect("node runs");
    assert!(o.status.success(), "the browser driver failed: {}", stderr(&o));
    serde_json::from_str(&stdout(&o)).expect("the driver prints JSON")
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_scenario_report_renders_in_chromium_with_the_json_figures_and_scores_predictions() {
    if !browser_ready() {
        return;
    }
    let dir = temp_dir();
    let mut scenarios: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    scenarios.sort();
    assert!(scenarios.len() >= 16, "{scenarios:?}");
    let artifacts = root().join("target/browser-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let mut pages = Vec::new();
    let mut expected = Vec::new();
    for (k, file) in scenarios.iter().enumerate() {
        let html = dir.join(format!("{}.html", file.file_stem().unwrap().to_string_lossy()));
        report(&[file], &[], &html);
        let j = json_of(file);
        let outcome_ids = ids(&j["outcomes"]);
        let f = prediction(&outcome_ids, k);
        let predict: serde_json::Map<String, Value> = outcome_ids
            .iter()
            .zip(&f)
            .map(|(id, v)| (id.clone(), json!(v)))
            .collect();
        let shot = (k == 0).then(|| artifacts.join("report-top.png"));
        pages.push(
            json!({ "html": html, "screenshot": shot, "predict": { j["scenario"]["id"].as_str().unwrap(): predict } }),
        );
        expected.push((j, f));
    }
    let seen = drive(&dir, pages);
    assert_eq!(seen.len(), scenarios.len());
    for ((page, (j, f)), file) in seen.iter().zip(&expected).zip(&scenarios) {
        let name = file.display();
        assert_eq!(page["console"], json!([]), "{name}: console errors");
        assert_eq!(page["errors"], json!([]), "{name}: script errors");
        assert_eq!(page["requests"], json!([]), "{name}: the page fetched something");
        let s = &page["sections"][0];
        assert_eq!(s["scenario"], j["scenario"]["id"], "{name}");
        assert_eq!(s["seed"], j["seed"], "{name}");
        assert_eq!(s["branches"], j["branches"], "{name}");
        assert_eq!(s["heading"], j["scenario"]["title"], "{name}");
        assert_eq!(s["question"], j["scenario"]["question"], "{name}");
        assert_eq!(s["prompts"], j["scenario"]["prompts"], "{name}");
        assert!(s["stories"].as_u64().unwrap() >= 2, "{name}: too few stories");
        assert_eq!(s["hidden_before"], true, "{name}: results showed before the prediction");
        assert_eq!(
            s["enabled_before"], false,
            "{name}: reveal allowed before the total is 100%"
        );
        assert_eq!(s["shown_after"], true, "{name}: results hidden after the reveal");
        assert!(
            page["shown_without_js"].as_array().unwrap().iter().all(|v| v == true),
            "{name}: without JavaScript the results must show"
        );
        // Every result and flag in the DOM is the JSON's, to the last bit.
        let rows = s["rows"].as_array().unwrap();
        for (kind, list, diffs) in [("result", "outcomes", "outcomes"), ("flag", "flags", "flags")] {
            let want = j[list].as_array().unwrap();
            let got: Vec<&Value> = rows.iter().filter(|r| r["kind"] == kind).collect();
            assert_eq!(got.len(), want.len(), "{name}: {kind} rows");
            for (i, (g, w)) in got.iter().zip(want).enumerate() {
                assert_eq!(g["id"], w["id"], "{name}");
                assert_eq!(g["p"].as_f64(), w["p"].as_f64(), "{name}: {}", w["id"]);
                assert_eq!(g["lo"].as_f64(), w["ci95"][0].as_f64(), "{name}: {}", w["id"]);
                assert_eq!(g["hi"].as_f64(), w["ci95"][1].as_f64(), "{name}: {}", w["id"]);
                let shown = format!("{:.1}%", 100.0 * w["p"].as_f64().unwrap());
                assert!(
                    g["cells"].as_array().unwrap().iter().any(|c| c == &json!(shown)),
                    "{name}: {} shows {shown}",
                    w["id"]
                );
                if let Some(c) = j.get("comparison").filter(|c| !c.is_null()) {
                    assert_eq!(
                        g["p_base"].as_f64(),
                        c[diffs][i]["p_base"].as_f64(),
                        "{name}: {}",
                        w["id"]
                    );
                    assert_eq!(g["diff"].as_f64(), c[diffs][i]["diff"].as_f64(), "{name}: {}", w["id"]);
                }
            }
        }
        // The score the page gives is the Brier score computed here.
        let p: Vec<f64> = j["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["p"].as_f64().unwrap())
            .collect();
        let f: Vec<f64> = f.iter().map(|v| v / 100.0).collect();
        let want = expected_brier(&f, &p);
        let got = s["brier"].as_f64().unwrap();
        assert!((got - want).abs() < 1e-12, "{name}: Brier {got}, want {want}");
        let gap: Vec<f64> = f.iter().zip(&p).map(|(a, b)| (a - b).abs()).collect();
        let worst = (0..gap.len()).fold(0, |w, k| if gap[k] > gap[w] { k } else { w });
        assert_eq!(s["surprise"], j["outcomes"][worst]["id"], "{name}: {f:?} against {p:?}");
        // The score shown in words is the same, to its three decimals.
        let text = s["score_text"].as_str().unwrap();
        let shown: f64 = text["Your Brier score: ".len()..]
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!((shown - want).abs() <= 0.0005 + 1e-12, "{name}: {want} shown as {text}");
    }
    // The top of the first page, kept as an artifact: not blank.
    let shot = &seen[0]["screenshot"];
    assert!(artifacts.join("report-top.png").exists());
    assert_eq!(
        (shot["width"].as_u64(), shot["height"].as_u64()),
        (Some(1000), Some(1000))
    );
    assert!(shot["colours"].as_u64().unwrap() > 20, "{shot}");
    let ink = shot["ink"].as_f64().unwrap();
    assert!(ink > 0.05 && ink < 0.95, "{shot}");
}

#[test]
fn a_class_set_and_a_page_with_a_sweep_and_a_tornado_render_and_a_hostile_title_stays_text() {
    if !browser_ready() {
        return;
    }
    let dir = temp_dir();
    let hostile = dir.join("hostile.toml");
    let title = r#"<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">"#;
    let scenario = format!(
        r#"[scenario]
id = "hostile"
title = '{title}'
question = '</p><script>window.pwned = 3</script>'
passage = '<img src="https://example.com/x.png">'
prompts = ['<b onclick="window.pwned = 4">bold?</b>']
start = "2000-01"
horizon = "2000-01"

[parameters]
p = {{ value = 0.3, doc = "<i>doc</i>", assumption = "<script>window.pwned = 5</script>" }}

[state]
heads = false

[[events]]
id = "toss"
date = "2000-01"
rule = {{ kind = "chance", p = "p" }}
then = {{ heads = true }}

[[outcomes]]
id = "heads"
label = "<u>heads</u>"
when = "state.heads"

[[outcomes]]
id = "tails"
when = "not state.heads"
"#
    );
    std::fs::write(&hostile, scenario).unwrap();
    let set = dir.join("set.html");
    let cuba = fixture("cuba1962.toml");
    report(&[&hostile, &cuba], &[], &set);
    let charts = dir.join("charts.html");
    report(
        &[&cuba],
        &["--sweep", "incident_per_day=0.02:0.2:4", "--sensitivity"],
        &charts,
    );
    let seen = drive(
        &dir,
        vec![
            json!({ "html": set, "screenshot": null, "predict": {} }),
            json!({ "html": charts, "screenshot": null, "predict": {} }),
        ],
    );
    assert_eq!(seen[1]["console"], json!([]));
    assert_eq!(seen[1]["errors"], json!([]));
    assert_eq!(seen[1]["requests"], json!([]));
    let page = &seen[0];
    assert_eq!(page["console"], json!([]));
    assert_eq!(page["errors"], json!([]));
    assert_eq!(page["requests"], json!([]), "the hostile image must not load");
    assert_eq!(page["pwned"], false);
    let sections = page["sections"].as_array().unwrap();
    assert_eq!(sections.len(), 2);
    assert_eq!(sections[0]["heading"], title);
    assert_eq!(sections[0]["question"], "</p><script>window.pwned = 3</script>");
    assert_eq!(
        sections[0]["prompts"],
        json!([r#"<b onclick="window.pwned = 4">bold?</b>"#])
    );
    let html = std::fs::read_to_string(&charts).unwrap();
    assert!(html.contains("figure class=\"sweep\"") && html.contains("figure class=\"sensitivity\""));
}
