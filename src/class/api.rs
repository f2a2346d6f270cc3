//! The session's HTTP interface (docs/class.md): JSON in, JSON out, every
//! refusal a 4xx with `{"error": "..."}` saying what was wrong. Nothing
//! malformed is stored.

use super::Class;
use super::store::Prediction;
use crate::catalogue::Catalogue;
use crate::engine::run::{DEFAULT_BATCH, RunSettings};
use crate::handout::svg::{self, BarRow, Estimate};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

type Shared = State<Arc<Class>>;
type Reply = Result<Response, Refusal>;

/// A request refused: its status and what was wrong.
pub struct Refusal {
    status: StatusCode,
    message: String,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "error": self.message }))).into_response()
    }
}

/// Largest body taken, and longest name or reason.
pub const MAX_BODY: usize = 64 * 1024;
pub const MAX_TEXT: usize = 200;

fn refuse(status: StatusCode, message: impl Into<String>) -> Refusal {
    Refusal {
        status,
        message: message.into(),
    }
}

fn bad(message: impl Into<String>) -> Refusal {
    refuse(StatusCode::BAD_REQUEST, message)
}

fn internal(message: String) -> Refusal {
    refuse(StatusCode::INTERNAL_SERVER_ERROR, message)
}

fn body_object(body: &Bytes) -> Result<Map<String, Value>, Refusal> {
    if body.len() > MAX_BODY {
        return Err(bad(format!("the body is over {} KiB", MAX_BODY / 1024)));
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(bad("the body must be a JSON object")),
        Err(e) => Err(bad(format!("the body is not JSON: {e}"))),
    }
}

fn text_field(m: &Map<String, Value>, key: &str, required: bool) -> Result<String, Refusal> {
    match m.get(key) {
        None | Some(Value::Null) if !required => Ok(String::new()),
        Some(Value::String(s)) if s.chars().count() > MAX_TEXT => {
            Err(bad(format!("`{key}` is over {MAX_TEXT} characters")))
        }
        Some(Value::String(s)) if required && s.trim().is_empty() => Err(bad(format!("`{key}` is empty"))),
        Some(Value::String(s)) => Ok(s.trim().to_string()),
        _ => Err(bad(format!("`{key}` must be a string"))),
    }
}

/// Equal secrets, compared in time that does not depend on where they differ.
pub(super) fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

/// The teacher's token, as a bearer header (or, for links, `?token=`).
fn teacher(class: &Class, headers: &HeaderMap, query: &HashMap<String, String>) -> Result<(), Refusal> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .or(query.get("token").map(String::as_str));
    match given {
        Some(t) if same_secret(t.trim(), &class.token) => Ok(()),
        _ => Err(refuse(
            StatusCode::UNAUTHORIZED,
            "the teacher's token is missing or wrong",
        )),
    }
}

fn known<'a>(class: &'a Class, id: &str) -> Result<&'a super::Scenario, Refusal> {
    class.scenario(id).ok_or_else(|| {
        let ids: Vec<&str> = class.scenarios.iter().map(|s| s.report.scenario.id.as_str()).collect();
        bad(format!(
            "no scenario `{id}` in this session (it has {})",
            ids.join(", ")
        ))
    })
}

pub async fn join(State(class): Shared, body: Bytes) -> Reply {
    let m = body_object(&body)?;
    let code = text_field(&m, "code", true)?;
    if !code.eq_ignore_ascii_case(&class.join_code) {
        return Err(bad("that is not this class's join code"));
    }
    let mut student = text_field(&m, "student", false)?;
    if student.is_empty() {
        student = format!("anonymous-{}", super::secret(5, b"0123456789").map_err(internal)?);
    }
    let n = class.scenarios.len();
    let scenario = class
        .store()
        .join(&student, |k| class.scenarios[k % n].report.scenario.id.clone())
        .map_err(internal)?;
    Ok(Json(json!({ "student": student, "scenario": scenario })).into_response())
}

