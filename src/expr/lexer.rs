//! Turns expression text into tokens, each carrying its byte span.

use std::ops::Range;

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Num(f64),
    /// `@1950-06`, `@1962-10-27T10:00`: a date (the text after `@`),
    /// resolved to ticks since the scenario start.
    Date(String),
    /// `'blockade'` or `"blockade"`: a named value (an option, an enumerated state).
    Str(String),
    /// A name, possibly qualified: `stalin.threshold`, `state.war`, `now`.
    Name(String),
    True,
    False,
    And,
    Or,
    Not,
    If,
    Then,
    Else,
    Plus,
    Minus,
    Star,
    Slash,
    Lt,
    Le,
    Gt,
    Ge,
    EqEq,
    Ne,
    LParen,
    RParen,
    Comma,
    Eof,
}

impl Tok {
    /// How the token reads in an error message.
    pub fn describe(&self) -> String {
        match self {
            Tok::Num(n) => format!("number `{n}`"),
            Tok::Date(d) => format!("date `@{d}`"),
            Tok::Str(v) => format!("name `'{v}'`"),
            Tok::Name(n) => format!("name `{n}`"),
            Tok::Eof => "end of expression".to_string(),
            other => format!("`{}`", other.symbol()),
        }
    }

    pub fn symbol(&self) -> &'static str {
        match self {
            Tok::True => "true",
            Tok::False => "false",
            Tok::And => "and",
            Tok::Or => "or",
            Tok::Not => "not",
            Tok::If => "if",
            Tok::Then => "then",
            Tok::Else => "else",
            Tok::Plus => "+",
            Tok::Minus => "-",
            Tok::Star => "*",
            Tok::Slash => "/",
            Tok::Lt => "<",
            Tok::Le => "<=",
            Tok::Gt => ">",
            Tok::Ge => ">=",
            Tok::EqEq => "==",
            Tok::Ne => "!=",
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::Comma => ",",
            Tok::Num(_) | Tok::Date(_) | Tok::Str(_) | Tok::Name(_) | Tok::Eof => "",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub span: Range<usize>,
}

/// A lexing error: the span of the offending text and what was expected.
#[derive(Debug, Clone, PartialEq)]
pub struct LexError {
    pub span: Range<usize>,
    pub message: String,
    pub expected: String,
}

/// Longest accepted expression, in bytes.
pub const MAX_EXPR_LEN: usize = 4096;

pub fn lex(src: &str) -> Result<Vec<Token>, LexError> {
    if src.len() > MAX_EXPR_LEN {
        return Err(LexError {
            span: 0..src.len(),
            message: format!("expression is {} bytes long", src.len()),
            expected: format!("at most {MAX_EXPR_LEN} bytes"),
        });
    }
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let tok = if c.is_ascii_digit() || (c == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.' || bytes[i] == b'_') {
                i += 1;
            }
            if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
                i += 1;
                if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
                    i += 1;
                }
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
            }
            let text = src[start..i].replace('_', "");
            match text.parse::<f64>() {
                Ok(n) if n.is_finite() => Tok::Num(n),
                _ => {
                    return Err(err(
                        start..i,
                        format!("`{}` is not a number", &src[start..i]),
                        "a number such as 0.25",
                    ));
                }
            }
        } else if c.is_ascii_alphabetic() || c == b'_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'.') {
                i += 1;
            }
            let word = &src[start..i];
            if word.ends_with('.') || word.contains("..") {
                return Err(err(
                    start..i,
                    format!("`{word}` is not a valid name"),
                    "a name such as `actor.quantity`",
                ));
            }
            match word {
                "true" => Tok::True,
                "false" => Tok::False,
                "and" => Tok::And,
                "or" => Tok::Or,
                "not" => Tok::Not,
                "if" => Tok::If,
                "then" => Tok::Then,
                "else" => Tok::Else,
                _ => Tok::Name(word.to_string()),
            }
        } else if c == b'@' {
            i += 1;
            while i < bytes.len() && (bytes[i].is_ascii_digit() || matches!(bytes[i], b'-' | b'T' | b':')) {
                i += 1;
            }
            let text = &src[start + 1..i];
            match crate::time::CivilDate::parse(text) {
                Some(_) => Tok::Date(text.to_string()),
                None => {
                    return Err(err(
                        start..i.max(start + 1),
                        "malformed date literal",
                        "a date such as @1950-06 or @1962-10-27T10:00",
                    ));
                }
            }
        } else if c == b'\'' || c == b'"' {
            i += 1;
            while i < bytes.len() && bytes[i] != c {
                i += 1;
            }
            if i == bytes.len() {
                return Err(err(start..i, "unclosed quoted name", "a closing quote"));
            }
            i += 1;
            let name = &src[start + 1..i - 1];
            if !is_name(name) {
                return Err(err(
                    start..i,
                    format!("`{name}` is not a valid option name"),
                    "letters, digits and `_`, starting with a letter",
                ));
            }
            Tok::Str(name.to_string())
        } else {
            let two = bytes.get(i + 1).copied();
            let (tok, len) = match (c, two) {
                (b'<', Some(b'=')) => (Tok::Le, 2),
                (b'>', Some(b'=')) => (Tok::Ge, 2),
                (b'=', Some(b'=')) => (Tok::EqEq, 2),
                (b'!', Some(b'=')) => (Tok::Ne, 2),
                (b'<', _) => (Tok::Lt, 1),
                (b'>', _) => (Tok::Gt, 1),
                (b'+', _) => (Tok::Plus, 1),
                (b'-', _) => (Tok::Minus, 1),
                (b'*', _) => (Tok::Star, 1),
                (b'/', _) => (Tok::Slash, 1),
                (b'(', _) => (Tok::LParen, 1),
                (b')', _) => (Tok::RParen, 1),
                (b',', _) => (Tok::Comma, 1),
                (b'=', _) => return Err(err(i..i + 1, "`=` is not an operator here", "`==` to compare")),
                (b'&', _) | (b'|', _) => return Err(err(i..i + 1, "unexpected symbol", "`and` / `or`")),
                (b'!', _) => return Err(err(i..i + 1, "unexpected `!`", "`not` or `!=`")),
                _ => {
                    let ch = src[i..].chars().next().unwrap_or('?');
                    return Err(err(
                        i..i + ch.len_utf8(),
                        format!("unexpected character `{ch}`"),
                        "a number, name, operator or parenthesis",
                    ));
                }
            };
            i += len;
            tok
        };
        out.push(Token { tok, span: start..i });
    }
    out.push(Token {
        tok: Tok::Eof,
        span: src.len()..src.len(),
    });
    Ok(out)
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn err(span: Range<usize>, message: impl Into<String>, expected: &str) -> LexError {
    LexError {
        span,
        message: message.into(),
        expected: expected.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        lex(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn lexes_operators_names_and_dates() {
        assert_eq!(
            toks("a.b <= 1e-2 and @1950-06"),
            vec![
                Tok::Name("a.b".into()),
                Tok::Le,
                Tok::Num(0.01),
                Tok::And,
                Tok::Date("1950-06".into()),
                Tok::Eof
            ]
        );
        assert_eq!(
            toks("s == 'blockade' or @1962-10-27T10:00"),
            vec![
                Tok::Name("s".into()),
                Tok::EqEq,
                Tok::Str("blockade".into()),
                Tok::Or,
                Tok::Date("1962-10-27T10:00".into()),
                Tok::Eof
            ]
        );
        assert_eq!(toks("\"a_1\""), vec![Tok::Str("a_1".into()), Tok::Eof]);
    }

    #[test]
    fn rejects_bad_quoted_names_and_dates() {
        assert_eq!(lex("'open").unwrap_err().span, 0..5);
        assert!(
            lex("'two words'")
                .unwrap_err()
                .message
                .contains("not a valid option name")
        );
        assert!(lex("@1950-13").unwrap_err().message.contains("malformed date"));
    }

    #[test]
    fn rejects_single_equals_with_its_span() {
        let e = lex("x = 1").unwrap_err();
        assert_eq!(e.span, 2..3);
        assert!(e.expected.contains("=="));
    }
}
