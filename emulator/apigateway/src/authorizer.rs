//! A REQUEST authorizer on `$connect`, run as API Gateway runs it: identity sources checked
//! first (any missing → 401 without calling the function), then the function, whose error
//! `Unauthorized` means 401 and whose policy must allow `execute-api:Invoke` on the method
//! ARN (else 403). What it returns becomes `$context.authorizer` for the connection's life.

use serde_json::{json, Map, Value};
use wsflow_cloudformation::Authorizer;

use crate::request::{Handshake, Request};
use wsflow_lambda::{FunctionError, Functions};

/// Why the handshake is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// 401.
    Unauthorized(String),
    /// 403.
    Forbidden(String),
    /// 500: the authorizer failed or answered something API Gateway would not accept.
    Failed(String),
}

/// `$context.authorizer`: `principalId` and the returned context's values.
pub async fn authorize(
    functions: &dyn Functions,
    authorizer: &Authorizer,
    request: &Request,
    method_arn: &str,
    stage_variables: &Value,
) -> Result<Value, Refusal> {
    let no_handshake = Handshake::default();
    let handshake = request.handshake.as_ref().unwrap_or(&no_handshake);
    if let Some(missing) = missing_identity(&authorizer.identity_sources, handshake, stage_variables) {
        return Err(Refusal::Unauthorized(format!(
            "identity source {missing} is missing"
        )));
    }
    let function = authorizer.function.as_deref().ok_or_else(|| {
        Refusal::Failed(format!(
            "authorizer {} names no function of the template",
            authorizer.name
        ))
    })?;
    let mut event = request.proxy_event();
    event["type"] = json!("REQUEST");
    event["methodArn"] = json!(method_arn);
    event["stageVariables"] = stage_variables.clone();
    let answer = functions
        .invoke(function, &event)
        .await
        .map_err(|error| match error {
            FunctionError::Handler { message, .. } if message == "Unauthorized" => {
                Refusal::Unauthorized("the authorizer answered Unauthorized".into())
            }
            other => Refusal::Failed(other.to_string()),
        })?;
    decide(&answer, method_arn)
}

/// The first identity source that is absent or empty.
fn missing_identity<'s>(
    sources: &'s [String],
    handshake: &Handshake,
    stage_variables: &Value,
) -> Option<&'s str> {
    sources
        .iter()
        .find(|source| {
            let value = if let Some(name) = source.strip_prefix("route.request.header.") {
                handshake.header(name).cloned()
            } else if let Some(name) = source.strip_prefix("route.request.querystring.") {
                handshake.query.get(name).cloned()
            } else if let Some(name) = source.strip_prefix("stageVariables.") {
                stage_variables
                    .get(name)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            } else {
                // `context.*` sources are always present on $connect.
                Some("context".to_owned())
            };
            value.is_none_or(|v| v.is_empty())
        })
        .map(String::as_str)
}

/// Allowed when a statement allows `execute-api:Invoke` on the method ARN and none denies it.
fn decide(answer: &Value, method_arn: &str) -> Result<Value, Refusal> {
    let principal = answer
        .get("principalId")
        .and_then(Value::as_str)
        .ok_or_else(|| Refusal::Failed("the authorizer returned no principalId".into()))?;
    let statements = answer
        .pointer("/policyDocument/Statement")
        .and_then(Value::as_array)
        .ok_or_else(|| Refusal::Failed("the authorizer returned no policyDocument.Statement".into()))?;
    let effects: Vec<&str> = statements
        .iter()
        .filter(|s| covers(s, "Action", "execute-api:Invoke") && covers(s, "Resource", method_arn))
        .filter_map(|s| s.get("Effect").and_then(Value::as_str))
        .collect();
    if effects.contains(&"Deny") || !effects.contains(&"Allow") {
        return Err(Refusal::Forbidden(format!(
            "the policy for {principal} does not allow {method_arn}"
        )));
    }
    let mut context = Map::new();
    context.insert("principalId".into(), json!(principal));
    if let Some(Value::Object(values)) = answer.get("context") {
        context.extend(values.clone());
    }
    Ok(Value::Object(context))
}

