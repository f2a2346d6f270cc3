//! Conditions run over a batch of branches as bit masks: one bit per
//! branch, set where the condition holds (its value is not `±0`; NaN holds).
//!
//! Only a condition's truth is wanted, so `not`, `and`, `or` and
//! `if … then … else` work on masks (a few instructions for all 32
//! branches), comparisons turn their operands' columns into a mask
//! directly, and only the numeric parts of a condition run over columns
//! (see `columns`). Each bit is the truth of the scalar value: `a and b`
//! is `a` where `a` is `±0`, else `b`, so it holds where both hold; `or`
//! likewise; a comparison's value is 1 where it holds, else 0.

use super::columns::{Col, Column, ColumnCode, ColumnStack, Mask, WIDTH, fuse};
use super::exec::Bin;
use super::vm::{Code, Op};

/// A condition compiled to run over masks.
#[derive(Debug, Clone, PartialEq)]
pub struct MaskCode {
    ops: Box<[M]>,
    depth: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum M {
    Const(bool),
    /// Where slot `s` holds.
    Slot(u32),
    /// Where `slots[s] op c`, `slots[s] op slots[t]`.
    SlotConst(Bin, u32, f64),
    SlotSlot(Bin, u32, u32),
    /// Where `a op b`, the two values the code leaves.
    Compare(Bin, ColumnCode),
    /// Where the code's value holds.
    Truth(ColumnCode),
    Not,
    And,
    Or,
    /// Pops `y` and `x`: `x` where the top `c` holds, else `y`.
    Pick,
}

/// Scratch space for [`MaskCode::eval`], reused across evaluations.
#[derive(Debug, Clone, Default)]
pub struct MaskStack {
    masks: Vec<Mask>,
    columns: ColumnStack,
}

/// An expression as a tree of straightened ops (see `columns`).
enum Tree {
    Leaf(Col),
    Unary(Op, Box<Tree>),
    Bin(Bin, Box<Tree>, Box<Tree>),
    /// `Clamp`, `And`, `Or`, `Pick` with their operands, in stack order.
    Other(Col, Vec<Tree>),
}

impl MaskCode {
    /// Compiles `code` (a condition) for masks; `None` where it does not
    /// straighten (see [`ColumnCode::new`]).
    pub fn new(code: &Code) -> Option<MaskCode> {
        Self::with_fixed(code, &|_| None)
    }

    /// As [`Self::new`], with the slots `fixed` gives a value for read as
    /// that constant (see [`ColumnCode::with_fixed`]).
    pub fn with_fixed(code: &Code, fixed: &dyn Fn(u32) -> Option<f64>) -> Option<MaskCode> {
        let tree = tree(ColumnCode::straightened(code, fixed)?)?;
        let mut ops = Vec::new();
        emit(tree, &mut ops)?;
        let (mut depth, mut max) = (0usize, 0usize);
        for op in &ops {
            match op {
                M::Const(_) | M::Slot(_) | M::SlotConst(..) | M::SlotSlot(..) | M::Compare(..) | M::Truth(_) => {
                    depth += 1
                }
                M::Not => {}
                M::And | M::Or => depth = depth.checked_sub(1)?,
                M::Pick => depth = depth.checked_sub(2)?,
            }
            if depth == 0 {
                return None;
            }
            max = max.max(depth);
        }
        (depth == 1).then(|| MaskCode {
            ops: ops.into(),
            depth: max,
        })
    }

