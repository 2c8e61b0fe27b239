//! Verifying a token with `jsonwebtoken` against one key, and sorting the failures into
//! "not a usable token" (401) and "a genuine token, but not for this API" (403).

use jsonwebtoken::errors::{Error, ErrorKind};
use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use crate::decision::Decision;

/// Clock skew tolerated on `exp` and `nbf`.
const LEEWAY_SECONDS: u64 = 5;

/// What a token must claim to be for this API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// Must be the token's `aud` or one of its entries.
    pub audience: String,
    /// When set, the token's `iss` is required and must equal it.
    pub issuer: Option<String>,
}

/// A key with the one algorithm it verifies. The key decides the algorithm, never the token's
/// header: an HS256 token is never checked against an RSA key's bytes, nor RS256 against the
/// shared secret (the classic algorithm confusion).
#[derive(Clone)]
pub struct VerificationKey {
    key: DecodingKey,
    algorithm: Algorithm,
}

impl VerificationKey {
    /// A shared secret's bytes, for HS256 only.
    pub fn hs256(secret: &[u8]) -> VerificationKey {
        VerificationKey {
            key: DecodingKey::from_secret(secret),
            algorithm: Algorithm::HS256,
        }
    }

    /// An RSA public key, for RS256 only.
    pub fn rs256(key: DecodingKey) -> VerificationKey {
        VerificationKey {
            key,
            algorithm: Algorithm::RS256,
        }
    }

    fn claims(&self, token: &str, expected: &Expected, checks: Checks) -> Result<Claims, Error> {
        let validation = validation(self.algorithm, expected, checks);
        decode::<Claims>(token, &self.key, &validation).map(|data| data.claims)
    }
}

#[derive(Deserialize)]
struct Claims {
    #[serde(default)]
    sub: Option<String>,
}

/// Which checks a token is put through.
enum Checks {
    /// Signature, algorithm, `exp` (required) and `nbf`: the token is genuine and current.
    Genuine,
    /// And `aud` (required, must contain ours), `iss` (required when configured).
    ForThisApi,
}

/// Checks `token` against `key` and decides: [`Decision::Allow`] for a genuine, current token for
/// this API, [`Decision::Deny`] for one issued for another audience or issuer, and
/// [`Decision::Unauthorized`] for anything else, a token without a subject included. `exp` is
/// required; `exp` and `nbf` tolerate 5 s of clock skew.
pub fn verify(token: &str, key: &VerificationKey, expected: &Expected) -> Decision {
    match key.claims(token, expected, Checks::ForThisApi) {
        Ok(claims) => with_subject(claims, |sub| Decision::Allow { sub }),
        Err(e) => match not_for_this_api(&e) {
            Some(reason) => deny_if_genuine(token, key, expected, reason),
            None => Decision::unauthorized(rejection(&e)),
        },
    }
}

/// `jsonwebtoken`'s audience and issuer errors carry no claims, and it reports a missing claim
/// before it checks the times: a second pass without those checks tells a current, genuine token
/// for someone else (403, with its subject) from one that is also expired (401).
fn deny_if_genuine(
    token: &str,
    key: &VerificationKey,
    expected: &Expected,
    reason: &'static str,
) -> Decision {
    match key.claims(token, expected, Checks::Genuine) {
        Ok(claims) => with_subject(claims, |sub| Decision::Deny { sub, reason }),
        Err(e) => Decision::unauthorized(rejection(&e)),
    }
}

fn validation(algorithm: Algorithm, expected: &Expected, checks: Checks) -> Validation {
    let mut validation = Validation::new(algorithm);
    validation.leeway = LEEWAY_SECONDS;
    validation.validate_nbf = true;
    let mut required = vec!["exp"];
    match checks {
        Checks::Genuine => validation.validate_aud = false,
        Checks::ForThisApi => {
            validation.set_audience(&[&expected.audience]);
            required.push("aud");
            if let Some(issuer) = &expected.issuer {
                validation.set_issuer(&[issuer]);
                required.push("iss");
            }
        }
    }
    validation.set_required_spec_claims(&required);
    validation
}

/// The policy's principal: a token that names nobody authorizes nobody.
fn with_subject(claims: Claims, decide: impl FnOnce(String) -> Decision) -> Decision {
    match claims.sub.filter(|sub| !sub.trim().is_empty()) {
        Some(sub) => decide(sub),
        None => Decision::unauthorized("no subject"),
    }
}

fn not_for_this_api(error: &Error) -> Option<&'static str> {
    match error.kind() {
        ErrorKind::InvalidAudience => Some("wrong audience"),
        ErrorKind::InvalidIssuer => Some("wrong issuer"),
        ErrorKind::MissingRequiredClaim(claim) if claim == "aud" => Some("no audience"),
        ErrorKind::MissingRequiredClaim(claim) if claim == "iss" => Some("no issuer"),
        _ => None,
    }
}

