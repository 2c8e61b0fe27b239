//! Walks the syntax tree and writes the output.
//!
//! Safety: every node and expression costs steps from a per-render budget,
//! copies of values cost their weight, loops and output are capped (see
//! [`crate::limits`]), so neither a hostile body nor a hostile template can
//! make a render hang, exhaust memory or overflow the stack.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::ast::{
    BinaryOp, Expr, ExprKind, Foreach, If, Node, Pos, Reference, Segment, SegmentKind, Set, UnaryOp,
};
use crate::error::RenderError;
use crate::input::Input;
use crate::jregex::RegexCache;
use crate::limits::{MAX_FOREACH_ITERATIONS, MAX_STEPS, MAX_TEXT_BYTES, MAX_VALUE_DEPTH};
use crate::value::{Builtin, Map, Value};
use crate::{methods, ops, util_object, RenderContext};

/// Renders a parsed template against one request.
pub(crate) fn render(nodes: &[Node], ctx: &RenderContext) -> Result<String, RenderError> {
    let mut evaluator = Evaluator::new(ctx);
    let mut out = String::new();
    // `#stop`, or `#break` outside a loop, simply end the output.
    evaluator.render_block(nodes, &mut out)?;
    Ok(out)
}

/// How a block finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Normal,
    Break,
    Stop,
}

struct Evaluator<'a> {
    /// One flat scope, as in Velocity: `#set` inside a block is visible after it.
    vars: HashMap<String, Value>,
    rt: Runtime<'a>,
}

/// Everything except the variables, so that a reference can borrow a
/// variable while methods run.
struct Runtime<'a> {
    input: Input<'a>,
    regexes: RegexCache,
    steps: u64,
}

/// The arguments of each reference segment, evaluated up front: the key of
/// an index, the arguments of a method, nothing for a property.
type SegmentArgs = Vec<Vec<Value>>;

impl<'a> Evaluator<'a> {
    fn new(ctx: &'a RenderContext) -> Self {
        let vars = HashMap::from([
            ("input".to_string(), Value::Builtin(Builtin::Input)),
            ("util".to_string(), Value::Builtin(Builtin::Util)),
            ("context".to_string(), json_object(&ctx.context)),
            ("stageVariables".to_string(), json_object(&ctx.stage_variables)),
        ]);
        Self {
            vars,
            rt: Runtime {
                input: Input::new(ctx),
                regexes: RegexCache::default(),
                steps: 0,
            },
        }
    }

    fn render_block(&mut self, nodes: &[Node], out: &mut String) -> Result<Flow, RenderError> {
        for node in nodes {
            let flow = self.render_node(node, out)?;
            if flow != Flow::Normal {
                return Ok(flow);
            }
        }
        Ok(Flow::Normal)
    }

    fn render_node(&mut self, node: &Node, out: &mut String) -> Result<Flow, RenderError> {
        match node {
            Node::Text(text, pos) => {
                self.rt.charge(1, *pos)?;
                emit(out, text, *pos)?;
            }
            Node::Ref(r) => {
                let value = self.reference(r)?;
                emit_reference(out, r, &value)?;
            }
            Node::Set(set) => self.set(set)?,
            Node::If(branches) => return self.branch(branches, out),
            Node::Foreach(foreach) => return self.foreach(foreach, out),
            Node::Break => return Ok(Flow::Break),
            Node::Stop => return Ok(Flow::Stop),
        }
        Ok(Flow::Normal)
    }

    fn branch(&mut self, node: &If, out: &mut String) -> Result<Flow, RenderError> {
        for (condition, body) in &node.branches {
            if self.eval(condition)?.is_truthy() {
                return self.render_block(body, out);
            }
        }
        self.render_block(&node.otherwise, out)
    }

