//! GitHub Actions expressions as a tree: what is between `${{` and `}}` (or a bare `if:`
//! condition), parsed with GitHub's operator precedence, each node with its byte range.
//!
//! [`expr`](super::expr) scans expressions for the contexts they read; rules that judge the
//! structure of an expression (what is compared with what, which function receives which
//! argument) parse it here instead.

use std::ops::Range;

/// A node of an expression and the bytes it spans in the parsed text.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What the node is.
    pub kind: Kind,
    /// Its bytes in the parsed text.
    pub range: Range<usize>,
}

/// The kinds of expression nodes.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `null`.
    Null,
    /// `true`, `false`.
    Bool(bool),
    /// A number, as written.
    Number(String),
    /// A string literal, `''` decoded to `'`.
    String(String),
    /// A name: the root of a context (`github`, `secrets`), as written.
    Name(String),
    /// `base.name` (the name as written; `*` for `.*`).
    Member(Box<Expr>, String),
    /// `base[index]`.
    Index(Box<Expr>, Box<Expr>),
    /// `name(args)`: the function's name in lowercase.
    Call(String, Vec<Expr>),
    /// `!operand`.
    Not(Box<Expr>),
    /// `left op right`.
    Binary(Box<Expr>, Op, Box<Expr>),
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `||`
    Or,
    /// `&&`
    And,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl Expr {
    /// The context path the node reads, in lowercase with segments joined by dots (`['key']`
    /// is `.key`, any other index `*`), as [`super::expr::ContextRef::path`] writes it; `None`
    /// for anything that is not a context (a literal, a call, an operator).
    pub fn context_path(&self) -> Option<String> {
        match &self.kind {
            Kind::Name(name) => Some(name.to_ascii_lowercase()),
            Kind::Member(base, name) => Some(format!(
                "{}.{}",
                base.context_path()?,
                name.to_ascii_lowercase()
            )),
            Kind::Index(base, index) => {
                let base = base.context_path()?;
                Some(match &index.kind {
                    Kind::String(key) => format!("{base}.{}", key.to_ascii_lowercase()),
                    _ => format!("{base}.*"),
                })
            }
            _ => None,
        }
    }

    /// The string literal's value, if the node is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::String(s) => Some(s),
            _ => None,
        }
    }

    /// Calls `each` with this node and every node under it, parents first.
    pub fn walk<'a>(&'a self, each: &mut impl FnMut(&'a Expr)) {
        each(self);
        match &self.kind {
            Kind::Member(base, _) | Kind::Not(base) => base.walk(each),
            Kind::Index(base, index) => {
                base.walk(each);
                index.walk(each);
            }
            Kind::Call(_, args) => args.iter().for_each(|a| a.walk(each)),
            Kind::Binary(left, _, right) => {
                left.walk(each);
                right.walk(each);
            }
            _ => {}
        }
    }
}

/// Why an expression does not parse, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// What is wrong.
    pub message: String,
    /// The byte offset.
    pub at: usize,
}

/// Parses an expression (the text between `${{` and `}}`, or a bare condition).
///
/// # Errors
///
/// The first syntax error.
pub fn parse(text: &str) -> Result<Expr, SyntaxError> {
    let tokens = tokenize(text)?;
    let mut parser = Parser {
        tokens,
        at: 0,
        end: text.len(),
        depth: 0,
    };
    let expr = parser.or()?;
    match parser.tokens.get(parser.at) {
        None => Ok(expr),
        Some(t) => Err(SyntaxError {
            message: "unexpected text after the expression".to_owned(),
            at: t.range.start,
        }),
    }
}

/// Parses the condition of an `if:` as GitHub reads it: one `${{ }}` spanning the whole
/// value is unwrapped, a value without `${{` is a bare expression. `None` for anything else
/// (several fences or text around one: a string, see `ci/unsound-condition`) or a syntax
/// error. Ranges are bytes of `condition`.
pub fn parse_condition(condition: &str) -> Option<Expr> {
    let found = super::expr::expressions(condition);
    match found.as_slice() {
        [] if !condition.contains("${{") => {
            let expr = parse(condition).ok()?;
            Some(expr)
        }
        [one] if one.range == (0..condition.trim_end().len()) => {
            let inner = &condition[one.inner.clone()];
            let mut expr = parse(inner).ok()?;
            shift(&mut expr, one.inner.start);
            Some(expr)
        }
        _ => None,
    }
}

