//! Template source to syntax tree, in three passes:
//! 1. [`Parser`] scans text, references and directives into a flat [`Item`] list
//!    (expressions inside directives are parsed on the way, see `expr`);
//! 2. `layout` applies the whitespace rule to directive-only lines;
//! 3. `tree` nests `#if`/`#foreach` blocks up to their `#end`.
//!
//! Keeping the passes apart lets the whitespace rule see whole lines even when
//! a line opens or closes a block.

mod expr;
mod layout;
mod tree;

use crate::ast::{Expr, Node, Pos, Reference, Segment, SegmentKind, Set};
use crate::error::ParseError;
use crate::lexer::{is_ident_char, is_ident_start, Cursor, Punct, Token};
use crate::limits::MAX_NESTING;

/// One element of a template before blocks are nested.
#[derive(Debug)]
enum Item {
    Text(String, Pos),
    Ref(Reference),
    Set(Set),
    If(Expr, Pos),
    ElseIf(Expr, Pos),
    Else(Pos),
    End(Pos),
    Foreach {
        var: String,
        iterable: Expr,
        pos: Pos,
    },
    Break,
    Stop,
    /// `## ...` (which swallows its newline) or `#* ... *#`: renders nothing,
    /// but counts as a directive for the whitespace rule.
    Comment {
        ends_line: bool,
    },
}

/// Parses a whole template.
pub(crate) fn parse_template(source: &str) -> Result<Vec<Node>, ParseError> {
    let mut parser = Parser {
        cur: Cursor::new(source, Pos::START),
        depth: 0,
    };
    let items = parser.items()?;
    tree::build(layout::gobble_directive_lines(items))
}

struct Parser<'a> {
    cur: Cursor<'a>,
    /// Current nesting of expressions and string interpolations; bounded so a
    /// hostile template cannot overflow the stack.
    depth: usize,
}

/// Accumulates literal text and remembers where it started.
#[derive(Default)]
struct TextRun {
    text: String,
    pos: Option<Pos>,
}

impl TextRun {
    fn push(&mut self, pos: Pos, s: &str) {
        self.pos.get_or_insert(pos);
        self.text.push_str(s);
    }

    fn flush(&mut self, items: &mut Vec<Item>) {
        if let Some(pos) = self.pos.take() {
            items.push(Item::Text(std::mem::take(&mut self.text), pos));
        }
    }
}

impl<'a> Parser<'a> {
    /// Scans template text until the end of input.
    fn items(&mut self) -> Result<Vec<Item>, ParseError> {
        let mut items = Vec::new();
        let mut text = TextRun::default();
        while let Some(c) = self.cur.peek() {
            let item = match c {
                '$' => self.text_reference()?.map(Item::Ref),
                '#' => self.directive()?,
                '\\' => {
                    self.escape(&mut text);
                    continue;
                }
                _ => None,
            };
            match item {
                Some(item) => {
                    text.flush(&mut items);
                    items.push(item);
                }
                None => {
                    // Not special after all: the character is literal text.
                    text.push(self.cur.pos(), &c.to_string());
                    self.cur.bump();
                }
            }
        }
        text.flush(&mut items);
        Ok(items)
    }

    /// A run of backslashes before `$` or `#`: each pair renders one
    /// backslash, and an odd one out makes the `$`/`#` literal (Velocity's
    /// escaping). Backslashes anywhere else are plain text.
    fn escape(&mut self, text: &mut TextRun) {
        let pos = self.cur.pos();
        let run = self.cur.eat_while(|c| c == '\\');
        match self.cur.peek() {
            Some(next @ ('$' | '#')) => {
                text.push(pos, &run[..run.len() / 2]);
                if run.len() % 2 == 1 {
                    text.push(pos, &next.to_string());
                    self.cur.bump();
                }
            }
            _ => text.push(pos, run),
        }
    }

    /// A reference in text; `None` (cursor unmoved) when the `$` is literal.
    fn text_reference(&mut self) -> Result<Option<Reference>, ParseError> {
        let start = self.cur;
        let reference = self.reference()?;
        if reference.is_none() {
            self.cur = start;
        }
        Ok(reference)
    }

