//! Scenario files: reading them (within hard limits), following `extends`,
//! and merging the chain (plus command-line overrides) into one
//! [`Scenario`] whose every part still knows the file and span it came from.

mod keyed;
mod merge;
mod overrides;
pub mod raw;
mod read;
mod schema;
mod suggest;

pub use overrides::Overrides;
pub use read::{MAX_CHAIN, MAX_FILE_BYTES, load};
pub use schema::scenario_schema;
pub use suggest::{describe, suggest};

use crate::diagnostic::{FileId, Sources, Span};
use raw::{Event, ExprSrc, Metric, Outcome, ParamDecl, Scalar, Short, StateDecl};
use std::ops::Range;
use std::path::PathBuf;
use toml::Spanned;

/// Highest scenario format version this engine reads. A file without
/// `format` is format 1 (see docs/scenario-format.md, "Format versions").
pub const FORMAT_VERSION: i64 = 2;

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
    pub recorded: Option<Item<Spanned<String>>>,
    pub start: Option<Item<Spanned<String>>>,
    pub horizon: Option<Item<Spanned<String>>>,
    pub unit: Option<Item<Spanned<String>>>,
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

/// A belief, merged down the chain part by part: a format-2 file that
/// restates it changes only what it gives (signals are matched by id).
#[derive(Debug, Clone)]
pub struct BeliefDef {
    /// Qualified: `actor.belief`.
    pub name: Spanned<String>,
    /// The newest declaration: its file and span, for errors about the whole.
    pub file: FileId,
    pub span: Range<usize>,
    pub value: Option<Item<Spanned<ExprSrc>>>,
    pub prior: Option<Item<Spanned<ExprSrc>>>,
    pub signals: Vec<SignalDef>,
    pub doc: Option<String>,
    pub evidence: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SignalDef {
    pub id: Option<String>,
    /// Where the signal was last declared.
    pub at: Span,
    pub when: Option<Item<Spanned<ExprSrc>>>,
    pub shift: Option<Item<Spanned<ExprSrc>>>,
    pub why: Option<String>,
}

/// An event or a process: its declarations down the chain, oldest first.
/// A format-2 file that restates it changes only the keys it gives; a
/// format-1 file replaces it whole.
#[derive(Debug, Clone)]
pub struct NodeDef {
    /// The file that first declared it, down the chain: its format decides
    /// the node's random layout, whatever later files restate.
    pub origin: FileId,
    pub layers: Vec<Item<Spanned<Event>>>,
}

impl NodeDef {
    pub fn newest(&self) -> &Item<Spanned<Event>> {
        self.layers.last().expect("a node has at least one declaration") // ok: built with one, layers only grow
    }

    pub fn id(&self) -> &Spanned<String> {
        &self.newest().get().id
    }

    /// The newest declaration of a key, with its file.
    pub fn get<'a, T: ?Sized>(&'a self, key: impl Fn(&'a Event) -> Option<&'a T>) -> Option<(FileId, &'a T)> {
        self.layers.iter().rev().find_map(|l| key(l.get()).map(|v| (l.file, v)))
    }

    /// The newest non-empty declaration of a table or list key.
    pub fn get_many<'a, T: ?Sized>(
        &'a self,
        key: impl Fn(&'a Event) -> &'a T,
        empty: impl Fn(&T) -> bool,
    ) -> Option<(FileId, &'a T)> {
        self.layers
            .iter()
            .rev()
            .map(|l| (l.file, key(l.get())))
            .find(|(_, v)| !empty(v))
    }
}

#[derive(Debug, Clone)]
pub struct ActorDef {
    pub id: Spanned<String>,
    pub name: Option<String>,
    pub role: Option<String>,
    pub doc: Option<String>,
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
    /// The format of each source (command-line arguments count as the newest).
    pub formats: Vec<i64>,
    /// The file named on the command line.
    pub file: PathBuf,
    /// The base scenario file, if this one `extends` another.
    pub extends: Option<PathBuf>,
    pub header: Header,
    pub actors: Vec<Item<ActorDef>>,
    pub params: Vec<Item<ParamDef>>,
    pub state: Vec<Item<StateDef>>,
    pub beliefs: Vec<BeliefDef>,
    pub events: Vec<NodeDef>,
    pub processes: Vec<NodeDef>,
    pub outcomes: Vec<Item<Spanned<Outcome>>>,
    pub flags: Vec<Item<Spanned<Outcome>>>,
    pub metrics: Vec<Item<Spanned<Metric>>>,
    pub interventions: Vec<Item<Intervention>>,
    /// What the top file and the command line change relative to the base.
    pub changes: Vec<Change>,
}

impl Scenario {
    /// The format version a source was written in.
    pub fn format_of(&self, file: FileId) -> i64 {
        self.formats.get(file).copied().unwrap_or(FORMAT_VERSION)
    }
}
