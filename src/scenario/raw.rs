//! The scenario file as written: serde types that keep every span, and
//! reject unknown keys. Meaning is checked later, in `program::build`.

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;
use toml::Spanned;

pub type Map<T> = BTreeMap<Spanned<String>, Spanned<T>>;

/// One scenario file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    pub format: Option<Spanned<i64>>,
    pub scenario: Spanned<Meta>,
    #[serde(default)]
    pub parameters: Map<Short<ParamDecl>>,
    #[serde(default)]
    pub state: Map<Short<StateDecl>>,
    #[serde(default)]
    pub actors: Map<Actor>,
    #[serde(default)]
    pub events: Vec<Spanned<Event>>,
    #[serde(default)]
    pub processes: Vec<Spanned<Event>>,
    #[serde(default)]
    pub outcomes: Vec<Spanned<Outcome>>,
    #[serde(default)]
    pub flags: Vec<Spanned<Outcome>>,
    #[serde(default)]
    pub metrics: Vec<Spanned<Metric>>,
    /// Soft interventions: parameter overrides.
    #[serde(default)]
    pub set: Map<Short<ParamDecl>>,
    /// Hard interventions: `event_id = true|false` or `"state.name" = value`.
    #[serde(default, rename = "do")]
    pub interventions: Map<Scalar>,
    /// Ids of events or processes of the base scenario that this one removes.
    #[serde(default)]
    pub remove: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    pub id: Option<Spanned<String>>,
    pub title: Option<Spanned<String>>,
    pub question: Option<Spanned<String>>,
    /// The passage of the source that motivates the scenario.
    pub passage: Option<Spanned<String>>,
    #[serde(default)]
    pub prompts: Vec<Spanned<String>>,
    pub extends: Option<Spanned<String>>,
    pub start: Option<Spanned<String>>,
    pub horizon: Option<Spanned<String>>,
    pub seed: Option<Spanned<i64>>,
    pub branches: Option<Spanned<i64>>,
    /// The branch ends after the first month in which this holds.
    pub stop_when: Option<Spanned<ExprSrc>>,
}

/// A parameter: a fixed number or flag, or a distribution drawn once a branch.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct ParamDecl {
    pub value: Option<Spanned<Scalar>>,
    pub uniform: Option<Spanned<Vec<f64>>>,
    pub beta: Option<Spanned<Vec<f64>>>,
    pub triangular: Option<Spanned<Vec<f64>>>,
    pub normal: Option<Spanned<Vec<f64>>>,
    /// Truncation range for `normal`.
    pub within: Option<Spanned<Vec<f64>>>,
    pub bernoulli: Option<Spanned<f64>>,
    /// Low and high values for sensitivity analysis of a fixed parameter.
    pub range: Option<Spanned<Vec<f64>>>,
    pub doc: Option<String>,
    /// Why this number, when the source does not give it.
    pub assumption: Option<String>,
}

#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct StateDecl {
    pub initial: Option<Spanned<Scalar>>,
    pub doc: Option<String>,
}

#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    pub name: Option<String>,
    pub role: Option<String>,
    pub doc: Option<String>,
    #[serde(default)]
    pub parameters: Map<Short<ParamDecl>>,
    #[serde(default)]
    pub beliefs: Map<Short<BeliefDecl>>,
}

/// A belief: an expression, or a prior moved by signals on the log-odds scale.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct BeliefDecl {
    pub value: Option<Spanned<ExprSrc>>,
    pub prior: Option<Spanned<ExprSrc>>,
    #[serde(default)]
    pub signals: Vec<Spanned<Signal>>,
    pub doc: Option<String>,
    pub evidence: Option<String>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Signal {
    pub when: Spanned<ExprSrc>,
    /// Added to the log-odds of the belief when `when` holds.
    pub shift: Spanned<ExprSrc>,
    pub why: Option<String>,
}

/// A dated event, or (under `[[processes]]`) a monthly process.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub id: Spanned<String>,
    pub label: Option<String>,
    pub actor: Option<Spanned<String>>,
    /// Events: the month it happens. Processes: the first month it may run.
    pub date: Option<Spanned<String>>,
    /// Events: must hold for the event to be reached.
    pub when: Option<Spanned<ExprSrc>>,
    /// Processes: runs each month while this holds.
    #[serde(rename = "while")]
    pub while_: Option<Spanned<ExprSrc>>,
    /// Processes: hard bound on the number of monthly steps.
    pub max_steps: Option<Spanned<i64>>,
    pub rule: Option<Spanned<Rule>>,
    #[serde(default)]
    pub then: Map<ExprSrc>,
    #[serde(default, rename = "else")]
    pub otherwise: Map<ExprSrc>,
    pub evidence: Option<Spanned<String>>,
    pub doc: Option<String>,
}