    /// A reference inside an expression, where a bare `$` is an error.
    fn strict_reference(&mut self) -> Result<Reference, ParseError> {
        let pos = self.cur.pos();
        self.reference()?
            .ok_or_else(|| ParseError::at(pos, "expected a reference name after '$'"))
    }

    /// Reads `$name…`, `$!name…`, `${name…}` or `$!{name…}` at the cursor.
    /// Returns `None` when no identifier follows the `$`.
    fn reference(&mut self) -> Result<Option<Reference>, ParseError> {
        let start = self.cur;
        self.cur.bump();
        let quiet = self.cur.eat('!');
        let braced = self.cur.eat('{');
        if !self.cur.peek().is_some_and(is_ident_start) {
            return Ok(None);
        }
        let root = self.cur.eat_while(is_ident_char).to_string();
        let segments = self.segments()?;
        if braced && !self.cur.eat('}') {
            return Err(ParseError::at(start.pos(), "'${' is not closed by '}'"));
        }
        Ok(Some(Reference {
            root,
            segments,
            quiet,
            literal: self.cur.since(&start).to_string(),
            pos: start.pos(),
        }))
    }

    /// `.property`, `.method(args)` and `[index]` suffixes of a reference.
    fn segments(&mut self) -> Result<Vec<Segment>, ParseError> {
        let mut segments = Vec::new();
        loop {
            let pos = self.cur.pos();
            let kind = if self.cur.peek() == Some('.') && self.cur.peek_second().is_some_and(is_ident_start) {
                self.cur.bump();
                let name = self.cur.eat_while(is_ident_char).to_string();
                if self.cur.eat('(') {
                    SegmentKind::Method(name, self.arguments(pos)?)
                } else {
                    SegmentKind::Property(name)
                }
            } else if self.cur.peek() == Some('[') {
                match self.index(pos) {
                    Some(index) => SegmentKind::Index(index),
                    None => break,
                }
            } else {
                break;
            };
            segments.push(Segment { kind, pos });
        }
        Ok(segments)
    }

    /// `[expr]` after a reference. Text such as `$price[USD]` is not an index,
    /// so a failed attempt backtracks and leaves the bracket as text.
    fn index(&mut self, pos: Pos) -> Option<Expr> {
        let start = self.cur;
        let parsed = self.nested(pos, |p| {
            p.cur.bump();
            let index = p.expr()?;
            p.expect(Punct::RBracket, "']' to close the index")?;
            Ok(index)
        });
        match parsed {
            Ok(index) => Some(index),
            Err(_) => {
                self.cur = start;
                None
            }
        }
    }

    /// Runs `f` one nesting level deeper, failing once the limit is reached.
    fn nested<T>(
        &mut self,
        pos: Pos,
        f: impl FnOnce(&mut Self) -> Result<T, ParseError>,
    ) -> Result<T, ParseError> {
        if self.depth >= MAX_NESTING {
            return Err(ParseError::at(pos, "nesting is too deep"));
        }
        self.depth += 1;
        let result = f(self);
        self.depth -= 1;
        result
    }

    /// The contents of a double-quoted string, parsed as a template of its own
    /// (Velocity interpolates references and directives there). No whitespace
    /// rule applies inside strings.
    fn interpolation(&mut self, text: &str, start: Pos) -> Result<Vec<Node>, ParseError> {
        let depth = self.depth;
        self.nested(start, |_| {
            let mut inner = Parser {
                cur: Cursor::new(text, start),
                depth: depth + 1,
            };
            tree::build(inner.items()?)
        })
    }

