//! Sharded runs: parts merged by `sim merge` give output byte-identical to
//! the single run, for every command and format; parts that do not belong
//! together are refused with a clear error and exit code 2.

use crate::common::{fixture, sim, stderr, temp_dir};
use std::path::{Path, PathBuf};

/// Runs `args` whole, and in `n` parts merged (given in scrambled order);
/// both outputs, in `format`.
fn whole_and_merged(args: &[&str], n: u64, format: &str) -> (Vec<u8>, Vec<u8>) {
    let dir = temp_dir();
    let mut whole_args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    whole_args.extend(["-f".into(), format.into()]);
    let whole = sim(&whole_args);
    assert!(whole.status.success(), "{}", stderr(&whole));
    let mut parts: Vec<PathBuf> = Vec::new();
    for k in (1..=n).rev() {
        let part = dir.join(format!("part-{k}.json"));
        let mut a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        a.extend([
            "--shard".into(),
            format!("{k}/{n}"),
            "-o".into(),
            part.display().to_string(),
        ]);
        let out = sim(&a);
        assert!(out.status.success(), "{}", stderr(&out));
        parts.push(part);
    }
    let mut m: Vec<String> = vec!["merge".into()];
    m.extend(parts.iter().map(|p| p.display().to_string()));
    m.extend(["-f".into(), format.into()]);
    let merged = sim(&m);
    assert!(merged.status.success(), "{}", stderr(&merged));
    (whole.stdout, merged.stdout)
}

#[test]
fn every_command_merges_to_its_single_run() {
    let harbour = fixture("harbour.toml");
    let harbour = harbour.to_str().unwrap();
    let cf = fixture("harbour_no_mediator.toml");
    let cf = cf.to_str().unwrap();
    let cuba = fixture("cuba1962.toml");
    let cuba = cuba.to_str().unwrap();
    // A forced decision in batches: branches alike in both counted once.
    let forced = fixture("korea-v1/no_us_intervention.toml");
    let forced = forced.to_str().unwrap();
    let cases: Vec<(Vec<&str>, u64)> = vec![
        (vec!["run", harbour, "-n", "9001"], 4),
        (vec!["run", cf, "-n", "7000"], 3),
        (vec!["run", forced, "-n", "3000", "-s", "3"], 3),
        (vec!["run", cuba, "-n", "3000", "-s", "5"], 7),
        (vec!["compare", harbour, cf, "-n", "5000"], 2),
        (
            vec!["sweep", harbour, "--vary", "talk_success=0.05:0.3:4", "-n", "2000"],
            3,
        ),
        (vec!["sensitivity", harbour, "-n", "2000"], 5),
    ];
    for (args, n) in cases {
        for format in ["json", "table", "csv"] {
            let (whole, merged) = whole_and_merged(&args, n, format);
            assert!(whole == merged, "{args:?} in {n} parts, {format}");
        }
    }
}

fn part(dir: &Path, args: &[&str], k: u64, n: u64) -> PathBuf {
    let path = dir.join(format!("p{k}-{n}-{}.json", args.len()));
    let mut a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    a.extend([
        "--shard".into(),
        format!("{k}/{n}"),
        "-o".into(),
        path.display().to_string(),
    ]);
    assert!(sim(&a).status.success());
    path
}

fn merge_fails(parts: &[&Path], needle: &str) {
    let mut args: Vec<&std::ffi::OsStr> = vec!["merge".as_ref()];
    args.extend(parts.iter().map(|p| p.as_os_str()));
    let out = sim(args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(needle), "{needle:?} in {err}");
}

