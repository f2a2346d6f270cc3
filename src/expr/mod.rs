//! The expression language of conditions and quantities: lexer → Pratt
//! parser → type-checking compiler → stack machine over slot indices.

pub mod columns;
pub mod compile;
mod exec;
pub mod lexer;
mod lower;
pub mod masks;
pub mod parser;
pub mod vm;

pub use compile::{CompileError, Resolved, Scope, Type};
pub use parser::Expr;
pub use vm::{Code, Stack};

/// Parses and compiles `src` in one step; errors carry spans into `src`.
pub fn compile_source(src: &str, want: Option<Type>, scope: &mut dyn Scope) -> Result<(Code, Type), CompileError> {
    let expr = parser::parse(src).map_err(|e| CompileError::new(e.span, e.message, e.expected))?;
    compile::compile(&expr, want, scope)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ops::Range;

    /// Names `x` (slot 0, number), `flag` (slot 1, true/false), `y` (slot
    /// 2), `posture` (slot 3, one of calm, blockade, strike), and a belief
    /// `twice` that inlines `x * 2`. Ticks are months from 1950-01.
    struct TestScope;

    impl Scope for TestScope {
        fn resolve(&mut self, name: &str, span: Range<usize>) -> Result<Resolved, CompileError> {
            match name {
                "x" => Ok(Resolved::Slot(0, Type::Num)),
                "flag" => Ok(Resolved::Slot(1, Type::Bool)),
                "y" => Ok(Resolved::Slot(2, Type::Num)),
                "posture" => Ok(Resolved::Slot(3, Type::Enum(0))),
                "twice" => {
                    let (code, ty) = compile_source("x * 2", None, self)?;
                    Ok(Resolved::Inline(code, ty))
                }
                _ => Err(CompileError::new(span, format!("unknown name `{name}`"), "x or flag")),
            }
        }
        fn date(&self, date: &str) -> Result<f64, (String, String)> {
            let d = crate::time::CivilDate::parse(date).ok_or(("malformed".to_string(), "a date".to_string()))?;
            let clock = crate::time::Clock::months(
                crate::time::CivilDate::parse("1950-01").unwrap(),
                crate::time::CivilDate::parse("1960-12").unwrap(),
            )
            .unwrap();
            clock.tick_of(d).map(|t| t as f64).map_err(|e| (e.message, e.expected))
        }
        fn ticks_per(&self, unit: crate::time::Unit) -> f64 {
            match unit {
                crate::time::Unit::Year => 12.0,
                _ => 1.0,
            }
        }
        fn named_value(&self, list: u32, value: &str) -> Result<f64, String> {
            assert_eq!(list, 0);
            ["calm", "blockade", "strike"]
                .iter()
                .position(|v| *v == value)
                .map(|i| i as f64)
                .ok_or_else(|| "one of calm, blockade, strike".to_string())
        }
    }

    fn eval(src: &str, x: f64, flag: bool) -> f64 {
        let (code, _) = compile_source(src, None, &mut TestScope).unwrap();
        code.eval(&[x, if flag { 1.0 } else { 0.0 }, 0.0, 1.0], &mut Stack::default())
    }

    #[test]
    fn evaluates_arithmetic_logic_and_calls() {
        assert_eq!(eval("1 + 2 * x", 3.0, false), 7.0);
        assert_eq!(eval("if flag then x else -x", 2.0, false), -2.0);
        assert_eq!(eval("if flag then x else -x", 2.0, true), 2.0);
        assert_eq!(eval("flag or x > 1", 2.0, false), 1.0);
        assert_eq!(eval("flag and x > 1", 2.0, false), 0.0);
        assert_eq!(eval("not flag and x == 2", 2.0, false), 1.0);
        assert_eq!(eval("clamp(x, 0, 1)", 3.0, false), 1.0);
        assert_eq!(eval("min(x, 4, -1) + max(x, 4)", 3.0, false), 3.0);
        assert_eq!(eval("twice + twice", 1.5, false), 6.0);
        assert_eq!(eval("@1951-02", 0.0, false), 13.0);
        assert!((eval("logistic(logit(x))", 0.3, false) - 0.3).abs() < 1e-12);
        assert!((eval("exp(ln(x)) + pow(x, 2) + sqrt(4)", 3.0, false) - 14.0).abs() < 1e-12);
        assert_eq!(eval("floor(x) + ceil(x) + round(x)", 2.5, false), 8.0);
        assert_eq!(eval("years(2) + months(x)", 3.0, false), 27.0);
    }

    #[test]
    fn quoted_names_compare_with_enumerated_values() {
        // posture (slot 3) holds 1.0: blockade.
        assert_eq!(eval("posture == 'blockade'", 0.0, false), 1.0);
        assert_eq!(eval("'strike' == posture", 0.0, false), 0.0);
        assert_eq!(eval("posture != \"calm\"", 0.0, false), 1.0);
        assert_eq!(
            eval("(if flag then 'strike' else 'blockade') == posture", 0.0, false),
            1.0
        );
        let e = compile_source("posture == 'invasion'", None, &mut TestScope).unwrap_err();
        assert_eq!(
            (e.span.clone(), e.message.as_str()),
            (11..21, "unknown value `'invasion'`")
        );
        assert!(e.expected.contains("calm, blockade, strike"), "{e:?}");
        let e = compile_source("x == 'calm'", None, &mut TestScope).unwrap_err();
        assert_eq!(e.span, 5..11);
        let e = compile_source("'calm'", None, &mut TestScope).unwrap_err();
        assert!(e.message.contains("cannot be read on its own"), "{e:?}");
    }

    #[test]
    fn fast_forms_agree_with_the_stack_machine() {
        let cases = [
            "flag",
            "not flag",
            "flag and x > 1",
            "not flag and 2 <= x and x != 3",
            "x == x and flag and not flag",
            "(flag and x < 1) and (x >= 0 and not flag)",
            "1 < x",
        ];
        for src in cases {
            let (code, _) = compile_source(src, None, &mut TestScope).unwrap();
            for x in [-1.0, 0.0, 0.5, 1.0, 2.0, 3.0, f64::NAN] {
                for flag in [0.0, 1.0] {
                    let slots = [x, flag];
                    let mut stack = Stack::default();
                    assert_eq!(
                        code.eval(&slots, &mut stack).to_bits(),
                        code.run(&slots, &mut stack).to_bits(),
                        "{src} at x={x} flag={flag}"
                    );
                }
            }
        }
    }

    #[test]
    fn bounds_on_now_come_from_comparisons_with_constants() {
        let (code, _) = compile_source("flag and x >= 3 and x < 10", None, &mut TestScope).unwrap();
        assert_eq!(code.whole_bounds_on(0, |_| None), (3.0, 9.0));
        let (code, _) = compile_source("flag and x > 2.5 and x <= 7.5", None, &mut TestScope).unwrap();
        assert_eq!(code.whole_bounds_on(0, |_| None), (3.0, 7.0));
        let (code, _) = compile_source("flag or x >= 3", None, &mut TestScope).unwrap();
        assert_eq!(code.whole_bounds_on(0, |_| None), (f64::NEG_INFINITY, f64::INFINITY));
        assert!(!code.reads_only_as_bounds(0, |_| false));
        // A comparison with another slot narrows once that slot is known.
        let (code, _) = compile_source("x >= twice and flag", None, &mut TestScope).unwrap();
        assert_eq!(code.whole_bounds_on(0, |_| None), (f64::NEG_INFINITY, f64::INFINITY));
        let (code, _) = compile_source("flag and x < y", None, &mut TestScope).unwrap();
        assert!(code.compares_with(0, |s| s == 2));
        assert!(!code.compares_with(0, |s| s == 1));
        assert_eq!(
            code.whole_bounds_on(0, |s| (s == 2).then_some(7.0)),
            (f64::NEG_INFINITY, 6.0)
        );
        assert!(code.reads_only_as_bounds(0, |s| s == 2));
        assert!(!code.reads_only_as_bounds(0, |_| false));
        let (code, _) = compile_source("flag and x != 3", None, &mut TestScope).unwrap();
        assert!(!code.reads_only_as_bounds(0, |_| true));
        let (code, _) = compile_source("flag and y > 1", None, &mut TestScope).unwrap();
        assert!(code.reads_only_as_bounds(0, |_| false));
    }

    #[test]
    fn breaks_are_where_comparisons_with_the_clock_can_change() {
        let (code, _) =
            compile_source("if x < 3 then 1 else (if 7.5 <= x then y else 2)", None, &mut TestScope).unwrap();
        assert_eq!(code.breaks_on(0).as_deref(), Some(&[3, 8][..]));
        // Each comparison changes its truth exactly at its break: the value
        // at a break differs from the value just before it, and between
        // breaks it stays the same.
        for (src, breaks) in [
            ("x < 3", &[3][..]),
            ("x >= 3", &[3]),
            ("x <= 3", &[4]),
            ("x > 3", &[4]),
            ("3 > x", &[3]),
            ("3 <= x", &[3]),
            ("3 >= x", &[4]),
            ("3 < x", &[4]),
            ("x < 2.5", &[3]),
            ("x > 2.5", &[3]),
            ("x == 3", &[3, 4]),
            ("x != 3", &[3, 4]),
        ] {
            let (code, _) = compile_source(src, None, &mut TestScope).unwrap();
            assert_eq!(code.breaks_on(0).as_deref(), Some(breaks), "{src}");
            for x in 1..8 {
                let changes = eval(src, f64::from(x), false) != eval(src, f64::from(x - 1), false);
                assert_eq!(changes, breaks.contains(&(x as u32)), "{src} at {x}");
            }
        }
        let (code, _) = compile_source("y * 2", None, &mut TestScope).unwrap();
        assert_eq!(code.breaks_on(0).as_deref(), Some(&[][..]));
        let (code, _) = compile_source("x * 2", None, &mut TestScope).unwrap();
        assert_eq!(code.breaks_on(0), None);
    }

    #[test]
    fn short_circuit_leaves_one_value() {
        // Nested short-circuits inside arithmetic keep the stack balanced.
        assert_eq!(
            eval(
                "(if flag or x > 0 then 1 else 0) + (if flag and x > 0 then 10 else 20)",
                1.0,
                false
            ),
            21.0
        );
    }

    #[test]
    fn type_errors_point_at_the_operand() {
        let e = compile_source("x and flag", None, &mut TestScope).unwrap_err();
        assert_eq!(e.span, 0..1);
        assert_eq!(e.expected, "a true/false value");
        let e = compile_source("x + 1", Some(Type::Bool), &mut TestScope).unwrap_err();
        assert_eq!(e.message, "this is a number");
        let e = compile_source("if flag then 1 else flag", None, &mut TestScope).unwrap_err();
        assert_eq!(e.span, 20..24);
    }

    #[test]
    fn unknown_names_and_functions_are_errors() {
        let e = compile_source("1 + z", None, &mut TestScope).unwrap_err();
        assert_eq!(e.span, 4..5);
        let e = compile_source("cbrt(x)", None, &mut TestScope).unwrap_err();
        assert_eq!(e.span, 0..4);
        assert!(e.expected.contains("pow") && e.expected.contains("days"), "{e:?}");
        let e = compile_source("clamp(x, 1)", None, &mut TestScope).unwrap_err();
        assert!(e.message.contains("takes 3 arguments"));
    }
}
