//! Compiled code run over a batch of branches at once: every slot is a
//! column of [`WIDTH`] values (one per branch), and every op works on whole
//! columns in loops the compiler vectorises.
//!
//! The canonical ops are straightened first: `a and b`, `a or b` and
//! `if c then x else y` evaluate both sides and pick per branch (there are
//! no side effects to skip), so a column op never branches on a value. The
//! pick keeps what the jumps would have kept (`a and b` is `a` where `a` is
//! `±0`, else `b`), and every op is the scalar machine's own arithmetic, so
//! each branch's value is the scalar value to the bit.

use super::exec::{Bin, unary};
use super::vm::{Code, Op};

/// Branches in a batch: one lane window of the random streams (see `engine::rng`).
pub const WIDTH: usize = 64;

/// A set of branches of a batch, one bit per branch (branch `k` is `1 << k`).
pub type Mask = u64;
const _: () = assert!(Mask::BITS as usize == WIDTH);

/// One value per branch of a batch.
pub type Column = [f64; WIDTH];

/// A column of one value.
pub fn splat(v: f64) -> Column {
    [v; WIDTH]
}

/// Code straightened for columns.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnCode {
    ops: Box<[Col]>,
    depth: usize,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Col {
    Const(f64),
    Load(u32),
    Unary(Op),
    Bin(Bin),
    /// The top becomes `top op slots[s]`.
    BinSlot(Bin, u32),
    /// The top becomes `top op c`.
    BinConst(Bin, f64),
    Clamp,
    /// Pops `b`; where the top `a` is `±0` it stays, else it becomes `b`.
    And,
    /// Pops `b`; where the top `a` is `±0` it becomes `b`.
    Or,
    /// Pops `y` and `x`; where the top `c` is `±0` it becomes `y`, else `x`.
    Pick,
}

impl ColumnCode {
    /// Straightens `code`; `None` for jumps of another shape than the
    /// compiler's `and`, `or` and `if`.
    pub fn new(code: &Code) -> Option<ColumnCode> {
        Self::with_fixed(code, &|_| None)
    }

    /// As [`Self::new`], with the slots `fixed` gives a value for read as
    /// that constant (and folded with the constants next to them).
    pub fn with_fixed(code: &Code, fixed: &dyn Fn(u32) -> Option<f64>) -> Option<ColumnCode> {
        Self::from_ops(Self::straightened(code, fixed)?, 1)
    }

    /// The code's value when it is a constant (folded as `fuse` folds).
    pub fn constant(&self) -> Option<f64> {
        match *self.ops {
            [Col::Const(v)] => Some(v),
            _ => None,
        }
    }

    /// The ops of `code` straightened, fixed slots made constants, and fused.
    pub(super) fn straightened(code: &Code, fixed: &dyn Fn(u32) -> Option<f64>) -> Option<Vec<Col>> {
        let mut ops = Vec::new();
        straighten(code.ops(), &mut ops)?;
        for op in &mut ops {
            if let Col::Load(s) = *op {
                *op = fixed(s).map_or(*op, Col::Const);
            }
        }
        Some(fuse(ops))
    }

    /// Code of `ops`, which must leave `results` values and never pop
    /// below one.
    pub(super) fn from_ops(ops: Vec<Col>, results: usize) -> Option<ColumnCode> {
        let (mut depth, mut max) = (0usize, 0usize);
        for op in &ops {
            match op {
                Col::Const(_) | Col::Load(_) => depth += 1,
                Col::Unary(_) | Col::BinSlot(..) | Col::BinConst(..) => {}
                Col::Bin(_) | Col::And | Col::Or => depth = depth.checked_sub(1)?,
                Col::Clamp | Col::Pick => depth = depth.checked_sub(2)?,
            }
            if depth == 0 {
                return None;
            }
            max = max.max(depth);
        }
        (depth == results).then(|| ColumnCode {
            ops: ops.into_boxed_slice(),
            depth: max,
        })
    }

