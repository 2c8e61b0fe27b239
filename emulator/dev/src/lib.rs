//! Local mode (`wsflow dev`): a CloudFormation template, run on one machine.
//!
//! This crate joins the emulators; everything comes from the template. [`LocalOptions`] says
//! what `wsflow dev` was asked (template, ports, backend, binaries); [`LocalMode::start`]
//! brings it all up, in this order, and returns [`Running`]:
//!
//! 1. the AWS backend: a moto server started on a local port ([`moto::MotoServer`]), or the
//!    running backend given by `--aws-endpoint`;
//! 2. the template, read and resolved for this machine ([`wsflow_cloudformation::resolve`]),
//!    and its queues, tables, state machines, secrets and API keys provisioned on the backend;
//! 3. the Lambda functions, each a pool of local processes of its real binary
//!    ([`wsflow_lambda::functions::LocalFunctions`]);
//! 4. the SQS event source mappings, emulated by pollers
//!    ([`wsflow_lambda::event_sources::EventSources`]);
//! 5. the WebSocket API, served by a [`wsflow_apigateway::Gateway`] that invokes those
//!    functions and accepts the API keys of the stage's usage plans ([`api_keys::grants`]).
//!    When a CloudFront distribution fronts the API, the gateway has two entrances: the
//!    edge one on `--port`, which runs the viewer-request function
//!    ([`wsflow_cloudfront_functions`]) and adds the origin's custom headers (their dynamic
//!    references resolved on the backend), and the direct `execute-api` one.
//!
//! [`report`] tells the developer what each resource became, how each function started and,
//! once everything runs, where to connect ([`report::Endpoints`]) and what to try.
//! [`Running::stop`] takes it all down in the reverse order, so nothing is left running;
//! [`run`] does both around a shutdown signal.

#![warn(missing_docs)]

pub mod api_keys;
pub mod moto;
pub mod options;
pub mod report;

/// The function runtimes' folder in the project (`make runtimes` installs the Node.js one).
const RUNTIMES: &str = "emulator/lambda/runtimes";

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use wsflow_apigateway::{EdgeConfig, Gateway, GatewayConfig};
use wsflow_cloudformation::{dynamic_references, provision, BackendKind, LocalEnv, Stack, Template};

use moto::MotoServer;
pub use options::LocalOptions;
use report::Endpoints;
use wsflow_lambda::event_sources::{EventSources, Mapping, PollSettings};
use wsflow_lambda::functions::{FunctionHost, LocalFunctions};
use wsflow_lambda::runtimes::Runtimes;

/// Starts local mode, prints the ready banner and `READY`, runs until `shutdown` completes,
/// then stops everything.
pub async fn run(options: LocalOptions, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    let running = LocalMode::start(options).await?;
    println!("{}", running.banner());
    println!("READY");
    shutdown.await;
    println!("stopping");
    running.stop().await;
    Ok(())
}

/// Starts local mode: see [`LocalMode::start`].
pub struct LocalMode;

impl LocalMode {
    /// Brings everything up, printing the startup report. On failure, what was already started
    /// is stopped before the error is returned.
    pub async fn start(options: LocalOptions) -> anyhow::Result<Running> {
        let mut running = Running::default();
        match running.bring_up(&options).await {
            Ok(()) => Ok(running),
            Err(e) => {
                running.stop().await;
                Err(e)
            }
        }
    }
}

/// Local mode, running. Parts are filled in as they start, so a failed start can stop exactly
/// what it started. A dropped `Running` kills its child processes too (they are
/// `kill_on_drop`), but only [`Running::stop`] finishes the batches in hand and waits.
#[derive(Default)]
pub struct Running {
    moto: Option<MotoServer>,
    endpoints: Option<Endpoints>,
    stack: Option<Stack>,
    functions: Option<Arc<LocalFunctions>>,
    event_sources: Option<EventSources>,
    gateway: Option<Gateway>,
    /// How the banner's commands run `wsflow` and wscat.
    commands: Option<report::Commands>,
    /// Where the functions' inline code was written; removed on stop.
    inline_root: Option<PathBuf>,
}

