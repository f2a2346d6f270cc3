//! The compiled scenario: slot-indexed code for every condition, quantity
//! and effect, and the timing of every node in ticks, checked once before
//! the first branch runs.

mod analysis;
mod beliefs;
mod build;
mod fork;
pub use fork::{PinPoints, PinRead};
mod names;
mod nodes;
mod options;
mod params;
mod rules;
mod timing;
pub use nodes::window;

pub use build::{DEFAULT_BRANCHES, MAX_BRANCHES, MAX_LANES, MAX_STEPS, check_branches_arg, compile};

use crate::engine::dist::Dist;
use crate::expr::{Code, Type};
use crate::scenario::Change;
use crate::time::{Clock, Duration};
use std::path::PathBuf;

/// Slot 0 holds `now`: ticks since the scenario start.
pub const NOW_SLOT: u32 = 0;

#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    pub meta: Meta,
    /// Name and type of each slot; `initial` holds fixed values.
    pub slots: Vec<SlotInfo>,
    pub initial: Vec<f64>,
    pub params: Vec<Param>,
    pub actors: Vec<Actor>,
    pub beliefs: Vec<Belief>,
    /// The lists of named values that enumerated state variables hold.
    pub enums: Vec<Vec<String>>,
    /// Dated events: those with a fixed date first, in date order, then
    /// the rest in file order.
    pub events: Vec<Node>,
    /// Processes, in the order they run within a tick.
    pub processes: Vec<Node>,
    pub outcomes: Vec<Check>,
    pub flags: Vec<Check>,
    pub metrics: Vec<MetricCode>,
    pub stop_when: Option<Code>,
    /// The ChaCha stream of each lane (see `engine::rng`).
    pub lanes: Vec<u64>,
    pub changes: Vec<Change>,
    /// What `sim check` warns about: nothing reads it, a no-op intervention.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Meta {
    pub id: String,
    pub title: String,
    pub question: Option<String>,
    pub passage: Option<String>,
    pub prompts: Vec<String>,
    /// The result history recorded (an index into `outcomes`), if given.
    pub recorded: Option<usize>,
    pub file: PathBuf,
    pub extends: Option<PathBuf>,
    pub clock: Clock,
    pub seed: u64,
    pub branches: u64,
}

