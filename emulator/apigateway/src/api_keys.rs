//! API keys on `$connect`: the key the selection expression names must be an enabled key of a
//! usage plan bound to the stage; the plan's throttle and quota then apply to every request of
//! the connection.

use std::collections::HashMap;
use std::sync::Arc;

use crate::throttle::{QuotaCounter, TokenBucket, TOO_MANY_REQUESTS};

/// A key the stage accepts, with its usage plan's limits. Configuration for the gateway.
#[derive(Clone)]
pub struct ApiKeyGrant {
    /// The key's id (`$context.identity.apiKeyId`).
    pub id: String,
    /// The key itself: a credential, never logged.
    pub value: String,
    /// The usage plan's `Throttle`: (rate per second, burst).
    pub throttle: Option<(f64, u32)>,
    /// The usage plan's `Quota`: (limit, `DAY`/`WEEK`/`MONTH`).
    pub quota: Option<(u64, String)>,
}

impl std::fmt::Debug for ApiKeyGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeyGrant")
            .field("id", &self.id)
            .field("throttle", &self.throttle)
            .field("quota", &self.quota)
            .finish_non_exhaustive()
    }
}

/// A connection's key: shared by every connection made with it, as the plan's limits are.
pub struct MeteredKey {
    pub id: String,
    pub value: String,
    bucket: Option<TokenBucket>,
    quota: Option<QuotaCounter>,
}

/// Why a request made with a key is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRefusal {
    Throttled,
    QuotaExceeded,
}

impl KeyRefusal {
    /// API Gateway's message for it (a 429 handshake or an error frame).
    pub fn message(self) -> &'static str {
        match self {
            KeyRefusal::Throttled => TOO_MANY_REQUESTS,
            KeyRefusal::QuotaExceeded => "Limit Exceeded",
        }
    }
}

impl std::fmt::Debug for MeteredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MeteredKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl MeteredKey {
    /// Takes a token from the plan's bucket and counts the request against its quota.
    pub fn admit(&self) -> Result<(), KeyRefusal> {
        if !self.bucket.as_ref().is_none_or(TokenBucket::try_take) {
            return Err(KeyRefusal::Throttled);
        }
        if !self.quota.as_ref().is_none_or(QuotaCounter::try_count) {
            return Err(KeyRefusal::QuotaExceeded);
        }
        Ok(())
    }
}

#[derive(Default)]
pub struct ApiKeys {
    by_value: HashMap<String, Arc<MeteredKey>>,
}

impl ApiKeys {
    pub fn new(grants: Vec<ApiKeyGrant>) -> ApiKeys {
        let by_value = grants
            .into_iter()
            .map(|grant| {
                let key = MeteredKey {
                    id: grant.id,
                    value: grant.value.clone(),
                    bucket: grant.throttle.map(|(rate, burst)| TokenBucket::new(rate, burst)),
                    quota: grant
                        .quota
                        .map(|(limit, period)| QuotaCounter::new(limit, &period)),
                };
                (grant.value, Arc::new(key))
            })
            .collect();
        ApiKeys { by_value }
    }

    pub fn find(&self, value: &str) -> Option<Arc<MeteredKey>> {
        self.by_value.get(value).cloned()
    }
}

/// The key the API's selection expression picks: a handshake header
/// (`$request.header.<name>`) or what the authorizer returned
/// (`$context.authorizer.usageIdentifierKey`).
pub fn selected_key<'a>(
    expression: &str,
    headers: &'a std::collections::BTreeMap<String, String>,
    authorizer: Option<&'a serde_json::Value>,
) -> Option<&'a str> {
    if let Some(name) = expression.strip_prefix("$request.header.") {
        return crate::request::header(headers, name).map(String::as_str);
    }
    let field = expression.strip_prefix("$context.authorizer.")?;
    authorizer?.get(field)?.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(value: &str, throttle: Option<(f64, u32)>, quota: Option<u64>) -> ApiKeyGrant {
        ApiKeyGrant {
            id: format!("id-{value}"),
            value: value.into(),
            throttle,
            quota: quota.map(|limit| (limit, "DAY".into())),
        }
    }

    #[test]
    fn keys_are_found_by_value_only() {
        let keys = ApiKeys::new(vec![grant("k1", None, None)]);
        assert_eq!(keys.find("k1").unwrap().id, "id-k1");
        assert!(keys.find("id-k1").is_none());
        assert!(keys.find("").is_none());
    }

    #[test]
    fn a_plan_throttles_then_counts_its_quota() {
        let keys = ApiKeys::new(vec![
            grant("t", Some((0.001, 2)), None),
            grant("q", None, Some(1)),
        ]);
        let throttled = keys.find("t").unwrap();
        assert_eq!(throttled.admit(), Ok(()));
        assert_eq!(throttled.admit(), Ok(()));
        assert_eq!(throttled.admit(), Err(KeyRefusal::Throttled));
        let counted = keys.find("q").unwrap();
        assert_eq!(counted.admit(), Ok(()));
        assert_eq!(counted.admit(), Err(KeyRefusal::QuotaExceeded));
    }

    #[test]
    fn the_key_value_is_not_in_debug_output() {
        let grant = ApiKeyGrant {
            id: "k1".into(),
            value: "s3cr3t".into(),
            throttle: None,
            quota: None,
        };
        let text = format!(
            "{grant:?} {:?}",
            ApiKeys::new(vec![grant.clone()]).find("s3cr3t").unwrap()
        );
        assert!(text.contains("k1") && !text.contains("s3cr3t"), "{text}");
    }

    #[test]
    fn the_selection_expression_reads_a_header_or_the_authorizer() {
        let headers = [("x-api-key".to_string(), "from-header".to_string())].into();
        let authorizer = serde_json::json!({"usageIdentifierKey": "from-authorizer"});
        let pick = |e: &str| selected_key(e, &headers, Some(&authorizer)).map(str::to_owned);
        assert_eq!(pick("$request.header.X-Api-Key").as_deref(), Some("from-header"));
        assert_eq!(
            pick("$context.authorizer.usageIdentifierKey").as_deref(),
            Some("from-authorizer")
        );
        assert_eq!(pick("$request.header.other"), None);
        assert_eq!(pick("$request.body.key"), None);
    }
}