fn rejection(error: &Error) -> &'static str {
    match error.kind() {
        ErrorKind::ExpiredSignature => "expired",
        ErrorKind::ImmatureSignature => "not yet valid",
        ErrorKind::InvalidSignature => "bad signature",
        ErrorKind::MissingRequiredClaim(claim) if claim == "exp" => "no expiry",
        ErrorKind::InvalidClaimFormat(_) => "malformed claims",
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidKeyFormat | ErrorKind::InvalidRsaKey(_) => {
            "algorithm does not match the key"
        }
        _ => "malformed token",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mint::{mint, Grant};
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use jsonwebtoken::jwk::JwkSet;
    use jsonwebtoken::{encode, EncodingKey, Header};
    use serde_json::{json, Value};
    use std::time::{Duration, SystemTime};

    const SECRET: &[u8] = b"test-signing-key-0123456789abcdef";
    const PRIVATE_PEM: &[u8] = include_bytes!("../tests/fixtures/rsa-private.pem");
    const PUBLIC_PEM: &[u8] = include_bytes!("../tests/fixtures/rsa-public.pem");
    const JWKS: &str = include_str!("../tests/fixtures/jwks.json");
    const KID: &str = "wsflow-test-1";

    fn expected(issuer: Option<&str>) -> Expected {
        Expected {
            audience: "wsflow".into(),
            issuer: issuer.map(str::to_owned),
        }
    }

    fn now() -> u64 {
        jsonwebtoken::get_current_timestamp()
    }

    fn hs256(claims: Value) -> String {
        encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap()
    }

    fn rs256(claims: Value) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(KID.into());
        encode(&header, &claims, &EncodingKey::from_rsa_pem(PRIVATE_PEM).unwrap()).unwrap()
    }

    fn valid_claims() -> Value {
        json!({ "sub": "alice", "aud": "wsflow", "iat": now(), "exp": now() + 600 })
    }

    fn with(mut claims: Value, changes: Value) -> Value {
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                claims.as_object_mut().unwrap().remove(k);
            } else {
                claims[k] = v.clone();
            }
        }
        claims
    }

    fn rsa_key() -> VerificationKey {
        let set: JwkSet = serde_json::from_str(JWKS).unwrap();
        VerificationKey::rs256(DecodingKey::from_jwk(set.find(KID).unwrap()).unwrap())
    }

    fn check(token: &str, key: &VerificationKey) -> Decision {
        verify(token, key, &expected(None))
    }

    fn unauthorized(reason: &'static str) -> Decision {
        Decision::unauthorized(reason)
    }

    #[test]
    fn a_minted_token_is_allowed_as_its_subject() {
        let grant = Grant {
            subject: "alice",
            audience: "wsflow",
            issuer: Some("wsflow-cli"),
            ttl: Duration::from_secs(60),
        };
        let minted = mint(SECRET, &grant, SystemTime::now()).unwrap();
        let decision = verify(
            &minted.token,
            &VerificationKey::hs256(SECRET),
            &expected(Some("wsflow-cli")),
        );
        assert_eq!(decision, Decision::Allow { sub: "alice".into() });
    }

    #[test]
    fn an_audience_list_containing_ours_is_allowed() {
        let token = hs256(with(valid_claims(), json!({ "aud": ["other", "wsflow"] })));
        assert_eq!(
            check(&token, &VerificationKey::hs256(SECRET)),
            Decision::Allow { sub: "alice".into() }
        );
    }

    #[test]
    fn expired_is_unauthorized_beyond_the_leeway_only() {
        let key = VerificationKey::hs256(SECRET);
        let expired = hs256(with(valid_claims(), json!({ "exp": now() - 30 })));
        assert_eq!(check(&expired, &key), unauthorized("expired"));
        let within_leeway = hs256(with(valid_claims(), json!({ "exp": now() - 1 })));
        assert_eq!(
            check(&within_leeway, &key),
            Decision::Allow { sub: "alice".into() }
        );
    }

    #[test]
    fn not_before_in_the_future_is_unauthorized() {
        let token = hs256(with(valid_claims(), json!({ "nbf": now() + 120 })));
        assert_eq!(
            check(&token, &VerificationKey::hs256(SECRET)),
            unauthorized("not yet valid")
        );
    }

    #[test]
    fn a_wrong_signature_is_unauthorized() {
        let token = hs256(valid_claims());
        let other_key = VerificationKey::hs256(b"another-key-another-key-another-");
        assert_eq!(check(&token, &other_key), unauthorized("bad signature"));
        let (unsigned, _) = token.rsplit_once('.').unwrap();
        let tampered = format!("{unsigned}.{}", "A".repeat(43));
        assert_eq!(
            check(&tampered, &VerificationKey::hs256(SECRET)),
            unauthorized("bad signature")
        );
    }

    #[test]
    fn a_genuine_token_for_another_audience_is_denied() {
        let key = VerificationKey::hs256(SECRET);
        let token = hs256(with(valid_claims(), json!({ "aud": "billing" })));
        let deny = Decision::Deny {
            sub: "alice".into(),
            reason: "wrong audience",
        };
        assert_eq!(check(&token, &key), deny);
        let without_audience = hs256(with(valid_claims(), json!({ "aud": null })));
        assert!(matches!(
            check(&without_audience, &key),
            Decision::Deny {
                reason: "no audience",
                ..
            }
        ));
    }

    #[test]
    fn a_genuine_token_from_another_issuer_is_denied() {
        let key = VerificationKey::hs256(SECRET);
        let ours = expected(Some("https://auth.wsflow.dev"));
        let foreign = hs256(with(valid_claims(), json!({ "iss": "https://evil.example" })));
        assert!(matches!(
            verify(&foreign, &key, &ours),
            Decision::Deny {
                reason: "wrong issuer",
                ..
            }
        ));
        let without_issuer = hs256(valid_claims());
        assert!(matches!(
            verify(&without_issuer, &key, &ours),
            Decision::Deny {
                reason: "no issuer",
                ..
            }
        ));
        let right = hs256(with(valid_claims(), json!({ "iss": "https://auth.wsflow.dev" })));
        assert_eq!(
            verify(&right, &key, &ours),
            Decision::Allow { sub: "alice".into() }
        );
    }

    #[test]
    fn for_another_audience_but_also_expired_or_forged_is_unauthorized_not_denied() {
        let expired = hs256(json!({ "sub": "alice", "aud": "billing", "exp": now() - 60 }));
        assert_eq!(
            check(&expired, &VerificationKey::hs256(SECRET)),
            unauthorized("expired")
        );
        let forged = hs256(json!({ "sub": "alice", "aud": "billing", "exp": now() + 60 }));
        assert_eq!(
            check(&forged, &VerificationKey::hs256(b"not-the-key")),
            unauthorized("bad signature")
        );
    }

    #[test]
    fn a_missing_or_empty_subject_is_unauthorized() {
        let key = VerificationKey::hs256(SECRET);
        for changes in [
            json!({ "sub": null }),
            json!({ "sub": "" }),
            json!({ "sub": "  " }),
        ] {
            let token = hs256(with(valid_claims(), changes.clone()));
            assert_eq!(check(&token, &key), unauthorized("no subject"), "{changes}");
        }
        let elsewhere = hs256(json!({ "aud": "billing", "exp": now() + 60 }));
        assert_eq!(check(&elsewhere, &key), unauthorized("no subject"));
    }

    #[test]
    fn a_token_without_expiry_is_unauthorized() {
        let token = hs256(with(valid_claims(), json!({ "exp": null })));
        assert_eq!(
            check(&token, &VerificationKey::hs256(SECRET)),
            unauthorized("no expiry")
        );
    }

    #[test]
    fn rs256_verifies_against_the_key_set() {
        assert_eq!(
            check(&rs256(valid_claims()), &rsa_key()),
            Decision::Allow { sub: "alice".into() }
        );
        let elsewhere = rs256(with(valid_claims(), json!({ "aud": "billing" })));
        assert!(matches!(check(&elsewhere, &rsa_key()), Decision::Deny { .. }));
    }

    #[test]
    fn an_hs256_token_signed_with_the_public_key_does_not_verify_against_it() {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(KID.into());
        let forged = encode(&header, &valid_claims(), &EncodingKey::from_secret(PUBLIC_PEM)).unwrap();
        assert_eq!(
            check(&forged, &rsa_key()),
            unauthorized("algorithm does not match the key")
        );
        // Nor where HS256 is accepted: the shared secret is not the public key.
        assert_eq!(
            check(&forged, &VerificationKey::hs256(SECRET)),
            unauthorized("bad signature")
        );
    }

    #[test]
    fn an_rs256_token_does_not_verify_against_the_shared_secret() {
        let token = rs256(valid_claims());
        assert_eq!(
            check(&token, &VerificationKey::hs256(SECRET)),
            unauthorized("algorithm does not match the key")
        );
        assert_eq!(
            check(&token, &VerificationKey::hs256(PUBLIC_PEM)),
            unauthorized("algorithm does not match the key")
        );
    }

    #[test]
    fn alg_none_and_garbage_are_malformed() {
        let b64 = |v: Value| URL_SAFE_NO_PAD.encode(v.to_string());
        let unsigned = format!(
            "{}.{}.",
            b64(json!({ "alg": "none", "typ": "JWT" })),
            b64(valid_claims())
        );
        let key = VerificationKey::hs256(SECRET);
        assert_eq!(check(&unsigned, &key), unauthorized("malformed token"));
        for garbage in ["", "abc", "a.b", "a.b.c", "a.b.c.d"] {
            assert_eq!(check(garbage, &key), unauthorized("malformed token"), "{garbage}");
        }
    }
}
