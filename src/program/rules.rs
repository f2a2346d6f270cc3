//! Compiles decision rules: threshold, dependence, analogy, chance and
//! condition, each checked for the fields its kind takes.

use super::build::Builder;
use super::*;
use crate::diagnostic::{Diagnostic, FileId, Span};
use crate::scenario::raw::{self, ExprSrc};
use toml::Spanned;

impl Builder<'_> {
    pub(super) fn rule(&mut self, file: FileId, rule: &Spanned<raw::Rule>) -> Result<Rule, Diagnostic> {
        let r = rule.get_ref();
        let kind = r.kind.get_ref().as_str();
        let at = |s: std::ops::Range<usize>| Span::new(file, s);
        let fields: [(&str, Option<std::ops::Range<usize>>); 12] = [
            ("p", r.p.as_ref().map(Spanned::span)),
            ("if", r.condition.as_ref().map(Spanned::span)),
            ("quantity", r.quantity.as_ref().map(Spanned::span)),
            ("below", r.below.as_ref().map(Spanned::span)),
            ("above", r.above.as_ref().map(Spanned::span)),
            ("patron", r.patron.as_ref().map(Spanned::span)),
            ("wants", r.wants.as_ref().map(Spanned::span)),
            ("dependence", r.dependence.as_ref().map(Spanned::span)),
            ("own", r.own.as_ref().map(Spanned::span)),
            ("features", r.features.keys().next().map(Spanned::span)),
            ("cases", r.cases.first().map(Spanned::span)),
            (
                "similarity",
                r.similarity
                    .as_ref()
                    .map(Spanned::span)
                    .or(r.otherwise.as_ref().map(Spanned::span)),
            ),
        ];
        let allowed: &[&str] = match kind {
            "chance" => &["p"],
            "condition" => &["if"],
            "threshold" => &["quantity", "below", "above"],
            "dependence" => &["patron", "wants", "dependence", "own"],
            "analogy" => &["features", "cases", "similarity"],
            _ => {
                return Err(Diagnostic::at(
                    format!("unknown rule kind `{kind}`"),
                    at(r.kind.span()),
                    "one of threshold, dependence, analogy, chance, condition",
                ));
            }
        };
        for (name, span) in &fields {
            if let Some(span) = span {
                if !allowed.contains(name) {
                    return Err(Diagnostic::at(
                        format!("`{name}` does not apply to a {kind} rule"),
                        at(span.clone()),
                        format!("fields of a {kind} rule: {}", allowed.join(", ")),
                    ));
                }
            }
        }
        let need = |v: &Option<Spanned<ExprSrc>>, name: &str| -> Result<Spanned<ExprSrc>, Diagnostic> {
            v.clone().ok_or_else(|| {
                Diagnostic::at(
                    format!("a {kind} rule needs `{name}`"),
                    at(rule.span()),
                    format!("{name} = ..."),
                )
            })
        };
        Ok(match kind {
            "chance" => {
                let p = need(&r.p, "p")?;
                Rule::Chance {
                    p: self.probability(file, &p)?,
                }
            }
            "condition" => Rule::Condition {
                holds: self.expr(file, &need(&r.condition, "if")?, None, Type::Bool)?,
            },
            "threshold" => {
                let quantity_src = need(&r.quantity, "quantity")?;
                let quantity = self.expr(file, &quantity_src, None, Type::Num)?;
                let (limit, below) = match (&r.below, &r.above) {
                    (Some(b), None) => (b, true),
                    (None, Some(a)) => (a, false),
                    _ => {
                        return Err(Diagnostic::at(
                            "a threshold rule needs exactly one of `below` and `above`",
                            at(rule.span()),
                            "below = ...  or  above = ...",
                        ));
                    }
                };
                Rule::Threshold {
                    quantity,
                    limit: self.expr(file, limit, None, Type::Num)?,
                    below,
                    quantity_text: quantity_src.get_ref().text.clone(),
                    limit_text: limit.get_ref().text.clone(),
                }
            }
            "dependence" => {
                let patron = r.patron.clone().ok_or_else(|| {
                    Diagnostic::at(
                        "a dependence rule needs `patron`",
                        at(rule.span()),
                        "patron = \"actor id\"",
                    )
                })?;
                self.known_actor(file, &patron)?;
                let own = match &r.own {
                    Some(o) => self.expr(file, o, None, Type::Bool)?,
                    None => Code::constant(0.0),
                };
                Rule::Dependence {
                    patron: patron.into_inner(),
                    wants: self.expr(file, &need(&r.wants, "wants")?, None, Type::Bool)?,
                    dependence: self.probability(file, &need(&r.dependence, "dependence")?)?,
                    own,
                }
            }
            _ => Rule::Analogy(self.analogy(file, rule)?),
        })
    }

    /// A number that must be a probability; a constant out of [0, 1] is an error now.
    fn probability(&mut self, file: FileId, src: &Spanned<ExprSrc>) -> Result<Code, Diagnostic> {
        let code = self.expr(file, src, None, Type::Num)?;
        if let Some(p) = code.as_constant() {
            if !(0.0..=1.0).contains(&p) {
                return Err(Diagnostic::at(
                    "probability out of range",
                    Span::new(file, src.span()),
                    "a number from 0 to 1",
                ));
            }
        }
        Ok(code)
    }

    fn analogy(&mut self, file: FileId, rule: &Spanned<raw::Rule>) -> Result<Analogy, Diagnostic> {
        let r = rule.get_ref();
        let at = |s: std::ops::Range<usize>| Span::new(file, s);
        if r.features.is_empty() || r.cases.is_empty() {
            return Err(Diagnostic::at(
                "an analogy rule needs `features` and `cases`",
                at(rule.span()),
                "features = { ... } and cases = [ ... ]",
            ));
        }
        let mut features = Vec::new();
        for (name, src) in &r.features {
            features.push((name.get_ref().clone(), self.expr(file, src, None, Type::Num)?));
        }
        let mut cases = Vec::new();
        for case in &r.cases {
            let c = case.get_ref();
            let mut values = Vec::new();
            for (name, _) in &features {
                let v = c.features.iter().find(|(k, _)| k.get_ref() == name).ok_or_else(|| {
                    Diagnostic::at(
                        format!("case `{}` gives no value for feature `{name}`", c.name.get_ref()),
                        at(case.span()),
                        format!("{name} = a number"),
                    )
                })?;
                values.push(*v.1.get_ref());
            }
            if let Some((k, _)) = c
                .features
                .iter()
                .find(|(k, _)| !features.iter().any(|(f, _)| f == k.get_ref()))
            {
                return Err(Diagnostic::at(
                    format!("`{}` is not a feature of this analogy", k.get_ref()),
                    at(k.span()),
                    "one of the rule's `features`",
                ));
            }
            cases.push(Case {
                name: c.name.get_ref().clone(),
                values,
                lesson: *c.lesson.get_ref(),
                why: c.why.clone(),
            });
        }
        let similarity = match &r.similarity {
            Some(s) => self.probability(file, s)?,
            None => {
                return Err(Diagnostic::at(
                    "an analogy rule needs `similarity`",
                    at(rule.span()),
                    "similarity = 0.7 (the least similarity to act on a case)",
                ));
            }
        };
        let otherwise = match &r.otherwise {
            Some(o) => self.expr(file, o, None, Type::Bool)?,
            None => Code::constant(0.0),
        };
        Ok(Analogy {
            features,
            cases,
            similarity,
            otherwise,
        })
    }
}
