//! Expressions: precedence climbing over the tokens of `lexer`, so one
//! parenthesis level costs a bounded number of stack frames.

use super::Parser;
use crate::ast::{BinaryOp, Expr, ExprKind, Pos, UnaryOp};
use crate::error::ParseError;
use crate::lexer::{next_token, Punct, Token};
use crate::value::Value;

impl Parser<'_> {
    pub(super) fn expr(&mut self) -> Result<Expr, ParseError> {
        self.binary(0)
    }

    pub(super) fn next_token(&mut self) -> Result<(Token, Pos), ParseError> {
        next_token(&mut self.cur)
    }

    fn peek_token(&self) -> Result<(Token, Pos), ParseError> {
        let mut probe = self.cur;
        next_token(&mut probe)
    }

    /// Consumes the punctuation `p` or fails with "expected {what}".
    pub(super) fn expect(&mut self, p: Punct, what: &str) -> Result<Pos, ParseError> {
        match self.next_token()? {
            (Token::Punct(found), pos) if found == p => Ok(pos),
            (_, pos) => Err(ParseError::at(pos, format!("expected {what}"))),
        }
    }

    /// Operators binding at least as tightly as `min_precedence`, left-associative.
    fn binary(&mut self, min_precedence: u8) -> Result<Expr, ParseError> {
        let mut lhs = self.unary()?;
        loop {
            let mut probe = self.cur;
            let (token, pos) = next_token(&mut probe)?;
            let Some(op) = binary_op(&token).filter(|op| op.precedence() >= min_precedence) else {
                break;
            };
            self.cur = probe;
            let rhs = self.binary(op.precedence() + 1)?;
            lhs = Expr {
                kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                pos,
            };
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        let mut probe = self.cur;
        let (token, pos) = next_token(&mut probe)?;
        let op = match token {
            Token::Punct(Punct::Bang) => UnaryOp::Not,
            Token::Ident(word) if word == "not" => UnaryOp::Not,
            Token::Punct(Punct::Minus) => UnaryOp::Neg,
            _ => return self.primary(),
        };
        self.cur = probe;
        let operand = self.nested(pos, Self::unary)?;
        Ok(Expr {
            kind: ExprKind::Unary(op, Box::new(operand)),
            pos,
        })
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        let (token, pos) = self.next_token()?;
        let kind = match token {
            // `next_token` leaves the `$` in place for the reference reader.
            Token::Dollar => ExprKind::Ref(self.strict_reference()?),
            Token::Int(i) => ExprKind::Literal(Value::Int(i)),
            Token::Float(f) => ExprKind::Literal(Value::Float(f)),
            Token::Str {
                text,
                double_quoted,
                content,
            } => self.string(text, double_quoted, content)?,
            Token::Ident(word) => ExprKind::Literal(keyword(&word, pos)?),
            Token::Punct(Punct::LParen) => {
                let inner = self.nested(pos, Self::expr)?;
                self.expect(Punct::RParen, "')'")?;
                return Ok(inner);
            }
            Token::Punct(Punct::LBracket) => self.nested(pos, Self::list_or_range)?,
            Token::Punct(Punct::LBrace) => self.nested(pos, Self::map)?,
            Token::Eof => return Err(ParseError::at(pos, "unexpected end of input in expression")),
            Token::Punct(p) => {
                let text = p.text();
                return Err(ParseError::at(pos, format!("unexpected '{text}' in expression")));
            }
        };
        Ok(Expr { kind, pos })
    }

    /// Single-quoted strings are literal; double-quoted ones interpolate when
    /// they contain `$` or `#`.
    fn string(&mut self, text: String, double_quoted: bool, content: Pos) -> Result<ExprKind, ParseError> {
        if double_quoted && (text.contains('$') || text.contains('#')) {
            Ok(ExprKind::Interpolated(self.interpolation(&text, content)?))
        } else {
            Ok(ExprKind::Literal(Value::Str(text)))
        }
    }

    /// After `[`: `]`, `a, b, …]` or `a..b]`.
    fn list_or_range(&mut self) -> Result<ExprKind, ParseError> {
        if self.eat_punct(Punct::RBracket)? {
            return Ok(ExprKind::List(Vec::new()));
        }
        let first = self.expr()?;
        if self.eat_punct(Punct::DotDot)? {
            let last = self.expr()?;
            self.expect(Punct::RBracket, "']' to close the range")?;
            return Ok(ExprKind::Range(Box::new(first), Box::new(last)));
        }
        Ok(ExprKind::List(self.list_tail(vec![first], Punct::RBracket)?))
    }

    /// Method arguments after `(`.
    pub(super) fn arguments(&mut self, pos: Pos) -> Result<Vec<Expr>, ParseError> {
        self.nested(pos, |p| {
            if p.eat_punct(Punct::RParen)? {
                return Ok(Vec::new());
            }
            let first = p.expr()?;
            p.list_tail(vec![first], Punct::RParen)
        })
    }

    /// The rest of a comma-separated list whose first items are parsed.
    fn list_tail(&mut self, mut items: Vec<Expr>, close: Punct) -> Result<Vec<Expr>, ParseError> {
        loop {
            match self.next_token()? {
                (Token::Punct(Punct::Comma), _) => items.push(self.expr()?),
                (Token::Punct(p), _) if p == close => return Ok(items),
                (_, pos) => {
                    let text = close.text();
                    return Err(ParseError::at(pos, format!("expected ',' or '{text}'")));
                }
            }
        }
    }

    /// After `{`: `}` or `key: value, …}`.
    fn map(&mut self) -> Result<ExprKind, ParseError> {
        let mut entries = Vec::new();
        if self.eat_punct(Punct::RBrace)? {
            return Ok(ExprKind::Map(entries));
        }
        loop {
            let key = self.expr()?;
            self.expect(Punct::Colon, "':' after a map key")?;
            entries.push((key, self.expr()?));
            match self.next_token()? {
                (Token::Punct(Punct::Comma), _) => {}
                (Token::Punct(Punct::RBrace), _) => return Ok(ExprKind::Map(entries)),
                (_, pos) => return Err(ParseError::at(pos, "expected ',' or '}' in map literal")),
            }
        }
    }

    /// Consumes `p` if it is the next token.
    fn eat_punct(&mut self, p: Punct) -> Result<bool, ParseError> {
        let found = self.peek_token()?.0 == Token::Punct(p);
        if found {
            self.next_token()?;
        }
        Ok(found)
    }
}

