//! The session's three pages (maud, every value escaped): the join page,
//! a student's page (predict, then the results, then explore) and the
//! teacher's dashboard. They hold no results: those come from the API
//! once the teacher reveals them.

use super::Class;
use crate::catalogue::Catalogue;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use std::collections::HashMap;
use std::sync::Arc;

const STYLE: &str = concat!(include_str!("../handout/handout.css"), include_str!("class.css"));
const SCRIPT: &str = include_str!("class.js");

fn page(title: &str, kind: &str, body: Markup) -> Response {
    Html(
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) }
                    link rel="icon" href="data:,";
                    style { (PreEscaped(STYLE)) }
                }
                body data-page=(kind) {
                    (body)
                    script { (PreEscaped(SCRIPT)) }
                }
            }
        }
        .into_string(),
    )
    .into_response()
}

pub async fn join(State(class): State<Arc<Class>>) -> Response {
    let title = if class.scenarios.len() == 1 {
        class.scenarios[0].report.scenario.title.clone()
    } else {
        "Class session".into()
    };
    page(
        &title,
        "join",
        html! {
            h1 { (title) }
            form.join autocomplete="off" {
                label { "Join code " input name="code" required size="6" autocapitalize="characters"; }
                label { "Your name (or leave it empty to stay anonymous) " input name="student" maxlength="200"; }
                button type="submit" { "Join" }
                p.error role="alert" {}
            }
        },
    )
}

pub async fn student(State(class): State<Arc<Class>>, Path(id): Path<String>) -> Response {
    let Some(sc) = class.scenario(&id) else {
        return (StatusCode::NOT_FOUND, "no such scenario in this session\n").into_response();
    };
    let r = &sc.report;
    let catalogue = Catalogue::of(&sc.program);
    let params: Vec<(&str, f64, f64, Option<&str>)> = sc
        .program
        .params
        .iter()
        .filter_map(|p| {
            let (lo, hi, _) = crate::sweep::pins(&p.value, p.range)?;
            Some((p.name.as_str(), lo, hi, p.doc.as_deref()))
        })
        .collect();
    let decisions: Vec<_> = catalogue.events.iter().filter(|e| e.rule.is_some()).collect();
    page(
        &r.scenario.title,
        "student",
        html! {
            section.scenario data-scenario=(r.scenario.id) {
                header {
                    h2 { (r.scenario.title) }
                    @if let Some(q) = &r.scenario.question { p.question { (q) } }
                    @if let Some(p) = &r.scenario.passage { p.passage { b { "Read: " } (p) } }
                    p.who { "You are " b.student {} "." }
                }
                form.predict autocomplete="off" {
                    h3 { "1. Predict" }
                    p { "How likely is each ending? Together they must make 100%. You can change your prediction until the teacher reveals the results." }
                    @for o in &r.outcomes {
                        label.prediction {
                            span.label { (o.label) }
                            input.predict-p type="number" min="0" max="100" step="1" value="0" data-id=(o.id) aria-label={ (o.label) " (percent)" };
                            span.unit { "%" }
                        }
                    }
                    p.total { "Total: " output { "0" } "%" }
                    label.reason { "Why? (one sentence)" textarea rows="2" maxlength="200" {} }
                    p { button.submit type="submit" disabled { "Submit" } " " span.state role="status" {} }
                }
                div.results hidden {
                    h3 { "2. What the simulation gives" }
                    div.score {}
                    figure.chart {}
                    table.figures.outcomes {
                        thead { tr { th { "ending" } th { "simulation" } th { "95% interval" } th { "you" } th { "class mean" } } }
                        tbody {}
                    }
                    p.reproduce { "The figures of " code { "sim " (sc.file.display()) " --seed " (r.seed) " --branches " (r.branches) } "." }
                    div.stories {}
                }
                div.explore hidden {
                    h3 { "3. Explore: change one thing" }
                    form.change {
                        @if !params.is_empty() {
                            label { "Set " select name="param" {
                                option value="" { "(a parameter)" }
                                @for (name, lo, hi, doc) in &params {
                                    option value=(name) data-lo=(lo) data-hi=(hi) title=[doc] { (name) " (" (lo) " to " (hi) ")" }
                                } } }
                            label { " to " input name="value" type="number" step="any"; }
                        }
                        @if !decisions.is_empty() {
                            label { " or force " select name="decision" {
                                option value="" { "(a decision)" }
                                @for d in &decisions { @for o in &d.options {
                                    option value={ (d.id) "=" (o) } { (d.label) " → " (o) }
                                } }
                            } }
                        }
                        button type="submit" { "Rerun" }
                        p.error role="alert" {}
                    }
                    table.figures.change-result hidden {
                        thead { tr { th { "ending" } th { "before" } th { "after" } th { "change (points)" } th { "95% interval" } } }
                        tbody {}
                    }
                }
            }
        },
    )
}

pub async fn teacher(State(class): State<Arc<Class>>, Query(q): Query<HashMap<String, String>>) -> Response {
    if !q.get("token").is_some_and(|t| super::api::same_secret(t, &class.token)) {
        return (
            StatusCode::UNAUTHORIZED,
            "this page needs the teacher's link (with its token)\n",
        )
            .into_response();
    }
    page(
        "Teacher's dashboard",
        "teacher",
        html! {
            h1 { "Teacher's dashboard" }
            p { "Students join at this server's address with the code " b.code { (class.join_code) } ". "
                a.export href={ "/api/export.csv?token=" (class.token) } { "Export every prediction and score (CSV)" } }
            @for sc in &class.scenarios {
                @let r = &sc.report;
                section.scenario.dash data-scenario=(r.scenario.id) {
                    h2 { (r.scenario.title) }
                    @if let Some(q) = &r.scenario.question { p.question { (q) } }
                    p.counts role="status" {}
                    figure.chart {}
                    ul.students {}
                    p { button.reveal type="button" { "Reveal" } " " button.reset type="button" { "Reset (clear predictions)" } }
                    table.figures.spread hidden {
                        thead { tr { th { "ending" } th { "simulation" } th { "class mean" } th { "predictions" } } }
                        tbody {}
                    }
                    @if !r.scenario.prompts.is_empty() {
                        h3 { "To discuss" }
                        ol { @for p in &r.scenario.prompts { li { (p) } } }
                    }
                }
            }
        },
    )
}