/// A decision rule; `kind` says which fields apply.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub kind: Spanned<String>,
    /// chance
    pub p: Option<Spanned<ExprSrc>>,
    /// condition
    #[serde(rename = "if")]
    pub condition: Option<Spanned<ExprSrc>>,
    /// threshold
    pub quantity: Option<Spanned<ExprSrc>>,
    pub below: Option<Spanned<ExprSrc>>,
    pub above: Option<Spanned<ExprSrc>>,
    /// dependence
    pub patron: Option<Spanned<String>>,
    pub wants: Option<Spanned<ExprSrc>>,
    pub dependence: Option<Spanned<ExprSrc>>,
    pub own: Option<Spanned<ExprSrc>>,
    /// analogy
    #[serde(default)]
    pub features: Map<ExprSrc>,
    #[serde(default)]
    pub cases: Vec<Spanned<Case>>,
    pub similarity: Option<Spanned<ExprSrc>>,
    pub otherwise: Option<Spanned<ExprSrc>>,
}

/// A remembered case for the analogy rule.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: Spanned<String>,
    pub features: BTreeMap<Spanned<String>, Spanned<f64>>,
    /// Whether the lesson of the case is to act (`true`) or not.
    pub lesson: Spanned<bool>,
    pub why: Option<String>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    pub id: Spanned<String>,
    pub label: Option<String>,
    pub when: Spanned<ExprSrc>,
    pub doc: Option<String>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Metric {
    pub id: Spanned<String>,
    pub label: Option<String>,
    pub value: Spanned<ExprSrc>,
    /// The metric is absent from a branch where this does not hold.
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

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number, true/false or a string")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Num(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::Num(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::Num(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Str(v.to_string()))
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

impl<'de> Deserialize<'de> for ExprSrc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = match d.deserialize_any(ScalarVisitor)? {
            Scalar::Str(s) => s,
            other => other.to_string(),
        };
        Ok(ExprSrc { text })
    }
}

/// Types that may also be written as a bare scalar (the short form).
pub trait FromScalar: Sized {
    const EXPECTING: &'static str;
    fn from_scalar<E: de::Error>(s: Scalar) -> Result<Self, E>;
}

/// A declaration written either as a bare scalar or as a table of `T`.
#[derive(Debug, Clone)]
pub struct Short<T>(pub T);

struct ShortVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: FromScalar + Deserialize<'de>> Visitor<'de> for ShortVisitor<T> {
    type Value = Short<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        T::from_scalar(Scalar::Bool(v)).map(Short)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        T::from_scalar(Scalar::Num(v as f64)).map(Short)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        T::from_scalar(Scalar::Num(v as f64)).map(Short)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        T::from_scalar(Scalar::Num(v)).map(Short)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        T::from_scalar(Scalar::Str(v.to_string())).map(Short)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Short)
    }
}

impl<'de, T: FromScalar + Deserialize<'de>> Deserialize<'de> for Short<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ShortVisitor(std::marker::PhantomData))
    }
}

impl FromScalar for ParamDecl {
    const EXPECTING: &'static str = "a number, true/false, or a table such as { uniform = [0.1, 0.4] }";
    fn from_scalar<E: de::Error>(s: Scalar) -> Result<Self, E> {
        match s {
            Scalar::Str(text) => Err(E::custom(format!(
                "expected a number, true/false or a distribution table, found the string {text:?}"
            ))),
            s => Ok(ParamDecl {
                value: Some(Spanned::new(0..0, s)),
                ..ParamDecl::default()
            }),
        }
    }
}

impl FromScalar for StateDecl {
    const EXPECTING: &'static str = "a number, true/false, or { initial = ... }";
    fn from_scalar<E: de::Error>(s: Scalar) -> Result<Self, E> {
        match s {
            Scalar::Str(text) => Err(E::custom(format!(
                "expected a number or true/false, found the string {text:?}"
            ))),
            s => Ok(StateDecl {
                initial: Some(Spanned::new(0..0, s)),
                doc: None,
            }),
        }
    }
}

impl FromScalar for BeliefDecl {
    const EXPECTING: &'static str = "an expression string, or a table with `value` or `prior` and `signals`";
    fn from_scalar<E: de::Error>(s: Scalar) -> Result<Self, E> {
        let text = match s {
            Scalar::Str(t) => t,
            other => other.to_string(),
        };
        Ok(BeliefDecl {
            value: Some(Spanned::new(0..0, ExprSrc { text })),
            ..BeliefDecl::default()
        })
    }
}