fn keyword(word: &str, pos: Pos) -> Result<Value, ParseError> {
    match word {
        "true" => Ok(Value::Bool(true)),
        "false" => Ok(Value::Bool(false)),
        "null" => Ok(Value::Null),
        _ => Err(ParseError::at(
            pos,
            format!("unexpected word '{word}' (references start with '$')"),
        )),
    }
}

fn binary_op(token: &Token) -> Option<BinaryOp> {
    let op = match token {
        Token::Punct(p) => match p {
            Punct::OrOr => BinaryOp::Or,
            Punct::AndAnd => BinaryOp::And,
            Punct::EqEq => BinaryOp::Eq,
            Punct::NotEq => BinaryOp::Ne,
            Punct::Lt => BinaryOp::Lt,
            Punct::Gt => BinaryOp::Gt,
            Punct::Le => BinaryOp::Le,
            Punct::Ge => BinaryOp::Ge,
            Punct::Plus => BinaryOp::Add,
            Punct::Minus => BinaryOp::Sub,
            Punct::Star => BinaryOp::Mul,
            Punct::Slash => BinaryOp::Div,
            Punct::Percent => BinaryOp::Rem,
            _ => return None,
        },
        Token::Ident(word) => match word.as_str() {
            "or" => BinaryOp::Or,
            "and" => BinaryOp::And,
            "eq" => BinaryOp::Eq,
            "ne" => BinaryOp::Ne,
            "lt" => BinaryOp::Lt,
            "gt" => BinaryOp::Gt,
            "le" => BinaryOp::Le,
            "ge" => BinaryOp::Ge,
            _ => return None,
        },
        _ => return None,
    };
    Some(op)
}
