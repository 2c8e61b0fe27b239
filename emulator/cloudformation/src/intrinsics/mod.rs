//! The intrinsic-function resolver: turns template values into local values.
//!
//! Driven by the template alone. What a `Ref` or `Fn::GetAtt` resolves to depends only on the
//! resource's type (see [`Resolver::attribute`]); names come from the resource's explicit name
//! property or are derived from its logical id ([`Resolver::physical_name`]).
//!
//! `AWS::NoValue` is represented by `None`: an object property or array element that resolves to
//! it is removed.
//!
//! Each family of intrinsics has its own module adding methods to [`Resolver`]: `values` walks
//! a value and hands every `Ref`/`Fn::*` it meets to `reference` (`Ref`, `Fn::GetAtt`), `sub`
//! (`Fn::Sub`), `lists` (`Fn::Join`, `Fn::Select`, `Fn::Split`), `conditions` (`Fn::If` and the
//! condition functions), `lookups` (`Fn::FindInMap`, `Fn::GetAZs`, `Fn::ImportValue`) or
//! `base64` (`Fn::Base64`). `attributes` and `names` say what a resource's `Ref`, attributes and
//! physical name are; `ids` builds the ARNs and ids the cloud would assign.

mod attributes;
mod base64;
mod conditions;
mod ids;
mod lists;
mod lookups;
mod names;
mod reference;
mod resolver;
mod sub;
mod values;

pub use base64::base64;
pub(crate) use ids::{function_arn, state_machine_arn, table_arn};
pub use resolver::Resolver;
pub(crate) use values::property_path;
pub use values::scalar_string;
