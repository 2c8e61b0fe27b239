//! One `$connect` authorization: the origin header, the token, the key its algorithm calls for,
//! the decision, the log line and the answer.

use aws_config::SdkConfig;
use jsonwebtoken::{decode_header, Algorithm};
use lambda_runtime::Diagnostic;
use serde_json::Value;

use crate::config::AuthorizerConfig;
use crate::decision::Decision;
use crate::jwks::{Jwks, JwksError};
use crate::origin::{self, ORIGIN_HEADER};
use crate::request::ConnectRequest;
use crate::secret::{CachedSecret, SecretError, SharedSecret};
use crate::verification::{verify, Expected};

/// No key or origin secret to check a handshake with: an outage or a misconfiguration, not the
/// client's fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The HS256 key could not be read from Secrets Manager.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// The RS256 key set could not be fetched or read.
    #[error(transparent)]
    Jwks(#[from] JwksError),
    /// The origin secret could not be read from Secrets Manager.
    #[error("origin secret: {0}")]
    Origin(SecretError),
}

impl KeyError {
    /// The invocation's failure: any message but `Unauthorized`, so API Gateway answers 500.
    fn diagnostic(&self) -> Diagnostic {
        let what = match self {
            KeyError::Origin(_) => "the origin secret",
            KeyError::Secret(_) | KeyError::Jwks(_) => "the token verification key",
        };
        Diagnostic {
            error_type: "KeyUnavailable".into(),
            error_message: format!("{what} is unavailable"),
        }
    }
}

/// The `$connect` authorizer: the origin secret a handshake must carry (when configured), what a
/// token must claim, and the keys the configuration names (the HS256 secret, the RS256 key set),
/// each loaded on first use and kept for the process lifetime.
pub struct Authorizer {
    origin: Option<CachedSecret<String>>,
    expected: Expected,
    secret: Option<SharedSecret>,
    jwks: Option<Jwks>,
}

impl Authorizer {
    /// Reads no key yet: each is loaded on the first token that needs it.
    pub fn new(config: &AuthorizerConfig, sdk: &SdkConfig) -> std::io::Result<Authorizer> {
        let secrets = || aws_sdk_secretsmanager::Client::new(sdk);
        Ok(Authorizer {
            origin: config
                .origin_secret_id
                .as_deref()
                .map(|id| CachedSecret::new(secrets(), id, "origin secret", str::to_owned)),
            expected: Expected {
                audience: config.audience.clone(),
                issuer: config.issuer.clone(),
            },
            secret: config
                .secret_id
                .as_deref()
                .map(|id| SharedSecret::hs256(secrets(), id)),
            jwks: config.jwks_url.clone().map(Jwks::new).transpose()?,
        })
    }

    /// The invocation's result. A missing key or origin secret fails with another message than
    /// `Unauthorized`, so API Gateway answers 500: clients are not told their valid token is bad.
    pub async fn handle(&self, request: ConnectRequest) -> Result<Value, Diagnostic> {
        let connection_id = request
            .request_context
            .connection_id
            .as_deref()
            .unwrap_or_default();
        match self.authorize(&request).await {
            Ok(decision) => {
                log(&decision, connection_id);
                decision.response(&request.method_arn)
            }
            Err(e) => {
                tracing::error!(connection_id, error = %e, "no key to verify the handshake with");
                Err(e.diagnostic())
            }
        }
    }

    /// Decides on a handshake: with an origin secret configured, one without the right
    /// [`ORIGIN_HEADER`] is unauthorized before its token is looked at; otherwise as
    /// [`Authorizer::decide`] on its token.
    pub async fn authorize(&self, request: &ConnectRequest) -> Result<Decision, KeyError> {
        if let Some(origin) = &self.origin {
            let secret = origin.get().await.map_err(KeyError::Origin)?;
            if let Err(reason) = origin::check(secret, request.header(ORIGIN_HEADER)) {
                return Ok(Decision::unauthorized(reason));
            }
        }
        self.decide(request.token()).await
    }

    /// Decides on `token` (from [`ConnectRequest::token`]; `None` when the client sent none). The
    /// token's `alg` picks the key: HS256 the shared secret, RS256 the key set's key named by its
    /// `kid`; any other algorithm, or one whose key is not configured, is unauthorized. Fails
    /// only when the key it needs cannot be loaded.
    pub async fn decide(&self, token: Option<&str>) -> Result<Decision, KeyError> {
        let Some(token) = token else {
            return Ok(Decision::unauthorized("no token"));
        };
        let Ok(header) = decode_header(token) else {
            return Ok(Decision::unauthorized("malformed token"));
        };
        match (header.alg, &self.secret, &self.jwks) {
            (Algorithm::HS256, Some(secret), _) => Ok(verify(token, secret.get().await?, &self.expected)),
            (Algorithm::RS256, _, Some(jwks)) => {
                let Some(kid) = header.kid else {
                    return Ok(Decision::unauthorized("no key id"));
                };
                Ok(match jwks.key(&kid).await? {
                    Some(key) => verify(token, &key, &self.expected),
                    None => Decision::unauthorized("unknown key id"),
                })
            }
            _ => Ok(Decision::unauthorized("algorithm not accepted")),
        }
    }
}

