//! `AWS::ApiGatewayV2::Route` with its `AWS::ApiGatewayV2::RouteResponse`s, linked to the
//! integration and authorizer it names.

use std::collections::BTreeMap;

use super::scope::ApiScope;
use crate::error::{Result, StackError};
use crate::model::{Authorizer, Integration, Route};
use crate::resources::props::{props, Props};
use crate::template::Resource;

/// What routes name, read before them.
pub(super) struct Targets<'a> {
    /// By logical id.
    pub(super) integrations: &'a BTreeMap<String, Integration>,
    /// By logical id.
    pub(super) authorizers: &'a BTreeMap<String, Authorizer>,
    /// Route response keys, by the logical id of their route (see [`responses`]).
    pub(super) responses: BTreeMap<String, Vec<String>>,
}

/// Route response keys, by the logical id of their route.
pub(super) fn responses(scope: &ApiScope<'_>) -> Result<BTreeMap<String, Vec<String>>> {
    let mut responses: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for resource in scope.members("AWS::ApiGatewayV2::RouteResponse") {
        let rp = props(scope.resolver, resource?);
        responses
            .entry(rp.required_string("RouteId")?)
            .or_default()
            .push(rp.required_string("RouteResponseKey")?);
    }
    Ok(responses)
}

/// The API's routes, by route key.
pub(super) fn read(scope: &ApiScope<'_>, mut targets: Targets<'_>) -> Result<BTreeMap<String, Route>> {
    let mut routes = BTreeMap::new();
    for resource in scope.members("AWS::ApiGatewayV2::Route") {
        let route = route(scope, resource?, &mut targets, &routes)?;
        routes.insert(route.key.clone(), route);
    }
    Ok(routes)
}

/// `routes` are the ones read so far: a route key may be used once.
fn route(
    scope: &ApiScope<'_>,
    resource: &Resource,
    targets: &mut Targets<'_>,
    routes: &BTreeMap<String, Route>,
) -> Result<Route> {
    let rp = props(scope.resolver, resource);
    let key = rp.required_string("RouteKey")?;
    let integration = integration(&rp, targets.integrations)?;
    let authorizer = authorizer(&rp, targets.authorizers)?;
    let mut responses = targets.responses.remove(&resource.logical_id).unwrap_or_default();
    responses.sort();
    if routes.contains_key(&key) {
        return Err(StackError::invalid(
            rp.path("RouteKey"),
            format!("a second route `{key}`"),
        ));
    }
    Ok(Route {
        key,
        integration,
        route_response_selection_expression: rp.string("RouteResponseSelectionExpression")?,
        route_responses: responses,
        authorization_type: rp.string("AuthorizationType")?.unwrap_or_else(|| "NONE".into()),
        authorizer,
        api_key_required: rp.flag("ApiKeyRequired")?.unwrap_or(false),
        model_selection_expression: rp.string("ModelSelectionExpression")?,
        request_models: rp.string_map("RequestModels")?,
    })
}

/// The integration `Target` names (`integrations/{id}`); a route without one has no backend.
fn integration(
    rp: &Props<'_, '_>,
    integrations: &BTreeMap<String, Integration>,
) -> Result<Option<Integration>> {
    let Some(target) = rp.string("Target")? else {
        return Ok(None);
    };
    let id = target.strip_prefix("integrations/").ok_or_else(|| {
        StackError::invalid(
            rp.path("Target"),
            format!("`{target}` is not `integrations/{{id}}`"),
        )
    })?;
    let integration = integrations.get(id).cloned().ok_or_else(|| {
        StackError::invalid(rp.path("Target"), format!("`{id}` is no integration of the API"))
    })?;
    Ok(Some(integration))
}

fn authorizer(rp: &Props<'_, '_>, authorizers: &BTreeMap<String, Authorizer>) -> Result<Option<Authorizer>> {
    let Some(id) = rp.string("AuthorizerId")? else {
        return Ok(None);
    };
    let authorizer = authorizers.get(&id).cloned().ok_or_else(|| {
        StackError::invalid(
            rp.path("AuthorizerId"),
            format!("`{id}` is no authorizer of the API"),
        )
    })?;
    Ok(Some(authorizer))
}
