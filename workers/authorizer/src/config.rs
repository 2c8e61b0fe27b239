//! The authorizer's configuration from environment variables, with errors that name the variable
//! (the same `ConfigError` as the worker's).

use hyper::Uri;
use wsflow_aws::ConfigError;

/// What the authorizer accepts: the audience (and optionally the issuer) a token must name, its
/// key sources, at least one of `secret_id` and `jwks_url`, and optionally the origin secret
/// every handshake must carry. Values are trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizerConfig {
    /// `JWT_AUDIENCE`: every accepted token's `aud` must contain it.
    pub audience: String,
    /// `JWT_ISSUER`: when set, every accepted token's `iss` must be it.
    pub issuer: Option<String>,
    /// `JWT_SECRET_ID`: the Secrets Manager secret whose SecretString is the HS256 key.
    pub secret_id: Option<String>,
    /// `JWKS_URL`: where the RS256 public keys are published.
    pub jwks_url: Option<Uri>,
    /// `ORIGIN_SECRET_ID`: the Secrets Manager secret whose SecretString CloudFront sends as the
    /// `X-Origin-Verify` header; when set, a handshake without it is unauthorized.
    pub origin_secret_id: Option<String>,
}

impl AuthorizerConfig {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        // An empty optional variable counts as unset: templates often pass "" for "none".
        let optional = |var: &str| lookup(var).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let audience = match lookup("JWT_AUDIENCE") {
            None => return Err(problem("JWT_AUDIENCE", "is not set")),
            Some(v) if v.trim().is_empty() => return Err(problem("JWT_AUDIENCE", "is empty")),
            Some(v) => v.trim().to_owned(),
        };
        let secret_id = optional("JWT_SECRET_ID");
        let jwks_url = optional("JWKS_URL")
            .map(|url| parse_url("JWKS_URL", &url))
            .transpose()?;
        if secret_id.is_none() && jwks_url.is_none() {
            return Err(problem(
                "JWT_SECRET_ID",
                "is not set, and neither is JWKS_URL: set at least one (HS256 key or RS256 key set)",
            ));
        }
        Ok(AuthorizerConfig {
            audience,
            issuer: optional("JWT_ISSUER"),
            secret_id,
            jwks_url,
            origin_secret_id: optional("ORIGIN_SECRET_ID"),
        })
    }
}

fn parse_url(var: &'static str, value: &str) -> Result<Uri, ConfigError> {
    let bad = || problem(var, format!("must be an http(s) URL, got `{value}`"));
    let uri: Uri = value.parse().map_err(|_| bad())?;
    match (uri.scheme_str(), uri.host()) {
        (Some("http" | "https"), Some(_)) => Ok(uri),
        _ => Err(bad()),
    }
}

fn problem(var: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError::new(var, problem)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(vars: &[(&str, &str)]) -> Result<AuthorizerConfig, ConfigError> {
        let vars: HashMap<&str, &str> = vars.iter().copied().collect();
        AuthorizerConfig::from_lookup(|k| vars.get(k).map(|v| v.to_string()))
    }

    #[test]
    fn a_secret_alone_is_enough() {
        let config = load(&[
            ("JWT_AUDIENCE", " wsflow "),
            ("JWT_SECRET_ID", "wsflow/jwt-signing-key"),
        ])
        .unwrap();
        assert_eq!(config.audience, "wsflow");
        assert_eq!(config.secret_id.as_deref(), Some("wsflow/jwt-signing-key"));
        assert_eq!(config.jwks_url, None);
        assert_eq!(config.issuer, None);
        assert_eq!(config.origin_secret_id, None);
    }

    #[test]
    fn the_origin_secret_is_optional_and_trimmed() {
        let config = load(&[
            ("JWT_AUDIENCE", "wsflow"),
            ("JWT_SECRET_ID", "s"),
            ("ORIGIN_SECRET_ID", " wsflow/origin-verify "),
        ])
        .unwrap();
        assert_eq!(config.origin_secret_id.as_deref(), Some("wsflow/origin-verify"));
        let blank = load(&[
            ("JWT_AUDIENCE", "wsflow"),
            ("JWT_SECRET_ID", "s"),
            ("ORIGIN_SECRET_ID", ""),
        ]);
        assert_eq!(blank.unwrap().origin_secret_id, None);
    }

    #[test]
    fn a_key_set_alone_is_enough_and_empty_optionals_are_unset() {
        let config = load(&[
            ("JWT_AUDIENCE", "wsflow"),
            ("JWT_SECRET_ID", ""),
            ("JWKS_URL", "https://auth.example.com/.well-known/jwks.json"),
            ("JWT_ISSUER", "https://auth.example.com/"),
        ])
        .unwrap();
        assert_eq!(config.secret_id, None);
        assert_eq!(config.jwks_url.unwrap().host(), Some("auth.example.com"));
        assert_eq!(config.issuer.as_deref(), Some("https://auth.example.com/"));
    }

    /// The variables set, the variable blamed, and what its error says.
    type Case = (
        &'static [(&'static str, &'static str)],
        &'static str,
        &'static str,
    );

    #[test]
    fn each_problem_names_its_variable() {
        let cases: [Case; 4] = [
            (
                &[("JWT_SECRET_ID", "s")],
                "JWT_AUDIENCE",
                "JWT_AUDIENCE is not set",
            ),
            (
                &[("JWT_AUDIENCE", " "), ("JWT_SECRET_ID", "s")],
                "JWT_AUDIENCE",
                "JWT_AUDIENCE is empty",
            ),
            (&[("JWT_AUDIENCE", "a")], "JWT_SECRET_ID", "neither is JWKS_URL"),
            (
                &[("JWT_AUDIENCE", "a"), ("JWKS_URL", "ftp://keys")],
                "JWKS_URL",
                "JWKS_URL must be an http(s) URL, got `ftp://keys`",
            ),
        ];
        for (vars, var, expected) in cases {
            let err = load(vars).unwrap_err();
            assert_eq!(err.var, var);
            assert!(err.to_string().contains(expected), "{err}");
        }
    }
}