/// A statement's Action or Resource (a string or a list, with `*` and `?` wildcards) matches.
fn covers(statement: &Value, field: &str, wanted: &str) -> bool {
    let patterns: Vec<&str> = match statement.get(field) {
        Some(Value::String(one)) => vec![one],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    patterns.iter().any(|p| wildcard_match(p, wanted))
}

fn wildcard_match(pattern: &str, text: &str) -> bool {
    match pattern.split_once(['*', '?']) {
        None => pattern == text,
        Some((head, _)) => {
            let Some(rest) = text.strip_prefix(head) else {
                return false;
            };
            let wildcard = pattern.as_bytes()[head.len()];
            let tail = &pattern[head.len() + 1..];
            if wildcard == b'?' {
                let mut chars = rest.chars();
                chars.next().is_some() && wildcard_match(tail, chars.as_str())
            } else {
                (0..=rest.len())
                    .filter(|i| rest.is_char_boundary(*i))
                    .any(|i| wildcard_match(tail, &rest[i..]))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:local0000a/api/$connect";

    fn answer(effect: &str, resource: &str) -> Value {
        json!({
            "principalId": "alice",
            "policyDocument": { "Version": "2012-10-17", "Statement": [
                { "Action": "execute-api:Invoke", "Effect": effect, "Resource": resource }
            ]},
            "context": { "userId": "alice", "plan": 3 }
        })
    }

    #[test]
    fn an_allow_on_the_method_arn_yields_the_context() {
        let context = decide(&answer("Allow", ARN), ARN).unwrap();
        assert_eq!(
            context,
            json!({"principalId": "alice", "userId": "alice", "plan": 3})
        );
        assert!(decide(&answer("Allow", "arn:aws:execute-api:*:*:*/*/*"), ARN).is_ok());
    }

    #[test]
    fn deny_or_another_resource_is_forbidden() {
        assert!(matches!(
            decide(&answer("Deny", ARN), ARN),
            Err(Refusal::Forbidden(_))
        ));
        let other = "arn:aws:execute-api:us-east-1:123456789012:other/api/$connect";
        assert!(matches!(
            decide(&answer("Allow", other), ARN),
            Err(Refusal::Forbidden(_))
        ));
    }

    #[test]
    fn an_answer_without_principal_or_policy_fails() {
        assert!(matches!(
            decide(&json!({"policyDocument": {}}), ARN),
            Err(Refusal::Failed(_))
        ));
        assert!(matches!(
            decide(&json!({"principalId": "a"}), ARN),
            Err(Refusal::Failed(_))
        ));
    }

    #[test]
    fn identity_sources_must_all_be_present_and_non_empty() {
        let handshake = Handshake {
            headers: [
                ("authorization".to_string(), "Bearer x".to_string()),
                ("empty".into(), "".into()),
            ]
            .into(),
            query: [("token".to_string(), "t".to_string())].into(),
        };
        let sources = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let vars = json!({});
        let present = sources(&[
            "route.request.header.Authorization",
            "route.request.querystring.token",
        ]);
        assert_eq!(missing_identity(&present, &handshake, &vars), None);
        let absent = sources(&[
            "route.request.header.Authorization",
            "route.request.querystring.other",
        ]);
        assert_eq!(
            missing_identity(&absent, &handshake, &vars),
            Some("route.request.querystring.other")
        );
        let empty = sources(&["route.request.header.Empty"]);
        assert_eq!(
            missing_identity(&empty, &handshake, &vars),
            Some("route.request.header.Empty")
        );
    }

    #[test]
    fn wildcards_match_like_iam() {
        assert!(wildcard_match("a*c", "abbbc"));
        assert!(wildcard_match("a?c", "abc"));
        assert!(!wildcard_match("a?c", "ac"));
        assert!(wildcard_match("*", ""));
        assert!(!wildcard_match("abc", "abcd"));
    }
}
