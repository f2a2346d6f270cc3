//! One branch: draw the parameters, then advance from one due key to the
//! next (see `schedule`): the dated events of a tick in order, then the
//! process steps due, each deciding by its rule and applying its effects;
//! stop when `stop_when` holds; record what happened. A walk can stop
//! before given nodes and go on later (see `fork`).

use super::agenda::Agenda;
use super::ahead::{chance_now, hazard_step, quiet_run};
use super::decide::{Ctx, Decision, Why, decide};
use super::fork::{Forks, Never, Stop};
use super::rng::Lanes;
use super::schedule::{IDLE, NEVER, NodeState, key, tick_of};
use super::trace::Trace;
use crate::expr::Stack;
use crate::program::{Assign, Delay, Effects, NOW_SLOT, NodeKind, ParamValue, Program, Timing, YES};
use crate::stats::Record;
use crate::stats::moments::{MAX_ABS, fixed};

/// An error that only shows while running: the scenario is wrong for this branch.
#[derive(Debug, Clone, PartialEq)]
pub struct RunError {
    pub branch: u64,
    pub message: String,
}

/// The option code of something that happened without a decision.
pub const HAPPENED: u32 = 0xff;

/// Per-thread scratch space, reused for every branch (no allocation per branch).
pub struct Workspace {
    pub slots: Vec<f64>,
    pub stack: Stack,
    pub lanes: Lanes,
    pub record: Record,
    pub(super) scratch: Vec<f64>,
    pub(super) nodes: Vec<NodeState>,
    /// When each node is next due.
    pub(super) agenda: Agenda,
    /// Per node: the ticks it may run in, narrowed by the branch's parameters.
    pub(super) windows: Vec<(u32, u32)>,
    /// The one-shot events with a fixed date: (tick, node), in order. They
    /// are the first events, so their node index is their position.
    pub(super) fixed: Vec<u32>,
    /// Every other node: processes, watched and relative events.
    moving: Vec<u32>,
    /// The moving nodes whose start depends on the branch's parameters
    /// (a computed date, or a window narrowed by a parameter).
    late: Vec<u32>,
    /// Every node's state and the agenda at the start of any branch, the
    /// late nodes aside (computed once: the rest start alike in every branch).
    start_nodes: Box<[NodeState]>,
    start_agenda: Agenda,
    /// Nodes whose window narrows once the parameters are drawn.
    narrowed: Vec<u32>,
    /// Bumped whenever an effect writes the state.
    pub(super) version: u64,
    /// The stop condition's value and the state version it was evaluated
    /// at, when it does not read `now`.
    pub(super) stop: Option<(u64, bool)>,
    /// The key being run.
    pub(super) now: u64,
    /// The walk's place: the next fixed-date event, and the tick being run.
    pub(super) cursor: usize,
    pub(super) tick: Option<u32>,
    /// Whether the stop condition reads `now`, and where its value can
    /// change with `now` alone (`None`: anywhere).
    stop_reads_now: bool,
    stop_breaks: Option<Box<[u32]>>,
}

impl Workspace {
    pub fn new(program: &Program, seed: u64) -> Self {
        let count = program.events.len() + program.processes.len();
        let fixed: Vec<u32> = program
            .events
            .iter()
            .map_while(|e| match e.timing {
                Timing::At(t) if !e.is_watched() => Some(t),
                _ => None,
            })
            .collect();
        let first_moving = fixed.len() as u32;
        let moving: Vec<u32> = (first_moving..count as u32).collect();
        let (late, early): (Vec<u32>, Vec<u32>) = moving.iter().partition(|&&i| {
            let n = program.node(i);
            n.window_from_params || matches!(n.timing, Timing::AtExpr(_))
        });
        let narrowed = program
            .nodes()
            .enumerate()
            .filter(|(_, n)| n.window_from_params)
            .map(|(i, _)| i as u32)
            .collect();
        let mut ws = Workspace {
            slots: program.initial.clone(),
            stack: Stack::default(),
            lanes: Lanes::new(seed, &program.lanes),
            record: Record::new(&program.shape()),
            scratch: Vec::with_capacity(64),
            nodes: vec![IDLE; count],
            agenda: Agenda::new(first_moving, count - first_moving as usize),
            windows: program.nodes().map(|n| n.window).collect(),
            fixed,
            moving,
            late,
            start_nodes: Box::default(),
            start_agenda: Agenda::new(first_moving, count - first_moving as usize),
            narrowed,
            version: 0,
            stop: None,
            now: 0,
            cursor: 0,
            tick: None,
            stop_reads_now: program.stop_when.as_ref().is_some_and(|s| s.reads(NOW_SLOT)),
            stop_breaks: program.stop_when.as_ref().and_then(|s| s.breaks_on(NOW_SLOT)),
        };
        ws.start_all(program, &early);
        ws.start_nodes = ws.nodes.clone().into();
        ws.start_agenda = ws.agenda.clone();
        ws
    }
}

