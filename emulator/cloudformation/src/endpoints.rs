//! Rewriting cloud endpoints to local ones: URLs of this stack's API Gateway API (and of its
//! CloudFront distributions, which front the same API) point at the local gateway instead.
//!
//! `https://{api_id}.execute-api.{region}.amazonaws.com/{rest}` becomes `{gateway_http}/{rest}`
//! and `wss://…/{rest}` becomes the same with `ws://`. URLs of other hosts are left alone.

/// Rewrites URLs of a fixed set of cloud hosts to the local gateway.
#[derive(Debug, Clone)]
pub struct EndpointRewriter {
    /// Hosts served locally by the gateway, e.g. `local0000a.execute-api.us-east-1.amazonaws.com`.
    hosts: Vec<String>,
    /// `http://127.0.0.1:8080` (no trailing slash).
    gateway_http: String,
}

impl EndpointRewriter {
    /// `gateway_http` is the gateway's base URL (`http://host:port`); `hosts` are the cloud
    /// host names it stands in for.
    pub fn new(gateway_http: &str, hosts: Vec<String>) -> EndpointRewriter {
        EndpointRewriter {
            hosts,
            gateway_http: gateway_http.trim_end_matches('/').to_owned(),
        }
    }

    /// The API Gateway host of an API: `{api_id}.execute-api.{region}.amazonaws.com`.
    pub fn api_host(api_id: &str, region: &str) -> String {
        format!("{api_id}.execute-api.{region}.amazonaws.com")
    }

    /// The gateway's base URL for a scheme: `ws://…` for `wss`/`ws`, `http://…` otherwise.
    fn local_base(&self, websocket: bool) -> String {
        if websocket {
            if let Some(rest) = self.gateway_http.strip_prefix("https://") {
                return format!("wss://{rest}");
            }
            if let Some(rest) = self.gateway_http.strip_prefix("http://") {
                return format!("ws://{rest}");
            }
        }
        self.gateway_http.clone()
    }

    /// Rewrites every occurrence, anywhere in `text`, of a URL on one of the hosts (schemes
    /// `https`, `http`, `wss`, `ws`). A host is only matched whole: `…amazonaws.com.evil` or
    /// `…amazonaws.comx` are left alone.
    pub fn rewrite(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for host in &self.hosts {
            for (scheme, websocket) in [
                ("https://", false),
                ("http://", false),
                ("wss://", true),
                ("ws://", true),
            ] {
                let needle = format!("{scheme}{host}");
                let base = self.local_base(websocket);
                let mut result = String::with_capacity(out.len());
                let mut rest = out.as_str();
                while let Some(at) = rest.find(&needle) {
                    let after = &rest[at + needle.len()..];
                    let whole = after
                        .chars()
                        .next()
                        .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_'));
                    result.push_str(&rest[..at]);
                    if whole {
                        result.push_str(&base);
                    } else {
                        result.push_str(&needle);
                    }
                    rest = after;
                }
                result.push_str(rest);
                out = result;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewriter() -> EndpointRewriter {
        EndpointRewriter::new(
            "http://127.0.0.1:8080/",
            vec![EndpointRewriter::api_host("local0000a", "us-east-1")],
        )
    }

    #[test]
    fn https_and_wss_urls_of_the_api_point_at_the_gateway() {
        let r = rewriter();
        assert_eq!(
            r.rewrite("https://local0000a.execute-api.us-east-1.amazonaws.com/api"),
            "http://127.0.0.1:8080/api"
        );
        assert_eq!(
            r.rewrite("wss://local0000a.execute-api.us-east-1.amazonaws.com/api"),
            "ws://127.0.0.1:8080/api"
        );
        assert_eq!(
            r.rewrite("wss://local0000a.execute-api.us-east-1.amazonaws.com"),
            "ws://127.0.0.1:8080"
        );
        assert_eq!(
            r.rewrite("url=https://local0000a.execute-api.us-east-1.amazonaws.com/api/@connections/x y"),
            "url=http://127.0.0.1:8080/api/@connections/x y"
        );
    }

    #[test]
    fn other_hosts_are_left_alone() {
        let r = rewriter();
        for text in [
            "https://other.execute-api.us-east-1.amazonaws.com/api",
            "https://local0000a.execute-api.us-east-1.amazonaws.com.evil/api",
            "https://local0000a.execute-api.us-west-2.amazonaws.com/api",
            "arn:aws:sqs:us-east-1:123456789012:q",
        ] {
            assert_eq!(r.rewrite(text), text);
        }
    }
}
