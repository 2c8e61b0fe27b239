//! Reading each resource type into the model, and how local mode handles every type.
//!
//! [`build`] first surveys the template (which resources exist, and how local mode handles each
//! type: [`handling`]), then runs one reader per resource type, each in its own module, and
//! finally resolves `Outputs`. The readers share the typed property access of `props`.

mod api_key;
mod cloudfront_function;
mod distribution;
mod event_source;
mod function;
mod handling;
mod outputs;
mod present;
mod props;
mod queue;
mod secret;
mod state_machine;
mod table;
mod websocket_api;

pub use handling::handling;

use crate::error::Result;
use crate::intrinsics::Resolver;
use crate::model::Stack;
use present::Present;

/// Reads the resources of one type (or finishes the work of an earlier reader) into the stack.
type Reader = fn(&Resolver<'_>, &Present<'_>, &mut Stack) -> Result<()>;

/// Later readers look up what earlier ones read: event sources name functions and queues, the
/// WebSocket API's integrations and authorizers name functions, and only once the WebSocket API
/// is chosen are the other APIs known to be left out.
const READERS: &[Reader] = &[
    function::read,
    queue::read,
    table::read,
    state_machine::read,
    event_source::read,
    cloudfront_function::read,
    distribution::read,
    websocket_api::read,
    secret::read,
    api_key::read_keys,
    api_key::read_usage_plans,
    websocket_api::mark_unserved,
];

/// Builds the stack from a resolver.
pub fn build(resolver: &Resolver<'_>) -> Result<Stack> {
    let mut stack = Stack::default();
    let present = Present::survey(resolver, &mut stack.resources)?;
    for read in READERS {
        read(resolver, &present, &mut stack)?;
    }
    stack.outputs = outputs::resolve(resolver)?;
    stack.warnings = resolver.warnings();
    Ok(stack)
}
