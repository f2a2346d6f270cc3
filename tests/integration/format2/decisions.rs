//! Format 2, problems 3 to 5: choices among named options, enumerated
//! state and option lessons; weighed and joint decisions.

use super::*;

// ---------------------------------------------------------------------------
// 3. Choices among named options; enumerated state; option lessons.
// ---------------------------------------------------------------------------

const CHOICE: &str = r#"format = 2
[scenario]
id = "choice"
start = "2000-01"
horizon = "2000-03"
branches = 20000
[parameters]
w_b = 2.0
[state]
posture = { initial = "none", values = ["none", "a", "b", "c"] }
[actors.council]
name = "The council"
[[events]]
id = "decide"
date = "2000-02"
actor = "council"
options = [
  { id = "a", then = { posture = "a" } },
  { id = "b", then = { posture = "b" } },
  { id = "c", then = { posture = "c" } },
]
rule = { kind = "choice", weight = { a = 1.0, b = "w_b", c = 1.0 } }
[[outcomes]]
id = "a"
when = "state.posture == 'a'"
[[outcomes]]
id = "b"
when = "state.posture == 'b'"
[[outcomes]]
id = "other"
when = "state.posture != 'a' and state.posture != 'b'"
"#;

#[test]
fn a_weighted_choice_picks_each_option_in_proportion() {
    let paths = files(&[("choice.toml", CHOICE)]);
    let v = json_of(&paths[0], &["--no-base"]);
    let share = |id| count(&v, "outcomes", id) as f64 / 20000.0;
    assert!(
        (share("a") - 0.25).abs() < 0.015 && (share("b") - 0.5).abs() < 0.015,
        "{v}"
    );
    let decide = &v["events"][0];
    assert_eq!(decide["options"][1]["id"], "b");
    assert_eq!(decide["options"][1]["count"], count(&v, "outcomes", "b"));
    // --do forces an option by its name.
    let forced = json_of(&paths[0], &["--no-base", "--do", "decide=c"]);
    assert_eq!(count(&forced, "outcomes", "other"), 20000);
    // An unknown option is refused, with the options listed.
    let out = sim([
        "check".as_ref(),
        paths[0].as_os_str(),
        "--do".as_ref(),
        "decide=d".as_ref(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("`decide` has no option `d`") && stderr(&out).contains("one of a, b, c"));
}

#[test]
fn adding_an_option_keeps_the_pairing() {
    // The counterfactual adds a fourth option at the end: every branch
    // draws the same uniform, so no branch moves to an earlier option.
    let cf = CHOICE
        .replace("id = \"choice\"", "id = \"more\"")
        .replace(
            "  { id = \"c\", then = { posture = \"c\" } },\n]",
            "  { id = \"c\", then = { posture = \"c\" } },\n  { id = \"d\" },\n]",
        )
        .replace("c = 1.0 }", "c = 1.0, d = 2.0 }");
    let paths = files(&[("choice.toml", CHOICE), ("more.toml", &cf)]);
    let (base, more) = (program(&paths[0], &[]), program(&paths[1], &[]));
    assert_eq!(base.lanes, more.lanes[..base.lanes.len()].to_vec(), "the same lanes");
    let (mut wb, mut wm) = (Workspace::new(&base, 9), Workspace::new(&more, 9));
    let mut moved = 0;
    for branch in 0..5000 {
        run_branch(&base, &mut wb, branch, &mut NoTrace).unwrap();
        run_branch(&more, &mut wm, branch, &mut NoTrace).unwrap();
        let (b, m) = (wb.record.decisions[0].1 & 0xff, wm.record.decisions[0].1 & 0xff);
        assert!(
            m >= b,
            "branch {branch}: option {m} in the counterfactual, {b} in the base"
        );
        moved += u32::from(m != b);
    }
    assert!(moved > 1000 && moved < 4000, "{moved}");
}

#[test]
fn an_analogy_can_teach_an_option() {
    let v = run_json(&[fixture("cuba1962.toml").to_str().unwrap(), "-n", "3000"]);
    let frames = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "kennedy_frames")
        .unwrap();
    let opts: Vec<&str> = frames["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(opts, ["firmness", "restraint"]);
    let total: u64 = frames["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["count"].as_u64().unwrap())
        .sum();
    assert_eq!(total, frames["reached"].as_u64().unwrap());
    // Munich needs stealth near 0.9: with the reading pinned there, firmness wins.
    let firm = run_json(&[
        fixture("cuba1962.toml").to_str().unwrap(),
        "-n",
        "3000",
        "--set",
        "kennedy.munich_weight=0.9",
        "--no-base",
    ]);
    let f = firm["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "kennedy_frames")
        .unwrap();
    assert_eq!(f["options"][0]["count"], f["reached"]);
}

// ---------------------------------------------------------------------------
// 4. Weighed decisions; 5. joint decisions.
// ---------------------------------------------------------------------------

#[test]
fn explain_tells_each_term_and_each_vote() {
    let f = fixture("cuba1962.toml");
    let story = (0..60)
        .map(|b| {
            stdout(&sim([
                "explain".as_ref(),
                f.as_os_str(),
                "--branch".as_ref(),
                b.to_string().as_ref(),
                "--width".as_ref(),
                "1000".as_ref(),
            ]))
        })
        .find(|s| s.contains("votes"))
        .expect("some branch reaches the council");
    assert!(story.contains("defend_cuba 1.000 × "), "{story}");
    assert!(
        story.contains("savitsky votes ") && story.contains("arkhipov votes "),
        "{story}"
    );
    assert!(
        story.contains("council: ") && story.contains("it needs all (3)"),
        "{story}"
    );
    assert!(story.contains("per day"), "{story}");
}

#[test]
fn a_council_needs_the_consent_it_states() {
    let f = fixture("cuba1962.toml");
    let launches = |set: &[&str]| {
        let p = program(&f, set);
        let s = RunSettings {
            first: 0,
            seed: 4,
            branches: 20000,
            threads: 2,
            batch_size: 1000,
        };
        let t = run(&p, &s).unwrap().unwrap();
        let i = p.nodes().position(|n| n.id == "b59_launch").unwrap();
        (t.reached[i], t.fired[i])
    };
    let (reached, fired) = launches(&[]);
    assert!(reached > 1000 && fired > 0, "{reached} {fired}");
    // Arkhipov never consents: never all three.
    assert_eq!(launches(&["arkhipov.consents=0"]).1, 0);
    // Everyone always consents: every time.
    let (r, f) = launches(&["arkhipov.consents=1", "savitsky.consents=1", "maslennikov.consents=1"]);
    assert_eq!(r, f);
}

#[test]
fn dependence_on_several_patrons_follows_them_only_where_they_agree() {
    let f = fixture("cuba1962.toml");
    let p = program(&f, &[]);
    let s = RunSettings {
        first: 0,
        seed: 8,
        branches: 20000,
        threads: 2,
        batch_size: 1000,
    };
    let t = run(&p, &s).unwrap().unwrap();
    let i = p.nodes().position(|n| n.id == "turkey_trade").unwrap();
    // Both patrons want the trade (no war) in most branches that reach it:
    // it follows with the chance that either pull binds, 1 - 0.2 × 0.5.
    let share = t.fired[i] as f64 / t.reached[i] as f64;
    assert!((share - 0.9).abs() < 0.02, "{share}");
}
