//! A local API Gateway WebSocket API, served from the resolved CloudFormation template.
//!
//! The model: one [`Gateway`] serves one [`WebSocketApi`] (its routes, integrations, stage,
//! models and authorizers, as `wsflow-cloudformation` resolved them) on a local port. It is
//! started from a [`GatewayConfig`], which also says where its integrations go: AWS service
//! integrations to the local backend (`backend_endpoint`, e.g. moto), Lambda integrations and
//! authorizers to a [`Functions`] implementation (local mode's function pools), HTTP
//! integrations to their endpoints (the URI with the stage variables filled in).
//!
//! It has one entrance, the `execute-api` endpoint, and, when the stack has a CloudFront
//! distribution in front of the API, a second one ([`EdgeConfig`]) that does to each handshake
//! what CloudFront does: the viewer-request function, a [`CompiledFunction`], then the
//! origin's custom headers. Clients are meant to use the edge entrance; the direct one shows
//! what a client that bypasses CloudFront gets.
//!
//! A connection's life is API Gateway's:
//!
//! - **Handshake.** On the edge entrance, the viewer-request function may answer or rewrite
//!   it and the origin's headers are added; then `$connect` runs
//!   its checks: the route's throttle, its `CUSTOM` (REQUEST) authorizer, whose result becomes
//!   `$context.authorizer`, and, when the route requires one, its API key, which must be one
//!   of the [`ApiKeyGrant`]s (enabled keys of a usage plan bound to the stage). Finally its
//!   integration runs; a failure or a non-2xx answer refuses the connection.
//! - **Messages.** The API's route selection expression picks the route (`$default` when no
//!   route matches). The route's and the API key's throttles and quotas, then the route's
//!   request model (JSON Schema), are checked; a refused message gets API Gateway's error frame.
//!   The route's integration runs: `AWS_PROXY` invokes a function with the proxy event, `AWS`
//!   calls a service on the backend with the body its VTL request template renders
//!   (`wsflow-vtl`), `HTTP_PROXY` posts the message to an HTTP endpoint and `HTTP` the
//!   rendered template, both with the mapped request parameters, `MOCK` answers locally. When
//!   the route has a route response, the
//!   integration's answer, mapped by its integration response, is sent back to the client.
//!   An integration that fails is an [`IntegrationError`], which the client sees as
//!   `Internal server error` (`Endpoint request timed out` when it timed out).
//! - **`@connections`.** The management API (`POST`/`GET`/`DELETE
//!   /{stage}/@connections/{id}`) is served on the same ports, so backends post to clients as
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
mod edge;
mod handshake;
mod http_client;
mod http_integration;
mod ids;
mod integrate;
mod listener;
mod misdirected;
mod parameters;
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
use axum::{Extension, Router};
use tokio::sync::watch;
use wsflow_cloudformation::WebSocketApi;
use wsflow_cloudfront_functions::CompiledFunction;
use wsflow_lambda::Functions;

use edge::{CloudFront, Entrance};
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
    /// The `execute-api` entrance, already bound: the caller binds it before it starts
    /// anything else, so that no other process can take the port meanwhile.
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
    /// The CloudFront entrance, when a distribution fronts the API.
    pub edge: Option<EdgeConfig>,
    /// The API keys usage plans bind to the stage.
    pub api_keys: Vec<ApiKeyGrant>,
}

/// The CloudFront entrance: what the distribution does to each handshake before API Gateway
/// sees it.
pub struct EdgeConfig {
    /// Where to listen, already bound (see [`GatewayConfig::listener`]).
    pub listener: std::net::TcpListener,
    /// The viewer-request function of the distribution, if it has one.
    pub viewer_request: Option<CompiledFunction>,
    /// The API origin's `OriginCustomHeaders` (name, resolved value), added to every handshake.
    pub origin_headers: Vec<(String, String)>,
}

/// Why a route's integration produced no answer; the client gets `Internal server error`
/// (or a refused handshake, on `$connect`).
#[derive(Debug, thiserror::Error)]
pub enum IntegrationError {
    /// The integration names something local mode cannot run: an integration URI it cannot
    /// parse, or a service or action it does not emulate.
    #[error("not supported locally: {0}")]
    Unsupported(String),
    /// The integration cannot be called as configured: its URI names a stage variable the
    /// stage lacks, or is not a URL local mode calls. API Gateway reports it as a
    /// configuration error.
    #[error("configuration error: {0}")]
    Configuration(String),
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

impl IntegrationError {
    /// The `message` API Gateway answers the client with. A timeout is `Endpoint request timed
    /// out`, every other failure `Internal server error`; ARCHITECTURE.md says where these
    /// come from (AWS documents neither frame for WebSocket APIs).
    pub(crate) fn client_message(&self) -> &'static str {
        match self {
            IntegrationError::Timeout(_) => "Endpoint request timed out",
            _ => "Internal server error",
        }
    }
}

