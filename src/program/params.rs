//! Compiles parameters (fixed or drawn), distributions (shared with effects
//! that draw), and state variables, including enumerated ones and those a
//! `do(state.x = v)` holds fixed.

use super::build::{Builder, inner_span, scalar_value};
use super::*;
use crate::diagnostic::{Diagnostic, FileId, Span};
use crate::scenario::raw::{ParamDecl, Scalar};
use std::collections::HashSet;
use std::ops::Range;
use toml::Spanned;

/// Reads the distribution of a declaration, if it has one. `what` names it
/// in errors ("parameter `x`"); `outer` is the span of the whole table.
/// From a format-2 file (`exact_tails`) a beta's tails are exact.
pub(super) fn distribution(
    file: FileId,
    what: &str,
    decl: &ParamDecl,
    outer: Range<usize>,
    exact_tails: bool,
) -> Result<Option<Dist>, Diagnostic> {
    let at = |s: &Spanned<Vec<f64>>| Span::new(file, s.span());
    let bad = |s: Span, e: String| Diagnostic::at(format!("bad distribution for {what}"), s, e);
    let pair = |s: &Spanned<Vec<f64>>, shape: &str| -> Result<(f64, f64), Diagnostic> {
        match s.get_ref()[..] {
            [a, b] => Ok((a, b)),
            _ => Err(bad(at(s), format!("two numbers: {shape}"))),
        }
    };
    let given: Vec<&str> = [
        ("value", decl.value.is_some()),
        ("uniform", decl.uniform.is_some()),
        ("beta", decl.beta.is_some()),
        ("triangular", decl.triangular.is_some()),
        ("normal", decl.normal.is_some()),
        ("bernoulli", decl.bernoulli.is_some()),
    ]
    .into_iter()
    .filter_map(|(k, on)| on.then_some(k))
    .collect();
    if given.len() != 1 {
        return Err(Diagnostic::at(
            format!("{what} needs exactly one of value, uniform, beta, triangular, normal, bernoulli"),
            Span::new(file, outer),
            if given.is_empty() {
                "none given".to_string()
            } else {
                format!("given: {}", given.join(", "))
            },
        ));
    }
    if let (Some(w), None) = (&decl.within, &decl.normal) {
        return Err(Diagnostic::at(
            "`within` applies only to `normal`",
            at(w),
            "remove `within`, or use `normal`",
        ));
    }
    Ok(if let Some(v) = &decl.uniform {
        let (lo, hi) = pair(v, "[low, high]")?;
        Some(Dist::uniform(lo, hi).map_err(|e| bad(at(v), e))?)
    } else if let Some(v) = &decl.beta {
        let (a, b) = pair(v, "[alpha, beta]")?;
        let d = Dist::beta(a, b).map_err(|e| bad(at(v), e))?;
        Some(if exact_tails { d.with_exact_tails() } else { d })
    } else if let Some(v) = &decl.triangular {
        match v.get_ref()[..] {
            [lo, mode, hi] => Some(Dist::triangular(lo, mode, hi).map_err(|e| bad(at(v), e))?),
            _ => return Err(bad(at(v), "three numbers: [low, mode, high]".into())),
        }
    } else if let Some(v) = &decl.normal {
        let (mean, sd) = pair(v, "[mean, sd]")?;
        let within = match &decl.within {
            Some(w) => Some(pair(w, "[low, high]")?),
            None => None,
        };
        Some(Dist::normal(mean, sd, within).map_err(|e| bad(at(v), e))?)
    } else if let Some(p) = &decl.bernoulli {
        let span = Span::new(file, inner_span(p, outer));
        Some(
            Dist::bernoulli(*p.get_ref())
                .map_err(|e| Diagnostic::at(format!("probability out of range for {what}"), span, e))?,
        )
    } else {
        None
    })
}

/// The type of the values a distribution gives.
pub(super) fn dist_type(d: &Dist) -> Type {
    if matches!(d, Dist::Bernoulli { .. }) {
        Type::Bool
    } else {
        Type::Num
    }
}

