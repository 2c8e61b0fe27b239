//! A local API Gateway WebSocket API, driven by the resolved CloudFormation template: route
//! selection, `$connect`/`$disconnect`/`$default`/custom routes, AWS / AWS_PROXY / MOCK
//! integrations with VTL mapping templates, route responses, the `@connections` management
//! API, API Gateway's limits, the CloudFront viewer-request function on each handshake, and
//! API Gateway's protections: the `$connect` authorizer, API keys with their usage plans,
//! request models and throttling.

#![warn(missing_docs)]

mod admission;
mod api_keys;
mod authorizer;
mod backend;
mod connections_endpoint;
mod handshake;
mod ids;
mod integrate;
mod registry;
mod request;
mod routing;
mod session;
mod templates;
mod throttle;
mod validation;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::post;
use axum::Router;
use tokio::sync::watch;
use wsflow_cloudformation::WebSocketApi;
use wsflow_cloudfront_functions::CompiledFunction;
use wsflow_lambda::Functions;

use integrate::Integrator;
use registry::Registry;

pub use api_keys::ApiKeyGrant;

/// API Gateway's WebSocket limits.
pub const MAX_FRAME_BYTES: usize = 32 * 1024;
pub const MAX_MESSAGE_BYTES: usize = 128 * 1024;

pub struct GatewayConfig {
    /// Usually 127.0.0.1:8080.
    pub bind: SocketAddr,
    pub api: WebSocketApi,
    /// The API id `$context.apiId` reports.
    pub api_id: String,
    /// AWS integrations are sent here (the local backend, e.g. moto).
    pub backend_endpoint: String,
    pub region: String,
    pub account: String,
    pub functions: Arc<dyn Functions>,
    /// The template's viewer-request function, run on every handshake.
    pub edge: Option<CompiledFunction>,
    /// The API keys usage plans bind to the stage.
    pub api_keys: Vec<ApiKeyGrant>,
}

#[derive(Debug, thiserror::Error)]
pub enum IntegrationError {
    #[error("not supported locally: {0}")]
    Unsupported(String),
    #[error("backend unreachable: {0}")]
    Unreachable(String),
    #[error("integration timed out after {0:?}")]
    Timeout(Duration),
    #[error("function failed: {0}")]
    Function(String),
    #[error("{0}")]
    MappingTemplate(String),
    #[error("no mapping template matches and passthrough is NEVER")]
    NoTemplate,
}

pub(crate) struct Shared {
    api: WebSocketApi,
    api_id: String,
    domain_name: String,
    registry: Registry,
    integrator: Integrator,
    edge: Option<CompiledFunction>,
    /// `arn:aws:execute-api:{region}:{account}:{api_id}/{stage}/`: the route key completes it.
    method_arn_prefix: String,
    throttles: throttle::RouteThrottles,
    api_keys: api_keys::ApiKeys,
    validators: validation::Validators,
    shutdown: watch::Sender<bool>,
}

/// A running gateway.
pub struct Gateway {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl Gateway {
    pub async fn start(config: GatewayConfig) -> anyhow::Result<Gateway> {
        let listener = tokio::net::TcpListener::bind(config.bind).await?;
        let addr = listener.local_addr()?;
        let stage_variables = serde_json::to_value(&config.api.stage.variables)?;
        let validators = validation::Validators::compile(&config.api)?;
        let method_arn_prefix = format!(
            "arn:aws:execute-api:{}:{}:{}/{}/",
            config.region, config.account, config.api_id, config.api.stage.name
        );
        let shared = Arc::new(Shared {
            method_arn_prefix,
            throttles: throttle::RouteThrottles::new(&config.api.stage, config.api.routes.keys()),
            api_keys: api_keys::ApiKeys::new(config.api_keys),
            validators,
            api_id: config.api_id,
            domain_name: addr.to_string(),
            registry: Registry::default(),
            integrator: Integrator {
                backend: backend::BackendClient::new(&config.backend_endpoint, &config.region),
                functions: config.functions,
                templates: Default::default(),
                stage_variables,
            },
            api: config.api,
            edge: config.edge,
            shutdown: watch::channel(false).0,
        });
        let management = post(connections_endpoint::post)
            .get(connections_endpoint::get)
            .delete(connections_endpoint::delete);
        let app = Router::new()
            .route("/{stage}/@connections/{id}", management.clone())
            .route("/@connections/{id}", management)
            .fallback(handshake::upgrade)
            .with_state(shared.clone());
        let mut stopping = shared.shutdown.subscribe();
        let server = tokio::spawn(async move {
            let service = app.into_make_service_with_connect_info::<SocketAddr>();
            let stop = async move {
                let _ = stopping.changed().await;
            };
            if let Err(error) = axum::serve(listener, service).with_graceful_shutdown(stop).await {
                tracing::error!(%error, "gateway stopped");
            }
        });
        Ok(Gateway { addr, shared, server })
    }

    pub fn connections(&self) -> usize {
        self.shared.registry.len()
    }

    /// Closes every connection (running `$disconnect` for each) and stops listening.
    pub async fn shutdown(self) {
        let _ = self.shared.shutdown.send(true);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while self.shared.registry.len() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let _ = self.server.await;
    }
}
