//! `--filter EXPR`: which dead letters a replay takes. Several filters must all match.

use std::str::FromStr;

use aws_sdk_sqs::types::Message;
use serde_json::Value;

use super::letter;

const SYNTAX: &str =
    "expected task=NAME, group=ID, reason=REASON, attr.NAME=VALUE or body./json/pointer=VALUE";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// The `Task` attribute, else the body's `task`.
    Task(String),
    /// The FIFO message group.
    Group(String),
    /// The `ErrorReason` attribute, `redrive` for messages SQS moved.
    Reason(String),
    /// A string message attribute.
    Attribute { name: String, value: String },
    /// The value at an RFC 6901 pointer into the JSON body: strings compare as they are, any
    /// other value by its JSON text (`42`, `true`, `{"a":1}`).
    Body { pointer: String, value: String },
}

impl FromStr for Filter {
    type Err = String;

    fn from_str(expression: &str) -> Result<Self, Self::Err> {
        // Split at the first `=`: values may contain `=`, keys and pointers here may not.
        let Some((key, value)) = expression.split_once('=') else {
            return Err(format!("`{expression}` has no `=`; {SYNTAX}"));
        };
        let value = value.to_owned();
        let filter = match key {
            "task" => Filter::Task(value),
            "group" => Filter::Group(value),
            "reason" => Filter::Reason(value),
            _ => {
                if let Some(name) = key.strip_prefix("attr.").filter(|n| !n.is_empty()) {
                    Filter::Attribute {
                        name: name.to_owned(),
                        value,
                    }
                } else if let Some(pointer) = key.strip_prefix("body.") {
                    if !pointer.is_empty() && !pointer.starts_with('/') {
                        return Err(format!(
                            "`{expression}`: a JSON pointer starts with `/` (body./data/topic=news)"
                        ));
                    }
                    Filter::Body {
                        pointer: pointer.to_owned(),
                        value,
                    }
                } else {
                    return Err(format!("`{expression}`: unknown key `{key}`; {SYNTAX}"));
                }
            }
        };
        Ok(filter)
    }
}

impl Filter {
    pub fn matches(&self, message: &Message) -> bool {
        match self {
            Filter::Task(task) => letter::task(message).as_deref() == Some(task.as_str()),
            Filter::Group(group) => letter::group_id(message) == Some(group.as_str()),
            Filter::Reason(reason) => letter::reason(message) == reason,
            Filter::Attribute { name, value } => {
                letter::string_attribute(message, name) == Some(value.as_str())
            }
            Filter::Body { pointer, value } => {
                body_value(message, pointer).as_deref() == Some(value.as_str())
            }
        }
    }
}

pub fn all_match(filters: &[Filter], message: &Message) -> bool {
    filters.iter().all(|f| f.matches(message))
}

fn body_value(message: &Message, pointer: &str) -> Option<String> {
    let body: Value = serde_json::from_str(message.body()?).ok()?;
    match body.pointer(pointer)? {
        Value::String(text) => Some(text.clone()),
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_sqs::types::{MessageAttributeValue, MessageSystemAttributeName};

    use super::*;

    fn message() -> Message {
        Message::builder()
            .body(r#"{"task":"store","data":{"topic":"news","n":42,"ok":true,"o":{"a":1}}}"#)
            .attributes(MessageSystemAttributeName::MessageGroupId, "conn-1")
            .message_attributes(
                "Tenant",
                MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value("acme")
                    .build()
                    .unwrap(),
            )
            .build()
    }

    fn matches(expression: &str) -> bool {
        expression.parse::<Filter>().unwrap().matches(&message())
    }

    #[test]
    fn each_kind_matches_its_part_of_the_message() {
        assert!(matches("task=store"));
        assert!(!matches("task=notify"));
        assert!(matches("group=conn-1"));
        assert!(!matches("group=conn-2"));
        assert!(matches("reason=redrive"));
        assert!(matches("attr.Tenant=acme"));
        assert!(!matches("attr.Missing=acme"));
        assert!(matches("body./data/topic=news"));
        assert!(matches("body./data/n=42"));
        assert!(matches("body./data/ok=true"));
        assert!(matches(r#"body./data/o={"a":1}"#));
        assert!(!matches("body./data/absent=x"));
    }

    #[test]
    fn values_may_contain_equals_signs() {
        assert_eq!(
            "attr.Token=a=b".parse::<Filter>().unwrap(),
            Filter::Attribute {
                name: "Token".into(),
                value: "a=b".into()
            }
        );
    }

    #[test]
    fn bad_expressions_are_named_in_the_error() {
        for bad in ["task", "colour=red", "attr.=x", "body.data=x"] {
            let err = bad.parse::<Filter>().unwrap_err();
            assert!(err.contains(bad), "{err}");
        }
    }

    #[test]
    fn filters_combine_with_and() {
        let filters: Vec<Filter> = ["task=store", "group=conn-1"]
            .iter()
            .map(|e| e.parse().unwrap())
            .collect();
        assert!(all_match(&filters, &message()));
        let filters: Vec<Filter> = ["task=store", "group=other"]
            .iter()
            .map(|e| e.parse().unwrap())
            .collect();
        assert!(!all_match(&filters, &message()));
    }
}
