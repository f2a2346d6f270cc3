//! `sim class`: the live session's HTTP interface against a real server
//! (started on a free loopback port, with its own SQLite file), through
//! ureq; and in Chromium, two students and a teacher.

use crate::common::{root, sim, stderr, temp_dir};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const BRANCHES: &str = "3000";

/// A running `sim class`, killed when dropped.
struct Server {
    child: Child,
    base: String,
    token: String,
    code: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(files: &[&str], db: &Path, extra: &[&str]) -> Server {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sim"));
    cmd.arg("class");
    cmd.args(files.iter().map(|f| root().join(f)));
    cmd.args(["-n", BRANCHES, "--port", "0", "--db"]).arg(db).args(extra);
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sim class starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut teacher, mut students) = (String::new(), String::new());
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(t) = line.strip_prefix("teacher (keep this link to yourself): ") {
            teacher = t.to_string();
        }
        if let Some(s) = line.strip_prefix("students:") {
            students = s.trim().to_string();
            break;
        }
    }
    assert!(!students.is_empty(), "the server printed no addresses");
    let base = students
        .split_whitespace()
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    let token = teacher.split("token=").nth(1).unwrap().to_string();
    let code = students
        .split("join code ")
        .nth(1)
        .unwrap()
        .trim_end_matches(')')
        .to_string();
    Server {
        child,
        base,
        token,
        code,
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

/// The status of the server's health check.
fn health(s: &Server) -> u16 {
    agent()
        .get(format!("{}/healthz", s.base))
        .call()
        .unwrap()
        .status()
        .as_u16()
}

/// POSTs `body` (raw text) and returns the status and the JSON reply.
fn post(s: &Server, path: &str, body: &str, token: Option<&str>) -> (u16, Value) {
    let mut req = agent()
        .post(format!("{}{path}", s.base))
        .content_type("application/json");
    if let Some(t) = token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    let mut r = req.send(body).expect("the server answers");
    let status = r.status().as_u16();
    (status, r.body_mut().read_json().unwrap_or(Value::Null))
}

fn get(s: &Server, path: &str, token: Option<&str>) -> (u16, Value) {
    let mut req = agent().get(format!("{}{path}", s.base));
    if let Some(t) = token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    let mut r = req.call().expect("the server answers");
    let status = r.status().as_u16();
    (status, r.body_mut().read_json().unwrap_or(Value::Null))
}

fn submitted(s: &Server, scenario: &str) -> usize {
    let (code, st) = get(s, "/api/status", Some(&s.token));
    assert_eq!(code, 200);
    st["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == scenario)
        .unwrap()["submitted"]
        .as_array()
        .unwrap()
        .len()
}

/// A student's prediction: uneven, summing to 1.
fn prediction(ids: &[String], k: usize) -> Vec<f64> {
    let mut f: Vec<f64> = (0..ids.len()).map(|j| ((j + k) % 5) as f64).collect();
    let total: f64 = f.iter().sum();
    f.iter_mut().for_each(|x| *x /= total);
    f
}

fn brier(f: &[f64], p: &[f64]) -> f64 {
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

#[test]
fn a_session_takes_predictions_refuses_bad_ones_reveals_and_survives_a_kill() {
    let dir = temp_dir();
    let db: PathBuf = dir.join("class.sqlite");
    let file = "scenarios/no_us_intervention.toml";
    let server = start(&[file, "scenarios/historical.toml"], &db, &[]);
    assert_eq!(health(&server), 200);
    let json = sim([
        root().join(file).as_os_str(),
        "-n".as_ref(),
        BRANCHES.as_ref(),
        "-f".as_ref(),
        "json".as_ref(),
    ]);
    assert!(json.status.success(), "{}", stderr(&json));
    let want: Value = serde_json::from_slice(&json.stdout).unwrap();
    let ids: Vec<String> = want["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();
    let p: Vec<f64> = want["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["p"].as_f64().unwrap())
        .collect();

    // Forty students at once: every prediction stored.
    let body = |student: &str, f: &[f64]| {
        let p: serde_json::Map<String, Value> = ids.iter().zip(f).map(|(id, v)| (id.clone(), json!(v))).collect();
        json!({ "student": student, "scenario": "no_us_intervention", "p": p, "reason": "a reason" }).to_string()
    };
    std::thread::scope(|scope| {
        for k in 0..40 {
            let (server, body, ids) = (&server, &body, &ids);
            scope.spawn(move || {
                let (code, reply) = post(
                    server,
                    "/api/predictions",
                    &body(&format!("student {k}"), &prediction(ids, k)),
                    None,
                );
                assert_eq!(code, 201, "{reply}");
            });
        }
    });
    assert_eq!(submitted(&server, "no_us_intervention"), 40);
    // A later post replaces the earlier one.
    assert_eq!(
        post(
            &server,
            "/api/predictions",
            &body("student 0", &prediction(&ids, 3)),
            None
        )
        .0,
        201
    );
    assert_eq!(submitted(&server, "no_us_intervention"), 40);

    // Bad input: a 400 saying what was wrong, and nothing stored.
    let long = "x".repeat(201);
    let cases: Vec<(String, &str)> = vec![
        (
            body("s", &prediction(&ids, 1)).replace("no_us_intervention", "nope"),
            "no scenario `nope`",
        ),
        (
            body("s", &prediction(&ids, 1)).replace("\"no_war\"", "\"maybe\""),
            "`maybe` is not a result",
        ),
        (body("s", &[1.5, -0.5, 0.0, 0.0, 0.0, 0.0, 0.0]), "outside 0 to 1"),
        (body("s", &[0.5, 0.2, 0.0, 0.0, 0.0, 0.0, 0.0]), "add up to 0.700"),
        (body(&long, &prediction(&ids, 1)), "`student` is over 200 characters"),
        (
            body("s", &prediction(&ids, 1)).replace("a reason", &long),
            "`reason` is over 200 characters",
        ),
        (format!("{{\"pad\": \"{}\"}}", "x".repeat(70 * 1024)), "over 64 KiB"),
        ("{not json".to_string(), "not JSON"),
        (
            json!({ "student": "s", "scenario": "no_us_intervention" }).to_string(),
            "`p` must be an object",
        ),
    ];
    for (text, message) in &cases {
        let (code, reply) = post(&server, "/api/predictions", text, None);
        assert_eq!(code, 400, "{message}: {reply}");
        assert!(reply["error"].as_str().unwrap().contains(message), "{message}: {reply}");
    }
    assert_eq!(submitted(&server, "no_us_intervention"), 40);

    // Before the reveal, no results; the reveal needs the token.
    assert_eq!(get(&server, "/api/results?scenario=no_us_intervention", None).0, 403);
    let reveal = json!({ "scenario": "no_us_intervention" }).to_string();
    assert_eq!(post(&server, "/api/reveal", &reveal, None).0, 401);
    assert_eq!(post(&server, "/api/reveal", &reveal, Some("wrong")).0, 401);
    assert_eq!(get(&server, "/api/status", None).0, 401);
    assert_eq!(post(&server, "/api/reveal", &reveal, Some(&server.token)).0, 200);
    let (code, reply) = post(&server, "/api/predictions", &body("late", &prediction(&ids, 1)), None);
    assert_eq!(code, 409, "{reply}");

    // The results are the JSON run's, and the scores are the Brier scores.
    let check = |server: &Server| {
        let (code, res) = get(server, "/api/results?scenario=no_us_intervention", None);
        assert_eq!(code, 200, "{res}");
        assert_eq!(res["seed"], want["seed"]);
        assert_eq!(res["branches"], want["branches"]);
        for (got, w) in res["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .zip(want["outcomes"].as_array().unwrap())
        {
            assert_eq!(got["id"], w["id"]);
            assert_eq!(got["p"].as_f64(), w["p"].as_f64());
            assert_eq!(got["ci95"], w["ci95"]);
            assert_eq!(got["class_n"], 40);
        }
        let chart = res["chart"].as_str().unwrap();
        assert!(chart.starts_with("<svg") && chart.contains("class mean"), "{chart}");
        let scores = res["brier"].as_array().unwrap();
        assert_eq!(scores.len(), 40);
        for s in scores {
            let k: usize = s["student"].as_str().unwrap()["student ".len()..].parse().unwrap();
            let f = prediction(&ids, if k == 0 { 3 } else { k });
            assert!((s["score"].as_f64().unwrap() - brier(&f, &p)).abs() < 1e-12, "{s}");
        }
    };
    check(&server);
    // The other scenario is still closed.
    assert_eq!(get(&server, "/api/results?scenario=historical", None).0, 403);

    // Killed without warning and started again on the same file: all there.
    let token = server.token.clone();
    drop(server);
    let again = start(&[file, "scenarios/historical.toml"], &db, &[]);
    assert_eq!(again.token, token, "the teacher's link changed");
    check(&again);
    let (code, csv) = {
        let mut r = agent()
            .get(format!("{}/api/export.csv?token={}", again.base, again.token))
            .call()
            .unwrap();
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
    };
    assert_eq!(code, 200);
    assert_eq!(csv.lines().count(), 1 + 40 * ids.len(), "{csv}");
}

#[test]
fn explore_reruns_one_checked_change_and_is_rate_limited() {
    let dir = temp_dir();
    let server = start(
        &["scenarios/historical.toml"],
        &dir.join("c.sqlite"),
        &["--explore-per-minute", "2", "--explore-branches", "1000"],
    );
    let refused = [
        (
            json!({ "scenario": "historical", "set": { "nope": 0.5 } }),
            "is not a parameter",
        ),
        (
            json!({ "scenario": "historical", "set": { "truman.resolve_bar": 0.95 } }),
            "can be set from 0.4 to 0.8",
        ),
        (
            json!({ "scenario": "historical", "do": { "truman_commits": "perhaps" } }),
            "takes one of",
        ),
        (
            json!({ "scenario": "historical", "set": { "truman.resolve_bar": 0.5 }, "do": { "truman_commits": false } }),
            "change one thing",
        ),
    ];
    for (body, message) in &refused {
        let (code, reply) = post(&server, "/api/explore", &body.to_string(), None);
        assert_eq!(code, 400, "{reply}");
        assert!(reply["error"].as_str().unwrap().contains(message), "{message}: {reply}");
    }
    let (code, reply) = post(
        &server,
        "/api/explore",
        &json!({ "scenario": "historical", "do": { "truman_commits": false } }).to_string(),
        None,
    );
    assert_eq!(code, 200, "{reply}");
    assert_eq!(reply["branches"], 1000);
    let dprk = reply["comparison"]["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == "dprk_unifies")
        .unwrap()
        .clone();
    assert!(dprk["diff"].as_f64().unwrap() > 0.5, "{dprk}");
    let (code, _) = post(
        &server,
        "/api/explore",
        &json!({ "scenario": "historical", "set": { "truman.resolve_bar": 0.5 } }).to_string(),
        None,
    );
    assert_eq!(code, 200);
    let (code, reply) = post(
        &server,
        "/api/explore",
        &json!({ "scenario": "historical", "set": { "truman.resolve_bar": 0.5 } }).to_string(),
        None,
    );
    assert_eq!(code, 429, "{reply}");
}

#[test]
fn two_students_and_a_teacher_in_chromium() {
    if !crate::browser::browser_ready() {
        return;
    }
    let dir = temp_dir();
    let server = start(&["scenarios/no_us_intervention.toml"], &dir.join("c.sqlite"), &[]);
    let artifacts = root().join("target/browser-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let shot = artifacts.join("class-dashboard.png");
    let students = [("Ann", [40, 40, 5, 5, 5, 5, 0]), ("Bo", [10, 70, 0, 10, 0, 0, 10])];
    let which = Command::new("sh").args(["-c", "command -v chromium"]).output().unwrap();
    let job = json!({
        "chromium": String::from_utf8_lossy(&which.stdout).trim(),
        "base": server.base,
        "teacher": format!("{}/teacher?token={}", server.base, server.token),
        "code": server.code,
        "screenshot": shot,
        "students": students.iter().map(|(n, p)| json!({ "name": n, "percent": p })).collect::<Vec<_>>(),
    });
    let job_file = dir.join("class-job.json");
    std::fs::write(&job_file, job.to_string()).unwrap();
    let o = Command::new("node")
        .arg(root().join("tests/browser/class.mjs"))
        .arg(&job_file)
        .output()
        .expect("node runs");
    assert!(o.status.success(), "the browser driver failed: {}", stderr(&o));
    let seen: Value = serde_json::from_slice(&o.stdout).expect("the driver prints JSON");
    assert_eq!(seen["console"], json!([]), "{seen}");
    assert_eq!(seen["errors"], json!([]), "{seen}");
    assert_eq!(seen["students_listed"], json!(["Ann", "Bo"]));
    assert_eq!(seen["spread_rows"], 7);
    let (_, res) = get(&server, "/api/results?scenario=no_us_intervention", None);
    let p: Vec<f64> = res["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["p"].as_f64().unwrap())
        .collect();
    for ((_, percent), page) in students.iter().zip(seen["students"].as_array().unwrap()) {
        let f: Vec<f64> = percent.iter().map(|&x| f64::from(x) / 100.0).collect();
        let got = page["brier"].as_f64().unwrap();
        assert!((got - brier(&f, &p)).abs() < 1e-12, "{page}");
        let shown: Vec<f64> = page["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["p"].as_f64().unwrap())
            .collect();
        assert_eq!(shown, p);
        assert_eq!(page["stories"], 2);
        assert_eq!(page["charts"], 1, "the bar chart of the class against the simulation");
        assert_eq!(page["explore_shown"], true);
    }
    assert!(
        std::fs::metadata(&shot).unwrap().len() > 10_000,
        "the dashboard screenshot is nearly empty"
    );
}

#[test]
fn opened_to_the_room_it_prints_the_address_students_can_reach() {
    let dir = temp_dir();
    let server = start(
        &["scenarios/historical.toml"],
        &dir.join("c.sqlite"),
        &["--bind", "0.0.0.0"],
    );
    let host = server
        .base
        .trim_start_matches("http://")
        .rsplit_once(':')
        .unwrap()
        .0
        .to_string();
    match host.parse::<std::net::IpAddr>() {
        // The machine's own address: it answers there.
        Ok(ip) => {
            assert!(!ip.is_loopback() && !ip.is_unspecified(), "{ip}");
            assert_eq!(health(&server), 200);
        }
        // A machine with no network says so instead of printing a wrong address.
        Err(_) => assert_eq!(host, "THIS-COMPUTERS-ADDRESS"),
    }
}
