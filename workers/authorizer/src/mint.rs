//! Signing HS256 tokens the authorizer accepts (`wsflow token`, tests).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde::Serialize;

/// Whom a token is for, for which API, and for how long.
#[derive(Debug, Clone)]
pub struct Grant<'a> {
    /// `sub`: whom the token names; the authorizer makes it the connection's `userId`.
    pub subject: &'a str,
    /// `aud`: the authorizer accepts only its `JWT_AUDIENCE`.
    pub audience: &'a str,
    /// `iss`, left out when `None`; required to match when the authorizer has a `JWT_ISSUER`.
    pub issuer: Option<&'a str>,
    /// How long the token is valid: `exp` is `iat` plus this, in whole seconds.
    pub ttl: Duration,
}

/// A signed token and when it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Minted {
    /// The compact JWT, `header.claims.signature`.
    pub token: String,
    /// `exp`, in seconds since the Unix epoch.
    pub expires_at: u64,
}

#[derive(Serialize)]
struct Claims<'a> {
    sub: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<&'a str>,
}

/// Signs `grant` with the HS256 `secret` as issued at `now` (a past `now` makes expired tokens).
pub fn mint(secret: &[u8], grant: &Grant, now: SystemTime) -> jsonwebtoken::errors::Result<Minted> {
    let iat = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let exp = iat + grant.ttl.as_secs();
    let claims = Claims {
        sub: grant.subject,
        aud: grant.audience,
        iat,
        exp,
        iss: grant.issuer,
    };
    let token = encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret),
    )?;
    Ok(Minted {
        token,
        expires_at: exp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::dangerous::insecure_decode;
    use serde_json::{json, Value};

    #[test]
    fn the_token_carries_exactly_the_grant() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let grant = Grant {
            subject: "alice",
            audience: "wsflow",
            issuer: None,
            ttl: Duration::from_secs(3600),
        };
        let minted = mint(b"key", &grant, now).unwrap();
        assert_eq!(minted.expires_at, 1_700_003_600);
        let data = insecure_decode::<Value>(&minted.token).unwrap();
        assert_eq!(data.header.alg, Algorithm::HS256);
        assert_eq!(
            data.claims,
            json!({ "sub": "alice", "aud": "wsflow", "iat": 1_700_000_000, "exp": 1_700_003_600 })
        );
        let with_issuer = mint(
            b"key",
            &Grant {
                issuer: Some("me"),
                ..grant
            },
            now,
        )
        .unwrap();
        assert_eq!(
            insecure_decode::<Value>(&with_issuer.token).unwrap().claims["iss"],
            "me"
        );
    }
}
