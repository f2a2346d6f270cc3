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
