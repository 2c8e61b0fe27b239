//! The synthesized template of this repository (a copy checked in under tests/fixtures/, so the
//! test never skips; `make synth` regenerates build/template.json, and the test also checks that
//! one when it exists).

use std::path::{Path, PathBuf};

use wsflow_cloudformation::{Handling, IntegrationKind, LocalEnv, Stack};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wsflow.template.json")
}

fn env() -> LocalEnv {
    LocalEnv::new("http://127.0.0.1:4566", "http://127.0.0.1:8080")
}

fn check(stack: &Stack) {
    let api = stack.api.as_ref().expect("a WebSocket API");
    assert_eq!(api.route_selection_expression, "$request.body.action");
    assert_eq!(api.stage.name, "api");
    let kinds: Vec<(&str, IntegrationKind)> = api
        .routes
        .values()
        .map(|r| (r.key.as_str(), r.integration.as_ref().expect("integration").kind))
        .collect();
    assert_eq!(
        kinds,
        [
            ("$connect", IntegrationKind::Aws),
            ("$default", IntegrationKind::AwsProxy),
            ("$disconnect", IntegrationKind::Aws),
            ("async_sfn", IntegrationKind::Aws),
            ("enqueue", IntegrationKind::Aws),
            ("sync_sfn", IntegrationKind::Aws),
        ]
    );
    // Two-way routes have a route response and integration responses.
    for key in ["enqueue", "sync_sfn", "async_sfn", "$default"] {
        let route = &api.routes[key];
        assert_eq!(route.route_responses, ["$default"], "{key}");
        assert_eq!(
            route.route_response_selection_expression.as_deref(),
            Some("$default"),
            "{key}"
        );
    }
    for key in ["enqueue", "sync_sfn", "async_sfn"] {
        let keys: Vec<&str> = api.routes[key]
            .integration
            .as_ref()
            .unwrap()
            .responses
            .iter()
            .map(|r| r.key.as_str())
            .collect();
        assert_eq!(keys, ["$default", "/2\\d\\d/"], "{key}");
    }
    let default = api.routes["$default"].integration.as_ref().unwrap();
    assert_eq!(
        default.function.as_deref(),
        Some("GatewayDefaultRouteFunction418D7E9B")
    );
    let enqueue = api.routes["enqueue"].integration.as_ref().unwrap();
    assert_eq!(
        enqueue.uri,
        "arn:aws:apigateway:us-east-1:sqs:path/123456789012/wsflow-jobs.fifo"
    );
    let async_template = &api.routes["async_sfn"]
        .integration
        .as_ref()
        .unwrap()
        .request_templates["$default"];
    let async_machine = stack.state_machine("WorkflowsAsyncB0763BCB").unwrap();
    assert!(async_template.contains(&async_machine.arn));

    // The $connect authorizer and the models of the custom routes.
    let connect = &api.routes["$connect"];
    assert_eq!(connect.authorization_type, "CUSTOM");
    let authorizer = connect.authorizer.as_ref().unwrap();
    assert_eq!(authorizer.function.as_deref(), Some("AuthorizerFunctionC74AF9C0"));
    assert_eq!(
        authorizer.identity_sources,
        ["route.request.header.Sec-WebSocket-Key"]
    );
    for route in ["enqueue", "sync_sfn", "async_sfn"] {
        let model = &api.routes[route].request_models["$default"];
        assert!(api.models[model].is_object(), "{route}: {model}");
    }
    let secret = &stack.secrets[0];
    assert_eq!(secret.name, "wsflow/jwt-signing-key");
    assert_eq!(
        stack.function("AuthorizerFunctionC74AF9C0").unwrap().env["JWT_SECRET_ID"],
        secret.name
    );

    // Functions: every one names its binary; the worker's callback URL is the local gateway.
    assert_eq!(stack.functions.len(), 3);
    for function in &stack.functions {
        assert!(
            function.binary.is_some(),
            "{} has no wsflow:binary",
            function.logical_id
        );
    }
    let worker = stack.function("QueueWorkerFunction3AE087B6").unwrap();
    assert_eq!(worker.binary.as_deref(), Some("queue-worker"));
    assert_eq!(worker.env["CALLBACK_URL"], "http://127.0.0.1:8080/api");
    assert_eq!(
        worker.env["DLQ_URL"],
        "http://127.0.0.1:4566/123456789012/wsflow-jobs-dlq.fifo"
    );
    assert_eq!(worker.timeout_s, 30);
    assert_eq!(worker.memory_mb, 256);

    // Queues: the DLQ first.
    let names: Vec<&str> = stack.queues.iter().map(|q| q.name.as_str()).collect();
    assert_eq!(names, ["wsflow-jobs-dlq.fifo", "wsflow-jobs.fifo"]);
    let jobs = &stack.queues[1];
    assert!(jobs.fifo);
    assert_eq!(jobs.visibility_timeout_s, 180);
    let redrive = jobs.redrive.as_ref().unwrap();
    assert_eq!(redrive.dead_letter_queue, "JobsDeadLetterQueue8CC426EE");
    assert_eq!(redrive.max_receive_count, 5);

    let mapping = &stack.event_sources[0];
    assert_eq!(stack.event_sources.len(), 1);
    assert_eq!(mapping.function, "QueueWorkerFunction3AE087B6");
    assert_eq!(mapping.queue, "JobsQueue24944186");
    assert!(mapping.report_batch_item_failures);
    assert_eq!((mapping.batch_size, mapping.max_concurrency), (10, Some(5)));

    // State machines: ASL JSON with every placeholder substituted.
    assert_eq!(stack.state_machines.len(), 2);
    for machine in &stack.state_machines {
        assert!(
            !machine.definition.contains("${"),
            "{} keeps a placeholder",
            machine.logical_id
        );
        let asl: serde_json::Value = serde_json::from_str(&machine.definition).expect("definition is JSON");
        assert!(asl["States"].is_object());
        assert!(machine.role_arn.starts_with("arn:aws:iam::123456789012:role/"));
    }
    assert!(async_machine.definition.contains(&jobs.url));

    // Tables.
    let connections = stack.table("ConnectionsTable916FDB22").unwrap();
    assert_eq!(connections.global_secondary_indexes[0].index_name, "byTopic");
    assert_eq!(connections.ttl_attribute.as_deref(), Some("ttl"));

    // The edge function, with its association.
    assert_eq!(stack.cloudfront_functions.len(), 1);
    let edge = &stack.cloudfront_functions[0];
    assert_eq!(edge.event_type, "viewer-request");
    assert_eq!(edge.runtime, "cloudfront-js-2.0");
    assert!(edge.code.contains("function handler(event)"));

    // Every resource accounted for, none unsupported.
    let template: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture()).unwrap()).unwrap();
    assert_eq!(
        stack.resources.len(),
        template["Resources"].as_object().unwrap().len()
    );
    let unsupported: Vec<_> = stack.unsupported().collect();
    assert!(unsupported.is_empty(), "{unsupported:#?}");
    for status in &stack.resources {
        if let Handling::NotNeeded(reason) = &status.handling {
            assert!(!reason.is_empty());
        }
    }

    // Outputs: API URLs rewritten to the gateway.
    assert_eq!(stack.outputs["ApiUrl"], "ws://127.0.0.1:8080/api");
    assert_eq!(stack.outputs["CloudFrontUrl"], "ws://127.0.0.1:8080");
    assert_eq!(stack.outputs["QueueUrl"], jobs.url);
    assert!(
        stack.warnings.iter().all(|w| !w.contains("does not know")),
        "{:?}",
        stack.warnings
    );
}

#[test]
fn the_checked_in_template_resolves_for_local_mode() {
    let stack = wsflow_cloudformation::load(&fixture(), &env()).unwrap();
    check(&stack);
}

#[test]
fn the_freshly_synthesized_template_resolves_too_when_present() {
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../build/template.json");
    if !built.exists() {
        eprintln!("build/template.json does not exist (run `make synth`); checked the fixture only");
        return;
    }
    let stack = wsflow_cloudformation::load(&built, &env()).unwrap();
    let api = stack.api.as_ref().expect("a WebSocket API");
    assert!(api.routes.len() >= 6);
    assert!(
        stack.unsupported().next().is_none(),
        "{:#?}",
        stack.unsupported().collect::<Vec<_>>()
    );
}
