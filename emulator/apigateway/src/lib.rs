//! A local API Gateway WebSocket API, served from the resolved CloudFormation template.
//!
//! The model: one [`Gateway`] serves one [`WebSocketApi`] (its routes, integrations, stage,
//! models and authorizers, as `wsflow-cloudformation` resolved them) on a local port. It is
//! started from a [`GatewayConfig`], which also says where its integrations go: AWS service
//! integrations to the local backend (`backend_endpoint`, e.g. moto), Lambda integrations and
//! authorizers to a [`Functions`] implementation (local mode's function pools), and the
//! CloudFront viewer-request function, a [`CompiledFunction`], run on every handshake.
//!
//! A connection's life is API Gateway's:
//!
//! - **Handshake.** The viewer-request function may answer or rewrite it; then `$connect` runs
//!   its checks: the route's throttle, its `CUSTOM` (REQUEST) authorizer, whose result becomes
//!   `$context.authorizer`, and, when the route requires one, its API key, which must be one
//!   of the [`ApiKeyGrant`]s (enabled keys of a usage plan bound to the stage). Finally its
//!   integration runs; a failure or a non-2xx answer refuses the connection.
//! - **Messages.** The API's route selection expression picks the route (`$default` when no
//!   route matches). The route's and the API key's throttles and quotas, then the route's
//!   request model (JSON Schema), are checked; a refused message gets API Gateway's error frame.
//!   The route's integration runs: `AWS_PROXY` invokes a function with the proxy event, `AWS`
//!   calls a service on the backend with the body its VTL request template renders
//!   (`wsflow-vtl`), `MOCK` answers locally. When the route has a route response, the
//!   integration's answer, mapped by its integration response, is sent back to the client.
//!   An integration that fails is an [`IntegrationError`], which the client sees as
//!   `Internal server error`.
//! - **`@connections`.** The management API (`POST`/`GET`/`DELETE
//!   /{stage}/@connections/{id}`) is served on the same port, so backends post to clients as
//!   they would in AWS.
//! - **End.** A connection closes on the client's close, on `DELETE @connections`, after API
//!   Gateway's idle timeout (10 minutes) or maximum duration (2 hours), on a frame or message
//!   over [`MAX_FRAME_BYTES`] / [`MAX_MESSAGE_BYTES`], or when [`Gateway::shutdown`] is called;
//!   `$disconnect` then runs.

#![warn(missing_docs)]

mod admission;
mod api_keys;
mod authorizer;
mod backend;
mod connections_endpoint;
mod handshake;
mod ids;
mod integrate;
mod listener;
mod misdirected;
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

/// API Gateway's limit on one WebSocket frame, in bytes (32 KiB): a larger frame closes the
/// connection (close code 1009).
pub const MAX_FRAME_BYTES: usize = 32 * 1024;
/// API Gateway's limit on one WebSocket message, in bytes (128 KiB), whether the client sends
/// it or a backend posts it to `@connections` (then refused with 413).
pub const MAX_MESSAGE_BYTES: usize = 128 * 1024;

/// What [`Gateway::start`] serves and where its integrations go.
pub struct GatewayConfig {
    /// Where to listen, already bound (usually 127.0.0.1:8080): the caller binds it before it
    /// starts anything else, so that no other process can take the port meanwhile.
    pub listener: std::net::TcpListener,
    /// The template's WebSocket API: routes, integrations, stage, models, authorizers.
    pub api: WebSocketApi,
    /// The API id `$context.apiId` reports.
    pub api_id: String,
    /// AWS integrations are sent here (the local backend, e.g. moto).
    pub backend_endpoint: String,
    /// The AWS region: the credential scope of service calls to the backend, and the region
    /// of the method ARN an authorizer is given.
    pub region: String,
    /// The AWS account id in the method ARN an authorizer is given (`methodArn`).
    pub account: String,
    /// Runs the Lambda functions of `AWS_PROXY` integrations and authorizers, by logical id.
    pub functions: Arc<dyn Functions>,
    /// The template's viewer-request function, run on every handshake.
    pub edge: Option<CompiledFunction>,
    /// The API keys usage plans bind to the stage.
    pub api_keys: Vec<ApiKeyGrant>,
}

/// Why a route's integration produced no answer; the client gets `Internal server error`
/// (or a refused handshake, on `$connect`).
#[derive(Debug, thiserror::Error)]
pub enum IntegrationError {
    /// The integration names something local mode cannot run: an HTTP integration, an
    /// integration URI it cannot parse, or a service or action it does not emulate.
    #[error("not supported locally: {0}")]
    Unsupported(String),
    /// The backend could not be reached, or its answer could not be read.
    #[error("backend unreachable: {0}")]
    Unreachable(String),
    /// The integration did not answer within its timeout (`TimeoutInMillis`, at least 50 ms).
    #[error("integration timed out after {0:?}")]
    Timeout(Duration),
    /// The function of an `AWS_PROXY` integration failed (see [`wsflow_lambda::FunctionError`]):
    /// its logical id and the error.
    #[error("function {0}")]
    Function(String),
    /// A VTL mapping template failed to parse or render; the message says why.
    #[error("{0}")]
    MappingTemplate(String),
    /// The integration has request templates, none matches, and its passthrough behaviour is
    /// `NEVER`.
    #[error("no mapping template matches and passthrough is NEVER")]
    NoTemplate,
}

pub(crate) struct Shared {
    api: WebSocketApi,
    api_id: String,
    domain_name: String,
    /// The port the gateway listens on (`X-Forwarded-Port`).
    port: u16,
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

/// A running gateway: the WebSocket API and its `@connections` API, listening on [`Gateway::addr`].
pub struct Gateway {
    /// The address it listens on (the port is the one bound, when `bind` asked for port 0).
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl Gateway {
    /// Binds `config.bind` and serves the API. Fails when the address cannot be bound or a
    /// request model's schema does not compile (or a route names a model the API lacks).
    pub async fn start(config: GatewayConfig) -> anyhow::Result<Gateway> {
        config.listener.set_nonblocking(true)?;
        let listener = listener::PeekingListener::new(tokio::net::TcpListener::from_std(config.listener)?)?;
        let addr = axum::serve::Listener::local_addr(&listener)?.addr;
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
            port: addr.port(),
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
            let service = app.into_make_service_with_connect_info::<listener::Peer>();
            let stop = async move {
                let _ = stopping.changed().await;
            };
            if let Err(error) = axum::serve(listener, service).with_graceful_shutdown(stop).await {
                tracing::error!(%error, "gateway stopped");
            }
        });
        Ok(Gateway { addr, shared, server })
    }

    /// How many WebSocket connections are open now.
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
