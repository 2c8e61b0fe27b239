//! The syntax tree produced by the parser and walked by the evaluator.

use crate::value::Value;

/// A 1-based source position (column counted in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

impl Pos {
    pub const START: Pos = Pos { line: 1, column: 1 };
}

/// One piece of a template body.
#[derive(Debug, Clone)]
pub enum Node {
    Text(String, Pos),
    Ref(Reference),
    Set(Set),
    If(If),
    Foreach(Foreach),
    Break,
    Stop,
}

/// `$root.seg.seg(...)[...]`, possibly quiet (`$!`) or braced (`${...}`).
#[derive(Debug, Clone)]
pub struct Reference {
    pub root: String,
    pub segments: Vec<Segment>,
    pub quiet: bool,
    /// The exact source text, rendered in place of a null non-quiet reference.
    pub literal: String,
    pub pos: Pos,
}

#[derive(Debug, Clone)]
pub struct Segment {
    pub kind: SegmentKind,
    pub pos: Pos,
}

#[derive(Debug, Clone)]
pub enum SegmentKind {
    Property(String),
    Index(Expr),
    Method(String, Vec<Expr>),
}

/// `#set($target = value)`; the target has no method segments.
#[derive(Debug, Clone)]
pub struct Set {
    pub target: Reference,
    pub value: Expr,
    pub pos: Pos,
}

/// `#if`/`#elseif` branches in order, then the `#else` body (empty when absent).
#[derive(Debug, Clone)]
pub struct If {
    pub branches: Vec<(Expr, Vec<Node>)>,
    pub otherwise: Vec<Node>,
}

/// `#foreach($var in iterable) body #end`.
#[derive(Debug, Clone)]
pub struct Foreach {
    pub var: String,
    pub iterable: Expr,
    pub body: Vec<Node>,
    pub pos: Pos,
}

#[derive(Debug, Clone)]
pub struct Expr {
    pub kind: ExprKind,
    pub pos: Pos,
}

#[derive(Debug, Clone)]
pub enum ExprKind {
    Literal(Value),
    /// A double-quoted string containing references or directives.
    Interpolated(Vec<Node>),
    Ref(Reference),
    List(Vec<Expr>),
    Range(Box<Expr>, Box<Expr>),
    Map(Vec<(Expr, Expr)>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinaryOp {
    /// Binding strength, loosest first (Velocity/Java precedence).
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq | BinaryOp::Ne => 3,
            BinaryOp::Lt | BinaryOp::Gt | BinaryOp::Le | BinaryOp::Ge => 4,
            BinaryOp::Add | BinaryOp::Sub => 5,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => 6,
        }
    }
}