    /// Iterates a list, or a map's values (as Velocity does); anything else
    /// iterates zero times. `$foreach`, `$velocityCount` and the loop
    /// variable are restored afterwards so loops nest.
    fn foreach(&mut self, node: &Foreach, out: &mut String) -> Result<Flow, RenderError> {
        let items = match self.eval(&node.iterable)? {
            Value::List(items) => items,
            Value::Map(map) => map.values().cloned().collect(),
            _ => Vec::new(),
        };
        if items.len() > MAX_FOREACH_ITERATIONS {
            return Err(RenderError::at(
                node.pos,
                format!(
                    "#foreach over {} items exceeds the limit of {MAX_FOREACH_ITERATIONS} iterations",
                    items.len()
                ),
            ));
        }
        let names = [node.var.as_str(), "foreach", "velocityCount"];
        let saved: Vec<_> = names.map(|name| (name, self.vars.remove(name))).into();
        let flow = self.iterate(node, items, out);
        for (name, old) in saved {
            match old {
                Some(value) => self.vars.insert(name.to_string(), value),
                None => self.vars.remove(name),
            };
        }
        // `#break` ends only this loop; `#stop` ends the whole render.
        flow.map(|flow| {
            if flow == Flow::Stop {
                Flow::Stop
            } else {
                Flow::Normal
            }
        })
    }

    fn iterate(&mut self, node: &Foreach, items: Vec<Value>, out: &mut String) -> Result<Flow, RenderError> {
        let count = items.len();
        for (index, item) in items.into_iter().enumerate() {
            self.rt.charge(1, node.pos)?;
            self.vars.insert(node.var.clone(), item);
            self.vars.insert("foreach".into(), loop_status(index, count));
            self.vars
                .insert("velocityCount".into(), Value::Int(index as i64 + 1));
            let flow = self.render_block(&node.body, out)?;
            if flow != Flow::Normal {
                return Ok(flow);
            }
        }
        Ok(Flow::Normal)
    }

    /// `#set($x = …)` replaces a variable; `#set($x.a.b = …)` or
    /// `#set($x[i] = …)` updates a map entry or list element inside it.
    /// Where Velocity would only log (no such variable, not a map), nothing
    /// happens.
    fn set(&mut self, node: &Set) -> Result<(), RenderError> {
        let value = self.eval(&node.value)?;
        let target = &node.target;
        let Some((last, parents)) = target.segments.split_last() else {
            self.vars.insert(target.root.clone(), value);
            return Ok(());
        };
        check_depth(parents.len() + 1 + value.depth(), node.pos)?;
        let args = self.segment_args(&target.segments)?;
        let Some(container) = place_mut(&mut self.vars, &target.root, parents, &args) else {
            return Ok(());
        };
        let key = args.last().and_then(|a| a.first());
        match (&last.kind, container, key) {
            (SegmentKind::Property(name), Value::Map(map), _) => {
                map.insert(name.clone(), value);
            }
            (SegmentKind::Index(_), Value::Map(map), Some(key)) => {
                map.insert(key.to_text(), value);
            }
            (SegmentKind::Index(_), Value::List(items), Some(key)) => {
                let len = items.len();
                let slot = match key {
                    Value::Int(i) => usize::try_from(*i).ok().and_then(|i| items.get_mut(i)),
                    _ => None,
                };
                *slot.ok_or_else(|| {
                    RenderError::at(last.pos, format!("index {key} out of bounds for length {len}"))
                })? = value;
            }
            _ => {}
        }
        Ok(())
    }

