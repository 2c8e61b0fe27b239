//! The repository's real CloudFront function, and functions that misbehave.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wsflow_cloudfront_functions::{CompiledFunction, EdgeOptions, EdgeOutcome, ViewerRequest};

fn ws_uri_source() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../cdk/functions/ws-uri.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn handshake(uri: &str, query: &[(&str, &str)]) -> ViewerRequest {
    let mut querystring: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in query {
        querystring
            .entry((*k).to_owned())
            .or_default()
            .push((*v).to_owned());
    }
    ViewerRequest {
        method: "GET".into(),
        uri: uri.into(),
        querystring,
        headers: BTreeMap::from([
            ("host".to_owned(), vec!["127.0.0.1:8080".to_owned()]),
            (
                "sec-websocket-key".to_owned(),
                vec!["dGhlIHNhbXBsZSBub25jZQ==".to_owned()],
            ),
            ("sec-websocket-version".to_owned(), vec!["13".to_owned()]),
        ]),
        cookies: BTreeMap::new(),
        client_ip: "127.0.0.1".into(),
    }
}

fn forwarded(outcome: EdgeOutcome) -> ViewerRequest {
    match outcome {
        EdgeOutcome::Forward(request) => request,
        other => panic!("expected the request to be forwarded, got {other:?}"),
    }
}

#[test]
fn ws_uri_moves_a_path_with_segments_into_the_header_and_keeps_the_query() {
    let function = CompiledFunction::compile("ws-uri", &ws_uri_source()).unwrap();
    let request = handshake("/rooms/42/chat", &[("q", "1"), ("tag", "a"), ("tag", "b")]);
    let out = forwarded(function.viewer_request(&request).unwrap());
    assert_eq!(out.uri, "/");
    assert_eq!(out.headers["ws-uri"], ["/rooms/42/chat"]);
    assert_eq!(out.querystring, request.querystring);
    assert_eq!(
        out.headers["sec-websocket-key"],
        request.headers["sec-websocket-key"]
    );
    assert_eq!(out.headers["host"], ["127.0.0.1:8080"]);
    assert_eq!(out.method, "GET");
    assert_eq!(out.client_ip, "127.0.0.1");
}

#[test]
fn ws_uri_on_the_root_path() {
    let function = CompiledFunction::compile("ws-uri", &ws_uri_source()).unwrap();
    let out = forwarded(function.viewer_request(&handshake("/", &[])).unwrap());
    assert_eq!(out.uri, "/");
    assert_eq!(out.headers["ws-uri"], ["/"]);
    assert!(out.querystring.is_empty());
}

#[test]
fn ws_uri_keeps_percent_encoded_characters_as_sent() {
    let function = CompiledFunction::compile("ws-uri", &ws_uri_source()).unwrap();
    let out = forwarded(
        function
            .viewer_request(&handshake("/caf%C3%A9/a%20b/%2F", &[("name", "J%C3%BCrgen")]))
            .unwrap(),
    );
    assert_eq!(out.headers["ws-uri"], ["/caf%C3%A9/a%20b/%2F"]);
    assert_eq!(out.querystring["name"], ["J%C3%BCrgen"]);
}

