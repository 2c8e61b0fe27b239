//! `AWS::ApiGatewayV2::Authorizer`: the Lambda function that authorizes `$connect`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::scope::ApiScope;
use crate::error::Result;
use crate::intrinsics::scalar_string;
use crate::model::Authorizer;
use crate::resources::props::{props, Props};

/// The API's authorizers, by logical id (what a route's `AuthorizerId` names).
pub(super) fn read(scope: &ApiScope<'_>) -> Result<BTreeMap<String, Authorizer>> {
    let mut authorizers = BTreeMap::new();
    for resource in scope.members("AWS::ApiGatewayV2::Authorizer") {
        let resource = resource?;
        let ap = props(scope.resolver, resource);
        let identity_sources = identity_sources(&ap)?;
        let uri = ap.string("AuthorizerUri")?.unwrap_or_default();
        authorizers.insert(
            resource.logical_id.clone(),
            Authorizer {
                name: ap.string("Name")?.unwrap_or_else(|| resource.logical_id.clone()),
                function: scope.function_in(&uri),
                identity_sources,
            },
        );
    }
    Ok(authorizers)
}

/// `IdentitySource`: a list, or a single source.
fn identity_sources(ap: &Props<'_, '_>) -> Result<Vec<String>> {
    Ok(match ap.value("IdentitySource")? {
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| scalar_string(v, &ap.path("IdentitySource")))
            .collect::<Result<Vec<_>>>()?,
        Some(other) => vec![scalar_string(&other, &ap.path("IdentitySource"))?],
        None => Vec::new(),
    })
}
