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
    Exp,
    Ln,
    Sqrt,
    Floor,
    Ceil,
    Round,
    Pow,
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
            op if op.is_unary() => 0,
            Op::JumpIfFalseKeep(_) | Op::JumpIfTrueKeep(_) => 0,
            Op::Clamp => -2,
            Op::Jump(_) | Op::JumpIfFalse(_) | Op::Pop => -1,
            Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Min | Op::Max | Op::Pow => -1,
            Op::Lt | Op::Le | Op::Gt | Op::Ge | Op::Eq | Op::Ne => -1,
            // Unary ops are matched above.
            _ => 0,
        }
    }

    /// Whether the op maps the top of the stack to a new value in place.
    pub fn is_unary(self) -> bool {
        matches!(
            self,
            Op::Neg
                | Op::Not
                | Op::Abs
                | Op::Logit
                | Op::Logistic
                | Op::Exp
                | Op::Ln
                | Op::Sqrt
                | Op::Floor
                | Op::Ceil
                | Op::Round
        )
    }
}

/// A compiled expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Code {
    ops: Box<[Op]>,
    max_stack: usize,
    /// The same computation in a form that needs no stack, when the code has
    /// one of the shapes conditions usually have (derived from `ops`).
    fast: Fast,
    /// `ops` lowered for the stack machine (folded and fused).
    exec: Box<[super::exec::Exec]>,
}

/// Stack-free forms of common code shapes.
#[derive(Debug, Clone, PartialEq)]
enum Fast {
    No,
    Const(f64),
    Load(u32),
    /// `t1 and t2 and ...`: 1.0 if every test holds, else 0.0.
    All(Box<[Test]>),
}

/// One test of a slot: a flag (or its negation), or a comparison.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Test {
    Flag { slot: u32, want: bool },
    Cmp { slot: u32, op: Op, rhs: Operand },
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Operand {
    Const(f64),
    Slot(u32),
}

fn is_cmp(op: Op) -> bool {
    matches!(op, Op::Lt | Op::Le | Op::Gt | Op::Ge | Op::Eq | Op::Ne)
}

/// The comparison with its operands swapped: `c < x` is `x > c`.
fn swapped(op: Op) -> Op {
    match op {
        Op::Lt => Op::Gt,
        Op::Le => Op::Ge,
        Op::Gt => Op::Lt,
        Op::Ge => Op::Le,
        other => other,
    }
}

/// Reads one test from the start of `ops`; returns it and its length.
fn test(ops: &[Op]) -> Option<(Test, usize)> {
    match *ops {
        [Op::Load(a), Op::Const(c), op, ..] if is_cmp(op) => Some((
            Test::Cmp {
                slot: a,
                op,
                rhs: Operand::Const(c),
            },
            3,
        )),
        [Op::Const(c), Op::Load(a), op, ..] if is_cmp(op) => Some((
            Test::Cmp {
                slot: a,
                op: swapped(op),
                rhs: Operand::Const(c),
            },
            3,
        )),
        [Op::Load(a), Op::Load(b), op, ..] if is_cmp(op) => Some((
            Test::Cmp {
                slot: a,
                op,
                rhs: Operand::Slot(b),
            },
            3,
        )),
        [Op::Load(s), Op::Not, ..] => Some((Test::Flag { slot: s, want: false }, 2)),
        [Op::Load(s), ..] => Some((Test::Flag { slot: s, want: true }, 1)),
        _ => None,
    }
}

/// Recognises `test (JumpIfFalseKeep Pop test)*` where every jump lands on
/// another such jump or at the end: a conjunction of tests of true/false
/// values. Only called for code whose value is true/false.
fn conjunction(ops: &[Op]) -> Option<Box<[Test]>> {
    let mut tests = Vec::new();
    let mut at = 0;
    loop {
        let (t, len) = test(&ops[at..])?;
        tests.push(t);
        at += len;
        if at == ops.len() {
            return Some(tests.into_boxed_slice());
        }
        let (Op::JumpIfFalseKeep(o), Some(Op::Pop)) = (ops[at], ops.get(at + 1)) else {
            return None;
        };
        let target = at + 1 + o as usize;
        if target != ops.len() && !matches!(ops.get(target), Some(Op::JumpIfFalseKeep(_))) {
            return None;
        }
        at += 2;
    }
}

impl Test {
    #[inline(always)]
    fn holds(self, slots: &[f64]) -> bool {
        match self {
            Test::Flag { slot, want } => (slots[slot as usize] != 0.0) == want,
            Test::Cmp { slot, op, rhs } => {
                let a = slots[slot as usize];
                let b = match rhs {
                    Operand::Const(c) => c,
                    Operand::Slot(s) => slots[s as usize],
                };
                match op {
                    Op::Lt => a < b,
                    Op::Le => a <= b,
                    Op::Gt => a > b,
                    Op::Ge => a >= b,
                    Op::Eq => a == b,
                    _ => a != b,
                }
            }
        }
    }
}

