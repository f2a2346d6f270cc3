//! Hostile input and hostile environments: each is refused cleanly (exit 2
//! with a located error, or exit 1 for a failed write), never a panic, never
//! a hang, and nothing the user gave is lost or overwritten.

use crate::common::{fixture, sim, stderr, stdout, temp_dir, write_temp};
use std::process::{Command, Stdio};

const MINI: &str = r#"[scenario]
id = "mini"
start = "2000-01"
horizon = "2000-03"
branches = 100
[parameters]
p = 0.5
[state]
done = false
[[events]]
id = "e"
date = "2000-02"
rule = { kind = "chance", p = "p" }
then = { done = true }
[[outcomes]]
id = "yes"
when = "state.done"
[[outcomes]]
id = "no"
when = "not state.done"
"#;

fn check(path: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["check".as_ref(), path.as_os_str()];
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    sim(args)
}

fn refused(out: &std::process::Output, needle: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        !err.contains("panicked") && err.contains(needle),
        "{needle:?} in\n{err}"
    );
}

#[test]
fn nan_and_infinity_are_refused_where_they_are_written() {
    for (from, to) in [
        ("p = 0.5", "p = nan"),
        ("p = 0.5", "p = inf"),
        ("p = 0.5", "p = { uniform = [0, inf] }"),
        ("done = false", "done = false\nlevel = -inf"),
    ] {
        let path = write_temp("s.toml", &MINI.replacen(from, to, 1));
        let out = check(&path, &[]);
        refused(&out, &format!("{}:", path.display()));
    }
    let path = write_temp("s.toml", MINI);
    refused(&check(&path, &["--set", "p=nan"]), "--> --set:1:");
}

#[test]
fn only_regular_files_are_read_and_only_so_much() {
    refused(&check("/dev/zero".as_ref(), &[]), "is not a regular file");
    let dir = temp_dir();
    let fifo = dir.join("pipe.toml");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(made.success());
    refused(&check(&fifo, &[]), "is not a regular file");
    // A base named by `extends` is held to the same rule, at the line naming it.
    let cf = dir.join("cf.toml");
    std::fs::write(&cf, "[scenario]\nextends = \"/dev/zero\"\nid = \"cf\"\n").unwrap();
    refused(&check(&cf, &[]), "cf.toml:2:11");
    let big = dir.join("big.toml");
    std::fs::write(&big, format!("# {}\n{MINI}", "x".repeat(5 << 20))).unwrap();
    refused(&check(&big, &[]), "the most a scenario may be");
}

#[test]
fn a_set_value_is_one_toml_value() {
    let path = write_temp("s.toml", MINI);
    let out = check(&path, &["--set", "p=0.5\nq=1"]);
    refused(&out, "--> --set:2:1");
    let out = check(&path, &["--set", "p=0.5 q"]);
    refused(&out, "--> --set:");
}

#[test]
fn names_of_odd_whitespace_get_an_error_not_a_panic() {
    let path = write_temp("s.toml", MINI);
    for name in ["\u{a0}", "\u{3000}", " \u{a0} ", "\u{3000}x"] {
        for flag in ["--set", "--do"] {
            let out = check(&path, &[flag, &format!("{name}=1")]);
            refused(&out, &format!("--> {flag}:1:"));
        }
    }
}

#[test]
fn a_wrong_type_in_set_is_blamed_on_the_flag() {
    let out = check(&fixture("harbour.toml"), &["--set", "mediator_available=0.5"]);
    refused(&out, "--> --set:1:20");
    assert!(
        stderr(&out).contains("is true/false in the scenario"),
        "{}",
        stderr(&out)
    );
}

/// Runs `sim ARGS` with its standard output given to `stdout`.
fn sim_into(args: &[&str], stdout: Stdio, stderr_to: Stdio) -> std::process::ExitStatus {
    Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(args)
        .stdout(stdout)
        .stderr(stderr_to)
        .status()
        .expect("sim runs")
}