    fn eval(&mut self, expr: &Expr) -> Result<Value, RenderError> {
        self.rt.charge(1, expr.pos)?;
        let fail = |message: String| RenderError::at(expr.pos, message);
        match &expr.kind {
            ExprKind::Literal(value) => Ok(value.clone()),
            ExprKind::Interpolated(nodes) => {
                let mut text = String::new();
                self.render_block(nodes, &mut text)?;
                Ok(Value::Str(text))
            }
            ExprKind::Ref(r) => self.reference(r),
            ExprKind::List(items) => {
                let items = items
                    .iter()
                    .map(|e| self.eval(e))
                    .collect::<Result<Vec<_>, _>>()?;
                self.collection(Value::List(items), expr.pos)
            }
            ExprKind::Map(entries) => {
                let mut map = Map::default();
                for (key, value) in entries {
                    let key = self.eval(key)?.to_text();
                    map.insert(key, self.eval(value)?);
                }
                self.collection(Value::Map(map), expr.pos)
            }
            ExprKind::Range(from, to) => {
                let (from, to) = (self.eval(from)?, self.eval(to)?);
                let range = ops::range(&from, &to).map_err(fail)?;
                self.collection(range, expr.pos)
            }
            ExprKind::Unary(UnaryOp::Not, operand) => Ok(Value::Bool(!self.eval(operand)?.is_truthy())),
            ExprKind::Unary(UnaryOp::Neg, operand) => ops::negate(&self.eval(operand)?).map_err(fail),
            ExprKind::Binary(BinaryOp::And, lhs, rhs) => Ok(Value::Bool(
                self.eval(lhs)?.is_truthy() && self.eval(rhs)?.is_truthy(),
            )),
            ExprKind::Binary(BinaryOp::Or, lhs, rhs) => Ok(Value::Bool(
                self.eval(lhs)?.is_truthy() || self.eval(rhs)?.is_truthy(),
            )),
            ExprKind::Binary(op, lhs_expr, rhs_expr) => {
                let mut lhs = self.eval(lhs_expr)?;
                let mut rhs = self.eval(rhs_expr)?;
                if *op == BinaryOp::Add {
                    null_as_source(&mut lhs, lhs_expr, &rhs);
                    null_as_source(&mut rhs, rhs_expr, &lhs);
                }
                self.rt.charge(lhs.weight() + rhs.weight(), expr.pos)?;
                ops::binary(*op, lhs, rhs).map_err(fail)
            }
        }
    }

    /// Checks the depth of a newly built list or map and charges its size.
    fn collection(&mut self, value: Value, pos: Pos) -> Result<Value, RenderError> {
        check_depth(value.depth(), pos)?;
        self.rt.charge(value.weight(), pos)?;
        Ok(value)
    }

    fn reference(&mut self, r: &Reference) -> Result<Value, RenderError> {
        let args = self.segment_args(&r.segments)?;
        match mutation_index(&r.segments) {
            Some(m) => self.mutate_then_walk(r, &args, m),
            None => {
                let Some(root) = self.vars.get(&r.root) else {
                    return Ok(Value::Null);
                };
                self.rt.walk(Cow::Borrowed(root), &r.segments, &args, r.pos)
            }
        }
    }

    fn segment_args(&mut self, segments: &[Segment]) -> Result<SegmentArgs, RenderError> {
        segments
            .iter()
            .map(|segment| match &segment.kind {
                SegmentKind::Property(_) => Ok(Vec::new()),
                SegmentKind::Index(key) => Ok(vec![self.eval(key)?]),
                SegmentKind::Method(_, args) => args.iter().map(|a| self.eval(a)).collect(),
            })
            .collect()
    }

    /// `$var.path.put(…)`/`.add(…)`/`.remove(…)`: mutates the value stored in
    /// the variable, then continues with whatever follows the call.
    fn mutate_then_walk(
        &mut self,
        r: &Reference,
        args: &[Vec<Value>],
        m: usize,
    ) -> Result<Value, RenderError> {
        let (path, rest) = r.segments.split_at(m);
        let (Some(call), Some(call_args)) = (rest.first(), args.get(m)) else {
            return Ok(Value::Null);
        };
        let SegmentKind::Method(name, _) = &call.kind else {
            return Ok(Value::Null);
        };
        let inserted_depth = call_args.iter().map(Value::depth).max().unwrap_or(0);
        check_depth(path.len() + 1 + inserted_depth, call.pos)?;
        let cost = 1 + call_args.iter().map(Value::weight).sum::<u64>();
        self.rt.charge(cost, call.pos)?;
        let Some(receiver) = place_mut(&mut self.vars, &r.root, path, args) else {
            return Ok(Value::Null);
        };
        let result =
            methods::call_mut(receiver, name, call_args).map_err(|e| RenderError::at(call.pos, e))?;
        self.rt
            .walk(Cow::Owned(result), &rest[1..], &args[m + 1..], r.pos)
    }
}

