//! What the authorizer decided, and the answer API Gateway expects for it.

use lambda_runtime::Diagnostic;
use serde_json::{json, Value};

/// The message API Gateway recognises in a failed authorizer invocation to answer 401.
pub const UNAUTHORIZED: &str = "Unauthorized";

/// The verdict on one `$connect`; [`Decision::response`] turns it into the invocation's result.
/// The reasons are for the log only: the client sees nothing but the status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// A valid token for this API: the connection is accepted, `sub` becomes `context.userId`.
    Allow {
        /// The token's `sub`: the policy's `principalId` and the connection's `userId`.
        sub: String,
    },
    /// A genuine token issued for another audience or issuer: API Gateway answers 403.
    Deny {
        /// The token's `sub`: the policy's `principalId`.
        sub: String,
        /// `wrong audience`, `no audience`, `wrong issuer` or `no issuer`.
        reason: &'static str,
    },
    /// No usable token (missing, malformed, forged, expired, …): API Gateway answers 401.
    Unauthorized {
        /// What was wrong, such as `no token`, `expired` or `bad signature`.
        reason: &'static str,
    },
}

impl Decision {
    /// [`Decision::Unauthorized`] for `reason`.
    pub fn unauthorized(reason: &'static str) -> Decision {
        Decision::Unauthorized { reason }
    }

    /// The invocation's result: a policy document, or the `Unauthorized` failure.
    pub fn response(&self, method_arn: &str) -> Result<Value, Diagnostic> {
        match self {
            Decision::Allow { sub } => {
                let mut answer = policy(sub, "Allow", method_arn);
                answer["context"] = json!({ "userId": sub });
                Ok(answer)
            }
            Decision::Deny { sub, .. } => Ok(policy(sub, "Deny", method_arn)),
            Decision::Unauthorized { .. } => Err(Diagnostic {
                error_type: UNAUTHORIZED.into(),
                error_message: UNAUTHORIZED.into(),
            }),
        }
    }
}

fn policy(principal: &str, effect: &str, method_arn: &str) -> Value {
    json!({
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{ "Action": "execute-api:Invoke", "Effect": effect, "Resource": method_arn }],
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:abc/dev/$connect";

    #[test]
    fn allow_is_a_policy_for_the_route_with_the_user_in_the_context() {
        let answer = Decision::Allow { sub: "alice".into() }.response(ARN).unwrap();
        assert_eq!(
            answer,
            json!({
                "principalId": "alice",
                "policyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{ "Action": "execute-api:Invoke", "Effect": "Allow", "Resource": ARN }],
                },
                "context": { "userId": "alice" },
            })
        );
    }

    #[test]
    fn deny_is_a_deny_policy_without_context() {
        let deny = Decision::Deny {
            sub: "alice".into(),
            reason: "wrong audience",
        };
        let answer = deny.response(ARN).unwrap();
        assert_eq!(answer["policyDocument"]["Statement"][0]["Effect"], "Deny");
        assert_eq!(answer["policyDocument"]["Statement"][0]["Resource"], ARN);
        assert_eq!(answer["principalId"], "alice");
        assert!(answer.get("context").is_none());
    }

    #[test]
    fn unauthorized_fails_with_exactly_the_message_api_gateway_expects() {
        let failure = Decision::unauthorized("expired").response(ARN).unwrap_err();
        assert_eq!(failure.error_message, "Unauthorized");
    }
}
