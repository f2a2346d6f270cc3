//! Pratt parser: tokens to an [`Expr`] tree, with one binding-power table.

use super::lexer::{Tok, Token, lex};
use std::fmt;
use std::ops::Range;

/// Deepest nesting accepted in one expression.
pub const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Not,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Num(f64),
    Bool(bool),
    /// A date as written after `@`.
    Date(String),
    /// A quoted name: an option or an enumerated value.
    Str(String),
    Name(String),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    Call(String, Vec<Expr>),
}

/// An expression node and the byte span of its text.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Range<usize>,
}

/// Displays as an S-expression: `(+ 1 (* 2 x))`.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Num(n) => write!(f, "{n}"),
            ExprKind::Bool(b) => write!(f, "{b}"),
            ExprKind::Date(d) => write!(f, "@{d}"),
            ExprKind::Str(v) => write!(f, "'{v}'"),
            ExprKind::Name(n) => write!(f, "{n}"),
            ExprKind::Unary(UnOp::Neg, e) => write!(f, "(- {e})"),
            ExprKind::Unary(UnOp::Not, e) => write!(f, "(not {e})"),
            ExprKind::Binary(op, a, b) => write!(f, "({} {a} {b})", op.symbol()),
            ExprKind::If(c, t, e) => write!(f, "(if {c} {t} {e})"),
            ExprKind::Call(name, args) => {
                write!(f, "({name}")?;
                for a in args {
                    write!(f, " {a}")?;
                }
                write!(f, ")")
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    pub span: Range<usize>,
    pub message: String,
    pub expected: String,
}

/// Parses a whole expression; trailing tokens are an error.
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    let tokens = lex(src).map_err(|e| ParseError {
        span: e.span,
        message: e.message,
        expected: e.expected,
    })?;
    let mut p = Parser {
        tokens,
        pos: 0,
        depth: 0,
    };
    let e = p.expr(0)?;
    let t = p.peek();
    if t.tok != Tok::Eof {
        return Err(p.unexpected(t.clone(), "an operator or the end of the expression"));
    }
    Ok(e)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

/// Binding powers of infix operators (left, right): the one table.
fn infix(tok: &Tok) -> Option<(BinOp, u8, u8)> {
    Some(match tok {
        Tok::Or => (BinOp::Or, 1, 2),
        Tok::And => (BinOp::And, 3, 4),
        Tok::EqEq => (BinOp::Eq, 7, 8),
        Tok::Ne => (BinOp::Ne, 7, 8),
        Tok::Lt => (BinOp::Lt, 7, 8),
        Tok::Le => (BinOp::Le, 7, 8),
        Tok::Gt => (BinOp::Gt, 7, 8),
        Tok::Ge => (BinOp::Ge, 7, 8),
        Tok::Plus => (BinOp::Add, 9, 10),
        Tok::Minus => (BinOp::Sub, 9, 10),
        Tok::Star => (BinOp::Mul, 11, 12),
        Tok::Slash => (BinOp::Div, 11, 12),
        _ => return None,
    })
}

/// Right binding power of prefix operators.
const NOT_BP: u8 = 5;
const NEG_BP: u8 = 13;
/// Comparisons do not chain: `a < b < c` is an error.
const CMP_BP: u8 = 7;

impl Parser {
    fn peek(&self) -> &Token {
        &self.tokens[self.pos]
    }

    fn next(&mut self) -> Token {
        let t = self.tokens[self.pos].clone();
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
        t
    }

    fn unexpected(&self, t: Token, expected: &str) -> ParseError {
        ParseError {
            span: t.span,
            message: format!("unexpected {}", t.tok.describe()),
            expected: expected.to_string(),
        }
    }

    fn expect(&mut self, tok: Tok, expected: &str) -> Result<Token, ParseError> {
        let t = self.next();
        if t.tok == tok {
            Ok(t)
        } else {
            Err(self.unexpected(t, expected))
        }
    }

