//! Charts for the handout, drawn as inline SVG (escaped by maud like the
//! rest of the page): bars with 95% intervals, the flip diagram, metric
//! ranges, a sweep's curves and a sensitivity tornado. Colours are the
//! Okabe–Ito palette, safe for colour-blind readers, and every mark is
//! labelled in text as well; each chart has a title and a description.

use maud::{Markup, html};

/// Okabe–Ito: blue, orange, bluish green, reddish purple, sky blue,
/// vermillion, yellow, black.
pub const PALETTE: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
];
/// The base scenario's colour, and this scenario's.
pub const BASE: &str = "#0072B2";
pub const THIS: &str = "#E69F00";

const WIDTH: f64 = 640.0;
/// Where bars start (the scale's 0) and end (its 100%).
const X0: f64 = 8.0;
const X1: f64 = 560.0;

fn pct(p: f64) -> String {
    format!("{:.1}%", 100.0 * p)
}

/// A length in the SVG, to two decimals (so the page stays byte-stable
/// and small).
fn n(x: f64) -> String {
    let s = format!("{x:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

/// Splits a label into lines of at most `width` characters, at spaces.
pub fn lines(text: &str, width: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
}

/// One probability with its interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub p: f64,
    pub lo: f64,
    pub hi: f64,
}

/// A row of a bar chart: a label, the base's estimate (when shown against
/// a base) and this scenario's.
pub struct BarRow<'a> {
    pub label: &'a str,
    pub base: Option<Estimate>,
    pub this: Estimate,
}

fn x_of(p: f64) -> f64 {
    X0 + p.clamp(0.0, 1.0) * (X1 - X0)
}

/// Horizontal bars from 0 to 100%, one per run, with their 95% intervals
/// as whiskers and the value written at the end of each bar.
pub fn bars(title: &str, rows: &[BarRow], base_name: Option<&str>) -> Markup {
    bars_named(title, rows, base_name, "this scenario")
}

/// [`bars`], with this run's name in the legend given.
pub fn bars_named(title: &str, rows: &[BarRow], base_name: Option<&str>, this_name: &str) -> Markup {
    const LINE: f64 = 15.0;
    const BAR: f64 = 12.0;
    let paired = rows.iter().any(|r| r.base.is_some());
    let legend = if paired { 22.0 } else { 0.0 };
    let layout: Vec<(Vec<String>, f64)> = {
        let mut y = legend + 4.0;
        rows.iter()
            .map(|r| {
                let l = lines(r.label, 92);
                let top = y;
                y += l.len() as f64 * LINE + if r.base.is_some() { 2.0 * BAR + 4.0 } else { BAR } + 14.0;
                (l, top)
            })
            .collect()
    };
    let height = layout.last().zip(rows.last()).map_or(legend + 30.0, |((l, top), r)| {
        top + l.len() as f64 * LINE + if r.base.is_some() { 2.0 * BAR + 4.0 } else { BAR } + 30.0
    });
    let bar = |e: Estimate, y: f64, colour: &str, who: &str| {
        html! {
            rect x=(n(X0)) y=(n(y)) width=(n(x_of(e.p) - X0)) height=(n(BAR)) fill=(colour) {
                title { (who) ": " (pct(e.p)) " (95% interval " (pct(e.lo)) " to " (pct(e.hi)) ")" }
            }
            line x1=(n(x_of(e.lo))) x2=(n(x_of(e.hi))) y1=(n(y + BAR / 2.0)) y2=(n(y + BAR / 2.0)) stroke="#000" stroke-width="1.5" {}
            line x1=(n(x_of(e.lo))) x2=(n(x_of(e.lo))) y1=(n(y + 2.0)) y2=(n(y + BAR - 2.0)) stroke="#000" {}
            line x1=(n(x_of(e.hi))) x2=(n(x_of(e.hi))) y1=(n(y + 2.0)) y2=(n(y + BAR - 2.0)) stroke="#000" {}
            text x=(n(x_of(e.hi.max(e.p)) + 4.0)) y=(n(y + BAR - 2.0)) class="value" { (pct(e.p)) }
        }
    };
    html! {
        svg viewBox={"0 0 " (n(WIDTH)) " " (n(height))} role="img" class="chart" {
            title { (title) }
            @if paired {
                rect x="8" y="4" width="12" height="12" fill=(BASE) {}
                text x="24" y="14" { (base_name.unwrap_or("base")) }
                rect x="300" y="4" width="12" height="12" fill=(THIS) {}
                text x="316" y="14" { (this_name) }
            }
            @for (r, (label, top)) in rows.iter().zip(&layout) {
                @for (i, l) in label.iter().enumerate() {
                    text x=(n(X0)) y=(n(top + (i as f64 + 1.0) * LINE - 3.0)) class="label" { (l) }
                }
                @let y = top + label.len() as f64 * LINE;
                @if let Some(b) = r.base {
                    (bar(b, y, BASE, base_name.unwrap_or("base")))
                    (bar(r.this, y + BAR + 4.0, THIS, this_name))
                } @else {
                    (bar(r.this, y, BASE, "simulated"))
                }
            }
            @let axis = height - 18.0;
            line x1=(n(X0)) x2=(n(X1)) y1=(n(axis)) y2=(n(axis)) stroke="#555" {}
            @for k in 0..=4 {
                @let x = x_of(f64::from(k) / 4.0);
                line x1=(n(x)) x2=(n(x)) y1=(n(axis)) y2=(n(axis + 4.0)) stroke="#555" {}
                text x=(n(x)) y=(n(axis + 15.0)) text-anchor="middle" class="tick" { (k * 25) "%" }
            }
        }
    }
}

