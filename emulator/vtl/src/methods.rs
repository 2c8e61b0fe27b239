//! Java methods of strings, lists, maps and numbers, as templates call them.
//!
//! Unknown methods (or known ones with the wrong number of arguments) yield
//! null, as in Velocity, where the reference then renders as its source text.
//! Calls Java would answer with an exception (index out of range, bad regex,
//! null argument) are errors.

use std::borrow::Cow;

use crate::jregex::RegexCache;
use crate::ops::check_text_len;
use crate::value::{text_weight, Map, Value};

/// Methods that change their receiver; called on a variable's own path they
/// update the variable.
pub(crate) fn is_mutating(name: &str) -> bool {
    matches!(name, "put" | "add" | "remove")
}

/// Step cost of a call beyond its arguments and result: methods that scan
/// their receiver pay for its size.
pub(crate) fn scan_cost(receiver: &Value, name: &str) -> u64 {
    match receiver {
        Value::Str(s) => text_weight(s),
        Value::List(_) | Value::Map(_)
            if is_mutating(name) || matches!(name, "contains" | "containsValue" | "equals" | "toString") =>
        {
            receiver.weight()
        }
        _ => 0,
    }
}

/// Calls a non-mutating method.
pub(crate) fn call(
    receiver: &Value,
    name: &str,
    args: &[Value],
    regexes: &mut RegexCache,
) -> Result<Value, String> {
    let specific = match receiver {
        Value::Str(s) => string_method(s, name, args, regexes)?,
        Value::List(items) => list_method(items, name, args)?,
        Value::Map(map) => map_method(map, name, args),
        Value::Int(_) | Value::Float(_) => number_method(receiver, name, args),
        _ => None,
    };
    Ok(specific.unwrap_or_else(|| common_method(receiver, name, args)))
}

/// Calls `put`/`remove` on a map or `add` on a list, returning what Java returns.
pub(crate) fn call_mut(receiver: &mut Value, name: &str, args: &[Value]) -> Result<Value, String> {
    let result = match (receiver, name, args) {
        (Value::Map(map), "put", [key, value]) => map.insert(key.to_text(), value.clone()),
        (Value::Map(map), "remove", [key]) => map.remove(&key.to_text()),
        (Value::List(items), "add", [value]) => {
            items.push(value.clone());
            Some(Value::Bool(true))
        }
        _ => None,
    };
    Ok(result.unwrap_or_default())
}

/// Methods every object has; null for anything unknown.
fn common_method(receiver: &Value, name: &str, args: &[Value]) -> Value {
    match (name, args) {
        ("toString", []) => Value::Str(receiver.to_text()),
        ("equals", [other]) => Value::Bool(receiver == other),
        _ => Value::Null,
    }
}

// The typed method tables below answer `None` for names they do not know,
// which falls back to `common_method`.

fn string_method(
    s: &str,
    name: &str,
    args: &[Value],
    regexes: &mut RegexCache,
) -> Result<Option<Value>, String> {
    let value = match (name, args) {
        ("length", []) => Value::Int(utf16_len(s)),
        ("isEmpty", []) => Value::Bool(s.is_empty()),
        ("contains", [x]) => Value::Bool(s.contains(&*text_arg(x)?)),
        ("startsWith", [x]) => Value::Bool(s.starts_with(&*text_arg(x)?)),
        ("endsWith", [x]) => Value::Bool(s.ends_with(&*text_arg(x)?)),
        ("indexOf", [x]) => Value::Int(index_of(s, &text_arg(x)?, 0)),
        ("indexOf", [x, from]) => Value::Int(index_of(s, &text_arg(x)?, int_arg(from)?)),
        ("lastIndexOf", [x]) => Value::Int(s.rfind(&*text_arg(x)?).map_or(-1, |b| utf16_len(&s[..b]))),
        ("substring", [begin]) => Value::Str(substring(s, int_arg(begin)?, None)?),
        ("substring", [begin, end]) => Value::Str(substring(s, int_arg(begin)?, Some(int_arg(end)?))?),
        ("charAt", [i]) => Value::Str(substring(s, int_arg(i)?, Some(int_arg(i)?.saturating_add(1)))?),
        ("replace", [from, to]) => Value::Str(replace_literal(s, &text_arg(from)?, &text_arg(to)?)?),
        ("replaceAll", [re, to]) => Value::Str(regexes.replace(s, &text_arg(re)?, &text_arg(to)?, true)?),
        ("replaceFirst", [re, to]) => {
            Value::Str(regexes.replace(s, &text_arg(re)?, &text_arg(to)?, false)?)
        }
        ("matches", [re]) => Value::Bool(regexes.matches(s, &text_arg(re)?)?),
        ("split", [re]) => Value::List(
            regexes
                .split(s, &text_arg(re)?)?
                .into_iter()
                .map(Value::Str)
                .collect(),
        ),
        ("toLowerCase", []) => Value::str(s.to_lowercase()),
        ("toUpperCase", []) => Value::str(s.to_uppercase()),
        // Java's trim strips every character up to and including the space.
        ("trim", []) => Value::str(s.trim_matches(|c| c <= ' ')),
        ("equalsIgnoreCase", [Value::Str(x)]) => Value::Bool(s.to_lowercase() == x.to_lowercase()),
        ("equalsIgnoreCase", [_]) => Value::Bool(false),
        ("concat", [x]) => {
            let x = text_arg(x)?;
            check_text_len(s.len() + x.len())?;
            Value::Str(format!("{s}{x}"))
        }
        _ => return Ok(None),
    };
    Ok(Some(value))
}

