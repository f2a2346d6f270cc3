//! The command line as a user meets it.

use crate::common::{fixture, root, sim, stderr, stdout, temp_dir};

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
                "--verbose".as_ref(),
                "--width".as_ref(),
                "1000".as_ref(),
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

/// Splits a command line as a POSIX shell would for the examples: words
/// separated by spaces, single quotes keeping what they enclose.
fn shell_words(line: &str) -> Vec<String> {
    let (mut words, mut word, mut quoted, mut any) = (Vec::new(), String::new(), false, false);
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            ' ' if !quoted => {
                if any {
                    words.push(std::mem::take(&mut word));
                }
                any = false;
            }
            c => {
                word.push(c);
                any = true;
            }
        }
    }
    if any {
        words.push(word);
    }
    words
}

/// Every example `sim --help` gives runs as written (with a small branch
/// count, and any output file in a temporary directory).
#[test]
fn every_help_example_works() {
    let help = stdout(&sim(["--help"]));
    let examples: Vec<&str> = help
        .split("Examples:")
        .nth(1)
        .expect("--help has examples")
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("sim "))
        .collect();
    assert!(examples.len() >= 10, "{help}");
    let dir = temp_dir();
    for example in examples {
        let mut args = shell_words(example);
        args.remove(0);
        if let Some(i) = args.iter().position(|a| a == "-o") {
            args[i + 1] = dir.join(&args[i + 1]).display().to_string();
        }
        let runs =
            ["compare", "sweep", "sensitivity", "report"].contains(&args[0].as_str()) || args[0].ends_with(".toml");
        if runs {
            args.retain(|a| a != "1000000");
            if let Some(i) = args.iter().position(|a| a == "--branches") {
                args.remove(i);
            }
            args.extend(["-n".to_string(), "300".to_string()]);
        }
        if args[0] == "class" {
            // A server: it must come up and print its addresses (on loopback here).
            for a in args.iter_mut().filter(|a| *a == "0.0.0.0") {
                *a = "127.0.0.1".into();
            }
            args.extend(["-n", "300", "--port", "0", "--db"].map(String::from));
            args.push(dir.join("help.sqlite").display().to_string());
            let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sim"))
                .args(&args)
                .current_dir(crate::common::root())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            let mut text = String::new();
            let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
            while !text.contains("students:") && std::io::BufRead::read_line(&mut out, &mut text).unwrap_or(0) > 0 {}
            let _ = child.kill();
            let _ = child.wait();
            assert!(
                text.contains("students:") && text.contains("join code"),
                "`{example}`: {text}"
            );
            continue;
        }
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_sim"))
            .args(&args)
            .current_dir(crate::common::root())
            .output()
            .unwrap();
        assert!(out.status.success(), "`{example}` failed: {}", stderr(&out));
        assert!(
            !out.stdout.is_empty() || args.contains(&"-o".to_string()),
            "`{example}` printed nothing"
        );
    }
    assert!(dir.join("no_us_intervention.html").exists());
}

/// `sim report` with `args`, to `out`; its bytes.
fn report_bytes(files: &[&str], args: &[&str], out: &std::path::Path) -> Vec<u8> {
    let mut all: Vec<std::ffi::OsString> = vec!["report".into()];
    all.extend(files.iter().map(|f| root().join(f).into_os_string()));
    all.extend(args.iter().map(|a| a.into()));
    all.extend(["-o".into(), out.as_os_str().to_owned()]);
    let o = sim(&all);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::read(out).unwrap()
}

#[test]
fn a_report_is_the_same_page_whatever_the_threads_and_small() {
    let dir = crate::common::temp_dir();
    let file = "scenarios/no_us_intervention.toml";
    let one = report_bytes(&[file], &["-n", "3000", "-j", "1"], &dir.join("a.html"));
    let two = report_bytes(&[file], &["-n", "3000", "-j", "2"], &dir.join("a.html"));
    assert!(one == two, "the page changed with the thread count");
    let html = String::from_utf8(one).unwrap();
    assert!(html.len() < 160_000, "{} bytes", html.len());
    // Self-contained: nothing is loaded from anywhere.
    for outside in ["src=\"http", "href=\"http", "@import", "url("] {
        assert!(!html.contains(outside), "{outside}");
    }
    assert!(html.contains("sim report "), "the footer has the command");
    assert!(html.contains(&format!("{} --seed 1950 --branches 3000", root().join(file).display())));
}

#[test]
fn a_class_set_has_one_section_per_scenario_in_order() {
    let dir = crate::common::temp_dir();
    let files = [
        "scenarios/historical.toml",
        "scenarios/inchon_fails.toml",
        "scenarios/mao_refuses.toml",
    ];
    let html = String::from_utf8(report_bytes(&files, &["-n", "500"], &dir.join("set.html"))).unwrap();
    let at = |id: &str| {
        html.find(&format!("data-scenario=\"{id}\""))
            .unwrap_or_else(|| panic!("{id}"))
    };
    assert!(at("historical") < at("inchon_fails") && at("inchon_fails") < at("mao_refuses"));
    assert_eq!(html.matches("<section class=\"scenario\"").count(), 3);
    // A counterfactual shows what changed against its base.
    assert!(html.contains("do(inchon_succeeds = false)"));
}

