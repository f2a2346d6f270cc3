//! The scenario file as written: serde types that keep every span, and
//! reject unknown keys. Meaning is checked later, in `program::build`.

use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use toml::Spanned;

mod short;
pub use short::{FromScalar, Short};

pub type Map<T> = BTreeMap<Spanned<String>, Spanned<T>>;

/// One scenario file.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Document {
    #[schemars(with = "Option<i64>")]
    pub format: Option<Spanned<i64>>,
    #[schemars(with = "Meta")]
    pub scenario: Spanned<Meta>,
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, Short<ParamDecl>>")]
    pub parameters: Map<Short<ParamDecl>>,
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, Short<StateDecl>>")]
    pub state: Map<Short<StateDecl>>,
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, Actor>")]
    pub actors: Map<Actor>,
    #[serde(default)]
    #[schemars(with = "Vec<Event>")]
    pub events: Vec<Spanned<Event>>,
    #[serde(default)]
    #[schemars(with = "Vec<Event>")]
    pub processes: Vec<Spanned<Event>>,
    #[serde(default)]
    #[schemars(with = "Vec<Outcome>")]
    pub outcomes: Vec<Spanned<Outcome>>,
    #[serde(default)]
    #[schemars(with = "Vec<Outcome>")]
    pub flags: Vec<Spanned<Outcome>>,
    #[serde(default)]
    #[schemars(with = "Vec<Metric>")]
    pub metrics: Vec<Spanned<Metric>>,
    /// Soft interventions: parameter overrides.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, Short<ParamDecl>>")]
    pub set: Map<Short<ParamDecl>>,
    /// Hard interventions: `event_id = true|false` or `"state.name" = value`.
    #[serde(default, rename = "do")]
    #[schemars(with = "BTreeMap<String, Scalar>")]
    pub interventions: Map<Scalar>,
    /// Ids of events or processes of the base scenario that this one removes.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub remove: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    #[schemars(with = "Option<String>")]
    pub id: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub title: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub question: Option<Spanned<String>>,
    /// The passage of the source that motivates the scenario.
    #[schemars(with = "Option<String>")]
    pub passage: Option<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub prompts: Vec<Spanned<String>>,
    /// The result history recorded (a result outcome's id): the report and
    /// `explain --sample` tell a branch that ends so.
    #[schemars(with = "Option<String>")]
    pub recorded: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub extends: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub start: Option<Spanned<String>>,
    #[schemars(with = "Option<String>")]
    pub horizon: Option<Spanned<String>>,
    #[schemars(with = "Option<i64>")]
    pub seed: Option<Spanned<i64>>,
    #[schemars(with = "Option<i64>")]
    pub branches: Option<Spanned<i64>>,
    /// The branch ends after the first tick in which this holds.
    #[schemars(with = "Option<ExprSrc>")]
    pub stop_when: Option<Spanned<ExprSrc>>,
    /// Format 2: the length of one tick (`month`, `day`, `2h`, ...).
    #[schemars(with = "Option<String>")]
    pub unit: Option<Spanned<String>>,
}

/// A parameter: a fixed number or flag, or a distribution drawn once a branch.
#[derive(Debug, Deserialize, Default, Clone, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParamDecl {
    #[schemars(with = "Option<Scalar>")]
    pub value: Option<Spanned<Scalar>>,
    #[schemars(with = "Option<Vec<f64>>")]
    pub uniform: Option<Spanned<Vec<f64>>>,
    #[schemars(with = "Option<Vec<f64>>")]
    pub beta: Option<Spanned<Vec<f64>>>,
    #[schemars(with = "Option<Vec<f64>>")]
    pub triangular: Option<Spanned<Vec<f64>>>,
    #[schemars(with = "Option<Vec<f64>>")]
    pub normal: Option<Spanned<Vec<f64>>>,
    /// Truncation range for `normal`.
    #[schemars(with = "Option<Vec<f64>>")]
    pub within: Option<Spanned<Vec<f64>>>,
    #[schemars(with = "Option<f64>")]
    pub bernoulli: Option<Spanned<f64>>,
    /// Low and high values for sensitivity analysis of a fixed parameter.
    #[schemars(with = "Option<Vec<f64>>")]
    pub range: Option<Spanned<Vec<f64>>>,
    pub doc: Option<String>,
    /// Why this number, when the source does not give it.
    pub assumption: Option<String>,
}

