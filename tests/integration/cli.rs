//! The command line as a user meets it.

use crate::common::{fixture, sim, stderr, stdout, temp_dir};

#[test]
fn file_alone_means_run() {
    let f = fixture("harbour.toml");
    let a = sim(["run".as_ref(), f.as_os_str(), "-n".as_ref(), "500".as_ref()]);
    let b = sim([f.as_os_str(), "-n".as_ref(), "500".as_ref()]);
    assert!(a.status.success() && b.status.success(), "{}", stderr(&b));
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn table_shows_question_seed_and_results_in_80_columns() {
    let out = sim([fixture("harbour.toml").as_os_str(), "-n".as_ref(), "1000".as_ref()]);
    let text = stdout(&out);
    assert!(text.contains("Does the blockade end in a deal"));
    assert!(text.contains("seed 7 · 1000 branches"));
    assert!(text.contains("RESULT") && text.contains("95% interval") && text.contains("No blockade"));
    assert!(text.contains("METRICS") && text.contains("MOST FREQUENT PATHS"));
    for line in text.lines() {
        assert!(line.chars().count() <= 80, "too wide: {line:?}");
    }
}

#[test]
fn check_prints_a_one_line_summary() {
    let out = sim(["check".as_ref(), fixture("harbour.toml").as_os_str()]);
    let text = stdout(&out);
    assert!(out.status.success());
    assert_eq!(text.lines().count(), 1);
    assert!(
        text.starts_with("ok: harbour") && text.contains("3 actors") && text.contains("5 decisions"),
        "{text}"
    );
}

#[test]
fn explain_tells_the_branch_with_reasons_and_evidence() {
    // Find a branch where the north blockades, then check the story says why.
    let f = fixture("harbour.toml");
    let story = (0..50)
        .map(|b| {
            stdout(&sim([
                "explain".as_ref(),
                f.as_os_str(),
                "--branch".as_ref(),
                b.to_string().as_ref(),
            ]))
        })
        .find(|s| s.contains("blockades the harbour: YES"))
        .expect("some branch blockades");
    assert!(story.contains("threshold: north.south_resists = "), "{story}");
    assert!(story.contains("evidence: Fictional: the council's minutes"), "{story}");
    assert!(story.contains("drawn    north.risk_limit = "), "{story}");
    assert!(story.contains("result   "), "{story}");
}

#[test]
fn help_lists_examples() {
    let out = sim(["--help"]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("Examples:") && stdout(&out).contains("sim explain"));
}

#[test]
fn output_file_gets_the_report() {
    let target = temp_dir().join("report.json");
    let out = sim([
        fixture("harbour.toml").as_os_str(),
        "-n".as_ref(),
        "300".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
        "--output".as_ref(),
        target.as_os_str(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&target).unwrap()).unwrap();
    assert_eq!(v["branches"], 300);
}

#[test]
fn completions_and_the_manual_come_from_the_command_definitions() {
    for (shell, needle) in [("bash", "_sim()"), ("zsh", "#compdef sim"), ("fish", "complete -c sim")] {
        let out = sim(["completions", shell]);
        assert!(out.status.success(), "{}", stderr(&out));
        let text = stdout(&out);
        assert!(text.contains(needle), "{shell}: {needle}");
        for command in ["sweep", "explain", "list"] {
            assert!(text.contains(command), "{shell} completes {command}");
        }
    }
    let man = stdout(&sim(["man"]));
    assert!(man.starts_with(".ie") || man.contains(".TH sim 1"), "{man}");
    assert!(man.contains("Counterfactual decision simulation"));
}
