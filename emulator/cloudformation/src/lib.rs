//! A CloudFormation template, resolved for one machine, and provisioned on a local AWS backend.
//!
//! [`load`] reads the synthesized template (`cdk synth` output) and resolves it for a
//! [`LocalEnv`]: intrinsics ([`intrinsics`]) become local values, API URLs point at the local
//! gateway ([`endpoints`]), and every resource is either read into the model ([`model`]) or listed
//! with the reason local mode does not need or cannot run it ([`Stack::resources`]).
//! [`provision::provision`] then creates the queues, tables and state machines on the backend.

#![warn(missing_docs)]

pub mod endpoints;
pub mod error;
pub mod intrinsics;
pub mod model;
pub mod provision;
pub mod resources;
pub mod template;

use std::path::Path;

pub use error::StackError;
pub use model::*;
pub use provision::{provision, BackendKind, ProvisionReport, ProvisionedKey};
pub use template::Template;

/// Reads a JSON template and resolves it.
pub fn load(path: &Path, env: &LocalEnv) -> Result<Stack, StackError> {
    let template = Template::read(path)?;
    resolve(&template, env)
}

/// Resolves a template given as JSON.
pub fn from_json(template: &serde_json::Value, env: &LocalEnv) -> Result<Stack, StackError> {
    let template = Template::from_json(template)?;
    resolve(&template, env)
}

/// Resolves a loaded template.
pub fn resolve(template: &Template, env: &LocalEnv) -> Result<Stack, StackError> {
    let resolver = intrinsics::Resolver::new(template, env);
    resources::build(&resolver)
}