/// The decision with what explains it; never the token.
fn log(decision: &Decision, connection_id: &str) {
    match decision {
        Decision::Allow { sub } => {
            tracing::info!(decision = "allow", sub = %sub, connection_id, "connection authorized")
        }
        Decision::Deny { sub, reason } => {
            tracing::info!(decision = "deny", reason, sub = %sub, connection_id, "connection denied")
        }
        Decision::Unauthorized { reason } => {
            tracing::info!(
                decision = "unauthorized",
                reason,
                connection_id,
                "connection refused"
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_config::BehaviorVersion;
    use jsonwebtoken::{encode, EncodingKey, Header};
    use serde_json::json;

    /// Tokens refused here are refused before any key is read: no backend is involved.
    fn authorizer(secret_id: Option<&str>, jwks_url: Option<&str>) -> Authorizer {
        let config = AuthorizerConfig {
            audience: "wsflow".into(),
            issuer: None,
            secret_id: secret_id.map(str::to_owned),
            jwks_url: jwks_url.map(|u| u.parse().unwrap()),
            origin_secret_id: None,
        };
        let sdk = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .build();
        Authorizer::new(&config, &sdk).unwrap()
    }

    fn token(header: Header) -> String {
        let claims =
            json!({ "sub": "alice", "aud": "wsflow", "exp": jsonwebtoken::get_current_timestamp() + 60 });
        let key = match header.alg {
            Algorithm::RS256 => {
                EncodingKey::from_rsa_pem(include_bytes!("../tests/fixtures/rsa-private.pem")).unwrap()
            }
            _ => EncodingKey::from_secret(b"k"),
        };
        encode(&header, &claims, &key).unwrap()
    }

    async fn decide(authorizer: &Authorizer, token: Option<&str>) -> Decision {
        authorizer.decide(token).await.unwrap()
    }

    #[tokio::test]
    async fn no_token_and_garbage_are_unauthorized() {
        let a = authorizer(Some("s"), None);
        assert_eq!(decide(&a, None).await, Decision::unauthorized("no token"));
        assert_eq!(
            decide(&a, Some("not-a-jwt")).await,
            Decision::unauthorized("malformed token")
        );
    }

    #[tokio::test]
    async fn rs256_is_refused_without_a_key_set() {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some("wsflow-test-1".into());
        let rs256 = token(header);
        let a = authorizer(Some("s"), None);
        assert_eq!(
            decide(&a, Some(&rs256)).await,
            Decision::unauthorized("algorithm not accepted")
        );
    }

    #[tokio::test]
    async fn hs256_is_refused_without_a_shared_secret() {
        let a = authorizer(None, Some("http://127.0.0.1:9/jwks.json"));
        let hs256 = token(Header::new(Algorithm::HS256));
        assert_eq!(
            decide(&a, Some(&hs256)).await,
            Decision::unauthorized("algorithm not accepted")
        );
        let hs512 = token(Header::new(Algorithm::HS512));
        assert_eq!(
            decide(&a, Some(&hs512)).await,
            Decision::unauthorized("algorithm not accepted")
        );
    }

    #[tokio::test]
    async fn rs256_without_a_key_id_is_unauthorized() {
        let a = authorizer(None, Some("http://127.0.0.1:9/jwks.json"));
        let rs256 = token(Header::new(Algorithm::RS256));
        assert_eq!(
            decide(&a, Some(&rs256)).await,
            Decision::unauthorized("no key id")
        );
    }

    #[tokio::test]
    async fn an_unreachable_key_set_is_an_outage_not_a_bad_token() {
        let a = authorizer(None, Some("http://127.0.0.1:9/jwks.json"));
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some("wsflow-test-1".into());
        let rs256 = token(header);
        let error = a.decide(Some(&rs256)).await.unwrap_err();
        assert!(matches!(error, KeyError::Jwks(_)), "{error}");
        assert!(
            error.to_string().contains("http://127.0.0.1:9/jwks.json"),
            "{error}"
        );
        // Within the minute the server is not asked again, and the key id is unknown.
        assert_eq!(
            decide(&a, Some(&rs256)).await,
            Decision::unauthorized("unknown key id")
        );
    }
}
