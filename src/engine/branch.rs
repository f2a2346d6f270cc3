//! One branch: draw the parameters, walk the months, run the events due and
//! the processes that hold, decide by each rule, and record what happened.

use super::rng::Lanes;
use super::trace::{Decision, Trace, Why};
use crate::expr::{Code, Stack};
use crate::program::{Effects, NOW_SLOT, Node, ParamValue, Program, Rule};
use crate::stats::Record;
use crate::stats::moments::{MAX_ABS, fixed};

/// An error that only shows while running: the scenario is wrong for this branch.
#[derive(Debug, Clone, PartialEq)]
pub struct RunError {
    pub branch: u64,
    pub message: String,
}

/// What the engine remembers of a process between months. It holds until
/// an effect writes a slot the process reads (see `Effects::stales`).
#[derive(Debug, Clone, Copy)]
struct Memo {
    /// The value of a steady condition.
    holds: Option<bool>,
    /// The chance probability, and the first month it may differ in.
    chance: Option<(f64, u32)>,
    /// Every month before this one is a known "no" whose draw was already
    /// read; and whether those months draw at all (probability above 0).
    quiet: (u32, bool),
}

const FORGOTTEN: Memo = Memo {
    holds: None,
    chance: None,
    quiet: (0, false),
};

/// Per-thread scratch space, reused for every branch (no allocation per branch).
pub struct Workspace {
    pub slots: Vec<f64>,
    pub stack: Stack,
    pub lanes: Lanes,
    pub record: Record,
    scratch: Vec<f64>,
    /// Per process: the months it may run in this branch.
    windows: Vec<(u32, u32)>,
    /// Per node (only processes use theirs).
    memos: Vec<Memo>,
    /// Per event: its month, counted from the start.
    event_months: Vec<u32>,
    /// Bumped whenever an effect writes the state.
    version: u64,
    /// The stop condition's value and the state version it was evaluated
    /// at, when it does not read `now`.
    stop: Option<(u64, bool)>,
    stop_reads_now: bool,
}

impl Workspace {
    pub fn new(program: &Program, seed: u64) -> Self {
        let nodes = program.events.len() + program.processes.len();
        let widest = program
            .events
            .iter()
            .chain(&program.processes)
            .map(|n| {
                let features = match &n.rule {
                    Some(Rule::Analogy(a)) => a.features.len(),
                    _ => 0,
                };
                features.max(n.then.assigns.len()).max(n.otherwise.assigns.len())
            })
            .max()
            .unwrap_or(0);
        Workspace {
            slots: program.initial.clone(),
            stack: Stack::default(),
            lanes: Lanes::new(seed, &program.lanes),
            record: Record::new(program.flags.len(), program.metrics.len(), nodes),
            scratch: vec![0.0; widest],
            windows: program.processes.iter().map(|n| n.window).collect(),
            memos: vec![FORGOTTEN; nodes],
            event_months: program
                .events
                .iter()
                .map(|e| e.date.since(program.meta.start) as u32)
                .collect(),
            version: 0,
            stop: None,
            stop_reads_now: program.stop_when.as_ref().is_some_and(|s| s.reads(NOW_SLOT)),
        }
    }
}

