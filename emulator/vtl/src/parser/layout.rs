//! The whitespace rule: a line holding nothing but directives (`#set`, `#if`,
//! `#elseif`, `#else`, `#end`, `#foreach`, `#break`, `#stop`), comments and
//! whitespace produces no output at all — its indentation and its newline are
//! dropped. Every other line is kept byte for byte.
//!
//! This is Velocity 2's "lines" gobbling; Velocity 1.7's rules differ per
//! directive, and mapping-template output is JSON or form data where
//! whitespace rarely matters, so the simpler, predictable rule wins.

use super::Item;
use crate::ast::Pos;

pub(super) fn gobble_directive_lines(items: Vec<Item>) -> Vec<Item> {
    let mut out = Vec::with_capacity(items.len());
    let mut line = Vec::new();
    for item in items.into_iter().flat_map(split_lines) {
        let ends_line = item.ends_line();
        line.push(item);
        if ends_line {
            flush_line(&mut line, &mut out);
        }
    }
    flush_line(&mut line, &mut out);
    out
}

/// Splits text after each newline so that every line ends with its own item.
fn split_lines(item: Item) -> Vec<Item> {
    match item {
        Item::Text(text, pos) if text.contains('\n') => text
            .split_inclusive('\n')
            .enumerate()
            .map(|(i, piece)| {
                let pos = if i == 0 {
                    pos
                } else {
                    Pos {
                        line: pos.line + i,
                        column: 1,
                    }
                };
                Item::Text(piece.to_string(), pos)
            })
            .collect(),
        other => vec![other],
    }
}

fn flush_line(line: &mut Vec<Item>, out: &mut Vec<Item>) {
    let directive_only =
        line.iter().any(Item::is_directive) && line.iter().all(|i| i.is_directive() || i.is_blank_text());
    if directive_only {
        out.extend(line.drain(..).filter(Item::is_directive));
    } else {
        out.append(line);
    }
}

impl Item {
    fn ends_line(&self) -> bool {
        match self {
            Item::Text(text, _) => text.ends_with('\n'),
            Item::Comment { ends_line } => *ends_line,
            _ => false,
        }
    }

    fn is_directive(&self) -> bool {
        !matches!(self, Item::Text(..) | Item::Ref(_))
    }

    fn is_blank_text(&self) -> bool {
        matches!(self, Item::Text(text, _) if text.chars().all(char::is_whitespace))
    }
}
