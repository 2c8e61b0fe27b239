//! `AWS::SecretsManager::Secret`: a given value, or the settings to generate one with.

use serde_json::{Map, Value};

use super::present::Present;
use super::props::{get_str, get_u32, props};
use crate::error::{Result, StackError};
use crate::intrinsics::Resolver;
use crate::model::{GeneratedSecret, Secret, SecretValue, Stack};
use crate::template::Resource;

pub(super) fn read(resolver: &Resolver<'_>, present: &Present<'_>, stack: &mut Stack) -> Result<()> {
    for resource in present.of("AWS::SecretsManager::Secret") {
        stack.secrets.push(secret(resolver, resource)?);
    }
    Ok(())
}

fn secret(resolver: &Resolver<'_>, resource: &Resource) -> Result<Secret> {
    let sp = props(resolver, resource);
    let name = resolver.physical_name(&resource.logical_id, &sp.path("Name"))?;
    // Neither property given means a generated value with Secrets Manager's defaults.
    let value = match (sp.string("SecretString")?, sp.value("GenerateSecretString")?) {
        (Some(text), None) => SecretValue::Given(text),
        (None, Some(Value::Object(settings))) => {
            SecretValue::Generated(generated_secret(&settings, &sp.path("GenerateSecretString"))?)
        }
        (None, None) => SecretValue::Generated(GeneratedSecret::default()),
        _ => {
            return Err(StackError::invalid(
                sp.path("SecretString"),
                "give either SecretString or a GenerateSecretString object",
            ))
        }
    };
    Ok(Secret {
        logical_id: resource.logical_id.clone(),
        name,
        value,
    })
}

fn generated_secret(settings: &Map<String, Value>, path: &str) -> Result<GeneratedSecret> {
    let flag = |key: &str| -> Result<bool> {
        Ok(matches!(
            get_str(settings, key, path)?.as_deref(),
            Some("true" | "True")
        ))
    };
    let template = string_template(settings, path)?;
    Ok(GeneratedSecret {
        length: get_u32(settings, "PasswordLength", path)?.map(i64::from),
        exclude_characters: get_str(settings, "ExcludeCharacters", path)?,
        exclude_punctuation: flag("ExcludePunctuation")?,
        exclude_numbers: flag("ExcludeNumbers")?,
        exclude_lowercase: flag("ExcludeLowercase")?,
        exclude_uppercase: flag("ExcludeUppercase")?,
        include_space: flag("IncludeSpace")?,
        require_each_included_type: flag("RequireEachIncludedType")?,
        template,
    })
}

/// `SecretStringTemplate` with `GenerateStringKey`: one without the other is an error, as in
/// CloudFormation.
fn string_template(settings: &Map<String, Value>, path: &str) -> Result<Option<(String, String)>> {
    match (
        get_str(settings, "SecretStringTemplate", path)?,
        get_str(settings, "GenerateStringKey", path)?,
    ) {
        (Some(template), Some(key)) => Ok(Some((template, key))),
        (None, None) => Ok(None),
        _ => Err(StackError::invalid(
            path,
            "SecretStringTemplate and GenerateStringKey go together",
        )),
    }
}