/// Runs branch `branch`, leaving what happened in `ws.record`.
pub fn run_branch<T: Trace>(p: &Program, ws: &mut Workspace, branch: u64, trace: &mut T) -> Result<(), RunError> {
    begin(p, ws, branch, trace);
    match advance(p, ws, branch, trace, &Never)? {
        Walk::Ended(stopped) => end(p, ws, branch, stopped, trace),
        Walk::Paused(_) => unreachable!("a walk pauses only at fork points"), // ok: `Never` has none
    }
}

/// How far a walk through a branch got: paused before a fork point (the
/// node), or at its end (and the tick the stop condition held at, if it did).
pub(super) enum Walk {
    Paused(u32),
    Ended(Option<u32>),
}

/// Draws the branch's parameters and starts every node whose start is known.
pub(super) fn begin<T: Trace>(p: &Program, ws: &mut Workspace, branch: u64, trace: &mut T) {
    ws.slots.copy_from_slice(&p.initial);
    ws.record.clear();
    for param in &p.params {
        if let ParamValue::Drawn { dist, lane } = &param.value {
            let u = ws.lanes.uniform(*lane as usize, branch);
            ws.slots[param.slot as usize] = dist.quantile(u);
            trace.param(param, ws.slots[param.slot as usize]);
        }
    }
    let params = 1..=p.params.len() as u32;
    for &i in &ws.narrowed {
        let node = p.node(i);
        ws.windows[i as usize] = crate::program::window(&node.when, node.window.0, node.window.1, |s| {
            params.contains(&s).then(|| ws.slots[s as usize])
        });
    }
    // Fixed-date events keep no state: only the moving nodes (the last ones) start afresh.
    let first_moving = ws.fixed.len();
    ws.nodes[first_moving..].copy_from_slice(&ws.start_nodes[first_moving..]);
    ws.agenda.copy_from(&ws.start_agenda);
    ws.version = 0;
    ws.stop = None;
    ws.now = 0;
    ws.cursor = 0;
    ws.tick = None;
    let late = std::mem::take(&mut ws.late);
    ws.start_all(p, &late);
    ws.late = late;
}

