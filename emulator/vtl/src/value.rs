//! Runtime values and their Java-flavoured text and JSON renderings.

use std::collections::HashMap;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A VTL value. Collections have value semantics: `#set($b = $a)` copies, and
/// only methods called on a variable's own path (`$a.put(..)`) mutate it.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Value>),
    Map(Map),
    /// `$input` or `$util`: objects that only have methods.
    Builtin(Builtin),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    Input,
    Util,
}

/// A string-keyed map that keeps insertion order, like Java's LinkedHashMap
/// (JSON bodies render their keys in the order the client sent them).
#[derive(Debug, Clone, Default)]
pub struct Map {
    entries: Vec<(String, Value)>,
    index: HashMap<String, usize>,
}

impl Map {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.index.get(key).map(|&i| &self.entries[i].1)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        let i = *self.index.get(key)?;
        Some(&mut self.entries[i].1)
    }

    /// Inserts or replaces (keeping the original position), returning the old value.
    pub fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        match self.index.get(&key) {
            Some(&i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            None => {
                self.index.insert(key.clone(), self.entries.len());
                self.entries.push((key, value));
                None
            }
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let i = self.index.remove(key)?;
        let (_, value) = self.entries.remove(i);
        for slot in self.index.values_mut().filter(|slot| **slot > i) {
            *slot -= 1;
        }
        Some(value)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.index.contains_key(key)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.entries.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.entries.iter().map(|(_, v)| v)
    }
}

impl FromIterator<(String, Value)> for Map {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        let mut map = Map::default();
        for (k, v) in iter {
            map.insert(k, v);
        }
        map
    }
}

/// Java's `Map.equals`: same keys and values, order irrelevant.
impl PartialEq for Map {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl Value {
    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(s.into())
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Velocity 1.7 truthiness: only null and false are false.
    pub fn is_truthy(&self) -> bool {
        !matches!(self, Value::Null | Value::Bool(false))
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Float(_) => "float",
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Map(_) => "map",
            Value::Builtin(_) => "object",
        }
    }

    /// Java `toString()`: lists as `[a, b]`, maps as `{k=v, k2=v2}`.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write_text(&mut out);
        out
    }

    fn write_text(&self, out: &mut String) {
        match self {
            Value::Str(s) => out.push_str(s),
            Value::List(items) => {
                write_joined(out, ['[', ']'], TEXT_SEPARATOR, items, |out, v| v.write_text(out))
            }
            Value::Map(map) => write_joined(out, ['{', '}'], TEXT_SEPARATOR, map.iter(), |out, (k, v)| {
                out.push_str(k);
                out.push('=');
                v.write_text(out);
            }),
            scalar => out.push_str(&scalar.to_string()),
        }
    }

    /// Compact JSON text, as `$input.json` produces it.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }

    fn write_json(&self, out: &mut String) {
        match self {
            Value::Str(s) => out.push_str(&json_string(s)),
            Value::Float(f) if f.is_finite() => out.push_str(&serde_json::Value::from(*f).to_string()),
            Value::Float(_) | Value::Null | Value::Builtin(_) => out.push_str("null"),
            Value::List(items) => {
                write_joined(out, ['[', ']'], JSON_SEPARATOR, items, |out, v| v.write_json(out))
            }
            Value::Map(map) => write_joined(out, ['{', '}'], JSON_SEPARATOR, map.iter(), |out, (k, v)| {
                out.push_str(&json_string(k));
                out.push(':');
                v.write_json(out);
            }),
            scalar => out.push_str(&scalar.to_string()),
        }
    }

    /// The work a copy of this value represents: one per node plus one per
    /// 64 bytes of text. Charged against the render step budget.
    pub fn weight(&self) -> u64 {
        match self {
            Value::Str(s) => text_weight(s),
            Value::List(items) => 1 + items.iter().map(Value::weight).sum::<u64>(),
            Value::Map(map) => 1 + map.iter().map(|(k, v)| text_weight(k) + v.weight()).sum::<u64>(),
            _ => 1,
        }
    }

    /// Collection nesting depth (0 for scalars); kept bounded so that the
    /// recursive walks above cannot overflow the stack.
    pub fn depth(&self) -> usize {
        match self {
            Value::List(items) => 1 + items.iter().map(Value::depth).max().unwrap_or(0),
            Value::Map(map) => 1 + map.values().map(Value::depth).max().unwrap_or(0),
            _ => 0,
        }
    }
}

pub fn text_weight(s: &str) -> u64 {
    1 + (s.len() / 64) as u64
}

fn json_string(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// Java's `toString` separates items with ", ", compact JSON with ",".
const TEXT_SEPARATOR: &str = ", ";
const JSON_SEPARATOR: &str = ",";

fn write_joined<T>(
    out: &mut String,
    [open, close]: [char; 2],
    separator: &str,
    items: impl IntoIterator<Item = T>,
    mut write: impl FnMut(&mut String, T),
) {
    out.push(open);
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        write(out, item);
    }
    out.push(close);
}

/// Scalars render like Java's `String.valueOf`.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => f.write_str(&java_double(*x)),
            Value::Builtin(Builtin::Input) => f.write_str("$input"),
            Value::Builtin(Builtin::Util) => f.write_str("$util"),
            collection => f.write_str(&collection.to_text()),
        }
    }
}

/// Java's `Double.toString`: plain notation with at least one fraction digit
/// in [1e-3, 1e7), otherwise `d.dddE±n`.
pub fn java_double(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let magnitude = x.abs();
    if magnitude == 0.0 || (1e-3..1e7).contains(&magnitude) {
        let plain = x.to_string();
        return if plain.contains('.') { plain } else { plain + ".0" };
    }
    let scientific = format!("{x:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let dot = if mantissa.contains('.') { "" } else { ".0" };
    format!("{mantissa}{dot}E{exponent}")
}

/// Builds values straight from JSON (bodies, `$util.parseJson`, the render
/// context), keeping object key order.
impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, i: i64) -> Result<Value, E> {
        Ok(Value::Int(i))
    }

    fn visit_u64<E>(self, u: u64) -> Result<Value, E> {
        Ok(i64::try_from(u).map_or(Value::Float(u as f64), Value::Int))
    }

    fn visit_f64<E>(self, f: f64) -> Result<Value, E> {
        Ok(Value::Float(f))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        Ok(Value::str(s))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Value, E> {
        Ok(Value::Str(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::default();
        while let Some((k, v)) = access.next_entry::<String, Value>()? {
            map.insert(k, v);
        }
        Ok(Value::Map(map))
    }
}
