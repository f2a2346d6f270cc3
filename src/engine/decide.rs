//! Decision rules at run time: each rule picks an option (a yes/no decision:
//! 0 no, 1 yes) from the slots and its own uniforms, and says why.

use super::branch::RunError;
use super::rng::Lanes;
use super::trace::Trace;
use crate::expr::Stack;
use crate::program::{Combine, Lesson, Node, Program, Rule, Select, YES};

/// A decision and why it went the way it did.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The option picked (a yes/no decision: 0 no, 1 yes).
    pub option: u32,
    pub why: Why,
}

impl Decision {
    pub fn yes(&self) -> bool {
        self.option == YES
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Why {
    /// `do(node = value)`.
    Forced,
    /// Drew `u` against `p` (`u` is NaN when `p` is 0 or 1: no draw).
    Chance {
        p: f64,
        u: f64,
    },
    /// A format-2 process's chance per step: the waiting time drawn for its
    /// next firing ran out at this step (`fires`) or not yet.
    Hazard {
        p: f64,
        fires: bool,
    },
    Condition,
    Threshold {
        quantity: f64,
        limit: f64,
        below: bool,
    },
    /// The sum of the terms; on the log-odds scale, the chance it gives and
    /// the uniform drawn; on a utility scale, the bar.
    Weighed {
        score: f64,
        p: Option<f64>,
        u: f64,
        bar: Option<(f64, bool)>,
    },
    /// Followed patron `follows` (by index), whose wish was `wants`, if its
    /// pull bound (`u` below the slice of the pulls); else its own preference.
    Dependence {
        follows: Option<usize>,
        pull: f64,
        u: f64,
        wants: bool,
    },
    /// `case`: the case acted on, if the closest was similar enough.
    Analogy {
        case: Option<usize>,
        closest: usize,
        similarity: f64,
        needed: f64,
    },
    /// Picked by utility or weight; `u` is the uniform (NaN for `best`).
    Choice {
        u: f64,
    },
    /// `yes` members said yes; `needed` carry it.
    Council {
        yes: u32,
        needed: u32,
    },
}

/// What a rule reads while deciding, borrowed from the workspace.
pub struct Ctx<'w> {
    pub slots: &'w [f64],
    pub stack: &'w mut Stack,
    pub lanes: &'w mut Lanes,
    pub scratch: &'w mut Vec<f64>,
    pub branch: u64,
    /// The node's step (a process's count of steps so far).
    pub step: u32,
}

impl Ctx<'_> {
    fn uniform(&mut self, lane: Option<u32>) -> f64 {
        let lane = lane.expect("drawing rules have lanes") + self.step; // ok: compile gives every drawing rule lanes
        self.lanes.uniform(lane as usize, self.branch)
    }

    fn probability(&self, node: &Node, v: f64, what: &str) -> Result<f64, RunError> {
        if (0.0..=1.0).contains(&v) {
            Ok(v)
        } else {
            Err(RunError {
                branch: self.branch,
                message: format!("the {what} of `{}` is {v}, outside [0, 1]", node.id),
            })
        }
    }

    fn fail(&self, message: String) -> RunError {
        RunError {
            branch: self.branch,
            message,
        }
    }
}