impl Running {
    async fn bring_up(&mut self, options: &LocalOptions) -> anyhow::Result<()> {
        // Checked before anything starts.
        anyhow::ensure!(
            options.template.is_file(),
            "{} does not exist: run `make synth` (or give --template)",
            options.template.display()
        );
        // Bound now, used by the gateway last: nothing started meanwhile can take the ports.
        let first = bind(options.port, "--port")?;
        let root = options.project_root();
        self.commands = Some(report::Commands::find(root.as_deref()));
        let python = moto::venv_python(root.as_deref());
        let mut env = LocalEnv::default();
        if let Some(region) = &options.region {
            env.region.clone_from(region);
        }
        env.parameters = options.parameter_overrides.iter().cloned().collect();
        env.python = python.as_ref().ok().cloned();
        let template = Template::read(&options.template, &env)
            .with_context(|| format!("reading {}", options.template.display()))?;
        let entrances = Entrances::bind(first, fronted_by_cloudfront(&template), options)?;
        let (backend, endpoints) = self.start_backend(options, entrances.urls(), &python).await?;
        env.backend_endpoint.clone_from(&endpoints.backend);
        env.gateway_http.clone_from(&endpoints.gateway_http);
        env.edge_http.clone_from(&endpoints.edge_http);
        self.endpoints = Some(endpoints);
        let stack = wsflow_cloudformation::resolve(&template, &env)
            .with_context(|| format!("reading {}", options.template.display()))?;
        print!("{}", report::resources(&stack));
        let sdk = local_sdk_config(&env.backend_endpoint, &env.region).await;
        let provisioned = provision(&stack, &sdk, backend)
            .await
            .context("provisioning the backend")?;
        println!(
            "Provisioned {} resource(s) on {}",
            provisioned.resources.len(),
            env.backend_endpoint
        );
        for note in &provisioned.notes {
            println!("note: {note}");
        }
        let functions = self
            .start_functions(options, &stack, &env, root.as_deref())
            .await?;
        self.start_event_sources(options, &stack, &sdk, functions.clone());
        let api_keys = api_keys::grants(&stack, &env.api_id, &provisioned.api_keys);
        let edge = match entrances.edge {
            Some(listener) => Some(edge_config(&stack, &sdk, listener).await?),
            None => None,
        };
        let gateway = GatewayParts {
            execute_api: entrances.execute_api,
            edge,
            functions,
            api_keys,
        };
        self.gateway = start_gateway(&stack, &env, gateway).await?;
        self.stack = Some(stack);
        Ok(())
    }

    /// The backend to use (`--aws-endpoint`) or a moto server started here.
    async fn start_backend(
        &mut self,
        options: &LocalOptions,
        (gateway_http, edge_http): (String, Option<String>),
        python: &anyhow::Result<PathBuf>,
    ) -> anyhow::Result<(BackendKind, Endpoints)> {
        if let Some(endpoint) = &options.aws_endpoint {
            let endpoint = endpoint.trim_end_matches('/').to_owned();
            let (backend, kind) = identify_backend(&endpoint).await;
            let endpoints = Endpoints {
                gateway_http,
                edge_http,
                backend: endpoint,
                backend_kind: kind,
            };
            return Ok((backend, endpoints));
        }
        let python = python.as_ref().map_err(|e| anyhow::anyhow!("{e:#}"))?;
        // moto's `apigateway:invoke` and `execute-api` calls go where AWS sends them: the
        // execute-api entrance.
        let server = MotoServer::start(python, options.backend_port, Some(&gateway_http)).await?;
        let endpoint = server.endpoint().to_owned();
        self.moto = Some(server);
        let endpoints = Endpoints {
            gateway_http,
            edge_http,
            backend: endpoint.clone(),
            backend_kind: "moto server started by wsflow dev".into(),
        };
        Ok((BackendKind::Moto { endpoint }, endpoints))
    }

    async fn start_functions(
        &mut self,
        options: &LocalOptions,
        stack: &Stack,
        env: &LocalEnv,
        root: Option<&Path>,
    ) -> anyhow::Result<Arc<LocalFunctions>> {
        let inline_root = std::env::temp_dir().join(format!("wsflow-dev-{}", std::process::id()));
        self.inline_root = Some(inline_root.clone());
        let runtimes = Runtimes {
            python: env.python.clone(),
            dir: root.map(|root| root.join(RUNTIMES)),
            binaries: options.binaries()?,
            inline_root,
        };
        let host = FunctionHost {
            env,
            runtimes: &runtimes,
            concurrency: options.function_concurrency,
        };
        let (functions, statuses) = LocalFunctions::start(&stack.functions, &host).await;
        print!("{}", report::functions(&statuses));
        let functions = Arc::new(functions);
        self.functions = Some(functions.clone());
        Ok(functions)
    }

