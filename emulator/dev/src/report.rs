//! What `wsflow dev` tells the developer: how each resource of the template is handled at
//! startup, and, once everything runs, where to connect and what to try.

use std::fmt::Write;

use wsflow_cloudformation::{Handling, IntegrationKind, ResourceStatus, Stack, WebSocketApi};

use wsflow_lambda::functions::FunctionStatus;

/// Every resource of the template and its handling, grouped by handling and type, then the
/// template's warnings.
pub fn resources(stack: &Stack) -> String {
    let width = |f: fn(&ResourceStatus) -> usize| stack.resources.iter().map(f).max().unwrap_or(0);
    let id_width = width(|r| r.logical_id.len());
    let kind_width = width(|r| r.kind.len());
    let mut rows: Vec<&ResourceStatus> = stack.resources.iter().collect();
    rows.sort_by_key(|r| (handling_order(&r.handling), &r.kind, &r.logical_id));
    let mut out = String::from("Resources:\n");
    for resource in rows {
        let handling = match &resource.handling {
            Handling::Emulated => "emulated".to_owned(),
            Handling::Provisioned => "provisioned on the backend".to_owned(),
            Handling::NotNeeded(why) => format!("not needed: {why}"),
            Handling::Unsupported(why) => format!("UNSUPPORTED: {why}"),
        };
        let (id, kind) = (&resource.logical_id, &resource.kind);
        let _ = writeln!(out, "  {id:id_width$}  {kind:kind_width$}  {handling}");
    }
    for warning in &stack.warnings {
        let _ = writeln!(out, "warning: {warning}");
    }
    out
}

fn handling_order(handling: &Handling) -> u8 {
    match handling {
        Handling::Emulated => 0,
        Handling::Provisioned => 1,
        Handling::NotNeeded(_) => 2,
        Handling::Unsupported(_) => 3,
    }
}

/// One line per function: started (cold start) or why it cannot run.
pub fn functions(statuses: &[FunctionStatus]) -> String {
    let mut out = String::from("Functions:\n");
    for status in statuses {
        let state = match &status.state {
            Ok(cold_start) => format!("running (cold start {} ms)", cold_start.as_millis()),
            Err(why) => format!("NOT RUNNABLE: {why}"),
        };
        let _ = writeln!(out, "  {} ({}): {state}", status.logical_id, status.name);
    }
    out
}

/// Where local mode listens, for the ready banner.
#[derive(Debug, Clone)]
pub struct Endpoints {
    /// `http://127.0.0.1:{port}` of the gateway's `execute-api` entrance (and `@connections`).
    pub gateway_http: String,
    /// `http://127.0.0.1:{port}` of its CloudFront entrance, when a distribution fronts the API.
    pub edge_http: Option<String>,
    /// `http://127.0.0.1:{port}` of the backend.
    pub backend: String,
    /// What the backend is, e.g. `moto server, started by wsflow dev`.
    pub backend_kind: String,
}

impl Endpoints {
    /// The WebSocket URL clients use, `ws://127.0.0.1:{port}`: the edge entrance's when there
    /// is one.
    pub fn websocket(&self) -> String {
        websocket_url(self.edge_http.as_ref().unwrap_or(&self.gateway_http))
    }

    /// The direct `execute-api` entrance's WebSocket URL, when it is not the only one.
    pub fn execute_api_websocket(&self) -> Option<String> {
        self.edge_http.as_ref().map(|_| websocket_url(&self.gateway_http))
    }
}

fn websocket_url(http: &str) -> String {
    http.replacen("http://", "ws://", 1)
}

/// How the banner's commands invoke the tools, so that they work when pasted as printed: the
/// running `wsflow` (`make dev` does not put it on PATH) and the project's pinned wscat
/// (`npx wscat` outside `cdk/` would fetch another one).
#[derive(Debug, Clone)]
pub struct Commands {
    /// E.g. `target/release/wsflow`.
    pub wsflow: String,
    /// E.g. `cdk/node_modules/.bin/wscat`, else `npx wscat`.
    pub wscat: String,
}

impl Commands {
    /// The running executable and the project's wscat, relative to the working directory when
    /// they are below it.
    pub fn find(project_root: Option<&std::path::Path>) -> Commands {
        let cwd = std::env::current_dir().unwrap_or_default();
        let shown = |path: &std::path::Path| {
            path.strip_prefix(&cwd)
                .map_or_else(|_| path.display().to_string(), |p| p.display().to_string())
        };
        let wsflow = std::env::current_exe().map_or_else(|_| "wsflow".to_owned(), |exe| shown(&exe));
        let wscat = project_root
            .map(|root| root.join("cdk/node_modules/.bin/wscat"))
            .filter(|path| path.is_file())
            .map_or_else(|| "npx wscat".to_owned(), |path| shown(&path));
        Commands { wsflow, wscat }
    }
}