#[derive(Debug, Deserialize, Default, Clone, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StateDecl {
    #[schemars(with = "Option<Scalar>")]
    pub initial: Option<Spanned<Scalar>>,
    /// Format 2: the named values the variable may hold (`initial` is one).
    #[schemars(with = "Option<Vec<String>>")]
    pub values: Option<Spanned<Vec<Spanned<String>>>>,
    pub doc: Option<String>,
}

#[derive(Debug, Deserialize, Default, Clone, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    pub name: Option<String>,
    pub role: Option<String>,
    pub doc: Option<String>,
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, Short<ParamDecl>>")]
    pub parameters: Map<Short<ParamDecl>>,
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, Short<BeliefDecl>>")]
    pub beliefs: Map<Short<BeliefDecl>>,
}

/// A belief: an expression, or a prior moved by signals on the log-odds scale.
#[derive(Debug, Deserialize, Default, Clone, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BeliefDecl {
    #[schemars(with = "Option<ExprSrc>")]
    pub value: Option<Spanned<ExprSrc>>,
    #[schemars(with = "Option<ExprSrc>")]
    pub prior: Option<Spanned<ExprSrc>>,
    #[serde(default)]
    #[schemars(with = "Vec<Signal>")]
    pub signals: Vec<Spanned<Signal>>,
    pub doc: Option<String>,
    pub evidence: Option<String>,
}

#[derive(Debug, Deserialize, Clone, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Signal {
    /// Format 2: names the signal, so that a counterfactual can replace or drop it.
    #[schemars(with = "Option<String>")]
    pub id: Option<Spanned<String>>,
    /// Required, except in a counterfactual that edits a signal by its id.
    #[schemars(with = "Option<ExprSrc>")]
    pub when: Option<Spanned<ExprSrc>>,
    /// Added to the log-odds of the belief when `when` holds.
    #[schemars(with = "Option<ExprSrc>")]
    pub shift: Option<Spanned<ExprSrc>>,
    pub why: Option<String>,
    /// Format 2, in a counterfactual: drop the base's signal of this id.
    #[schemars(with = "Option<bool>")]
    pub drop: Option<Spanned<bool>>,
}

/// A dated event, or (under `[[processes]]`) a process that steps repeatedly.
#[derive(Debug, Deserialize, Clone, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Event {
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    pub label: Option<String>,
    #[schemars(with = "Option<String>")]
    pub actor: Option<Spanned<String>>,
    /// Events: when it happens (a date, or an expression of the parameters).
    /// Processes: the first tick it may run.
    #[schemars(with = "Option<String>")]
    pub date: Option<Spanned<String>>,
    /// Format 2: timed after another event fires.
    #[schemars(with = "Option<After>")]
    pub after: Option<Spanned<After>>,
    /// Format 2, events: watched until this date (fires the first tick its
    /// `when` holds). Processes: the last tick it may run.
    #[schemars(with = "Option<String>")]
    pub until: Option<Spanned<String>>,
    /// Format 2: like `until`, as a duration from the start.
    #[schemars(with = "Option<String>")]
    pub within: Option<Spanned<String>>,
    /// Format 2, processes: the time between steps (default: one tick).
    #[schemars(with = "Option<String>")]
    pub every: Option<Spanned<String>>,
    /// Events: must hold for the event to be reached.
    #[schemars(with = "Option<ExprSrc>")]
    pub when: Option<Spanned<ExprSrc>>,
    /// Processes: runs each step while this holds.
    #[serde(rename = "while")]
    #[schemars(with = "Option<ExprSrc>")]
    pub while_: Option<Spanned<ExprSrc>>,
    /// Processes: hard bound on the number of steps.
    #[schemars(with = "Option<i64>")]
    pub max_steps: Option<Spanned<i64>>,
    /// Format 2: named options, each with its own effects; the rule picks one.
    #[schemars(with = "Option<Vec<OptionDecl>>")]
    pub options: Option<Spanned<Vec<Spanned<OptionDecl>>>>,
    #[schemars(with = "Option<Rule>")]
    pub rule: Option<Spanned<Rule>>,
    /// Effects when it fires (given, even empty, it replaces the base's).
    #[schemars(with = "Option<BTreeMap<String, Effect>>")]
    pub then: Option<Map<Effect>>,
    #[serde(rename = "else")]
    #[schemars(with = "Option<BTreeMap<String, Effect>>")]
    pub otherwise: Option<Map<Effect>>,
    #[schemars(with = "Option<String>")]
    pub evidence: Option<Spanned<String>>,
    pub doc: Option<String>,
}

