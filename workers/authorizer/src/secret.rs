//! Secrets Manager secrets the authorizer reads: the HS256 key (the SecretString's bytes as they
//! are) and the origin secret CloudFront sends (see [`crate::origin`]).

use aws_sdk_secretsmanager::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_secretsmanager::Client;
use tokio::sync::OnceCell;

use crate::verification::VerificationKey;

/// Why a secret could not be read; every variant names the secret id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// No such secret (`ResourceNotFoundException`).
    #[error("secret `{0}` does not exist")]
    NotFound(String),
    /// A binary secret: it has a SecretBinary, no SecretString.
    #[error("secret `{0}` has no SecretString (a binary secret cannot be used)")]
    NotAString(String),
    /// The SecretString is empty.
    #[error("secret `{0}` is empty")]
    Empty(String),
    /// Any other failure of `GetSecretValue`: access denied, throttling, network, …
    #[error("reading secret `{id}`: {message}")]
    Call {
        /// The secret id.
        id: String,
        /// The SDK error with its causes.
        message: String,
    },
}

/// GetSecretValue, with the secret named in every error.
pub async fn read(client: &Client, id: &str) -> Result<String, SecretError> {
    let out = client
        .get_secret_value()
        .secret_id(id)
        .send()
        .await
        .map_err(|e| {
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception())
            {
                SecretError::NotFound(id.to_owned())
            } else {
                tracing::debug!(secret = id, error = %DisplayErrorContext(&e), "GetSecretValue failed");
                SecretError::Call {
                    id: id.to_owned(),
                    message: summary(&e),
                }
            }
        })?;
    match out.secret_string {
        Some(value) if value.is_empty() => Err(SecretError::Empty(id.to_owned())),
        Some(value) => Ok(value),
        None => Err(SecretError::NotAString(id.to_owned())),
    }
}

/// What went wrong, in one line a person can act on; the SDK's full chain is logged at debug.
fn summary<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> String {
    match error {
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("an error");
            let message = service.err().message().unwrap_or_default();
            format!("Secrets Manager answered {code} {message}")
                .trim_end()
                .to_owned()
        }
        SdkError::DispatchFailure(failure) if format!("{failure:?}").contains("CredentialsNotLoaded") => {
            "no AWS credentials found (environment, profile, SSO or instance role)".to_owned()
        }
        SdkError::DispatchFailure(failure) if failure.is_io() => {
            "could not connect to Secrets Manager".to_owned()
        }
        SdkError::TimeoutError(_) => "Secrets Manager did not answer in time".to_owned(),
        _ => "the request to Secrets Manager failed".to_owned(),
    }
}

/// A secret's SecretString, read on first use, turned into a `T` and kept for the process
/// lifetime: the HS256 key ([`SharedSecret`]) and the origin secret.
///
/// Lazily rather than at init: a failed read then fails one invocation (API Gateway answers 500)
/// and the next one tries again in the same execution environment, where a failed init would
/// cost a new cold start each time; and an environment that only ever sees RS256 tokens never
/// reads the HS256 key. A failed read is not cached.
pub struct CachedSecret<T> {
    client: Client,
    id: String,
    /// What the secret is, for the log line when it is loaded.
    purpose: &'static str,
    parse: fn(&str) -> T,
    value: OnceCell<T>,
}

impl<T> CachedSecret<T> {
    /// The secret `id` (a name or an ARN), to be read with `client` and turned into a `T` by
    /// `parse`; reads nothing yet.
    pub fn new(client: Client, id: &str, purpose: &'static str, parse: fn(&str) -> T) -> Self {
        CachedSecret {
            client,
            id: id.to_owned(),
            purpose,
            parse,
            value: OnceCell::new(),
        }
    }

    /// The value, reading the secret on the first call and again after a failed read.
    pub async fn get(&self) -> Result<&T, SecretError> {
        self.value
            .get_or_try_init(|| async {
                // Boxed: the SDK call's future nests deep enough to overflow rustc's query depth
                // limit in the binary's main future; it runs once per process anyway.
                let secret = Box::pin(read(&self.client, &self.id)).await?;
                tracing::info!(secret_id = %self.id, "{} loaded", self.purpose);
                Ok((self.parse)(&secret))
            })
            .await
    }
}

/// The HS256 key: the SecretString's bytes as they are.
pub type SharedSecret = CachedSecret<VerificationKey>;

impl SharedSecret {
    /// The HS256 key of the secret `id`; reads nothing yet.
    pub fn hs256(client: Client, id: &str) -> SharedSecret {
        CachedSecret::new(client, id, "HS256 key", |secret| {
            VerificationKey::hs256(secret.as_bytes())
        })
    }
}