    /// The two values of code made to leave two (see `from_ops`).
    pub(super) fn eval_pair<'s>(&self, slots: &[Column], stack: &'s mut ColumnStack) -> (&'s Column, &'s Column) {
        self.eval(slots, stack);
        (&stack.0[0], &stack.0[1])
    }

    /// The code's value in every branch of the batch. No index can be out
    /// of range: `new` checked that the code never pops below one value and
    /// leaves exactly one, and the stack grows to its depth here; `slots`
    /// holds a column for every slot of the program the code was compiled in.
    pub fn eval<'s>(&self, slots: &[Column], stack: &'s mut ColumnStack) -> &'s Column {
        if stack.0.len() < self.depth {
            stack.0.resize(self.depth, splat(0.0));
        }
        let st = &mut stack.0[..];
        let mut sp = 0;
        for &op in self.ops.iter() {
            match op {
                Col::Const(v) => {
                    st[sp] = splat(v);
                    sp += 1;
                }
                Col::Load(s) => {
                    st[sp] = slots[s as usize];
                    sp += 1;
                }
                Col::Unary(u) => {
                    let a = &mut st[sp - 1];
                    match u {
                        Op::Not => a.iter_mut().for_each(|x| *x = if *x == 0.0 { 1.0 } else { 0.0 }),
                        Op::Neg => a.iter_mut().for_each(|x| *x = -*x),
                        _ => a.iter_mut().for_each(|x| *x = unary(u, *x)),
                    }
                }
                Col::Bin(b) => {
                    sp -= 1;
                    let (lo, hi) = st.split_at_mut(sp);
                    apply(b, &mut lo[sp - 1], &hi[0]);
                }
                Col::BinSlot(b, s) => apply(b, &mut st[sp - 1], &slots[s as usize]),
                Col::BinConst(b, c) => apply(b, &mut st[sp - 1], &splat(c)),
                Col::Clamp => {
                    sp -= 2;
                    let (lo, hi) = st.split_at_mut(sp);
                    let x = &mut lo[sp - 1];
                    for k in 0..WIDTH {
                        x[k] = x[k].max(hi[0][k]).min(hi[1][k]);
                    }
                }
                Col::And | Col::Or => {
                    sp -= 1;
                    let (lo, hi) = st.split_at_mut(sp);
                    let (a, b) = (&mut lo[sp - 1], &hi[0]);
                    // `a` where it is ±0 (`and`) or where it is not (`or`), else `b`.
                    if op == Col::And {
                        for k in 0..WIDTH {
                            a[k] = select(a[k] == 0.0, a[k], b[k]);
                        }
                    } else {
                        for k in 0..WIDTH {
                            a[k] = select(a[k] == 0.0, b[k], a[k]);
                        }
                    }
                }
                Col::Pick => {
                    sp -= 2;
                    let (lo, hi) = st.split_at_mut(sp);
                    let c = &mut lo[sp - 1];
                    for k in 0..WIDTH {
                        c[k] = select(c[k] == 0.0, hi[1][k], hi[0][k]);
                    }
                }
            }
        }
        &stack.0[0]
    }
}

/// `x` if `first`, else `y`, by bit masks (so that loops of it vectorise).
#[inline(always)]
fn select(first: bool, x: f64, y: f64) -> f64 {
    let keep = u64::from(first).wrapping_neg();
    f64::from_bits((x.to_bits() & keep) | (y.to_bits() & !keep))
}

