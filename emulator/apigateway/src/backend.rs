//! AWS service integrations sent to the local backend: `arn:aws:apigateway:{region}:{service}:
//! action/{Action}` (JSON protocol) and `…:{service}:path/{path}` (the rendered body posted to
//! that path), as API Gateway would call the service.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::Bytes;
use serde_json::{json, Value};

use crate::http_client::{HttpClient, HttpReply as ServiceReply};
use crate::IntegrationError;

/// `X-Amz-Target` prefix and content type of the JSON-protocol services an `action/` URI may name.
fn json_protocol(service: &str) -> Option<(&'static str, &'static str)> {
    Some(match service {
        "dynamodb" => ("DynamoDB_20120810", "application/x-amz-json-1.0"),
        "states" => ("AWSStepFunctions", "application/x-amz-json-1.0"),
        "sqs" => ("AmazonSQS", "application/x-amz-json-1.0"),
        "events" => ("AWSEvents", "application/x-amz-json-1.1"),
        "kinesis" => ("Kinesis_20131202", "application/x-amz-json-1.1"),
        "logs" => ("Logs_20140328", "application/x-amz-json-1.1"),
        _ => return None,
    })
}

pub struct BackendClient {
    endpoint: String,
    region: String,
    http: HttpClient,
    /// Set once the backend has answered that it lacks `StartSyncExecution`.
    emulate_sync_execution: AtomicBool,
}

struct Target<'a> {
    service: &'a str,
    kind: &'a str,
    rest: &'a str,
}

fn parse_uri(uri: &str) -> Result<Target<'_>, IntegrationError> {
    let unsupported = || IntegrationError::Unsupported(format!("integration URI `{uri}`"));
    let mut parts = uri.splitn(6, ':');
    let (Some("arn"), Some(_), Some("apigateway"), Some(_region), Some(service), Some(action)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(unsupported());
    };
    let (kind, rest) = action.split_once('/').ok_or_else(unsupported)?;
    Ok(Target { service, kind, rest })
}

impl BackendClient {
    pub fn new(endpoint: &str, region: &str, http: HttpClient) -> BackendClient {
        BackendClient {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            region: region.to_owned(),
            http,
            emulate_sync_execution: AtomicBool::new(false),
        }
    }

    pub async fn call(
        &self,
        uri: &str,
        body: String,
        mapped_headers: &[(String, String)],
        timeout: Duration,
    ) -> Result<ServiceReply, IntegrationError> {
        let target = parse_uri(uri)?;
        match target.kind {
            "action" if target.service == "states" && target.rest == "StartSyncExecution" => {
                self.start_sync_execution(body, timeout).await
            }
            "action" => {
                let (prefix, content_type) = json_protocol(target.service)
                    .ok_or_else(|| IntegrationError::Unsupported(format!("service `{}`", target.service)))?;
                let headers = [
                    ("content-type", content_type.to_owned()),
                    ("x-amz-target", format!("{prefix}.{}", target.rest)),
                ];
                self.post(target.service, "/", &headers, body).await
            }
            "path" => {
                let headers: Vec<(&str, String)> = mapped_headers
                    .iter()
                    .map(|(name, value)| (name.as_str(), value.clone()))
                    .collect();
                self.post(target.service, &format!("/{}", target.rest), &headers, body)
                    .await
            }
            other => Err(IntegrationError::Unsupported(format!(
                "`{other}` integration URIs"
            ))),
        }
    }

