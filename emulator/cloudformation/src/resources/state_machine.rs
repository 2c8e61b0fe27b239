//! `AWS::StepFunctions::StateMachine`, with an inline definition.

use super::handling::mark_unsupported;
use super::present::Present;
use super::props::{props, Props};
use crate::error::{Result, StackError};
use crate::intrinsics::{state_machine_arn, Resolver};
use crate::model::{Stack, StateMachine, StateMachineKind};
use crate::template::Resource;

pub(super) fn read(resolver: &Resolver<'_>, present: &Present<'_>, stack: &mut Stack) -> Result<()> {
    for resource in present.of("AWS::StepFunctions::StateMachine") {
        match state_machine(resolver, resource)? {
            Some(machine) => stack.state_machines.push(machine),
            None => mark_unsupported(
                &mut stack.resources,
                &resource.logical_id,
                "the definition is in S3 (DefinitionS3Location); inline it with DefinitionString",
            ),
        }
    }
    Ok(())
}

/// `None` when the definition is in S3.
fn state_machine(resolver: &Resolver<'_>, resource: &Resource) -> Result<Option<StateMachine>> {
    let p = props(resolver, resource);
    let id = &resource.logical_id;
    let name = resolver.physical_name(id, &p.path("StateMachineName"))?;
    let Some(definition) = definition(&p, resource)? else {
        return Ok(None);
    };
    let definition = substituted(resolver, &p, id, definition)?;
    let kind = kind(&p)?;
    Ok(Some(StateMachine {
        logical_id: id.clone(),
        arn: state_machine_arn(resolver.env(), &name),
        name,
        kind,
        definition,
        role_arn: p.required_string("RoleArn")?,
    }))
}

/// `DefinitionString`, or `Definition` as JSON text; `None` when it is in S3.
fn definition(p: &Props<'_, '_>, resource: &Resource) -> Result<Option<String>> {
    if let Some(text) = p.string("DefinitionString")? {
        Ok(Some(text))
    } else if let Some(object) = p.value("Definition")? {
        Ok(Some(
            serde_json::to_string_pretty(&object).expect("JSON values serialize"),
        ))
    } else if resource.properties.contains_key("DefinitionS3Location") {
        Ok(None)
    } else {
        Err(StackError::invalid(
            p.path("DefinitionString"),
            "the state machine has no definition",
        ))
    }
}

/// The definition with `DefinitionSubstitutions` applied. A `${…}` left over is only warned
/// about: ASL may contain the text legitimately.
fn substituted(
    resolver: &Resolver<'_>,
    p: &Props<'_, '_>,
    id: &str,
    mut definition: String,
) -> Result<String> {
    for (key, value) in &p.string_map("DefinitionSubstitutions")? {
        definition = definition.replace(&format!("${{{key}}}"), value);
    }
    if let Some(at) = definition.find("${") {
        let rest: String = definition[at..].chars().take(40).collect();
        resolver.warn(format!(
            "{id}: the definition still contains `{rest}…` after DefinitionSubstitutions"
        ));
    }
    Ok(definition)
}

fn kind(p: &Props<'_, '_>) -> Result<StateMachineKind> {
    match p.string("StateMachineType")?.as_deref() {
        None | Some("STANDARD") => Ok(StateMachineKind::Standard),
        Some("EXPRESS") => Ok(StateMachineKind::Express),
        Some(other) => Err(StackError::invalid(
            p.path("StateMachineType"),
            format!("`{other}` is neither STANDARD nor EXPRESS"),
        )),
    }
}
