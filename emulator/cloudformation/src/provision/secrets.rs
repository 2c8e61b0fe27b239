//! Secrets Manager secrets: created once, with the template's value or a generated one.

use aws_sdk_secretsmanager::error::DisplayErrorContext;
use aws_sdk_secretsmanager::Client;

use super::report::{Action, Provisioned};
use crate::error::{Result, StackError};
use crate::model::{GeneratedSecret, Secret, SecretValue};

/// An existing secret keeps its value: tokens signed with it stay valid across restarts.
pub async fn provision_secret(client: &Client, secret: &Secret) -> Result<Provisioned> {
    let what = format!("secret {} ({})", secret.logical_id, secret.name);
    let error = |e: String| StackError::backend(&what, e);
    let existing = client.describe_secret().secret_id(&secret.name).send().await;
    let action = match existing {
        Ok(_) => Action::Reused,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            let value = match &secret.value {
                SecretValue::Given(text) => text.clone(),
                SecretValue::Generated(settings) => generate(client, settings).await.map_err(error)?,
            };
            client
                .create_secret()
                .name(&secret.name)
                .secret_string(value)
                .send()
                .await
                .map_err(|e| error(DisplayErrorContext(e).to_string()))?;
            Action::Created
        }
        Err(e) => return Err(error(DisplayErrorContext(e).to_string())),
    };
    Ok(Provisioned {
        logical_id: secret.logical_id.clone(),
        kind: "AWS::SecretsManager::Secret".into(),
        physical_id: secret.name.clone(),
        action,
    })
}

/// `GenerateSecretString` as CloudFormation does it: the backend's `GetRandomPassword`, placed
/// into the template object when there is one.
async fn generate(client: &Client, settings: &GeneratedSecret) -> std::result::Result<String, String> {
    let password = client
        .get_random_password()
        .set_password_length(settings.length)
        .set_exclude_characters(settings.exclude_characters.clone())
        .exclude_punctuation(settings.exclude_punctuation)
        .exclude_numbers(settings.exclude_numbers)
        .exclude_lowercase(settings.exclude_lowercase)
        .exclude_uppercase(settings.exclude_uppercase)
        .include_space(settings.include_space)
        .require_each_included_type(settings.require_each_included_type)
        .send()
        .await
        .map_err(|e| DisplayErrorContext(e).to_string())?
        .random_password
        .ok_or("GetRandomPassword returned no password")?;
    let Some((template, key)) = &settings.template else {
        return Ok(password);
    };
    let mut object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(template)
        .map_err(|e| format!("SecretStringTemplate is not a JSON object: {e}"))?;
    object.insert(key.clone(), password.into());
    Ok(serde_json::Value::Object(object).to_string())
}