    async fn post(
        &self,
        service: &str,
        path: &str,
        headers: &[(&str, String)],
        body: String,
    ) -> Result<ServiceReply, IntegrationError> {
        let mut request = hyper::Request::post(format!("{}{path}", self.endpoint))
            // Local backends route a shared port by the credential scope; nothing verifies the
            // signature, which stays a placeholder.
            .header(
                "authorization",
                format!(
                    "AWS4-HMAC-SHA256 Credential=local/20260101/{}/{service}/aws4_request, SignedHeaders=host, Signature=0",
                    self.region
                ),
            );
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let request = request
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| IntegrationError::Unsupported(e.to_string()))?;
        self.http.send(request).await
    }

    async fn states(&self, action: &str, body: String) -> Result<ServiceReply, IntegrationError> {
        let headers = [
            ("content-type", "application/x-amz-json-1.0".to_owned()),
            ("x-amz-target", format!("AWSStepFunctions.{action}")),
        ];
        self.post("states", "/", &headers, body).await
    }

    /// `StartSyncExecution` where the backend has it; otherwise start the execution and await
    /// it, answering in `StartSyncExecution`'s shape.
    async fn start_sync_execution(
        &self,
        body: String,
        timeout: Duration,
    ) -> Result<ServiceReply, IntegrationError> {
        if !self.emulate_sync_execution.load(Ordering::Relaxed) {
            let reply = self.states("StartSyncExecution", body.clone()).await?;
            if !lacks_operation(&reply) {
                return Ok(reply);
            }
            tracing::info!(
                "the backend lacks StartSyncExecution: emulating it with StartExecution + DescribeExecution"
            );
            self.emulate_sync_execution.store(true, Ordering::Relaxed);
        }
        let started = self.states("StartExecution", body).await?;
        if started.status != 200 {
            return Ok(started);
        }
        let arn = serde_json::from_str::<Value>(&started.body)
            .ok()
            .and_then(|v| v["executionArn"].as_str().map(str::to_owned))
            .ok_or_else(|| IntegrationError::Unreachable("StartExecution returned no executionArn".into()))?;
        self.await_execution(&arn, timeout).await
    }

    async fn await_execution(&self, arn: &str, timeout: Duration) -> Result<ServiceReply, IntegrationError> {
        let deadline = Instant::now() + timeout;
        let request = json!({ "executionArn": arn }).to_string();
        loop {
            let described = self.states("DescribeExecution", request.clone()).await?;
            let execution: Value = serde_json::from_str(&described.body).unwrap_or_default();
            if described.status != 200 || execution["status"] != "RUNNING" {
                return Ok(ServiceReply {
                    status: described.status,
                    body: sync_shape(execution).to_string(),
                });
            }
            if Instant::now() > deadline {
                return Err(IntegrationError::Timeout(timeout));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// The fields `StartSyncExecution` answers with ("StartSyncExecution", Step Functions API
/// reference), from a `DescribeExecution` answer: the execution's own fields, and
/// `billingDetails`, which an Express execution is billed by (its duration rounded up to the
/// next 100 ms, and 64 MB, the least memory billed).
fn sync_shape(execution: Value) -> Value {
    const FIELDS: [&str; 13] = [
        "executionArn",
        "stateMachineArn",
        "name",
        "startDate",
        "stopDate",
        "status",
        "error",
        "cause",
        "input",
        "inputDetails",
        "output",
        "outputDetails",
        "traceHeader",
    ];
    let mut shaped = serde_json::Map::new();
    for field in FIELDS {
        if let Some(value) = execution.get(field).filter(|v| !v.is_null()) {
            shaped.insert(field.to_owned(), value.clone());
        }
    }
    let seconds = |field: &str| execution.get(field).and_then(Value::as_f64);
    if let (Some(start), Some(stop)) = (seconds("startDate"), seconds("stopDate")) {
        let millis = ((stop - start).max(0.0) * 1000.0).ceil() as u64;
        shaped.insert(
            "billingDetails".into(),
            json!({
                "billedDurationInMilliseconds": millis.div_ceil(100).max(1) * 100,
                "billedMemoryUsedInMB": 64,
            }),
        );
    }
    Value::Object(shaped)
}

/// Whether a reply says the service does not implement the operation at all: a named error,
/// or an answer that is not a JSON-protocol error at all (moto answers an HTML 500 page).
fn lacks_operation(reply: &ServiceReply) -> bool {
    if reply.status < 400 {
        return false;
    }
    let text = reply.body.to_ascii_lowercase();
    let named = [
        "not yet implemented",
        "unknownoperation",
        "invalidaction",
        "not implemented",
    ]
    .iter()
    .any(|needle| text.contains(needle));
    reply.status == 404 || named || serde_json::from_str::<Value>(&reply.body).is_err()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integration_uris_name_service_and_action() {
        let t = parse_uri("arn:aws:apigateway:us-east-1:dynamodb:action/PutItem").unwrap();
        assert_eq!((t.service, t.kind, t.rest), ("dynamodb", "action", "PutItem"));
        let t = parse_uri("arn:aws:apigateway:us-east-1:sqs:path/123456789012/q.fifo").unwrap();
        assert_eq!(
            (t.service, t.kind, t.rest),
            ("sqs", "path", "123456789012/q.fifo")
        );
        assert!(parse_uri("https://example.com").is_err());
    }

    #[test]
    fn missing_operations_are_told_from_real_errors() {
        let reply = |status, body: &str| ServiceReply {
            status,
            body: body.into(),
        };
        assert!(lacks_operation(&reply(
            500,
            "<!doctype html><title>500 Internal Server Error</title>"
        )));
        assert!(lacks_operation(&reply(
            400,
            r#"{"__type":"UnknownOperationException"}"#
        )));
        assert!(!lacks_operation(&reply(
            400,
            r#"{"__type":"StateMachineDoesNotExist","message":"x"}"#
        )));
        assert!(!lacks_operation(&reply(200, "{}")));
    }

    #[test]
    fn a_sync_execution_answers_with_start_sync_executions_fields() {
        let described = json!({
            "executionArn": "arn:aws:states:us-east-1:123456789012:execution:m:n",
            "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:m",
            "name": "n",
            "status": "FAILED",
            "startDate": 1_700_000_000.25,
            "stopDate": 1_700_000_000.401,
            "input": "{}",
            "error": "Boom",
            "cause": "it broke",
            "mapRunArn": null,
            "redriveCount": 0,
        });
        let shaped = sync_shape(described);
        let mut fields: Vec<&str> = shaped.as_object().unwrap().keys().map(String::as_str).collect();
        fields.sort_unstable();
        assert_eq!(
            fields,
            [
                "billingDetails",
                "cause",
                "error",
                "executionArn",
                "input",
                "name",
                "startDate",
                "stateMachineArn",
                "status",
                "stopDate"
            ]
        );
        // 151 ms, billed as 200 ms.
        assert_eq!(shaped["billingDetails"]["billedDurationInMilliseconds"], 200);
        assert_eq!(shaped["billingDetails"]["billedMemoryUsedInMB"], 64);
    }
}
