//! The expression language on arbitrary text: lexer, parser and compiler
//! refuse or accept it without a panic, every error span falls on
//! character boundaries inside the text, and compiled code gives the same
//! value through its fast forms (`eval`), through the stack machine on its
//! lowered and fused form (`run`) and through its canonical ops run naively
//! (`run_canonical`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sim::expr::{CompileError, Resolved, Scope, Stack, Type, compile_source, lexer, parser};
use sim::time::{CivilDate, Clock, Unit};
use std::ops::Range;

/// Names `x` (slot 0), `flag` (slot 1, true/false), `y` (slot 2),
/// `posture` (slot 3, one of calm, blockade, strike) and `twice`, which
/// inlines `x * 2`. Ticks are months from 1950-01 to 1960-12.
struct FuzzScope {
    depth: u32,
}

impl Scope for FuzzScope {
    fn resolve(&mut self, name: &str, span: Range<usize>) -> Result<Resolved, CompileError> {
        match name {
            "x" => Ok(Resolved::Slot(0, Type::Num)),
            "flag" => Ok(Resolved::Slot(1, Type::Bool)),
            "y" => Ok(Resolved::Slot(2, Type::Num)),
            "posture" => Ok(Resolved::Slot(3, Type::Enum(0))),
            "twice" if self.depth == 0 => {
                self.depth += 1;
                let r = compile_source("x * 2", None, self);
                self.depth -= 1;
                let (code, ty) = r?;
                Ok(Resolved::Inline(code, ty))
            }
            _ => Err(CompileError::new(
                span,
                format!("unknown name `{name}`"),
                "x, y, flag or posture",
            )),
        }
    }
    fn date(&self, date: &str) -> Result<f64, (String, String)> {
        let d = CivilDate::parse(date).ok_or(("malformed".to_string(), "a date".to_string()))?;
        let (Some(start), Some(end)) = (CivilDate::parse("1950-01"), CivilDate::parse("1960-12")) else {
            return Err(("no clock".into(), "a date".into()));
        };
        let clock = Clock::months(start, end).map_err(|(_, e)| (e.message, e.expected))?;
        clock.tick_of(d).map(|t| t as f64).map_err(|e| (e.message, e.expected))
    }
    fn ticks_per(&self, unit: Unit) -> f64 {
        match unit {
            Unit::Year => 12.0,
            _ => 1.0,
        }
    }
    fn named_value(&self, _list: u32, value: &str) -> Result<f64, String> {
        ["calm", "blockade", "strike"]
            .iter()
            .position(|v| *v == value)
            .map(|i| i as f64)
            .ok_or_else(|| "one of calm, blockade, strike".to_string())
    }
}

fn on_boundaries(text: &str, span: &Range<usize>) {
    assert!(
        span.start <= span.end && span.end <= text.len(),
        "span {span:?} outside {} bytes",
        text.len()
    );
    assert!(
        text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
        "span {span:?} splits a character"
    );
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(e) = lexer::lex(text) {
        on_boundaries(text, &e.span);
    }
    if let Err(e) = parser::parse(text) {
        on_boundaries(text, &e.span);
    }
    for want in [None, Some(Type::Num), Some(Type::Bool)] {
        match compile_source(text, want, &mut FuzzScope { depth: 0 }) {
            Err(e) => on_boundaries(text, &e.span),
            Ok((code, _)) => {
                let mut stack = Stack::default();
                for slots in [
                    [0.0, 0.0, 0.0, 0.0],
                    [3.5, 1.0, -2.0, 1.0],
                    [f64::MAX, 1.0, f64::MIN_POSITIVE, 2.0],
                ] {
                    let (fast, plain) = (code.eval(&slots, &mut stack), code.run(&slots, &mut stack));
                    assert!(
                        fast.to_bits() == plain.to_bits() || (fast.is_nan() && plain.is_nan()),
                        "{text:?}: eval {fast} run {plain}"
                    );
                    let canonical = code.run_canonical(&slots);
                    assert!(
                        canonical.to_bits() == plain.to_bits() || (canonical.is_nan() && plain.is_nan()),
                        "{text:?}: canonical {canonical} run {plain}"
                    );
                }
            }
        }
    }
});
