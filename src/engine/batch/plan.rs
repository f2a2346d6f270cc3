//! What the batch engine needs of a program, found once: whether its
//! timing is the same in every branch, the nodes due at each tick, and its
//! conditions, rules, effects and results over columns.

use super::super::dist::Dist;
use super::super::schedule::{grid, grid_from};
use super::rules::{Analogy, Dependence};
use crate::expr::Code;
use crate::expr::columns::ColumnCode;
use crate::expr::masks::MaskCode;
use crate::program::{Assign, Effects, NOW_SLOT, Node, NodeKind, ParamValue, Program, Rule, Timing, Until};

/// What the batch engine needs of a program, found once; `None` from
/// [`Plan::new`] when the program's timing can differ between branches.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Per node (events, then processes): its condition over columns, and
    /// the slots its rule and effects read (copied out for one branch).
    pub(super) when: Vec<MaskCode>,
    pub(super) reads: Vec<Box<[u32]>>,
    /// Per node: whether its condition keeps its value until an effect
    /// makes it stale (a steady process with a window of its own).
    pub(super) steady: Vec<bool>,
    /// Per node: whether saying no changes nothing but the step count (a
    /// yes/no process with no `else` effects: a no is not in the path).
    pub(super) quiet_no: Vec<bool>,
    /// Per node: how it decides, and the ticks where a chance can change
    /// with `now` alone (`None`: at any tick).
    pub(super) decide: Vec<Decider>,
    pub(super) breaks: Vec<Option<Box<[u32]>>>,
    /// Per node and option (a yes/no decision: no, then yes): its effects.
    pub(super) effects: Vec<Vec<Vec<(u32, Effect)>>>,
    /// Per slot: the nodes whose remembered condition, and whose
    /// remembered chance, an effect writing it makes stale.
    pub(super) holds_readers: Vec<Box<[u32]>>,
    pub(super) chance_readers: Vec<Box<[u32]>>,
    /// Per tick: the nodes due, in node order (events, then processes).
    pub(super) due: Vec<Box<[u32]>>,
    /// The result outcomes, flags and metrics (value, and when present) over columns.
    pub(super) outcomes: Vec<MaskCode>,
    pub(super) flags: Vec<MaskCode>,
    pub(super) metrics: Vec<(ColumnCode, Option<MaskCode>)>,
    pub(super) stop: Option<MaskCode>,
    pub(super) stop_reads_now: bool,
    /// The slots a batch changes (`now`, drawn parameters, the slots
    /// effects write), set back to their initial values at its start; the
    /// others keep them throughout.
    pub(super) changing: Box<[u32]>,
}

