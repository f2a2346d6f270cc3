//! The dependence and analogy rules over columns: each branch's decision
//! is `decide`'s for that branch, to the bit (the same operations in the
//! same order, per branch), for all the branches of a batch at once.

use super::step::Step;
use super::{Batch, Failed};
use crate::expr::Code;
use crate::expr::columns::{Column, ColumnCode, Mask, WIDTH, splat};
use crate::expr::masks::{BIT, MaskCode};
use crate::program::{self, Combine, Lesson};

/// A dependence rule: per patron, where it wants yes and its pull (a
/// probability); the actor's own preference; the lane of its uniform.
#[derive(Debug, Clone)]
pub(super) struct Dependence {
    patrons: Vec<(MaskCode, ColumnCode)>,
    combine: Combine,
    own: MaskCode,
    lane: u32,
}

/// An analogy rule: its features, the cases (their values, in the order
/// of the features, and the option each teaches), the similarity needed
/// and what it does when no case is similar enough.
#[derive(Debug, Clone)]
pub(super) struct Analogy {
    features: Vec<ColumnCode>,
    cases: Vec<(Box<[f64]>, u32)>,
    similarity: ColumnCode,
    otherwise: Otherwise,
}

#[derive(Debug, Clone)]
enum Otherwise {
    Option(u32),
    /// Yes where the condition holds.
    Code(MaskCode),
}

impl Dependence {
    /// The rule `d` of a node whose uniforms are on the lanes from `lane`;
    /// `None` where a part of it does not run over columns.
    pub(super) fn new(
        d: &program::Dependence,
        lane: Option<u32>,
        column: &dyn Fn(&Code) -> Option<ColumnCode>,
        mask: &dyn Fn(&Code) -> Option<MaskCode>,
    ) -> Option<Dependence> {
        Some(Dependence {
            patrons: d
                .patrons
                .iter()
                .map(|p| Some((mask(&p.wants)?, column(&p.dependence)?)))
                .collect::<Option<_>>()?,
            combine: d.combine,
            own: mask(&d.own)?,
            lane: lane?,
        })
    }
}

impl Analogy {
    /// The rule `a`; `None` where it has no features, or a part of it
    /// does not run over columns.
    pub(super) fn new(
        a: &program::Analogy,
        column: &dyn Fn(&Code) -> Option<ColumnCode>,
        mask: &dyn Fn(&Code) -> Option<MaskCode>,
    ) -> Option<Analogy> {
        let n = a.features.len();
        if n == 0 || a.cases.iter().any(|c| c.values.len() != n) {
            return None;
        }
        Some(Analogy {
            features: a.features.iter().map(|(_, code)| column(code)).collect::<Option<_>>()?,
            cases: a.cases.iter().map(|c| (c.values.clone().into(), c.lesson)).collect(),
            similarity: column(&a.similarity)?,
            otherwise: match &a.otherwise {
                Lesson::Option(o) => Otherwise::Option(*o),
                Lesson::Code(code) => Otherwise::Code(mask(code)?),
            },
        })
    }
}

impl Batch {
    /// The branches of `holds` where a dependence rule says yes. Every
    /// branch draws its uniform, as in `decide`.
    pub(super) fn dependence(&mut self, d: &Dependence, at: &Step, holds: Mask) -> Result<Mask, Failed> {
        let u = self.drawn(d.lane, at, holds);
        let own = d.own.eval(&self.slots, &mut self.masks);
        let yes = match d.combine {
            // Patron i's slice of the unit interval: its pull, from what
            // the earlier ones left; the first slice holding `u` binds.
            Combine::InOrder => {
                let (mut start, mut left) = (splat(0.0), splat(1.0));
                let (mut picked, mut yes) = (0, 0);
                for (i, (wants, dependence)) in d.patrons.iter().enumerate() {
                    let dep = self.probability(dependence, holds)?;
                    let wants = wants.eval(&self.slots, &mut self.masks);
                    let mut binds = 0;
                    for k in 0..WIDTH {
                        let slice = if i == 0 { dep[k] } else { left[k] * dep[k] };
                        binds |= if u[k] < start[k] + slice { BIT[k] } else { 0 };
                        start[k] += slice;
                        left[k] *= 1.0 - dep[k];
                    }
                    let binds = binds & !picked;
                    yes |= binds & wants;
                    picked |= binds;
                }
                yes | (own & !picked)
            }
            // The patrons pull together where they agree: with the chance
            // that at least one pull binds.
            Combine::Together => {
                let mut free = splat(1.0);
                let (mut want_yes, mut want_no) = (0, 0);
                for (wants, dependence) in &d.patrons {
                    let dep = self.probability(dependence, holds)?;
                    for (f, d) in free.iter_mut().zip(dep) {
                        *f *= 1.0 - d;
                    }
                    let wants = wants.eval(&self.slots, &mut self.masks);
                    want_yes |= wants;
                    want_no |= !wants;
                }
                let mut follows = 0;
                for ((&u, &f), &bit) in u.iter().zip(&free).zip(&BIT) {
                    follows |= if u < 1.0 - f { bit } else { 0 };
                }
                follows &= want_yes ^ want_no;
                (follows & want_yes) | (!follows & own)
            }
        };
        Ok(yes & holds)
    }

    /// The option an analogy rule picks in each branch: the lesson of the
    /// most similar case (the first among equals) if it is similar enough.
    pub(super) fn analogy(&mut self, a: &Analogy) -> [u32; WIDTH] {
        let n = a.features.len();
        if self.values.len() < n {
            self.values.resize(n, splat(0.0));
        }
        for (j, code) in a.features.iter().enumerate() {
            self.values[j] = *code.eval(&self.slots, &mut self.stack);
        }
        let (mut best, mut closest) = (splat(f64::NEG_INFINITY), [0u32; WIDTH]);
        for (i, (values, _)) in a.cases.iter().enumerate() {
            // The distance summed feature by feature, from the first.
            let mut distance = splat(0.0);
            for (j, (x, &v)) in self.values.iter().zip(values.iter()).enumerate() {
                for (d, &x) in distance.iter_mut().zip(x) {
                    let term = (x - v).abs();
                    *d = if j == 0 { term } else { *d + term };
                }
            }
            for ((b, c), &d) in best.iter_mut().zip(&mut closest).zip(&distance) {
                let similarity = 1.0 - d / n as f64;
                if similarity > *b {
                    (*b, *c) = (similarity, i as u32);
                }
            }
        }
        let needed = a.similarity.eval(&self.slots, &mut self.stack);
        let otherwise: [u32; WIDTH] = match &a.otherwise {
            Otherwise::Option(o) => [*o; WIDTH],
            Otherwise::Code(code) => {
                let holds = code.eval(&self.slots, &mut self.masks);
                std::array::from_fn(|k| u32::from(holds & BIT[k] != 0))
            }
        };
        let mut options = otherwise;
        for (k, o) in options.iter_mut().enumerate() {
            if best[k] >= needed[k] {
                *o = a.cases[closest[k] as usize].1;
            }
        }
        options
    }

    /// A probability over columns, failing where it is outside [0, 1] in
    /// a branch of `holds` (`decide` reports the error).
    fn probability(&mut self, code: &ColumnCode, holds: Mask) -> Result<Column, Failed> {
        let p = *code.eval(&self.slots, &mut self.stack);
        let mut outside = 0;
        for (&v, &bit) in p.iter().zip(&BIT) {
            outside |= if (0.0..=1.0).contains(&v) { 0 } else { bit };
        }
        match outside & holds {
            0 => Ok(p),
            _ => Err(Failed),
        }
    }
}