impl Meta {
    /// Number of ticks from start to horizon, inclusive.
    pub fn ticks(&self) -> usize {
        self.clock.last as usize + 1
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SlotInfo {
    pub name: String,
    pub ty: Type,
}

#[derive(Debug, Clone, PartialEq)]
#[repr(C)]
pub struct Param {
    pub value: ParamValue,
    pub slot: u32,
    pub ty: Type,
    /// Low and high values for sensitivity analysis.
    pub range: Option<(f64, f64)>,
    pub name: String,
    pub doc: Option<String>,
    pub assumption: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    Fixed(f64),
    Drawn { dist: Dist, lane: u32 },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Actor {
    pub id: String,
    pub name: String,
    pub role: Option<String>,
    pub doc: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Belief {
    pub name: String,
    pub ty: Type,
    pub code: Code,
    pub doc: Option<String>,
    /// An expression belief: the expression, as written.
    pub value: Option<String>,
    /// A prior moved by signals: the prior, as written.
    pub prior: Option<String>,
    /// Its signals, as written (for `sim list`).
    pub signals: Vec<SignalInfo>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SignalInfo {
    pub id: Option<String>,
    pub when: String,
    pub shift: String,
    pub why: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Event,
    Process,
}

/// When a node is due.
#[derive(Debug, Clone, PartialEq)]
pub enum Timing {
    /// At a fixed tick (an event), or from it (a process).
    At(u32),
    /// At a tick computed from the parameters as the branch starts.
    AtExpr(Code),
    /// After another node (by index: events, then processes) first fires,
    /// or first picks `option`, plus a delay.
    After {
        anchor: u32,
        option: Option<u32>,
        delay: Delay,
        /// The delay as written, for outputs.
        delay_text: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Delay {
    Ticks(u32),
    /// A calendar duration (months against a tick of fixed length).
    Calendar(Duration),
    /// An expression in ticks, rounded up to a whole tick.
    Expr(Code),
}

/// The time between the steps of a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Ticks(u32),
    Calendar(Duration),
}

/// The end of a process's run or an event's watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    Tick(u32),
    /// A duration from the node's start.
    Within(Duration),
}

/// A dated event or a process.
///
/// Laid out in the order written from the start of a cache line (`repr(C,
/// align(64))`): what the engine reads at every step first, so a step
/// touches few cache lines; the texts last.
#[derive(Debug, Clone, PartialEq)]
#[repr(C, align(64))]
pub struct Node {
    pub rule: Option<Box<Rule>>,
    /// Nodes timed after this one (by index): scheduled when it fires.
    pub followers: Box<[u32]>,
    /// Named options, each with its effects; empty for a yes/no decision.
    pub options: Vec<Choice>,
    /// `do(node = value)`: the option forced (a yes/no decision: 0 no, 1 yes).
    pub forced: Option<u32>,
    /// First lane of the node's draws (step `s` uses `lane + s`), if it draws.
    pub lane: Option<u32>,
    /// 1 for an event.
    pub max_steps: u32,
    /// Ticks in which the node can be reached at all, from its timing,
    /// narrowed by comparisons of `now` with constants in its condition.
    /// The engine does not evaluate it outside them.
    pub window: (u32, u32),
    pub kind: NodeKind,
    /// A format-2 process deciding by a chance per step: one waiting-time
    /// draw per firing instead of one draw per step.
    pub hazard: bool,
    /// Processes and watched events: inside its window, the condition
    /// depends only on parameters and state, so it keeps its value until an
    /// effect changes the state.
    pub steady: bool,
    /// Whether the window narrows further once the branch's parameters are
    /// drawn (a comparison of `now` with a parameter).
    pub window_from_params: bool,
    pub then: Effects,
    pub otherwise: Effects,
    /// Event: reached only if this holds. Process: runs while it holds.
    pub when: Code,
    /// Processes with a chance rule: where its probability can change with
    /// `now` (see `Code::breaks_on`), if it depends on time only that way.
    pub chance_breaks: Option<Box<[u32]>>,
    /// Processes: the time between steps. Events: `None`.
    pub every: Option<Period>,
    /// A process's last tick, or how long an event is watched for (a
    /// watched event happens at the first tick its condition holds).
    pub until: Option<Until>,
    pub timing: Timing,
    pub id: String,
    pub label: String,
    pub actor: Option<String>,
    /// What one step is called in narratives: "month", "day", "2-hour step".
    pub step_name: String,
    /// A process's period as written, for outputs: "month", "day", "2 hours".
    pub every_text: String,
    pub evidence: Option<String>,
}

impl Node {
    pub fn is_decision(&self) -> bool {
        self.rule.is_some() || self.forced.is_some()
    }

    /// The effects of picking `option` (a yes/no decision: 1 is yes).
    pub fn effects(&self, option: u32) -> &Effects {
        match self.options.get(option as usize) {
            Some(c) => &c.effects,
            None if option == YES => &self.then,
            None => &self.otherwise,
        }
    }

    /// The effects of each option, by option (a yes/no decision: no, then yes).
    pub fn option_effects(&self) -> impl Iterator<Item = &Effects> {
        let options = if self.options.is_empty() { 2 } else { self.options.len() };
        (0..options as u32).map(|o| self.effects(o))
    }

    /// Whether picking `option` counts as the node firing.
    pub fn fires(&self, option: u32) -> bool {
        !self.options.is_empty() || option == YES
    }

    /// How a decision reads: an option's id, or yes/no.
    pub fn option_name(&self, option: u32) -> &str {
        match self.options.get(option as usize) {
            Some(c) => &c.id,
            None if option == YES => "yes",
            None => "no",
        }
    }

    /// Whether the node is watched: due at every tick of a window until
    /// its condition holds.
    pub fn is_watched(&self) -> bool {
        self.kind == NodeKind::Event && self.until.is_some()
    }
}

/// The option index of "yes" (and of "no", 0) in a yes/no decision.
pub const YES: u32 = 1;

/// One named option of a decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub id: String,
    pub label: String,
    pub effects: Effects,
}

/// Assignments made together: every right side is evaluated first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Effects {
    pub assigns: Vec<(u32, Assign)>,
    /// The nodes (by index: events first, then processes) whose condition
    /// or chance probability reads a slot these effects write: what the
    /// engine remembers of them goes stale.
    pub stales: Box<[u32]>,
}

/// The right side of an effect.
#[derive(Debug, Clone, PartialEq)]
pub enum Assign {
    Code(Code),
    /// A fresh draw from a distribution, on its own lanes (one per step).
    Draw {
        dist: Dist,
        lane: u32,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// Yes with probability `p`.
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
    /// Named terms summed: on the log-odds scale, yes with probability
    /// `p` (the logistic of the sum); on a utility scale, yes when the sum
    /// passes the bar.
    Weighed(Weighed),
    Dependence(Dependence),
    Analogy(Analogy),
    /// Picks one of the node's options by their utilities or weights.
    Choice(ChoiceRule),
    /// Members decide by their own rules; yes when enough say yes.
    Council(Council),
}

impl Rule {
    pub fn kind(&self) -> &'static str {
        match self {
            Rule::Chance { .. } => "chance",
            Rule::Condition { .. } => "condition",
            Rule::Threshold { .. } => "threshold",
            Rule::Weighed(_) => "weighed",
            Rule::Dependence(_) => "dependence",
            Rule::Analogy(_) => "analogy",
            Rule::Choice(_) => "choice",
            Rule::Council(_) => "council",
        }
    }

    /// Whether deciding draws a uniform from the node's own lanes.
    pub fn draws(&self) -> bool {
        match self {
            Rule::Chance { .. } | Rule::Dependence(_) => true,
            Rule::Weighed(w) => w.bar.is_none(),
            Rule::Choice(c) => c.select != Select::Best,
            _ => false,
        }
    }

    /// The probability of yes, for rules that decide by one chance.
    pub fn chance(&self) -> Option<&Code> {
        match self {
            Rule::Chance { p } => Some(p),
            Rule::Weighed(Weighed { p, bar: None, .. }) => Some(p),
            _ => None,
        }
    }
}

/// One named, weighted term: its value times its weight.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    pub id: String,
    pub value: Code,
    pub weight: Code,
    pub why: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Weighed {
    pub base: Code,
    pub terms: Vec<Term>,
    /// The sum (log-odds scale: its logistic), compiled as one expression.
    pub p: Code,
    /// Utility scale: the bar, and whether the sum must be below it.
    pub bar: Option<(Code, bool)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Dependence {
    pub patrons: Vec<PatronRule>,
    pub combine: Combine,
    pub own: Code,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PatronRule {
    pub actor: String,
    pub wants: Code,
    pub dependence: Code,
}

/// How the pulls of several patrons combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combine {
    /// Patrons in the order listed: the actor follows the first whose pull
    /// binds (one uniform cut into slices).
    InOrder,
    /// The actor follows the patrons only where they agree, with the chance
    /// that at least one pull binds; where they disagree, its own preference.
    Together,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Analogy {
    pub features: Vec<(String, Code)>,
    pub cases: Vec<Case>,
    pub similarity: Code,
    /// No case is similar enough: a yes/no expression, or an option.
    pub otherwise: Lesson,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Lesson {
    /// An option (a yes/no decision: 0 no, 1 yes).
    Option(u32),
    /// A yes/no expression (the default of a yes/no analogy).
    Code(Code),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub name: String,
    /// One value per feature, in the order of `Analogy::features`.
    pub values: Vec<f64>,
    /// The option the case teaches (yes/no: 1 is act).
    pub lesson: u32,
    pub why: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Select {
    /// The option of highest utility (the first among equals).
    Best,
    /// Chance of each option proportional to exp(utility / temperature).
    Softmax,
    /// Chance of each option proportional to its weight.
    Weighted,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChoiceRule {
    pub select: Select,
    /// Per option: its utility or weight, and its terms (for the narrative).
    pub scores: Vec<(Code, Vec<Term>)>,
    pub temperature: Option<Code>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Council {
    pub members: Vec<Member>,
    /// How many yes votes carry it.
    pub needs: u32,
    /// How `needs` was written, for the narrative ("all", "majority", ...).
    pub needs_text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub actor: String,
    pub rule: Rule,
    /// First lane of this member's draws (step `s` uses `lane + s`).
    pub lane: Option<u32>,
}

/// An outcome or a flag.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub id: String,
    pub label: String,
    pub when: Code,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MetricCode {
    pub id: String,
    pub label: String,
    pub value: Code,
    pub when: Option<Code>,
}

impl Program {
    /// All nodes, events first: the order of node indices.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.events.iter().chain(&self.processes)
    }

    /// The sizes of what its branches record.
    pub fn shape(&self) -> crate::stats::Shape {
        crate::stats::Shape {
            outcomes: self.outcomes.len(),
            flags: self.flags.len(),
            metrics: self.metrics.len(),
            options: self.nodes().map(|n| n.options.len() as u32).collect(),
        }
    }

    pub fn node(&self, index: u32) -> &Node {
        let i = index as usize;
        match self.events.get(i) {
            Some(n) => n,
            None => &self.processes[i - self.events.len()],
        }
    }

    /// The same program with every engine shortcut stripped (process
    /// windows, steady conditions, chance breaks): what the tests and the
    /// fuzzer compare the fast engine with.
    pub fn without_shortcuts(&self) -> Program {
        let mut plain = self.clone();
        let last = plain.meta.clock.last;
        for n in plain.processes.iter_mut() {
            let first = match n.timing {
                Timing::At(t) => t,
                _ => 0,
            };
            n.window = (first, last);
            n.window_from_params = false;
            n.steady = false;
            n.chance_breaks = None;
        }
        plain
    }

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