/// Advances from one due key to the next until the end of the timeline,
/// the stop condition, or a node in `forks` coming due.
pub(super) fn advance<T: Trace, F: Forks + ?Sized>(
    p: &Program,
    ws: &mut Workspace,
    branch: u64,
    trace: &mut T,
    forks: &F,
) -> Result<Walk, RunError> {
    let clock = &p.meta.clock;
    let (mut cursor, mut tick) = (ws.cursor, ws.tick);
    loop {
        let fixed_key = ws.fixed.get(cursor).map_or(NEVER, |&t| key(t, cursor as u32));
        let next = fixed_key.min(ws.agenda.first());
        if next == NEVER || tick_of(next) > clock.last {
            return Ok(Walk::Ended(None));
        }
        let t = tick_of(next);
        if tick != Some(t) {
            if let Some(stop) = &p.stop_when {
                let stopped = match (tick, ws.stop_reads_now) {
                    // Nothing changed since it was last found false.
                    (Some(_), false) if ws.stop.is_some_and(|(v, _)| v == ws.version) => None,
                    (Some(at), false) => {
                        let stops = stop.eval(&ws.slots, &mut ws.stack) != 0.0;
                        ws.stop = Some((ws.version, stops));
                        stops.then(|| {
                            trace.stop(p, at);
                            at
                        })
                    }
                    _ => stop_before(p, ws, tick, t, trace),
                };
                if stopped.is_some() {
                    return Ok(Walk::Ended(stopped));
                }
            }
            tick = Some(t);
            ws.tick = tick;
            ws.slots[NOW_SLOT as usize] = f64::from(t);
            trace.tick(p, t);
        }
        // Stops here, after the tick's start (its stop check), before the node runs.
        let stops = match forks.at(next as u32) {
            Stop::No => false,
            Stop::Due => true,
            Stop::IfHolds => p.node(next as u32).when.eval(&ws.slots, &mut ws.stack) != 0.0,
        };
        if stops {
            (ws.cursor, ws.tick) = (cursor, tick);
            return Ok(Walk::Paused(next as u32));
        }
        // A node timed right after another may come due at a key already passed;
        // `now` is how far the tick has got.
        ws.now = ws.now.max(next);
        let i = next as u32;
        if next == fixed_key {
            cursor += 1;
            let holds = p.events[i as usize].when.eval(&ws.slots, &mut ws.stack) != 0.0;
            // An event whose condition fails does nothing but tell a tracer.
            if holds || !T::SILENT {
                step(p, ws, i, holds, branch, trace)?;
            }
        } else {
            visit(p, ws, i, t, branch, trace)?;
        }
    }
}

/// Checks the stop condition after the last tick run, ends the runs
/// counted ahead, and records the branch.
pub(super) fn end<T: Trace>(
    p: &Program,
    ws: &mut Workspace,
    branch: u64,
    mut stopped: Option<u32>,
    trace: &mut T,
) -> Result<(), RunError> {
    let clock = &p.meta.clock;
    if stopped.is_none() {
        stopped = stop_before(p, ws, ws.tick, clock.last + 1, trace);
    }
    if let Some(at) = stopped {
        // Runs counted ahead end with the branch, after tick `at`.
        for k in 0..ws.moving.len() {
            let j = ws.moving[k];
            if ws.nodes[j as usize].quiet.is_some() {
                ws.cut_quiet(p, j, key(at, u32::MAX));
            }
        }
    }
    ws.slots[NOW_SLOT as usize] = f64::from(stopped.unwrap_or(clock.last));
    finish(p, ws, branch, trace)
}

/// Checks the stop condition at the end of tick `from` (after what
/// happened in it), then at the idle ticks before `to` where a change of
/// `now` alone can make it hold; returns the tick it first holds at.
fn stop_before<T: Trace>(p: &Program, ws: &mut Workspace, from: Option<u32>, to: u32, trace: &mut T) -> Option<u32> {
    let stop = p.stop_when.as_ref()?;
    let reads_now = ws.stop_reads_now;
    let holds_at = |ws: &mut Workspace, t: u32| {
        ws.slots[NOW_SLOT as usize] = f64::from(t);
        match ws.stop {
            Some((version, stops)) if !reads_now && version == ws.version => stops,
            _ => {
                let stops = stop.eval(&ws.slots, &mut ws.stack) != 0.0;
                ws.stop = Some((ws.version, stops));
                stops
            }
        }
    };
    let mut first = None;
    if let Some(t) = from {
        if holds_at(ws, t) {
            first = Some(t);
        }
    }
    let start = from.map_or(0, |t| t + 1);
    if first.is_none() && start < to && (reads_now || from.is_none()) {
        if holds_at(ws, start) {
            first = Some(start);
        } else if reads_now {
            let breaks = ws.stop_breaks.take();
            first = match &breaks {
                Some(b) => b
                    .iter()
                    .copied()
                    .filter(|&b| b > start && b < to)
                    .find(|&b| holds_at(ws, b)),
                None => (start + 1..to).find(|&t| holds_at(ws, t)),
            };
            ws.stop_breaks = breaks;
        }
    }
    if let Some(t) = first {
        trace.stop(p, t);
    }
    first
}

