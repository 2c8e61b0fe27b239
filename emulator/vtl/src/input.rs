//! The `$input` object and the JSONPath subset its `json`/`path` methods take.
//!
//! The body is parsed once, on first use. A blank body counts as `{}` (what
//! API Gateway hands a template for an empty payload); a body that is not JSON
//! makes `$input.json`/`$input.path` yield null, so the reference renders as
//! its source text unless it is quiet.

use std::cell::OnceCell;
use std::collections::BTreeMap;

use crate::ast::Pos;
use crate::lexer::Cursor;
use crate::value::{Map, Value};
use crate::RenderContext;

pub(crate) struct Input<'a> {
    ctx: &'a RenderContext,
    body: OnceCell<Option<Value>>,
}

impl<'a> Input<'a> {
    pub(crate) fn new(ctx: &'a RenderContext) -> Self {
        Self {
            ctx,
            body: OnceCell::new(),
        }
    }

    pub(crate) fn call(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        let value = match (name, args) {
            // `$input.body` reaches here through the getter rule.
            ("getBody", []) => Value::str(&self.ctx.body),
            ("json", [path]) => self
                .select(path)?
                .map_or(Value::Null, |v| Value::Str(v.to_json())),
            ("path", [path]) => self.select(path)?.cloned().unwrap_or_default(),
            ("params", []) => self.all_params(),
            ("params", [name]) => Value::str(self.param(&name.to_text())),
            _ => Value::Null,
        };
        Ok(value)
    }

    fn parsed_body(&self) -> Option<&Value> {
        self.body
            .get_or_init(|| {
                let body = self.ctx.body.trim();
                if body.is_empty() {
                    Some(Value::Map(Map::default()))
                } else {
                    serde_json::from_str(body).ok()
                }
            })
            .as_ref()
    }

    fn select(&self, path: &Value) -> Result<Option<&Value>, String> {
        let Value::Str(path) = path else {
            return Err(format!("a JSONPath must be a string, got {}", path.type_name()));
        };
        let steps = parse_json_path(path)?;
        Ok(self.parsed_body().and_then(|root| select(root, &steps)))
    }

    /// `$input.params()`: `{header={…}, querystring={…}, path={…}}`.
    fn all_params(&self) -> Value {
        let sections = [
            ("header", &self.ctx.headers),
            ("querystring", &self.ctx.query),
            ("path", &self.ctx.path),
        ];
        Value::Map(
            sections
                .into_iter()
                .map(|(name, params)| (name.to_string(), string_map(params)))
                .collect(),
        )
    }

    /// `$input.params('name')`: path, then query string, then header (header
    /// names match case-insensitively); an empty string when absent, as API
    /// Gateway renders a missing parameter.
    fn param(&self, name: &str) -> String {
        let ctx = self.ctx;
        ctx.path
            .get(name)
            .or_else(|| ctx.query.get(name))
            .or_else(|| ctx.headers.get(name))
            .or_else(|| {
                ctx.headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v)
            })
            .cloned()
            .unwrap_or_default()
    }
}

fn string_map(params: &BTreeMap<String, String>) -> Value {
    Value::Map(params.iter().map(|(k, v)| (k.clone(), Value::str(v))).collect())
}

/// One step of a JSONPath.
#[derive(Debug, PartialEq)]
enum Step {
    Key(String),
    /// Negative indices count from the end, as in Jayway JsonPath.
    Index(i64),
}

/// Parses `$`, `.name`, `['name']`, `["name"]` and `[n]` steps.
fn parse_json_path(path: &str) -> Result<Vec<Step>, String> {
    let invalid = |why: &str| format!("unsupported or invalid JSONPath '{path}': {why}");
    let mut cur = Cursor::new(path, Pos::START);
    if !cur.eat('$') {
        return Err(invalid("it must start with '$'"));
    }
    let mut steps = Vec::new();
    while let Some(c) = cur.bump() {
        let step = match c {
            '.' => {
                let name = cur.eat_while(|c| c != '.' && c != '[');
                if name.is_empty() || name == "*" {
                    return Err(invalid("expected a property name after '.'"));
                }
                Step::Key(name.to_string())
            }
            '[' => {
                let step = match cur.peek() {
                    Some(quote @ ('\'' | '"')) => {
                        cur.bump();
                        let key = cur
                            .take_until(&quote.to_string())
                            .ok_or_else(|| invalid("unterminated quoted name"))?;
                        Step::Key(key.to_string())
                    }
                    _ => {
                        let digits = cur.eat_while(|c| c.is_ascii_digit() || c == '-');
                        Step::Index(digits.parse().map_err(|_| invalid("expected an index"))?)
                    }
                };
                if !cur.eat(']') {
                    return Err(invalid("expected ']'"));
                }
                step
            }
            other => return Err(invalid(&format!("unexpected '{other}'"))),
        };
        steps.push(step);
    }
    Ok(steps)
}

fn select<'v>(root: &'v Value, steps: &[Step]) -> Option<&'v Value> {
    steps.iter().try_fold(root, |node, step| match (node, step) {
        (Value::Map(map), Step::Key(key)) => map.get(key),
        (Value::List(items), Step::Index(i)) => {
            let i = if *i < 0 { items.len() as i64 + i } else { *i };
            items.get(usize::try_from(i).ok()?)
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_path_steps() {
        assert_eq!(
            parse_json_path("$.a['b c'][2][\"d\"][-1]").unwrap(),
            vec![
                Step::Key("a".into()),
                Step::Key("b c".into()),
                Step::Index(2),
                Step::Key("d".into()),
                Step::Index(-1),
            ]
        );
        assert_eq!(parse_json_path("$").unwrap(), vec![]);
    }

    #[test]
    fn json_path_rejects_unsupported_syntax() {
        for path in ["a.b", "$..a", "$.*", "$[*]", "$[1", "$['a", "$.", "$x"] {
            assert!(parse_json_path(path).is_err(), "{path}");
        }
    }
}
