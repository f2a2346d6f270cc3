//! The compiled form of an expression and the stack machine that runs it.
//!
//! Values are `f64`; booleans are `0.0` and `1.0` (the compiler has already
//! checked the types). Jumps are relative, so code can be spliced anywhere.

use super::compile::MAX_STACK;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    Const(f64),
    Load(u32),
    Add,
    Sub,
    Mul,
    Div,
    Neg,
    Not,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    Min,
    Max,
    Clamp,
    Abs,
    Logit,
    Logistic,
    Pop,
    /// Skip forward unconditionally.
    Jump(u32),
    /// Pop; skip forward if false.
    JumpIfFalse(u32),
    /// Skip forward if the top is false, keeping it (for `and`).
    JumpIfFalseKeep(u32),
    /// Skip forward if the top is true, keeping it (for `or`).
    JumpIfTrueKeep(u32),
}

impl Op {
    /// Net change in stack depth along the straight-line reading of the code
    /// (a `Jump` counts the branch value it skips over as popped).
    pub fn stack_effect(self) -> isize {
        match self {
            Op::Const(_) | Op::Load(_) => 1,
            Op::Neg | Op::Not | Op::Abs | Op::Logit | Op::Logistic => 0,
            Op::JumpIfFalseKeep(_) | Op::JumpIfTrueKeep(_) => 0,
            Op::Clamp => -2,
            Op::Jump(_) | Op::JumpIfFalse(_) | Op::Pop => -1,
            Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Min | Op::Max => -1,
            Op::Lt | Op::Le | Op::Gt | Op::Ge | Op::Eq | Op::Ne => -1,
        }
    }
}

/// A compiled expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Code {
    ops: Box<[Op]>,
    max_stack: usize,
}

impl Code {
    pub fn new(ops: Vec<Op>) -> Self {
        let (mut depth, mut max) = (0isize, 0isize);
        for op in &ops {
            depth += op.stack_effect();
            max = max.max(depth);
        }
        Code {
            ops: ops.into_boxed_slice(),
            max_stack: max as usize,
        }
    }

    /// Code that pushes one constant.
    pub fn constant(v: f64) -> Self {
        Code::new(vec![Op::Const(v)])
    }

    pub fn ops(&self) -> &[Op] {
        &self.ops
    }

    pub fn max_stack(&self) -> usize {
        self.max_stack
    }

    /// The constant this code always yields, if it is a single constant.
    pub fn as_constant(&self) -> Option<f64> {
        match *self.ops {
            [Op::Const(v)] => Some(v),
            _ => None,
        }
    }

    /// Runs the code against `slots` using `stack` as scratch space.
    #[inline]
    pub fn eval(&self, slots: &[f64], stack: &mut Stack) -> f64 {
        if let [op] = *self.ops {
            match op {
                Op::Const(v) => return v,
                Op::Load(s) => return slots[s as usize],
                _ => {}
            }
        }
        let st = &mut stack.0;
        let mut sp = 0usize;
        let mut pc = 0usize;
        let ops = &*self.ops;
        while pc < ops.len() {
            match ops[pc] {
                Op::Const(v) => {
                    st[sp] = v;
                    sp += 1;
                }
                Op::Load(s) => {
                    st[sp] = slots[s as usize];
                    sp += 1;
                }
                Op::Neg => st[sp - 1] = -st[sp - 1],
                Op::Not => st[sp - 1] = truth(st[sp - 1] == 0.0),
                Op::Abs => st[sp - 1] = st[sp - 1].abs(),
                Op::Logit => {
                    let p = st[sp - 1];
                    st[sp - 1] = (p / (1.0 - p)).ln();
                }
                Op::Logistic => st[sp - 1] = 1.0 / (1.0 + (-st[sp - 1]).exp()),
                Op::Pop => sp -= 1,
                Op::Clamp => {
                    sp -= 2;
                    let (x, lo, hi) = (st[sp - 1], st[sp], st[sp + 1]);
                    st[sp - 1] = x.max(lo).min(hi);
                }
                Op::Jump(o) => pc += o as usize,
                Op::JumpIfFalse(o) => {
                    sp -= 1;
                    if st[sp] == 0.0 {
                        pc += o as usize;
                    }
                }
                Op::JumpIfFalseKeep(o) => {
                    if st[sp - 1] == 0.0 {
                        pc += o as usize;
                    }
                }
                Op::JumpIfTrueKeep(o) => {
                    if st[sp - 1] != 0.0 {
                        pc += o as usize;
                    }
                }
                binary => {
                    sp -= 1;
                    let (a, b) = (st[sp - 1], st[sp]);
                    st[sp - 1] = match binary {
                        Op::Add => a + b,
                        Op::Sub => a - b,
                        Op::Mul => a * b,
                        Op::Div => a / b,
                        Op::Min => a.min(b),
                        Op::Max => a.max(b),
                        Op::Lt => truth(a < b),
                        Op::Le => truth(a <= b),
                        Op::Gt => truth(a > b),
                        Op::Ge => truth(a >= b),
                        Op::Eq => truth(a == b),
                        Op::Ne => truth(a != b),
                        _ => unreachable!("unary and jump ops are matched above"),
                    };
                }
            }
            pc += 1;
        }
        st[0]
    }
}

#[inline]
fn truth(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

/// Scratch operand stack, reused across evaluations (no allocation per call).
#[derive(Clone)]
pub struct Stack(Box<[f64; MAX_STACK]>);

impl Default for Stack {
    fn default() -> Self {
        Stack(Box::new([0.0; MAX_STACK]))
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.ops.iter().map(|op| format!("{op:?}")).collect();
        f.write_str(&parts.join(" "))
    }
}