/// `after = { event = "strike", delay = "7d" }`.
#[derive(Debug, Deserialize, Clone, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct After {
    #[schemars(with = "String")]
    pub event: Spanned<String>,
    /// Only when that event chose this option.
    #[schemars(with = "Option<String>")]
    pub option: Option<Spanned<String>>,
    /// A duration (`7d`), or an expression in ticks (`days(lag)`); default 0.
    #[schemars(with = "Option<ExprSrc>")]
    pub delay: Option<Spanned<ExprSrc>>,
}

/// One option of a decision.
#[derive(Debug, Deserialize, Clone, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionDecl {
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    pub label: Option<String>,
    #[schemars(with = "Option<BTreeMap<String, Effect>>")]
    pub then: Option<Map<Effect>>,
    pub doc: Option<String>,
}

/// A named, weighted term of a weighed rule or an option's utility.
#[derive(Debug, Deserialize, Clone, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Term {
    #[schemars(with = "Option<String>")]
    pub id: Option<Spanned<String>>,
    #[schemars(with = "ExprSrc")]
    pub value: Spanned<ExprSrc>,
    /// Default 1.
    #[schemars(with = "Option<ExprSrc>")]
    pub weight: Option<Spanned<ExprSrc>>,
    pub why: Option<String>,
}

/// A member of a council: an actor deciding by its own rule.
#[derive(Debug, Deserialize, Clone, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Member {
    #[schemars(with = "String")]
    pub actor: Spanned<String>,
    #[schemars(with = "Option<Box<Rule>>")]
    pub rule: Option<Spanned<Box<Rule>>>,
}

/// One patron of a dependence rule.
#[derive(Debug, Deserialize, Clone, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Patron {
    #[schemars(with = "String")]
    pub actor: Spanned<String>,
    #[schemars(with = "ExprSrc")]
    pub wants: Spanned<ExprSrc>,
    #[schemars(with = "ExprSrc")]
    pub dependence: Spanned<ExprSrc>,
}