/// `a[k] = a[k] op b[k]` for every branch, by the scalar machine's arithmetic.
#[inline(always)]
fn apply(op: Bin, a: &mut Column, b: &Column) {
    #[inline(always)]
    fn each(a: &mut Column, b: &Column, f: impl Fn(f64, f64) -> f64) {
        for k in 0..WIDTH {
            a[k] = f(a[k], b[k]);
        }
    }
    // One loop per op, so each one vectorises.
    match op {
        Bin::Add => each(a, b, |x, y| Bin::Add.apply(x, y)),
        Bin::Sub => each(a, b, |x, y| Bin::Sub.apply(x, y)),
        Bin::Mul => each(a, b, |x, y| Bin::Mul.apply(x, y)),
        Bin::Div => each(a, b, |x, y| Bin::Div.apply(x, y)),
        Bin::Min => each(a, b, |x, y| Bin::Min.apply(x, y)),
        Bin::Max => each(a, b, |x, y| Bin::Max.apply(x, y)),
        Bin::Pow => each(a, b, |x, y| Bin::Pow.apply(x, y)),
        Bin::Lt => each(a, b, |x, y| Bin::Lt.apply(x, y)),
        Bin::Le => each(a, b, |x, y| Bin::Le.apply(x, y)),
        Bin::Gt => each(a, b, |x, y| Bin::Gt.apply(x, y)),
        Bin::Ge => each(a, b, |x, y| Bin::Ge.apply(x, y)),
        Bin::Eq => each(a, b, |x, y| Bin::Eq.apply(x, y)),
        Bin::Ne => each(a, b, |x, y| Bin::Ne.apply(x, y)),
    }
}

/// Scratch columns for [`ColumnCode::eval`], reused across evaluations.
#[derive(Debug, Clone, Default)]
pub struct ColumnStack(Vec<Column>);

/// Appends `ops` to `out` with every jump replaced by a pick after both sides.
fn straighten(ops: &[Op], out: &mut Vec<Col>) -> Option<()> {
    let mut i = 0;
    while i < ops.len() {
        // A jump at `i` by `o` lands at `i + o + 1`.
        match ops[i] {
            Op::JumpIfFalseKeep(o) | Op::JumpIfTrueKeep(o) => {
                let end = i.checked_add(o as usize + 1).filter(|&e| e <= ops.len())?;
                if ops.get(i + 1) != Some(&Op::Pop) || end < i + 2 {
                    return None;
                }
                straighten(&ops[i + 2..end], out)?;
                out.push(if matches!(ops[i], Op::JumpIfFalseKeep(_)) {
                    Col::And
                } else {
                    Col::Or
                });
                i = end;
            }
            Op::JumpIfFalse(o) => {
                let to_else = i
                    .checked_add(o as usize + 1)
                    .filter(|&e| e <= ops.len() && e >= i + 2)?;
                let Op::Jump(o2) = ops[to_else - 1] else { return None };
                let end = to_else.checked_add(o2 as usize).filter(|&e| e <= ops.len())?;
                straighten(&ops[i + 1..to_else - 1], out)?;
                straighten(&ops[to_else..end], out)?;
                out.push(Col::Pick);
                i = end;
            }
            Op::Jump(_) | Op::Pop => return None,
            Op::Const(v) => {
                out.push(Col::Const(v));
                i += 1;
            }
            Op::Load(s) => {
                out.push(Col::Load(s));
                i += 1;
            }
            Op::Clamp => {
                out.push(Col::Clamp);
                i += 1;
            }
            op if op.is_unary() => {
                out.push(Col::Unary(op));
                i += 1;
            }
            op => {
                out.push(Col::Bin(Bin::of(op)?));
                i += 1;
            }
        }
    }
    Some(())
}

