//! The name table an expression is compiled against: `now`, parameters
//! (`name`, `actor.name`), state (`state.name`), beliefs (`actor.belief`),
//! dates and durations on the scenario's clock, and named values.

use crate::expr::{Code, CompileError, Resolved, Scope, Type};
use crate::time::{CivilDate, Clock, Unit};
use std::collections::{HashMap, HashSet};
use std::ops::Range;

pub struct Names {
    pub clock: Clock,
    pub slots: HashMap<String, (u32, Type)>,
    /// Compiled beliefs, inlined where they are named.
    pub beliefs: HashMap<String, (Code, Type)>,
    /// The lists of named values (see `Program::enums`).
    pub enums: Vec<Vec<String>>,
    /// The beliefs some expression has named.
    pub read_beliefs: HashSet<String>,
}

impl Scope for Names {
    fn resolve(&mut self, name: &str, span: Range<usize>) -> Result<Resolved, CompileError> {
        if let Some(&(slot, ty)) = self.slots.get(name) {
            return Ok(Resolved::Slot(slot, ty));
        }
        if let Some((code, ty)) = self.beliefs.get(name) {
            if !self.read_beliefs.contains(name) {
                self.read_beliefs.insert(name.to_string());
            }
            return Ok(Resolved::Inline(code.clone(), *ty));
        }
        let known: Vec<&str> = self
            .slots
            .keys()
            .chain(self.beliefs.keys())
            .map(String::as_str)
            .collect();
        let hint = crate::scenario::suggest(name, &known);
        Err(CompileError::new(
            span,
            format!("unknown name `{name}`"),
            format!("a parameter, belief or state variable ({hint})"),
        ))
    }

    fn date(&self, date: &str) -> Result<f64, (String, String)> {
        let d = CivilDate::parse(date).ok_or_else(|| {
            let e = self.clock.malformed();
            (e.message, e.expected)
        })?;
        self.clock
            .tick_of(d)
            .map(|t| t as f64)
            .map_err(|e| (e.message, e.expected))
    }

    fn ticks_per(&self, unit: Unit) -> f64 {
        self.clock.ticks_per(unit)
    }

    fn named_value(&self, list: u32, value: &str) -> Result<f64, String> {
        let values = &self.enums[list as usize];
        values
            .iter()
            .position(|v| v == value)
            .map(|i| i as f64)
            .ok_or_else(|| format!("one of {}", values.join(", ")))
    }
}
