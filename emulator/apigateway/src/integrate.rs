//! Running a route's integration and mapping its answer (integration responses).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use regex::Regex;
use serde_json::Value;
use wsflow_cloudformation::{Integration, IntegrationKind, IntegrationResponse};
use wsflow_lambda::Functions;

use crate::backend::BackendClient;
use crate::http_client::HttpClient;
use crate::request::Request;
use crate::templates::{self, TemplateCache};
use crate::{http_integration, parameters, IntegrationError};

/// API Gateway's integration timeout range for WebSocket APIs, 50 ms to 29 s ("Quotas for
/// configuring and running a WebSocket in API Gateway"; 29 s is also `TimeoutInMillis`'
/// default).
const TIMEOUT_MS: std::ops::RangeInclusive<u64> = 50..=29_000;

/// An integration's answer, after response mapping: what a route response sends the client.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: String,
}

pub struct Integrator {
    pub backend: BackendClient,
    /// The endpoints of HTTP integrations.
    pub http: HttpClient,
    pub functions: Arc<dyn Functions>,
    pub templates: TemplateCache,
    pub stage_variables: Value,
}

impl Integrator {
    pub async fn run(&self, integration: &Integration, request: &Request) -> Result<Reply, IntegrationError> {
        let timeout_ms = integration
            .timeout_ms
            .clamp(*TIMEOUT_MS.start(), *TIMEOUT_MS.end());
        let timeout = Duration::from_millis(timeout_ms);
        let work = async {
            match integration.kind {
                IntegrationKind::AwsProxy => self.invoke_proxy(integration, request).await,
                IntegrationKind::Aws => self.call_service(integration, request, timeout).await,
                IntegrationKind::Mock => self.mock(integration, request),
                IntegrationKind::Http | IntegrationKind::HttpProxy => {
                    self.call_http(integration, request).await
                }
            }
        };
        tokio::time::timeout(timeout, work)
            .await
            .map_err(|_| IntegrationError::Timeout(timeout))?
    }

