//! Compiles the rules that pick among a node's named options: a choice
//! (options scored by utility or weight) and a council (members who each
//! say yes or no by a rule of their own, and a count that must say yes).

use super::build::Builder;
use super::nodes::NodeCtx;
use super::*;
use crate::diagnostic::{Diagnostic, FileId, Span};
use crate::scenario::raw::{self, ExprOrTerms, ExprSrc, Scalar};
use std::ops::Range;
use toml::Spanned;

impl Builder<'_> {
    pub(super) fn choice(
        &mut self,
        file: FileId,
        rule: &Spanned<raw::Rule>,
        ctx: &NodeCtx,
    ) -> Result<ChoiceRule, Diagnostic> {
        let r = rule.get_ref();
        let at = |s: Range<usize>| Span::new(file, s);
        let by_weight = !r.weight.is_empty();
        if by_weight && !r.utility.is_empty() {
            let span = r.weight.keys().next().map(Spanned::span).unwrap_or(rule.span());
            return Err(Diagnostic::at(
                "give each option a `utility` or a `weight`, not both",
                at(span),
                "utility = { ... } (compared) or weight = { ... } (chances in proportion)",
            ));
        }
        let select = match (r.select.as_ref().map(|s| (s.get_ref().as_str(), s.span())), by_weight) {
            (None, true) | (Some(("weighted", _)), true) => Select::Weighted,
            (None, false) | (Some(("best", _)), false) => Select::Best,
            (Some(("softmax", _)), false) => Select::Softmax,
            (Some((s, span)), _) => {
                return Err(Diagnostic::at(
                    format!("`select = \"{s}\"` does not fit this choice"),
                    at(span),
                    if by_weight {
                        "\"weighted\" (with `weight`)"
                    } else {
                        "\"best\" or \"softmax\" (with `utility`)"
                    },
                ));
            }
        };
        let temperature = match (&r.temperature, select) {
            (Some(t), Select::Softmax) => Some(self.expr(file, t, None, Type::Num)?),
            (None, Select::Softmax) => {
                return Err(Diagnostic::at(
                    "a softmax choice needs a `temperature`",
                    at(rule.span()),
                    "temperature = 1.0 (higher: closer to a coin toss; lower: closer to the best)",
                ));
            }
            (Some(t), _) => {
                return Err(Diagnostic::at(
                    "`temperature` applies only to select = \"softmax\"",
                    at(t.span()),
                    "remove it, or select = \"softmax\"",
                ));
            }
            (None, _) => None,
        };
        let given: Vec<(&Spanned<String>, Score)> = if by_weight {
            r.weight.iter().map(|(k, v)| (k, Score::Weight(v))).collect()
        } else {
            r.utility.iter().map(|(k, v)| (k, Score::Utility(v))).collect()
        };
        let key = if by_weight { "weight" } else { "utility" };
        if let Some((k, _)) = given.iter().find(|(k, _)| !ctx.options.contains(k.get_ref())) {
            return Err(Diagnostic::at(
                format!("`{}` is not an option of `{}`", k.get_ref(), ctx.id),
                at(k.span()),
                format!("one of {}", ctx.options.join(", ")),
            ));
        }
        let mut scores = Vec::new();
        for option in ctx.options {
            let Some((_, score)) = given.iter().find(|(k, _)| k.get_ref() == option) else {
                return Err(Diagnostic::at(
                    format!("option `{option}` has no {key}"),
                    at(rule.span()),
                    format!("{key} = {{ {option} = ..., ... }}: one for every option"),
                ));
            };
            scores.push(match score {
                Score::Utility(u) => match u.get_ref() {
                    ExprOrTerms::Expr(e) => {
                        let src = Spanned::new(u.span(), e.clone());
                        (self.expr(file, &src, None, Type::Num)?, Vec::new())
                    }
                    ExprOrTerms::Terms(terms) => {
                        let (ops, terms) = self.terms(file, None, terms)?;
                        (Code::new(ops), terms)
                    }
                },
                Score::Weight(w) => {
                    let code = self.expr(file, w, None, Type::Num)?;
                    if code.as_constant().is_some_and(|c| !(c >= 0.0 && c.is_finite())) {
                        return Err(Diagnostic::at(
                            "a weight is a number of 0 or more",
                            at(w.span()),
                            "a weight >= 0",
                        ));
                    }
                    (code, Vec::new())
                }
            });
        }
        Ok(ChoiceRule {
            select,
            scores,
            temperature,
        })
    }

    pub(super) fn council(
        &mut self,
        file: FileId,
        rule: &Spanned<raw::Rule>,
        ctx: &NodeCtx,
    ) -> Result<Council, Diagnostic> {
        let r = rule.get_ref();
        let at = |s: Range<usize>| Span::new(file, s);
        if r.members.is_empty() {
            return Err(Diagnostic::at(
                "a council rule needs `members`",
                at(rule.span()),
                "members = [{ actor = \"...\", rule = { ... } }, ...]",
            ));
        }
        let mut members: Vec<Member> = Vec::new();
        for m in &r.members {
            let mm = m.get_ref();
            self.known_actor(file, &mm.actor)?;
            let actor = mm.actor.get_ref().clone();
            if members.iter().any(|x| x.actor == actor) {
                return Err(Diagnostic::at(
                    format!("`{actor}` sits on this council twice"),
                    at(mm.actor.span()),
                    "each actor once",
                ));
            }
            let Some(member_rule) = &mm.rule else {
                return Err(Diagnostic::at(
                    format!("council member `{actor}` has no rule"),
                    at(m.span()),
                    "rule = { kind = \"...\", ... }: how this member decides",
                ));
            };
            if matches!(member_rule.get_ref().kind.get_ref().as_str(), "council" | "choice") {
                return Err(Diagnostic::at(
                    "a council member decides yes or no by a rule of its own",
                    at(member_rule.get_ref().kind.span()),
                    "threshold, weighed, dependence, analogy, chance or condition",
                ));
            }
            let inner = Spanned::new(member_rule.span(), (**member_rule.get_ref()).clone());
            let yes_no = NodeCtx {
                what: ctx.what,
                id: ctx.id,
                options: &[],
                steps: ctx.steps,
                step_ticks: ctx.step_ticks,
            };
            let compiled = self.rule(file, &inner, &yes_no)?;
            let lane = if compiled.draws() {
                Some(self.lanes(&format!("{}/{}/{actor}", ctx.what, ctx.id), ctx.steps, at(m.span()))?)
            } else {
                None
            };
            members.push(Member {
                actor,
                rule: compiled,
                lane,
            });
        }
        let n = members.len() as u32;
        let (needs, needs_text) = match r.needs.as_ref().map(|s| (s.get_ref(), s.span())) {
            None => (n, "all".to_string()),
            Some((Scalar::Str(s), _)) if s == "all" => (n, "all".into()),
            Some((Scalar::Str(s), _)) if s == "any" => (1, "any".into()),
            Some((Scalar::Str(s), _)) if s == "majority" => (n / 2 + 1, "a majority".into()),
            Some((Scalar::Num(k), _)) if k.fract() == 0.0 && *k >= 1.0 && *k <= f64::from(n) => {
                (*k as u32, format!("{k} of {n}"))
            }
            Some((_, span)) => {
                return Err(Diagnostic::at(
                    "`needs` says how many members must say yes",
                    at(span),
                    format!("\"all\", \"majority\", \"any\", or a whole number from 1 to {n}"),
                ));
            }
        };
        Ok(Council {
            members,
            needs,
            needs_text,
        })
    }
}

/// How an option of a choice is scored.
enum Score<'a> {
    Utility(&'a Spanned<ExprOrTerms>),
    Weight(&'a Spanned<ExprSrc>),
}
