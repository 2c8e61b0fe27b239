//! The CloudFront Functions event object, and reading what the handler returned.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::{EdgeError, EdgeOptions, EdgeOutcome, ViewerRequest};

/// `{value}` for one value, `{value: first, multiValue: [{value}, …]}` for several.
fn entries(values: &BTreeMap<String, Vec<String>>) -> Value {
    let mut out = Map::new();
    for (name, list) in values {
        let first = list.first().cloned().unwrap_or_default();
        let mut entry = Map::new();
        entry.insert("value".into(), Value::String(first));
        if list.len() > 1 {
            entry.insert(
                "multiValue".into(),
                Value::Array(list.iter().map(|v| json!({ "value": v })).collect()),
            );
        }
        out.insert(name.clone(), Value::Object(entry));
    }
    Value::Object(out)
}

/// The event for a viewer-request function.
pub(crate) fn viewer_request_event(
    request: &ViewerRequest,
    options: &EdgeOptions,
    request_id: &str,
) -> Value {
    let headers: BTreeMap<String, Vec<String>> = request
        .headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .collect();
    json!({
        "version": "1.0",
        "context": {
            "distributionDomainName": options.distribution_domain_name,
            "distributionId": options.distribution_id,
            "eventType": "viewer-request",
            "requestId": request_id,
        },
        "viewer": { "ip": request.client_ip },
        "request": {
            "method": request.method,
            "uri": request.uri,
            "querystring": entries(&request.querystring),
            "headers": entries(&headers),
            "cookies": entries(&request.cookies),
        },
    })
}

fn text(value: &Value, path: &str) -> Result<String, EdgeError> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(EdgeError::new(format!("{path} must be a string, found {other}"))),
    }
}

/// Reads `{name: {value, multiValue?}}`; `lower` lower-cases the names (headers).
fn read_entries(
    value: Option<&Value>,
    path: &str,
    lower: bool,
) -> Result<BTreeMap<String, Vec<String>>, EdgeError> {
    let mut out = BTreeMap::new();
    let Some(value) = value else { return Ok(out) };
    let map = match value {
        Value::Object(map) => map,
        Value::Null => return Ok(out),
        other => return Err(EdgeError::new(format!("{path} must be an object, found {other}"))),
    };
    for (name, entry) in map {
        let entry_path = format!("{path}.{name}");
        let entry = entry.as_object().ok_or_else(|| {
            EdgeError::new(format!(
                "{entry_path} must be an object like {{value: \"…\"}}, found {entry}"
            ))
        })?;
        let values = match entry.get("multiValue") {
            Some(Value::Array(items)) if !items.is_empty() => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let item_path = format!("{entry_path}.multiValue[{i}]");
                    let value = item
                        .get("value")
                        .ok_or_else(|| EdgeError::new(format!("{item_path} has no value")))?;
                    text(value, &format!("{item_path}.value"))
                })
                .collect::<Result<Vec<_>, _>>()?,
            _ => {
                let value = entry
                    .get("value")
                    .ok_or_else(|| EdgeError::new(format!("{entry_path} has no value")))?;
                vec![text(value, &format!("{entry_path}.value"))?]
            }
        };
        let name = if lower {
            name.to_ascii_lowercase()
        } else {
            name.clone()
        };
        out.insert(name, values);
    }
    Ok(out)
}

/// Interprets what the handler returned.
pub(crate) fn outcome(returned: &Value, original: &ViewerRequest) -> Result<EdgeOutcome, EdgeError> {
    let object = match returned {
        Value::Object(map) => map,
        Value::Null => {
            return Err(EdgeError::new(
                "the function returned nothing (return the request or a response)",
            ))
        }
        other => {
            return Err(EdgeError::new(format!(
                "the function returned {other}, not a request or a response"
            )))
        }
    };
    if let Some(status) = object.get("statusCode") {
        let status = text(status, "response.statusCode")?
            .parse::<u16>()
            .ok()
            .filter(|s| (100..=599).contains(s))
            .ok_or_else(|| EdgeError::new(format!("response.statusCode {status} is not an HTTP status")))?;
        let headers = read_entries(object.get("headers"), "response.headers", true)?
            .into_iter()
            .map(|(k, v)| (k, v.join(", ")))
            .collect();
        let mut set_cookies = Vec::new();
        if let Some(Value::Object(cookies)) = object.get("cookies") {
            for (name, cookie) in cookies {
                let path = format!("response.cookies.{name}");
                let value = cookie
                    .get("value")
                    .ok_or_else(|| EdgeError::new(format!("{path} has no value")))?;
                let mut line = format!("{name}={}", text(value, &format!("{path}.value"))?);
                if let Some(attributes) = cookie.get("attributes") {
                    let attributes = text(attributes, &format!("{path}.attributes"))?;
                    if !attributes.is_empty() {
                        line.push_str("; ");
                        line.push_str(&attributes);
                    }
                }
                set_cookies.push(line);
            }
        }
        let body = match object.get("body") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Object(body)) => {
                let data = text(body.get("data").unwrap_or(&Value::Null), "response.body.data")?;
                match body.get("encoding").and_then(Value::as_str).unwrap_or("text") {
                    "text" => Some(data),
                    "base64" => {
                        let bytes = base64_decode(&data)
                            .ok_or_else(|| EdgeError::new("response.body.data is not valid base64"))?;
                        Some(String::from_utf8_lossy(&bytes).into_owned())
                    }
                    other => {
                        return Err(EdgeError::new(format!(
                            "response.body.encoding `{other}` is neither text nor base64"
                        )))
                    }
                }
            }
            Some(other) => {
                return Err(EdgeError::new(format!(
                    "response.body must be a string or {{data, encoding}}, found {other}"
                )))
            }
        };
        return Ok(EdgeOutcome::Respond {
            status,
            status_description: object
                .get("statusDescription")
                .map(|d| text(d, "response.statusDescription"))
                .transpose()?,
            headers,
            body,
            set_cookies,
        });
    }
    if object.contains_key("uri") || object.contains_key("method") {
        let uri = match object.get("uri") {
            Some(uri) => text(uri, "request.uri")?,
            None => original.uri.clone(),
        };
        if !uri.starts_with('/') {
            return Err(EdgeError::new(format!("request.uri `{uri}` must start with /")));
        }
        return Ok(EdgeOutcome::Forward(ViewerRequest {
            // CloudFront does not let a function change the method.
            method: original.method.clone(),
            uri,
            querystring: read_entries(object.get("querystring"), "request.querystring", false)?,
            headers: read_entries(object.get("headers"), "request.headers", true)?,
            cookies: read_entries(object.get("cookies"), "request.cookies", false)?,
            client_ip: original.client_ip.clone(),
        }));
    }
    Err(EdgeError::new(
        "the function returned an object that is neither a request (uri, method) nor a response (statusCode)",
    ))
}

/// Standard or URL-safe base64, padding optional. `None` when invalid.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0;
    for c in text.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'\r' | b'\n' => continue,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}