impl Plan {
    pub fn new(p: &Program) -> Option<Plan> {
        let clock = &p.meta.clock;
        // Counts of steps are summed over a batch in 32 bits (see `records`).
        if p.meta.ticks() >= 1 << 25 {
            return None;
        }
        let changing = changing(p);
        // Every other slot keeps its initial value throughout a batch: code
        // reads it as a constant.
        let fixed = |s: u32| changing.binary_search(&s).is_err().then(|| p.initial[s as usize]);
        let (column, mask) = (
            |code: &Code| ColumnCode::with_fixed(code, &fixed),
            |code: &Code| MaskCode::with_fixed(code, &fixed),
        );
        let (mut when, mut reads) = (Vec::new(), Vec::new());
        let mut due: Vec<Vec<u32>> = vec![Vec::new(); p.meta.ticks()];
        let (mut steady, mut decide, mut breaks, mut effects) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut quiet_no = Vec::new();
        for (i, node) in p.nodes().enumerate() {
            let Timing::At(at) = node.timing else { return None };
            if !node.followers.is_empty() || node.hazard || node.is_watched() || node.max_steps == 0 {
                return None;
            }
            let ticks: Vec<u32> = match node.kind {
                NodeKind::Event => [at].into_iter().filter(|&t| t <= clock.last).collect(),
                NodeKind::Process => {
                    node.every?;
                    // As `Workspace::start` bounds the run.
                    let end = match node.until {
                        Some(Until::Tick(t)) => t,
                        Some(Until::Within(d)) => u32::try_from(clock.after(at, d) - 1).unwrap_or(u32::MAX),
                        None => clock.last,
                    };
                    let (first, last) = (at.max(node.window.0), end.min(node.window.1).min(clock.last));
                    let mut k = grid_from(node, clock, at, first);
                    let mut ticks = Vec::new();
                    loop {
                        let t = grid(node, clock, at, k);
                        if t > last || first > last {
                            break;
                        }
                        // Two steps in one tick: left to the event-driven engine.
                        if ticks.last().is_some_and(|&l| l >= t) {
                            return None;
                        }
                        ticks.push(t);
                        k += 1;
                    }
                    ticks
                }
            };
            when.push(mask(&node.when)?);
            steady.push(node.kind == NodeKind::Process && node.steady && !node.window_from_params);
            quiet_no
                .push(node.kind == NodeKind::Process && node.options.is_empty() && node.otherwise.assigns.is_empty());
            decide.push(Decider::new(node, &column, &mask)?);
            breaks.push(node.chance_breaks.clone());
            effects.push(
                node.option_effects()
                    .map(|e| Effect::list(e, &column))
                    .collect::<Option<_>>()?,
            );
            let mut codes = Vec::new();
            if let Some(rule) = node.rule.as_deref() {
                rule.codes(&mut codes);
            }
            let mut slots: Vec<u32> = codes.iter().flat_map(|c| c.loads()).collect();
            slots.sort_unstable();
            slots.dedup();
            reads.push(slots.into());
            for t in ticks {
                due[t as usize].push(i as u32);
            }
        }
        let mut holds_readers = vec![Vec::new(); p.slots.len()];
        let mut chance_readers = vec![Vec::new(); p.slots.len()];
        for (i, node) in p.nodes().enumerate() {
            if steady[i] {
                node.when.loads().for_each(|s| holds_readers[s as usize].push(i as u32));
            }
            if let (Decider::Chance { .. }, Some(code)) = (&decide[i], node.rule.as_deref().and_then(Rule::chance)) {
                code.loads().for_each(|s| chance_readers[s as usize].push(i as u32));
            }
        }
        let lists = |v: Vec<Vec<u32>>| -> Vec<Box<[u32]>> {
            v.into_iter()
                .map(|mut l| {
                    l.dedup();
                    l.into()
                })
                .collect()
        };
        let stop = match &p.stop_when {
            Some(code) => Some(mask(code)?),
            None => None,
        };
        Some(Plan {
            when,
            reads,
            steady,
            quiet_no,
            decide,
            breaks,
            effects,
            holds_readers: lists(holds_readers),
            chance_readers: lists(chance_readers),
            due: due.into_iter().map(Vec::into_boxed_slice).collect(),
            outcomes: p.outcomes.iter().map(|o| mask(&o.when)).collect::<Option<_>>()?,
            flags: p.flags.iter().map(|f| mask(&f.when)).collect::<Option<_>>()?,
            metrics: p
                .metrics
                .iter()
                .map(|m| {
                    let when = match &m.when {
                        Some(w) => Some(mask(w)?),
                        None => None,
                    };
                    Some((column(&m.value)?, when))
                })
                .collect::<Option<_>>()?,
            stop,
            stop_reads_now: p.stop_when.as_ref().is_some_and(|s| s.reads(NOW_SLOT)),
            changing: changing.into_boxed_slice(),
        })
    }
}

impl Plan {
    /// How many nodes decide branch by branch, through `decide` (the
    /// others decide over columns).
    pub fn decided_branch_by_branch(&self) -> usize {
        self.decide.iter().filter(|d| matches!(d, Decider::EachBranch)).count()
    }

    /// The first place in the timeline where a node that `wanted` picks
    /// comes due: its tick and its position among the nodes due then.
    pub fn first_due(&self, wanted: impl Fn(u32) -> bool) -> Option<(u32, usize)> {
        self.due
            .iter()
            .enumerate()
            .find_map(|(t, due)| due.iter().position(|&i| wanted(i)).map(|n| (t as u32, n)))
    }

