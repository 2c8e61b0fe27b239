//! The resources that exist: those without a `Condition`, or whose condition holds.

use super::handling::handling;
use crate::error::Result;
use crate::intrinsics::Resolver;
use crate::model::{Handling, ResourceStatus};
use crate::template::Resource;

/// The existing resources of the template, in logical-id order.
pub(super) struct Present<'t> {
    resources: Vec<&'t Resource>,
}

impl<'t> Present<'t> {
    /// Records how local mode handles every resource of the template in `statuses`, and keeps
    /// the ones that exist.
    pub(super) fn survey(resolver: &Resolver<'t>, statuses: &mut Vec<ResourceStatus>) -> Result<Present<'t>> {
        let mut resources = Vec::new();
        for resource in resolver.template().resources.values() {
            let exists = resolver.exists(resource)?;
            statuses.push(status(resource, exists));
            if exists {
                resources.push(resource);
            }
        }
        Ok(Present { resources })
    }

    /// The existing resources of one type.
    pub(super) fn of<'p>(&'p self, kind: &'p str) -> impl Iterator<Item = &'t Resource> + 'p {
        self.resources.iter().copied().filter(move |r| r.kind == kind)
    }
}

fn status(resource: &Resource, exists: bool) -> ResourceStatus {
    let handling = if exists {
        handling(&resource.kind)
    } else {
        Handling::NotNeeded(format!(
            "its condition `{}` is false",
            resource.condition.clone().unwrap_or_default()
        ))
    };
    ResourceStatus {
        logical_id: resource.logical_id.clone(),
        kind: resource.kind.clone(),
        handling,
    }
}