/// Adds `by` to every range of a tree.
pub fn shift(expr: &mut Expr, by: usize) {
    expr.range = expr.range.start + by..expr.range.end + by;
    match &mut expr.kind {
        Kind::Member(base, _) | Kind::Not(base) => shift(base, by),
        Kind::Index(base, index) => {
            shift(base, by);
            shift(index, by);
        }
        Kind::Call(_, args) => args.iter_mut().for_each(|a| shift(a, by)),
        Kind::Binary(left, _, right) => {
            shift(left, by);
            shift(right, by);
        }
        _ => {}
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Str(String),
    Num(String),
    Ident(String),
    Punct(&'static str),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    range: Range<usize>,
}

const PUNCT: &[&str] = &[
    "==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "(", ")", "[", "]", ".", ",", "*",
];

fn tokenize(text: &str) -> Result<Vec<Token>, SyntaxError> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let start = i;
        if b.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if b == b'\'' {
            let mut value = String::new();
            i += 1;
            loop {
                let Some(rest) = text.get(i..) else {
                    return Err(SyntaxError {
                        message: "unterminated string".to_owned(),
                        at: start,
                    });
                };
                let Some(quote) = rest.find('\'') else {
                    return Err(SyntaxError {
                        message: "unterminated string".to_owned(),
                        at: start,
                    });
                };
                value.push_str(&rest[..quote]);
                i += quote + 1;
                if bytes.get(i) == Some(&b'\'') {
                    value.push('\'');
                    i += 1;
                } else {
                    break;
                }
            }
            tokens.push(Token {
                tok: Tok::Str(value),
                range: start..i,
            });
            continue;
        }
        let after_operand = tokens.last().is_some_and(|t: &Token| {
            matches!(
                t.tok,
                Tok::Str(_) | Tok::Num(_) | Tok::Ident(_) | Tok::Punct(")" | "]")
            )
        });
        let negative =
            b == b'-' && !after_operand && bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
        if b.is_ascii_digit() || negative {
            i += 1;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric()
                    || bytes[i] == b'.'
                    || (matches!(bytes[i], b'+' | b'-') && matches!(bytes[i - 1], b'e' | b'E')))
            {
                i += 1;
            }
            tokens.push(Token {
                tok: Tok::Num(text[start..i].to_owned()),
                range: start..i,
            });
            continue;
        }
        if b.is_ascii_alphabetic() || b == b'_' {
            i += 1;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || matches!(bytes[i], b'_' | b'-'))
            {
                i += 1;
            }
            tokens.push(Token {
                tok: Tok::Ident(text[start..i].to_owned()),
                range: start..i,
            });
            continue;
        }
        let Some(punct) = PUNCT.iter().find(|p| text[i..].starts_with(**p)) else {
            return Err(SyntaxError {
                message: format!(
                    "unexpected `{}`",
                    text[i..].chars().next().unwrap_or_default()
                ),
                at: i,
            });
        };
        i += punct.len();
        tokens.push(Token {
            tok: Tok::Punct(punct),
            range: start..i,
        });
    }
    Ok(tokens)
}

