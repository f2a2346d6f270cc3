//! Lowering: the canonical [`Op`]s turned once into the executed form,
//! with constants folded, an operand fused into the operation that uses it
//! (`x * state.y` runs as one step), and the runs that `and`/`or` chains and
//! weighted sums are made of fused into one op each.

use super::exec::{Bin, Exec, Factor, Operand, unary};
use super::vm::Op;

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
        match offset_of(&mut out[at]) {
            Some(x) => *x = offset,
            None => unreachable!("a jump is never merged"), // ok: patches record only jumps
        }
    }
    fuse(&out).into_boxed_slice()
}

/// The forward offset of a lowered op that jumps.
fn offset_of(e: &mut Exec) -> Option<&mut u32> {
    match e {
        Exec::Jump(o)
        | Exec::JumpIfFalse(o)
        | Exec::JumpIfFalseKeep(o)
        | Exec::JumpIfTrueKeep(o)
        | Exec::JumpUnlessSlot(_, o)
        | Exec::AndLoad(o, _)
        | Exec::OrLoad(o, _) => Some(o),
        _ => None,
    }
}

/// Where lowered op `e` at `i` jumps to, if it jumps.
fn target(i: usize, mut e: Exec) -> Option<usize> {
    offset_of(&mut e).map(|o| i + 1 + *o as usize)
}

/// The fused op a run at the start of `code` makes, and the run's length.
fn fused(code: &[Exec]) -> Option<(Exec, usize)> {
    use Exec::{AddProduct, Bin as B, BinSlot, JumpIfFalseKeep, JumpIfTrueKeep, Load, Pop, Select, Unary};
    // `if s then 1 else 0` (to the bit: not -0).
    let flag = |s: u32, a: Operand, b: Operand| match (a, b) {
        (Operand::Const(a), Operand::Const(b)) if (a.to_bits(), b.to_bits()) == (1f64.to_bits(), 0) => {
            Some(Factor::Flag(s))
        }
        (Operand::Const(a), Operand::Const(b)) if (a.to_bits(), b.to_bits()) == (0, 1f64.to_bits()) => {
            Some(Factor::NotFlag(s))
        }
        _ => None,
    };
    Some(match *code {
        [JumpIfFalseKeep(o), Pop, Load(s), ..] => (Exec::AndLoad(o, s), 3),
        [JumpIfTrueKeep(o), Pop, Load(s), ..] => (Exec::OrLoad(o, s), 3),
        [Load(f), Select(a, b), BinSlot(Bin::Mul, w), B(Bin::Add), ..] => {
            (AddProduct(flag(f, a, b)?, Factor::Slot(w)), 4)
        }
        [
            Load(f),
            Select(a, b),
            Load(w),
            Unary(Op::Neg),
            B(Bin::Mul),
            B(Bin::Add),
            ..,
        ] => (AddProduct(flag(f, a, b)?, Factor::NegSlot(w)), 6),
        [Load(x), Load(w), Unary(Op::Neg), B(Bin::Mul), B(Bin::Add), ..] => {
            (AddProduct(Factor::Slot(x), Factor::NegSlot(w)), 5)
        }
        [Load(x), BinSlot(Bin::Mul, w), B(Bin::Add), ..] => (AddProduct(Factor::Slot(x), Factor::Slot(w)), 3),
        _ => return None,
    })
}