/// Ops on constants are done once, here, by the same arithmetic; a
/// binary op whose right operand is a slot or a constant works in place.
pub(super) fn fuse(ops: Vec<Col>) -> Vec<Col> {
    let mut out: Vec<Col> = Vec::with_capacity(ops.len());
    for op in ops {
        let n = out.len();
        match (n.checked_sub(2).map(|i| out[i]), out.last().copied(), op) {
            (_, Some(Col::Const(c)), Col::Unary(u)) => out[n - 1] = Col::Const(unary(u, c)),
            (Some(Col::Const(a)), Some(Col::Const(b)), Col::Bin(bin)) => {
                out.pop();
                out[n - 2] = Col::Const(bin.apply(a, b));
            }
            (Some(_), Some(Col::Load(s)), Col::Bin(b)) => {
                out.pop();
                out.push(Col::BinSlot(b, s));
            }
            (Some(_), Some(Col::Const(c)), Col::Bin(b)) => {
                out.pop();
                out.push(Col::BinConst(b, c));
            }
            _ => out.push(op),
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::expr::compile_source;
    use crate::expr::lower::tests::{Gen, Names};
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Values of `x` (slot 0) with the awkward ones (±0, NaN, infinities),
    /// and of `flag` (slot 1): 0, 1, and -0 now and then.
    pub(crate) fn columns(rng: &mut ChaCha8Rng) -> Vec<Column> {
        let pool = [
            0.0,
            -0.0,
            1.0,
            0.5,
            -2.5,
            3.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e-300,
        ];
        let x = std::array::from_fn(|_| match rng.random_range(0..3) {
            0 => pool[rng.random_range(0..pool.len())],
            1 => f64::from(rng.random_range(-2..5)),
            _ => rng.random_range(-4.0..4.0),
        });
        let flag = std::array::from_fn(|_| [0.0, 1.0, 1.0, 0.0, -0.0][rng.random_range(0..5)]);
        vec![x, flag]
    }

    fn straightened(src: &str) -> (Code, ColumnCode) {
        let (code, _) = compile_source(src, None, &mut Names).expect("compiles");
        let cols = ColumnCode::new(&code).unwrap_or_else(|| panic!("{src} does not straighten"));
        (code, cols)
    }

    #[test]
    fn every_branch_gets_the_scalar_value_to_the_bit() {
        let mut g = Gen(777);
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let mut stack = ColumnStack::default();
        let mut picks = 0;
        for i in 0..2000 {
            let src = if i % 2 == 0 { g.num(4) } else { g.boolean(4) };
            let (code, cols) = straightened(&src);
            picks += usize::from(cols.ops.iter().any(|o| matches!(o, Col::And | Col::Or | Col::Pick)));
            let slots = columns(&mut rng);
            let got = *cols.eval(&slots, &mut stack);
            for k in 0..WIDTH {
                let want = code.run_canonical(&[slots[0][k], slots[1][k]]);
                // Every NaN is the same to the language (true as a test, an
                // error as a result); its sign bit depends on the instruction.
                assert!(
                    got[k].to_bits() == want.to_bits() || (got[k].is_nan() && want.is_nan()),
                    "{src}, branch {k} (x={}, flag={}): {} vs {want}",
                    slots[0][k],
                    slots[1][k],
                    got[k]
                );
            }
        }
        assert!(picks > 500, "only {picks} codes had a jump");
    }

    #[test]
    fn jumps_of_another_shape_are_refused() {
        // An `and` without its pop, a jump past the end, a bare jump.
        for ops in [
            vec![Op::Load(0), Op::JumpIfFalseKeep(1), Op::Load(1)],
            vec![Op::Load(0), Op::JumpIfFalse(5), Op::Load(1)],
            vec![Op::Jump(0), Op::Load(1)],
        ] {
            assert_eq!(straighten(&ops, &mut Vec::new()), None, "{ops:?}");
        }
    }

    #[test]
    fn picks_keep_negative_zero_and_nan_as_the_jumps_do() {
        let (_, and) = straightened("flag and x > 0");
        let mut slots = vec![splat(1.0), splat(0.0)];
        slots[1][0] = -0.0;
        slots[1][1] = f64::NAN;
        let v = *and.eval(&slots, &mut ColumnStack::default());
        assert_eq!(
            v[0].to_bits(),
            (-0.0f64).to_bits(),
            "`and` keeps a false left side as it is"
        );
        assert_eq!(v[1], 1.0, "NaN is not false: the right side decides");
        assert_eq!(v[2], 0.0);
        let (_, pick) = straightened("if flag then x else 2");
        let v = *pick.eval(&slots, &mut ColumnStack::default());
        assert_eq!((v[0], v[1], v[2]), (2.0, 1.0, 2.0));
    }
}