/// A flow of branches from a result in the base to one here.
pub struct Flow<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub p: f64,
}

/// Which results turned into which: the base's results on the left, this
/// scenario's on the right, each as tall as its share, joined by bands as
/// thick as the share of branches that went from one to the other.
pub fn flips(title: &str, results: &[(&str, f64, f64)], flows: &[Flow]) -> Markup {
    const TOP: f64 = 24.0;
    const TALL: f64 = 300.0;
    const GAP: f64 = 6.0;
    let (left, right) = (190.0, 430.0);
    let shown: Vec<usize> = (0..results.len())
        .filter(|&i| results[i].1 > 0.0 || results[i].2 > 0.0)
        .collect();
    let gaps = GAP * shown.len().saturating_sub(1) as f64;
    // Each column: the top of each result's box, and its height.
    let column = |side: fn(&(&str, f64, f64)) -> f64| {
        let mut y = TOP;
        let mut boxes = vec![(0.0, 0.0); results.len()];
        for &i in &shown {
            let h = side(&results[i]) * (TALL - gaps);
            boxes[i] = (y, h);
            y += h + GAP;
        }
        boxes
    };
    let lbox = column(|r| r.1);
    let rbox = column(|r| r.2);
    let index = |id: &str| results.iter().position(|r| r.0 == id);
    let mut lfill = lbox.iter().map(|b| b.0).collect::<Vec<f64>>();
    let mut rfill = rbox.iter().map(|b| b.0).collect::<Vec<f64>>();
    let mut bands = Vec::new();
    for f in flows {
        let (Some(a), Some(b)) = (index(f.from), index(f.to)) else {
            continue;
        };
        let h = f.p * (TALL - gaps);
        let (y0, y1) = (lfill[a], rfill[b]);
        lfill[a] += h;
        rfill[b] += h;
        let mid = (left + right) / 2.0;
        let d = format!(
            "M{l} {a0}C{m} {a0} {m} {b0} {r} {b0}L{r} {b1}C{m} {b1} {m} {a1} {l} {a1}Z",
            l = n(left + 12.0),
            r = n(right),
            m = n(mid),
            a0 = n(y0),
            a1 = n(y0 + h.max(0.5)),
            b0 = n(y1),
            b1 = n(y1 + h.max(0.5)),
        );
        let colour = PALETTE[a % PALETTE.len()];
        let same = a == b;
        bands.push((d, colour, same, f));
    }
    let height = TOP + TALL + 16.0;
    html! {
        svg viewBox={"0 0 " (n(WIDTH)) " " (n(height))} role="img" class="chart flips" {
            title { (title) }
            text x=(n(left + 6.0)) y="14" text-anchor="middle" class="head" { "base" }
            text x=(n(right + 6.0)) y="14" text-anchor="middle" class="head" { "this scenario" }
            @for (d, colour, same, f) in &bands {
                path d=(d) fill=(colour) fill-opacity=(if *same { "0.25" } else { "0.6" }) {
                    title { (f.from) " → " (f.to) ": " (pct(f.p)) " of branches" }
                }
            }
            @for &i in &shown {
                @let (id, pb, pt) = results[i];
                @let colour = PALETTE[i % PALETTE.len()];
                @if pb > 0.0 {
                    rect x=(n(left)) y=(n(lbox[i].0)) width="12" height=(n(lbox[i].1.max(0.5))) fill=(colour) {}
                    text x=(n(left - 4.0)) y=(n(lbox[i].0 + lbox[i].1 / 2.0 + 4.0)) text-anchor="end" class="label" { (id) " " (pct(pb)) }
                }
                @if pt > 0.0 {
                    rect x=(n(right)) y=(n(rbox[i].0)) width="12" height=(n(rbox[i].1.max(0.5))) fill=(colour) {}
                    text x=(n(right + 16.0)) y=(n(rbox[i].0 + rbox[i].1 / 2.0 + 4.0)) class="label" { (id) " " (pct(pt)) }
                }
            }
        }
    }
}

