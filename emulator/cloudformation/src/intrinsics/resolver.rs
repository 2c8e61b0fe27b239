//! The resolver's state: the template and environment it resolves for, what it has computed so
//! far, and the guard against circular references.

use std::cell::RefCell;
use std::collections::BTreeMap;

use super::ids::distribution_domain;
use crate::endpoints::EndpointRewriter;
use crate::error::{Result, StackError};
use crate::model::LocalEnv;
use crate::template::{Resource, Template};

/// Resolves values of one template for one [`LocalEnv`].
pub struct Resolver<'t> {
    pub(super) template: &'t Template,
    pub(super) env: &'t LocalEnv,
    /// Conditions evaluated so far, by name.
    pub(super) conditions: RefCell<BTreeMap<String, bool>>,
    /// Physical names computed so far, by logical id.
    pub(super) names: RefCell<BTreeMap<String, String>>,
    /// Logical ids (and condition names) being resolved right now, for cycle detection.
    in_progress: RefCell<Vec<String>>,
    warnings: RefCell<Vec<String>>,
}

impl<'t> Resolver<'t> {
    /// A resolver with nothing computed yet; values are computed on first use and cached.
    pub fn new(template: &'t Template, env: &'t LocalEnv) -> Resolver<'t> {
        Resolver {
            template,
            env,
            conditions: RefCell::default(),
            names: RefCell::default(),
            in_progress: RefCell::default(),
            warnings: RefCell::default(),
        }
    }

    /// The template whose values this resolver resolves.
    pub fn template(&self) -> &'t Template {
        self.template
    }

    /// The machine the values are resolved for (region, account, endpoints, parameters).
    pub fn env(&self) -> &'t LocalEnv {
        self.env
    }

    /// Warnings collected so far (each also logged).
    pub fn warnings(&self) -> Vec<String> {
        self.warnings.borrow().clone()
    }

    pub(crate) fn warn(&self, message: String) {
        let mut warnings = self.warnings.borrow_mut();
        if !warnings.contains(&message) {
            tracing::warn!("{message}");
            warnings.push(message);
        }
    }

    /// The rewriter for URLs of this stack's APIs and distributions.
    pub fn endpoint_rewriter(&self) -> EndpointRewriter {
        let api = EndpointRewriter::api_host(&self.env.api_id, &self.env.region);
        let mut rewriter = EndpointRewriter::new(&self.env.gateway_http, vec![api]);
        let edge = self.env.edge_http.as_deref().unwrap_or(&self.env.gateway_http);
        for distribution in self.template.resources_of("AWS::CloudFront::Distribution") {
            rewriter = rewriter.with_host(distribution_domain(&distribution.logical_id), edge);
        }
        rewriter
    }

    /// Marks `key` as being resolved; an error naming the chain when it already is.
    pub(super) fn enter(&self, key: &str, path: &str) -> Result<()> {
        let mut stack = self.in_progress.borrow_mut();
        if stack.iter().any(|k| k == key) {
            let mut chain: Vec<String> = stack.clone();
            chain.push(key.to_owned());
            let start = chain.iter().position(|k| k == key).unwrap_or(0);
            return Err(StackError::Circular {
                path: path.to_owned(),
                chain: chain[start..].to_vec(),
            });
        }
        stack.push(key.to_owned());
        Ok(())
    }

    pub(super) fn leave(&self) {
        self.in_progress.borrow_mut().pop();
    }

    /// A resource that `Ref`/`Fn::GetAtt` may name: declared, and not left out by its condition.
    pub(super) fn resource(&self, id: &str, path: &str) -> Result<&'t Resource> {
        let resource = self
            .template
            .resources
            .get(id)
            .ok_or_else(|| StackError::UnknownLogicalId {
                path: path.to_owned(),
                id: id.to_owned(),
            })?;
        if !self.exists(resource)? {
            return Err(StackError::ConditionedOut {
                path: path.to_owned(),
                id: id.to_owned(),
                condition: resource.condition.clone().unwrap_or_default(),
            });
        }
        Ok(resource)
    }
}
