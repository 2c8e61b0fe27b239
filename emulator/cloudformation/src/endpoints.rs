//! Rewriting cloud endpoints to local ones: URLs of this stack's API Gateway API (and of its
//! CloudFront distributions, which front the same API) point at the local gateway instead.
//!
//! `https://{api_id}.execute-api.{region}.amazonaws.com/{rest}` becomes `{gateway_http}/{rest}`
//! and `wss://…/{rest}` becomes the same with `ws://`; a distribution's URLs go to the
//! gateway's edge entrance. URLs of other hosts are left alone.

/// Rewrites URLs of a fixed set of cloud hosts to the local gateway.
#[derive(Debug, Clone)]
pub struct EndpointRewriter {
    /// Hosts served locally, e.g. `local0000a.execute-api.us-east-1.amazonaws.com`, each with
    /// the local base URL that serves it (`http://127.0.0.1:8080`, no trailing slash).
    hosts: Vec<(String, String)>,
}

impl EndpointRewriter {
    /// `gateway_http` is the gateway's base URL (`http://host:port`); `hosts` are the cloud
    /// host names it stands in for.
    pub fn new(gateway_http: &str, hosts: Vec<String>) -> EndpointRewriter {
        EndpointRewriter {
            hosts: hosts
                .into_iter()
                .map(|host| (host, gateway_http.trim_end_matches('/').to_owned()))
                .collect(),
        }
    }

    /// Also rewrites `host` to `base` (e.g. a distribution to the gateway's edge entrance).
    pub fn with_host(mut self, host: String, base: &str) -> EndpointRewriter {
        self.hosts.push((host, base.trim_end_matches('/').to_owned()));
        self
    }

    /// The API Gateway host of an API: `{api_id}.execute-api.{region}.amazonaws.com`.
    pub fn api_host(api_id: &str, region: &str) -> String {
        format!("{api_id}.execute-api.{region}.amazonaws.com")
    }

    /// A local base URL for a scheme: `ws://…` for `wss`/`ws`, `http://…` otherwise.
    fn local_base(base: &str, websocket: bool) -> String {
        if websocket {
            if let Some(rest) = base.strip_prefix("https://") {
                return format!("wss://{rest}");
            }
            if let Some(rest) = base.strip_prefix("http://") {
                return format!("ws://{rest}");
            }
        }
        base.to_owned()
    }

    /// Rewrites every occurrence, anywhere in `text`, of a URL on one of the hosts (schemes
    /// `https`, `http`, `wss`, `ws`). A host is only matched whole: `…amazonaws.com.evil` or
    /// `…amazonaws.comx` are left alone.
    pub fn rewrite(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (host, local) in &self.hosts {
            for (scheme, websocket) in [
                ("https://", false),
                ("http://", false),
                ("wss://", true),
                ("ws://", true),
            ] {
                let needle = format!("{scheme}{host}");
                let base = Self::local_base(local, websocket);
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
    fn each_host_goes_to_its_own_entrance() {
        let r = rewriter().with_host("d1.cloudfront.net".into(), "http://127.0.0.1:9090");
        assert_eq!(
            r.rewrite("wss://d1.cloudfront.net/x https://local0000a.execute-api.us-east-1.amazonaws.com/api"),
            "ws://127.0.0.1:9090/x http://127.0.0.1:8080/api"
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