impl Runtime<'_> {
    fn charge(&mut self, cost: u64, pos: Pos) -> Result<(), RenderError> {
        self.steps = self.steps.saturating_add(cost);
        if self.steps > MAX_STEPS {
            return Err(RenderError::at(
                pos,
                format!("template exceeded the budget of {MAX_STEPS} evaluation steps"),
            ));
        }
        Ok(())
    }

    /// Follows a reference's segments from `start`. A null anywhere makes the
    /// whole reference null, as in Velocity. Values stay borrowed from the
    /// variables until the end, so only the final result is copied.
    fn walk(
        &mut self,
        start: Cow<'_, Value>,
        segments: &[Segment],
        args: &[Vec<Value>],
        pos: Pos,
    ) -> Result<Value, RenderError> {
        let mut current = start;
        for (segment, args) in segments.iter().zip(args) {
            if current.is_null() {
                return Ok(Value::Null);
            }
            current = match &segment.kind {
                SegmentKind::Property(name) => self.property(current, name, segment.pos)?,
                SegmentKind::Index(_) => match args.first() {
                    Some(key) => project(current, |v| index(v, key)),
                    None => Cow::Owned(Value::Null),
                },
                SegmentKind::Method(name, _) => {
                    Cow::Owned(self.call_method(&current, name, args, segment.pos)?)
                }
            };
        }
        if let Cow::Borrowed(value) = &current {
            self.charge(value.weight(), pos)?;
        }
        Ok(current.into_owned())
    }

    /// `.name`: a map entry, or else a Java-bean getter (`$input.body` calls
    /// `getBody()`, `$s.empty` calls `isEmpty()`).
    fn property<'v>(
        &mut self,
        current: Cow<'v, Value>,
        name: &str,
        pos: Pos,
    ) -> Result<Cow<'v, Value>, RenderError> {
        if let Value::Map(_) = current.as_ref() {
            return Ok(project(current, |v| match v {
                Value::Map(map) => map.get(name),
                _ => None,
            }));
        }
        let mut chars = name.chars();
        let capitalized: String = chars
            .next()
            .map(|c| c.to_ascii_uppercase())
            .into_iter()
            .chain(chars)
            .collect();
        for prefix in ["get", "is"] {
            let value = self.call_method(&current, &format!("{prefix}{capitalized}"), &[], pos)?;
            if !value.is_null() {
                return Ok(Cow::Owned(value));
            }
        }
        Ok(Cow::Owned(Value::Null))
    }

    fn call_method(
        &mut self,
        receiver: &Value,
        name: &str,
        args: &[Value],
        pos: Pos,
    ) -> Result<Value, RenderError> {
        let cost = 1 + args.iter().map(Value::weight).sum::<u64>() + methods::scan_cost(receiver, name);
        self.charge(cost, pos)?;
        let result = match receiver {
            Value::Builtin(Builtin::Input) => self.input.call(name, args),
            Value::Builtin(Builtin::Util) => util_object::call(name, args),
            // A mutating call on a temporary changes only a copy.
            other if methods::is_mutating(name) => methods::call_mut(&mut other.clone(), name, args),
            other => methods::call(other, name, args, &mut self.regexes),
        }
        .map_err(|message| RenderError::at(pos, message))?;
        self.charge(result.weight(), pos)?;
        Ok(result)
    }
}

/// Narrows a possibly borrowed value to a part of it, staying borrowed when
/// possible; a missing part is null.
fn project<'v>(
    current: Cow<'v, Value>,
    part: impl for<'x> Fn(&'x Value) -> Option<&'x Value>,
) -> Cow<'v, Value> {
    match current {
        Cow::Borrowed(value) => part(value).map_or(Cow::Owned(Value::Null), Cow::Borrowed),
        Cow::Owned(value) => Cow::Owned(part(&value).cloned().unwrap_or_default()),
    }
}