impl Builder<'_> {
    pub(super) fn params(&mut self) -> Result<Vec<Param>, Diagnostic> {
        let mut out = Vec::new();
        for item in &self.sc.params {
            let (file, def) = (item.file, &item.value);
            let name = def.name.get_ref();
            let decl = &def.decl.get_ref().0;
            let whole = Span::new(file, def.decl.span());
            let exact = self.sc.format_of(file) >= 2;
            let dist = distribution(file, &format!("parameter `{name}`"), decl, def.decl.span(), exact)?;
            let range = match &decl.range {
                Some(r) => match r.get_ref()[..] {
                    [lo, hi] if lo.is_finite() && hi.is_finite() && lo <= hi => Some((lo, hi)),
                    _ => {
                        return Err(Diagnostic::at(
                            format!("bad range for parameter `{name}`"),
                            Span::new(file, r.span()),
                            "[low, high]: two finite numbers with low <= high",
                        ));
                    }
                },
                None => None,
            };
            let (value, ty, initial) = match dist {
                Some(dist) => {
                    let ty = dist_type(&dist);
                    let lane = self.lanes(&format!("parameter/{name}"), 1, whole.clone())?;
                    (ParamValue::Drawn { dist, lane }, ty, 0.0)
                }
                None => {
                    let v = decl.value.as_ref().expect("exactly one form was given"); // ok: counted by `distribution`
                    let (x, ty) = scalar_value(v.get_ref()).ok_or_else(|| {
                        Diagnostic::at(
                            "a parameter value must be a finite number or true/false",
                            Span::new(file, inner_span(v, def.decl.span())),
                            "a number or true/false",
                        )
                    })?;
                    (ParamValue::Fixed(x), ty, x)
                }
            };
            let slot = self.slot(name, ty, initial);
            out.push(Param {
                name: name.clone(),
                slot,
                ty,
                value,
                range,
                doc: decl.doc.clone(),
                assumption: decl.assumption.clone(),
            });
        }
        Ok(out)
    }

    /// Declares state variables; returns those clamped by `do(state.x = v)`.
    pub(super) fn state(&mut self) -> Result<HashSet<u32>, Diagnostic> {
        for item in &self.sc.state {
            let def = &item.value;
            let decl = &def.decl.get_ref().0;
            let at = |s: Range<usize>| Span::new(item.file, s);
            let Some(init) = &decl.initial else {
                return Err(Diagnostic::at(
                    "state variable has no initial value",
                    at(def.decl.span()),
                    "{ initial = ... }",
                ));
            };
            let init_at = at(inner_span(init, def.decl.span()));
            let (x, ty) = match &decl.values {
                Some(values) => {
                    let list: Vec<String> = values.get_ref().iter().map(|v| v.get_ref().clone()).collect();
                    for (i, v) in values.get_ref().iter().enumerate() {
                        if !is_name(v.get_ref()) || list[..i].contains(v.get_ref()) {
                            return Err(Diagnostic::at(
                                format!("`{}` cannot be a named value here", v.get_ref()),
                                at(v.span()),
                                "a name of letters, digits and `_`, not listed before",
                            ));
                        }
                    }
                    let Scalar::Str(first) = init.get_ref() else {
                        return Err(Diagnostic::at(
                            "an enumerated state variable starts at one of its values",
                            init_at,
                            format!("one of {}", list.join(", ")),
                        ));
                    };
                    let Some(index) = list.iter().position(|v| v == first) else {
                        return Err(Diagnostic::at(
                            format!("`{first}` is not one of the values"),
                            init_at,
                            format!("one of {}", list.join(", ")),
                        ));
                    };
                    self.names.enums.push(list);
                    (index as f64, Type::Enum(self.names.enums.len() as u32 - 1))
                }
                None => scalar_value(init.get_ref()).ok_or_else(|| {
                    Diagnostic::at(
                        "a state variable starts as a finite number or true/false",
                        init_at,
                        "a number or true/false (or add `values = [...]` for named values)",
                    )
                })?,
            };
            self.slot(&format!("state.{}", def.name.get_ref()), ty, x);
        }
        let mut clamped = HashSet::new();
        for item in &self.sc.interventions {
            let iv = &item.value;
            let Some(name) = iv.target.get_ref().strip_prefix("state.") else {
                continue;
            };
            let at = |s: Range<usize>| Span::new(item.file, s);
            let Some(&(slot, ty)) = self.names.slots.get(&format!("state.{name}")) else {
                let known: Vec<String> = self
                    .sc
                    .state
                    .iter()
                    .map(|s| format!("state.{}", s.value.name.get_ref()))
                    .collect();
                let known: Vec<&str> = known.iter().map(String::as_str).collect();
                return Err(Diagnostic::at(
                    format!("no state variable `{name}`"),
                    at(iv.target.span()),
                    "a state variable of the scenario",
                )
                .with_help(crate::scenario::suggest(iv.target.get_ref(), &known)));
            };
            let value = match (ty, iv.value.get_ref()) {
                (Type::Enum(list), Scalar::Str(v)) => self.names.enums[list as usize]
                    .iter()
                    .position(|x| x == v)
                    .map(|i| i as f64),
                (ty, v) => scalar_value(v).filter(|(_, t)| *t == ty).map(|(x, _)| x),
            };
            let value = value.ok_or_else(|| {
                let expected = match ty {
                    Type::Enum(list) => format!("one of {}", self.names.enums[list as usize].join(", ")),
                    ty => format!("{ty}"),
                };
                Diagnostic::at(
                    format!("`{}` holds {ty}", iv.target.get_ref()),
                    at(iv.value.span()),
                    expected,
                )
            })?;
            self.initial[slot as usize] = value;
            clamped.insert(slot);
        }
        Ok(clamped)
    }
}

pub(super) fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