fn list_method(items: &[Value], name: &str, args: &[Value]) -> Result<Option<Value>, String> {
    let value = match (name, args) {
        ("size", []) => Value::Int(items.len() as i64),
        ("isEmpty", []) => Value::Bool(items.is_empty()),
        ("contains", [x]) => Value::Bool(items.contains(x)),
        ("get", [i]) => {
            let i = int_arg(i)?;
            usize::try_from(i)
                .ok()
                .and_then(|i| items.get(i))
                .cloned()
                .ok_or_else(|| format!("index {i} out of bounds for length {}", items.len()))?
        }
        _ => return Ok(None),
    };
    Ok(Some(value))
}

fn map_method(map: &Map, name: &str, args: &[Value]) -> Option<Value> {
    let value = match (name, args) {
        ("size", []) => Value::Int(map.len() as i64),
        ("isEmpty", []) => Value::Bool(map.is_empty()),
        ("get", [key]) => map.get(&key.to_text()).cloned().unwrap_or_default(),
        ("containsKey", [key]) => Value::Bool(map.contains_key(&key.to_text())),
        ("keySet", []) => Value::List(map.keys().map(Value::str).collect()),
        ("values", []) => Value::List(map.values().cloned().collect()),
        // Entries are maps with `key` and `value`, so `$e.key`/`$e.value` work.
        ("entrySet", []) => Value::List(
            map.iter()
                .map(|(k, v)| {
                    let entry = [
                        ("key".to_string(), Value::str(k)),
                        ("value".to_string(), v.clone()),
                    ];
                    Value::Map(entry.into_iter().collect())
                })
                .collect(),
        ),
        _ => return None,
    };
    Some(value)
}

fn number_method(n: &Value, name: &str, args: &[Value]) -> Option<Value> {
    let value = match (name, args, n) {
        ("intValue" | "longValue", [], Value::Float(f)) => Value::Int(*f as i64),
        ("intValue" | "longValue", [], int) => int.clone(),
        ("doubleValue" | "floatValue", [], Value::Int(i)) => Value::Float(*i as f64),
        ("doubleValue" | "floatValue", [], float) => float.clone(),
        _ => return None,
    };
    Some(value)
}

/// A `CharSequence` argument: strings as they are, other values as their
/// text; null is an error, as Java throws NullPointerException.
fn text_arg(v: &Value) -> Result<Cow<'_, str>, String> {
    match v {
        Value::Null => Err("null argument".into()),
        Value::Str(s) => Ok(Cow::Borrowed(s)),
        other => Ok(Cow::Owned(other.to_text())),
    }
}

fn int_arg(v: &Value) -> Result<i64, String> {
    match v {
        Value::Int(i) => Ok(*i),
        other => Err(format!("expected an integer argument, got {}", other.type_name())),
    }
}

/// Java string indices count UTF-16 code units.
fn utf16_len(s: &str) -> i64 {
    s.encode_utf16().count() as i64
}

/// The byte offset of UTF-16 index `units`, clamped to the string.
fn byte_offset(s: &str, units: i64) -> usize {
    let mut seen = 0;
    for (byte, c) in s.char_indices() {
        if seen >= units {
            return byte;
        }
        seen += c.len_utf16() as i64;
    }
    s.len()
}

fn index_of(s: &str, needle: &str, from: i64) -> i64 {
    let start = byte_offset(s, from.max(0));
    s[start..].find(needle).map_or(-1, |b| utf16_len(&s[..start + b]))
}

fn substring(s: &str, begin: i64, end: Option<i64>) -> Result<String, String> {
    let units: Vec<u16> = s.encode_utf16().collect();
    let len = units.len() as i64;
    let end = end.unwrap_or(len);
    if begin < 0 || end > len || begin > end {
        return Err(format!("begin {begin}, end {end}, length {len}"));
    }
    Ok(String::from_utf16_lossy(&units[begin as usize..end as usize]))
}

/// Java `String.replace(CharSequence, CharSequence)`: every occurrence, literally.
fn replace_literal(s: &str, from: &str, to: &str) -> Result<String, String> {
    let occurrences = if from.is_empty() {
        s.chars().count() + 1
    } else {
        s.matches(from).count()
    };
    let grown = occurrences.saturating_mul(to.len());
    check_text_len(s.len().saturating_add(grown))?;
    Ok(s.replace(from, to))
}
