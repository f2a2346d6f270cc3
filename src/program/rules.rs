//! Compiles decision rules (chance, condition, threshold, weighed,
//! dependence, analogy), each checked for the fields its kind takes and for
//! fitting the node's options; the rules that pick among named options
//! (choice, council) are in `options`.

use super::build::Builder;
use super::nodes::NodeCtx;
use super::*;
use crate::diagnostic::{Diagnostic, FileId, Span};
use crate::expr::vm::Op;
use crate::scenario::raw::{self, ExprSrc, Scalar};
use std::ops::Range;
use toml::Spanned;

const KINDS: &str = "threshold, weighed, dependence, analogy, choice, council, chance, condition";

impl Builder<'_> {
    pub(super) fn rule(&mut self, file: FileId, rule: &Spanned<raw::Rule>, ctx: &NodeCtx) -> Result<Rule, Diagnostic> {
        let r = rule.get_ref();
        let kind = r.kind.get_ref().as_str();
        let at = |s: Range<usize>| Span::new(file, s);
        let fields = fields(r);
        let allowed: &[&str] = match kind {
            "chance" => &["p", "per"],
            "condition" => &["if"],
            "threshold" => &["quantity", "below", "above"],
            "weighed" => &["terms", "scale", "base", "below", "above", "per"],
            "dependence" => &["patron", "wants", "dependence", "own", "patrons", "combine"],
            "analogy" => &["features", "cases", "similarity", "otherwise"],
            "choice" => &["select", "temperature", "utility", "weight"],
            "council" => &["members", "needs"],
            _ => {
                return Err(Diagnostic::at(
                    format!("unknown rule kind `{kind}`"),
                    at(r.kind.span()),
                    format!("one of {KINDS}"),
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
        let picks_options = matches!(kind, "choice" | "analogy");
        if !ctx.options.is_empty() && !picks_options {
            return Err(Diagnostic::at(
                format!("a {kind} rule decides yes or no, but this decision has options"),
                at(r.kind.span()),
                "kind = \"choice\", or an analogy whose lessons name options",
            ));
        }
        if kind == "choice" && ctx.options.is_empty() {
            return Err(Diagnostic::at(
                "a choice rule picks one of the decision's options, and it has none",
                at(r.kind.span()),
                "options = [{ id = \"...\" }, ...] on the event",
            ));
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
        let per = match &r.per {
            None => None,
            Some(d) => {
                let Some(step) = ctx.step_ticks else {
                    return Err(Diagnostic::at(
                        "`per` applies to a process: the chance per period, converted to its step",
                        at(d.span()),
                        "remove `per` (an event decides once)",
                    ));
                };
                let dur = self.duration(file, d)?;
                let per = dur.count as f64 * self.names.clock.ticks_per(dur.unit);
                Some(step / per)
            }
        };
        Ok(match kind {
            "chance" => {
                let p = self.probability(file, &need(&r.p, "p")?)?;
                Rule::Chance {
                    p: match per {
                        Some(ratio) => per_step(&p, ratio),
                        None => p,
                    },
                }
            }
            "condition" => Rule::Condition {
                holds: self.expr(file, &need(&r.condition, "if")?, None, Type::Bool)?,
            },
            "threshold" => {
                let quantity_src = need(&r.quantity, "quantity")?;
                let (limit, below) = self.bar(file, rule, true)?.expect("a threshold needs a bar"); // ok: required = true
                Rule::Threshold {
                    quantity: self.expr(file, &quantity_src, None, Type::Num)?,
                    limit: self.expr(file, &limit, None, Type::Num)?,
                    below,
                    quantity_text: quantity_src.get_ref().text.clone(),
                    limit_text: limit.get_ref().text.clone(),
                }
            }
            "weighed" => {
                let mut w = self.weighed(file, rule)?;
                if let Some(ratio) = per {
                    if w.bar.is_some() {
                        return Err(Diagnostic::at(
                            "`per` applies to a chance; a utility against a bar has none",
                            at(r.per.as_ref().map_or(rule.span(), Spanned::span)),
                            "scale = \"log-odds\"",
                        ));
                    }
                    w.p = per_step(&w.p, ratio);
                }
                Rule::Weighed(w)
            }
            "dependence" => Rule::Dependence(self.dependence(file, rule)?),
            "analogy" => Rule::Analogy(self.analogy(file, rule, ctx)?),
            "choice" => Rule::Choice(self.choice(file, rule, ctx)?),
            _ => Rule::Council(self.council(file, rule, ctx)?),
        })
    }

    /// A number that must be a probability; a constant out of [0, 1] is an error now.
    pub(super) fn probability(&mut self, file: FileId, src: &Spanned<ExprSrc>) -> Result<Code, Diagnostic> {
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

    /// `below` or `above` (exactly one when `required`).
    fn bar(
        &self,
        file: FileId,
        rule: &Spanned<raw::Rule>,
        required: bool,
    ) -> Result<Option<(Spanned<ExprSrc>, bool)>, Diagnostic> {
        let r = rule.get_ref();
        match (&r.below, &r.above) {
            (Some(b), None) => Ok(Some((b.clone(), true))),
            (None, Some(a)) => Ok(Some((a.clone(), false))),
            (None, None) if !required => Ok(None),
            _ => Err(Diagnostic::at(
                format!("a {} rule needs exactly one of `below` and `above`", r.kind.get_ref()),
                Span::new(file, rule.span()),
                "below = ...  or  above = ...",
            )),
        }
    }

    /// Terms summed (with a constant) into one expression, and each term.
    pub(super) fn terms(
        &mut self,
        file: FileId,
        base: Option<&Spanned<ExprSrc>>,
        terms: &[Spanned<raw::Term>],
    ) -> Result<(Vec<Op>, Vec<Term>), Diagnostic> {
        let mut ops = match base {
            Some(b) => self.expr(file, b, None, Type::Num)?.ops().to_vec(),
            None => vec![Op::Const(0.0)],
        };
        let mut out = Vec::new();
        for (i, t) in terms.iter().enumerate() {
            let t = t.get_ref();
            let value = self.expr(file, &t.value, None, Type::Num)?;
            let weight = match &t.weight {
                Some(w) => self.expr(file, w, None, Type::Num)?,
                None => Code::constant(1.0),
            };
            ops.extend_from_slice(value.ops());
            ops.extend_from_slice(weight.ops());
            ops.extend([Op::Mul, Op::Add]);
            out.push(Term {
                id: t
                    .id
                    .as_ref()
                    .map_or_else(|| format!("term {}", i + 1), |id| id.get_ref().clone()),
                value,
                weight,
                why: t.why.clone(),
            });
        }
        Ok((ops, out))
    }

    fn weighed(&mut self, file: FileId, rule: &Spanned<raw::Rule>) -> Result<Weighed, Diagnostic> {
        let r = rule.get_ref();
        if r.terms.is_empty() {
            return Err(Diagnostic::at(
                "a weighed rule needs `terms`",
                Span::new(file, rule.span()),
                "terms = [{ id = \"...\", value = \"...\", weight = 1.0, why = \"...\" }, ...]",
            ));
        }
        let scale = r.scale.as_ref().map_or("log-odds", |s| s.get_ref().as_str());
        let bar = self.bar(file, rule, false)?;
        let scale_at = r.scale.as_ref().map_or(rule.span(), Spanned::span);
        let (mut ops, terms) = self.terms(file, r.base.as_ref(), &r.terms)?;
        let bar = match (scale, bar) {
            ("log-odds", None) => {
                ops.push(Op::Logistic);
                None
            }
            ("utility", Some((limit, below))) => Some((self.expr(file, &limit, None, Type::Num)?, below)),
            ("log-odds", Some(_)) => {
                return Err(Diagnostic::at(
                    "on the log-odds scale the sum is a chance; it takes no bar",
                    Span::new(file, scale_at),
                    "scale = \"utility\" to compare the sum with `above` or `below`",
                ));
            }
            ("utility", None) => {
                return Err(Diagnostic::at(
                    "a weighed rule on the utility scale needs `above` or `below`",
                    Span::new(file, scale_at),
                    "above = ... (yes when the sum is above it)",
                ));
            }
            _ => {
                return Err(Diagnostic::at(
                    format!("unknown scale `{scale}`"),
                    Span::new(file, scale_at),
                    "\"log-odds\" (the sum is the log-odds of yes) or \"utility\" (against a bar)",
                ));
            }
        };
        Ok(Weighed {
            base: match &r.base {
                Some(b) => self.expr(file, b, None, Type::Num)?,
                None => Code::constant(0.0),
            },
            terms,
            p: Code::new(ops),
            bar,
        })
    }

    fn dependence(&mut self, file: FileId, rule: &Spanned<raw::Rule>) -> Result<Dependence, Diagnostic> {
        let r = rule.get_ref();
        let at = |s: Range<usize>| Span::new(file, s);
        let own = match &r.own {
            Some(o) => self.expr(file, o, None, Type::Bool)?,
            None => Code::constant(0.0),
        };
        let mut patrons = Vec::new();
        if let Some(patron) = &r.patron {
            if let Some(p) = r.patrons.first() {
                return Err(Diagnostic::at(
                    "give `patron` (one) or `patrons` (several), not both",
                    at(p.span()),
                    "one of them",
                ));
            }
            self.known_actor(file, patron)?;
            let missing = |name: &str| {
                Diagnostic::at(
                    format!("a dependence rule needs `{name}`"),
                    at(rule.span()),
                    format!("{name} = ..."),
                )
            };
            patrons.push(PatronRule {
                actor: patron.get_ref().clone(),
                wants: self.expr(
                    file,
                    r.wants.as_ref().ok_or_else(|| missing("wants"))?,
                    None,
                    Type::Bool,
                )?,
                dependence: self.probability(file, r.dependence.as_ref().ok_or_else(|| missing("dependence"))?)?,
            });
        } else {
            for (key, span) in [("wants", &r.wants), ("dependence", &r.dependence)] {
                if let Some(s) = span {
                    return Err(Diagnostic::at(
                        format!("with `patrons`, each patron gives its own `{key}`"),
                        at(s.span()),
                        "patrons = [{ actor = \"...\", wants = \"...\", dependence = \"...\" }, ...]",
                    ));
                }
            }
            for p in &r.patrons {
                let p = p.get_ref();
                self.known_actor(file, &p.actor)?;
                patrons.push(PatronRule {
                    actor: p.actor.get_ref().clone(),
                    wants: self.expr(file, &p.wants, None, Type::Bool)?,
                    dependence: self.probability(file, &p.dependence)?,
                });
            }
        }
        if patrons.is_empty() {
            return Err(Diagnostic::at(
                "a dependence rule needs `patron` or `patrons`",
                at(rule.span()),
                "patron = \"actor id\"",
            ));
        }
        let combine = match r.combine.as_ref().map(|c| (c.get_ref().as_str(), c.span())) {
            None | Some(("in_order", _)) => Combine::InOrder,
            Some(("together", _)) => Combine::Together,
            Some((other, span)) => {
                return Err(Diagnostic::at(
                    format!("unknown way to combine patrons `{other}`"),
                    at(span),
                    "\"in_order\" (the first pull that binds) or \"together\" (only where they agree)",
                ));
            }
        };
        Ok(Dependence { patrons, combine, own })
    }

    fn analogy(&mut self, file: FileId, rule: &Spanned<raw::Rule>, ctx: &NodeCtx) -> Result<Analogy, Diagnostic> {
        let r = rule.get_ref();
        let at = |s: Range<usize>| Span::new(file, s);
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
        let option = |name: &str, span: Range<usize>| -> Result<u32, Diagnostic> {
            ctx.options
                .iter()
                .position(|o| o == name)
                .map(|i| i as u32)
                .ok_or_else(|| {
                    Diagnostic::at(
                        format!("`{name}` is not an option of `{}`", ctx.id),
                        at(span),
                        format!("one of {}", ctx.options.join(", ")),
                    )
                })
        };
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
            let lesson = match (c.lesson.get_ref(), ctx.options.is_empty()) {
                (Scalar::Bool(b), true) => u32::from(*b),
                (Scalar::Str(s), false) => option(s, c.lesson.span())?,
                (_, true) => {
                    return Err(Diagnostic::at(
                        "the lesson of a yes/no analogy is true (act) or false",
                        at(c.lesson.span()),
                        "true or false (or give the event options, and name one)",
                    ));
                }
                (_, false) => {
                    return Err(Diagnostic::at(
                        "the lesson of an analogy over options names an option",
                        at(c.lesson.span()),
                        format!("one of {}", ctx.options.join(", ")),
                    ));
                }
            };
            cases.push(Case {
                name: c.name.get_ref().clone(),
                values,
                lesson,
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
        let otherwise = match (&r.otherwise, ctx.options.is_empty()) {
            (Some(o), true) => Lesson::Code(self.expr(file, o, None, Type::Bool)?),
            (None, true) => Lesson::Code(Code::constant(0.0)),
            (Some(o), false) => Lesson::Option(option(o.get_ref().text.trim(), o.span())?),
            (None, false) => {
                return Err(Diagnostic::at(
                    "an analogy over options needs `otherwise`: the option taken when no case is similar enough",
                    at(rule.span()),
                    format!("otherwise = one of {}", ctx.options.join(", ")),
                ));
            }
        };
        Ok(Analogy {
            features,
            cases,
            similarity,
            otherwise,
        })
    }
}

/// The chance per step from a chance `p` per period, where a step is
/// `ratio` periods: `1 - (1 - p)^ratio`.
fn per_step(p: &Code, ratio: f64) -> Code {
    let mut ops = vec![Op::Const(1.0), Op::Const(1.0)];
    ops.extend_from_slice(p.ops());
    ops.extend([Op::Sub, Op::Const(ratio), Op::Pow, Op::Sub]);
    Code::new(ops)
}

/// Every field a rule may carry, with its span if given.
fn fields(r: &raw::Rule) -> Vec<(&'static str, Option<Range<usize>>)> {
    let s = |v: Option<&Spanned<ExprSrc>>| v.map(Spanned::span);
    vec![
        ("p", s(r.p.as_ref())),
        ("per", r.per.as_ref().map(Spanned::span)),
        ("if", s(r.condition.as_ref())),
        ("quantity", s(r.quantity.as_ref())),
        ("below", s(r.below.as_ref())),
        ("above", s(r.above.as_ref())),
        ("patron", r.patron.as_ref().map(Spanned::span)),
        ("wants", s(r.wants.as_ref())),
        ("dependence", s(r.dependence.as_ref())),
        ("own", s(r.own.as_ref())),
        ("features", r.features.keys().next().map(Spanned::span)),
        ("cases", r.cases.first().map(Spanned::span)),
        ("similarity", s(r.similarity.as_ref())),
        ("otherwise", s(r.otherwise.as_ref())),
        ("patrons", r.patrons.first().map(Spanned::span)),
        ("combine", r.combine.as_ref().map(Spanned::span)),
        ("select", r.select.as_ref().map(Spanned::span)),
        ("temperature", s(r.temperature.as_ref())),
        ("utility", r.utility.keys().next().map(Spanned::span)),
        ("weight", r.weight.keys().next().map(Spanned::span)),
        ("terms", r.terms.first().map(Spanned::span)),
        ("scale", r.scale.as_ref().map(Spanned::span)),
        ("base", s(r.base.as_ref())),
        ("members", r.members.first().map(Spanned::span)),
        ("needs", r.needs.as_ref().map(Spanned::span)),
    ]
}
