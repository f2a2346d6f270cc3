//! Reading ahead in a chance process: a run of "no" steps known in
//! advance is counted at once instead of walked (format 1, one draw per
//! step), and a format-2 process fires when its summed hazard reaches one
//! exponential waiting-time draw, found by one division.

use super::branch::{RunError, Workspace};
use super::decide::{Decision, Why};
use super::schedule::{Quiet, grid, tick_of};
use crate::program::{Period, Program, Rule};

/// The probability of a chance process at tick `t`, and whether it was
/// computed afresh (not remembered). It is remembered until its next break
/// or until what it reads changes; `None` if it depends on time otherwise.
pub(super) fn chance_now(p: &Program, ws: &mut Workspace, i: u32, t: u32) -> Option<(f64, u32, bool)> {
    let node = p.node(i);
    let code = node.rule.as_deref()?.chance()?;
    let breaks = node.chance_breaks.as_ref()?;
    match ws.nodes[i as usize].memo.chance {
        Some((v, until)) if t < until => Some((v, until, false)),
        _ => {
            let until = breaks.iter().find(|&&b| b > t).copied().unwrap_or(u32::MAX);
            let v = code.eval(&ws.slots, &mut ws.stack);
            ws.nodes[i as usize].memo.chance = Some((v, until));
            Some((v, until, true))
        }
    }
}

/// A run of "no" steps read ahead, for a chance process whose steady
/// condition holds now and which has no `else` effects: while what it reads
/// stays unchanged, its decisions are known up to its next firing. Returns
/// the run (up to that firing, the probability's next break, the window's
/// end or the step bound); `None` when it fires now or is not of that kind.
pub(super) fn quiet_run(p: &Program, ws: &mut Workspace, i: u32, t: u32, branch: u64) -> Option<Quiet> {
    let node = p.node(i);
    if node.forced.is_some() || !node.steady || !node.otherwise.assigns.is_empty() {
        return None;
    }
    let (pv, until, fresh) = chance_now(p, ws, i, t)?;
    if !(0.0..=1.0).contains(&pv) {
        return None; // `step` reports it
    }
    let iu = i as usize;
    let s = ws.nodes[iu];
    let clock = &p.meta.clock;
    let steps = ws.record.reached[iu];
    // Steps before the break, within the window and the step bound.
    let end = until.min(s.last.saturating_add(1));
    let left = node.max_steps - steps;
    let bound = match node.every {
        Some(Period::Ticks(period)) => {
            let g = grid(node, clock, s.origin, s.k);
            end.saturating_sub(g).div_ceil(period).min(left)
        }
        _ => {
            let mut n = 0;
            while n < left && grid(node, clock, s.origin, s.k + n) < end {
                n += 1;
            }
            n
        }
    };
    let from = s.k;
    if node.hazard {
        let h = &mut ws.nodes[iu].hazard;
        if fresh {
            h.left -= f64::from(h.n) * h.h;
            h.n = 0;
            h.h = -(-pv).ln_1p();
        }
        if h.h == 0.0 {
            h.n += bound;
            return Some(Quiet {
                from,
                steps: bound,
                draws: false,
            });
        }
        if !h.drawn {
            let lane = node.lane.expect("drawing rules have lanes") + h.firings; // ok: compile gives every drawing rule lanes
            h.left = -ws.lanes.uniform(lane as usize, branch).ln();
            h.drawn = true;
        }
        let fires_at = first_reaching(h.left, h.h, h.n);
        let quiet = (fires_at - h.n - 1).min(bound);
        if quiet == 0 {
            return None;
        }
        ws.nodes[iu].hazard.n += quiet;
        return Some(Quiet {
            from,
            steps: quiet,
            draws: false,
        });
    }
    match pv {
        0.0 => Some(Quiet {
            from,
            steps: bound,
            draws: false,
        }),
        1.0 => None,
        _ => {
            let lane = node.lane.expect("drawing rules have lanes") + steps; // ok: compile gives every drawing rule lanes
            match (0..bound).find(|&j| ws.lanes.peek((lane + j) as usize, branch) < pv) {
                Some(0) => None,
                found => Some(Quiet {
                    from,
                    steps: found.unwrap_or(bound),
                    draws: true,
                }),
            }
        }
    }
}

/// The first step count `n > after` at which `n·h` reaches `left`.
fn first_reaching(left: f64, h: f64, after: u32) -> u32 {
    let guess = (left / h).ceil();
    let mut n = if guess.is_finite() && guess < f64::from(u32::MAX - 1) {
        (guess as u32).max(after + 1)
    } else {
        u32::MAX - 1
    };
    while n > after + 1 && f64::from(n - 1) * h >= left {
        n -= 1;
    }
    while f64::from(n) * h < left && n < u32::MAX - 1 {
        n += 1;
    }
    n
}

/// A format-2 chance process decides one step by its waiting time.
pub(super) fn hazard_step(p: &Program, ws: &mut Workspace, i: u32, branch: u64) -> Result<Decision, RunError> {
    let node = p.node(i);
    let t = tick_of(ws.now);
    let (pv, fresh) = match chance_now(p, ws, i, t) {
        Some((v, _, fresh)) => (v, fresh),
        None => {
            let code = node
                .rule
                .as_deref()
                .and_then(Rule::chance)
                .expect("a hazard node decides by a chance"); // ok: `hazard` is set only then
            (code.eval(&ws.slots, &mut ws.stack), true)
        }
    };
    if !(0.0..=1.0).contains(&pv) {
        return Err(RunError {
            branch,
            message: format!("the probability of `{}` is {pv}, outside [0, 1]", node.id),
        });
    }
    let h = &mut ws.nodes[i as usize].hazard;
    if fresh {
        h.left -= f64::from(h.n) * h.h;
        h.n = 0;
        h.h = -(-pv).ln_1p();
    }
    if h.h > 0.0 && !h.drawn {
        let lane = node.lane.expect("drawing rules have lanes") + h.firings; // ok: compile gives every drawing rule lanes
        h.left = -ws.lanes.uniform(lane as usize, branch).ln();
        h.drawn = true;
    }
    h.n += 1;
    let fires = h.h > 0.0 && f64::from(h.n) * h.h >= h.left;
    if fires {
        h.firings += 1;
        h.drawn = false;
        h.n = 0;
        h.left = 0.0;
    }
    Ok(Decision {
        option: u32::from(fires),
        why: Why::Hazard { p: pv, fires },
    })
}
