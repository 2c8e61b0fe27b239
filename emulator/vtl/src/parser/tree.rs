//! Nests the flat item list into blocks, matching `#elseif`/`#else`/`#end` to
//! the innermost open `#if` or `#foreach`. Iterative, so template nesting is
//! bounded by a counter rather than the stack.

use super::Item;
use crate::ast::{Expr, Foreach, If, Node, Pos};
use crate::error::ParseError;
use crate::limits::MAX_NESTING;

/// An `#if` or `#foreach` whose `#end` has not been seen yet.
struct Block {
    pos: Pos,
    kind: BlockKind,
    /// The body collected so far (of the current branch, for `#if`).
    body: Vec<Node>,
}

enum BlockKind {
    If {
        branches: Vec<(Expr, Vec<Node>)>,
        /// The condition of the branch being collected; `None` inside `#else`.
        pending: Option<Expr>,
    },
    Foreach {
        var: String,
        iterable: Expr,
    },
}

pub(super) fn build(items: Vec<Item>) -> Result<Vec<Node>, ParseError> {
    let mut root = Vec::new();
    let mut open: Vec<Block> = Vec::new();
    for item in items {
        let node = match item {
            Item::Text(text, pos) => {
                push_text(body(&mut open, &mut root), text, pos);
                continue;
            }
            Item::Comment { .. } => continue,
            Item::Ref(r) => Node::Ref(r),
            Item::Set(s) => Node::Set(s),
            Item::Break => Node::Break,
            Item::Stop => Node::Stop,
            Item::If(cond, pos) => {
                let kind = BlockKind::If {
                    branches: Vec::new(),
                    pending: Some(cond),
                };
                open_block(&mut open, pos, kind)?;
                continue;
            }
            Item::Foreach { var, iterable, pos } => {
                open_block(&mut open, pos, BlockKind::Foreach { var, iterable })?;
                continue;
            }
            Item::ElseIf(cond, pos) => {
                start_branch(&mut open, Some(cond), pos, "#elseif")?;
                continue;
            }
            Item::Else(pos) => {
                start_branch(&mut open, None, pos, "#else")?;
                continue;
            }
            Item::End(pos) => open
                .pop()
                .ok_or_else(|| ParseError::at(pos, "#end without a matching #if or #foreach"))?
                .finish(),
        };
        body(&mut open, &mut root).push(node);
    }
    match open.last() {
        Some(block) => Err(ParseError::at(
            block.pos,
            format!("{} is not closed by #end", block.name()),
        )),
        None => Ok(root),
    }
}

/// The node list new content goes into: the innermost open block, or the root.
fn body<'b>(open: &'b mut [Block], root: &'b mut Vec<Node>) -> &'b mut Vec<Node> {
    match open.last_mut() {
        Some(block) => &mut block.body,
        None => root,
    }
}

/// Appends text, merging it into a preceding text node.
fn push_text(nodes: &mut Vec<Node>, text: String, pos: Pos) {
    match nodes.last_mut() {
        Some(Node::Text(previous, _)) => previous.push_str(&text),
        _ => nodes.push(Node::Text(text, pos)),
    }
}

fn open_block(open: &mut Vec<Block>, pos: Pos, kind: BlockKind) -> Result<(), ParseError> {
    if open.len() >= MAX_NESTING {
        return Err(ParseError::at(pos, "blocks are nested too deeply"));
    }
    open.push(Block {
        pos,
        kind,
        body: Vec::new(),
    });
    Ok(())
}

/// Handles `#elseif` (`condition` is `Some`) and `#else`.
fn start_branch(
    open: &mut [Block],
    condition: Option<Expr>,
    pos: Pos,
    directive: &str,
) -> Result<(), ParseError> {
    let Some(Block {
        kind: BlockKind::If { branches, pending },
        body,
        ..
    }) = open.last_mut()
    else {
        return Err(ParseError::at(pos, format!("{directive} without a matching #if")));
    };
    let Some(previous) = pending.take() else {
        return Err(ParseError::at(pos, format!("{directive} after #else")));
    };
    branches.push((previous, std::mem::take(body)));
    *pending = condition;
    Ok(())
}

impl Block {
    fn name(&self) -> &'static str {
        match self.kind {
            BlockKind::If { .. } => "#if",
            BlockKind::Foreach { .. } => "#foreach",
        }
    }

    fn finish(self) -> Node {
        match self.kind {
            BlockKind::If {
                mut branches,
                pending,
            } => {
                let otherwise = match pending {
                    Some(condition) => {
                        branches.push((condition, self.body));
                        Vec::new()
                    }
                    None => self.body,
                };
                Node::If(If { branches, otherwise })
            }
            BlockKind::Foreach { var, iterable } => Node::Foreach(Foreach {
                var,
                iterable,
                body: self.body,
                pos: self.pos,
            }),
        }
    }
}
