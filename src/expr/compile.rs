//! Type-checks an [`Expr`] and compiles it to slot-indexed stack code.
//!
//! Names are resolved once, here, through a [`Scope`]; the code that comes
//! out reads numbers from a slot array and never looks a name up again.

use super::parser::{BinOp, Expr, ExprKind, UnOp};
use super::vm::{Code, Op};
use crate::time::Unit;
use std::fmt;
use std::ops::Range;

/// Size of the operand stack; one compiled expression may need one less.
pub const MAX_STACK: usize = 256;
/// Largest compiled expression, in operations (beliefs are inlined).
pub const MAX_OPS: usize = 20_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Type {
    Num,
    Bool,
    /// One of a list of named values (an enumerated state variable); the
    /// number identifies the list. Values are held as their index.
    Enum(u32),
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Type::Num => "a number",
            Type::Bool => "a true/false value",
            Type::Enum(_) => "a named value",
        })
    }
}

/// What a name stands for.
pub enum Resolved {
    /// A value read from the slot array.
    Slot(u32, Type),
    /// Code to splice in place (a belief, compiled once, inlined).
    Inline(Code, Type),
    /// A constant.
    Const(f64, Type),
}

/// Resolves names, dates, durations and named values for the compiler.
pub trait Scope {
    fn resolve(&mut self, name: &str, span: Range<usize>) -> Result<Resolved, CompileError>;
    /// Ticks from the scenario start to a date, or why the date does not fit.
    fn date(&self, date: &str) -> Result<f64, (String, String)>;
    /// How many ticks one `unit` lasts.
    fn ticks_per(&self, unit: Unit) -> f64;
    /// The index of `value` among the named values of `list`, or what the
    /// list holds (for the error).
    fn named_value(&self, list: u32, value: &str) -> Result<f64, String>;
}

/// Functions of one number, and the op each compiles to.
const UNARY: [(&str, Op); 9] = [
    ("abs", Op::Abs),
    ("logit", Op::Logit),
    ("logistic", Op::Logistic),
    ("exp", Op::Exp),
    ("ln", Op::Ln),
    ("sqrt", Op::Sqrt),
    ("floor", Op::Floor),
    ("ceil", Op::Ceil),
    ("round", Op::Round),
];

/// Durations: `days(3)` is three days, in ticks.
const DURATIONS: [(&str, Unit); 6] = [
    ("minutes", Unit::Minute),
    ("hours", Unit::Hour),
    ("days", Unit::Day),
    ("weeks", Unit::Week),
    ("months", Unit::Month),
    ("years", Unit::Year),
];

const FUNCTIONS: &str = "min, max, clamp, pow, abs, exp, ln, sqrt, floor, ceil, round, logit, logistic, \
                         minutes, hours, days, weeks, months, years";

#[derive(Debug, Clone, PartialEq)]
pub struct CompileError {
    /// Byte span within the expression text (or of the enclosing item when `outside`).
    pub span: Range<usize>,
    pub message: String,
    pub expected: String,
}

impl CompileError {
    pub fn new(span: Range<usize>, message: impl Into<String>, expected: impl Into<String>) -> Self {
        CompileError {
            span,
            message: message.into(),
            expected: expected.into(),
        }
    }
}

/// Compiles `expr`, requiring its type to be `want` when given.
pub fn compile(expr: &Expr, want: Option<Type>, scope: &mut dyn Scope) -> Result<(Code, Type), CompileError> {
    let mut c = Compiler {
        ops: Vec::new(),
        depth: 0,
        max_depth: 0,
        scope,
    };
    let ty = c.expr(expr, want)?;
    if let Some(want) = want {
        if ty != want {
            return Err(CompileError::new(
                expr.span.clone(),
                format!("this is {ty}"),
                format!("{want}"),
            ));
        }
    }
    if c.ops.len() > MAX_OPS || c.max_depth >= MAX_STACK {
        return Err(CompileError::new(
            expr.span.clone(),
            "expression is too large once its beliefs are expanded",
            format!("at most {MAX_OPS} operations"),
        ));
    }
    let code = Code::new(c.ops);
    Ok((if ty == Type::Bool { code.boolean() } else { code }, ty))
}

struct Compiler<'s> {
    ops: Vec<Op>,
    depth: usize,
    max_depth: usize,
    scope: &'s mut dyn Scope,
}