    /// The last place in the timeline where a node that `wanted` picks
    /// comes due, as [`Self::first_due`] gives the first.
    pub fn last_due(&self, wanted: impl Fn(u32) -> bool) -> Option<(u32, usize)> {
        self.due
            .iter()
            .enumerate()
            .rev()
            .find_map(|(t, due)| due.iter().rposition(|&i| wanted(i)).map(|n| (t as u32, n)))
    }

    /// The node due at place `(t, n)` of the timeline.
    pub fn due_at(&self, (t, n): (u32, usize)) -> u32 {
        self.due[t as usize][n]
    }
}

/// The slots a batch changes (`now`, drawn parameters, the slots effects
/// write), in order.
fn changing(p: &Program) -> Vec<u32> {
    let effects = p.nodes().flat_map(|n| n.option_effects());
    let drawn = p.params.iter().filter(|q| matches!(q.value, ParamValue::Drawn { .. }));
    let mut changing: Vec<u32> = effects
        .flat_map(|e| e.assigns.iter().map(|&(slot, _)| slot))
        .chain([NOW_SLOT])
        .chain(drawn.map(|q| q.slot))
        .collect();
    changing.sort_unstable();
    changing.dedup();
    changing
}

/// How a node decides: over columns where the rule allows, else branch by
/// branch through `decide`.
#[derive(Debug, Clone)]
pub(super) enum Decider {
    /// Nothing to decide: it happens.
    Happens,
    Forced(u32),
    /// Yes with the probability `p` (a chance, or a weighed sum on the
    /// log-odds scale), by the uniform of the step's lane from `lane`.
    Chance {
        p: ColumnCode,
        lane: u32,
    },
    Condition(MaskCode),
    Dependence(Dependence),
    Analogy(Box<Analogy>),
    Threshold {
        quantity: ColumnCode,
        limit: ColumnCode,
        below: bool,
    },
    EachBranch,
}

impl Decider {
    pub(super) fn new(
        node: &Node,
        column: &dyn Fn(&Code) -> Option<ColumnCode>,
        mask: &dyn Fn(&Code) -> Option<MaskCode>,
    ) -> Option<Decider> {
        Some(match (node.forced, node.rule.as_deref()) {
            (Some(option), _) => Decider::Forced(option),
            (None, None) => Decider::Happens,
            (None, Some(rule)) => match rule {
                Rule::Condition { holds } => Decider::Condition(mask(holds)?),
                Rule::Threshold {
                    quantity, limit, below, ..
                } => Decider::Threshold {
                    quantity: column(quantity)?,
                    limit: column(limit)?,
                    below: *below,
                },
                // Where a part does not run over columns, branch by branch.
                Rule::Dependence(d) => {
                    Dependence::new(d, node.lane, column, mask).map_or(Decider::EachBranch, Decider::Dependence)
                }
                Rule::Analogy(a) => {
                    Analogy::new(a, column, mask).map_or(Decider::EachBranch, |a| Decider::Analogy(Box::new(a)))
                }
                _ => match rule.chance() {
                    Some(p) if node.options.is_empty() => Decider::Chance {
                        p: column(p)?,
                        lane: node.lane?,
                    },
                    _ => Decider::EachBranch,
                },
            },
        })
    }
}

/// The right side of an effect, over columns.
#[derive(Debug, Clone)]
pub(super) enum Effect {
    /// A value that is the same in every branch.
    Const(f64),
    Code(ColumnCode),
    /// A fresh draw, on the lane of the step (drawn branch by branch).
    Draw {
        dist: Dist,
        lane: u32,
    },
}

impl Effect {
    pub(super) fn list(effects: &Effects, column: &dyn Fn(&Code) -> Option<ColumnCode>) -> Option<Vec<(u32, Effect)>> {
        effects
            .assigns
            .iter()
            .map(|(slot, a)| {
                let e = match a {
                    Assign::Code(code) => {
                        let code = column(code)?;
                        code.constant().map_or(Effect::Code(code), Effect::Const)
                    }
                    Assign::Draw { dist, lane } => Effect::Draw {
                        dist: dist.clone(),
                        lane: *lane,
                    },
                };
                Some((*slot, e))
            })
            .collect()
    }
}
