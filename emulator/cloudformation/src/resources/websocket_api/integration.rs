//! `AWS::ApiGatewayV2::Integration` with its `AWS::ApiGatewayV2::IntegrationResponse`s.

use std::collections::BTreeMap;

use super::scope::ApiScope;
use crate::error::{Result, StackError};
use crate::model::{Integration, IntegrationKind, IntegrationResponse};
use crate::resources::props::{props, Props};
use crate::template::Resource;

/// The API's integrations, by logical id (what a route's `Target` names).
pub(super) fn read(scope: &ApiScope<'_>) -> Result<BTreeMap<String, Integration>> {
    let mut responses = responses(scope)?;
    let mut integrations = BTreeMap::new();
    for resource in scope.members("AWS::ApiGatewayV2::Integration") {
        let resource = resource?;
        let integration = integration(scope, resource, &mut responses)?;
        integrations.insert(resource.logical_id.clone(), integration);
    }
    for (id, _) in responses {
        scope.resolver.warn(format!(
            "integration responses name `{id}`, which is no integration of the API"
        ));
    }
    Ok(integrations)
}

/// Integration responses, by the logical id of their integration.
fn responses(scope: &ApiScope<'_>) -> Result<BTreeMap<String, Vec<IntegrationResponse>>> {
    let mut responses: BTreeMap<String, Vec<IntegrationResponse>> = BTreeMap::new();
    for resource in scope.members("AWS::ApiGatewayV2::IntegrationResponse") {
        let rp = props(scope.resolver, resource?);
        responses
            .entry(rp.required_string("IntegrationId")?)
            .or_default()
            .push(IntegrationResponse {
                key: rp.required_string("IntegrationResponseKey")?,
                templates: rp.string_map("ResponseTemplates")?,
                template_selection_expression: rp.string("TemplateSelectionExpression")?,
                content_handling: rp.string("ContentHandlingStrategy")?,
            });
    }
    Ok(responses)
}

/// Takes the integration's own responses out of `responses`, so the ones left over name no
/// integration.
fn integration(
    scope: &ApiScope<'_>,
    resource: &Resource,
    responses: &mut BTreeMap<String, Vec<IntegrationResponse>>,
) -> Result<Integration> {
    let ip = props(scope.resolver, resource);
    let kind = kind(&ip)?;
    let uri = ip.string("IntegrationUri")?.unwrap_or_default();
    let function = match kind {
        IntegrationKind::AwsProxy | IntegrationKind::Aws => scope.function_in(&uri),
        _ => None,
    };
    if kind == IntegrationKind::AwsProxy && function.is_none() {
        scope.resolver.warn(format!(
            "{}: the AWS_PROXY integration URI `{uri}` names no function of this template",
            resource.logical_id
        ));
    }
    let mut responses = responses.remove(&resource.logical_id).unwrap_or_default();
    responses.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(Integration {
        logical_id: resource.logical_id.clone(),
        kind,
        uri,
        method: ip.string("IntegrationMethod")?,
        function,
        request_templates: ip.string_map("RequestTemplates")?,
        template_selection_expression: ip.string("TemplateSelectionExpression")?,
        request_parameters: ip.string_map("RequestParameters")?,
        passthrough_behavior: ip.string("PassthroughBehavior")?,
        content_handling: ip.string("ContentHandlingStrategy")?,
        credentials_arn: ip.string("CredentialsArn")?,
        timeout_ms: ip.integer("TimeoutInMillis")?.unwrap_or(29_000),
        responses,
    })
}

fn kind(ip: &Props<'_, '_>) -> Result<IntegrationKind> {
    let text = ip.required_string("IntegrationType")?;
    IntegrationKind::parse(&text).ok_or_else(|| {
        StackError::invalid(
            ip.path("IntegrationType"),
            format!("unknown integration type `{text}`"),
        )
    })
}
