//! The handout page, written with maud (checked when compiled, every
//! value escaped). Style and script are inlined, so the page needs no
//! network and opens from disk or an attachment; a content security
//! policy forbids it to fetch anything at all.

use super::svg::{self, BarRow, Estimate, Flow, Spread};
use super::{Handout, Section, Story};
use crate::compare::{Comparison, DiffProportion};
use crate::engine::narrative::LineKind;
use crate::report::{Proportion, Report};
use crate::stats::interval::wilson;
use maud::{DOCTYPE, Markup, PreEscaped, html};

const STYLE: &str = include_str!("handout.css");
const SCRIPT: &str = include_str!("handout.js");
/// Nothing may be fetched: styles and the script are the page's own.
const POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

fn pct(p: f64) -> String {
    format!("{:.1}%", 100.0 * p)
}

/// A difference in percentage points, signed.
fn pts(d: f64) -> String {
    let v = (d * 1000.0).round() / 10.0;
    if v == 0.0 { "0.0".into() } else { format!("{v:+.1}") }
}

/// The page for `h`.
pub fn page(h: &Handout) -> String {
    let title = match &h.sections[..] {
        [one] => one.report.scenario.title.clone(),
        many => format!("{} scenarios: {}", many.len(), many[0].report.scenario.title),
    };
    let r0 = &h.sections[0].report;
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(POLICY);
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="generator" content={ (r0.engine.name) " " (r0.engine.version) };
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body.no-js {
                script { (PreEscaped("document.body.classList.replace('no-js','js');")) }
                @if h.sections.len() > 1 {
                    nav.contents {
                        h1 { "A class set of " (h.sections.len()) " scenarios" }
                        ol { @for s in &h.sections {
                            li { a href={ "#s-" (s.report.scenario.id) } { (s.report.scenario.title) } }
                        } }
                    }
                }
                @for s in &h.sections { (section(s)) }
                footer {
                    p { "Made with " (r0.engine.name) " " (r0.engine.version) ". To make this page again:" }
                    pre { code.command { (h.command) } }
                    p { "Each scenario's figures are printed, for the same seed and branch count, by the command under it. Nothing typed into this page leaves it or is stored anywhere." }
                }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    };
    markup.into_string()
}

fn section(s: &Section) -> Markup {
    let r = &s.report;
    let sc = &r.scenario;
    html! {
        section.scenario id={ "s-" (sc.id) } data-scenario=(sc.id) data-seed=(r.seed) data-branches=(r.branches) {
            header {
                h2 { (sc.title) }
                @if let Some(q) = &sc.question { p.question { (q) } }
                @if let Some(passage) = &sc.passage { p.passage { b { "Read: " } (passage) } }
                @if let Some(c) = &r.comparison { (changes(r, c)) }
            }
            (predict(r))
            div.results {
                h3 { "2. What the simulation gives" }
                div.score aria-live="polite" {}
                (results(r))
                @if let Some(c) = &r.comparison { (flips(r, c)) }
                (flags(r))
                (metrics(r))
                @if let Some(sw) = &s.sweep { (sweep(sw)) }
                @if let Some(sen) = &s.sensitivity { (tornado(sen)) }
                (stories(s))
            }
            @if !sc.prompts.is_empty() {
                div.discuss {
                    h3 { "4. Discuss" }
                    ol { @for q in &sc.prompts { li { (q) } } }
                }
            }
            (assumptions(s))
            p.reproduce { "These figures: " code { (s.reproduce) } }
        }
    }
}

fn changes(r: &Report, c: &Comparison) -> Markup {
    html! {
        div.changes {
            h3 { "What changed" }
            p { "This scenario rewrites " b { (c.base.title) } " (" code { (c.base.id) } "):" }
            ul { @for ch in &r.changes { li { (ch.detail) } } }
            p.pairing {
                "Both ran the same " (r.branches) " branches with the same random draws wherever they share a node ("
                (c.pairing.shared_random_nodes) " of this scenario's " (c.pairing.random_nodes) "), so every difference below is the change's doing."
            }
        }
    }
}

