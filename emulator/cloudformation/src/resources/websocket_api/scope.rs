//! What every part of the WebSocket API reads with: the resources that belong to the API, and
//! the functions their URIs may name.

use crate::error::Result;
use crate::intrinsics::Resolver;
use crate::model::Function;
use crate::resources::present::Present;
use crate::template::Resource;

/// The WebSocket API being read.
pub(super) struct ApiScope<'a> {
    pub(super) resolver: &'a Resolver<'a>,
    present: &'a Present<'a>,
    /// The stack's functions, read before the API.
    functions: &'a [Function],
}

impl<'a> ApiScope<'a> {
    pub(super) fn new(
        resolver: &'a Resolver<'a>,
        present: &'a Present<'a>,
        functions: &'a [Function],
    ) -> Self {
        ApiScope {
            resolver,
            present,
            functions,
        }
    }

    /// The existing resources of one type whose `ApiId` is this API's. Checked one at a time,
    /// so that the first error in template order is the one reported.
    pub(super) fn members(&self, kind: &'a str) -> impl Iterator<Item = Result<&'a Resource>> + '_ {
        self.present
            .of(kind)
            .filter_map(move |resource| match self.belongs(resource) {
                Ok(true) => Some(Ok(resource)),
                Ok(false) => None,
                Err(error) => Some(Err(error)),
            })
    }

    // Every Ref to an API resolves to env.api_id, so "belongs to this API" is ApiId == api_id.
    fn belongs(&self, resource: &Resource) -> Result<bool> {
        let api_id = self.resolver.property_string(resource, "ApiId")?;
        Ok(api_id.as_deref() == Some(self.resolver.env().api_id.as_str()))
    }

    /// The logical id of the function whose ARN `text` (an integration or authorizer URI)
    /// contains, as a whole ARN: followed by `/`, `:` or nothing.
    pub(super) fn function_in(&self, text: &str) -> Option<String> {
        self.functions
            .iter()
            .find(|f| {
                text.contains(&format!("{}/", f.arn))
                    || text.ends_with(&f.arn)
                    || text.contains(&format!("{}:", f.arn))
            })
            .map(|f| f.logical_id.clone())
    }

    /// Local mode serves one of each; the others are named so the user knows they are ignored.
    pub(super) fn warn_second(&self, resource: &Resource, what: &str) {
        self.resolver.warn(format!(
            "{}: a second {what}; local mode serves only the first",
            resource.logical_id
        ));
    }
}
