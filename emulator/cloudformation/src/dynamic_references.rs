//! CloudFormation dynamic references to Secrets Manager,
//! `{{resolve:secretsmanager:secret-id:SecretString:json-key:version-stage:version-id}}`
//! ("Get a secret or secret value from Secrets Manager with a dynamic reference",
//! https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-secretsmanager.html).
//!
//! CloudFormation resolves them when it creates a resource; local mode resolves them once
//! [`crate::provision()`] has created the stack's secrets, for the values the emulators need
//! (the origin headers of a distribution). Only `secretsmanager` references are read: `ssm`
//! and `ssm-secure` ones are an error naming them.

use aws_config::SdkConfig;
use aws_sdk_secretsmanager::error::DisplayErrorContext;
use aws_sdk_secretsmanager::Client;

use crate::error::{Result, StackError};

const OPEN: &str = "{{resolve:";
const CLOSE: &str = "}}";

/// `text` with every dynamic reference replaced by the value it names on the backend `sdk`
/// points at; `what` says where the text is, for errors.
pub async fn resolve(sdk: &SdkConfig, text: &str, what: &str) -> Result<String> {
    if !text.contains(OPEN) {
        return Ok(text.to_owned());
    }
    let client = Client::new(sdk);
    let mut resolved = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(OPEN) {
        let after = &rest[at + OPEN.len()..];
        let end = after
            .find(CLOSE)
            .ok_or_else(|| StackError::invalid(what, "has an unclosed `{{resolve:` dynamic reference"))?;
        let reference = Reference::parse(&after[..end]).map_err(|why| StackError::invalid(what, why))?;
        resolved.push_str(&rest[..at]);
        resolved.push_str(&reference.value(&client, what).await?);
        rest = &after[end + CLOSE.len()..];
    }
    resolved.push_str(rest);
    Ok(resolved)
}

/// The parts of `secretsmanager:secret-id:SecretString:json-key:version-stage:version-id`;
/// empty parts are absent, as CloudFormation reads them.
#[derive(Debug, PartialEq)]
struct Reference<'a> {
    secret_id: &'a str,
    json_key: Option<&'a str>,
    version_stage: Option<&'a str>,
    version_id: Option<&'a str>,
}

impl<'a> Reference<'a> {
    fn parse(inner: &'a str) -> std::result::Result<Reference<'a>, String> {
        let Some(spec) = inner.strip_prefix("secretsmanager:") else {
            let service = inner.split(':').next().unwrap_or_default();
            return Err(format!(
                "has a `{service}` dynamic reference; local mode resolves `secretsmanager` ones only"
            ));
        };
        // A secret id may itself be an ARN (`arn:aws:secretsmanager:…:secret:name`), whose
        // colons are not separators: the fields are counted from `SecretString`.
        let (secret_id, fields) = match spec.find(":SecretString") {
            Some(at) => (
                &spec[..at],
                spec[at + ":SecretString".len()..].trim_start_matches(':'),
            ),
            None => (spec, ""),
        };
        let mut fields = fields.split(':').map(|f| Some(f).filter(|f| !f.is_empty()));
        Ok(Reference {
            secret_id,
            json_key: fields.next().flatten(),
            version_stage: fields.next().flatten(),
            version_id: fields.next().flatten(),
        })
    }

    async fn value(&self, client: &Client, what: &str) -> Result<String> {
        let secret = client
            .get_secret_value()
            .secret_id(self.secret_id)
            .set_version_stage(self.version_stage.map(str::to_owned))
            .set_version_id(self.version_id.map(str::to_owned))
            .send()
            .await
            .map_err(|e| {
                StackError::backend(
                    format!("{what}: reading secret {}", self.secret_id),
                    DisplayErrorContext(e),
                )
            })?;
        let text = secret.secret_string.unwrap_or_default();
        let Some(key) = self.json_key else {
            return Ok(text);
        };
        let object: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        object
            .get(key)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| {
                StackError::invalid(
                    what,
                    format!("secret {} has no string key `{key}`", self.secret_id),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::Reference;

    #[test]
    fn references_name_a_secret_and_optionally_a_key_and_version() {
        let parsed = Reference::parse("secretsmanager:wsflow-OriginSecret:SecretString:::").unwrap();
        assert_eq!(
            parsed,
            Reference {
                secret_id: "wsflow-OriginSecret",
                json_key: None,
                version_stage: None,
                version_id: None,
            }
        );
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:s-AbCdEf";
        let text = format!("secretsmanager:{arn}:SecretString:password:AWSCURRENT");
        let parsed = Reference::parse(&text).unwrap();
        assert_eq!(parsed.secret_id, arn);
        assert_eq!(parsed.json_key, Some("password"));
        assert_eq!(parsed.version_stage, Some("AWSCURRENT"));
        assert_eq!(
            Reference::parse("secretsmanager:plain").unwrap().secret_id,
            "plain"
        );
        assert!(Reference::parse("ssm:/my/parameter").is_err());
    }
}
