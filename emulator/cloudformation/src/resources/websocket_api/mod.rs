//! The WebSocket API: the first `AWS::ApiGatewayV2::Api` with `ProtocolType: WEBSOCKET`, and
//! the stage, integrations, authorizers, routes and models whose `ApiId` is its.
//!
//! The parts are read in the order routes need them: a route links the integration and the
//! authorizer it names, so those come first.

mod authorizer;
mod integration;
mod models;
mod route;
mod scope;
mod stage;

use super::handling::mark_unsupported;
use super::present::Present;
use super::props::props;
use crate::error::Result;
use crate::intrinsics::Resolver;
use crate::model::{Stack, WebSocketApi};
use crate::template::Resource;
use route::Targets;
use scope::ApiScope;

pub(super) fn read(resolver: &Resolver<'_>, present: &Present<'_>, stack: &mut Stack) -> Result<()> {
    stack.api = match choose(resolver, present)? {
        None => None,
        Some(api) => {
            let scope = ApiScope::new(resolver, present, &stack.functions);
            Some(websocket_api(&scope, api)?)
        }
    };
    Ok(())
}

/// Every other API of the template is unsupported: the gateway serves one WebSocket API.
pub(super) fn mark_unserved(_: &Resolver<'_>, present: &Present<'_>, stack: &mut Stack) -> Result<()> {
    for resource in present.of("AWS::ApiGatewayV2::Api") {
        if stack
            .api
            .as_ref()
            .is_none_or(|api| api.logical_id != resource.logical_id)
        {
            mark_unsupported(
                &mut stack.resources,
                &resource.logical_id,
                "only one WebSocket API is served locally (HTTP APIs are not)",
            );
        }
    }
    Ok(())
}

/// The first WebSocket API; the protocol of every API is resolved, so errors in any surface.
fn choose<'t>(resolver: &Resolver<'_>, present: &Present<'t>) -> Result<Option<&'t Resource>> {
    let mut chosen: Option<&'t Resource> = None;
    for resource in present.of("AWS::ApiGatewayV2::Api") {
        let protocol = resolver.property_string(resource, "ProtocolType")?;
        if protocol.as_deref() != Some("WEBSOCKET") {
            continue;
        }
        if chosen.is_some() {
            resolver.warn(format!(
                "{}: a second WebSocket API; local mode serves only the first",
                resource.logical_id
            ));
            continue;
        }
        chosen = Some(resource);
    }
    Ok(chosen)
}

fn websocket_api(scope: &ApiScope<'_>, api: &Resource) -> Result<WebSocketApi> {
    let stage = stage::read(scope)?;
    let integrations = integration::read(scope)?;
    let responses = route::responses(scope)?;
    let authorizers = authorizer::read(scope)?;
    let targets = Targets {
        integrations: &integrations,
        authorizers: &authorizers,
        responses,
    };
    let routes = route::read(scope, targets)?;
    let models = models::read(scope)?;
    let p = props(scope.resolver, api);
    Ok(WebSocketApi {
        logical_id: api.logical_id.clone(),
        name: scope.resolver.physical_name(&api.logical_id, &p.path("Name"))?,
        route_selection_expression: p
            .string("RouteSelectionExpression")?
            .unwrap_or_else(|| "$request.body.action".into()),
        api_key_selection_expression: p.string("ApiKeySelectionExpression")?,
        stage,
        routes,
        models,
    })
}