/// A metric's spread in one run: 5th, 50th and 95th percentiles and mean.
#[derive(Debug, Clone, Copy)]
pub struct Spread {
    pub p5: f64,
    pub p50: f64,
    pub p95: f64,
    pub mean: f64,
}

/// One row per metric, each on its own scale: a line from the 5th to the
/// 95th percentile, a tick at the median, a dot at the mean; the base
/// above this scenario when paired. A metric no branch gave a value says so.
pub fn spreads(title: &str, rows: &[(&str, Option<Spread>, Option<Spread>)]) -> Markup {
    const LINE: f64 = 15.0;
    let (a, b) = (X0 + 60.0, X1);
    // Each row: its label's lines, then one line per run shown, then the scale.
    let mut tops = Vec::with_capacity(rows.len());
    let mut height = 4.0;
    for (label, base, this) in rows {
        tops.push(height);
        let runs = usize::from(base.is_some()) + usize::from(this.is_some());
        let marks = if runs == 0 { LINE } else { runs as f64 * 14.0 + 30.0 };
        height += lines(label, 92).len() as f64 * LINE + marks;
    }
    html! {
        svg viewBox={"0 0 " (n(WIDTH)) " " (n(height))} role="img" class="chart" {
            title { (title) }
            @for ((label, base, this), top) in rows.iter().zip(&tops) {
                @let label_lines = lines(label, 92);
                @for (i, l) in label_lines.iter().enumerate() {
                    text x=(n(X0)) y=(n(top + 12.0 + i as f64 * LINE)) class="label" { (l) }
                }
                @let top = top + label_lines.len() as f64 * LINE;
                @let all: Vec<Spread> = base.iter().chain(this.iter()).copied().collect();
                @if all.is_empty() {
                    text x=(n(a)) y=(n(top + 10.0)) class="tick" { "no branch gave it a value" }
                } @else {
                    @let lo = all.iter().map(|s| s.p5.min(s.mean)).fold(f64::INFINITY, f64::min);
                    @let hi = all.iter().map(|s| s.p95.max(s.mean)).fold(f64::NEG_INFINITY, f64::max);
                    @let span = if hi > lo { hi - lo } else { 1.0 };
                    @let x = |v: f64| a + (v - lo) / span * (b - a);
                    @for (j, (s, colour, who)) in base.iter().map(|s| (s, BASE, "base")).chain(this.iter().map(|s| (s, if base.is_some() { THIS } else { BASE }, "this scenario"))).enumerate() {
                        @let y = top + 10.0 + j as f64 * 14.0;
                        line x1=(n(x(s.p5))) x2=(n(x(s.p95))) y1=(n(y)) y2=(n(y)) stroke=(colour) stroke-width="3" {
                            title { (who) ": 5th percentile " (num(s.p5)) ", median " (num(s.p50)) ", 95th percentile " (num(s.p95)) ", mean " (num(s.mean)) }
                        }
                        line x1=(n(x(s.p50))) x2=(n(x(s.p50))) y1=(n(y - 6.0)) y2=(n(y + 6.0)) stroke="#000" stroke-width="2" {}
                        circle cx=(n(x(s.mean))) cy=(n(y)) r="3.5" fill="#fff" stroke="#000" {}
                    }
                    @let scale = top + all.len() as f64 * 14.0 + 16.0;
                    text x=(n(a)) y=(n(scale)) text-anchor="start" class="tick" { (num(lo)) }
                    text x=(n(b)) y=(n(scale)) text-anchor="end" class="tick" { (num(hi)) }
                }
            }
        }
    }
}

