//! Scenario files: reading them, following `extends`, and merging the chain
//! (plus command-line overrides) into one [`Scenario`] whose every item still
//! knows the file and span it came from.

pub mod date;
mod load;
pub mod raw;

pub use load::{Overrides, describe, load, suggest};

use crate::diagnostic::{FileId, Sources, Span};
use raw::{BeliefDecl, Event, ExprSrc, Metric, Outcome, ParamDecl, Scalar, Short, StateDecl};
use std::path::PathBuf;
use toml::Spanned;

/// Highest scenario format version this engine reads.
pub const FORMAT_VERSION: i64 = 1;

/// A value from a file, with the file it came from.
#[derive(Debug, Clone)]
pub struct Item<T> {
    pub file: FileId,
    pub value: T,
}

impl<T> Item<Spanned<T>> {
    pub fn span(&self) -> Span {
        Span::new(self.file, self.value.span())
    }
    pub fn get(&self) -> &T {
        self.value.get_ref()
    }
}

/// The scenario's header, merged down the `extends` chain.
#[derive(Debug, Clone, Default)]
pub struct Header {
    pub id: Option<Item<Spanned<String>>>,
    pub title: Option<Item<Spanned<String>>>,
    pub question: Option<Item<Spanned<String>>>,
    pub passage: Option<Item<Spanned<String>>>,
    pub prompts: Vec<String>,
    pub start: Option<Item<Spanned<String>>>,
    pub horizon: Option<Item<Spanned<String>>>,
    pub seed: Option<Item<Spanned<i64>>>,
    pub branches: Option<Item<Spanned<i64>>>,
    pub stop_when: Option<Item<Spanned<ExprSrc>>>,
}

/// A parameter, global (`name`) or an actor's (`actor.name`).
#[derive(Debug, Clone)]
pub struct ParamDef {
    pub name: Spanned<String>,
    pub decl: Spanned<Short<ParamDecl>>,
}

#[derive(Debug, Clone)]
pub struct StateDef {
    pub name: Spanned<String>,
    pub decl: Spanned<Short<StateDecl>>,
}

#[derive(Debug, Clone)]
pub struct BeliefDef {
    /// Qualified: `actor.belief`.
    pub name: Spanned<String>,
    pub decl: Spanned<Short<BeliefDecl>>,
}

#[derive(Debug, Clone)]
pub struct ActorDef {
    pub id: Spanned<String>,
    pub name: Option<String>,
    pub role: Option<String>,
}

/// A hard intervention: `do(target = value)`.
#[derive(Debug, Clone)]
pub struct Intervention {
    pub target: Spanned<String>,
    pub value: Spanned<Scalar>,
}

/// One line of the rewrite summary: what this scenario changes in its base.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    pub kind: ChangeKind,
    pub id: String,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// A parameter override (soft intervention).
    Set,
    /// A forced decision or state value (hard intervention).
    Do,
    Added,
    Removed,
    Modified,
}

/// A scenario with its `extends` chain merged, ready to compile.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub sources: Sources,
    /// The file named on the command line.
    pub file: PathBuf,
    /// The base scenario file, if this one `extends` another.
    pub extends: Option<PathBuf>,
    pub header: Header,
    pub actors: Vec<Item<ActorDef>>,
    pub params: Vec<Item<ParamDef>>,
    pub state: Vec<Item<StateDef>>,
    pub beliefs: Vec<Item<BeliefDef>>,
    pub events: Vec<Item<Spanned<Event>>>,
    pub processes: Vec<Item<Spanned<Event>>>,
    pub outcomes: Vec<Item<Spanned<Outcome>>>,
    pub flags: Vec<Item<Spanned<Outcome>>>,
    pub metrics: Vec<Item<Spanned<Metric>>>,
    pub interventions: Vec<Item<Intervention>>,
    /// What the top file and the command line change relative to the base.
    pub changes: Vec<Change>,
}