/// Runs branch `branch`, leaving what happened in `ws.record`.
pub fn run_branch<T: Trace>(p: &Program, ws: &mut Workspace, branch: u64, trace: &mut T) -> Result<(), RunError> {
    ws.slots.copy_from_slice(&p.initial);
    let rec = &mut ws.record;
    rec.path.clear();
    rec.reached.fill(0);
    rec.fired.fill(0);
    for param in &p.params {
        if let ParamValue::Drawn { dist, lane } = &param.value {
            let u = ws.lanes.uniform(*lane as usize, branch);
            ws.slots[param.slot as usize] = dist.quantile(u);
            trace.param(param, ws.slots[param.slot as usize]);
        }
    }
    let months = p.meta.months();
    let params = 1..=p.params.len() as u32;
    for (w, node) in ws
        .windows
        .iter_mut()
        .zip(&p.processes)
        .filter(|(_, n)| n.window_from_params)
    {
        let first = node.date.since(p.meta.start);
        *w = crate::program::window(&node.when, first, months, |s| {
            params.contains(&s).then(|| ws.slots[s as usize])
        });
    }
    ws.version = 0;
    ws.stop = None;
    ws.memos[p.events.len()..].fill(FORGOTTEN);
    let mut next_event = 0;
    let n_events = p.events.len();
    for m in 0..months as u32 {
        let month = p.meta.start.plus(m as i32);
        ws.slots[NOW_SLOT as usize] = f64::from(m);
        trace.month(month);
        while ws.event_months.get(next_event) == Some(&m) {
            let node = &p.events[next_event];
            let holds = node.when.eval(&ws.slots, &mut ws.stack) != 0.0;
            step(p, ws, node, holds, next_event, 0, branch, trace)?;
            next_event += 1;
        }
        for (k, node) in p.processes.iter().enumerate() {
            let i = n_events + k;
            let (first, last) = ws.windows[k];
            if !(first..=last).contains(&m) {
                continue;
            }
            let (quiet_until, draws) = ws.memos[i].quiet;
            if T::SILENT && m < quiet_until {
                // A known "no", and a quiet run has no `else` effects.
                ws.record.reached[i] += 1;
                ws.lanes.count(u64::from(draws));
                continue;
            }
            let steps = ws.record.reached[i];
            if steps >= node.max_steps {
                continue;
            }
            // A steady condition keeps its value while what it reads does.
            let holds = match ws.memos[i].holds {
                Some(holds) => holds,
                None => {
                    let holds = node.when.eval(&ws.slots, &mut ws.stack) != 0.0;
                    if node.steady {
                        ws.memos[i].holds = Some(holds);
                    }
                    holds
                }
            };
            if !holds {
                continue;
            }
            if T::SILENT {
                if let Some(run) = quiet_run(ws, node, i, steps, m, last, branch) {
                    ws.memos[i].quiet = run;
                    ws.record.reached[i] += 1;
                    ws.lanes.count(u64::from(run.1));
                    continue;
                }
            }
            step(p, ws, node, true, i, steps, branch, trace)?;
        }
        if let Some(stop) = &p.stop_when {
            let stops = match ws.stop {
                Some((version, stops)) if version == ws.version => stops,
                _ => {
                    let stops = stop.eval(&ws.slots, &mut ws.stack) != 0.0;
                    if !ws.stop_reads_now {
                        ws.stop = Some((ws.version, stops));
                    }
                    stops
                }
            };
            if stops {
                trace.stop(month);
                break;
            }
        }
    }
    finish(p, ws, branch, trace)
}

/// The probability of a chance process in month `m`, and the first month
/// it may differ in. It is kept until then or until what it reads changes.
/// `None` if it depends on time in another way.
fn chance_now(ws: &mut Workspace, node: &Node, i: usize, p: &Code, m: u32) -> Option<(f64, u32)> {
    let breaks = node.chance_breaks.as_ref()?;
    match ws.memos[i].chance {
        Some((v, until)) if m < until => Some((v, until)),
        _ => {
            let until = breaks.iter().find(|&&b| b > m).copied().unwrap_or(u32::MAX);
            let v = p.eval(&ws.slots, &mut ws.stack);
            ws.memos[i].chance = Some((v, until));
            Some((v, until))
        }
    }
}