fn predict(r: &Report) -> Markup {
    html! {
        form.predict autocomplete="off" {
            h3 { "1. Predict" }
            p { "Before you look: how likely is each ending? Give each a probability; together they must make 100%. Then reveal what the simulation gives." }
            div.rows {
                @for o in &r.outcomes {
                    label.prediction {
                        span.label { (o.label) }
                        input.slider type="range" min="0" max="100" step="1" value="0" data-id=(o.id) aria-label=(o.label);
                        input.predict-p type="number" min="0" max="100" step="1" value="0" data-id=(o.id) aria-label={ (o.label) " (percent)" };
                        span.unit { "%" }
                    }
                }
            }
            p.total { "Total: " output { "0" } "% " span.hint { "(it must be 100%)" } }
            label.reason { "Why do you think so? (optional)" textarea rows="2" maxlength="200" {} }
            p { button.reveal type="button" disabled { "Reveal the simulation" } }
        }
    }
}

/// The base's estimate of a result from the paired table.
fn base_estimate(d: &DiffProportion, n: u64) -> Option<Estimate> {
    let pairs = d.pairs?;
    let k = pairs.both + pairs.base_only;
    let (lo, hi) = wilson(k, n);
    Some(Estimate { p: d.p_base?, lo, hi })
}

fn estimate(o: &Proportion) -> Estimate {
    Estimate {
        p: o.p,
        lo: o.ci95[0],
        hi: o.ci95[1],
    }
}

fn results(r: &Report) -> Markup {
    proportions(
        r,
        "Results",
        "result",
        &r.outcomes,
        r.comparison.as_ref().map(|c| &c.outcomes[..]),
    )
}

fn flags(r: &Report) -> Markup {
    if r.flags.is_empty() {
        return html! {};
    }
    proportions(
        r,
        "Flags: what else happened",
        "flag",
        &r.flags,
        r.comparison.as_ref().map(|c| &c.flags[..]),
    )
}