/// The banner printed once everything runs (before the `READY` line).
pub fn banner(stack: &Stack, endpoints: &Endpoints, commands: &Commands) -> String {
    let mut out = String::from("\nwsflow dev is running\n\n");
    let backend = format!("{} ({})", endpoints.backend, endpoints.backend_kind);
    match &stack.api {
        Some(api) => {
            let ws = endpoints.websocket();
            let paths = if stack.cloudfront_functions.is_empty() {
                format!("connect to /{}, as on API Gateway", api.stage.name)
            } else {
                "any path: the viewer-request function runs locally".to_owned()
            };
            let _ = writeln!(out, "  WebSocket     {ws}  ({paths}{})", origin_headers(stack));
            if let Some(direct) = endpoints.execute_api_websocket() {
                let _ = writeln!(
                    out,
                    "  execute-api   {direct}/{}  (direct: no CloudFront function, no origin headers)",
                    api.stage.name
                );
            }
            let _ = writeln!(
                out,
                "  @connections  {}/{}/@connections/{{connectionId}}",
                endpoints.gateway_http, api.stage.name
            );
        }
        None => out.push_str("  WebSocket     none: the template has no WebSocket API\n"),
    }
    let _ = writeln!(out, "  Backend       {backend}");
    if !stack.outputs.is_empty() {
        out.push_str("\nOutputs:\n");
        let width = stack.outputs.keys().map(String::len).max().unwrap_or(0);
        for (name, value) in &stack.outputs {
            let _ = writeln!(out, "  {name:width$}  {value}");
        }
    }
    out.push_str("\nTry it:\n");
    if let Some(api) = &stack.api {
        out.push_str(&websocket_walkthrough(stack, api, endpoints, commands));
    }
    for dlq in dead_letter_queues(stack) {
        let _ = writeln!(
            out,
            "  {} --endpoint-url {} dlq stats --queue {dlq}",
            commands.wsflow, endpoints.backend
        );
    }
    out
}

/// `; CloudFront adds X-Origin-Verify` when the edge entrance adds origin headers (their
/// values may be secrets: never shown).
fn origin_headers(stack: &Stack) -> String {
    let names: Vec<&str> = stack
        .distributions
        .iter()
        .flat_map(|d| d.origin_headers.iter().map(|(name, _)| name.as_str()))
        .collect();
    if names.is_empty() {
        return String::new();
    }
    format!("; CloudFront adds {}", names.join(", "))
}

/// A wscat session: a message for each custom route (shaped after the route selection
/// expression; a route that enqueues gets a job envelope's fields), and plain text, which no
/// route selects, for `$default`.
fn websocket_walkthrough(
    stack: &Stack,
    api: &WebSocketApi,
    endpoints: &Endpoints,
    commands: &Commands,
) -> String {
    let (mut out, headers) = credentials(stack, api, &endpoints.backend, &commands.wsflow);
    let path = if stack.cloudfront_functions.is_empty() {
        format!("/{}", api.stage.name)
    } else {
        "/any/custom/path?x=1".to_owned()
    };
    let _ = writeln!(
        out,
        "  {} -c '{}{path}'{headers}",
        commands.wscat,
        endpoints.websocket()
    );
    let field = api.route_selection_expression.strip_prefix("$request.body.");
    for (key, route) in api.routes.iter().filter(|(key, _)| !key.starts_with('$')) {
        let Some(field) = field else { break };
        let enqueues = route
            .integration
            .as_ref()
            .is_some_and(|i| i.kind == IntegrationKind::Aws && i.uri.contains(":sqs:"));
        let payload = if enqueues {
            r#""task":"store","data":{"k":"v"}"#
        } else {
            r#""data":"123456""#
        };
        let _ = writeln!(out, "    > {{\"{field}\":\"{key}\",{payload}}}");
    }
    if api.routes.contains_key("$default") {
        out.push_str("    > plain text (no route matches: $default answers)\n");
    }
    out
}