#[test]
fn parts_that_do_not_belong_together_are_refused() {
    let dir = temp_dir();
    let scenario = dir.join("h.toml");
    std::fs::copy(fixture("harbour.toml"), &scenario).unwrap();
    let s = scenario.to_str().unwrap();
    let (a1, a2, a3) = (
        part(&dir, &["run", s, "-n", "900"], 1, 3),
        part(&dir, &["run", s, "-n", "900"], 2, 3),
        part(&dir, &["run", s, "-n", "900"], 3, 3),
    );
    merge_fails(&[&a1, &a3], "parts missing: 2 of 3");
    merge_fails(&[&a1, &a2, &a2, &a3], "part 2 of 3 is given twice");
    let other_seed = part(&dir, &["run", s, "-n", "900", "-s", "99"], 2, 3);
    merge_fails(&[&a1, &other_seed, &a3], "does not belong with");
    let other_n = part(&dir, &["run", s, "-n", "900"], 2, 4);
    merge_fails(&[&a1, &other_n, &a3], "a different number of parts");
    // Another version of the format, or of sim.
    let text = std::fs::read_to_string(&a2).unwrap();
    let old = dir.join("old.json");
    std::fs::write(&old, text.replacen("\"partial_format\":2", "\"partial_format\":0", 1)).unwrap();
    merge_fails(&[&a1, &old, &a3], "is a partial result of format 0");
    let other_engine = dir.join("engine.json");
    let v = format!("\"engine_version\":\"{}\"", env!("CARGO_PKG_VERSION"));
    std::fs::write(&other_engine, text.replacen(&v, "\"engine_version\":\"0.0.0\"", 1)).unwrap();
    merge_fails(&[&a1, &other_engine, &a3], "was made by sim 0.0.0");
    merge_fails(&[&a1, &scenario, &a3], "is not a partial result");
    // The scenario changed after the parts ran.
    std::fs::write(&scenario, std::fs::read_to_string(&scenario).unwrap() + "\n# edited\n").unwrap();
    merge_fails(&[&a1, &a2, &a3], "changed since the parts ran");
}

#[test]
fn a_shard_is_k_of_n() {
    let f = fixture("harbour.toml");
    for bad in ["0/3", "4/3", "3", "a/b", "1/0"] {
        let out = sim(["run".as_ref(), f.as_os_str(), "--shard".as_ref(), bad.as_ref()]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(stderr(&out).contains("expected K/N"), "{}", stderr(&out));
    }
    // The parts cover every branch once: their counts add up.
    let dir = temp_dir();
    let total: u64 = (1..=7)
        .map(|k| {
            let p = part(&dir, &["run", f.to_str().unwrap(), "-n", "100"], k, 7);
            let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
            v["data"]["run"]["tally"]["branches"].as_u64().unwrap()
        })
        .sum();
    assert_eq!(total, 100);
}

/// Past `stats::paths::CAP` distinct paths the table keeps a fixed sample
/// (by hash) with exact counts: the output says so, and it is the same
/// whole, in parts, on any number of threads or batch size.
#[test]
fn a_run_with_more_paths_than_kept_says_so_and_is_the_same_however_split() {
    let f = fixture("many_paths.toml");
    let f = f.to_str().unwrap();
    let args = ["run", f, "-n", "200000"];
    let (whole, merged) = whole_and_merged(&args, 3, "json");
    assert!(whole == merged, "merged parts differ from the whole run");
    let other = sim(["run", f, "-n", "200000", "-j", "1", "--batch-size", "777", "-f", "json"]);
    assert!(other.stdout == whole, "threads or batch size changed the paths");
    let json: serde_json::Value = serde_json::from_slice(&whole).unwrap();
    let not_kept = json["paths_not_kept"]["count"].as_u64().expect("paths_not_kept");
    assert!(not_kept > 0 && not_kept < 200_000, "{not_kept}");
    assert_eq!(json["paths"].as_array().unwrap().len(), 10);
    let table = crate::common::stdout(&sim(["run", f, "-n", "200000"]));
    assert!(table.contains("More than 65536 distinct paths"), "{table}");
    // Under the cap, nothing is said.
    let small: serde_json::Value = serde_json::from_slice(&sim(["run", f, "-n", "3000", "-f", "json"]).stdout).unwrap();
    assert!(small.get("paths_not_kept").is_none());
}

/// A part edited so that its results do not fit its command (a paired run
/// under a command with no base) is refused with an error, not a crash.
#[test]
fn a_part_whose_results_do_not_fit_its_command_is_refused() {
    let dir = temp_dir();
    for f in ["harbour.toml", "harbour_no_mediator.toml"] {
        std::fs::copy(fixture(f), dir.join(f)).unwrap();
    }
    let s = dir.join("harbour_no_mediator.toml");
    let s = s.to_str().unwrap();
    let paired = part(&dir, &["run", s, "-n", "300"], 1, 1);
    let alone = part(&dir, &["run", s, "-n", "300", "--no-base"], 1, 1);
    let read = |p: &Path| serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(p).unwrap()).unwrap();
    let mut edited = read(&alone);
    edited["data"] = read(&paired)["data"].clone();
    let path = dir.join("edited.json");
    std::fs::write(&path, edited.to_string()).unwrap();
    merge_fails(
        &[&path],
        "the parts hold a paired run, but their command has no base scenario",
    );
}
