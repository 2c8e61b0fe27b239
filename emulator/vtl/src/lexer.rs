//! Character cursor with position tracking, and the tokenizer used inside
//! directive parentheses, method arguments and index brackets.
//!
//! VTL is modal: plain text is scanned character by character by the parser,
//! and only the expression parts are split into tokens here.

use crate::ast::Pos;
use crate::error::ParseError;

/// A position in the source; cheap to copy, so the parser backtracks by
/// keeping an old cursor around.
#[derive(Debug, Clone, Copy)]
pub struct Cursor<'a> {
    src: &'a str,
    offset: usize,
    pos: Pos,
}

impl<'a> Cursor<'a> {
    /// A cursor over `src` whose first character sits at `start` (sub-parsers
    /// of string literals start mid-file so their errors point at the right place).
    pub fn new(src: &'a str, start: Pos) -> Self {
        Self {
            src,
            offset: 0,
            pos: start,
        }
    }

    pub fn pos(&self) -> Pos {
        self.pos
    }

    pub fn rest(&self) -> &'a str {
        &self.src[self.offset..]
    }

    /// The source text between an earlier cursor and this one.
    pub fn since(&self, earlier: &Cursor<'a>) -> &'a str {
        &self.src[earlier.offset..self.offset]
    }

    pub fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    pub fn peek_second(&self) -> Option<char> {
        self.rest().chars().nth(1)
    }

    pub fn starts_with(&self, s: &str) -> bool {
        self.rest().starts_with(s)
    }

    pub fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.offset += c.len_utf8();
        if c == '\n' {
            self.pos.line += 1;
            self.pos.column = 1;
        } else {
            self.pos.column += 1;
        }
        Some(c)
    }

    pub fn eat(&mut self, c: char) -> bool {
        let hit = self.peek() == Some(c);
        if hit {
            self.bump();
        }
        hit
    }

    pub fn eat_str(&mut self, s: &str) -> bool {
        let hit = self.starts_with(s);
        if hit {
            s.chars().for_each(|_| {
                self.bump();
            });
        }
        hit
    }

    pub fn eat_while(&mut self, pred: impl Fn(char) -> bool) -> &'a str {
        let start = *self;
        while self.peek().is_some_and(&pred) {
            self.bump();
        }
        self.since(&start)
    }

    /// Advances past `terminator`, returning the text before it, or `None`
    /// (cursor unmoved) when the terminator never appears.
    pub fn take_until(&mut self, terminator: &str) -> Option<&'a str> {
        let len = self.rest().find(terminator)?;
        let start = *self;
        while self.offset < start.offset + len {
            self.bump();
        }
        let text = self.since(&start);
        self.eat_str(terminator);
        Some(text)
    }

    pub fn skip_whitespace(&mut self) {
        self.eat_while(char::is_whitespace);
    }
}

pub fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

pub fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    Ident(String),
    Int(i64),
    Float(f64),
    /// A string literal with `''`/`""` doublings undone; backslashes are kept
    /// verbatim, as Velocity 1.7 does.
    Str {
        text: String,
        double_quoted: bool,
        /// Where the first character inside the quotes sits.
        content: Pos,
    },
    Punct(Punct),
    /// A `$`: the parser reads the reference itself, character by character.
    Dollar,
    Eof,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Punct {
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Colon,
    DotDot,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    EqEq,
    NotEq,
    Lt,
    Gt,
    Le,
    Ge,
    AndAnd,
    OrOr,
    Bang,
    Assign,
}

/// Two-character punctuation is listed first so it wins over its prefix.
const PUNCTS: &[(&str, Punct)] = &[
    ("..", Punct::DotDot),
    ("==", Punct::EqEq),
    ("!=", Punct::NotEq),
    ("<=", Punct::Le),
    (">=", Punct::Ge),
    ("&&", Punct::AndAnd),
    ("||", Punct::OrOr),
    ("(", Punct::LParen),
    (")", Punct::RParen),
    ("[", Punct::LBracket),
    ("]", Punct::RBracket),
    ("{", Punct::LBrace),
    ("}", Punct::RBrace),
    (",", Punct::Comma),
    (":", Punct::Colon),
    ("+", Punct::Plus),
    ("-", Punct::Minus),
    ("*", Punct::Star),
    ("/", Punct::Slash),
    ("%", Punct::Percent),
    ("<", Punct::Lt),
    (">", Punct::Gt),
    ("!", Punct::Bang),
    ("=", Punct::Assign),
];