/// A decision rule; `kind` says which fields apply.
#[derive(Debug, Deserialize, Clone, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    #[schemars(with = "String")]
    pub kind: Spanned<String>,
    /// chance
    #[schemars(with = "Option<ExprSrc>")]
    pub p: Option<Spanned<ExprSrc>>,
    /// chance and weighed on a process (format 2): the period `p` is the
    /// chance for (`1 day`), converted to the process's step.
    #[schemars(with = "Option<String>")]
    pub per: Option<Spanned<String>>,
    /// condition
    #[serde(rename = "if")]
    #[schemars(with = "Option<ExprSrc>")]
    pub condition: Option<Spanned<ExprSrc>>,
    /// threshold
    #[schemars(with = "Option<ExprSrc>")]
    pub quantity: Option<Spanned<ExprSrc>>,
    #[schemars(with = "Option<ExprSrc>")]
    pub below: Option<Spanned<ExprSrc>>,
    #[schemars(with = "Option<ExprSrc>")]
    pub above: Option<Spanned<ExprSrc>>,
    /// dependence
    #[schemars(with = "Option<String>")]
    pub patron: Option<Spanned<String>>,
    #[schemars(with = "Option<ExprSrc>")]
    pub wants: Option<Spanned<ExprSrc>>,
    #[schemars(with = "Option<ExprSrc>")]
    pub dependence: Option<Spanned<ExprSrc>>,
    #[schemars(with = "Option<ExprSrc>")]
    pub own: Option<Spanned<ExprSrc>>,
    /// analogy
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, ExprSrc>")]
    pub features: Map<ExprSrc>,
    #[serde(default)]
    #[schemars(with = "Vec<Case>")]
    pub cases: Vec<Spanned<Case>>,
    #[schemars(with = "Option<ExprSrc>")]
    pub similarity: Option<Spanned<ExprSrc>>,
    #[schemars(with = "Option<ExprSrc>")]
    pub otherwise: Option<Spanned<ExprSrc>>,
    /// dependence (format 2): several patrons, and how their pulls combine.
    #[serde(default)]
    #[schemars(with = "Vec<Patron>")]
    pub patrons: Vec<Spanned<Patron>>,
    #[schemars(with = "Option<String>")]
    pub combine: Option<Spanned<String>>,
    /// choice: `best`, `softmax` or `weighted`.
    #[schemars(with = "Option<String>")]
    pub select: Option<Spanned<String>>,
    #[schemars(with = "Option<ExprSrc>")]
    pub temperature: Option<Spanned<ExprSrc>>,
    /// choice: per option, a utility (an expression or a list of terms) ...
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, ExprOrTerms>")]
    pub utility: Map<ExprOrTerms>,
    /// ... or a weight (its chance is its share of the total).
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, ExprSrc>")]
    pub weight: Map<ExprSrc>,
    /// weighed: the terms summed, the scale they are summed on, a constant.
    #[serde(default)]
    #[schemars(with = "Vec<Term>")]
    pub terms: Vec<Spanned<Term>>,
    #[schemars(with = "Option<String>")]
    pub scale: Option<Spanned<String>>,
    #[schemars(with = "Option<ExprSrc>")]
    pub base: Option<Spanned<ExprSrc>>,
    /// council: the members and how many must say yes.
    #[serde(default)]
    #[schemars(with = "Vec<Member>")]
    pub members: Vec<Spanned<Member>>,
    #[schemars(with = "Option<Scalar>")]
    pub needs: Option<Spanned<Scalar>>,
}

/// A remembered case for the analogy rule.
#[derive(Debug, Deserialize, Clone, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Case {
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    #[schemars(with = "BTreeMap<String, f64>")]
    pub features: BTreeMap<Spanned<String>, Spanned<f64>>,
    /// The lesson: act (`true`) or not, or (format 2) the option it teaches.
    #[schemars(with = "Scalar")]
    pub lesson: Spanned<Scalar>,
    pub why: Option<String>,
}

#[derive(Debug, Deserialize, Clone, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    pub label: Option<String>,
    #[schemars(with = "ExprSrc")]
    pub when: Spanned<ExprSrc>,
    pub doc: Option<String>,
}

#[derive(Debug, Deserialize, Clone, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Metric {
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    pub label: Option<String>,
    #[schemars(with = "ExprSrc")]
    pub value: Spanned<ExprSrc>,
    /// The metric is absent from a branch where this does not hold.
    #[schemars(with = "Option<ExprSrc>")]
    pub when: Option<Spanned<ExprSrc>>,
    pub doc: Option<String>,
}

/// A bare TOML number, boolean or string.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Num(f64),
    Bool(bool),
    Str(String),
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Num(n) => write!(f, "{n}"),
            Scalar::Bool(b) => write!(f, "{b}"),
            Scalar::Str(s) => write!(f, "{s:?}"),
        }
    }
}

/// Expression source: a string, or a bare number or boolean standing for itself.
#[derive(Debug, Clone, PartialEq)]
pub struct ExprSrc {
    pub text: String,
}

/// The right side of an effect: an expression, or (format 2) a table with
/// a distribution, for a fresh draw each time the effect applies.
#[derive(Debug, Clone)]
pub enum Effect {
    Expr(ExprSrc),
    Draw(Box<ParamDecl>),
}

/// An option's utility: an expression, or a list of weighted terms.
#[derive(Debug, Clone)]
pub enum ExprOrTerms {
    Expr(ExprSrc),
    Terms(Vec<Spanned<Term>>),
}