#[test]
fn the_event_has_the_cloudfront_functions_structure() {
    let code = r#"
        function handler(event) {
            var r = event.request;
            r.headers['x-event'] = { value: JSON.stringify({
                version: event.version,
                context: event.context,
                viewer: event.viewer,
                method: r.method,
                tag: r.querystring.tag,
                one: r.querystring.one,
                accept: r.headers.accept,
                cookie: r.cookies.session
            }) };
            return r;
        }"#;
    let function = CompiledFunction::compile_with(
        "shape",
        code,
        EdgeOptions {
            distribution_domain_name: "d111111abcdef8.cloudfront.net".into(),
            ..EdgeOptions::default()
        },
    )
    .unwrap();
    let mut request = handshake("/x", &[("tag", "a"), ("tag", "b"), ("one", "1")]);
    request.headers.insert(
        "accept".into(),
        vec!["text/html".into(), "application/json".into()],
    );
    request.cookies.insert("session".into(), vec!["abc".into()]);
    request.client_ip = "198.51.100.11".into();
    let out = forwarded(function.viewer_request(&request).unwrap());
    let event: serde_json::Value = serde_json::from_str(&out.headers["x-event"][0]).unwrap();
    assert_eq!(event["version"], "1.0");
    assert_eq!(event["context"]["eventType"], "viewer-request");
    assert_eq!(
        event["context"]["distributionDomainName"],
        "d111111abcdef8.cloudfront.net"
    );
    assert!(event["context"]["requestId"]
        .as_str()
        .is_some_and(|id| !id.is_empty()));
    assert_eq!(event["viewer"]["ip"], "198.51.100.11");
    assert_eq!(event["method"], "GET");
    assert_eq!(
        event["tag"],
        serde_json::json!({"value": "a", "multiValue": [{"value": "a"}, {"value": "b"}]})
    );
    assert_eq!(event["one"], serde_json::json!({"value": "1"}));
    assert_eq!(event["accept"]["multiValue"][1]["value"], "application/json");
    assert_eq!(event["cookie"], serde_json::json!({"value": "abc"}));
}

#[test]
fn a_function_that_throws_is_an_error_with_its_message() {
    let function = CompiledFunction::compile(
        "thrower",
        "function handler(e) { throw new Error('no entry for ' + e.request.uri); }",
    )
    .unwrap();
    let error = function.viewer_request(&handshake("/secret", &[])).unwrap_err();
    assert!(error.message.contains("no entry for /secret"), "{error}");
    assert!(error.message.contains("thrower"), "{error}");
    // The engine is still usable afterwards.
    assert!(function.viewer_request(&handshake("/again", &[])).is_err());
}

#[test]
fn a_returned_response_is_respond() {
    let code = r#"
        function handler(event) {
            if (event.request.uri === '/open') return event.request;
            console.log('refusing', event.request.uri);
            return {
                statusCode: 403,
                statusDescription: 'Forbidden',
                headers: { 'Content-Type': { value: 'text/plain' } },
                cookies: { seen: { value: '1', attributes: 'Path=/' } },
                body: 'go away'
            };
        }"#;
    let function = CompiledFunction::compile("gate", code).unwrap();
    let invocation = function.invoke(&handshake("/closed", &[])).unwrap();
    assert_eq!(invocation.logs, ["refusing /closed"]);
    match invocation.outcome {
        EdgeOutcome::Respond {
            status,
            status_description,
            headers,
            body,
            set_cookies,
        } => {
            assert_eq!(status, 403);
            assert_eq!(status_description.as_deref(), Some("Forbidden"));
            assert_eq!(headers["content-type"], "text/plain");
            assert_eq!(body.as_deref(), Some("go away"));
            assert_eq!(set_cookies, ["seen=1; Path=/"]);
        }
        other => panic!("expected a response, got {other:?}"),
    }
    assert!(matches!(
        function.viewer_request(&handshake("/open", &[])).unwrap(),
        EdgeOutcome::Forward(_)
    ));
}

#[test]
fn an_async_handler_and_a_base64_body() {
    let code = r#"
        async function handler(event) {
            return { statusCode: 200, body: { data: 'aGk=', encoding: 'base64' } };
        }"#;
    let function = CompiledFunction::compile("async", code).unwrap();
    match function.viewer_request(&handshake("/", &[])).unwrap() {
        EdgeOutcome::Respond { status, body, .. } => {
            assert_eq!(status, 200);
            assert_eq!(body.as_deref(), Some("hi"));
        }
        other => panic!("expected a response, got {other:?}"),
    }
}