impl Code {
    pub fn new(ops: Vec<Op>) -> Self {
        let (mut depth, mut max) = (0isize, 0isize);
        for op in &ops {
            depth += op.stack_effect();
            max = max.max(depth);
        }
        let fast = match *ops {
            [Op::Const(v)] => Fast::Const(v),
            [Op::Load(s)] => Fast::Load(s),
            _ => Fast::No,
        };
        let exec = super::lower::lower(&ops);
        Code {
            ops: ops.into_boxed_slice(),
            max_stack: max as usize,
            fast,
            exec,
        }
    }

    /// Marks the code as yielding true/false, which lets conjunctions of
    /// flag tests and comparisons run without the stack machine.
    pub fn boolean(mut self) -> Self {
        if self.fast == Fast::No {
            if let Some(tests) = conjunction(&self.ops) {
                self.fast = Fast::All(tests);
            }
        }
        self
    }

    /// The range of `slot` (usually `now`) outside which this true/false code
    /// is certainly false, read from its top-level comparisons with constants
    /// and with the slots that `known` can tell the value of.
    ///
    /// For a slot that only takes whole values (like `now`), the result is
    /// exact: inside the range every such comparison holds.
    pub fn whole_bounds_on(&self, slot: u32, known: impl Fn(u32) -> Option<f64>) -> (f64, f64) {
        let (mut lo, mut hi) = (f64::NEG_INFINITY, f64::INFINITY);
        if let Fast::All(tests) = &self.fast {
            for t in tests.iter() {
                let Test::Cmp { slot: s, op, rhs } = *t else { continue };
                let c = match rhs {
                    Operand::Const(c) => Some(c),
                    Operand::Slot(r) => known(r),
                };
                if let Some(c) = c {
                    if s == slot {
                        match op {
                            Op::Lt => hi = hi.min(c.ceil() - 1.0),
                            Op::Le => hi = hi.min(c.floor()),
                            Op::Gt => lo = lo.max(c.floor() + 1.0),
                            Op::Ge => lo = lo.max(c.ceil()),
                            Op::Eq if c.fract() == 0.0 => (lo, hi) = (lo.max(c), hi.min(c)),
                            Op::Eq => (lo, hi) = (1.0, 0.0),
                            _ => {}
                        }
                    }
                }
            }
        }
        (lo, hi)
    }

    /// Where the value can change as `slot` (a clock of whole numbers, like
    /// `now`) advances, if the code reads `slot` only in comparisons with
    /// constants: between two consecutive breaks every such comparison keeps
    /// its truth value, so with the other slots unchanged the value is the
    /// same. `None` when `slot` is read in any other way.
    pub fn breaks_on(&self, slot: u32) -> Option<Box<[u32]>> {
        let ops = &self.ops;
        let mut breaks = Vec::new();
        for (i, op) in ops.iter().enumerate() {
            if *op != Op::Load(slot) {
                continue;
            }
            // Read as `slot OP c`: a constant on the left flips the operator.
            let (c, op) = match (i.checked_sub(1).map(|j| ops[j]), ops.get(i + 1), ops.get(i + 2)) {
                (_, Some(Op::Const(c)), Some(&cmp)) if is_cmp(cmp) => (*c, cmp),
                (Some(Op::Const(c)), Some(&cmp), _) if is_cmp(cmp) => (c, swapped(cmp)),
                _ => return None,
            };
            // `<` and `>=` change at ceil(c); `<=` and `>` at floor(c) + 1.
            let (below, above) = (c.ceil(), c.floor() + 1.0);
            let at: &[f64] = match op {
                Op::Lt | Op::Ge => &[below],
                Op::Le | Op::Gt => &[above],
                _ => &[below, above],
            };
            for &b in at {
                if (0.0..f64::from(u32::MAX)).contains(&b) {
                    breaks.push(b as u32);
                }
            }
        }
        breaks.sort_unstable();
        breaks.dedup();
        Some(breaks.into_boxed_slice())
    }

