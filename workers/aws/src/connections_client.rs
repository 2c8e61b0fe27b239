//! `@connections` through the API Gateway Management API.

use async_trait::async_trait;
use aws_sdk_apigatewaymanagement::config::StalledStreamProtectionConfig;
use aws_sdk_apigatewaymanagement::operation::post_to_connection::PostToConnectionError;
use aws_sdk_apigatewaymanagement::primitives::Blob;
use aws_sdk_apigatewaymanagement::Client;
use wsflow_core::ports::{ConnectionApi, PostError};

use crate::errors::{classify, status};

/// [`ConnectionApi`] on the API Gateway Management API's `PostToConnection`, sent to one stage's
/// callback URL. HTTP 410 (`GoneException`) is [`PostError::Gone`]; other errors are sorted by
/// [`classify`].
pub struct ConnectionsClient {
    client: Client,
}

impl ConnectionsClient {
    /// `callback_url` is the stage URL (`https://{api}.execute-api.{region}.amazonaws.com/{stage}`);
    /// it overrides any general endpoint such as `AWS_ENDPOINT_URL`, which names the backend of
    /// the other services.
    pub fn new(sdk: &aws_config::SdkConfig, callback_url: &str) -> Self {
        // Posts are a few hundred bytes answered at once: stalled-stream protection (made for
        // large transfers) only adds per-request work here.
        let config = aws_sdk_apigatewaymanagement::config::Builder::from(sdk)
            .endpoint_url(callback_url)
            .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
            .build();
        ConnectionsClient {
            client: Client::from_conf(config),
        }
    }
}

#[async_trait]
impl ConnectionApi for ConnectionsClient {
    async fn post(&self, connection_id: &str, payload: &[u8]) -> Result<(), PostError> {
        let result = self
            .client
            .post_to_connection()
            .connection_id(connection_id)
            .data(Blob::new(payload))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if status(&e) == Some(410) => Err(PostError::Gone),
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(PostToConnectionError::GoneException(_))
                ) =>
            {
                Err(PostError::Gone)
            }
            Err(e) => Err(PostError::Failed(classify(e))),
        }
    }
}
