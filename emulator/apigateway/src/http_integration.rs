//! The request an `HTTP` or `HTTP_PROXY` integration sends to its endpoint: the integration URI
//! with `${stageVariables.NAME}` and `{path}` parameters filled in and the mapped query string
//! appended, `IntegrationMethod`, and the mapped headers ([`crate::parameters`]). What the body
//! is (the client's message, or the rendered request template) is the integrator's business.

use http_body_util::Full;
use hyper::body::Bytes;
use serde_json::Value;

use crate::http_client::OutgoingRequest;
use crate::parameters::Mapped;
use crate::IntegrationError;

/// The endpoint's URL for this request.
pub fn endpoint_url(uri: &str, stage_variables: &Value, mapped: &Mapped) -> Result<String, IntegrationError> {
    let mut url = stage_variables_filled(uri, stage_variables)?;
    for (name, value) in &mapped.path {
        url = url.replace(&format!("{{{name}}}"), &encoded(value));
    }
    for (name, value) in &mapped.query {
        let separator = if url.contains('?') { '&' } else { '?' };
        url = format!("{url}{separator}{}={}", encoded(name), encoded(value));
    }
    Ok(url)
}

/// The request to send. Only `http://` endpoints are called: local mode has no certificates
/// to verify an `https://` one with, and a local backend serves plain HTTP.
pub fn request(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: String,
) -> Result<OutgoingRequest, IntegrationError> {
    if !url.starts_with("http://") {
        return Err(IntegrationError::Configuration(format!(
            "`{url}` is not an http:// URL (locally, point the stage variable at one, e.g. with --parameter-overrides)"
        )));
    }
    let mut builder = hyper::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    builder
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| IntegrationError::Configuration(format!("the request to `{url}`: {e}")))
}

/// `${stageVariables.NAME}` replaced by the stage's value; a variable the stage lacks is an
/// error, not an empty string that would send the request somewhere else.
fn stage_variables_filled(uri: &str, stage_variables: &Value) -> Result<String, IntegrationError> {
    const OPEN: &str = "${stageVariables.";
    let mut filled = String::with_capacity(uri.len());
    let mut rest = uri;
    while let Some(at) = rest.find(OPEN) {
        let after = &rest[at + OPEN.len()..];
        let end = after.find('}').ok_or_else(|| {
            IntegrationError::Configuration(format!("unclosed `{OPEN}` in the integration URI `{uri}`"))
        })?;
        let name = &after[..end];
        let value = stage_variables.get(name).and_then(Value::as_str).ok_or_else(|| {
            IntegrationError::Configuration(format!(
                "the integration URI `{uri}` uses stage variable `{name}`, which the stage does not define"
            ))
        })?;
        filled.push_str(&rest[..at]);
        filled.push_str(value);
        rest = &after[end + 1..];
    }
    filled.push_str(rest);
    Ok(filled)
}

/// Percent-encoding of everything but RFC 3986's unreserved characters.
fn encoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn stage_variables_path_and_query_parameters_make_the_url() {
        let mapped = Mapped {
            query: vec![("room".into(), "a b".into())],
            path: [("id".to_owned(), "42".to_owned())].into(),
            ..Mapped::default()
        };
        let url = endpoint_url(
            "${stageVariables.backendUrl}/orders/{id}",
            &json!({"backendUrl": "http://127.0.0.1:9000"}),
            &mapped,
        )
        .unwrap();
        assert_eq!(url, "http://127.0.0.1:9000/orders/42?room=a%20b");
    }

    #[test]
    fn an_undefined_stage_variable_is_a_configuration_error() {
        let error = endpoint_url("${stageVariables.missing}/x", &json!({}), &Mapped::default());
        assert!(matches!(error, Err(IntegrationError::Configuration(_))));
    }

    #[test]
    fn only_plain_http_endpoints_are_called() {
        assert!(request("POST", "https://example.com/", &[], String::new()).is_err());
        let sent = request(
            "PUT",
            "http://127.0.0.1:1/x",
            &[("a".into(), "b".into())],
            "{}".into(),
        )
        .unwrap();
        assert_eq!(sent.method(), "PUT");
        assert_eq!(sent.headers()["a"], "b");
    }
}