/// A number as the handout writes it: whole numbers plainly, others to 3
/// significant places.
pub fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e9 {
        format!("{x:.0}")
    } else if x.abs() >= 100.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.3}")
    }
}

/// One result's curve over a sweep: its estimates at each value.
pub struct Curve<'a> {
    pub id: &'a str,
    pub points: Vec<(f64, Estimate)>,
}

/// The probability of each result as the swept parameter moves, each with
/// its 95% band; the result's id at the end of its line.
pub fn sweep(title: &str, parameter: &str, curves: &[Curve]) -> Markup {
    const TOP: f64 = 10.0;
    const TALL: f64 = 240.0;
    let (a, b) = (48.0, 500.0);
    let xs: Vec<f64> = curves.iter().flat_map(|c| c.points.iter().map(|p| p.0)).collect();
    let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let x = |v: f64| a + (v - lo) / span * (b - a);
    let y = |p: f64| TOP + (1.0 - p.clamp(0.0, 1.0)) * TALL;
    let height = TOP + TALL + 40.0;
    html! {
        svg viewBox={"0 0 " (n(WIDTH)) " " (n(height))} role="img" class="chart" {
            title { (title) }
            @for k in 0..=4 {
                @let p = f64::from(k) / 4.0;
                line x1=(n(a)) x2=(n(b)) y1=(n(y(p))) y2=(n(y(p))) stroke="#ddd" {}
                text x=(n(a - 4.0)) y=(n(y(p) + 4.0)) text-anchor="end" class="tick" { (k * 25) "%" }
            }
            @for (i, c) in curves.iter().enumerate() {
                @let colour = PALETTE[i % PALETTE.len()];
                @let upper: Vec<String> = c.points.iter().map(|(v, e)| format!("{},{}", n(x(*v)), n(y(e.hi)))).collect();
                @let lower: Vec<String> = c.points.iter().rev().map(|(v, e)| format!("{},{}", n(x(*v)), n(y(e.lo)))).collect();
                polygon points=(upper.iter().chain(&lower).cloned().collect::<Vec<_>>().join(" ")) fill=(colour) fill-opacity="0.18" {}
                polyline points=(c.points.iter().map(|(v, e)| format!("{},{}", n(x(*v)), n(y(e.p)))).collect::<Vec<_>>().join(" ")) fill="none" stroke=(colour) stroke-width="2" {
                    title { (c.id) }
                }
                @if let Some((v, e)) = c.points.last() {
                    text x=(n(x(*v) + 6.0)) y=(n(y(e.p) + 4.0)) class="label" fill=(colour) { (c.id) }
                }
            }
            line x1=(n(a)) x2=(n(b)) y1=(n(y(0.0))) y2=(n(y(0.0))) stroke="#555" {}
            text x=(n(a)) y=(n(TOP + TALL + 16.0)) class="tick" { (num(lo)) }
            text x=(n(b)) y=(n(TOP + TALL + 16.0)) text-anchor="end" class="tick" { (num(hi)) }
            text x=(n((a + b) / 2.0)) y=(n(TOP + TALL + 32.0)) text-anchor="middle" class="label" { (parameter) }
        }
    }
}