    /// Whether the value depends on `slot` only through comparisons with
    /// constants and with slots that `is_fixed`: then, inside the range given
    /// by [`Self::whole_bounds_on`], it does not depend on `slot` at all.
    pub fn reads_only_as_bounds(&self, slot: u32, is_fixed: impl Fn(u32) -> bool) -> bool {
        match &self.fast {
            Fast::All(tests) => tests.iter().all(|t| match *t {
                Test::Flag { slot: s, .. } => s != slot,
                Test::Cmp { slot: s, op, rhs } => {
                    let rhs_is_slot = matches!(rhs, Operand::Slot(r) if r == slot);
                    let bound = match rhs {
                        Operand::Const(_) => true,
                        Operand::Slot(r) => is_fixed(r),
                    };
                    !rhs_is_slot && (s != slot || (bound && op != Op::Ne))
                }
            }),
            _ => !self.reads(slot),
        }
    }

    /// Whether some top-level comparison of `slot` is with a slot that
    /// `is_fixed` (so [`Self::bounds_on`] can narrow it once those are known).
    pub fn compares_with(&self, slot: u32, is_fixed: impl Fn(u32) -> bool) -> bool {
        match &self.fast {
            Fast::All(tests) => tests
                .iter()
                .any(|t| matches!(*t, Test::Cmp { slot: s, rhs: Operand::Slot(r), .. } if s == slot && is_fixed(r))),
            _ => false,
        }
    }

    /// Code that pushes one constant.
    /// Whether the code reads `slot`.
    pub fn reads(&self, slot: u32) -> bool {
        self.ops.contains(&Op::Load(slot))
    }

    /// The slots the code reads.
    pub fn loads(&self) -> impl Iterator<Item = u32> + '_ {
        self.ops.iter().filter_map(|op| match op {
            Op::Load(s) => Some(*s),
            _ => None,
        })
    }

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
    #[inline(always)]
    pub fn eval(&self, slots: &[f64], stack: &mut Stack) -> f64 {
        match &self.fast {
            Fast::No => {}
            Fast::Const(v) => return *v,
            Fast::Load(s) => return slots[*s as usize],
            Fast::All(tests) => return truth(tests.iter().all(|t| t.holds(slots))),
        }
        self.run(slots, stack)
    }

    /// The stack machine itself (what `eval` does when no fast form applies).
    #[inline(never)]
    pub fn run(&self, slots: &[f64], stack: &mut Stack) -> f64 {
        super::exec::run(&self.exec, slots, stack)
    }

    /// The value through [`run_canonical`] (the reference for [`Self::run`]).
    pub fn run_canonical(&self, slots: &[f64]) -> f64 {
        run_canonical(&self.ops, slots)
    }
}

#[inline]
fn truth(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

/// The canonical ops run naively, one stack push or pop an op: the
/// reference the lowered code must match to the bit (tests and the fuzzer
/// compare them). A malformed program (never compiled) gives NaN.
pub fn run_canonical(ops: &[Op], slots: &[f64]) -> f64 {
    let mut st: Vec<f64> = Vec::new();
    let mut pc = 0;
    let t = |b: bool| if b { 1.0 } else { 0.0 };
    let pop = |st: &mut Vec<f64>| st.pop().unwrap_or(f64::NAN);
    while pc < ops.len() {
        match ops[pc] {
            Op::Const(v) => st.push(v),
            Op::Load(s) => st.push(slots.get(s as usize).copied().unwrap_or(f64::NAN)),
            Op::Pop => {
                st.pop();
            }
            Op::Jump(o) => pc += o as usize,
            Op::JumpIfFalse(o) => {
                if pop(&mut st) == 0.0 {
                    pc += o as usize;
                }
            }
            Op::JumpIfFalseKeep(o) => {
                if st.last() == Some(&0.0) {
                    pc += o as usize;
                }
            }
            Op::JumpIfTrueKeep(o) => {
                if st.last().is_some_and(|&x| x != 0.0) {
                    pc += o as usize;
                }
            }
            Op::Clamp => {
                let (hi, lo, x) = (pop(&mut st), pop(&mut st), pop(&mut st));
                st.push(x.max(lo).min(hi));
            }
            op if op.is_unary() => {
                let x = pop(&mut st);
                st.push(super::exec::unary(op, x));
            }
            op => {
                let (b, a) = (pop(&mut st), pop(&mut st));
                st.push(match op {
                    Op::Add => a + b,
                    Op::Sub => a - b,
                    Op::Mul => a * b,
                    Op::Div => a / b,
                    Op::Min => a.min(b),
                    Op::Max => a.max(b),
                    Op::Pow => a.powf(b),
                    Op::Lt => t(a < b),
                    Op::Le => t(a <= b),
                    Op::Gt => t(a > b),
                    Op::Ge => t(a >= b),
                    Op::Eq => t(a == b),
                    _ => t(a != b),
                });
            }
        }
        pc += 1;
    }
    pop(&mut st)
}

/// Scratch operand stack, reused across evaluations (no allocation per call).
#[derive(Clone)]
pub struct Stack(pub(super) Box<[f64; MAX_STACK]>);

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