/// Runs a moving node (a process, or a watched or relative event) due now.
fn visit<T: Trace>(
    p: &Program,
    ws: &mut Workspace,
    i: u32,
    t: u32,
    branch: u64,
    trace: &mut T,
) -> Result<(), RunError> {
    let node = p.node(i);
    let iu = i as usize;
    if node.kind == NodeKind::Event && !node.is_watched() {
        ws.agenda.set(i, NEVER);
        let holds = node.when.eval(&ws.slots, &mut ws.stack) != 0.0;
        if !holds && T::SILENT {
            return Ok(());
        }
        return step(p, ws, i, holds, branch, trace);
    }
    ws.nodes[iu].quiet = None;
    let holds = match ws.nodes[iu].memo.holds {
        Some(h) => h,
        None => {
            let h = node.when.eval(&ws.slots, &mut ws.stack) != 0.0;
            if node.steady {
                ws.nodes[iu].memo.holds = Some(h);
            }
            h
        }
    };
    if node.kind == NodeKind::Event {
        // Watched: it happens at the first tick its condition holds.
        let due = match (holds, node.steady) {
            (true, _) | (false, true) => NEVER,
            (false, false) if t < ws.nodes[iu].last => key(t + 1, i),
            (false, false) => NEVER,
        };
        ws.agenda.set(i, due);
        return if holds {
            step(p, ws, i, true, branch, trace)
        } else {
            Ok(())
        };
    }
    let k = ws.nodes[iu].k;
    if !holds {
        // A steady condition sleeps until an effect makes it stale.
        ws.agenda.set(i, NEVER);
        if !node.steady {
            ws.schedule_step(p, i, k + 1);
        }
        return Ok(());
    }
    if T::SILENT {
        if let Some(run) = quiet_run(p, ws, i, t, branch) {
            let steps = run.steps;
            ws.record.reached[iu] += steps;
            if run.draws {
                ws.lanes.count(u64::from(steps));
            }
            ws.nodes[iu].quiet = Some(run);
            ws.schedule_step(p, i, k + steps);
            return Ok(());
        }
    }
    step(p, ws, i, true, branch, trace)?;
    ws.schedule_step(p, i, k + 1);
    Ok(())
}

/// Runs one step of node `i`, whose condition was found to be `holds`:
/// decides, applies effects, records, and starts what is timed after it.
fn step<T: Trace>(
    p: &Program,
    ws: &mut Workspace,
    i: u32,
    holds: bool,
    branch: u64,
    trace: &mut T,
) -> Result<(), RunError> {
    let node = p.node(i);
    let iu = i as usize;
    let steps = ws.record.reached[iu];
    if !holds {
        trace.node(p, node, steps, None, false, &ws.slots);
        return Ok(());
    }
    ws.record.reached[iu] += 1;
    let decision = match (node.forced, node.rule.as_deref()) {
        (Some(option), _) => Some(Decision {
            option,
            why: Why::Forced,
        }),
        (None, Some(_)) if node.hazard => Some(hazard_step(p, ws, i, branch)?),
        (None, Some(rule)) => {
            let given = match node.kind {
                NodeKind::Process => chance_now(p, ws, i, tick_of(ws.now)).map(|(v, ..)| v),
                NodeKind::Event => None,
            };
            let mut c = Ctx {
                slots: &ws.slots,
                stack: &mut ws.stack,
                lanes: &mut ws.lanes,
                scratch: &mut ws.scratch,
                branch,
                step: steps,
            };
            Some(decide(p, node, rule, node.lane, given, &mut c, trace)?)
        }
        (None, None) => None,
    };
    let option = decision.as_ref().map_or(YES, |d| d.option);
    let fired = node.fires(option);
    trace.node(p, node, steps, decision.as_ref(), fired, &ws.slots);
    let rec = &mut ws.record;
    rec.fired[iu] += u32::from(fired);
    if !node.options.is_empty() {
        rec.chosen[rec.option_offsets[iu] as usize + option as usize] += 1;
    }
    // Every event reached, and every step of a process that fired (a
    // choice always does), goes into the branch's decisions; decisions
    // (not plain happenings) into its path, a process's runs of equal
    // decisions once.
    let code = (i << 8) | if decision.is_some() { option } else { HAPPENED };
    let t = tick_of(ws.now);
    let kept = node.kind == NodeKind::Event || fired;
    if kept {
        rec.decisions.push((t, code));
    }
    if decision.is_some() && kept && ws.nodes[iu].last_path != code {
        rec.path.push(code);
        if node.kind == NodeKind::Process {
            ws.nodes[iu].last_path = code;
        }
    }
    let effects = node.effects(option);
    if !effects.assigns.is_empty() {
        apply(p, ws, effects, steps, branch, trace);
    }
    for &f in node.followers.iter() {
        let fu = f as usize;
        let Timing::After {
            option: wanted, delay, ..
        } = &p.node(f).timing
        else {
            continue;
        };
        let matches = match wanted {
            Some(o) => *o == option && decision.is_some(),
            None => fired,
        };
        if !matches || ws.nodes[fu].started {
            continue;
        }
        let at = match delay {
            Delay::Ticks(n) => i64::from(t) + i64::from(*n),
            Delay::Calendar(d) => p.meta.clock.after(t, *d),
            Delay::Expr(code) => i64::from(t) + code.eval(&ws.slots, &mut ws.stack).ceil().clamp(0.0, 1e12) as i64,
        };
        if let Ok(at) = u32::try_from(at) {
            if at <= p.meta.clock.last {
                ws.start(p, f, at);
            }
        }
        ws.nodes[fu].started = true;
    }
    Ok(())
}

