//! The compiled scenario: slot-indexed code for every condition, quantity
//! and effect, checked once before the first branch runs.

mod build;
mod names;
mod nodes;
pub use nodes::window;
mod rules;

pub use build::{MAX_BRANCHES, MAX_MONTHS, MAX_STEPS, check_branches_arg, compile};

use crate::engine::dist::Dist;
use crate::expr::{Code, Type};
use crate::scenario::Change;
use crate::scenario::date::Month;
use std::path::PathBuf;

/// Slot 0 holds `now`: months since the scenario start.
pub const NOW_SLOT: u32 = 0;

#[derive(Debug, Clone)]
pub struct Program {
    pub meta: Meta,
    /// Name and type of each slot; `initial` holds fixed values.
    pub slots: Vec<SlotInfo>,
    pub initial: Vec<f64>,
    pub params: Vec<Param>,
    pub actors: Vec<Actor>,
    pub beliefs: Vec<Belief>,
    /// Dated events, in date order.
    pub events: Vec<Node>,
    /// Monthly processes, in the order they run each month.
    pub processes: Vec<Node>,
    pub outcomes: Vec<Check>,
    pub flags: Vec<Check>,
    pub metrics: Vec<MetricCode>,
    pub stop_when: Option<Code>,
    /// The ChaCha stream of each lane (see `engine::rng`).
    pub lanes: Vec<u64>,
    pub changes: Vec<Change>,
}

#[derive(Debug, Clone)]
pub struct Meta {
    pub id: String,
    pub title: String,
    pub question: Option<String>,
    pub passage: Option<String>,
    pub prompts: Vec<String>,
    pub file: PathBuf,
    pub extends: Option<PathBuf>,
    pub start: Month,
    pub horizon: Month,
    pub seed: u64,
    pub branches: u64,
}

impl Meta {
    /// Number of monthly steps from start to horizon, inclusive.
    pub fn months(&self) -> usize {
        (self.horizon.since(self.start) + 1) as usize
    }
}

#[derive(Debug, Clone)]
pub struct SlotInfo {
    pub name: String,
    pub ty: Type,
}

#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub slot: u32,
    pub ty: Type,
    pub value: ParamValue,
    /// Low and high values for sensitivity analysis.
    pub range: Option<(f64, f64)>,
    pub doc: Option<String>,
    pub assumption: Option<String>,
}

#[derive(Debug, Clone)]
pub enum ParamValue {
    Fixed(f64),
    Drawn { dist: Dist, lane: u32 },
}

#[derive(Debug, Clone)]
pub struct Actor {
    pub id: String,
    pub name: String,
    pub role: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Belief {
    pub name: String,
    pub ty: Type,
    pub code: Code,
    pub doc: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Event,
    Process,
}

/// A dated event or a monthly process.
#[derive(Debug, Clone)]
pub struct Node {
    pub id: String,
    pub kind: NodeKind,
    pub label: String,
    pub actor: Option<String>,
    /// Event: its month. Process: the first month it may run.
    pub date: Month,
    /// Event: reached only if this holds. Process: runs while it holds.
    pub when: Code,
    /// 1 for an event.
    pub max_steps: u32,
    /// Months (since the start) in which the node can be reached at all:
    /// from its date, narrowed by comparisons of `now` with constants in
    /// its condition. The engine does not evaluate it outside them.
    pub window: (u32, u32),
    /// Whether the window narrows further once the branch's parameters are
    /// drawn (a comparison of `now` with a parameter).
    pub window_from_params: bool,
    /// Processes: inside its window, the condition depends only on
    /// parameters and state, so it keeps its value until an effect changes
    /// the state.
    pub steady: bool,
    /// Processes with a chance rule: where its probability can change with
    /// `now` (see `Code::breaks_on`), if it depends on time only that way.
    pub chance_breaks: Option<Box<[u32]>>,
    pub rule: Option<Rule>,
    /// `do(node = value)`: the decision is forced.
    pub forced: Option<bool>,
    pub then: Effects,
    pub otherwise: Effects,
    /// First lane of the node's draws (step `s` uses `lane + s`), if it draws.
    pub lane: Option<u32>,
    pub evidence: Option<String>,
}

impl Node {
    pub fn is_decision(&self) -> bool {
        self.rule.is_some() || self.forced.is_some()
    }
}

/// Assignments made together: every right side is evaluated first.
#[derive(Debug, Clone, Default)]
pub struct Effects {
    pub assigns: Vec<(u32, Code)>,
    /// The processes (by node index: events first, then processes) whose
    /// condition or chance probability reads a slot these effects write:
    /// what the engine remembers of them goes stale.
    pub stales: Box<[u32]>,
}

#[derive(Debug, Clone)]
pub enum Rule {
    Chance {
        p: Code,
    },
    Condition {
        holds: Code,
    },
    /// The texts are kept for the narrative.
    Threshold {
        quantity: Code,
        limit: Code,
        below: bool,
        quantity_text: String,
        limit_text: String,
    },
    Dependence {
        patron: String,
        wants: Code,
        dependence: Code,
        own: Code,
    },
    Analogy(Analogy),
}

impl Rule {
    pub fn kind(&self) -> &'static str {
        match self {
            Rule::Chance { .. } => "chance",
            Rule::Condition { .. } => "condition",
            Rule::Threshold { .. } => "threshold",
            Rule::Dependence { .. } => "dependence",
            Rule::Analogy(_) => "analogy",
        }
    }

    /// Whether deciding draws a uniform.
    pub fn draws(&self) -> bool {
        matches!(self, Rule::Chance { .. } | Rule::Dependence { .. })
    }
}

#[derive(Debug, Clone)]
pub struct Analogy {
    pub features: Vec<(String, Code)>,
    pub cases: Vec<Case>,
    pub similarity: Code,
    pub otherwise: Code,
}

#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    /// One value per feature, in the order of `Analogy::features`.
    pub values: Vec<f64>,
    pub lesson: bool,
    pub why: Option<String>,
}

/// An outcome or a flag.
#[derive(Debug, Clone)]
pub struct Check {
    pub id: String,
    pub label: String,
    pub when: Code,
}

#[derive(Debug, Clone)]
pub struct MetricCode {
    pub id: String,
    pub label: String,
    pub value: Code,
    pub when: Option<Code>,
}

impl Program {
    /// A copy with parameter `name` pinned to `value` (for sweeps and
    /// sensitivity; every other node keeps its noise).
    pub fn with_param(&self, name: &str, value: f64) -> Result<Program, String> {
        let mut p = self.clone();
        let known: Vec<&str> = self.params.iter().map(|x| x.name.as_str()).collect();
        let param = p.params.iter_mut().find(|x| x.name == name).ok_or_else(|| {
            format!(
                "no parameter named `{name}` ({})",
                crate::scenario::suggest(name, &known)
            )
        })?;
        if param.ty == Type::Bool && value != 0.0 && value != 1.0 {
            return Err(format!("`{name}` is true/false; vary it over true,false"));
        }
        param.value = ParamValue::Fixed(value);
        p.initial[param.slot as usize] = value;
        Ok(p)
    }
}
