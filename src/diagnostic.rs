//! Source files and the errors that point into them: `file:line:col`, the
//! offending line, a caret under the span, and what was expected.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Longest stretch of a source line quoted in an error.
const MAX_SHOWN: usize = 100;

/// Index of a file in [`Sources`].
pub type FileId = usize;

/// One text the user gave us: a scenario file, or a `--set` argument.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// What to print as the location (a path, or `--set` for an argument).
    pub name: String,
    /// The file on disk, if it is one.
    pub path: Option<PathBuf>,
    pub text: String,
}

/// Every text read while loading one scenario, so that errors can quote them.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    pub fn add(&mut self, name: String, path: Option<PathBuf>, text: String) -> FileId {
        self.files.push(SourceFile { name, path, text });
        self.files.len() - 1
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id]
    }

    /// Every source's name and text, in reading order.
    pub fn texts(&self) -> impl Iterator<Item = (&str, &str)> {
        self.files.iter().map(|f| (f.name.as_str(), f.text.as_str()))
    }

    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.files.iter().filter_map(|f| f.path.as_deref())
    }
}

/// A place in a source text: a file and a byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub file: FileId,
    pub range: Range<usize>,
}

impl Span {
    pub fn new(file: FileId, range: Range<usize>) -> Self {
        Span { file, range }
    }
}

/// An error in what the user gave us. Rendered against [`Sources`].
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub message: String,
    pub span: Option<Span>,
    /// Short text under the caret, usually what was expected.
    pub label: String,
    /// Optional extra line: a hint on how to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(message: impl Into<String>) -> Self {
        Diagnostic {
            message: message.into(),
            span: None,
            label: String::new(),
            help: None,
        }
    }

    pub fn at(message: impl Into<String>, span: Span, label: impl Into<String>) -> Self {
        Diagnostic {
            message: message.into(),
            span: Some(span),
            label: label.into(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// 1-based line and column (in characters) of the span start, if any.
    pub fn line_col(&self, sources: &Sources) -> Option<(usize, usize)> {
        let span = self.span.as_ref()?;
        Some(line_col(&sources.get(span.file).text, span.range.start))
    }

    /// Renders the full report: header, location, quoted line, caret, help.
    pub fn render(&self, sources: &Sources) -> String {
        let mut out = format!("error: {}\n", self.message);
        if let Some(span) = &self.span {
            let file = sources.get(span.file);
            let text = &file.text;
            // Spans are byte ranges; snap them to character boundaries.
            let mut start = span.range.start.min(text.len());
            while !text.is_char_boundary(start) {
                start -= 1;
            }
            let (line, col) = line_col(text, start);
            let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
            let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
            let line_text = text[line_start..line_end].trim_end_matches('\r');
            let mut end = span.range.end.clamp(start, line_end);
            while !text.is_char_boundary(end) {
                end += 1;
            }
            let gutter = line.to_string().len();
            let pad = " ".repeat(gutter);
            out += &format!("{pad}--> {}:{line}:{col}\n", file.name);
            out += &format!("{pad} |\n");
            // A very long line is shown as a window around the caret.
            let chars: Vec<char> = line_text.chars().collect();
            let (from, to) = if chars.len() > MAX_SHOWN {
                let from = (col - 1).saturating_sub(MAX_SHOWN / 2).min(chars.len() - MAX_SHOWN);
                (from, from + MAX_SHOWN)
            } else {
                (0, chars.len())
            };
            let (open, close) = (if from > 0 { "…" } else { "" }, if to < chars.len() { "…" } else { "" });
            let shown: String = chars[from..to].iter().collect();
            out += &format!("{line} | {open}{shown}{close}\n");
            let indent: String = open
                .chars()
                .map(|_| ' ')
                .chain(
                    chars[from..(col - 1).clamp(from, to)]
                        .iter()
                        .map(|&c| if c == '\t' { '\t' } else { ' ' }),
                )
                .collect();
            let width = text[start..end].chars().count().clamp(1, MAX_SHOWN);
            out += &format!("{pad} | {indent}{} {}\n", "^".repeat(width), self.label);
        } else if !self.label.is_empty() {
            out += &format!("  = {}\n", self.label);
        }
        if let Some(help) = &self.help {
            out += &format!("  = help: {help}\n");
        }
        out
    }
}

/// 1-based line and character column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// A diagnostic bundled with its sources, ready to print.
#[derive(Debug)]
pub struct Report {
    pub diagnostic: Diagnostic,
    pub sources: Sources,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.render(&self.sources))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_not_bytes() {
        assert_eq!(line_col("ab\ncé d", 7), (2, 4));
        assert_eq!(line_col("x", 0), (1, 1));
    }

    #[test]
    fn long_lines_are_quoted_as_a_window_around_the_caret() {
        let mut sources = Sources::default();
        let text = format!("x = {}!{}\n", "a".repeat(500), "b".repeat(500));
        let id = sources.add("f.toml".into(), None, text);
        let d = Diagnostic::at("bad", Span::new(id, 504..505), "here");
        let out = d.render(&sources);
        assert!(out.contains("--> f.toml:1:505"), "{out}");
        let quoted = out.lines().find(|l| l.starts_with("1 | ")).unwrap();
        assert!(
            quoted.chars().count() < 110 && quoted.contains("…a") && quoted.contains("!b"),
            "{quoted}"
        );
        let caret = out.lines().find(|l| l.contains('^')).unwrap();
        let bang = quoted.chars().position(|c| c == '!').unwrap();
        assert_eq!(caret.chars().position(|c| c == '^'), Some(bang), "{out}");
    }

    #[test]
    fn spans_inside_characters_are_snapped_to_their_boundaries() {
        let mut sources = Sources::default();
        let text = "\u{a0}\u{3000}=x é\n".to_string();
        let id = sources.add("--set".into(), None, text.clone());
        for start in 0..=text.len() {
            for end in start..=text.len() + 2 {
                let out = Diagnostic::at("bad", Span::new(id, start..end), "here").render(&sources);
                assert!(out.contains("--> --set:"), "{out}");
            }
        }
    }

    #[test]
    fn render_points_caret_under_span() {
        let mut sources = Sources::default();
        let id = sources.add("f.toml".into(), None, "a = 1\nbee = \"oops\"\n".into());
        let d = Diagnostic::at("bad value", Span::new(id, 12..18), "expected a number");
        let text = d.render(&sources);
        assert!(text.contains("--> f.toml:2:7"), "{text}");
        assert!(text.contains("2 | bee = \"oops\""), "{text}");
        assert!(text.contains("  |       ^^^^^^ expected a number"), "{text}");
    }
}