pub(crate) struct Shared {
    api: WebSocketApi,
    api_id: String,
    domain_name: String,
    registry: Registry,
    integrator: Integrator,
    /// `arn:aws:execute-api:{region}:{account}:{api_id}/{stage}/`: the route key completes it.
    method_arn_prefix: String,
    throttles: throttle::RouteThrottles,
    api_keys: api_keys::ApiKeys,
    validators: validation::Validators,
    shutdown: watch::Sender<bool>,
}

/// A running gateway: the WebSocket API and its `@connections` API, listening on
/// [`Gateway::addr`] (and [`Gateway::edge_addr`]).
pub struct Gateway {
    /// The address of the `execute-api` entrance.
    pub addr: SocketAddr,
    /// The address of the CloudFront entrance, when there is one.
    pub edge_addr: Option<SocketAddr>,
    shared: Arc<Shared>,
    servers: Vec<tokio::task::JoinHandle<()>>,
}

impl Gateway {
    /// Serves the API on the given listeners. Fails when a listener cannot be used or a
    /// request model's schema does not compile (or a route names a model the API lacks).
    pub async fn start(config: GatewayConfig) -> anyhow::Result<Gateway> {
        let direct = peeking(config.listener)?;
        let addr = axum::serve::Listener::local_addr(&direct)?.addr;
        let stage_variables = serde_json::to_value(&config.api.stage.variables)?;
        let validators = validation::Validators::compile(&config.api)?;
        let http = http_client::HttpClient::new();
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
                backend: backend::BackendClient::new(&config.backend_endpoint, &config.region, http.clone()),
                http,
                functions: config.functions,
                templates: Default::default(),
                stage_variables,
            },
            api: config.api,
            shutdown: watch::channel(false).0,
        });
        let direct_entrance = Entrance {
            port: addr.port(),
            cloudfront: None,
        };
        let mut servers = vec![serve(&shared, direct, direct_entrance)];
        let mut edge_addr = None;
        if let Some(edge) = config.edge {
            let listener = peeking(edge.listener)?;
            let local = axum::serve::Listener::local_addr(&listener)?.addr;
            let entrance = Entrance {
                port: local.port(),
                cloudfront: Some(CloudFront {
                    viewer_request: edge.viewer_request,
                    origin_headers: edge.origin_headers,
                }),
            };
            servers.push(serve(&shared, listener, entrance));
            edge_addr = Some(local);
        }
        Ok(Gateway {
            addr,
            edge_addr,
            shared,
            servers,
        })
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
        for server in self.servers {
            let _ = server.await;
        }
    }
}

fn peeking(listener: std::net::TcpListener) -> anyhow::Result<listener::PeekingListener> {
    listener.set_nonblocking(true)?;
    Ok(listener::PeekingListener::new(
        tokio::net::TcpListener::from_std(listener)?,
    )?)
}

/// Serves the WebSocket API and `@connections` on one entrance until shutdown.
fn serve(
    shared: &Arc<Shared>,
    listener: listener::PeekingListener,
    entrance: Entrance,
) -> tokio::task::JoinHandle<()> {
    let management = post(connections_endpoint::post)
        .get(connections_endpoint::get)
        .delete(connections_endpoint::delete);
    let app = Router::new()
        .route("/{stage}/@connections/{id}", management.clone())
        .route("/@connections/{id}", management)
        .fallback(handshake::upgrade)
        .layer(Extension(Arc::new(entrance)))
        .with_state(shared.clone());
    let mut stopping = shared.shutdown.subscribe();
    tokio::spawn(async move {
        let service = app.into_make_service_with_connect_info::<listener::Peer>();
        let stop = async move {
            let _ = stopping.changed().await;
        };
        if let Err(error) = axum::serve(listener, service).with_graceful_shutdown(stop).await {
            tracing::error!(%error, "gateway stopped");
        }
    })
}