#[test]
fn report_refuses_what_it_cannot_do() {
    let dir = crate::common::temp_dir();
    let file = root().join("scenarios/historical.toml");
    // --outcome belongs to the tornado.
    let o = sim([
        "report".as_ref(),
        file.as_os_str(),
        "--outcome".as_ref(),
        "no_war".as_ref(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // Never over a scenario.
    let copy = dir.join("s.toml");
    std::fs::copy(&file, &copy).unwrap();
    let before = std::fs::read(&copy).unwrap();
    let o = sim([
        "report".as_ref(),
        copy.as_os_str(),
        "-n".as_ref(),
        "100".as_ref(),
        "-o".as_ref(),
        copy.as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("refusing to write"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&copy).unwrap(), before);
    // A sweep of a parameter the scenario lacks is a clear error.
    let o = sim([
        "report".as_ref(),
        file.as_os_str(),
        "-n".as_ref(),
        "100".as_ref(),
        "--sweep".as_ref(),
        "nope=0:1:3".as_ref(),
        "-o".as_ref(),
        dir.join("r.html").as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("nope"), "{}", stderr(&o));
}

#[test]
fn every_output_shows_the_exercise() {
    let file = root().join("scenarios/no_us_intervention.toml");
    let run = |args: &[&str]| {
        let mut all: Vec<std::ffi::OsString> = vec![file.clone().into_os_string()];
        all.extend(args.iter().map(|a| a.into()));
        let o = sim(&all);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    };
    let table = run(&["-n", "500"]);
    let first: Vec<&str> = table.lines().take(3).collect();
    assert_eq!(first[0], "The US stays out of Korea (June 1950)");
    assert!(
        first[1].starts_with("What if Truman had not sent US forces"),
        "{first:?}"
    );
    assert!(table.contains("\nRead: Weathersby"), "{table}");
    let discuss = table.find("TO DISCUSS").expect("prompts at the end");
    assert!(
        table[discuss..].contains("  1. In this world the North wins within weeks."),
        "{table}"
    );
    assert!(discuss > table.find("RESULT").unwrap());
    let csv = run(&["-n", "500", "-f", "csv"]);
    assert!(csv.contains("scenario,no_us_intervention,prompt1,,"), "{csv}");
    assert!(
        csv.contains("scenario,no_us_intervention,question,,What if Truman"),
        "{csv}"
    );
    let json: serde_json::Value = serde_json::from_str(&run(&["-n", "500", "-f", "json"])).unwrap();
    assert_eq!(json["scenario"]["prompts"].as_array().unwrap().len(), 3);
    assert!(json["scenario"]["passage"].as_str().unwrap().starts_with("Weathersby"));
}

#[test]
fn warnings_are_one_line_unless_verbose() {
    let file = root().join("scenarios/stalin_sends_troops.toml");
    let run = |extra: &[&str]| {
        let mut all: Vec<std::ffi::OsString> = vec![file.clone().into_os_string(), "-n".into(), "300".into()];
        all.extend(extra.iter().map(|a| a.into()));
        stdout(&sim(&all))
    };
    let json: serde_json::Value = serde_json::from_str(&run(&["-f", "json"])).unwrap();
    let warnings =
        json["warnings"].as_array().unwrap().len() + json["comparison"]["warnings"].as_array().map_or(0, |w| w.len());
    assert!(warnings >= 2, "{json}");
    let short = run(&[]);
    assert!(short.contains(&format!("{warnings} warnings about")), "{short}");
    assert!(short.contains("--verbose lists them"), "{short}");
    let long = run(&["--verbose"]);
    assert!(long.lines().count() >= short.lines().count() + warnings, "{long}");
}

#[test]
fn explain_tells_several_branches_and_lists_draws_only_when_asked() {
    let file = root().join("scenarios/historical.toml");
    let run = |extra: &[&str]| {
        let mut all: Vec<std::ffi::OsString> = vec!["explain".into(), file.clone().into_os_string()];
        all.extend(extra.iter().map(|a| a.into()));
        let o = sim(&all);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    };
    let three = run(&["--branch", "3,17,42", "--width", "1000"]);
    for b in [3, 17, 42] {
        assert!(three.contains(&format!("· branch {b} · seed 1950")), "{three}");
    }
    assert!(!three.contains("\ndrawn "), "draws listed without --verbose");
    assert!(three.contains("parameters drawn for this branch: --verbose lists them"));
    let verbose = run(&["--branch", "3", "--verbose"]);
    let story_end = verbose.find("result ").unwrap();
    let draws = verbose.find("\ndrawn ").expect("draws under --verbose");
    assert!(draws > story_end, "the story comes first");
    let sample = run(&["--sample", "4", "--width", "60"]);
    let words = sample.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("4 branches chosen among the first"), "{sample}");
    assert!(words.contains("as history did"), "{sample}");
    assert!(sample.lines().all(|l| l.chars().count() <= 60), "{sample}");
    // --sample and --branch are one or the other.
    let o = sim(["explain".as_ref(), file.as_os_str()]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn progress_is_never_written_to_a_file_or_a_pipe() {
    // Stderr is a pipe here: however long the sensitivity runs, no bar.
    let f = fixture("harbour.toml");
    let o = sim(["sensitivity".as_ref(), f.as_os_str(), "-n".as_ref(), "20000".as_ref()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
}