#[test]
fn a_closed_pipe_ends_quietly_and_a_full_disk_is_an_error() {
    let f = fixture("harbour.toml");
    let f = f.to_str().unwrap();
    for args in [
        vec!["check", f],
        vec!["explain", f, "--branch", "3"],
        vec!["list", f],
        vec!["run", f, "-n", "3000"],
    ] {
        // A reader that closes at once: `sim ... | true`.
        let mut child = Command::new(env!("CARGO_BIN_EXE_sim"))
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"), "{args:?}");
        // Standard output on a full disk.
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_sim"))
            .args(&args)
            .stdout(full)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            stderr(&out).starts_with("error: cannot write to standard output"),
            "{}",
            stderr(&out)
        );
    }
    // An error reported to a full standard error still exits 2.
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let status = sim_into(&["check", "/no/such/file.toml"], Stdio::null(), Stdio::from(full));
    assert_eq!(status.code(), Some(2));
}

#[test]
fn output_files_are_written_through_devices_and_links_and_never_over_toml() {
    use std::os::unix::fs::FileTypeExt;
    let f = fixture("harbour.toml");
    let f = f.to_str().unwrap();
    // A device is written to, not replaced.
    let status = sim_into(
        &["run", f, "-n", "100", "-o", "/dev/full"],
        Stdio::null(),
        Stdio::null(),
    );
    assert_eq!(status.code(), Some(1));
    assert!(std::fs::metadata("/dev/full").unwrap().file_type().is_char_device());
    // /dev/stdout is the standard output.
    let out = sim(["run", f, "-n", "100", "-o", "/dev/stdout", "-f", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("\"format_version\""));
    // A symlink is followed: its target gets the report, the link stays.
    let dir = temp_dir();
    let target = dir.join("report.txt");
    std::fs::write(&target, "old").unwrap();
    let link = dir.join("link.txt");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let out = sim(["run", f, "-n", "100", "-o", link.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert!(std::fs::read_to_string(&target).unwrap().contains("RESULT"));
    // An existing .toml file is never written over; a new one may be created.
    let other = dir.join("other.toml");
    std::fs::write(&other, "# someone's scenario\n").unwrap();
    let out = sim(["run", f, "-n", "100", "-o", other.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&other).unwrap(), "# someone's scenario\n");
    // The format follows the extension unless -f says otherwise.
    let json = dir.join("r.json");
    assert!(
        sim(["run", f, "-n", "100", "-o", json.to_str().unwrap()])
            .status
            .success()
    );
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["branches"], 100);
    let csv = dir.join("r.csv");
    assert!(
        sim(["run", f, "-n", "100", "-o", csv.to_str().unwrap()])
            .status
            .success()
    );
    assert!(std::fs::read_to_string(&csv).unwrap().starts_with("kind,"));
}

#[test]
fn sweeps_refuse_a_parameter_twice_and_a_range_of_one_point() {
    let f = fixture("harbour.toml");
    let f = f.to_str().unwrap();
    let out = sim(["sweep", f, "--vary", "talk_success=0,1", "--vary", "talk_success=0.5"]);
    refused(&out, "is varied twice");
    let out = sim(["sweep", f, "--vary", "talk_success=0.1:0.3:1"]);
    refused(&out, "STEPS must be a whole number from 2");
}

#[test]
fn a_mistyped_command_gets_the_closest_one() {
    let out = sim(["chekc", fixture("harbour.toml").to_str().unwrap()]);
    refused(&out, "did you mean `check`?");
    let out = sim(["explian"]);
    refused(&out, "did you mean `explain`?");
}

#[test]
fn a_bar_no_probability_can_pass_is_warned_about() {
    let out = check(&fixture("harbour.toml"), &["--set", "north.risk_limit=1.5"]);
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("`north_blockades`: north.south_resists is a probability (0 to 1) but its bar is 1.5"),
        "{}",
        stderr(&out)
    );
}
