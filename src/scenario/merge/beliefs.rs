//! Merging a belief: a format-2 file edits the base's belief field by
//! field and its signals by id (`drop` removes one); `[set]` changes a
//! prior or one signal's shift.

use super::*;

impl Merger<'_> {
    pub(super) fn belief(
        &mut self,
        file: FileId,
        name: Spanned<String>,
        decl: Spanned<Short<BeliefDecl>>,
    ) -> Result<(), Diagnostic> {
        let key = name.get_ref().clone();
        let field_by_field = self.format(file) >= 2;
        let outer = decl.span();
        let d = decl.into_inner().0;
        let existing = self.beliefs.get_mut(&key);
        if existing.as_ref().is_some_and(|b| b.file == file) {
            return Err(duplicate("belief", file, &name));
        }
        let replaced = existing.is_some();
        match existing {
            Some(b) if field_by_field => {
                if d.value.is_some() {
                    b.value = part(file, &outer, d.value);
                    b.prior = None;
                    b.signals.clear();
                }
                if d.prior.is_some() {
                    b.prior = part(file, &outer, d.prior);
                    b.value = None;
                }
                for s in d.signals {
                    edit_signal(b, file, s)?;
                }
                b.doc = d.doc.or(b.doc.take());
                b.evidence = d.evidence.or(b.evidence.take());
                b.file = file;
                b.span = outer;
                b.name = name;
            }
            slot => {
                let mut b = BeliefDef {
                    name,
                    file,
                    span: outer.clone(),
                    value: part(file, &outer, d.value),
                    prior: part(file, &outer, d.prior),
                    signals: Vec::new(),
                    doc: d.doc,
                    evidence: d.evidence,
                };
                for s in d.signals {
                    if s.get_ref().drop.is_some() {
                        return Err(Diagnostic::at(
                            "`drop` removes a signal of the base scenario's belief",
                            Span::new(file, s.span()),
                            "a signal that this belief does not already have",
                        ));
                    }
                    edit_signal(&mut b, file, s)?;
                }
                match slot {
                    Some(existing) => *existing = b,
                    None => self.beliefs.push(key.clone(), b),
                }
            }
        }
        self.changed(replaced, "belief", &key);
        Ok(())
    }
}

/// Adds a signal to a belief, or edits or drops the one with its id.
fn edit_signal(b: &mut BeliefDef, file: FileId, s: Spanned<raw::Signal>) -> Result<(), Diagnostic> {
    let at = Span::new(file, s.span());
    let outer = s.span();
    let s = s.into_inner();
    let found =
        s.id.as_ref()
            .and_then(|id| b.signals.iter().position(|x| x.id.as_deref() == Some(id.get_ref())));
    match (found, s.drop.as_ref().map(|d| *d.get_ref())) {
        (Some(i), Some(true)) => {
            b.signals.remove(i);
        }
        (None, Some(true)) => {
            let id = s.id.as_ref().map_or("", |i| i.get_ref().as_str());
            let known: Vec<&str> = b.signals.iter().filter_map(|x| x.id.as_deref()).collect();
            return Err(Diagnostic::at(
                format!("belief `{}` has no signal `{id}` to drop", b.name.get_ref()),
                at,
                "the id of one of its signals",
            )
            .with_help(suggest(id, &known)));
        }
        (Some(i), _) => {
            let old = &mut b.signals[i];
            if s.when.is_some() {
                old.when = part(file, &outer, s.when);
            }
            if s.shift.is_some() {
                old.shift = part(file, &outer, s.shift);
            }
            old.why = s.why.or(old.why.take());
            old.at = at;
        }
        (None, _) => b.signals.push(SignalDef {
            id: s.id.map(Spanned::into_inner),
            at,
            when: part(file, &outer, s.when),
            shift: part(file, &outer, s.shift),
            why: s.why,
        }),
    }
    Ok(())
}

/// `[set] actor.belief.prior = x` or `actor.belief.signal_id = x`.
pub(super) fn set_belief_part(
    b: &mut BeliefDef,
    part_name: &str,
    file: FileId,
    name: &Spanned<String>,
    decl: &Spanned<Short<ParamDecl>>,
) -> Result<String, Diagnostic> {
    let d = &decl.get_ref().0;
    let value = match &d.value {
        Some(v) if matches!(v.get_ref(), Scalar::Num(_)) => v.get_ref().to_string(),
        _ => {
            return Err(Diagnostic::at(
                "a belief's prior or a signal's shift is set to a number",
                Span::new(file, decl.span()),
                "a number",
            ));
        }
    };
    let new = Some(Item {
        file,
        value: Spanned::new(decl.span(), ExprSrc { text: value.clone() }),
    });
    let text = |p: &Option<Item<Spanned<ExprSrc>>>| p.as_ref().map_or("-".to_string(), |p| p.get().text.clone());
    let belief = b.name.get_ref().clone();
    if part_name == "prior" {
        if b.prior.is_none() {
            return Err(Diagnostic::at(
                format!("belief `{belief}` is an expression; it has no prior"),
                Span::new(file, name.span()),
                "a belief declared with `prior` and `signals`",
            ));
        }
        let detail = format!("{belief}.prior: {} → {value}", text(&b.prior));
        b.prior = new;
        return Ok(detail);
    }
    let Some(signal) = b.signals.iter_mut().find(|s| s.id.as_deref() == Some(part_name)) else {
        let mut known: Vec<String> = vec![format!("{belief}.prior")];
        known.extend(
            b.signals
                .iter()
                .filter_map(|s| Some(format!("{belief}.{}", s.id.as_ref()?))),
        );
        let known: Vec<&str> = known.iter().map(String::as_str).collect();
        return Err(Diagnostic::at(
            format!("belief `{belief}` has no signal `{part_name}`"),
            Span::new(file, name.span()),
            "`prior`, or the id of one of its signals",
        )
        .with_help(suggest(name.get_ref(), &known)));
    };
    let detail = format!("{belief}.{part_name}: {} → {value}", text(&signal.shift));
    signal.shift = new;
    Ok(detail)
}
