//! A CloudFormation template, resolved for one machine, and provisioned on a local AWS backend.
//!
//! `wsflow dev` runs the stack that `cdk synth` describes on a developer's machine: the
//! WebSocket API in a local gateway, the Lambda functions as local processes, and the queues,
//! tables, state machines, secrets and API keys on an AWS-compatible backend such as moto. This
//! crate reads the template and says what there is to run, and creates what lives on the
//! backend.
//!
//! ```text
//!  template.json ─▶ Template ─resolve(LocalEnv)─▶ Stack ─provision(BackendKind)─▶ backend
//!                                                   │
//!                                                   └─▶ gateway, functions, event sources
//! ```
//!
//! # Overview
//!
//! A [`Template`] is the template as loaded ([`template`]): JSON with typed access to its
//! `Resources`, `Parameters`, `Conditions`, `Mappings` and `Outputs`. Nothing in it is resolved.
//!
//! A [`LocalEnv`] is the machine the stack runs on: the region, account and stack name that the
//! pseudo parameters stand for, the backend's endpoint, the local gateway's URL, and values for
//! the template's parameters.
//!
//! Resolving a template for a `LocalEnv` ([`resolve`]; [`load`] and [`from_json`] read the
//! template first) gives a [`Stack`]: plain data in which every intrinsic function has its local
//! value ([`intrinsics`]) and the URLs of the stack's API point at the local gateway
//! ([`endpoints`]). The stack holds one model type per resource type local mode runs
//! ([`model`]): the [`WebSocketApi`] with its [`Stage`], [`Route`]s and [`Integration`]s, and
//! the [`Function`]s, [`Queue`]s, [`Table`]s, [`StateMachine`]s, [`EventSourceMapping`]s,
//! [`CloudFrontFunction`]s, [`Distribution`]s, [`Secret`]s, [`ApiKey`]s and [`UsagePlan`]s. Beside them, a
//! [`ResourceStatus`] for every resource of the template says, as a [`Handling`], whether local
//! mode emulates it, provisions it on the backend, does not need it, or cannot run it, and why
//! ([`resources`]).
//!
//! [`provision()`] then creates the provisioned resources on the backend, which a
//! [`BackendKind`] describes (moto needs to be told to execute state machines). It is
//! idempotent: what already exists is reused or updated, so a restart provisions again. The
//! [`ProvisionReport`] lists what it did, and carries the API keys' values
//! ([`ProvisionedKey`]), which only the backend knows.
//!
//! Every step that can fail returns a [`StackError`] naming where: the template file, a path in
//! the template such as `Resources.JobsQueue.Properties.RedrivePolicy`, or the backend call.
//!
//! # Example
//!
//! ```
//! use wsflow_cloudformation::{from_json, Handling, LocalEnv};
//!
//! let template = serde_json::json!({"Resources": {
//!     "Jobs": {"Type": "AWS::SQS::Queue"},
//!     "Worker": {"Type": "AWS::Lambda::Function", "Properties": {
//!         "Environment": {"Variables": {"JOBS_URL": {"Ref": "Jobs"}}}}},
//!     "WorkerRole": {"Type": "AWS::IAM::Role"}
//! }});
//! let env = LocalEnv::new("http://127.0.0.1:4566", "http://127.0.0.1:8080");
//! let stack = from_json(&template, &env)?;
//!
//! // A queue's Ref is its URL, on the backend.
//! let worker = stack.function("Worker").unwrap();
//! assert_eq!(worker.env["JOBS_URL"], "http://127.0.0.1:4566/123456789012/wsflow-Jobs");
//! // IAM is not enforced locally, so the role is not needed.
//! let role = stack.resources.iter().find(|r| r.logical_id == "WorkerRole").unwrap();
//! assert!(matches!(role.handling, Handling::NotNeeded(_)));
//! # Ok::<(), wsflow_cloudformation::StackError>(())
//! ```
//!
//! Provisioning it on a moto server:
//!
//! ```no_run
//! # async fn run(
//! #     stack: wsflow_cloudformation::Stack,
//! #     sdk: aws_config::SdkConfig,
//! # ) -> Result<(), wsflow_cloudformation::StackError> {
//! use wsflow_cloudformation::{provision, BackendKind};
//!
//! // `sdk` points every client at moto: its endpoint URL, a region, dummy credentials.
//! let moto = BackendKind::Moto { endpoint: "http://127.0.0.1:4566".into() };
//! let report = provision(&stack, &sdk, moto).await?;
//! for resource in &report.resources {
//!     println!("{} {:?}: {}", resource.logical_id, resource.action, resource.physical_id);
//! }
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

pub mod dynamic_references;
pub mod endpoints;
pub mod error;
pub mod intrinsics;
pub mod model;
pub mod prepare;
pub mod provision;
pub mod resources;
pub mod template;

use std::path::Path;

pub use error::StackError;
pub use model::*;
pub use provision::{provision, BackendKind, ProvisionReport, ProvisionedKey};
pub use template::Template;

/// Reads a template (JSON; YAML and SAM with [`LocalEnv::python`]) and resolves it.
pub fn load(path: &Path, env: &LocalEnv) -> Result<Stack, StackError> {
    let template = Template::read(path, env)?;
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