/// Applies effects together: all right sides are read before any is written.
fn apply<T: Trace>(p: &Program, ws: &mut Workspace, effects: &Effects, step: u32, branch: u64, trace: &mut T) {
    ws.version += 1;
    for &j in effects.stales.iter() {
        ws.stale(p, j, ws.now);
    }
    #[inline(always)]
    fn value(ws: &mut Workspace, a: &Assign, step: u32, branch: u64) -> f64 {
        match a {
            Assign::Code(code) => code.eval(&ws.slots, &mut ws.stack),
            Assign::Draw { dist, lane } => dist.quantile(ws.lanes.uniform((lane + step) as usize, branch)),
        }
    }
    if !T::SILENT {
        for (slot, a) in &effects.assigns {
            if let Assign::Draw { dist, lane } = a {
                let v = dist.quantile(ws.lanes.peek((lane + step) as usize, branch));
                trace.drew(p, *slot, v);
            }
        }
    }
    match &effects.assigns[..] {
        [(slot, a)] => ws.slots[*slot as usize] = value(ws, a, step, branch),
        many => {
            ws.scratch.clear();
            for (_, a) in many {
                let v = value(ws, a, step, branch);
                ws.scratch.push(v);
            }
            for (x, (slot, _)) in ws.scratch.iter().zip(many) {
                ws.slots[*slot as usize] = *x;
            }
        }
    }
}

/// Evaluates outcomes, flags and metrics at the end of the branch.
pub(super) fn finish<T: Trace>(p: &Program, ws: &mut Workspace, branch: u64, trace: &mut T) -> Result<(), RunError> {
    judge(p, &ws.slots, &mut ws.stack, &mut ws.record, branch)?;
    trace.finish(p, &ws.record, &ws.slots);
    Ok(())
}

/// Records the branch's result outcome, flags and metrics from its final
/// `slots` (`now` its last tick).
pub(super) fn judge(
    p: &Program,
    slots: &[f64],
    stack: &mut Stack,
    record: &mut Record,
    branch: u64,
) -> Result<(), RunError> {
    let mut held = None;
    for (i, o) in p.outcomes.iter().enumerate() {
        if o.when.eval(slots, stack) != 0.0 {
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
    record.outcome = outcome;
    for (f, check) in record.flags.iter_mut().zip(&p.flags) {
        *f = check.when.eval(slots, stack) != 0.0;
    }
    for (v, m) in record.metrics.iter_mut().zip(&p.metrics) {
        let present = m.when.as_ref().is_none_or(|w| w.eval(slots, stack) != 0.0);
        *v = if present {
            let x = m.value.eval(slots, stack);
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
    Ok(())
}