impl Punct {
    /// The source spelling, for error messages.
    pub fn text(self) -> &'static str {
        PUNCTS
            .iter()
            .find(|&&(_, p)| p == self)
            .map_or("?", |&(text, _)| text)
    }
}

/// Skips whitespace and reads one token, returning it with its start position.
/// A `$` is reported but not consumed.
pub fn next_token(cur: &mut Cursor<'_>) -> Result<(Token, Pos), ParseError> {
    cur.skip_whitespace();
    let pos = cur.pos();
    let Some(c) = cur.peek() else {
        return Ok((Token::Eof, pos));
    };
    let token = match c {
        '$' => Token::Dollar,
        '"' | '\'' => lex_string(cur, c)?,
        c if c.is_ascii_digit() => lex_number(cur)?,
        c if is_ident_start(c) => Token::Ident(cur.eat_while(is_ident_char).to_string()),
        _ => {
            let punct = PUNCTS.iter().find(|(text, _)| cur.eat_str(text));
            match punct {
                Some(&(_, p)) => Token::Punct(p),
                None => return Err(ParseError::at(pos, format!("unexpected character '{c}'"))),
            }
        }
    };
    Ok((token, pos))
}

fn lex_number(cur: &mut Cursor<'_>) -> Result<Token, ParseError> {
    let start = *cur;
    cur.eat_while(|c| c.is_ascii_digit());
    // `1..3` is a range, so a dot only starts a fraction when a digit follows.
    let fraction = cur.peek() == Some('.') && cur.peek_second().is_some_and(|c| c.is_ascii_digit());
    if fraction {
        cur.bump();
        cur.eat_while(|c| c.is_ascii_digit());
    }
    let exponent = matches!(cur.peek(), Some('e' | 'E')) && exponent_follows(cur);
    if exponent {
        cur.bump();
        if !cur.eat('+') {
            cur.eat('-');
        }
        cur.eat_while(|c| c.is_ascii_digit());
    }
    let text = cur.since(&start);
    if fraction || exponent {
        text.parse::<f64>()
            .map(Token::Float)
            .map_err(|_| ParseError::at(start.pos(), format!("invalid number '{text}'")))
    } else {
        text.parse::<i64>()
            .map(Token::Int)
            .map_err(|_| ParseError::at(start.pos(), format!("integer literal '{text}' is too large")))
    }
}

/// True when the `e`/`E` under the cursor is followed by an exponent's digits.
fn exponent_follows(cur: &Cursor<'_>) -> bool {
    let mut after = cur.rest().chars().skip(1);
    match after.next() {
        Some('+' | '-') => after.next().is_some_and(|c| c.is_ascii_digit()),
        Some(c) => c.is_ascii_digit(),
        None => false,
    }
}

fn lex_string(cur: &mut Cursor<'_>, quote: char) -> Result<Token, ParseError> {
    let open = cur.pos();
    cur.bump();
    let content = cur.pos();
    let mut text = String::new();
    loop {
        let Some(c) = cur.bump() else {
            return Err(ParseError::at(open, "unterminated string literal"));
        };
        if c == quote {
            // A doubled quote stands for one quote character.
            if !cur.eat(quote) {
                break;
            }
            text.push(quote);
        } else if c == '\\' {
            // `\"` and `\\` do not end the literal, but the backslash stays.
            text.push(c);
            if let Some(next) = cur.peek().filter(|&n| n == quote || n == '\\') {
                cur.bump();
                text.push(next);
            }
        } else {
            text.push(c);
        }
    }
    Ok(Token::Str {
        text,
        double_quoted: quote == '"',
        content,
    })
}