pub async fn predict(State(class): Shared, body: Bytes) -> Reply {
    let m = body_object(&body)?;
    let student = text_field(&m, "student", true)?;
    let reason = text_field(&m, "reason", false)?;
    let id = text_field(&m, "scenario", true)?;
    let sc = known(&class, &id)?;
    let Some(Value::Object(given)) = m.get("p") else {
        return Err(bad("`p` must be an object of result ids and probabilities"));
    };
    let outcomes = &sc.report.outcomes;
    for key in given.keys() {
        if !outcomes.iter().any(|o| &o.id == key) {
            let ids: Vec<&str> = outcomes.iter().map(|o| o.id.as_str()).collect();
            return Err(bad(format!(
                "`{key}` is not a result of `{id}` (it has {})",
                ids.join(", ")
            )));
        }
    }
    let mut p = Vec::with_capacity(outcomes.len());
    for o in outcomes {
        let x = match given.get(&o.id) {
            None => 0.0,
            Some(v) => v
                .as_f64()
                .ok_or_else(|| bad(format!("the probability of `{}` is not a number", o.id)))?,
        };
        if !(0.0..=1.0).contains(&x) {
            return Err(bad(format!("the probability of `{}` is {x}, outside 0 to 1", o.id)));
        }
        p.push(x);
    }
    let total: f64 = p.iter().sum();
    if (total - 1.0).abs() > 0.01 {
        return Err(bad(format!("the probabilities add up to {total:.3}, not 1")));
    }
    let store = class.store();
    if store.is_revealed(&id).map_err(internal)? {
        return Err(refuse(
            StatusCode::CONFLICT,
            "the results are revealed: predictions are closed",
        ));
    }
    store
        .predict(&Prediction {
            scenario: id,
            student,
            p,
            reason,
        })
        .map_err(internal)?;
    Ok((StatusCode::CREATED, Json(json!({ "stored": true }))).into_response())
}

async fn teacher_action(class: Arc<Class>, headers: HeaderMap, body: Bytes, reveal: bool) -> Reply {
    teacher(&class, &headers, &HashMap::new())?;
    let m = body_object(&body)?;
    let id = text_field(&m, "scenario", true)?;
    known(&class, &id)?;
    let store = class.store();
    if reveal { store.reveal(&id) } else { store.reset(&id) }.map_err(internal)?;
    Ok(Json(json!({ "scenario": id, "revealed": reveal })).into_response())
}

pub async fn reveal(State(class): Shared, headers: HeaderMap, body: Bytes) -> Reply {
    teacher_action(class, headers, body, true).await
}

pub async fn reset(State(class): Shared, headers: HeaderMap, body: Bytes) -> Reply {
    teacher_action(class, headers, body, false).await
}

/// Whether a scenario's results are revealed (what a student's page waits for).
pub async fn revealed(State(class): Shared, Query(q): Query<HashMap<String, String>>) -> Reply {
    let id = q.get("scenario").ok_or_else(|| bad("give `?scenario=ID`"))?;
    known(&class, id)?;
    let revealed = class.store().is_revealed(id).map_err(internal)?;
    Ok(Json(json!({ "scenario": id, "revealed": revealed })).into_response())
}