/// The commands that fetch what `$connect` demands (a token for its authorizer, an API key),
/// and the wscat options that present them. Key values are never printed: they are fetched.
fn credentials(stack: &Stack, api: &WebSocketApi, backend: &str, wsflow: &str) -> (String, String) {
    let (mut out, mut headers) = (String::new(), String::new());
    let Some(connect) = api.routes.get("$connect") else {
        return (out, headers);
    };
    if let Some(authorizer) = &connect.authorizer {
        let secret = authorizer
            .function
            .as_deref()
            .and_then(|f| stack.function(f))
            .and_then(|f| f.env.get("JWT_SECRET_ID"))
            .map(|id| format!(" --secret-id {id}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  TOKEN=$({wsflow} --endpoint-url {backend} token --sub me{secret})"
        );
        headers.push_str(" -H \"Authorization: Bearer $TOKEN\"");
    }
    let header = api
        .api_key_selection_expression
        .as_deref()
        .and_then(|e| e.strip_prefix("$request.header."));
    if let Some(header) = header.filter(|_| connect.api_key_required) {
        let _ = writeln!(
            out,
            "  KEY=$(aws --endpoint-url {backend} apigateway get-api-keys --include-values --query 'items[0].value' --output text)"
        );
        let _ = write!(headers, " -H \"{header}: $KEY\"");
    }
    (out, headers)
}

/// URLs of the queues that are some queue's dead-letter queue.
fn dead_letter_queues(stack: &Stack) -> Vec<&str> {
    stack
        .queues
        .iter()
        .filter(|q| {
            stack.queues.iter().any(|o| {
                o.redrive
                    .as_ref()
                    .is_some_and(|r| r.dead_letter_queue == q.logical_id)
            })
        })
        .map(|q| q.url.as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::time::Duration;
    use wsflow_cloudformation::LocalEnv;

    fn fixture() -> Stack {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../cloudformation/tests/fixtures/wsflow.template.json");
        wsflow_cloudformation::load(
            &path,
            &LocalEnv::new("http://127.0.0.1:4999", "http://127.0.0.1:8181"),
        )
        .unwrap()
    }

    fn commands() -> Commands {
        Commands {
            wsflow: "target/release/wsflow".into(),
            wscat: "cdk/node_modules/.bin/wscat".into(),
        }
    }

    fn endpoints() -> Endpoints {
        Endpoints {
            gateway_http: "http://127.0.0.1:8181".into(),
            edge_http: None,
            backend: "http://127.0.0.1:4999".into(),
            backend_kind: "moto".into(),
        }
    }

    #[test]
    fn the_resource_table_lists_every_resource_with_its_handling() {
        let stack = fixture();
        let table = resources(&stack);
        assert_eq!(
            table.lines().filter(|l| l.starts_with("  ")).count(),
            stack.resources.len()
        );
        let line = |id: &str| table.lines().find(|l| l.contains(id)).unwrap().to_owned();
        assert!(line("JobsQueue24944186").ends_with("provisioned on the backend"));
        assert!(line("QueueWorkerFunction3AE087B6").ends_with("emulated"));
        assert!(line("JobsDeadLetterAlarm").contains("not needed: no CloudWatch"));
    }

    #[test]
    fn the_banner_shows_where_to_connect_and_what_to_send() {
        let banner = banner(&fixture(), &endpoints(), &commands());
        for expected in [
            "WebSocket     ws://127.0.0.1:8181 ",
            "@connections  http://127.0.0.1:8181/api/@connections/{connectionId}",
            "Backend       http://127.0.0.1:4999 (moto)",
            "ApiUrl",
            "ws://127.0.0.1:8181/api",
            "TOKEN=$(target/release/wsflow --endpoint-url http://127.0.0.1:4999 token --sub me --secret-id wsflow/jwt-signing-key)",
            r#"cdk/node_modules/.bin/wscat -c 'ws://127.0.0.1:8181/any/custom/path?x=1' -H "Authorization: Bearer $TOKEN""#,
            r#"> {"action":"sync_sfn","data":"123456"}"#,
            r#"> {"action":"async_sfn","data":"123456"}"#,
            r#"> {"action":"enqueue","task":"store","data":{"k":"v"}}"#,
            "> plain text",
            "target/release/wsflow --endpoint-url http://127.0.0.1:4999 dlq stats --queue http://127.0.0.1:4999/123456789012/wsflow-jobs-dlq.fifo",
        ] {
            assert!(banner.contains(expected), "missing `{expected}` in:\n{banner}");
        }
    }

    #[test]
    fn a_stack_without_an_api_says_so() {
        let stack = Stack {
            api: None,
            ..fixture()
        };
        let banner = banner(&stack, &endpoints(), &commands());
        assert!(
            banner.contains("none: the template has no WebSocket API"),
            "{banner}"
        );
        assert!(!banner.contains("wscat"), "{banner}");
    }

    #[test]
    fn function_lines_say_which_run_and_why_others_do_not() {
        let text = functions(&[
            FunctionStatus {
                logical_id: "A".into(),
                name: "a".into(),
                state: Ok(Duration::from_millis(42)),
            },
            FunctionStatus {
                logical_id: "B".into(),
                name: "b".into(),
                state: Err("no binary".into()),
            },
        ]);
        assert!(text.contains("A (a): running (cold start 42 ms)"), "{text}");
        assert!(text.contains("B (b): NOT RUNNABLE: no binary"), "{text}");
    }
}
