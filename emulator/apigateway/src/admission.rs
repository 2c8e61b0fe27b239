//! What API Gateway checks before an integration runs. On `$connect`: the route's throttle,
//! its authorizer and its API key; on every message: the route's and the key's throttles and
//! the route's request model. A refused message is answered with API Gateway's error frame.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::sync::Arc;

use crate::api_keys::{selected_key, KeyRefusal};
use crate::authorizer::{self, Refusal};
use crate::request::Request;
use crate::throttle::TOO_MANY_REQUESTS;
use crate::Shared;

pub const INVALID_BODY: &str = "Invalid request body";

/// Runs the checks of `$connect`, filling in the request's authorizer context and API key.
pub async fn connect(shared: &Shared, request: &mut Request) -> Result<(), Response> {
    if !shared.throttles.admit("$connect") {
        return Err(refuse(
            StatusCode::TOO_MANY_REQUESTS,
            TOO_MANY_REQUESTS,
            "the $connect route is throttled",
        ));
    }
    let Some(route) = shared.api.routes.get("$connect") else {
        return Ok(());
    };
    if let Some(authorizer) = route
        .authorizer
        .as_ref()
        .filter(|_| route.authorization_type == "CUSTOM")
    {
        let method_arn = format!("{}$connect", shared.method_arn_prefix);
        let variables = &shared.integrator.stage_variables;
        match authorizer::authorize(
            shared.integrator.functions.as_ref(),
            authorizer,
            request,
            &method_arn,
            variables,
        )
        .await
        {
            Ok(context) => request.authorizer = Some(Arc::new(context)),
            Err(Refusal::Unauthorized(why)) => {
                return Err(refuse(StatusCode::UNAUTHORIZED, "Unauthorized", &why))
            }
            Err(Refusal::Forbidden(why)) => return Err(refuse(StatusCode::FORBIDDEN, "Forbidden", &why)),
            Err(Refusal::Failed(why)) => {
                tracing::warn!(authorizer = %authorizer.name, reason = %why, "authorizer failed");
                return Err(refuse(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal server error",
                    &why,
                ));
            }
        }
    }
    if route.api_key_required {
        let key = api_key(shared, request).ok_or_else(|| {
            refuse(
                StatusCode::FORBIDDEN,
                "Forbidden",
                "no valid API key (missing, unknown or disabled)",
            )
        })?;
        key.admit().map_err(|refusal| {
            refuse(
                StatusCode::TOO_MANY_REQUESTS,
                refusal.message(),
                "the API key's usage plan refused it",
            )
        })?;
        request.api_key = Some(key);
    }
    Ok(())
}

/// The checks of a message on `route_key`; `Err` carries the error frame's message.
pub fn message(shared: &Shared, request: &Request) -> Result<(), &'static str> {
    let route_key = request.route_key.as_str();
    if !shared.throttles.admit(route_key) {
        return Err(TOO_MANY_REQUESTS);
    }
    if let Some(key) = &request.api_key {
        key.admit().map_err(KeyRefusal::message)?;
    }
    shared.validators.validate(route_key, &request.body).map_err(|reasons| {
        tracing::info!(route = route_key, connection_id = %request.connection_id, %reasons, "request body failed validation");
        INVALID_BODY
    })
}

fn api_key(shared: &Shared, request: &Request) -> Option<Arc<crate::api_keys::MeteredKey>> {
    let expression = shared.api.api_key_selection_expression.as_deref()?;
    let headers = &request.handshake.as_ref()?.headers;
    let value = selected_key(expression, headers, request.authorizer.as_deref())?;
    shared.api_keys.find(value)
}

fn refuse(status: StatusCode, message: &str, reason: &str) -> Response {
    tracing::info!(status = status.as_u16(), %reason, "handshake refused");
    (status, axum::Json(json!({ "message": message }))).into_response()
}