pub async fn results(State(class): Shared, Query(q): Query<HashMap<String, String>>) -> Reply {
    let id = q.get("scenario").ok_or_else(|| bad("give `?scenario=ID`"))?;
    let sc = known(&class, id)?;
    let (revealed, predictions) = {
        let store = class.store();
        (
            store.is_revealed(id).map_err(internal)?,
            store.predictions(id).map_err(internal)?,
        )
    };
    if !revealed {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "the teacher has not revealed this scenario yet",
        ));
    }
    let r = &sc.report;
    let p: Vec<f64> = r.outcomes.iter().map(|o| o.p).collect();
    let outcomes: Vec<Value> = r
        .outcomes
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let n = predictions.len();
            let mean = (n > 0).then(|| predictions.iter().map(|x| x.p[i]).sum::<f64>() / n as f64);
            json!({ "id": o.id, "label": o.label, "p": o.p, "ci95": o.ci95, "class_mean": mean, "class_n": n })
        })
        .collect();
    // The handout's bar chart: the class's mean prediction against the simulation.
    let rows: Vec<BarRow> = r
        .outcomes
        .iter()
        .enumerate()
        .map(|(i, o)| BarRow {
            label: &o.label,
            base: (!predictions.is_empty()).then(|| {
                let mean = predictions.iter().map(|x| x.p[i]).sum::<f64>() / predictions.len() as f64;
                Estimate {
                    p: mean,
                    lo: mean,
                    hi: mean,
                }
            }),
            this: Estimate {
                p: o.p,
                lo: o.ci95[0],
                hi: o.ci95[1],
            },
        })
        .collect();
    let chart = svg::bars(
        "The class's mean prediction and the simulation (with its 95% interval)",
        &rows,
        Some("class mean"),
    );
    let brier: Vec<Value> = predictions
        .iter()
        .map(|x| json!({ "student": x.student, "score": crate::stats::score::brier(&x.p, &p) }))
        .collect();
    let stories: Vec<Value> = sc
        .stories
        .iter()
        .map(|s| {
            let lines: Vec<Value> = s
                .lines
                .iter()
                .filter(|l| l.kind != crate::engine::narrative::LineKind::Evidence)
                .map(|l| json!({ "date": l.date, "text": l.text }))
                .collect();
            json!({ "title": s.title, "branch": s.branch, "lines": lines, "against": s.against })
        })
        .collect();
    Ok(Json(json!({
        "scenario": r.scenario.id,
        "seed": r.seed,
        "branches": r.branches,
        "outcomes": outcomes,
        "brier": brier,
        "own_brier": crate::stats::score::brier(&p, &p),
        "chart": chart.into_string(),
        "stories": stories,
    }))
    .into_response())
}

pub async fn status(State(class): Shared, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Reply {
    teacher(&class, &headers, &q)?;
    let store = class.store();
    let mut scenarios = Vec::new();
    for sc in &class.scenarios {
        let id = &sc.report.scenario.id;
        let submitted: Vec<Value> = store
            .predictions(id)
            .map_err(internal)?
            .into_iter()
            .map(|x| {
                let p: Map<String, Value> = sc
                    .report
                    .outcomes
                    .iter()
                    .zip(&x.p)
                    .map(|(o, v)| (o.id.clone(), json!(v)))
                    .collect();
                json!({ "student": x.student, "p": p, "reason": x.reason })
            })
            .collect();
        scenarios.push(json!({
            "id": id,
            "title": sc.report.scenario.title,
            "revealed": store.is_revealed(id).map_err(internal)?,
            "joined": store.joined(id).map_err(internal)?,
            "submitted": submitted,
        }));
    }
    Ok(Json(json!({ "scenarios": scenarios })).into_response())
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub async fn export(State(class): Shared, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Reply {
    teacher(&class, &headers, &q)?;
    let store = class.store();
    let mut out = String::from("scenario,student,result,p,simulated,brier,reason\n");
    for sc in &class.scenarios {
        let id = &sc.report.scenario.id;
        let p: Vec<f64> = sc.report.outcomes.iter().map(|o| o.p).collect();
        for x in store.predictions(id).map_err(internal)? {
            let score = crate::stats::score::brier(&x.p, &p);
            for (o, v) in sc.report.outcomes.iter().zip(&x.p) {
                out += &format!(
                    "{},{},{},{v},{},{score},{}\n",
                    csv_field(id),
                    csv_field(&x.student),
                    csv_field(&o.id),
                    o.p,
                    csv_field(&x.reason)
                );
            }
        }
    }
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], out).into_response())
}

/// A client may rerun `per_minute` times a minute.
fn within_limit(class: &Class, client: std::net::IpAddr) -> bool {
    let mut recent = class.recent.lock().unwrap_or_else(|p| p.into_inner());
    let times = recent.entry(client).or_default();
    let now = Instant::now();
    while times
        .front()
        .is_some_and(|t| now.duration_since(*t) > Duration::from_secs(60))
    {
        times.pop_front();
    }
    if times.len() >= class.explore_per_minute {
        return false;
    }
    times.push_back(now);
    true
}

