//! The command line's `--set NAME=VALUE` and `--do ID=VALUE`: each argument
//! becomes a source of its own, so errors point into the argument; the value
//! is read as exactly one TOML value.

use super::merge::Merger;
use super::raw::{ParamDecl, Scalar, Short};
use crate::diagnostic::{Diagnostic, Span};
use serde::Deserialize;
use toml::Spanned;

/// Overrides from the command line, as typed: `NAME=VALUE`.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub set: Vec<String>,
    pub interventions: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OneParam {
    v: Spanned<Short<ParamDecl>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OneScalar {
    v: Spanned<Scalar>,
}

/// The byte range of `s` with surrounding whitespace (any Unicode space) trimmed.
fn trimmed(s: &str) -> std::ops::Range<usize> {
    let start = s.len() - s.trim_start().len();
    start..start + s.trim().len()
}

impl Merger<'_> {
    /// Applies `--set` and `--do`, in that order.
    pub fn cli(&mut self, overrides: &Overrides) -> Result<(), Diagnostic> {
        for (flag, args) in [("--set", &overrides.set), ("--do", &overrides.interventions)] {
            for arg in args {
                let file = self.sources.add(flag.to_string(), None, arg.clone());
                self.formats.push(super::FORMAT_VERSION);
                let Some((name, value)) = arg.split_once('=') else {
                    return Err(Diagnostic::at(
                        format!("`{flag}` takes NAME=VALUE"),
                        Span::new(file, 0..arg.len()),
                        "NAME=VALUE, e.g. stalin.us_intervention_threshold=0.4",
                    ));
                };
                let range = trimmed(name);
                if range.is_empty() {
                    return Err(Diagnostic::at(
                        format!("`{flag}` needs a name before `=`"),
                        Span::new(file, 0..name.len()),
                        "NAME=VALUE",
                    ));
                }
                let name = Spanned::new(range.clone(), name[range].to_string());
                // Read `v   =VALUE`, padded so that spans fall on the argument text.
                let wrapped = format!("v{}={value}", " ".repeat(arg.len() - value.len() - 2));
                if flag == "--set" {
                    let one: OneParam = toml::from_str(&wrapped).map_err(|e| super::read::toml_error(file, &e))?;
                    self.set(file, name, one.v)?;
                } else {
                    let at = arg.len() - value.len();
                    let one = match toml::from_str::<OneScalar>(&wrapped) {
                        Ok(one) => one.v,
                        // A bare word names an option: `--do council=blockade`.
                        Err(_) if is_word(value.trim()) => {
                            let r = trimmed(value);
                            Spanned::new(at + r.start..at + r.end, Scalar::Str(value.trim().to_string()))
                        }
                        Err(e) => return Err(super::read::toml_error(file, &e)),
                    };
                    self.intervene(file, name, one);
                }
            }
        }
        Ok(())
    }
}

fn is_word(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}