/// Decides by `rule` (the node's, or a council member's with its `lane`).
/// A chance rule's probability may be given already (`p`, remembered by
/// the engine between steps).
pub fn decide<T: Trace>(
    p: &Program,
    node: &Node,
    rule: &Rule,
    lane: Option<u32>,
    given_p: Option<f64>,
    c: &mut Ctx,
    trace: &mut T,
) -> Result<Decision, RunError> {
    let yes_no = |yes: bool, why: Why| Decision {
        option: u32::from(yes),
        why,
    };
    Ok(match rule {
        Rule::Chance { p: code } => {
            let v = given_p.unwrap_or_else(|| code.eval(c.slots, c.stack));
            let pv = c.probability(node, v, "probability")?;
            // A certain outcome needs no draw: lanes are independent, so
            // skipping one changes no other value.
            let (yes, u) = match pv {
                0.0 => (false, f64::NAN),
                1.0 => (true, f64::NAN),
                _ => {
                    let u = c.uniform(lane);
                    (u < pv, u)
                }
            };
            yes_no(yes, Why::Chance { p: pv, u })
        }
        Rule::Condition { holds } => yes_no(holds.eval(c.slots, c.stack) != 0.0, Why::Condition),
        Rule::Threshold {
            quantity, limit, below, ..
        } => {
            let (q, l) = (quantity.eval(c.slots, c.stack), limit.eval(c.slots, c.stack));
            let yes = if *below { q < l } else { q > l };
            yes_no(
                yes,
                Why::Threshold {
                    quantity: q,
                    limit: l,
                    below: *below,
                },
            )
        }
        Rule::Weighed(w) => match &w.bar {
            Some((limit, below)) => {
                let score = w.p.eval(c.slots, c.stack);
                let l = limit.eval(c.slots, c.stack);
                let yes = if *below { score < l } else { score > l };
                yes_no(
                    yes,
                    Why::Weighed {
                        score,
                        p: None,
                        u: f64::NAN,
                        bar: Some((l, *below)),
                    },
                )
            }
            None => {
                let v = given_p.unwrap_or_else(|| w.p.eval(c.slots, c.stack));
                let pv = c.probability(node, v, "chance (the logistic of its terms)")?;
                let u = match pv {
                    0.0 | 1.0 => f64::NAN,
                    _ => c.uniform(lane),
                };
                let yes = pv == 1.0 || u < pv;
                yes_no(
                    yes,
                    Why::Weighed {
                        // Shown only when traced: a logarithm per decision is
                        // worth skipping in a run.
                        score: if T::SILENT { f64::NAN } else { (pv / (1.0 - pv)).ln() },
                        p: Some(pv),
                        u,
                        bar: None,
                    },
                )
            }
        },
        Rule::Dependence(d) => {
            let u = c.uniform(lane);
            let own = d.own.eval(c.slots, c.stack) != 0.0;
            match d.combine {
                Combine::InOrder => {
                    // Patron i's slice: its pull, from what the earlier ones left.
                    let (mut start, mut left) = (0.0, 1.0);
                    let mut picked = None;
                    for (i, patron) in d.patrons.iter().enumerate() {
                        let v = patron.dependence.eval(c.slots, c.stack);
                        let dep = c.probability(node, v, "dependence")?;
                        let slice = if i == 0 { dep } else { left * dep };
                        if picked.is_none() && u < start + slice {
                            picked = Some((i, patron.wants.eval(c.slots, c.stack) != 0.0));
                        }
                        start += slice;
                        left *= 1.0 - dep;
                    }
                    let (yes, wants) = match picked {
                        Some((_, wants)) => (wants, wants),
                        None => (own, own),
                    };
                    yes_no(
                        yes,
                        Why::Dependence {
                            follows: picked.map(|(i, _)| i),
                            pull: start,
                            u,
                            wants,
                        },
                    )
                }
                Combine::Together => {
                    let mut free = 1.0;
                    let mut wishes = (false, false);
                    for patron in &d.patrons {
                        let v = patron.dependence.eval(c.slots, c.stack);
                        free *= 1.0 - c.probability(node, v, "dependence")?;
                        match patron.wants.eval(c.slots, c.stack) != 0.0 {
                            true => wishes.0 = true,
                            false => wishes.1 = true,
                        }
                    }
                    let pull = 1.0 - free;
                    let agree = wishes.0 != wishes.1;
                    let follows = agree && u < pull;
                    let yes = if follows { wishes.0 } else { own };
                    yes_no(
                        yes,
                        Why::Dependence {
                            follows: follows.then_some(0),
                            pull,
                            u,
                            wants: wishes.0,
                        },
                    )
                }
            }
        }
        Rule::Analogy(a) => {
            c.scratch.clear();
            for (_, code) in &a.features {
                let x = code.eval(c.slots, c.stack);
                c.scratch.push(x);
            }
            let xs = &c.scratch[..];
            let mut best = (0usize, f64::NEG_INFINITY);
            for (i, case) in a.cases.iter().enumerate() {
                let dist: f64 = xs.iter().zip(&case.values).map(|(x, v)| (x - v).abs()).sum();
                let sim = 1.0 - dist / xs.len() as f64;
                if sim > best.1 {
                    best = (i, sim);
                }
            }
            let needed = a.similarity.eval(c.slots, c.stack);
            let (case, option) = if best.1 >= needed {
                (Some(best.0), a.cases[best.0].lesson)
            } else {
                let option = match &a.otherwise {
                    Lesson::Option(o) => *o,
                    Lesson::Code(code) => u32::from(code.eval(c.slots, c.stack) != 0.0),
                };
                (None, option)
            };
            Decision {
                option,
                why: Why::Analogy {
                    case,
                    closest: best.0,
                    similarity: best.1,
                    needed,
                },
            }
        }
        Rule::Choice(ch) => {
            c.scratch.clear();
            for (score, _) in &ch.scores {
                let s = score.eval(c.slots, c.stack);
                c.scratch.push(s);
            }
            if ch.select == Select::Best {
                let mut best = 0;
                for (i, s) in c.scratch.iter().enumerate() {
                    if *s > c.scratch[best] {
                        best = i;
                    }
                }
                return Ok(Decision {
                    option: best as u32,
                    why: Why::Choice { u: f64::NAN },
                });
            }
            if ch.select == Select::Softmax {
                let t = ch.temperature.as_ref().map_or(1.0, |t| t.eval(c.slots, c.stack));
                if !(t > 0.0 && t.is_finite()) {
                    return Err(c.fail(format!("the temperature of `{}` is {t}; it must be above 0", node.id)));
                }
                let top = c.scratch.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                for s in c.scratch.iter_mut() {
                    *s = ((*s - top) / t).exp();
                }
            }
            let total: f64 = c.scratch.iter().sum();
            if !(total > 0.0 && total.is_finite()) || c.scratch.iter().any(|w| w.is_nan() || *w < 0.0) {
                return Err(c.fail(format!(
                    "the weights of `{}`'s options are {:?}; they must be 0 or more, and not all 0",
                    node.id, c.scratch
                )));
            }
            let u = c.uniform(lane);
            let target = u * total;
            let mut acc = 0.0;
            let mut option = c.scratch.len() - 1;
            for (i, w) in c.scratch.iter().enumerate() {
                acc += w;
                if target < acc {
                    option = i;
                    break;
                }
            }
            Decision {
                option: option as u32,
                why: Why::Choice { u },
            }
        }
        Rule::Council(council) => {
            let mut yes = 0;
            for (k, m) in council.members.iter().enumerate() {
                let d = decide(p, node, &m.rule, m.lane, None, c, trace)?;
                trace.member(p, node, k, &d, c.slots);
                yes += u32::from(d.yes());
            }
            yes_no(
                yes >= council.needs,
                Why::Council {
                    yes,
                    needed: council.needs,
                },
            )
        }
    })
}