    async fn invoke_proxy(
        &self,
        integration: &Integration,
        request: &Request,
    ) -> Result<Reply, IntegrationError> {
        let function = integration
            .function
            .as_deref()
            .ok_or_else(|| IntegrationError::Unsupported(format!("AWS_PROXY to `{}`", integration.uri)))?;
        let answer = self
            .functions
            .invoke(function, &request.proxy_event())
            .await
            .map_err(|e| IntegrationError::Function(format!("{function}: {e}")))?;
        let status = answer.get("statusCode").and_then(Value::as_u64).unwrap_or(200) as u16;
        let body = match answer.get("body") {
            Some(Value::String(text)) => text.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        Ok(Reply { status, body })
    }

    async fn call_service(
        &self,
        integration: &Integration,
        request: &Request,
        timeout: Duration,
    ) -> Result<Reply, IntegrationError> {
        let body = self.request_body(integration, request)?;
        let mapped = parameters::map(&integration.request_parameters, request, &self.stage_variables);
        let reply = self
            .backend
            .call(&integration.uri, body, &mapped.headers, timeout)
            .await?;
        if !(200..300).contains(&reply.status) {
            let excerpt: String = reply.body.chars().take(300).collect();
            tracing::info!(uri = %integration.uri, status = reply.status, body = %excerpt, "service answered with an error");
        }
        self.map_response(integration, request, reply.status, &reply.body)
    }

    /// HTTP_PROXY sends the client's message as it is and answers with the endpoint's answer
    /// as it is ("For proxy integrations, API Gateway automatically passes the backend output
    /// to the caller as the complete payload", "Set up a WebSocket API integration response");
    /// HTTP sends the rendered request template and maps the answer by its integration
    /// responses, matched on the endpoint's status code.
    async fn call_http(
        &self,
        integration: &Integration,
        request: &Request,
    ) -> Result<Reply, IntegrationError> {
        let proxy = integration.kind == IntegrationKind::HttpProxy;
        let mapped = parameters::map(&integration.request_parameters, request, &self.stage_variables);
        let url = http_integration::endpoint_url(&integration.uri, &self.stage_variables, &mapped)?;
        let body = if proxy {
            request.body.clone()
        } else {
            self.request_body(integration, request)?
        };
        // IntegrationMethod is required for HTTP integrations; POST is what a message is.
        let method = integration.method.as_deref().unwrap_or("POST");
        let outgoing = http_integration::request(method, &url, &mapped.headers, body)?;
        let reply = self.http.send(outgoing).await?;
        if proxy {
            return Ok(Reply {
                status: reply.status,
                body: reply.body,
            });
        }
        self.map_response(integration, request, reply.status, &reply.body)
    }

    /// MOCK: the request template's `statusCode` picks the integration response, whose
    /// template sees the client's message as `$input`.
    fn mock(&self, integration: &Integration, request: &Request) -> Result<Reply, IntegrationError> {
        let rendered = self.request_body(integration, request)?;
        let status = serde_json::from_str::<Value>(&rendered)
            .ok()
            .and_then(|v| v.get("statusCode").and_then(Value::as_u64))
            .unwrap_or(200) as u16;
        self.map_response(integration, request, status, &request.body)
    }

    fn request_body(&self, integration: &Integration, request: &Request) -> Result<String, IntegrationError> {
        let selected = templates::select(
            &integration.request_templates,
            integration.template_selection_expression.as_deref(),
            &request.body,
        );
        match selected {
            Some(template) => self.render(template, request, &request.body),
            None if integration.request_templates.is_empty()
                || integration.passthrough_behavior.as_deref() != Some("NEVER") =>
            {
                Ok(request.body.clone())
            }
            None => Err(IntegrationError::NoTemplate),
        }
    }

    fn map_response(
        &self,
        integration: &Integration,
        request: &Request,
        status: u16,
        body: &str,
    ) -> Result<Reply, IntegrationError> {
        let Some(response) = select_response(&integration.responses, status) else {
            return Ok(Reply {
                status,
                body: body.to_owned(),
            });
        };
        let body = match templates::select(
            &response.templates,
            response.template_selection_expression.as_deref(),
            body,
        ) {
            Some(template) => self.render(template, request, body)?,
            None => body.to_owned(),
        };
        Ok(Reply { status, body })
    }

    fn render(&self, template: &str, request: &Request, input: &str) -> Result<String, IntegrationError> {
        let context = || templates::render_context(request, input, &self.stage_variables);
        self.templates
            .render(template, context)
            .map_err(IntegrationError::MappingTemplate)
    }
}

/// The integration response whose key (`/regex/` on the status code) matches, else `$default`.
fn select_response(responses: &[IntegrationResponse], status: u16) -> Option<&IntegrationResponse> {
    let status = status.to_string();
    responses
        .iter()
        .find(|r| status_pattern(&r.key).is_some_and(|re| re.is_match(&status)))
        .or_else(|| responses.iter().find(|r| r.key == "$default"))
}

/// The compiled regex of a `/regex/` response key; keys are few and fixed, so each is compiled
/// once for the gateway's lifetime.
fn status_pattern(key: &str) -> Option<Regex> {
    static COMPILED: OnceLock<Mutex<HashMap<String, Option<Regex>>>> = OnceLock::new();
    let mut compiled = COMPILED.get_or_init(Default::default).lock().unwrap();
    compiled
        .entry(key.to_owned())
        .or_insert_with(|| {
            let pattern = key.strip_prefix('/')?.strip_suffix('/')?;
            Regex::new(&format!("^(?:{pattern})$")).ok()
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(key: &str) -> IntegrationResponse {
        IntegrationResponse {
            key: key.into(),
            templates: Default::default(),
            template_selection_expression: None,
            content_handling: None,
        }
    }

    #[test]
    fn status_regexes_win_over_the_default_response() {
        let responses = [response("$default"), response(r"/2\d\d/")];
        assert_eq!(select_response(&responses, 200).unwrap().key, r"/2\d\d/");
        assert_eq!(select_response(&responses, 400).unwrap().key, "$default");
        assert!(select_response(&[], 200).is_none());
    }
}