/// A tornado: per parameter, a bar from the result's probability with the
/// parameter at its low value to that at its high value, around the
/// probability of the run itself; widest swing on top.
pub fn tornado(title: &str, p: f64, rows: &[(&str, f64, f64)]) -> Markup {
    const ROW: f64 = 20.0;
    let height = rows.len() as f64 * ROW + 40.0;
    let (a, b) = (260.0, 600.0);
    let x = |v: f64| a + v.clamp(0.0, 1.0) * (b - a);
    html! {
        svg viewBox={"0 0 " (n(WIDTH)) " " (n(height))} role="img" class="chart" {
            title { (title) }
            @for (k, (name, lo, hi)) in rows.iter().enumerate() {
                @let y = 8.0 + k as f64 * ROW;
                text x=(n(a - 6.0)) y=(n(y + 12.0)) text-anchor="end" class="label" { (name) }
                rect x=(n(x(lo.min(*hi)))) y=(n(y)) width=(n((x(lo.max(*hi)) - x(lo.min(*hi))).max(1.0))) height="14" fill=(if hi >= lo { BASE } else { THIS }) {
                    title { (name) ": " (pct(*lo)) " at its low value, " (pct(*hi)) " at its high value" }
                }
            }
            @let bottom = 8.0 + rows.len() as f64 * ROW;
            line x1=(n(x(p))) x2=(n(x(p))) y1="4" y2=(n(bottom)) stroke="#000" stroke-dasharray="3 2" {}
            @for k in 0..=4 {
                @let v = f64::from(k) / 4.0;
                text x=(n(x(v))) y=(n(bottom + 16.0)) text-anchor="middle" class="tick" { (k * 25) "%" }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_as_long_as_their_probability_and_text_is_escaped() {
        let e = Estimate {
            p: 0.5,
            lo: 0.4,
            hi: 0.6,
        };
        let svg = bars(
            "t",
            &[BarRow {
                label: "<b>x</b>",
                base: None,
                this: e,
            }],
            None,
        )
        .into_string();
        let half = n(0.5 * (X1 - X0));
        assert!(svg.contains(&format!("width=\"{half}\"")), "{svg}");
        assert!(svg.contains("&lt;b&gt;x&lt;/b&gt;") && !svg.contains("<b>"), "{svg}");
        assert!(svg.contains("50.0%"));
    }

    #[test]
    fn long_labels_wrap_rather_than_being_cut() {
        let label = "word ".repeat(40);
        let l = lines(&label, 30);
        assert!(l.len() > 5 && l.iter().all(|x| x.len() <= 30));
        assert_eq!(l.join(" "), label.trim());
    }

    #[test]
    fn flip_bands_keep_their_share() {
        let results = [("a", 1.0, 0.25), ("b", 0.0, 0.75)];
        let flows = [
            Flow {
                from: "a",
                to: "a",
                p: 0.25,
            },
            Flow {
                from: "a",
                to: "b",
                p: 0.75,
            },
        ];
        let svg = flips("t", &results, &flows).into_string();
        assert_eq!(svg.matches("<path").count(), 2, "{svg}");
        assert!(svg.contains("a → b: 75.0% of branches"));
    }

    #[test]
    fn a_metric_without_values_says_so_instead_of_an_infinite_scale() {
        let s = Spread {
            p5: 1.0,
            p50: 2.0,
            p95: 5.0,
            mean: 2.5,
        };
        let svg = spreads("t", &[("empty", None, None), ("full", None, Some(s))]).into_string();
        assert!(svg.contains("no branch gave it a value"), "{svg}");
        assert!(!svg.contains("inf"), "{svg}");
        // The full row's scale runs from its 5th to its 95th percentile.
        assert!(svg.contains(">1</text>") && svg.contains(">5</text>"), "{svg}");
    }

    #[test]
    fn numbers_are_short_and_stable() {
        assert_eq!(n(1.0), "1");
        assert_eq!(n(2.345), "2.35");
        assert_eq!(n(-0.001), "0");
        assert_eq!(num(3.0), "3");
        assert_eq!(num(0.12345), "0.123");
    }
}
