//! The RS256 keys published at `JWKS_URL`: fetched on the first RS256 token and kept; fetched
//! again when a token names a key id the set lacks (a rotation), but at most once a minute, so
//! tokens with made-up key ids cannot turn the authorizer against the key server.

use std::collections::HashMap;
use std::time::Duration;

use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper::Uri;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::DecodingKey;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::verification::VerificationKey;
use wsflow_aws::errors::with_causes;

const REFETCH_INTERVAL: Duration = Duration::from_secs(60);
/// Well inside API Gateway's 29 s for the whole authorization.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// A key set is a few KiB; anything much larger is not one.
const MAX_BODY_BYTES: usize = 256 * 1024;

/// The key set could not be had: no answer within 5 s, a failed connection, a non-2xx status, a
/// body over 256 KiB or unreadable, or one that is not a JWK set. The message names the URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("fetching the key set from {url}: {problem}")]
pub struct JwksError {
    url: String,
    problem: String,
}

/// The RS256 signing keys published at one JWKS URL, by key id, cached as the module
/// documentation describes. Only RSA keys with a `kid` whose `use` and `alg`, when given, are
/// `sig` and `RS256` are kept.
pub struct Jwks {
    url: Uri,
    client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
    cache: Mutex<Cache>,
}

impl Jwks {
    /// Fails only when the system has no trusted root certificates.
    pub fn new(url: Uri) -> std::io::Result<Jwks> {
        // aws-lc-rs: the provider the AWS SDK's rustls already runs on.
        let connector = HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Jwks {
            url,
            client: Client::builder(TokioExecutor::new()).build(connector),
            cache: Mutex::new(Cache::default()),
        })
    }

    /// The RS256 key `kid` names; `None` when the set has no such signing key.
    pub async fn key(&self, kid: &str) -> Result<Option<VerificationKey>, JwksError> {
        // Held across the fetch, so lookups of a new key id wait for one fetch.
        let mut cache = self.cache.lock().await;
        let now = Instant::now();
        match cache.lookup(kid, now) {
            Lookup::Found(key) => return Ok(Some(key)),
            Lookup::Unknown => return Ok(None),
            Lookup::Refetch => {}
        }
        // Counted before the outcome: an unreachable server is also tried once a minute at most.
        cache.fetched_at = Some(now);
        cache.keys = self.fetch().await?;
        tracing::info!(url = %self.url, keys = cache.keys.len(), "key set fetched");
        Ok(cache.keys.get(kid).cloned())
    }

    async fn fetch(&self) -> Result<HashMap<String, VerificationKey>, JwksError> {
        let body = tokio::time::timeout(FETCH_TIMEOUT, self.get())
            .await
            .map_err(|_| self.error(format!("no answer within {FETCH_TIMEOUT:?}")))??;
        let set: JwkSet =
            serde_json::from_slice(&body).map_err(|e| self.error(format!("not a JWK set: {e}")))?;
        Ok(signing_keys(&set))
    }

    async fn get(&self) -> Result<Bytes, JwksError> {
        let response = self
            .client
            .get(self.url.clone())
            .await
            .map_err(|e| self.error(with_causes(&e)))?;
        if !response.status().is_success() {
            return Err(self.error(format!("HTTP {}", response.status())));
        }
        let body = Limited::new(response.into_body(), MAX_BODY_BYTES)
            .collect()
            .await
            .map_err(|e| self.error(format!("reading the body: {e}")))?;
        Ok(body.to_bytes())
    }

    fn error(&self, problem: String) -> JwksError {
        JwksError {
            url: self.url.to_string(),
            problem,
        }
    }
}

#[derive(Default)]
struct Cache {
    keys: HashMap<String, VerificationKey>,
    fetched_at: Option<Instant>,
}

enum Lookup {
    Found(VerificationKey),
    /// Not in a set fetched less than a minute ago.
    Unknown,
    Refetch,
}

impl Cache {
    fn lookup(&self, kid: &str, now: Instant) -> Lookup {
        if let Some(key) = self.keys.get(kid) {
            return Lookup::Found(key.clone());
        }
        match self.fetched_at {
            Some(at) if now.duration_since(at) < REFETCH_INTERVAL => Lookup::Unknown,
            _ => Lookup::Refetch,
        }
    }
}

/// The set's RSA signing keys usable for RS256, by key id; the rest cannot verify our tokens.
fn signing_keys(set: &JwkSet) -> HashMap<String, VerificationKey> {
    set.keys
        .iter()
        .filter_map(|jwk| Some((jwk.common.key_id.clone()?, rs256_key(jwk)?)))
        .collect()
}

fn rs256_key(jwk: &Jwk) -> Option<VerificationKey> {
    let AlgorithmParameters::RSA(rsa) = &jwk.algorithm else {
        return None;
    };
    let for_signatures = matches!(jwk.common.public_key_use, None | Some(PublicKeyUse::Signature));
    let for_rs256 = matches!(jwk.common.key_algorithm, None | Some(KeyAlgorithm::RS256));
    if !(for_signatures && for_rs256) {
        return None;
    }
    let key = DecodingKey::from_rsa_components(&rsa.n, &rsa.e).ok()?;
    Some(VerificationKey::rs256(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    const JWKS: &str = include_str!("../tests/fixtures/jwks.json");

    fn fixture_key() -> Value {
        serde_json::from_str::<Value>(JWKS).unwrap()["keys"][0].clone()
    }

    fn variant(kid: &str, changes: Value) -> Value {
        let mut key = fixture_key();
        key["kid"] = kid.into();
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                key.as_object_mut().unwrap().remove(k);
            } else {
                key[k] = v.clone();
            }
        }
        key
    }

    #[test]
    fn only_rsa_signing_keys_for_rs256_with_an_id_are_kept() {
        let set: JwkSet = serde_json::from_value(json!({ "keys": [
            fixture_key(),
            variant("no-alg-no-use", json!({ "alg": null, "use": null })),
            variant("encryption", json!({ "use": "enc" })),
            variant("rs512", json!({ "alg": "RS512" })),
            variant("", json!({ "kid": null })),
            { "kty": "oct", "kid": "shared", "alg": "HS256", "k": "c2VjcmV0" },
        ]}))
        .unwrap();
        let mut kept: Vec<String> = signing_keys(&set).into_keys().collect();
        kept.sort();
        assert_eq!(kept, ["no-alg-no-use", "wsflow-test-1"]);
    }

    fn fetched(at: Instant) -> Cache {
        let set: JwkSet = serde_json::from_str(JWKS).unwrap();
        Cache {
            keys: signing_keys(&set),
            fetched_at: Some(at),
        }
    }

    #[test]
    fn an_empty_cache_fetches() {
        assert!(matches!(
            Cache::default().lookup("any", Instant::now()),
            Lookup::Refetch
        ));
    }

    #[test]
    fn a_known_key_is_served_from_the_cache_however_old() {
        let at = Instant::now();
        let cache = fetched(at);
        assert!(matches!(
            cache.lookup("wsflow-test-1", at + Duration::from_secs(86_400)),
            Lookup::Found(_)
        ));
    }

    #[test]
    fn an_unknown_key_fetches_again_at_most_once_a_minute() {
        let at = Instant::now();
        let cache = fetched(at);
        assert!(matches!(
            cache.lookup("rotated", at + Duration::from_secs(1)),
            Lookup::Unknown
        ));
        assert!(matches!(
            cache.lookup("rotated", at + Duration::from_secs(59)),
            Lookup::Unknown
        ));
        assert!(matches!(
            cache.lookup("rotated", at + Duration::from_secs(60)),
            Lookup::Refetch
        ));
    }
}
