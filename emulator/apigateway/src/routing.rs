//! Route selection: `$request.body.<path>` evaluated on a message, as API Gateway does.

use serde_json::Value;

/// The route key a message selects, or `None` when the expression yields nothing (then
/// `$default` applies). Only `$request.body.*` expressions are meaningful for messages.
pub fn select(expression: &str, body: &str) -> Option<String> {
    body_field(body, expression.strip_prefix("$request.body.")?)
}

/// The field at the dotted `path` of a JSON `body`, as text; `None` for anything but a scalar.
pub fn body_field(body: &str, path: &str) -> Option<String> {
    let document: Value = serde_json::from_str(body).ok()?;
    let mut value = &document;
    for segment in path.split('.') {
        value = value.get(segment)?;
    }
    scalar_text(value)
}

/// A string as it is, a number or boolean as JSON writes it; `None` for anything else.
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Null | Value::Object(_) | Value::Array(_) => None,
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::select;

    #[test]
    fn selects_by_body_path() {
        let e = "$request.body.action";
        assert_eq!(select(e, r#"{"action":"enqueue"}"#).as_deref(), Some("enqueue"));
        assert_eq!(select(e, r#"{"action":7}"#).as_deref(), Some("7"));
        assert_eq!(select(e, r#"{"other":1}"#), None);
        assert_eq!(select(e, "plain text"), None);
        assert_eq!(
            select("$request.body.a.b", r#"{"a":{"b":"x"}}"#).as_deref(),
            Some("x")
        );
    }
}
