//! Operators, with Velocity 1.7 semantics: integer arithmetic stays integral
//! and truncates like Java, `+` concatenates when either side is a string,
//! and arithmetic on non-numbers yields null instead of failing.

use std::cmp::Ordering;

use crate::ast::BinaryOp;
use crate::limits::{MAX_RANGE_LEN, MAX_TEXT_BYTES};
use crate::value::Value;

/// Applies a non-short-circuit binary operator.
pub(crate) fn binary(op: BinaryOp, lhs: Value, rhs: Value) -> Result<Value, String> {
    let compare = |accept: fn(Ordering) -> bool| Ok(Value::Bool(numeric_cmp(&lhs, &rhs).is_some_and(accept)));
    match op {
        BinaryOp::Eq => Ok(Value::Bool(loose_eq(&lhs, &rhs))),
        BinaryOp::Ne => Ok(Value::Bool(!loose_eq(&lhs, &rhs))),
        BinaryOp::Lt => compare(Ordering::is_lt),
        BinaryOp::Gt => compare(Ordering::is_gt),
        BinaryOp::Le => compare(Ordering::is_le),
        BinaryOp::Ge => compare(Ordering::is_ge),
        BinaryOp::Add if matches!(lhs, Value::Str(_)) || matches!(rhs, Value::Str(_)) => concat(&lhs, &rhs),
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => {
            arithmetic(op, &lhs, &rhs)
        }
        // `&&`/`||` short-circuit, so the evaluator handles them itself.
        BinaryOp::And => Ok(Value::Bool(lhs.is_truthy() && rhs.is_truthy())),
        BinaryOp::Or => Ok(Value::Bool(lhs.is_truthy() || rhs.is_truthy())),
    }
}

/// Velocity's `==`: numbers compare by value, values of one type with
/// `equals`, and values of different types by their text.
pub(crate) fn loose_eq(lhs: &Value, rhs: &Value) -> bool {
    if lhs.is_null() || rhs.is_null() {
        return lhs.is_null() && rhs.is_null();
    }
    match numeric_cmp(lhs, rhs) {
        Some(order) => order.is_eq(),
        None if std::mem::discriminant(lhs) == std::mem::discriminant(rhs) => lhs == rhs,
        None => lhs.to_text() == rhs.to_text(),
    }
}

fn numeric_cmp(lhs: &Value, rhs: &Value) -> Option<Ordering> {
    match (lhs, rhs) {
        (Value::Int(a), Value::Int(b)) => Some(a.cmp(b)),
        _ => as_f64(lhs)?.partial_cmp(&as_f64(rhs)?),
    }
}

fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

fn concat(lhs: &Value, rhs: &Value) -> Result<Value, String> {
    let (lhs, rhs) = (lhs.to_text(), rhs.to_text());
    check_text_len(lhs.len() + rhs.len())?;
    Ok(Value::Str(lhs + &rhs))
}

/// Fails when a string of `len` bytes would exceed the text limit.
pub(crate) fn check_text_len(len: usize) -> Result<(), String> {
    if len > MAX_TEXT_BYTES {
        return Err(format!("string exceeds the limit of {MAX_TEXT_BYTES} bytes"));
    }
    Ok(())
}

fn arithmetic(op: BinaryOp, lhs: &Value, rhs: &Value) -> Result<Value, String> {
    match (lhs, rhs) {
        (Value::Int(a), Value::Int(b)) => int_arithmetic(op, *a, *b).map(Value::Int),
        _ => match (as_f64(lhs), as_f64(rhs)) {
            (Some(a), Some(b)) => float_arithmetic(op, a, b).map(Value::Float),
            // Velocity logs and yields null for non-numeric operands.
            _ => Ok(Value::Null),
        },
    }
}

fn int_arithmetic(op: BinaryOp, a: i64, b: i64) -> Result<i64, String> {
    if matches!(op, BinaryOp::Div | BinaryOp::Rem) && b == 0 {
        return Err("division by zero".into());
    }
    let result = match op {
        BinaryOp::Add => a.checked_add(b),
        BinaryOp::Sub => a.checked_sub(b),
        BinaryOp::Mul => a.checked_mul(b),
        BinaryOp::Div => a.checked_div(b),
        _ => a.checked_rem(b),
    };
    result.ok_or_else(|| "integer overflow".to_string())
}

fn float_arithmetic(op: BinaryOp, a: f64, b: f64) -> Result<f64, String> {
    match op {
        BinaryOp::Add => Ok(a + b),
        BinaryOp::Sub => Ok(a - b),
        BinaryOp::Mul => Ok(a * b),
        _ if b == 0.0 => Err("division by zero".into()),
        BinaryOp::Div => Ok(a / b),
        _ => Ok(a % b),
    }
}

/// Unary minus; null for non-numbers, like the binary operators.
pub(crate) fn negate(v: &Value) -> Result<Value, String> {
    match v {
        Value::Int(i) => i
            .checked_neg()
            .map(Value::Int)
            .ok_or_else(|| "integer overflow".into()),
        Value::Float(f) => Ok(Value::Float(-f)),
        _ => Ok(Value::Null),
    }
}

/// `[from..to]`, inclusive, counting down when `to < from`.
pub(crate) fn range(from: &Value, to: &Value) -> Result<Value, String> {
    let (Value::Int(from), Value::Int(to)) = (from, to) else {
        return Err(format!(
            "range bounds must be integers, got {} and {}",
            from.type_name(),
            to.type_name()
        ));
    };
    let len = (i128::from(*to) - i128::from(*from)).unsigned_abs() + 1;
    if len > MAX_RANGE_LEN as u128 {
        return Err(format!(
            "range of {len} items exceeds the limit of {MAX_RANGE_LEN}"
        ));
    }
    let items: Vec<Value> = if from <= to {
        (*from..=*to).map(Value::Int).collect()
    } else {
        (*to..=*from).rev().map(Value::Int).collect()
    };
    Ok(Value::List(items))
}
