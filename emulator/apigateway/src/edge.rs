//! The gateway's two entrances. On AWS a client reaches a WebSocket API either through its
//! CloudFront distribution, which runs the viewer-request function and then adds the origin's
//! custom headers, or directly on the `execute-api` endpoint, where neither happens. Local mode
//! serves both, one listener each, so that what the origin headers protect stays protected.

use std::collections::BTreeMap;

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use wsflow_cloudfront_functions::{CompiledFunction, EdgeOutcome, ViewerRequest};

/// What the distribution does to a handshake; see [`crate::EdgeConfig`].
pub struct CloudFront {
    pub viewer_request: Option<CompiledFunction>,
    pub origin_headers: Vec<(String, String)>,
}

/// The entrance a handshake came in by.
pub struct Entrance {
    /// The port it listens on (`X-Forwarded-Port`).
    pub port: u16,
    /// `None` for the direct `execute-api` entrance.
    pub cloudfront: Option<CloudFront>,
}

impl Entrance {
    /// The request CloudFront forwards: the viewer-request function's, or the viewer's own.
    /// A thrown error refuses the handshake (503, CloudFront's answer to a failing function),
    /// a returned response answers it.
    pub fn forwarded(&self, viewer: ViewerRequest) -> Result<ViewerRequest, Box<Response>> {
        let Some(function) = self.cloudfront.as_ref().and_then(|c| c.viewer_request.as_ref()) else {
            return Ok(viewer);
        };
        match function.viewer_request(&viewer) {
            Ok(EdgeOutcome::Forward(request)) => Ok(request),
            Ok(EdgeOutcome::Respond {
                status,
                headers,
                body,
                ..
            }) => Err(Box::new(function_response(status, headers, body))),
            Err(error) => {
                tracing::warn!(function = function.name(), error = %error.message, "viewer-request function failed; refusing the handshake");
                let message = format!("viewer-request function failed: {}", error.message);
                Err(Box::new(
                    (StatusCode::SERVICE_UNAVAILABLE, message).into_response(),
                ))
            }
        }
    }

    /// The origin's custom headers, none on the direct entrance.
    pub fn origin_headers(&self) -> &[(String, String)] {
        self.cloudfront
            .as_ref()
            .map_or(&[], |c| c.origin_headers.as_slice())
    }
}

fn function_response(status: u16, headers: BTreeMap<String, String>, body: Option<String>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            map.insert(name, value);
        }
    }
    (status, map, body.unwrap_or_default()).into_response()
}