#[test]
fn an_infinite_loop_runs_out_of_time_and_the_function_recovers() {
    let code = r#"
        function handler(event) {
            if (event.request.uri === '/loop') { while (true) {} }
            return event.request;
        }"#;
    let function = CompiledFunction::compile("spin", code).unwrap();
    let started = Instant::now();
    let error = function.viewer_request(&handshake("/loop", &[])).unwrap_err();
    let elapsed = started.elapsed();
    assert!(error.message.contains("time budget"), "{error}");
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
    // The engine is rebuilt: the next call works.
    assert!(matches!(
        function.viewer_request(&handshake("/fine", &[])).unwrap(),
        EdgeOutcome::Forward(_)
    ));
}

#[test]
fn a_memory_hog_hits_the_memory_limit() {
    let code = r#"
        function handler(event) {
            var a = [];
            while (true) { a.push('xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' + a.length); }
        }"#;
    let function = CompiledFunction::compile_with(
        "hog",
        code,
        EdgeOptions {
            memory_limit: 4 * 1024 * 1024,
            time_budget: Duration::from_secs(5),
            ..EdgeOptions::default()
        },
    )
    .unwrap();
    let error = function.viewer_request(&handshake("/", &[])).unwrap_err();
    assert!(error.message.contains("memory"), "{error}");
}

#[test]
fn a_syntax_error_fails_to_compile() {
    let error =
        CompiledFunction::compile("broken", "function handler(event) { return event.request; ").unwrap_err();
    assert!(error.message.contains("broken does not compile"), "{error}");
    assert!(error.message.contains("SyntaxError"), "{error}");
    let error = CompiledFunction::compile("nohandler", "var x = 1;").unwrap_err();
    assert!(error.message.contains("handler"), "{error}");
}

#[test]
fn invalid_results_are_errors() {
    let cases = [
        ("function handler(e) { }", "returned nothing"),
        (
            "function handler(e) { return 42; }",
            "not a request or a response",
        ),
        ("function handler(e) { return {}; }", "neither a request"),
        (
            "function handler(e) { e.request.headers['x'] = 'plain'; return e.request; }",
            "request.headers.x",
        ),
        (
            "function handler(e) { return { statusCode: 42 }; }",
            "not an HTTP status",
        ),
    ];
    for (code, expected) in cases {
        let function = CompiledFunction::compile("bad", code).unwrap();
        let error = function.viewer_request(&handshake("/", &[])).unwrap_err();
        assert!(error.message.contains(expected), "{code}: {error}");
    }
}

#[test]
fn one_function_serves_many_threads() {
    let function = Arc::new(CompiledFunction::compile("ws-uri", &ws_uri_source()).unwrap());
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let function = function.clone();
            std::thread::spawn(move || {
                for i in 0..50 {
                    let path = format!("/t{t}/{i}");
                    let out = forwarded(function.viewer_request(&handshake(&path, &[])).unwrap());
                    assert_eq!(out.headers["ws-uri"], [path]);
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
}

/// A `cloudfront-js-1.0` function as such functions are written (ES 5.1: `var`, no arrow
/// functions, the event's `request` changed in place and returned; the event structure is
/// the same in both runtimes, "CloudFront Functions event structure").
#[test]
fn a_cloudfront_js_1_0_function_runs() {
    let source = r#"
        function handler(event) {
            var request = event.request;
            var parts = request.uri.split('/');
            request.headers['x-first-segment'] = { value: parts.length > 1 ? parts[1] : '' };
            if (request.querystring.lang) {
                request.headers['x-lang'] = { value: request.querystring.lang.value };
            }
            return request;
        }
    "#;
    let function = CompiledFunction::compile("legacy", source).unwrap();
    let request = forwarded(
        function
            .viewer_request(&handshake("/rooms/42", &[("lang", "fr")]))
            .unwrap(),
    );
    assert_eq!(request.headers["x-first-segment"], ["rooms"]);
    assert_eq!(request.headers["x-lang"], ["fr"]);
    assert_eq!(request.uri, "/rooms/42");
}
