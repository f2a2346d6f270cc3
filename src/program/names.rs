//! The name table an expression is compiled against: `now`, parameters
//! (`name`, `actor.name`), state (`state.name`) and beliefs (`actor.belief`).

use crate::expr::{Code, CompileError, Resolved, Scope, Type};
use crate::scenario::date::Month;
use std::collections::HashMap;
use std::ops::Range;

pub struct Names {
    pub start: Month,
    pub slots: HashMap<String, (u32, Type)>,
    /// Compiled beliefs, inlined where they are named.
    pub beliefs: HashMap<String, (Code, Type)>,
}

impl Scope for Names {
    fn resolve(&mut self, name: &str, span: Range<usize>) -> Result<Resolved, CompileError> {
        if let Some(&(slot, ty)) = self.slots.get(name) {
            return Ok(Resolved::Slot(slot, ty));
        }
        if let Some((code, ty)) = self.beliefs.get(name) {
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

    fn date(&self, year: i32, month: u32) -> f64 {
        f64::from(Month::new(year, month).since(self.start))
    }
}
