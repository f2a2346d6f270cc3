//! The error corpus: every kind of bad input gets `file:line:col`, the line,
//! a caret under the problem, what was expected, and exit code 2.

use crate::common::{sim, stderr, temp_dir, write_temp};

const BASE: &str = r#"[scenario]
id = "mini"
start = "2000-01"
horizon = "2000-12"
branches = 100

[parameters]
p = 0.5

[state]
done = false

[actors.a]
name = "A"

[[events]]
id = "e1"
date = "2000-02"
actor = "a"
rule = { kind = "chance", p = "p" }
then = { done = true }

[[outcomes]]
id = "yes"
when = "state.done"

[[outcomes]]
id = "no"
when = "not state.done"
"#;

/// `BASE` with one piece of text replaced (which must be there).
fn mutate(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "BASE has no {from:?}");
    BASE.replacen(from, to, 1)
}

/// Checks `sim check` on `text`: exit 2, the location, the quoted line, the
/// caret's column and width, and words of the message and the label.
pub(crate) fn expect_error(text: &str, line: usize, col: usize, carets: usize, message: &str, label: &str) {
    let path = write_temp("s.toml", text);
    let out = sim(["check".as_ref(), path.as_os_str()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "exit code for:\n{err}");
    assert!(!err.contains("panicked"), "{err}");
    let loc = format!("{}:{line}:{col}\n", path.display());
    assert!(err.contains(&loc), "expected location {loc} in:\n{err}");
    let source_line = text.lines().nth(line - 1).unwrap();
    if source_line.chars().count() <= 100 {
        let quoted = format!("{line} | {source_line}\n");
        assert!(err.contains(&quoted), "quoted line missing in:\n{err}");
        let caret = format!("| {}{} ", " ".repeat(col - 1), "^".repeat(carets));
        assert!(err.contains(&caret), "expected caret {caret:?} in:\n{err}");
    } else {
        // A long line is quoted as a window around the caret (see diagnostic.rs).
        let quoted = err.lines().find(|l| l.starts_with(&format!("{line} | ")));
        assert!(
            quoted.is_some_and(|q| q.contains('…')),
            "windowed line missing in:\n{err}"
        );
        assert!(
            err.contains(&format!("{} ", "^".repeat(carets))),
            "caret missing in:\n{err}"
        );
    }
    assert!(err.contains(message), "expected message {message:?} in:\n{err}");
    assert!(err.contains(label), "expected label {label:?} in:\n{err}");
}

#[test]
fn base_is_valid() {
    let path = write_temp("s.toml", BASE);
    let out = sim(["check".as_ref(), path.as_os_str()]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn malformed_toml() {
    expect_error(&mutate("[state]", "[state"), 10, 7, 1, "unclosed table", "expected `]`");
}

#[test]
fn unknown_key() {
    expect_error(
        &mutate("actor = \"a\"", "actr = \"a\""),
        19,
        1,
        4,
        "unknown field `actr`",
        "expected one of",
    );
}

#[test]
fn wrong_type() {
    expect_error(
        &mutate("branches = 100", "branches = \"many\""),
        5,
        12,
        6,
        "invalid type",
        "",
    );
}

#[test]
fn undefined_name() {
    expect_error(
        &mutate("when = \"state.done\"", "when = \"state.dne\""),
        25,
        9,
        9,
        "unknown name `state.dne`",
        "did you mean `state.done`?",
    );
}

#[test]
fn type_error_in_expression() {
    expect_error(
        &mutate("when = \"state.done\"", "when = \"p + 1\""),
        25,
        9,
        5,
        "this is a number",
        "a true/false value",
    );
}

#[test]
fn expression_syntax_error() {
    expect_error(
        &mutate("when = \"state.done\"", "when = \"state.done and\""),
        25,
        23,
        1,
        "unexpected end of expression",
        "a number, name",
    );
}

#[test]
fn operands_of_and_must_be_flags() {
    expect_error(
        &mutate("when = \"state.done\"", "when = \"p and state.done\""),
        25,
        9,
        1,
        "this is a number",
        "a true/false value",
    );
}

#[test]
fn belief_cycle() {
    let text = mutate(
        "name = \"A\"",
        "name = \"A\"\n[actors.a.beliefs]\nx = \"a.y + 1\"\ny = \"a.x * 2\"",
    );
    expect_error(
        &text,
        17,
        6,
        3,
        "beliefs depend on each other in a cycle",
        "a.x → a.y → a.x",
    );
}

#[test]
fn probability_out_of_range_in_distribution() {
    expect_error(
        &mutate("p = 0.5", "p = { bernoulli = 1.5 }"),
        8,
        19,
        3,
        "probability out of range for parameter `p`",
        "between 0 and 1",
    );
}

#[test]
fn probability_out_of_range_in_rule() {
    expect_error(
        &mutate("p = \"p\" }", "p = \"1.25\" }"),
        20,
        31,
        6,
        "probability out of range",
        "from 0 to 1",
    );
}

#[test]
fn bad_distribution_parameters() {
    expect_error(
        &mutate("p = 0.5", "p = { uniform = [0.9, 0.1] }"),
        8,
        17,
        10,
        "bad distribution for parameter `p`",
        "low <= high",
    );
}

#[test]
fn beta_needs_positive_shapes() {
    expect_error(
        &mutate("p = 0.5", "p = { beta = [0, 2] }"),
        8,
        14,
        6,
        "bad distribution",
        "both > 0",
    );
}

#[test]
fn dates_out_of_order() {
    let text = mutate(
        "then = { done = true }",
        "then = { done = true }\n\n[[events]]\nid = \"e0\"\ndate = \"2000-01\"",
    );
    expect_error(&text, 25, 8, 9, "events are out of date order", "on or after 2000-02");
}

#[test]
fn malformed_date() {
    expect_error(
        &mutate("date = \"2000-02\"", "date = \"2000-13\""),
        18,
        8,
        9,
        "malformed date",
        "a date such as \"2000-01\"",
    );
}

#[test]
fn date_outside_timeline() {
    expect_error(
        &mutate("date = \"2000-02\"", "date = \"2001-02\""),
        18,
        8,
        9,
        "outside the scenario's timeline",
        "from 2000-01 to 2000-12",
    );
}

#[test]
fn horizon_before_start() {
    expect_error(
        &mutate("horizon = \"2000-12\"", "horizon = \"1999-12\""),
        4,
        11,
        9,
        "the horizon is before the start",
        "on or after 2000-01",
    );
}

#[test]
fn branch_count_zero() {
    expect_error(
        &mutate("branches = 100", "branches = 0"),
        5,
        12,
        1,
        "branch count out of range",
        "from 1 to 1000000000",
    );
}

#[test]
fn branch_count_absurd() {
    expect_error(
        &mutate("branches = 100", "branches = 99999999999"),
        5,
        12,
        11,
        "branch count out of range",
        "",
    );
}

#[test]
fn unknown_rule_kind() {
    expect_error(
        &mutate("kind = \"chance\"", "kind = \"coin\""),
        20,
        17,
        6,
        "unknown rule kind `coin`",
        "threshold, weighed, dependence, analogy, choice, council",
    );
}

#[test]
fn field_of_another_rule_kind() {
    expect_error(
        &mutate("p = \"p\" }", "p = \"p\", below = \"1\" }"),
        20,
        44,
        3,
        "`below` does not apply to a chance rule",
        "fields of a chance rule: p",
    );
}

#[test]
fn unknown_actor() {
    expect_error(
        &mutate("actor = \"a\"", "actor = \"b\""),
        19,
        9,
        3,
        "unknown actor `b`",
        "[actors.NAME]",
    );
}

#[test]
fn duplicate_event_id() {
    let text = mutate(
        "then = { done = true }",
        "then = { done = true }\n\n[[events]]\nid = \"e1\"\ndate = \"2000-03\"",
    );
    expect_error(
        &text,
        24,
        6,
        4,
        "duplicate event `e1`",
        "an id not used before in this file",
    );
}

#[test]
fn unknown_state_variable_in_effect() {
    expect_error(
        &mutate("then = { done = true }", "then = { don = true }"),
        21,
        10,
        3,
        "no state variable `don`",
        "[state]",
    );
}

#[test]
fn effect_type_mismatch() {
    expect_error(
        &mutate("then = { done = true }", "then = { done = \"1 + 1\" }"),
        21,
        18,
        5,
        "this is a number",
        "a true/false value",
    );
}

#[test]
fn process_step_bound() {
    let text = mutate(
        "[[outcomes]]\nid = \"yes\"",
        "[[processes]]\nid = \"pr\"\nmax_steps = 0\n\n[[outcomes]]\nid = \"yes\"",
    );
    expect_error(&text, 25, 13, 1, "step bound out of range", "from 1 to 1000000");
}

#[test]
fn expression_nesting_is_bounded() {
    let deep = format!("when = \"{}state.done{}\"", "(".repeat(80), ")".repeat(80));
    expect_error(
        &mutate("when = \"state.done\"", &deep),
        25,
        73,
        1,
        "nests more than 64 levels",
        "simpler expression",
    );
}

#[test]
fn no_result_outcomes() {
    let cut = BASE.find("[[outcomes]]").unwrap();
    expect_error(
        &BASE[..cut],
        2,
        6,
        6,
        "the scenario has no result outcomes",
        "in this scenario",
    );
}

#[test]
fn set_of_unknown_parameter_in_file() {
    let dir = temp_dir();
    std::fs::write(dir.join("base.toml"), BASE).unwrap();
    let cf = "[scenario]\nextends = \"base.toml\"\nid = \"cf\"\n\n[set]\nq = 0.3\n";
    let path = dir.join("cf.toml");
    std::fs::write(&path, cf).unwrap();
    let out = sim(["check".as_ref(), path.as_os_str()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err.contains("cf.toml:6:1\n") && err.contains("no parameter named `q`") && err.contains("did you mean `p`?"),
        "{err}"
    );
}

#[test]
fn extends_loop() {
    let dir = temp_dir();
    std::fs::write(dir.join("a.toml"), "[scenario]\nid = \"a\"\nextends = \"b.toml\"\n").unwrap();
    std::fs::write(dir.join("b.toml"), "[scenario]\nid = \"b\"\nextends = \"a.toml\"\n").unwrap();
    let out = sim(["check".as_ref(), dir.join("a.toml").as_os_str()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err.contains("b.toml:3:11\n") && err.contains("`extends` chain loops"),
        "{err}"
    );
    assert!(
        err.contains("3 | extends = \"a.toml\"\n") && err.contains("|           ^^^^^^^^ this leads back"),
        "{err}"
    );
}

#[test]
fn extends_missing_file() {
    let path = write_temp("cf.toml", "[scenario]\nid = \"cf\"\nextends = \"nowhere.toml\"\n");
    let out = sim(["check".as_ref(), path.as_os_str()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err.contains("cf.toml:3:11\n") && err.contains("cannot read") && err.contains("nowhere.toml"),
        "{err}"
    );
}

#[test]
fn command_line_set_points_into_the_argument() {
    let path = write_temp("s.toml", BASE);
    let out = sim(["check".as_ref(), path.as_os_str(), "--set".as_ref(), "pp=0.3".as_ref()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err.contains("--> --set:1:1\n") && err.contains("1 | pp=0.3\n") && err.contains("  | ^^ a parameter, a belief"),
        "{err}"
    );
    let out = sim([
        "check".as_ref(),
        path.as_os_str(),
        "--set".as_ref(),
        "p={ uniform = [1, 0] }".as_ref(),
    ]);
    let err = stderr(&out);
    assert!(err.contains("--> --set:1:15\n") && err.contains("low <= high"), "{err}");
}

#[test]
fn command_line_do_of_unknown_node() {
    let path = write_temp("s.toml", BASE);
    let out = sim(["check".as_ref(), path.as_os_str(), "--do".as_ref(), "e2=true".as_ref()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err.contains("--> --do:1:1\n")
            && err.contains("nothing named `e2` to force")
            && err.contains("did you mean `e1`?"),
        "{err}"
    );
}

#[test]
fn missing_file_and_bad_usage_exit_2() {
    let out = sim(["check", "/nonexistent/x.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read `/nonexistent/x.toml`"));
    let out = sim(["run", "x.toml", "--branches", "many"]);
    assert_eq!(out.status.code(), Some(2));
    let out = sim(["run", "x.toml", "--format", "xml"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn runtime_error_names_the_branch() {
    // Two result outcomes that can both hold.
    let text = mutate("when = \"not state.done\"", "when = \"true\"");
    let path = write_temp("s.toml", &text);
    let out = sim(["run".as_ref(), path.as_os_str()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("in branch ") && err.contains("`yes` and `no` both hold") && err.contains("sim explain"),
        "{err}"
    );
}

#[test]
fn output_never_overwrites_the_scenario() {
    let path = write_temp("s.toml", BASE);
    let out = sim(["run".as_ref(), path.as_os_str(), "--output".as_ref(), path.as_os_str()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("refusing to write the report over"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), BASE);
}

#[test]
fn absurd_counts_on_the_command_line_are_refused() {
    let path = write_temp("s.toml", BASE);
    for args in [
        ["--threads", "5000"],
        ["--branches", "0"],
        ["--branches", "99999999999"],
        ["--batch-size", "0"],
    ] {
        let out = sim(["run".as_ref(), path.as_os_str(), args[0].as_ref(), args[1].as_ref()]);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"));
    }
}

#[test]
fn too_many_random_draws_is_refused() {
    // 60 processes drawing every month for 1200 months: 72 000 draws a branch.
    let mut text = mutate("horizon = \"2000-12\"", "horizon = \"2099-12\"");
    for i in 0..60 {
        text += &format!("\n[[processes]]\nid = \"p{i}\"\nrule = {{ kind = \"chance\", p = \"0.1\" }}\n");
    }
    let path = write_temp("s.toml", &text);
    let out = sim(["check".as_ref(), path.as_os_str()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("too many random draws per branch"),
        "{}",
        stderr(&out)
    );
}
