//! Tests that need a component outside Rust (Python with pandas here).
//! `.ci/run` installs each and sets SIM_CI, and then a missing component
//! fails the test; run by hand without it, the test says loudly that it is
//! skipped.

use crate::common::{fixture, sim, stderr};
use std::process::Command;

/// Whether `check` (a shell command) succeeds; under CI a missing
/// component is a failure, elsewhere a loud skip.
pub fn require(component: &str, check: &str) -> bool {
    let ok = Command::new("sh")
        .args(["-c", check])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("SIM_CI").is_none(),
            "{component} is missing, and .ci/run should have installed it"
        );
        eprintln!("\n*** SKIPPED: {component} is not installed; .ci/run installs it and runs this test ***\n");
    }
    ok
}

#[test]
fn the_documented_pandas_recipe_reads_numbers() {
    if !require("python3 with pandas", "python3 -c 'import pandas'") {
        return;
    }
    let dir = crate::common::temp_dir();
    let csv = dir.join("report.csv");
    let out = sim([
        fixture("harbour_no_mediator.toml").as_os_str(),
        "-n".as_ref(),
        "2000".as_ref(),
        "-o".as_ref(),
        csv.as_os_str(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json = crate::common::run_json(&[fixture("harbour_no_mediator.toml").to_str().unwrap(), "-n", "2000"]);
    let want = json["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == "deal")
        .unwrap()["p"]
        .as_f64()
        .unwrap();
    let script = format!(
        r#"
import pandas as pd
df = pd.read_csv({csv:?})
assert str(df["value"].dtype) == "float64", df["value"].dtype
wide = df.pivot_table(index=["kind", "id"], columns="statistic", values="value", aggfunc="first")
p = wide.loc[("outcome", "deal"), "p"]
assert abs(p - {want}) < 1e-12, p
assert wide.loc[("outcome_change", "deal"), "both"] >= 0
assert df[df["kind"] == "path"]["text"].dropna().str.contains(": ").all()
print("ok")
"#
    );
    let run = Command::new("python3").args(["-c", &script]).output().unwrap();
    assert!(
        run.status.success(),
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
}

/// Every scenario file in the repository (the library, its first edition,
/// the test fixtures).
fn every_scenario() -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![
        crate::common::root().join("scenarios"),
        crate::common::root().join("tests/fixtures"),
    ];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "toml") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn the_committed_schema_is_the_generated_one() {
    let out = sim(["schema"]);
    assert!(out.status.success());
    let committed = std::fs::read_to_string(crate::common::root().join("docs/scenario.schema.json")).unwrap();
    assert!(
        committed == String::from_utf8_lossy(&out.stdout),
        "docs/scenario.schema.json is stale: regenerate it with `sim schema > docs/scenario.schema.json`"
    );
}

/// The schema accepts every scenario in the repository and refuses
/// structural mistakes (unknown keys, wrong types, missing ids), as an
/// editor checking files against it would.
#[test]
fn the_schema_accepts_every_scenario_and_refuses_structural_mistakes() {
    if !require("python3 with jsonschema", "python3 -c 'import jsonschema'") {
        return;
    }
    let dir = crate::common::temp_dir();
    let schema = dir.join("schema.json");
    std::fs::write(&schema, sim(["schema"]).stdout).unwrap();
    let harbour = std::fs::read_to_string(fixture("harbour.toml")).unwrap();
    let mistakes = [
        ("actor = \"north\"", "actr = \"north\""),
        ("branches = 20000", "branches = \"many\""),
        ("id = \"north_blockades\"", "ident = \"north_blockades\""),
        ("kind = \"threshold\"", "knd = \"threshold\""),
        ("seed = 7", "seed = 7\nremove = [\"talks\"]"),
        ("months_of_crisis = 0", "months_of_crisis = [0]"),
    ];
    let mut bad = Vec::new();
    for (i, (from, to)) in mistakes.iter().enumerate() {
        assert!(harbour.contains(from), "{from}");
        let path = dir.join(format!("bad{i}.toml"));
        std::fs::write(&path, harbour.replacen(from, to, 1)).unwrap();
        bad.push(path);
    }
    let list = |paths: &[std::path::PathBuf]| {
        paths
            .iter()
            .map(|p| format!("{:?}", p.display().to_string()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let script = format!(
        r#"
import json, tomllib, jsonschema
schema = json.load(open({schema:?}))
validator = jsonschema.Draft7Validator(schema)
for path in [{good}]:
    errors = list(validator.iter_errors(tomllib.load(open(path, "rb"))))
    assert not errors, (path, errors[0].message)
for path in [{bad}]:
    assert list(validator.iter_errors(tomllib.load(open(path, "rb")))), path + " passed"
print("ok")
"#,
        schema = schema.display().to_string(),
        good = list(&every_scenario()),
        bad = list(&bad),
    );
    let run = Command::new("python3").args(["-c", &script]).output().unwrap();
    assert!(
        run.status.success(),
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
}

/// The documented cluster recipes, for real: a one-node Slurm cluster
/// (munge, slurmctld, slurmd) running a job array of parts and a dependent
/// merge, and GNU parallel; each merged output must equal the single run
/// byte for byte (tests/cluster/one-node.sh).
#[test]
fn slurm_and_gnu_parallel_merge_to_the_single_run() {
    if !require(
        "Slurm (slurm-wlm), munge and GNU parallel",
        "command -v sbatch && command -v slurmctld && command -v munged && command -v parallel",
    ) {
        return;
    }
    let bin = crate::common::temp_dir();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_sim"), bin.join("sim")).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let work = crate::common::temp_dir();
    let out = Command::new(crate::common::root().join("tests/cluster/one-node.sh"))
        .arg(&work)
        .env("PATH", path)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("slurm: merged output is byte-identical"), "{text}");
    assert!(text.contains("parallel: merged output is byte-identical"), "{text}");
}

/// docs/cluster.md shows the scripts the test above runs, as they are.
#[test]
fn the_cluster_guide_shows_the_scripts_that_are_tested() {
    let guide = std::fs::read_to_string(crate::common::root().join("docs/cluster.md")).unwrap();
    for script in ["sim-parts.sbatch", "sim-merge.sbatch", "submit.sh", "parallel.sh"] {
        let text = std::fs::read_to_string(crate::common::root().join("docs/cluster").join(script)).unwrap();
        assert!(
            guide.contains(text.trim_end()),
            "docs/cluster.md does not show {script} as it is"
        );
    }
}