/// A run of "no" decisions read ahead, for a chance process whose steady
/// condition holds in month `m` and which has no `else` effects: while what
/// it reads stays unchanged, its decisions are known up to the first draw
/// below the probability. Returns the month that draw falls in (or the end
/// of the window, the probability's span or the step bound), and whether the
/// run draws; `None` when the process fires now or is not of that kind.
fn quiet_run(
    ws: &mut Workspace,
    node: &Node,
    i: usize,
    steps: u32,
    m: u32,
    last: u32,
    branch: u64,
) -> Option<(u32, bool)> {
    let (Some(Rule::Chance { p }), None, true, true) =
        (&node.rule, node.forced, node.steady, node.otherwise.assigns.is_empty())
    else {
        return None;
    };
    let (pv, until) = chance_now(ws, node, i, p, m)?;
    let until = until.min(last + 1).min(m + (node.max_steps - steps));
    match pv {
        0.0 => Some((until, false)),
        // Fires now, or an invalid probability that `step` reports.
        p if !(0.0..1.0).contains(&p) => None,
        _ => {
            let lane = node.lane.expect("drawing rules have lanes") + steps; // ok: compile gives every drawing rule lanes
            let fires = (0..until - m).find(|&j| ws.lanes.peek((lane + j) as usize, branch) < pv);
            match fires {
                Some(0) => None,
                Some(j) => Some((m + j, true)),
                None => Some((until, true)),
            }
        }
    }
}

/// Runs one step of a node whose condition was found to be `holds`:
/// decides, applies effects, records.
#[allow(clippy::too_many_arguments)] // the hot loop's state, passed flat
fn step<T: Trace>(
    p: &Program,
    ws: &mut Workspace,
    node: &Node,
    holds: bool,
    index: usize,
    step: u32,
    branch: u64,
    trace: &mut T,
) -> Result<(), RunError> {
    if !holds {
        trace.node(p, node, step, None, false);
        return Ok(());
    }
    ws.record.reached[index] += 1;
    let decision = match (node.forced, &node.rule) {
        (Some(yes), _) => Some(Decision { yes, why: Why::Forced }),
        (None, Some(rule)) => Some(decide(ws, node, index, rule, step, branch)?),
        (None, None) => None,
    };
    let fired = decision.as_ref().is_none_or(|d| d.yes);
    trace.node(p, node, step, decision.as_ref(), fired);
    if fired {
        ws.record.fired[index] += 1;
        apply(ws, &node.then);
    } else {
        apply(ws, &node.otherwise);
    }
    if decision.is_some() && node.kind == crate::program::NodeKind::Event {
        ws.record.path.push(((index as u32) << 1) | u32::from(fired));
    }
    Ok(())
}

fn decide(
    ws: &mut Workspace,
    node: &Node,
    index: usize,
    rule: &Rule,
    step: u32,
    branch: u64,
) -> Result<Decision, RunError> {
    let (slots, stack) = (&ws.slots, &mut ws.stack);
    let probability = |v: f64, what: &str| -> Result<f64, RunError> {
        if (0.0..=1.0).contains(&v) {
            Ok(v)
        } else {
            Err(RunError {
                branch,
                message: format!("the {what} of `{}` is {v}, outside [0, 1]", node.id),
            })
        }
    };
    let uniform = |lanes: &mut Lanes| {
        let lane = node.lane.expect("drawing rules have lanes") + step; // ok: compile gives every drawing rule lanes
        lanes.uniform(lane as usize, branch)
    };
    Ok(match rule {
        Rule::Chance { p } => {
            let now = ws.slots[NOW_SLOT as usize] as u32;
            let p = match chance_now(ws, node, index, p, now) {
                Some((p, _)) => p,
                None => p.eval(&ws.slots, &mut ws.stack),
            };
            let p = probability(p, "probability")?;
            // A certain outcome needs no draw: lanes are independent, so
            // skipping one changes no other value. `u` is then NaN.
            let (yes, u) = match p {
                0.0 => (false, f64::NAN),
                1.0 => (true, f64::NAN),
                _ => {
                    let u = uniform(&mut ws.lanes);
                    (u < p, u)
                }
            };
            Decision {
                yes,
                why: Why::Chance { p, u },
            }
        }
        Rule::Condition { holds } => Decision {
            yes: holds.eval(slots, stack) != 0.0,
            why: Why::Condition,
        },
        Rule::Threshold {
            quantity, limit, below, ..
        } => {
            let (q, l) = (quantity.eval(slots, stack), limit.eval(slots, stack));
            let yes = if *below { q < l } else { q > l };
            Decision {
                yes,
                why: Why::Threshold {
                    quantity: q,
                    limit: l,
                    below: *below,
                },
            }
        }
        Rule::Dependence {
            wants, dependence, own, ..
        } => {
            let d = probability(dependence.eval(slots, stack), "dependence")?;
            let wants = wants.eval(slots, stack) != 0.0;
            let own = own.eval(slots, stack) != 0.0;
            let u = uniform(&mut ws.lanes);
            let follows = u < d;
            Decision {
                yes: if follows { wants } else { own },
                why: Why::Dependence {
                    dependence: d,
                    u,
                    follows,
                    wants,
                },
            }
        }
        Rule::Analogy(a) => {
            for (x, (_, code)) in ws.scratch.iter_mut().zip(&a.features) {
                *x = code.eval(slots, stack);
            }
            let xs = &ws.scratch[..a.features.len()];
            let mut best = (0usize, f64::NEG_INFINITY);
            for (i, case) in a.cases.iter().enumerate() {
                let dist: f64 = xs.iter().zip(&case.values).map(|(x, c)| (x - c).abs()).sum();
                let sim = 1.0 - dist / xs.len() as f64;
                if sim > best.1 {
                    best = (i, sim);
                }
            }
            let needed = a.similarity.eval(slots, stack);
            let (case, yes) = if best.1 >= needed {
                (Some(best.0), a.cases[best.0].lesson)
            } else {
                (None, a.otherwise.eval(slots, stack) != 0.0)
            };
            Decision {
                yes,
                why: Why::Analogy {
                    case,
                    closest: best.0,
                    similarity: best.1,
                    needed,
                },
            }
        }
    })
}

