//! `wsflow token`: an HS256 token the `$connect` authorizer accepts, signed with the key it
//! reads from Secrets Manager.

use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use clap::Args;
use serde_json::json;
use wsflow_authorizer::mint::{mint, Grant};
use wsflow_authorizer::secret::{self, SecretError};

use crate::context::Context;

/// Longer-lived tokens belong to a real identity provider.
const MAX_TTL: Duration = Duration::from_secs(30 * 86_400);

#[derive(Args)]
#[command(about = "Mint a token for the WebSocket API's $connect authorizer (prints it alone)")]
#[command(
    after_help = "The token goes in `Authorization: Bearer <token>` or, from browsers, in the `token`
query string parameter of the WebSocket URL.

Examples:
  TOKEN=$(wsflow --endpoint-url http://127.0.0.1:4566 token --sub alice)
  npx wscat -c \"ws://127.0.0.1:8080/?token=$TOKEN\"
  npx wscat -c ws://127.0.0.1:8080 -H \"Authorization: Bearer $TOKEN\"
  wsflow token --sub alice --ttl 15m --json
  wsflow token --sub ci-bot --ttl 7d --issuer https://auth.example.com
  wsflow --region eu-west-1 token --sub alice --secret-id prod/jwt-signing-key"
)]
pub struct TokenArgs {
    /// The user the token is for (`sub`, the connection's `userId`).
    #[arg(long, value_parser = parse_sub)]
    sub: String,
    /// Lifetime: 30s, 15m, 1h, 7d … at most 30d.
    #[arg(long, default_value = "1h", value_parser = parse_ttl)]
    ttl: Duration,
    /// The `aud` claim; must be the authorizer's JWT_AUDIENCE.
    #[arg(long, default_value = "wsflow")]
    audience: String,
    /// The `iss` claim; needed when the authorizer has a JWT_ISSUER.
    #[arg(long)]
    issuer: Option<String>,
    /// Secrets Manager secret whose SecretString is the HS256 key (the authorizer's JWT_SECRET_ID).
    #[arg(long, default_value = "wsflow/jwt-signing-key", value_name = "ID")]
    secret_id: String,
}

fn parse_sub(sub: &str) -> Result<String, String> {
    match sub.trim() {
        "" => Err("must not be empty".into()),
        sub => Ok(sub.to_owned()),
    }
}

fn parse_ttl(text: &str) -> Result<Duration, String> {
    let ttl = humantime::parse_duration(text).map_err(|e| format!("{e}; write e.g. 30s, 15m, 1h or 7d"))?;
    if ttl.as_secs() == 0 {
        return Err("must be at least 1s".into());
    }
    if ttl > MAX_TTL {
        return Err("must be at most 30d".into());
    }
    Ok(ttl)
}

pub async fn run(context: &Context, args: TokenArgs) -> anyhow::Result<ExitCode> {
    let client = aws_sdk_secretsmanager::Client::new(&context.sdk);
    let key = secret::read(&client, &args.secret_id)
        .await
        .map_err(|e| with_hint(context, e))?;
    let grant = Grant {
        subject: &args.sub,
        audience: &args.audience,
        issuer: args.issuer.as_deref(),
        ttl: args.ttl,
    };
    let minted = mint(key.as_bytes(), &grant, SystemTime::now()).context("signing the token")?;
    let expires_at = UNIX_EPOCH + Duration::from_secs(minted.expires_at);
    context.print(
        &json!({
            "token": minted.token,
            "sub": args.sub,
            "expiresAt": humantime::format_rfc3339_seconds(expires_at).to_string(),
        }),
        || minted.token.clone(),
    );
    Ok(ExitCode::SUCCESS)
}

/// The usual cause of a missing secret, locally, is that nothing serves it.
fn with_hint(context: &Context, error: SecretError) -> anyhow::Error {
    if !matches!(error, SecretError::NotFound(_) | SecretError::Call { .. }) {
        return error.into();
    }
    let hint = match context.sdk.endpoint_url() {
        Some(url) => {
            format!("(at {url}): is `wsflow dev` running there? It creates the secret on its backend")
        }
        None => "(in AWS, no --endpoint-url): for local mode, run `wsflow dev` and pass \
                 --endpoint-url http://127.0.0.1:4566"
            .into(),
    };
    anyhow::anyhow!("{error} {hint}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn humane_lifetimes_parse_within_bounds() {
        assert_eq!(parse_ttl("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_ttl("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_ttl("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_ttl("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_ttl("30d"), Ok(MAX_TTL));
    }

    #[test]
    fn zero_too_long_and_nonsense_lifetimes_are_refused() {
        assert_eq!(parse_ttl("0s"), Err("must be at least 1s".into()));
        assert_eq!(parse_ttl("500ms"), Err("must be at least 1s".into()));
        assert_eq!(parse_ttl("31d"), Err("must be at most 30d".into()));
        assert!(parse_ttl("soon").unwrap_err().contains("e.g. 30s"));
    }
}