    fn start_event_sources(
        &mut self,
        options: &LocalOptions,
        stack: &Stack,
        sdk: &SdkConfig,
        functions: Arc<LocalFunctions>,
    ) {
        let settings = PollSettings {
            visibility_timeout: options.visibility_timeout,
            function_concurrency: options.function_concurrency,
        };
        let mut mappings = Vec::new();
        println!("Event sources:");
        for mapping in &stack.event_sources {
            match Mapping::resolve(mapping, stack, settings) {
                Ok(resolved) => {
                    println!(
                        "  {}: {} -> {} (batch {}, {} poller(s), visibility {} s{})",
                        resolved.logical_id,
                        resolved.queue_url,
                        resolved.function,
                        resolved.batch_size,
                        resolved.pollers,
                        resolved.visibility_timeout_s,
                        if resolved.report_batch_item_failures {
                            ", batch item failures"
                        } else {
                            ""
                        },
                    );
                    mappings.push(resolved);
                }
                Err(why) => println!("  {}: not polled: {why}", mapping.logical_id),
            }
        }
        let sqs = aws_sdk_sqs::Client::new(sdk);
        self.event_sources = Some(EventSources::start(&mappings, &sqs, functions));
    }

    /// The template as resolved for this machine (its URLs point at the local gateway and
    /// backend).
    pub fn stack(&self) -> &Stack {
        self.stack.as_ref().expect("a running local mode has a stack")
    }

    /// Where the gateway and the backend listen.
    pub fn endpoints(&self) -> &Endpoints {
        self.endpoints
            .as_ref()
            .expect("a running local mode has endpoints")
    }

    /// The moto server's process id, when local mode started one.
    pub fn moto_pid(&self) -> Option<u32> {
        self.moto.as_ref().and_then(MotoServer::pid)
    }

    /// The address clients connect to (the edge entrance, when there is one), when the
    /// template has a WebSocket API.
    pub fn gateway_addr(&self) -> Option<SocketAddr> {
        self.gateway.as_ref().map(|g| g.edge_addr.unwrap_or(g.addr))
    }

    /// Where to connect and what to try.
    pub fn banner(&self) -> String {
        let commands = self
            .commands
            .as_ref()
            .expect("a running local mode knows its commands");
        report::banner(self.stack(), self.endpoints(), commands)
    }