/// Applies effects together: all right sides are read before any is written.
fn apply(ws: &mut Workspace, effects: &Effects) {
    ws.version += u64::from(!effects.assigns.is_empty());
    for &i in effects.stales.iter() {
        ws.memos[i as usize] = FORGOTTEN;
    }
    match &effects.assigns[..] {
        [] => {}
        [(slot, code)] => ws.slots[*slot as usize] = code.eval(&ws.slots, &mut ws.stack),
        many => {
            for (x, (_, code)) in ws.scratch.iter_mut().zip(many) {
                *x = code.eval(&ws.slots, &mut ws.stack);
            }
            for (x, (slot, _)) in ws.scratch.iter().zip(many) {
                ws.slots[*slot as usize] = *x;
            }
        }
    }
}

/// Evaluates outcomes, flags and metrics at the end of the branch.
fn finish<T: Trace>(p: &Program, ws: &mut Workspace, branch: u64, trace: &mut T) -> Result<(), RunError> {
    let mut held = None;
    for (i, o) in p.outcomes.iter().enumerate() {
        if o.when.eval(&ws.slots, &mut ws.stack) != 0.0 {
            if let Some(first) = held {
                let first: &crate::program::Check = &p.outcomes[first];
                return Err(RunError {
                    branch,
                    message: format!(
                        "result outcomes `{}` and `{}` both hold; the result group must be exclusive",
                        first.id, o.id
                    ),
                });
            }
            held = Some(i);
        }
    }
    let Some(outcome) = held else {
        return Err(RunError {
            branch,
            message: "no result outcome holds; the result group must be exhaustive".into(),
        });
    };
    ws.record.outcome = outcome;
    for (f, check) in ws.record.flags.iter_mut().zip(&p.flags) {
        *f = check.when.eval(&ws.slots, &mut ws.stack) != 0.0;
    }
    for (v, m) in ws.record.metrics.iter_mut().zip(&p.metrics) {
        let present = m.when.as_ref().is_none_or(|w| w.eval(&ws.slots, &mut ws.stack) != 0.0);
        *v = if present {
            let x = m.value.eval(&ws.slots, &mut ws.stack);
            Some(fixed(x).ok_or_else(|| RunError {
                branch,
                message: format!(
                    "metric `{}` is {x}; a metric must be a finite number within ±{MAX_ABS:e}",
                    m.id
                ),
            })?)
        } else {
            None
        };
    }
    trace.finish(p, &ws.record, &ws.slots);
    Ok(())
}