    fn expr(&mut self, min_bp: u8) -> Result<Expr, ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let span = self.peek().span.clone();
            return Err(ParseError {
                span,
                message: format!("expression nests more than {MAX_DEPTH} levels deep"),
                expected: "a simpler expression (split it into beliefs)".into(),
            });
        }
        let mut lhs = self.prefix()?;
        let mut last_cmp = false;
        loop {
            let t = self.peek().clone();
            let Some((op, lbp, rbp)) = infix(&t.tok) else { break };
            if lbp < min_bp {
                break;
            }
            if lbp == CMP_BP && last_cmp {
                return Err(ParseError {
                    span: t.span,
                    message: "comparisons cannot be chained".into(),
                    expected: "`and` between two comparisons".into(),
                });
            }
            self.next();
            let rhs = self.expr(rbp)?;
            let span = lhs.span.start..rhs.span.end;
            last_cmp = lbp == CMP_BP;
            lhs = Expr {
                kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                span,
            };
        }
        self.depth -= 1;
        Ok(lhs)
    }

    fn prefix(&mut self) -> Result<Expr, ParseError> {
        let t = self.next();
        let start = t.span.start;
        let kind = match t.tok {
            Tok::Num(n) => ExprKind::Num(n),
            Tok::True => ExprKind::Bool(true),
            Tok::False => ExprKind::Bool(false),
            Tok::Date(d) => ExprKind::Date(d),
            Tok::Str(v) => ExprKind::Str(v),
            Tok::Minus => {
                let e = self.expr(NEG_BP)?;
                return Ok(Expr {
                    span: start..e.span.end,
                    kind: ExprKind::Unary(UnOp::Neg, Box::new(e)),
                });
            }
            Tok::Not => {
                let e = self.expr(NOT_BP)?;
                return Ok(Expr {
                    span: start..e.span.end,
                    kind: ExprKind::Unary(UnOp::Not, Box::new(e)),
                });
            }
            Tok::LParen => {
                let e = self.expr(0)?;
                let close = self.expect(Tok::RParen, "`)`")?;
                return Ok(Expr {
                    span: start..close.span.end,
                    kind: e.kind,
                });
            }
            Tok::If => {
                let c = self.expr(0)?;
                self.expect(Tok::Then, "`then`")?;
                let a = self.expr(0)?;
                self.expect(Tok::Else, "`else`")?;
                let b = self.expr(0)?;
                return Ok(Expr {
                    span: start..b.span.end,
                    kind: ExprKind::If(Box::new(c), Box::new(a), Box::new(b)),
                });
            }
            Tok::Name(name) => {
                if self.peek().tok != Tok::LParen {
                    return Ok(Expr {
                        kind: ExprKind::Name(name),
                        span: t.span,
                    });
                }
                self.next();
                let mut args = Vec::new();
                if self.peek().tok != Tok::RParen {
                    loop {
                        args.push(self.expr(0)?);
                        if self.peek().tok == Tok::Comma {
                            self.next();
                        } else {
                            break;
                        }
                    }
                }
                let close = self.expect(Tok::RParen, "`,` or `)`")?;
                return Ok(Expr {
                    kind: ExprKind::Call(name, args),
                    span: start..close.span.end,
                });
            }
            _ => return Err(self.unexpected(t, "a number, name, `(`, `not`, `-` or `if`")),
        };
        Ok(Expr { kind, span: t.span })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sexp(s: &str) -> String {
        parse(s).unwrap().to_string()
    }

    #[test]
    fn precedence_follows_the_table() {
        assert_eq!(sexp("1 + 2 * 3"), "(+ 1 (* 2 3))");
        assert_eq!(sexp("a or b and not c"), "(or a (and b (not c)))");
        assert_eq!(sexp("not x < 3"), "(not (< x 3))");
        assert_eq!(sexp("-2 * -x"), "(* (- 2) (- x))");
        assert_eq!(sexp("1 - 2 - 3"), "(- (- 1 2) 3)");
        assert_eq!(sexp("if a then 1 else 2 + 3"), "(if a 1 (+ 2 3))");
        assert_eq!(sexp("clamp(x, 0, 1)"), "(clamp x 0 1)");
    }

    #[test]
    fn spans_cover_the_text() {
        let e = parse("  a + bc").unwrap();
        assert_eq!(e.span, 2..8);
    }

    #[test]
    fn chained_comparison_is_an_error() {
        let e = parse("1 < x < 3").unwrap_err();
        assert_eq!(e.span, 6..7);
    }

    #[test]
    fn depth_is_bounded() {
        let deep = format!("{}1{}", "(".repeat(100), ")".repeat(100));
        let e = parse(&deep).unwrap_err();
        assert!(e.message.contains("nests more than 64"));
    }

    #[test]
    fn trailing_tokens_are_rejected() {
        let e = parse("a b").unwrap_err();
        assert_eq!(e.span, 2..3);
    }
}