/// `[key]`: a list element by integer index, or a map entry by the key's text.
fn index<'v>(value: &'v Value, key: &Value) -> Option<&'v Value> {
    match (value, key) {
        (Value::List(items), Value::Int(i)) => items.get(usize::try_from(*i).ok()?),
        (Value::Map(map), key) => map.get(&key.to_text()),
        _ => None,
    }
}

/// The variable slot a path of property and index segments leads to.
fn place_mut<'v>(
    vars: &'v mut HashMap<String, Value>,
    root: &str,
    segments: &[Segment],
    args: &[Vec<Value>],
) -> Option<&'v mut Value> {
    let mut current = vars.get_mut(root)?;
    for (segment, args) in segments.iter().zip(args) {
        current = match (&segment.kind, current) {
            (SegmentKind::Property(name), Value::Map(map)) => map.get_mut(name)?,
            (SegmentKind::Index(_), Value::Map(map)) => map.get_mut(&args.first()?.to_text())?,
            (SegmentKind::Index(_), Value::List(items)) => match args.first()? {
                Value::Int(i) => items.get_mut(usize::try_from(*i).ok()?)?,
                _ => return None,
            },
            _ => return None,
        };
    }
    Some(current)
}

/// The first mutating method call that is reached only through property and
/// index segments, i.e. whose receiver lives in a variable.
fn mutation_index(segments: &[Segment]) -> Option<usize> {
    let first_call = segments
        .iter()
        .position(|s| matches!(s.kind, SegmentKind::Method(..)))?;
    match &segments[first_call].kind {
        SegmentKind::Method(name, _) if methods::is_mutating(name) => Some(first_call),
        _ => None,
    }
}

fn check_depth(depth: usize, pos: Pos) -> Result<(), RenderError> {
    if depth > MAX_VALUE_DEPTH {
        return Err(RenderError::at(
            pos,
            format!("value nesting exceeds the limit of {MAX_VALUE_DEPTH} levels"),
        ));
    }
    Ok(())
}

/// In `"text" + $missing`, Velocity concatenates the reference's source text.
fn null_as_source(value: &mut Value, expr: &Expr, other: &Value) {
    if let (Value::Null, Value::Str(_), ExprKind::Ref(r)) = (&*value, other, &expr.kind) {
        *value = Value::str(if r.quiet { "" } else { r.literal.as_str() });
    }
}

/// `$foreach`: the loop's status.
fn loop_status(index: usize, count: usize) -> Value {
    let status = [
        ("index", Value::Int(index as i64)),
        ("count", Value::Int(index as i64 + 1)),
        ("hasNext", Value::Bool(index + 1 < count)),
        ("first", Value::Bool(index == 0)),
        ("last", Value::Bool(index + 1 == count)),
    ];
    Value::Map(status.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// `$context`/`$stageVariables` from the integrator's JSON; anything but an
/// object becomes an empty map so that `$context.x` is simply undefined.
fn json_object(json: &serde_json::Value) -> Value {
    match serde::Deserialize::deserialize(json) {
        Ok(value @ Value::Map(_)) => value,
        _ => Value::Map(Map::default()),
    }
}

fn emit(out: &mut String, text: &str, pos: Pos) -> Result<(), RenderError> {
    if out.len() + text.len() > MAX_TEXT_BYTES {
        return Err(RenderError::at(
            pos,
            format!("text exceeds the limit of {MAX_TEXT_BYTES} bytes"),
        ));
    }
    out.push_str(text);
    Ok(())
}

/// A null reference renders as its source text, or as nothing when quiet.
fn emit_reference(out: &mut String, r: &Reference, value: &Value) -> Result<(), RenderError> {
    match value {
        Value::Null if r.quiet => Ok(()),
        Value::Null => emit(out, &r.literal, r.pos),
        value => emit(out, &value.to_text(), r.pos),
    }
}