    /// The branches of the batch where the condition holds. `new` checked
    /// that the code never pops below one mask and leaves exactly one.
    pub fn eval(&self, slots: &[Column], stack: &mut MaskStack) -> Mask {
        if stack.masks.len() < self.depth {
            stack.masks.resize(self.depth, 0);
        }
        let (st, columns) = (&mut stack.masks[..], &mut stack.columns);
        let mut sp = 0;
        for op in self.ops.iter() {
            let pushed = match op {
                M::Const(holds) => Mask::from(*holds).wrapping_neg(),
                M::Slot(s) => truths(&slots[*s as usize]),
                M::SlotConst(b, s, c) => compare(*b, &slots[*s as usize], |_| *c),
                M::SlotSlot(b, s, t) => {
                    let y = &slots[*t as usize];
                    compare(*b, &slots[*s as usize], |k| y[k])
                }
                M::Compare(b, code) => {
                    let (x, y) = code.eval_pair(slots, columns);
                    compare(*b, x, |k| y[k])
                }
                M::Truth(code) => truths(code.eval(slots, columns)),
                M::Not => {
                    st[sp - 1] = !st[sp - 1];
                    continue;
                }
                M::And | M::Or => {
                    sp -= 1;
                    st[sp - 1] = if *op == M::And {
                        st[sp - 1] & st[sp]
                    } else {
                        st[sp - 1] | st[sp]
                    };
                    continue;
                }
                M::Pick => {
                    sp -= 2;
                    let c = st[sp - 1];
                    st[sp - 1] = (c & st[sp]) | (!c & st[sp + 1]);
                    continue;
                }
            };
            st[sp] = pushed;
            sp += 1;
        }
        st[0]
    }
}

/// The branches where a column holds (is not `±0`; NaN holds).
#[inline]
pub fn truths(col: &Column) -> Mask {
    let mut m = 0;
    for (&v, &bit) in col.iter().zip(&BIT) {
        m |= if v != 0.0 { bit } else { 0 };
    }
    m
}

/// Each branch's bit in a mask (written out, so that loops over a column
/// and these run as a few vector operations).
pub const BIT: [Mask; WIDTH] = {
    let mut bits = [0; WIDTH];
    let mut k = 0;
    while k < WIDTH {
        bits[k] = 1 << k;
        k += 1;
    }
    bits
};

/// The branches where `x[k] op y(k)`, for a comparison `op`.
#[inline(always)]
fn compare(op: Bin, x: &Column, y: impl Fn(usize) -> f64) -> Mask {
    #[inline(always)]
    fn each(x: &Column, y: impl Fn(usize) -> f64, holds: impl Fn(f64, f64) -> bool) -> Mask {
        let mut m = 0;
        for ((k, &v), &bit) in x.iter().enumerate().zip(&BIT) {
            m |= if holds(v, y(k)) { bit } else { 0 };
        }
        m
    }
    match op {
        Bin::Lt => each(x, y, |a, b| a < b),
        Bin::Le => each(x, y, |a, b| a <= b),
        Bin::Gt => each(x, y, |a, b| a > b),
        Bin::Ge => each(x, y, |a, b| a >= b),
        Bin::Eq => each(x, y, |a, b| a == b),
        // `emit` gives no other op.
        _ => each(x, y, |a, b| a != b),
    }
}

fn is_comparison(b: Bin) -> bool {
    matches!(b, Bin::Lt | Bin::Le | Bin::Gt | Bin::Ge | Bin::Eq | Bin::Ne)
}

/// The comparison that holds of `(b, a)` where `op` holds of `(a, b)`.
fn flipped(op: Bin) -> Bin {
    match op {
        Bin::Lt => Bin::Gt,
        Bin::Le => Bin::Ge,
        Bin::Gt => Bin::Lt,
        Bin::Ge => Bin::Le,
        other => other,
    }
}

/// The tree of straightened ops (fused ops taken apart).
fn tree(ops: Vec<Col>) -> Option<Tree> {
    let mut st: Vec<Tree> = Vec::new();
    for op in ops {
        let t = match op {
            Col::Const(_) | Col::Load(_) => Tree::Leaf(op),
            Col::Unary(u) => Tree::Unary(u, Box::new(st.pop()?)),
            Col::Bin(b) => {
                let y = st.pop()?;
                Tree::Bin(b, Box::new(st.pop()?), Box::new(y))
            }
            Col::BinSlot(b, s) => Tree::Bin(b, Box::new(st.pop()?), Box::new(Tree::Leaf(Col::Load(s)))),
            Col::BinConst(b, c) => Tree::Bin(b, Box::new(st.pop()?), Box::new(Tree::Leaf(Col::Const(c)))),
            Col::And | Col::Or => Tree::Other(op, st.split_off(st.len().checked_sub(2)?)),
            Col::Clamp | Col::Pick => Tree::Other(op, st.split_off(st.len().checked_sub(3)?)),
        };
        st.push(t);
    }
    (st.len() == 1).then(|| st.pop()).flatten()
}

/// The straightened ops of a tree, in stack order.
fn postfix(t: Tree, out: &mut Vec<Col>) {
    match t {
        Tree::Leaf(op) => out.push(op),
        Tree::Unary(u, x) => {
            postfix(*x, out);
            out.push(Col::Unary(u));
        }
        Tree::Bin(b, x, y) => {
            postfix(*x, out);
            postfix(*y, out);
            out.push(Col::Bin(b));
        }
        Tree::Other(op, args) => {
            args.into_iter().for_each(|a| postfix(a, out));
            out.push(op);
        }
    }
}

/// Appends the mask ops of the condition `t` to `out`.
fn emit(t: Tree, out: &mut Vec<M>) -> Option<()> {
    match t {
        Tree::Leaf(Col::Const(c)) => out.push(M::Const(c != 0.0)),
        Tree::Leaf(Col::Load(s)) => out.push(M::Slot(s)),
        Tree::Unary(Op::Not, x) => {
            emit(*x, out)?;
            out.push(M::Not);
        }
        Tree::Bin(b, x, y) if is_comparison(b) => out.push(match (*x, *y) {
            (Tree::Leaf(Col::Load(s)), Tree::Leaf(Col::Const(c))) => M::SlotConst(b, s, c),
            (Tree::Leaf(Col::Const(c)), Tree::Leaf(Col::Load(s))) => M::SlotConst(flipped(b), s, c),
            (Tree::Leaf(Col::Load(s)), Tree::Leaf(Col::Load(t))) => M::SlotSlot(b, s, t),
            (x, y) => {
                let mut ops = Vec::new();
                postfix(x, &mut ops);
                postfix(y, &mut ops);
                M::Compare(b, ColumnCode::from_ops(fuse(ops), 2)?)
            }
        }),
        Tree::Other(op @ (Col::And | Col::Or | Col::Pick), args) => {
            for a in args {
                emit(a, out)?;
            }
            out.push(match op {
                Col::And => M::And,
                Col::Or => M::Or,
                _ => M::Pick,
            });
        }
        t => {
            let mut ops = Vec::new();
            postfix(t, &mut ops);
            out.push(M::Truth(ColumnCode::from_ops(fuse(ops), 1)?));
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::columns::tests::columns;
    use crate::expr::compile_source;
    use crate::expr::lower::tests::{Gen, Names};
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn every_bit_is_the_truth_of_the_scalar_value() {
        let mut g = Gen(4242);
        let mut rng = ChaCha8Rng::seed_from_u64(12);
        let mut stack = MaskStack::default();
        let (mut direct, mut compared) = (0, 0);
        for i in 0..3000 {
            let src = if i % 3 == 0 { g.num(4) } else { g.boolean(4) };
            let (code, _) = compile_source(&src, None, &mut Names).expect("compiles");
            let masks = MaskCode::new(&code).unwrap_or_else(|| panic!("{src} does not straighten"));
            direct += usize::from(
                masks
                    .ops
                    .iter()
                    .any(|o| matches!(o, M::SlotConst(..) | M::SlotSlot(..))),
            );
            compared += usize::from(masks.ops.iter().any(|o| matches!(o, M::Compare(..))));
            let slots = columns(&mut rng);
            let (x, flag) = (slots[0], slots[1]);
            let got = masks.eval(&slots, &mut stack);
            for k in 0..WIDTH {
                let want = code.run_canonical(&[x[k], flag[k]]);
                assert_eq!(
                    got & (1 << k) != 0,
                    want != 0.0,
                    "{src}, branch {k} (x={}, flag={}): {want}",
                    x[k],
                    flag[k]
                );
            }
        }
        assert!(
            direct > 200 && compared > 500,
            "{direct} direct and {compared} column comparisons"
        );
    }
}