pub async fn explore(State(class): Shared, ConnectInfo(client): ConnectInfo<SocketAddr>, body: Bytes) -> Reply {
    let m = body_object(&body)?;
    let id = text_field(&m, "scenario", true)?;
    let sc = known(&class, &id)?;
    let empty = Map::new();
    let set = m
        .get("set")
        .map(|v| v.as_object().ok_or_else(|| bad("`set` must be an object")))
        .transpose()?
        .unwrap_or(&empty);
    let force = m
        .get("do")
        .map(|v| v.as_object().ok_or_else(|| bad("`do` must be an object")))
        .transpose()?
        .unwrap_or(&empty);
    if set.len() + force.len() != 1 {
        return Err(bad("change one thing: one parameter in `set` or one decision in `do`"));
    }
    let changed = if let Some((name, value)) = set.iter().next() {
        let Some(param) = sc.program.params.iter().find(|x| &x.name == name) else {
            return Err(bad(format!("`{name}` is not a parameter of `{id}`")));
        };
        let Some((lo, hi, _)) = crate::sweep::pins(&param.value, param.range) else {
            return Err(bad(format!("`{name}` has no stated range to explore")));
        };
        let x = value.as_f64().ok_or_else(|| bad(format!("`{name}` takes a number")))?;
        if !(lo.min(hi)..=hi.max(lo)).contains(&x) {
            return Err(bad(format!("`{name}` can be set from {lo} to {hi}, not {x}")));
        }
        sc.program.with_param(name, x).map_err(bad)?
    } else {
        let (node, value) = force.iter().next().ok_or_else(|| bad("nothing to change"))?;
        let catalogue = Catalogue::of(&sc.program);
        let Some(entry) = catalogue.events.iter().find(|e| &e.id == node && e.rule.is_some()) else {
            return Err(bad(format!("`{node}` is not a decision of `{id}`")));
        };
        let value = match value {
            Value::Bool(b) => b.to_string(),
            Value::String(s) => s.clone(),
            _ => return Err(bad(format!("`{node}` takes one of {}", entry.options.join(", ")))),
        };
        if !entry.options.contains(&value) {
            return Err(bad(format!(
                "`{node}` takes one of {}, not `{value}`",
                entry.options.join(", ")
            )));
        }
        let args = crate::cli::ScenarioArgs {
            file: sc.file.clone(),
            set: vec![],
            interventions: vec![format!("{node}={value}")],
        };
        match crate::cli::compile(&args) {
            Ok((p, _)) => p,
            Err(crate::cli::Failure::Input(e) | crate::cli::Failure::Output(e) | crate::cli::Failure::Internal(e)) => {
                return Err(bad(e));
            }
        }
    };
    if !within_limit(&class, client.ip()) {
        return Err(refuse(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "at most {} reruns a minute each; wait a little",
                class.explore_per_minute
            ),
        ));
    }
    // One rerun at a time, in the order asked, off the async threads.
    let _turn = class.queue.acquire().await.map_err(|e| internal(e.to_string()))?;
    let class2 = class.clone();
    let report = tokio::task::spawn_blocking(move || {
        let sc = class2.scenario(&id).ok_or_else(|| format!("no scenario `{id}`"))?;
        let settings = RunSettings {
            seed: sc.report.seed,
            first: 0,
            branches: class2.explore_branches.min(sc.report.branches),
            threads: 1,
            batch_size: DEFAULT_BATCH,
        };
        let mut changed = changed;
        changed.changes = crate::rewrite::structural_changes(&sc.program, &changed);
        let tally = crate::compare::run_pair(&sc.program, &changed, &settings)?.map_err(|e| e.message)?;
        Ok::<_, String>(crate::compare::report(&sc.program, &changed, &settings, &tally))
    })
    .await
    .map_err(|e| internal(e.to_string()))?
    .map_err(bad)?;
    Ok(Json(serde_json::to_value(&report).map_err(|e| internal(e.to_string()))?).into_response())
}