impl Compiler<'_> {
    fn emit(&mut self, op: Op) {
        self.ops.push(op);
        self.depth = self.depth.saturating_add_signed(op.stack_effect());
        self.max_depth = self.max_depth.max(self.depth);
    }

    /// Emits a forward jump and returns its index for [`Self::patch`].
    fn jump(&mut self, op: Op) -> usize {
        self.emit(op);
        self.ops.len() - 1
    }

    fn patch(&mut self, at: usize) {
        let offset = (self.ops.len() - at - 1) as u32;
        match &mut self.ops[at] {
            Op::Jump(o) | Op::JumpIfFalse(o) | Op::JumpIfFalseKeep(o) | Op::JumpIfTrueKeep(o) => *o = offset,
            _ => unreachable!("patching a non-jump"), // ok: only jump() results are patched
        }
    }

    fn want(&mut self, e: &Expr, want: Type) -> Result<(), CompileError> {
        let ty = self.expr(e, Some(want))?;
        if ty == want {
            Ok(())
        } else {
            Err(CompileError::new(
                e.span.clone(),
                format!("this is {ty}"),
                format!("{want}"),
            ))
        }
    }

    /// The type `e` will have, found without emitting code (for a quoted
    /// name, which takes its meaning from what it is compared with).
    fn peek_type(&mut self, e: &Expr) -> Option<Type> {
        match &e.kind {
            ExprKind::Num(_) | ExprKind::Date(_) | ExprKind::Call(..) => Some(Type::Num),
            ExprKind::Bool(_) | ExprKind::Unary(UnOp::Not, _) => Some(Type::Bool),
            ExprKind::Unary(UnOp::Neg, _) => Some(Type::Num),
            ExprKind::Str(_) => None,
            ExprKind::Name(name) => match self.scope.resolve(name, e.span.clone()).ok()? {
                Resolved::Slot(_, ty) | Resolved::Inline(_, ty) | Resolved::Const(_, ty) => Some(ty),
            },
            ExprKind::If(_, a, b) => self.peek_type(a).or_else(|| self.peek_type(b)),
            ExprKind::Binary(op, ..) => Some(match op {
                BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => Type::Num,
                _ => Type::Bool,
            }),
        }
    }

    /// Compiles `e`; `hint` is the type expected of it, which gives a quoted
    /// name its value.
    fn expr(&mut self, e: &Expr, hint: Option<Type>) -> Result<Type, CompileError> {
        match &e.kind {
            ExprKind::Num(n) => {
                self.emit(Op::Const(*n));
                Ok(Type::Num)
            }
            ExprKind::Bool(b) => {
                self.emit(Op::Const(f64::from(u8::from(*b))));
                Ok(Type::Bool)
            }
            ExprKind::Date(d) => {
                let ticks = self
                    .scope
                    .date(d)
                    .map_err(|(message, expected)| CompileError::new(e.span.clone(), message, expected))?;
                self.emit(Op::Const(ticks));
                Ok(Type::Num)
            }
            ExprKind::Str(v) => match hint {
                Some(Type::Enum(list)) => {
                    let index = self
                        .scope
                        .named_value(list, v)
                        .map_err(|known| CompileError::new(e.span.clone(), format!("unknown value `'{v}'`"), known))?;
                    self.emit(Op::Const(index));
                    Ok(Type::Enum(list))
                }
                Some(other) => Err(CompileError::new(
                    e.span.clone(),
                    format!("`'{v}'` is a named value"),
                    format!("{other}"),
                )),
                None => Err(CompileError::new(
                    e.span.clone(),
                    format!("`'{v}'` cannot be read on its own"),
                    "a comparison with a named state value, such as state.posture == 'blockade'",
                )),
            },
            ExprKind::Name(name) => match self.scope.resolve(name, e.span.clone())? {
                Resolved::Slot(slot, ty) => {
                    self.emit(Op::Load(slot));
                    Ok(ty)
                }
                Resolved::Const(v, ty) => {
                    self.emit(Op::Const(v));
                    Ok(ty)
                }
                Resolved::Inline(code, ty) => {
                    let base = self.depth;
                    for op in code.ops() {
                        self.ops.push(*op);
                    }
                    self.max_depth = self.max_depth.max(base + code.max_stack());
                    self.depth = base + 1;
                    Ok(ty)
                }
            },
            ExprKind::Unary(UnOp::Neg, a) => {
                self.want(a, Type::Num)?;
                self.emit(Op::Neg);
                Ok(Type::Num)
            }
            ExprKind::Unary(UnOp::Not, a) => {
                self.want(a, Type::Bool)?;
                self.emit(Op::Not);
                Ok(Type::Bool)
            }
            ExprKind::Binary(op @ (BinOp::And | BinOp::Or), a, b) => {
                self.want(a, Type::Bool)?;
                let jump = if *op == BinOp::And {
                    Op::JumpIfFalseKeep(0)
                } else {
                    Op::JumpIfTrueKeep(0)
                };
                let at = self.jump(jump);
                self.emit(Op::Pop);
                self.want(b, Type::Bool)?;
                self.patch(at);
                Ok(Type::Bool)
            }
            ExprKind::Binary(op @ (BinOp::Eq | BinOp::Ne), a, b) => {
                // A quoted name on the left takes its meaning from the right.
                let hint = match self.peek_type(a) {
                    None => self.peek_type(b),
                    known => known,
                };
                let ta = self.expr(a, hint)?;
                let tb = self.expr(b, Some(ta))?;
                if ta != tb {
                    return Err(CompileError::new(
                        b.span.clone(),
                        format!("cannot compare {ta} with {tb}"),
                        format!("{ta}"),
                    ));
                }
                self.emit(if *op == BinOp::Eq { Op::Eq } else { Op::Ne });
                Ok(Type::Bool)
            }
            ExprKind::Binary(op, a, b) => {
                self.want(a, Type::Num)?;
                self.want(b, Type::Num)?;
                let (code, ty) = match op {
                    BinOp::Lt => (Op::Lt, Type::Bool),
                    BinOp::Le => (Op::Le, Type::Bool),
                    BinOp::Gt => (Op::Gt, Type::Bool),
                    BinOp::Ge => (Op::Ge, Type::Bool),
                    BinOp::Add => (Op::Add, Type::Num),
                    BinOp::Sub => (Op::Sub, Type::Num),
                    BinOp::Mul => (Op::Mul, Type::Num),
                    BinOp::Div => (Op::Div, Type::Num),
                    BinOp::And | BinOp::Or | BinOp::Eq | BinOp::Ne => unreachable!("handled above"), // ok: matched by earlier arms
                };
                self.emit(code);
                Ok(ty)
            }
            ExprKind::If(c, t, f) => {
                self.want(c, Type::Bool)?;
                let to_else = self.jump(Op::JumpIfFalse(0));
                let hint = hint.or_else(|| self.peek_type(f));
                let ty = self.expr(t, hint)?;
                let to_end = self.jump(Op::Jump(0));
                self.patch(to_else);
                self.want(f, ty)?;
                self.patch(to_end);
                Ok(ty)
            }
            ExprKind::Call(name, args) => self.call(name, args, e),
        }
    }

    fn call(&mut self, name: &str, args: &[Expr], e: &Expr) -> Result<Type, CompileError> {
        let arity = |n: usize, sig: &str| -> Result<(), CompileError> {
            if args.len() == n {
                Ok(())
            } else {
                Err(CompileError::new(
                    e.span.clone(),
                    format!(
                        "`{name}` takes {n} argument{}, not {}",
                        if n == 1 { "" } else { "s" },
                        args.len()
                    ),
                    sig.to_string(),
                ))
            }
        };
        match name {
            "min" | "max" => {
                if args.len() < 2 {
                    return Err(CompileError::new(
                        e.span.clone(),
                        format!("`{name}` needs at least 2 arguments"),
                        format!("{name}(a, b, ...)"),
                    ));
                }
                self.want(&args[0], Type::Num)?;
                for a in &args[1..] {
                    self.want(a, Type::Num)?;
                    self.emit(if name == "min" { Op::Min } else { Op::Max });
                }
            }
            "clamp" => {
                arity(3, "clamp(x, low, high)")?;
                for a in args {
                    self.want(a, Type::Num)?;
                }
                self.emit(Op::Clamp);
            }
            "pow" => {
                arity(2, "pow(x, y)")?;
                self.want(&args[0], Type::Num)?;
                self.want(&args[1], Type::Num)?;
                self.emit(Op::Pow);
            }
            _ => {
                if let Some(&(_, op)) = UNARY.iter().find(|(n, _)| *n == name) {
                    arity(1, &format!("{name}(x)"))?;
                    self.want(&args[0], Type::Num)?;
                    self.emit(op);
                } else if let Some(&(_, unit)) = DURATIONS.iter().find(|(n, _)| *n == name) {
                    arity(1, &format!("{name}(x)"))?;
                    self.want(&args[0], Type::Num)?;
                    self.emit(Op::Const(self.scope.ticks_per(unit)));
                    self.emit(Op::Mul);
                } else {
                    return Err(CompileError::new(
                        e.span.start..e.span.start + name.len(),
                        format!("unknown function `{name}`"),
                        format!("one of {FUNCTIONS}"),
                    ));
                }
            }
        }
        Ok(Type::Num)
    }
}