/// Nesting deeper than this is refused (GitHub's own limit is far lower), so a hostile file
/// cannot exhaust the stack.
const MAX_DEPTH: usize = 64;

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    end: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.at).map(|t| &t.tok)
    }

    fn error<T>(&self, message: &str) -> Result<T, SyntaxError> {
        Err(SyntaxError {
            message: message.to_owned(),
            at: self.tokens.get(self.at).map_or(self.end, |t| t.range.start),
        })
    }

    fn is(&self, punct: &str) -> bool {
        matches!(self.peek(), Some(Tok::Punct(p)) if *p == punct)
    }

    fn eat(&mut self, punct: &str) -> bool {
        if self.is(punct) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn binary(
        &mut self,
        next: fn(&mut Parser) -> Result<Expr, SyntaxError>,
        ops: &[(&str, Op)],
    ) -> Result<Expr, SyntaxError> {
        let mut left = next(self)?;
        loop {
            let Some(op) = ops.iter().find(|(p, _)| self.is(p)).map(|(_, op)| *op) else {
                return Ok(left);
            };
            self.at += 1;
            let right = next(self)?;
            let range = left.range.start..right.range.end;
            left = Expr {
                kind: Kind::Binary(Box::new(left), op, Box::new(right)),
                range,
            };
        }
    }

    fn or(&mut self) -> Result<Expr, SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.error("the expression is nested too deeply");
        }
        let result = self.binary(Parser::and, &[("||", Op::Or)]);
        self.depth -= 1;
        result
    }

    fn and(&mut self) -> Result<Expr, SyntaxError> {
        self.binary(Parser::equality, &[("&&", Op::And)])
    }

    fn equality(&mut self) -> Result<Expr, SyntaxError> {
        self.binary(Parser::comparison, &[("==", Op::Eq), ("!=", Op::Ne)])
    }

    fn comparison(&mut self) -> Result<Expr, SyntaxError> {
        self.binary(
            Parser::unary,
            &[("<=", Op::Le), (">=", Op::Ge), ("<", Op::Lt), (">", Op::Gt)],
        )
    }

    fn unary(&mut self) -> Result<Expr, SyntaxError> {
        let start = self.tokens.get(self.at).map_or(self.end, |t| t.range.start);
        if self.eat("!") {
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return self.error("the expression is nested too deeply");
            }
            let operand = self.unary()?;
            self.depth -= 1;
            let range = start..operand.range.end;
            return Ok(Expr {
                kind: Kind::Not(Box::new(operand)),
                range,
            });
        }
        self.postfix()
    }

    fn postfix(&mut self) -> Result<Expr, SyntaxError> {
        let mut expr = self.primary()?;
        loop {
            if self.eat(".") {
                let name = match self.tokens.get(self.at) {
                    Some(Token {
                        tok: Tok::Ident(name),
                        range,
                    }) => (name.clone(), range.end),
                    Some(Token {
                        tok: Tok::Punct("*"),
                        range,
                    }) => ("*".to_owned(), range.end),
                    _ => return self.error("expected a property name after `.`"),
                };
                self.at += 1;
                let range = expr.range.start..name.1;
                expr = Expr {
                    kind: Kind::Member(Box::new(expr), name.0),
                    range,
                };
            } else if self.eat("[") {
                let index = if self.is("*") {
                    let range = self.tokens[self.at].range.clone();
                    self.at += 1;
                    Expr {
                        kind: Kind::Name("*".to_owned()),
                        range,
                    }
                } else {
                    self.or()?
                };
                let end = self.tokens.get(self.at).map_or(self.end, |t| t.range.end);
                if !self.eat("]") {
                    return self.error("expected `]`");
                }
                let range = expr.range.start..end;
                expr = Expr {
                    kind: Kind::Index(Box::new(expr), Box::new(index)),
                    range,
                };
            } else {
                return Ok(expr);
            }
        }
    }

    fn primary(&mut self) -> Result<Expr, SyntaxError> {
        let Some(token) = self.tokens.get(self.at).cloned() else {
            return self.error("expected a value");
        };
        self.at += 1;
        let range = token.range.clone();
        let kind = match token.tok {
            Tok::Str(s) => Kind::String(s),
            Tok::Num(n) => Kind::Number(n),
            Tok::Ident(name) => {
                if self.eat("(") {
                    let mut args = Vec::new();
                    if !self.eat(")") {
                        loop {
                            args.push(self.or()?);
                            if self.eat(")") {
                                break;
                            }
                            if !self.eat(",") {
                                return self.error("expected `,` or `)`");
                            }
                        }
                    }
                    let end = self.tokens[self.at - 1].range.end;
                    return Ok(Expr {
                        kind: Kind::Call(name.to_ascii_lowercase(), args),
                        range: range.start..end,
                    });
                }
                match name.as_str() {
                    "null" => Kind::Null,
                    "true" => Kind::Bool(true),
                    "false" => Kind::Bool(false),
                    _ => Kind::Name(name),
                }
            }
            Tok::Punct("(") => {
                let inner = self.or()?;
                let end = self.tokens.get(self.at).map_or(self.end, |t| t.range.end);
                if !self.eat(")") {
                    return self.error("expected `)`");
                }
                return Ok(Expr {
                    kind: inner.kind,
                    range: range.start..end,
                });
            }
            Tok::Punct(_) => {
                self.at -= 1;
                return self.error("expected a value");
            }
        };
        Ok(Expr { kind, range })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(e: &Expr) -> String {
        match &e.kind {
            Kind::Null => "null".into(),
            Kind::Bool(b) => b.to_string(),
            Kind::Number(n) => n.clone(),
            Kind::String(s) => format!("'{s}'"),
            Kind::Name(n) => n.clone(),
            Kind::Member(b, n) => format!("{}.{n}", show(b)),
            Kind::Index(b, i) => format!("{}[{}]", show(b), show(i)),
            Kind::Call(f, args) => format!(
                "{f}({})",
                args.iter().map(show).collect::<Vec<_>>().join(", ")
            ),
            Kind::Not(x) => format!("!{}", show(x)),
            Kind::Binary(l, op, r) => format!("({} {op:?} {})", show(l), show(r)),
        }
    }

    #[test]
    fn parses_with_githubs_precedence() {
        let e = parse("a.b == 'x' || !c && d['k'] != -1.5e3").unwrap();
        assert_eq!(show(&e), "((a.b Eq 'x') Or (!c And (d['k'] Ne -1.5e3)))");
        let e = parse("contains(fromJSON('[\"a\"]'), github.ref) && x.*.y < 3").unwrap();
        assert_eq!(
            show(&e),
            "(contains(fromjson('[\"a\"]'), github.ref) And (x.*.y Lt 3))"
        );
        let text = "fromJSON(secrets.x).field['it''s']";
        let e = parse(text).unwrap();
        assert_eq!(show(&e), "fromjson(secrets.x).field['it's']");
        assert_eq!(e.range, 0..text.len());
        assert_eq!(parse("(a)").unwrap().range, 0..3);
        assert_eq!(
            parse("steps.my-step.outputs.x")
                .unwrap()
                .context_path()
                .unwrap(),
            "steps.my-step.outputs.x"
        );
    }

    #[test]
    fn context_paths_normalise_indexes() {
        let e = parse("github['ACTOR']").unwrap();
        assert_eq!(e.context_path().as_deref(), Some("github.actor"));
        let e = parse("secrets[format('{0}', x)]").unwrap();
        assert_eq!(e.context_path().as_deref(), Some("secrets.*"));
        assert_eq!(parse("f(x)").unwrap().context_path(), None);
    }

    #[test]
    fn refuses_what_is_not_an_expression() {
        for bad in ["", "a ==", "'open", "f(a b)", "a[1", "a.", "#", "(a"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let deep = format!("{}a{}", "(".repeat(200), ")".repeat(200));
        assert!(parse(&deep).is_err());
        let nots = format!("{}a", "!".repeat(200));
        assert!(parse(&nots).is_err());
    }

    #[test]
    fn conditions_unwrap_one_fence_only() {
        let c = "${{ github.actor == 'x' }}";
        let e = parse_condition(c).unwrap();
        let Kind::Binary(left, Op::Eq, _) = &e.kind else {
            panic!("{e:?}")
        };
        assert_eq!(&c[left.range.clone()], "github.actor");
        assert!(parse_condition("github.actor == 'x'").is_some());
        assert!(parse_condition("${{ a }} && ${{ b }}").is_none());
        assert!(parse_condition("x ${{ a }}").is_none());
    }
}