/// Fuses the runs that `and`/`or` chains and weighted sums (beliefs,
/// utilities) are made of into one op each. The fused op does the same
/// float operations in the same order, so every value is the same to the
/// bit; no run is fused across a point where a jump lands.
fn fuse(code: &[Exec]) -> Vec<Exec> {
    let mut lands = vec![false; code.len() + 1];
    for (i, e) in code.iter().enumerate() {
        if let Some(t) = target(i, *e) {
            lands[t] = true;
        }
    }
    let mut out = Vec::with_capacity(code.len());
    // `new_at[i]`: where old op `i` went; `old_at[j]`: the old op new op `j` starts at.
    let mut new_at = vec![0usize; code.len() + 1];
    let mut old_at = Vec::with_capacity(code.len());
    let mut i = 0;
    while i < code.len() {
        let (exec, len) = fused(&code[i..]).unwrap_or((code[i], 1));
        let (exec, len) = if lands[i + 1..i + len].iter().any(|&l| l) {
            (code[i], 1)
        } else {
            (exec, len)
        };
        new_at[i..i + len].fill(out.len());
        old_at.push(i);
        out.push(exec);
        i += len;
    }
    new_at[code.len()] = out.len();
    for (j, e) in out.iter_mut().enumerate() {
        if let Some(o) = offset_of(e) {
            let t = old_at[j] + 1 + *o as usize;
            *o = (new_at[t] - j - 1) as u32;
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::exec::{Bin, Exec, Factor, Operand};
    use super::super::vm::Stack;
    use super::super::{CompileError, Resolved, Scope, Type, compile_source};
    use std::ops::Range;

    /// `x` is slot 0 (a number), `flag` slot 1 (true/false).
    pub(crate) struct Names;
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

    /// A small deterministic generator of well-typed random expressions.
    pub(crate) struct Gen(pub(crate) u64);
    impl Gen {
        fn next(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % n
        }
        pub(crate) fn num(&mut self, depth: u32) -> String {
            match if depth == 0 { self.next(2) } else { self.next(10) } {
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
                // A term of a weighted sum, as beliefs and utilities are written.
                8 => format!(
                    "({} + (if {} then {} else {}) * {})",
                    self.num(depth - 1),
                    self.boolean(depth - 1),
                    self.next(2),
                    self.next(2),
                    ["x", "-x"][self.next(2) as usize]
                ),
                _ => format!("-{}", self.num(depth - 1)),
            }
        }
        pub(crate) fn boolean(&mut self, depth: u32) -> String {
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
        // How many codes hold each fused op: the comparison must cover them.
        let mut fused = [0; 3];
        for i in 0..2000 {
            let src = if i % 2 == 0 { g.num(4) } else { g.boolean(4) };
            let (code, _) = compile_source(&src, None, &mut Names).unwrap();
            let lowered = super::lower(code.ops());
            for (n, kind) in fused.iter_mut().zip([
                |e: &Exec| matches!(e, Exec::AndLoad(..)),
                |e: &Exec| matches!(e, Exec::OrLoad(..)),
                |e: &Exec| matches!(e, Exec::AddProduct(..)),
            ]) {
                *n += usize::from(lowered.iter().any(kind));
            }
            for x in [-2.0, -0.5, 0.0, 1.0, 2.5, 4.0] {
                for flag in [0.0, 1.0] {
                    let slots = [x, flag];
                    let want = code.run_canonical(&slots);
                    let got = code.run(&slots, &mut stack);
                    assert!(
                        want.to_bits() == got.to_bits() || (want.is_nan() && got.is_nan()),
                        "{src} at x={x} flag={flag}: {got} vs {want}"
                    );
                    assert!(got.to_bits() == code.eval(&slots, &mut stack).to_bits() || got.is_nan());
                }
            }
        }
        assert!(fused.iter().all(|&n| n >= 20), "fused ops seen in {fused:?} codes");
    }

    #[test]
    fn constants_fold_and_operands_fuse() {
        let (code, _) = compile_source("2 * 3 + x * x", None, &mut Names).unwrap();
        let lowered = super::lower(code.ops());
        assert_eq!(
            &lowered[..],
            [Exec::Const(6.0), Exec::AddProduct(Factor::Slot(0), Factor::Slot(0))]
        );
        let (code, _) = compile_source("2 * 3 - x * x", None, &mut Names).unwrap();
        assert_eq!(
            &super::lower(code.ops())[..],
            [
                Exec::Const(6.0),
                Exec::Load(0),
                Exec::BinSlot(Bin::Mul, 0),
                Exec::Bin(Bin::Sub)
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

    #[test]
    fn chains_and_weighted_sums_run_as_one_op_a_term() {
        let lower = |src: &str| super::lower(compile_source(src, None, &mut Names).unwrap().0.ops()).to_vec();
        // A belief: a prior plus one weight per signal that holds.
        assert_eq!(
            lower("0.5 + (if flag then 1 else 0) * x + (if flag then 0 else 1) * -x + x * x"),
            [
                Exec::Const(0.5),
                Exec::AddProduct(Factor::Flag(1), Factor::Slot(0)),
                Exec::AddProduct(Factor::NotFlag(1), Factor::NegSlot(0)),
                Exec::AddProduct(Factor::Slot(0), Factor::Slot(0)),
            ]
        );
        // Each further test of a chain is one op, its jump kept to the end.
        let chain = lower("flag and x > 1 and x < 3");
        assert!(
            matches!(
                chain[..],
                [Exec::Load(1), Exec::AndLoad(1, 0), _, Exec::AndLoad(1, 0), _]
            ),
            "{chain:?}"
        );
        let chain = lower("flag or x > 1");
        assert!(matches!(chain[..], [Exec::Load(1), Exec::OrLoad(1, 0), _]), "{chain:?}");
        // `else -0` is not a flag: -0 is kept to the bit.
        assert!(
            !lower("1 + (if flag then 1 else -0) * x")
                .iter()
                .any(|e| matches!(e, Exec::AddProduct(Factor::Flag(_), _)))
        );
    }
}
