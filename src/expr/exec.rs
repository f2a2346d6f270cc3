//! The executed form of compiled code: the canonical [`Op`]s lowered once,
//! with constants folded and an operand fused into the operation that uses
//! it (`x * state.y` runs as one step), and the accumulator stack machine.

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
    fn of(op: Op) -> Option<Bin> {
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
    fn apply(self, a: f64, b: f64) -> f64 {
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
}

/// A plain operand of a fused operation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Operand {
    Const(f64),
    Slot(u32),
}

impl Operand {
    fn of(op: Op) -> Option<Operand> {
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

fn unary(op: Op, x: f64) -> f64 {
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

fn jump(op: Op) -> Option<u32> {
    match op {
        Op::Jump(o) | Op::JumpIfFalse(o) | Op::JumpIfFalseKeep(o) | Op::JumpIfTrueKeep(o) => Some(o),
        _ => None,
    }
}

/// Lowers canonical ops. Nothing is merged across a point where a jump
/// lands, so every jump still lands where it did.
pub fn lower(ops: &[Op]) -> Box<[Exec]> {
    let mut landings = vec![0u32; ops.len() + 1];
    for (i, &op) in ops.iter().enumerate() {
        if let Some(o) = jump(op) {
            landings[i + 1 + o as usize] += 1;
        }
    }
    let target = |i: usize| landings[i] > 0;
    let mut out: Vec<Exec> = Vec::with_capacity(ops.len());
    // Whether a jump lands on each entry of `out`.
    let mut landing: Vec<bool> = Vec::with_capacity(ops.len());
    // `new_at[i]`: index in `out` where old op `i` starts.
    let mut new_at = vec![0usize; ops.len() + 1];
    // Jumps to patch: (index in `out`, old index of the target).
    let mut patches: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < ops.len() {
        new_at[i] = out.len();
        let n = out.len();
        // `if c then a else b` with plain a and b: JumpIfFalse(2) a Jump(1) b.
        if let [Op::JumpIfFalse(2), a, Op::Jump(1), b, ..] = ops[i..] {
            if let (Some(a), Some(b)) = (Operand::of(a), Operand::of(b)) {
                if !target(i + 1) && !target(i + 2) && landings[i + 3] == 1 {
                    out.push(Exec::Select(a, b));
                    landing.push(target(i));
                    (new_at[i + 1], new_at[i + 2], new_at[i + 3]) = (n, n, n);
                    i += 4;
                    continue;
                }
            }
        }
        // `Load s; JumpIfFalse(o)`, unless that jump starts a select.
        if let [Op::Load(s), Op::JumpIfFalse(o), ..] = ops[i..] {
            let select = matches!(ops[i + 1..], [Op::JumpIfFalse(2), a, Op::Jump(1), b, ..]
                if Operand::of(a).is_some() && Operand::of(b).is_some());
            if !target(i + 1) && !select {
                patches.push((n, i + 2 + o as usize));
                out.push(Exec::JumpUnlessSlot(s, o));
                landing.push(target(i));
                new_at[i + 1] = n;
                i += 2;
                continue;
            }
        }
        let op = ops[i];
        // The op may merge into what precedes it only if no jump lands on it.
        let last = if target(i) { None } else { out.last().copied() };
        let merged = match (op, last) {
            (op, Some(Exec::Const(b))) if Bin::of(op).is_some() => {
                let bin = Bin::of(op).expect("checked"); // ok: checked in the guard
                match (n >= 2).then(|| out[n - 2]) {
                    Some(Exec::Const(a)) if !landing[n - 1] => Some((n - 2, Exec::Const(bin.apply(a, b)))),
                    _ => Some((n - 1, Exec::BinConst(bin, b))),
                }
            }
            (op, Some(Exec::Load(s))) if Bin::of(op).is_some() => {
                Some((n - 1, Exec::BinSlot(Bin::of(op).expect("checked"), s))) // ok: checked in the guard
            }
            (op, Some(Exec::Const(c))) if op.is_unary() => Some((n - 1, Exec::Const(unary(op, c)))),
            _ => None,
        };
        if let Some((k, exec)) = merged {
            let lands = landing[k];
            out.truncate(k);
            landing.truncate(k);
            out.push(exec);
            landing.push(lands);
            i += 1;
            continue;
        }
        if let Some(o) = jump(op) {
            patches.push((n, i + 1 + o as usize));
        }
        out.push(match op {
            Op::Const(c) => Exec::Const(c),
            Op::Load(s) => Exec::Load(s),
            op if op.is_unary() => Exec::Unary(op),
            Op::Pop => Exec::Pop,
            Op::Clamp => Exec::Clamp,
            Op::Jump(o) => Exec::Jump(o),
            Op::JumpIfFalse(o) => Exec::JumpIfFalse(o),
            Op::JumpIfFalseKeep(o) => Exec::JumpIfFalseKeep(o),
            Op::JumpIfTrueKeep(o) => Exec::JumpIfTrueKeep(o),
            binary => Exec::Bin(Bin::of(binary).expect("every other op is binary")), // ok: Op is closed
        });
        landing.push(target(i));
        i += 1;
    }
    new_at[ops.len()] = out.len();
    for (at, old_target) in patches {
        let offset = (new_at[old_target] - at - 1) as u32;
        match &mut out[at] {
            Exec::Jump(x) | Exec::JumpIfFalse(x) | Exec::JumpIfFalseKeep(x) | Exec::JumpIfTrueKeep(x) => *x = offset,
            Exec::JumpUnlessSlot(_, x) => *x = offset,
            _ => unreachable!("a jump is never merged"), // ok: patches record only jumps
        }
    }
    out.into_boxed_slice()
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
        }
        pc += 1;
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::super::vm::{Op, Stack};
    use super::super::{CompileError, Resolved, Scope, Type, compile_source};
    use std::ops::Range;

    /// `x` is slot 0 (a number), `flag` slot 1 (true/false).
    struct Names;
    impl Scope for Names {
        fn resolve(&mut self, name: &str, span: Range<usize>) -> Result<Resolved, CompileError> {
            match name {
                "x" => Ok(Resolved::Slot(0, Type::Num)),
                "flag" => Ok(Resolved::Slot(1, Type::Bool)),
                _ => Err(CompileError::new(span, "unknown", "x or flag")),
            }
        }
        fn date(&self, _: &str) -> Result<f64, (String, String)> {
            Ok(0.0)
        }
        fn ticks_per(&self, _: crate::time::Unit) -> f64 {
            1.0
        }
        fn named_value(&self, _: u32, _: &str) -> Result<f64, String> {
            Err(String::new())
        }
    }

    /// The canonical ops, run naively: the reference the lowered form must match.
    fn reference(ops: &[Op], slots: &[f64]) -> f64 {
        let mut st: Vec<f64> = Vec::new();
        let mut pc = 0;
        let t = |b: bool| if b { 1.0 } else { 0.0 };
        while pc < ops.len() {
            match ops[pc] {
                Op::Const(v) => st.push(v),
                Op::Load(s) => st.push(slots[s as usize]),
                Op::Pop => {
                    st.pop();
                }
                Op::Jump(o) => pc += o as usize,
                Op::JumpIfFalse(o) => {
                    if st.pop().unwrap() == 0.0 {
                        pc += o as usize;
                    }
                }
                Op::JumpIfFalseKeep(o) => {
                    if *st.last().unwrap() == 0.0 {
                        pc += o as usize;
                    }
                }
                Op::JumpIfTrueKeep(o) => {
                    if *st.last().unwrap() != 0.0 {
                        pc += o as usize;
                    }
                }
                Op::Clamp => {
                    let hi = st.pop().unwrap();
                    let lo = st.pop().unwrap();
                    let x = st.pop().unwrap();
                    st.push(x.max(lo).min(hi));
                }
                op if op.is_unary() => {
                    let x = st.pop().unwrap();
                    st.push(super::unary(op, x));
                }
                op => {
                    let b = st.pop().unwrap();
                    let a = st.pop().unwrap();
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
        assert_eq!(st.len(), 1);
        st[0]
    }

    /// A small deterministic generator of well-typed random expressions.
    struct Gen(u64);
    impl Gen {
        fn next(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % n
        }
        fn num(&mut self, depth: u32) -> String {
            match if depth == 0 { self.next(2) } else { self.next(9) } {
                0 => "x".into(),
                1 => format!("{}", self.next(5)),
                2 => format!(
                    "({} {} {})",
                    self.num(depth - 1),
                    ["+", "-", "*", "/"][self.next(4) as usize],
                    self.num(depth - 1)
                ),
                3 => format!(
                    "(if {} then {} else {})",
                    self.boolean(depth - 1),
                    self.num(depth - 1),
                    self.num(depth - 1)
                ),
                4 => format!(
                    "min({}, {}, {})",
                    self.num(depth - 1),
                    self.num(depth - 1),
                    self.num(depth - 1)
                ),
                5 => format!(
                    "clamp({}, {}, {})",
                    self.num(depth - 1),
                    self.num(depth - 1),
                    self.num(depth - 1)
                ),
                6 => format!(
                    "{}({})",
                    ["exp", "ln", "sqrt", "floor", "round"][self.next(5) as usize],
                    self.num(depth - 1)
                ),
                7 => format!("pow({}, {})", self.num(depth - 1), self.num(depth - 1)),
                _ => format!("-{}", self.num(depth - 1)),
            }
        }
        fn boolean(&mut self, depth: u32) -> String {
            match if depth == 0 { self.next(2) } else { self.next(6) } {
                0 => "flag".into(),
                1 => ["true", "false"][self.next(2) as usize].into(),
                2 => format!(
                    "({} {} {})",
                    self.boolean(depth - 1),
                    ["and", "or"][self.next(2) as usize],
                    self.boolean(depth - 1)
                ),
                3 => format!("not {}", self.boolean(depth - 1)),
                4 => format!(
                    "({} {} {})",
                    self.num(depth - 1),
                    ["<", "<=", ">", ">=", "==", "!="][self.next(6) as usize],
                    self.num(depth - 1)
                ),
                _ => format!(
                    "(if {} then {} else {})",
                    self.boolean(depth - 1),
                    self.boolean(depth - 1),
                    self.boolean(depth - 1)
                ),
            }
        }
    }

    #[test]
    fn lowered_code_matches_the_canonical_ops() {
        let mut g = Gen(12345);
        let mut stack = Stack::default();
        for i in 0..2000 {
            let src = if i % 2 == 0 { g.num(4) } else { g.boolean(4) };
            let (code, _) = compile_source(&src, None, &mut Names).unwrap();
            for x in [-2.0, -0.5, 0.0, 1.0, 2.5, 4.0] {
                for flag in [0.0, 1.0] {
                    let slots = [x, flag];
                    let want = reference(code.ops(), &slots);
                    let got = code.run(&slots, &mut stack);
                    assert!(
                        want.to_bits() == got.to_bits() || (want.is_nan() && got.is_nan()),
                        "{src} at x={x} flag={flag}: {got} vs {want}"
                    );
                    assert!(got.to_bits() == code.eval(&slots, &mut stack).to_bits() || got.is_nan());
                }
            }
        }
    }

    #[test]
    fn constants_fold_and_operands_fuse() {
        let (code, _) = compile_source("2 * 3 + x * x", None, &mut Names).unwrap();
        use super::{Bin, Exec, Operand};
        let lowered = super::lower(code.ops());
        assert_eq!(
            &lowered[..],
            [
                Exec::Const(6.0),
                Exec::Load(0),
                Exec::BinSlot(Bin::Mul, 0),
                Exec::Bin(Bin::Add)
            ]
        );
        let (code, _) = compile_source("x * (if flag then 2 else x)", None, &mut Names).unwrap();
        let lowered = super::lower(code.ops());
        let select = Exec::Select(Operand::Const(2.0), Operand::Slot(0));
        assert_eq!(
            &lowered[..],
            [Exec::Load(0), Exec::Load(1), select, Exec::Bin(Bin::Mul)]
        );
        let (code, _) = compile_source("if flag then x + 1 else 0", None, &mut Names).unwrap();
        assert!(matches!(super::lower(code.ops())[0], Exec::JumpUnlessSlot(1, _)));
    }
}