    /// A `#` in text: a comment, a raw block, a directive, or (`None`, cursor
    /// unmoved) a literal `#`.
    fn directive(&mut self) -> Result<Option<Item>, ParseError> {
        let start = self.cur;
        let pos = start.pos();
        self.cur.bump();
        if self.cur.eat('#') {
            let ends_line = self.cur.take_until("\n").is_some();
            if !ends_line {
                self.cur.eat_while(|_| true);
            }
            return Ok(Some(Item::Comment { ends_line }));
        }
        if self.cur.eat('*') {
            self.cur
                .take_until("*#")
                .ok_or_else(|| ParseError::at(pos, "block comment '#*' is not closed by '*#'"))?;
            return Ok(Some(Item::Comment { ends_line: false }));
        }
        if self.cur.eat_str("[[") {
            let raw = self
                .cur
                .take_until("]]#")
                .ok_or_else(|| ParseError::at(pos, "raw block '#[[' is not closed by ']]#'"))?;
            return Ok(Some(Item::Text(raw.to_string(), pos)));
        }
        let braced = self.cur.eat('{');
        let name = self.cur.eat_while(|c| c.is_ascii_alphabetic());
        if braced && !self.cur.eat('}') {
            self.cur = start;
            return Ok(None);
        }
        let item = match name {
            "set" => Item::Set(self.set(pos)?),
            "if" => Item::If(self.condition("#if")?, pos),
            "elseif" => Item::ElseIf(self.condition("#elseif")?, pos),
            "else" => Item::Else(pos),
            "end" => Item::End(pos),
            "foreach" => self.foreach(pos)?,
            "break" => Item::Break,
            "stop" => Item::Stop,
            "macro" | "parse" | "include" | "evaluate" | "define" => {
                return Err(ParseError::at(
                    pos,
                    format!("directive #{name} is not supported by API Gateway templates"),
                ))
            }
            _ => {
                self.cur = start;
                return Ok(None);
            }
        };
        Ok(Some(item))
    }

    /// `(expr)` after `#if`/`#elseif`.
    fn condition(&mut self, directive: &str) -> Result<Expr, ParseError> {
        self.open_paren(directive)?;
        let condition = self.expr()?;
        self.close_paren(directive)?;
        Ok(condition)
    }

    /// `($target = expr)` after `#set`.
    fn set(&mut self, pos: Pos) -> Result<Set, ParseError> {
        self.open_paren("#set")?;
        self.cur.skip_whitespace();
        if self.cur.peek() != Some('$') {
            return Err(ParseError::at(
                self.cur.pos(),
                "expected a reference such as $name to assign in #set",
            ));
        }
        let target = self.strict_reference()?;
        if let Some(method) = target
            .segments
            .iter()
            .find(|s| matches!(s.kind, SegmentKind::Method(..)))
        {
            return Err(ParseError::at(
                method.pos,
                "cannot assign to a method call in #set",
            ));
        }
        self.expect(Punct::Assign, "'=' after the #set target")?;
        let value = self.expr()?;
        self.close_paren("#set")?;
        Ok(Set { target, value, pos })
    }

    /// `($var in expr)` after `#foreach`.
    fn foreach(&mut self, pos: Pos) -> Result<Item, ParseError> {
        self.open_paren("#foreach")?;
        self.cur.skip_whitespace();
        let var_pos = self.cur.pos();
        if self.cur.peek() != Some('$') {
            return Err(ParseError::at(
                var_pos,
                "expected a loop variable such as $item in #foreach",
            ));
        }
        let var = self.strict_reference()?;
        if !var.segments.is_empty() || var.quiet {
            return Err(ParseError::at(
                var_pos,
                "the #foreach loop variable must be a plain $name",
            ));
        }
        let (token, in_pos) = self.next_token()?;
        if token != Token::Ident("in".to_string()) {
            return Err(ParseError::at(
                in_pos,
                "expected 'in' after the #foreach loop variable",
            ));
        }
        let iterable = self.expr()?;
        self.close_paren("#foreach")?;
        Ok(Item::Foreach {
            var: var.root,
            iterable,
            pos,
        })
    }

    fn open_paren(&mut self, directive: &str) -> Result<(), ParseError> {
        self.expect(Punct::LParen, &format!("'(' after {directive}"))
            .map(drop)
    }

    fn close_paren(&mut self, directive: &str) -> Result<(), ParseError> {
        self.expect(Punct::RParen, &format!("')' to close {directive}"))
            .map(drop)
    }
}
