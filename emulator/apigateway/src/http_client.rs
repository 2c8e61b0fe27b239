//! The HTTP/1 client the gateway calls out with: AWS services on the local backend and the
//! endpoints of HTTP integrations.

use std::error::Error;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;

use crate::IntegrationError;

/// A request the gateway sends.
pub type OutgoingRequest = hyper::Request<Full<Bytes>>;

/// What an endpoint answered.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpReply {
    pub status: u16,
    pub body: String,
}

/// A pooled client; cloning it shares the pool.
#[derive(Clone)]
pub struct HttpClient {
    inner: Client<HttpConnector, Full<Bytes>>,
}

impl HttpClient {
    pub fn new() -> HttpClient {
        HttpClient {
            inner: Client::builder(hyper_util::rt::TokioExecutor::new()).build_http(),
        }
    }

    /// Sends `request` and reads the whole answer. An endpoint that cannot be reached, or whose
    /// answer breaks off, is [`IntegrationError::Unreachable`].
    pub async fn send(&self, request: OutgoingRequest) -> Result<HttpReply, IntegrationError> {
        let target = request.uri().to_string();
        let unreachable =
            |error: &dyn Error| IntegrationError::Unreachable(format!("{target}: {}", chain(error)));
        let response = self.inner.request(request).await.map_err(|e| unreachable(&e))?;
        let status = response.status().as_u16();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| unreachable(&e))?
            .to_bytes();
        Ok(HttpReply {
            status,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }
}

/// An error and its causes on one line: hyper's own message (`client error (Connect)`) says
/// little without them.
fn chain(error: &dyn Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