/// A chart of proportions and the table that is its text alternative
/// (and carries the exact figures).
fn proportions(r: &Report, title: &str, class: &str, rows: &[Proportion], diffs: Option<&[DiffProportion]>) -> Markup {
    let base_name = r.comparison.as_ref().map(|c| c.base.id.as_str());
    let bars: Vec<BarRow> = rows
        .iter()
        .enumerate()
        .map(|(i, o)| BarRow {
            label: &o.label,
            base: diffs.and_then(|d| base_estimate(&d[i], r.branches)),
            this: estimate(o),
        })
        .collect();
    let id = format!("{}-{class}s", r.scenario.id);
    html! {
        figure {
            h4 { (title) }
            (svg::bars(&format!("{title}: probabilities with 95% intervals"), &bars, base_name))
            figcaption { "The same figures as a table (95% intervals; a change is in percentage points, its interval paired):" }
            table.figures id=(id) {
                thead { tr {
                    th { "" }
                    @if diffs.is_some() { th { "base" } th { "this scenario" } th { "change" } th { "95% interval of the change" } }
                    @else { th { "probability" } th { "95% interval" } }
                } }
                tbody {
                    @for (i, o) in rows.iter().enumerate() {
                        @let d = diffs.map(|d| &d[i]);
                        tr class=(class) data-id=(o.id) data-p=(o.p) data-lo=(o.ci95[0]) data-hi=(o.ci95[1])
                            data-p-base=[d.and_then(|d| d.p_base)] data-diff=[d.and_then(|d| d.diff)] {
                            th scope="row" { (o.label) " " code { (o.id) } }
                            @if let Some(d) = d {
                                td { (d.p_base.map_or("-".into(), pct)) }
                                td { (pct(o.p)) }
                                td { (d.diff.map_or("-".into(), pts)) }
                                td { (d.diff_ci95.map_or("-".into(), |[lo, hi]| format!("{} to {}", pts(lo), pts(hi)))) }
                            } @else {
                                td.p { (pct(o.p)) }
                                td { (pct(o.ci95[0])) " to " (pct(o.ci95[1])) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn flips(r: &Report, c: &Comparison) -> Markup {
    let n = r.branches.max(1) as f64;
    let results: Vec<(&str, f64, f64)> = c
        .outcomes
        .iter()
        .map(|d| (d.id.as_str(), d.p_base.unwrap_or(0.0), d.p))
        .collect();
    let mut flows: Vec<Flow> = c
        .outcomes
        .iter()
        .filter_map(|d| {
            let both = d.pairs?.both;
            (both > 0).then(|| Flow {
                from: &d.id,
                to: &d.id,
                p: both as f64 / n,
            })
        })
        .collect();
    flows.extend(c.flips.iter().map(|f| Flow {
        from: &f.from,
        to: &f.to,
        p: f.p,
    }));
    // Bands leave each result in the order of their destination.
    let order = |id: &str| results.iter().position(|r| r.0 == id).unwrap_or(usize::MAX);
    flows.sort_by_key(|f| (order(f.from), order(f.to)));
    html! {
        figure {
            h4 { "Which results turned into which" }
            (svg::flips("Each branch's result in the base (left) and here (right)", &results, &flows))
            figcaption {
                @if c.flips.is_empty() { "No branch changed its result." }
                @else { (pct(c.results_changed as f64 / n)) " of branches end differently:" }
            }
            @if !c.flips.is_empty() {
                table.figures {
                    thead { tr { th { "in the base" } th { "here" } th { "branches" } } }
                    tbody { @for f in &c.flips {
                        tr.flip data-from=(f.from) data-to=(f.to) data-p=(f.p) { td { code { (f.from) } } td { code { (f.to) } } td { (pct(f.p)) } }
                    } }
                }
            }
        }
    }
}

fn metrics(r: &Report) -> Markup {
    if r.metrics.is_empty() {
        return html! {};
    }
    let spread = |m: &crate::report::MetricStat| -> Option<Spread> {
        Some(Spread {
            p5: m.p5?,
            p50: m.p50?,
            p95: m.p95?,
            mean: m.mean?,
        })
    };
    // The base's spread is not kept in a paired run; its mean is.
    let rows: Vec<(&str, Option<Spread>, Option<Spread>)> =
        r.metrics.iter().map(|m| (m.label.as_str(), None, spread(m))).collect();
    let diffs = r.comparison.as_ref().map(|c| &c.metrics);
    html! {
        figure {
            h4 { "Measures" }
            (svg::spreads("Each measure: 5th to 95th percentile, median (tick) and mean (dot)", &rows))
            table.figures {
                thead { tr {
                    th { "" } th { "branches" } th { "mean" } th { "5th pct" } th { "median" } th { "95th pct" }
                    @if diffs.is_some() { th { "mean in base" } th { "change (paired)" } }
                } }
                tbody { @for (i, m) in r.metrics.iter().enumerate() {
                    tr.metric data-id=(m.id) data-mean=[m.mean] {
                        th scope="row" { (m.label) " " code { (m.id) } }
                        td { (m.count) }
                        @for v in [m.mean, m.p5, m.p50, m.p95] { td { (v.map_or("-".into(), svg::num)) } }
                        @if let Some(d) = diffs {
                            td { (d[i].mean_base.map_or("-".into(), svg::num)) }
                            td { (d[i].diff.map_or("-".into(), svg::num))
                                 @if let Some([lo, hi]) = d[i].diff_ci95 { " (" (svg::num(lo)) " to " (svg::num(hi)) ")" } }
                        }
                    }
                } }
            }
        }
    }
}

fn sweep(s: &crate::sweep::SweepReport) -> Markup {
    let parameter = s.vary.first().cloned().unwrap_or_default();
    let Some(first) = s.points.first() else { return html! {} };
    let curves: Vec<svg::Curve> = first
        .outcomes
        .iter()
        .enumerate()
        .map(|(i, o)| svg::Curve {
            id: &o.id,
            points: s
                .points
                .iter()
                .map(|pt| {
                    (
                        pt.values.get(&parameter).copied().unwrap_or(0.0),
                        estimate(&pt.outcomes[i]),
                    )
                })
                .collect(),
        })
        .collect();
    html! {
        figure.sweep {
            h4 { "As " code { (parameter) } " moves" }
            (svg::sweep(&format!("The probability of each result as {parameter} moves, with 95% bands"), &parameter, &curves))
            table.figures {
                thead { tr { th { (parameter) } @for o in &first.outcomes { th { code { (o.id) } } } } }
                tbody { @for pt in &s.points {
                    tr { td { (svg::num(pt.values.get(&parameter).copied().unwrap_or(0.0))) } @for o in &pt.outcomes { td { (pct(o.p)) } } }
                } }
            }
        }
    }
}

fn tornado(s: &crate::sweep::SensitivityReport) -> Markup {
    let rows: Vec<(&str, f64, f64)> = s
        .parameters
        .iter()
        .map(|w| (w.parameter.as_str(), w.p_low, w.p_high))
        .collect();
    html! {
        figure.sensitivity {
            h4 { "Which assumptions move " code { (s.outcome) } " most" }
            (svg::tornado(&format!("The probability of {} with each parameter at its low and at its high value", s.label), s.p, &rows))
            table.figures {
                thead { tr { th { "parameter" } th { "low" } th { "high" } th { "at low" } th { "at high" } th { "from" } } }
                tbody { @for w in &s.parameters {
                    tr { th scope="row" { code { (w.parameter) } } td { (svg::num(w.low)) } td { (svg::num(w.high)) } td { (pct(w.p_low)) } td { (pct(w.p_high)) } td { (w.basis) } }
                } }
            }
        }
    }
}

fn stories(s: &Section) -> Markup {
    if s.stories.is_empty() {
        return html! {};
    }
    let sid = &s.report.scenario.id;
    // Each source cited once, numbered in order of first citation.
    let mut sources: Vec<&str> = Vec::new();
    for st in &s.stories {
        for l in st.lines.iter().filter(|l| l.kind == LineKind::Evidence) {
            if !sources.contains(&l.text.as_str()) {
                sources.push(&l.text);
            }
        }
    }
    let cite = |text: &str| sources.iter().position(|s| *s == text).map_or(0, |i| i + 1);
    html! {
        div.stories {
            h3 { "3. Stories" }
            p { "A few branches, chosen to cover different endings, told as they happened in the simulation." }
            @for st in &s.stories { (story(sid, st, &cite)) }
            @if !sources.is_empty() {
                h4 { "Sources cited" }
                ol.sources { @for (i, src) in sources.iter().enumerate() { li id={ (sid) "-src-" (i + 1) } { (src) } } }
            }
        }
    }
}

fn story(sid: &str, st: &Story, cite: &dyn Fn(&str) -> usize) -> Markup {
    html! {
        article.story data-branch=(st.branch) {
            h4 { (st.title) " " span.branch { "(branch " (st.branch) ")" } }
            ol.told {
                @for (i, l) in st.lines.iter().enumerate() {
                    @match l.kind {
                        LineKind::Told => li {
                            time { (l.date) } " " (l.text)
                            @for e in st.lines[i + 1..].iter().take_while(|x| x.kind != LineKind::Told && x.kind != LineKind::End).filter(|x| x.kind == LineKind::Evidence) {
                                @let k = cite(&e.text);
                                " " sup { a href={ "#" (sid) "-src-" (k) } { "[" (k) "]" } }
                            }
                            @let details: Vec<&str> = st.lines[i + 1..].iter().take_while(|x| x.kind != LineKind::Told && x.kind != LineKind::End).filter(|x| x.kind == LineKind::Detail).map(|x| x.text.as_str()).collect();
                            @if !details.is_empty() { ul.details { @for d in details { li { (d) } } } }
                        },
                        LineKind::End => li.end { b { (l.date) } " " (l.text) },
                        LineKind::Detail | LineKind::Evidence => {},
                    }
                }
            }
            @if let Some(a) = &st.against { p.against { (a.trim_start_matches("against").trim_start()) } }
        }
    }
}

fn assumptions(s: &Section) -> Markup {
    html! {
        details.assumptions {
            summary { "The assumptions behind the numbers (" (s.assumptions.len()) " parameters)" }
            p { "None of these numbers comes from the source; each is a modelling choice, stated so you can argue with it. A teacher can change any with " code { "--set" } "." }
            table.figures {
                thead { tr { th { "parameter" } th { "value or distribution" } th { "what it is" } th { "why this value" } } }
                tbody { @for a in &s.assumptions {
                    tr { th scope="row" { code { (a.id) } } td { (a.what) } td { (a.doc.as_deref().unwrap_or("")) } td { (a.assumption.as_deref().unwrap_or("")) } }
                } }
            }
        }
    }
}
