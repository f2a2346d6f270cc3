//! The executed form of compiled code (the canonical [`Op`]s lowered once,
//! see `lower`) and the accumulator stack machine that runs it.

use super::vm::{Op, Stack};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bin {
    Add,
    Sub,
    Mul,
    Div,
    Min,
    Max,
    Pow,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Bin {
    pub(super) fn of(op: Op) -> Option<Bin> {
        Some(match op {
            Op::Add => Bin::Add,
            Op::Sub => Bin::Sub,
            Op::Mul => Bin::Mul,
            Op::Div => Bin::Div,
            Op::Min => Bin::Min,
            Op::Max => Bin::Max,
            Op::Pow => Bin::Pow,
            Op::Lt => Bin::Lt,
            Op::Le => Bin::Le,
            Op::Gt => Bin::Gt,
            Op::Ge => Bin::Ge,
            Op::Eq => Bin::Eq,
            Op::Ne => Bin::Ne,
            _ => return None,
        })
    }

    #[inline(always)]
    pub(super) fn apply(self, a: f64, b: f64) -> f64 {
        let truth = |t: bool| if t { 1.0 } else { 0.0 };
        match self {
            Bin::Add => a + b,
            Bin::Sub => a - b,
            Bin::Mul => a * b,
            Bin::Div => a / b,
            Bin::Min => a.min(b),
            Bin::Max => a.max(b),
            Bin::Pow => a.powf(b),
            Bin::Lt => truth(a < b),
            Bin::Le => truth(a <= b),
            Bin::Gt => truth(a > b),
            Bin::Ge => truth(a >= b),
            Bin::Eq => truth(a == b),
            Bin::Ne => truth(a != b),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Exec {
    Const(f64),
    Load(u32),
    /// A unary op (see [`Op::is_unary`]) on the top.
    Unary(Op),
    /// Pops `a`; the top becomes `a op top`.
    Bin(Bin),
    /// The top becomes `top op slots[s]`.
    BinSlot(Bin, u32),
    /// The top becomes `top op c`.
    BinConst(Bin, f64),
    Pop,
    Clamp,
    Jump(u32),
    JumpIfFalse(u32),
    JumpIfFalseKeep(u32),
    JumpIfTrueKeep(u32),
    /// `if top then a else b` with plain operands: the top becomes one of them.
    Select(Operand, Operand),
    /// Skip forward if `slots[s]` is false (a `Load` and a `JumpIfFalse`).
    JumpUnlessSlot(u32, u32),
    /// The next test of an `and` chain: skip forward keeping a false top,
    /// else the top becomes `slots[s]` (`JumpIfFalseKeep`, `Pop`, `Load`).
    AndLoad(u32, u32),
    /// The same for an `or` chain: skip forward keeping a true top.
    OrLoad(u32, u32),
    /// A term of a weighted sum: the top becomes `top + a * b` (the two
    /// factors, their product, then `Bin(Add)`).
    AddProduct(Factor, Factor),
}

/// A factor of [`Exec::AddProduct`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Factor {
    Slot(u32),
    /// `-slots[s]`.
    NegSlot(u32),
    /// `if slots[s] then 1 else 0`, and its opposite.
    Flag(u32),
    NotFlag(u32),
}

impl Factor {
    #[inline(always)]
    fn value(self, slots: &[f64]) -> f64 {
        match self {
            Factor::Slot(s) => slots[s as usize],
            Factor::NegSlot(s) => -slots[s as usize],
            Factor::Flag(s) => {
                if slots[s as usize] != 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Factor::NotFlag(s) => {
                if slots[s as usize] != 0.0 {
                    0.0
                } else {
                    1.0
                }
            }
        }
    }
}

/// A plain operand of a fused operation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Operand {
    Const(f64),
    Slot(u32),
}

impl Operand {
    pub(super) fn of(op: Op) -> Option<Operand> {
        match op {
            Op::Const(c) => Some(Operand::Const(c)),
            Op::Load(s) => Some(Operand::Slot(s)),
            _ => None,
        }
    }

    #[inline(always)]
    fn value(self, slots: &[f64]) -> f64 {
        match self {
            Operand::Const(c) => c,
            Operand::Slot(s) => slots[s as usize],
        }
    }
}

pub(crate) fn unary(op: Op, x: f64) -> f64 {
    match op {
        Op::Neg => -x,
        Op::Not => {
            if x == 0.0 {
                1.0
            } else {
                0.0
            }
        }
        Op::Abs => x.abs(),
        Op::Logit => (x / (1.0 - x)).ln(),
        Op::Exp => x.exp(),
        Op::Ln => x.ln(),
        Op::Sqrt => x.sqrt(),
        Op::Floor => x.floor(),
        Op::Ceil => x.ceil(),
        Op::Round => x.round(),
        _ => 1.0 / (1.0 + (-x).exp()),
    }
}

/// Runs lowered code. The top of the stack lives in `acc`; `st[..sp]` holds
/// the rest (its first entry is a junk value pushed under the first
/// operand). `sp` is a u8 indexing a 256-entry array, so no index is out of
/// bounds; the compiler caps the depth below that.
pub fn run(code: &[Exec], slots: &[f64], stack: &mut Stack) -> f64 {
    let st = &mut stack.0;
    let mut sp: u8 = 0;
    let mut acc = 0.0f64;
    let mut pc = 0usize;
    while pc < code.len() {
        match code[pc] {
            Exec::Const(v) => {
                st[sp as usize] = acc;
                sp += 1;
                acc = v;
            }
            Exec::Load(s) => {
                st[sp as usize] = acc;
                sp += 1;
                acc = slots[s as usize];
            }
            Exec::Unary(op) => acc = unary(op, acc),
            Exec::Bin(bin) => {
                sp -= 1;
                acc = bin.apply(st[sp as usize], acc);
            }
            Exec::BinSlot(bin, s) => acc = bin.apply(acc, slots[s as usize]),
            Exec::BinConst(bin, c) => acc = bin.apply(acc, c),
            Exec::Pop => {
                sp -= 1;
                acc = st[sp as usize];
            }
            Exec::Clamp => {
                let (x, lo) = (st[(sp - 2) as usize], st[(sp - 1) as usize]);
                sp -= 2;
                acc = x.max(lo).min(acc);
            }
            Exec::Jump(o) => pc += o as usize,
            Exec::JumpIfFalse(o) => {
                let c = acc;
                sp -= 1;
                acc = st[sp as usize];
                if c == 0.0 {
                    pc += o as usize;
                }
            }
            Exec::JumpIfFalseKeep(o) => {
                if acc == 0.0 {
                    pc += o as usize;
                }
            }
            Exec::JumpIfTrueKeep(o) => {
                if acc != 0.0 {
                    pc += o as usize;
                }
            }
            Exec::Select(a, b) => acc = if acc != 0.0 { a.value(slots) } else { b.value(slots) },
            Exec::JumpUnlessSlot(s, o) => {
                if slots[s as usize] == 0.0 {
                    pc += o as usize;
                }
            }
            Exec::AndLoad(o, s) => {
                if acc == 0.0 {
                    pc += o as usize;
                } else {
                    acc = slots[s as usize];
                }
            }
            Exec::OrLoad(o, s) => {
                if acc != 0.0 {
                    pc += o as usize;
                } else {
                    acc = slots[s as usize];
                }
            }
            Exec::AddProduct(a, b) => acc += a.value(slots) * b.value(slots),
        }
        pc += 1;
    }
    acc
}