    /// Stops in the reverse order of starting: pollers (finishing their batches), the gateway
    /// (closing connections, which runs `$disconnect`), the functions, the backend.
    pub async fn stop(mut self) {
        if let Some(event_sources) = self.event_sources.take() {
            event_sources.stop().await;
        }
        if let Some(gateway) = self.gateway.take() {
            gateway.shutdown().await;
        }
        if let Some(functions) = self.functions.take() {
            functions.stop();
        }
        if let Some(mut moto) = self.moto.take() {
            moto.stop().await;
        }
        if let Some(dir) = self.inline_root.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// The gateway's listeners: `--port` is the entrance clients use, the edge one when CloudFront
/// fronts the API, and the `execute-api` one then listens on `--execute-api-port`.
struct Entrances {
    execute_api: std::net::TcpListener,
    edge: Option<std::net::TcpListener>,
}

impl Entrances {
    fn bind(
        first: std::net::TcpListener,
        cloudfront: bool,
        options: &LocalOptions,
    ) -> anyhow::Result<Entrances> {
        if !cloudfront {
            return Ok(Entrances {
                execute_api: first,
                edge: None,
            });
        }
        Ok(Entrances {
            execute_api: bind(options.execute_api_port, "--execute-api-port")?,
            edge: Some(first),
        })
    }

    /// `http://127.0.0.1:{port}` of the execute-api entrance and of the edge one.
    fn urls(&self) -> (String, Option<String>) {
        let url = |listener: &std::net::TcpListener| {
            let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
            format!("http://127.0.0.1:{port}")
        };
        (url(&self.execute_api), self.edge.as_ref().map(url))
    }
}

fn bind(port: u16, option: &str) -> anyhow::Result<std::net::TcpListener> {
    std::net::TcpListener::bind(("127.0.0.1", port)).with_context(|| {
        format!("port {port} is taken: stop what listens there or choose another with {option}")
    })
}

/// Whether clients reach the API through CloudFront: the template has a distribution, or a
/// CloudFront function (which only a distribution can run).
fn fronted_by_cloudfront(template: &Template) -> bool {
    template
        .resources_of("AWS::CloudFront::Distribution")
        .chain(template.resources_of("AWS::CloudFront::Function"))
        .next()
        .is_some()
}

/// What the edge entrance does: the viewer-request function and the origins' custom headers,
/// whose dynamic references are read from the backend now that it holds the secrets.
async fn edge_config(
    stack: &Stack,
    sdk: &SdkConfig,
    listener: std::net::TcpListener,
) -> anyhow::Result<EdgeConfig> {
    let mut origin_headers = Vec::new();
    for distribution in &stack.distributions {
        for (name, value) in &distribution.origin_headers {
            let what = format!(
                "Resources.{}.Properties.DistributionConfig: origin header {name}",
                distribution.logical_id
            );
            origin_headers.push((
                name.clone(),
                dynamic_references::resolve(sdk, value, &what).await?,
            ));
        }
    }
    Ok(EdgeConfig {
        listener,
        viewer_request: viewer_request_function(stack)?,
        origin_headers,
    })
}

/// What the gateway is started with besides the stack.
struct GatewayParts {
    execute_api: std::net::TcpListener,
    edge: Option<EdgeConfig>,
    functions: Arc<LocalFunctions>,
    api_keys: Vec<wsflow_apigateway::ApiKeyGrant>,
}

async fn start_gateway(
    stack: &Stack,
    env: &LocalEnv,
    parts: GatewayParts,
) -> anyhow::Result<Option<Gateway>> {
    let Some(api) = &stack.api else {
        println!("The template has no WebSocket API: no gateway; the rest runs.");
        return Ok(None);
    };
    let config = GatewayConfig {
        listener: parts.execute_api,
        api: api.clone(),
        api_id: env.api_id.clone(),
        backend_endpoint: env.backend_endpoint.clone(),
        region: env.region.clone(),
        account: env.account.clone(),
        functions: parts.functions,
        edge: parts.edge,
        api_keys: parts.api_keys,
    };
    let gateway = Gateway::start(config)
        .await
        .with_context(|| format!("starting the WebSocket gateway on {}", env.gateway_http))?;
    Ok(Some(gateway))
}

/// The stack's viewer-request CloudFront function, compiled.
fn viewer_request_function(
    stack: &Stack,
) -> anyhow::Result<Option<wsflow_cloudfront_functions::CompiledFunction>> {
    let Some(function) = stack
        .cloudfront_functions
        .iter()
        .find(|f| f.event_type == "viewer-request")
    else {
        return Ok(None);
    };
    let compiled = wsflow_cloudfront_functions::CompiledFunction::compile(&function.name, &function.code)
        .with_context(|| format!("compiling the CloudFront function {}", function.logical_id))?;
    Ok(Some(compiled))
}

/// A given endpoint is treated as moto when it accepts moto's configuration call (which also
/// switches its Step Functions to executing state machines), else used as it is.
async fn identify_backend(endpoint: &str) -> (BackendKind, String) {
    match provision::configure_moto(endpoint).await {
        Ok(()) => (
            BackendKind::Moto {
                endpoint: endpoint.to_owned(),
            },
            "moto server given by --aws-endpoint".into(),
        ),
        Err(_) => (BackendKind::Other, "given by --aws-endpoint".into()),
    }
}

/// SDK configuration for a local backend: every client sent to `endpoint`, in `region`, with
/// placeholder credentials (a local backend checks no signature).
pub async fn local_sdk_config(endpoint: &str, region: &str) -> SdkConfig {
    let credentials = aws_sdk_sqs::config::Credentials::new("test", "test", None, None, "wsflow-local");
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .endpoint_url(endpoint)
        .credentials_provider(credentials)
        .load()
        .await
}
