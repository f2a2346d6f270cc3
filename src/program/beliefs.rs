//! Compiles beliefs, each after the beliefs it names (a cycle is an error):
//! an expression, or a prior moved by signals on the log-odds scale.

use super::build::Builder;
use super::*;
use crate::diagnostic::{Diagnostic, Span};
use crate::expr::parser::{self, Expr, ExprKind};
use crate::expr::vm::Op;
use crate::scenario::raw::ExprSrc;
use crate::scenario::{BeliefDef, Item};
use std::collections::HashMap;
use toml::Spanned;

/// The names an expression mentions, with their spans.
pub(super) fn mentions(e: &Expr, out: &mut Vec<(String, std::ops::Range<usize>)>) {
    match &e.kind {
        ExprKind::Name(n) => out.push((n.clone(), e.span.clone())),
        ExprKind::Unary(_, a) => mentions(a, out),
        ExprKind::Binary(_, a, b) => {
            mentions(a, out);
            mentions(b, out);
        }
        ExprKind::If(a, b, c) => {
            mentions(a, out);
            mentions(b, out);
            mentions(c, out);
        }
        ExprKind::Call(_, args) => args.iter().for_each(|a| mentions(a, out)),
        ExprKind::Num(_) | ExprKind::Bool(_) | ExprKind::Date(_) | ExprKind::Str(_) => {}
    }
}

/// The expression parts of a belief.
fn parts(def: &BeliefDef) -> Vec<&Item<Spanned<ExprSrc>>> {
    let mut parts: Vec<&Item<Spanned<ExprSrc>>> = def.value.iter().chain(&def.prior).collect();
    for s in &def.signals {
        parts.extend(s.when.iter().chain(&s.shift));
    }
    parts
}

impl Builder<'_> {
    /// Compiles every belief, each after the beliefs it names.
    pub(super) fn beliefs(&mut self) -> Result<Vec<Belief>, Diagnostic> {
        let defs = &self.sc.beliefs;
        let index: HashMap<&str, usize> = defs
            .iter()
            .enumerate()
            .map(|(i, b)| (b.name.get_ref().as_str(), i))
            .collect();
        // Dependencies, with the span of each mention.
        let mut deps: Vec<Vec<(usize, Span)>> = Vec::new();
        for def in defs {
            let mut found = Vec::new();
            for part in parts(def) {
                let text = &part.get().text;
                let e = parser::parse(text).map_err(|e| {
                    Diagnostic::at(
                        e.message,
                        self.locate(part.file, part.value.span(), text, e.span),
                        e.expected,
                    )
                })?;
                let mut names = Vec::new();
                mentions(&e, &mut names);
                for (name, rel) in names {
                    if let Some(&j) = index.get(name.as_str()) {
                        found.push((j, self.locate(part.file, part.value.span(), text, rel)));
                    }
                }
            }
            deps.push(found);
        }
        let mut order = Vec::new();
        let mut state = vec![0u8; defs.len()]; // 0 new, 1 on the path, 2 done
        for i in 0..defs.len() {
            visit(i, &deps, &mut state, &mut Vec::new(), &mut order, defs)?;
        }
        let mut out: Vec<Option<Belief>> = vec![None; defs.len()];
        for i in order {
            let belief = self.belief(&defs[i])?;
            self.names
                .beliefs
                .insert(belief.name.clone(), (belief.code.clone(), belief.ty));
            out[i] = Some(belief);
        }
        Ok(out.into_iter().flatten().collect())
    }

    fn belief(&mut self, def: &BeliefDef) -> Result<Belief, Diagnostic> {
        let name = def.name.get_ref().clone();
        let whole = Span::new(def.file, def.span.clone());
        let (code, ty, signals) = match (&def.value, &def.prior) {
            (Some(v), None) if def.signals.is_empty() => {
                let (code, ty) = self.expr_any(v)?;
                (code, ty, Vec::new())
            }
            (None, Some(prior)) => {
                // logistic(logit(prior) + Σ shift_i · [when_i])
                let mut ops: Vec<Op> = self.expr(prior.file, &prior.value, None, Type::Num)?.ops().to_vec();
                ops.push(Op::Logit);
                let mut shown = Vec::new();
                let mut ids = Vec::new();
                for s in &def.signals {
                    let missing = |what: &str| {
                        Diagnostic::at(
                            format!("a signal of belief `{name}` has no `{what}`"),
                            s.at.clone(),
                            format!("{what} = ..."),
                        )
                    };
                    if let Some(id) = &s.id {
                        if id == "prior" || ids.contains(id) {
                            return Err(Diagnostic::at(
                                format!("signal id `{id}` is used twice in belief `{name}` (or is `prior`)"),
                                s.at.clone(),
                                "a signal id of its own",
                            ));
                        }
                        ids.push(id.clone());
                    }
                    let when = s.when.as_ref().ok_or_else(|| missing("when"))?;
                    let shift = s.shift.as_ref().ok_or_else(|| missing("shift"))?;
                    ops.extend_from_slice(self.expr(when.file, &when.value, None, Type::Bool)?.ops());
                    ops.extend_from_slice(self.expr(shift.file, &shift.value, None, Type::Num)?.ops());
                    ops.extend([Op::Mul, Op::Add]);
                    shown.push(SignalInfo {
                        id: s.id.clone(),
                        when: when.get().text.clone(),
                        shift: shift.get().text.clone(),
                        why: s.why.clone(),
                    });
                }
                ops.push(Op::Logistic);
                (Code::new(ops), Type::Num, shown)
            }
            _ => {
                return Err(Diagnostic::at(
                    format!("belief `{name}` needs either `value`, or `prior` with `signals`"),
                    whole,
                    "value = \"expression\"  or  prior = 0.5, signals = [...]",
                ));
            }
        };
        Ok(Belief {
            name,
            ty,
            code,
            doc: def.doc.clone(),
            value: def.value.as_ref().map(|v| v.get().text.clone()),
            prior: def.prior.as_ref().map(|p| p.get().text.clone()),
            signals,
        })
    }
}

/// Depth-first visit for the belief order; reports the first cycle found.
fn visit(
    i: usize,
    deps: &[Vec<(usize, Span)>],
    state: &mut [u8],
    path: &mut Vec<usize>,
    order: &mut Vec<usize>,
    defs: &[BeliefDef],
) -> Result<(), Diagnostic> {
    if state[i] == 2 {
        return Ok(());
    }
    state[i] = 1;
    path.push(i);
    for (j, span) in &deps[i] {
        if state[*j] == 1 {
            let start = path.iter().position(|p| p == j).unwrap_or(0);
            let names: Vec<&str> = path[start..]
                .iter()
                .chain([j])
                .map(|k| defs[*k].name.get_ref().as_str())
                .collect();
            return Err(Diagnostic::at(
                "beliefs depend on each other in a cycle",
                span.clone(),
                names.join(" → "),
            ));
        }
        visit(*j, deps, state, path, order, defs)?;
    }
    path.pop();
    state[i] = 2;
    order.push(i);
    Ok(())
}
