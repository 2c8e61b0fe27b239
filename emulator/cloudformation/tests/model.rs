//! Reading resources into the model, on small hand-written templates.

use serde_json::json;
use wsflow_cloudformation::{Handling, IntegrationKind, LocalEnv, StateMachineKind};

fn env() -> LocalEnv {
    LocalEnv::new("http://127.0.0.1:4566", "http://127.0.0.1:8080")
}

fn handling_of<'a>(stack: &'a wsflow_cloudformation::Stack, id: &str) -> &'a Handling {
    &stack
        .resources
        .iter()
        .find(|r| r.logical_id == id)
        .unwrap()
        .handling
}

#[test]
fn api_with_authorizer_models_route_settings_and_mock() {
    let template = json!({"Resources": {
        "Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {
            "Name": "chat", "ProtocolType": "WEBSOCKET", "RouteSelectionExpression": "$request.body.type",
            "ApiKeySelectionExpression": "$request.header.x-api-key"}},
        "AuthFn": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "auth"}},
        "Auth": {"Type": "AWS::ApiGatewayV2::Authorizer", "Properties": {
            "ApiId": {"Ref": "Api"}, "Name": "tokens", "AuthorizerType": "REQUEST",
            "IdentitySource": ["route.request.header.Auth", "route.request.querystring.token"],
            "AuthorizerUri": {"Fn::Sub": "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${AuthFn.Arn}/invocations"}}},
        "Mock": {"Type": "AWS::ApiGatewayV2::Integration", "Properties": {
            "ApiId": {"Ref": "Api"}, "IntegrationType": "MOCK", "TimeoutInMillis": 5000,
            "RequestTemplates": {"$default": "{\"statusCode\": 200}"}}},
        "Connect": {"Type": "AWS::ApiGatewayV2::Route", "Properties": {
            "ApiId": {"Ref": "Api"}, "RouteKey": "$connect", "AuthorizationType": "CUSTOM",
            "AuthorizerId": {"Ref": "Auth"}, "ApiKeyRequired": true,
            "Target": {"Fn::Join": ["/", ["integrations", {"Ref": "Mock"}]]}}},
        "Ping": {"Type": "AWS::ApiGatewayV2::Route", "Properties": {
            "ApiId": {"Ref": "Api"}, "RouteKey": "ping", "ModelSelectionExpression": "$request.body.type",
            "RequestModels": {"ping": "PingModel"}}},
        "Stage": {"Type": "AWS::ApiGatewayV2::Stage", "Properties": {
            "ApiId": {"Ref": "Api"}, "StageName": "prod",
            "RouteSettings": {"ping": {"ThrottlingRateLimit": 1.5, "ThrottlingBurstLimit": 2}},
            "StageVariables": {"mode": "test"}}},
        "Deployment": {"Type": "AWS::ApiGatewayV2::Deployment", "Properties": {"ApiId": {"Ref": "Api"}}}
    }});
    let stack = wsflow_cloudformation::from_json(&template, &env()).unwrap();
    let api = stack.api.unwrap();
    assert_eq!(api.name, "chat");
    assert_eq!(api.route_selection_expression, "$request.body.type");
    assert_eq!(
        api.api_key_selection_expression.as_deref(),
        Some("$request.header.x-api-key")
    );
    assert_eq!(api.stage.name, "prod");
    assert_eq!(api.stage.route_settings["ping"], (Some(1.5), Some(2)));
    assert_eq!(api.stage.throttling_rate, None);
    assert_eq!(api.stage.variables["mode"], "test");
    let connect = &api.routes["$connect"];
    assert_eq!(connect.authorization_type, "CUSTOM");
    assert!(connect.api_key_required);
    let authorizer = connect.authorizer.as_ref().unwrap();
    assert_eq!(authorizer.name, "tokens");
    assert_eq!(authorizer.function.as_deref(), Some("AuthFn"));
    assert_eq!(authorizer.identity_sources.len(), 2);
    let mock = connect.integration.as_ref().unwrap();
    assert_eq!(mock.kind, IntegrationKind::Mock);
    assert_eq!(mock.timeout_ms, 5000);
    let ping = &api.routes["ping"];
    assert!(ping.integration.is_none());
    assert_eq!(ping.request_models["ping"], "PingModel");
    assert!(matches!(
        handling_of(&stack_again(&template), "Deployment"),
        Handling::NotNeeded(_)
    ));
}

fn stack_again(template: &serde_json::Value) -> wsflow_cloudformation::Stack {
    wsflow_cloudformation::from_json(template, &env()).unwrap()
}

#[test]
fn edge_function_association_and_endpoint_rewriting() {
    let template = json!({"Resources": {
        "Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"ProtocolType": "WEBSOCKET"}},
        "Edge": {"Type": "AWS::CloudFront::Function", "Properties": {
            "Name": "edge", "FunctionCode": "function handler(e) { return e.response; }",
            "FunctionConfig": {"Runtime": "cloudfront-js-2.0"}}},
        "Lonely": {"Type": "AWS::CloudFront::Function", "Properties": {
            "Name": "lonely", "FunctionCode": "function handler(e) { return e.request; }"}},
        "Dist": {"Type": "AWS::CloudFront::Distribution", "Properties": {"DistributionConfig": {
            "DefaultCacheBehavior": {"FunctionAssociations": [
                {"EventType": "viewer-response", "FunctionARN": {"Fn::GetAtt": ["Edge", "FunctionARN"]}}]}}}},
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Environment": {"Variables": {
            "CALLBACK": {"Fn::Sub": "https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}/prod"},
            "ENDPOINT": {"Fn::GetAtt": ["Api", "ApiEndpoint"]},
            "VIA_CDN": {"Fn::Sub": "https://${Dist.DomainName}/x"},
            "OTHER": "https://abc.execute-api.us-east-1.amazonaws.com/prod",
            "PORT": 8080}}}}
    }});
    let stack = wsflow_cloudformation::from_json(&template, &env()).unwrap();
    let edge = stack
        .cloudfront_functions
        .iter()
        .find(|e| e.logical_id == "Edge")
        .unwrap();
    assert_eq!(edge.event_type, "viewer-response");
    assert_eq!(edge.runtime, "cloudfront-js-2.0");
    let lonely = stack
        .cloudfront_functions
        .iter()
        .find(|e| e.logical_id == "Lonely")
        .unwrap();
    assert_eq!(lonely.event_type, "viewer-request");
    let env = &stack.functions[0].env;
    assert_eq!(env["CALLBACK"], "http://127.0.0.1:8080/prod");
    assert_eq!(env["ENDPOINT"], "ws://127.0.0.1:8080");
    assert_eq!(env["VIA_CDN"], "http://127.0.0.1:8080/x");
    assert_eq!(
        env["OTHER"],
        "https://abc.execute-api.us-east-1.amazonaws.com/prod"
    );
    assert_eq!(env["PORT"], "8080");
    assert_eq!(stack.functions[0].timeout_s, 3);
    assert_eq!(stack.functions[0].memory_mb, 128);
    assert_eq!(stack.functions[0].architecture, "x86_64");
}

#[test]
fn state_machines_from_definition_objects_and_s3() {
    let template = json!({"Resources": {
        "Q": {"Type": "AWS::SQS::Queue"},
        "Role": {"Type": "AWS::IAM::Role"},
        "Inline": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
            "StateMachineType": "EXPRESS",
            "Definition": {"StartAt": "S", "States": {"S": {"Type": "Pass", "Result": "${Queue}", "End": true}}},
            "DefinitionSubstitutions": {"Queue": {"Ref": "Q"}},
            "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]}}},
        "InS3": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
            "DefinitionS3Location": {"Bucket": "b", "Key": "k"}, "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]}}}
    }});
    let stack = wsflow_cloudformation::from_json(&template, &env()).unwrap();
    assert_eq!(stack.state_machines.len(), 1);
    let machine = &stack.state_machines[0];
    assert_eq!(machine.kind, StateMachineKind::Express);
    assert_eq!(machine.name, "wsflow-Inline");
    let asl: serde_json::Value = serde_json::from_str(&machine.definition).unwrap();
    assert_eq!(
        asl["States"]["S"]["Result"],
        "http://127.0.0.1:4566/123456789012/wsflow-Q"
    );
    assert_eq!(machine.role_arn, "arn:aws:iam::123456789012:role/Role");
    assert!(matches!(handling_of(&stack, "InS3"), Handling::Unsupported(reason) if reason.contains("S3")));
}

#[test]
fn queues_tables_event_sources_and_unsupported_types() {
    let template = json!({"Resources": {
        "Main": {"Type": "AWS::SQS::Queue", "Properties": {
            "DelaySeconds": 5, "RedrivePolicy": "{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:123456789012:wsflow-Dead\",\"maxReceiveCount\":7}"}},
        "Dead": {"Type": "AWS::SQS::Queue"},
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "worker"}},
        "FromQueue": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {
            "FunctionName": {"Fn::GetAtt": ["Fn", "Arn"]}, "EventSourceArn": {"Fn::GetAtt": ["Main", "Arn"]},
            "BatchSize": 3, "MaximumBatchingWindowInSeconds": 2, "Enabled": false}},
        "FromKinesis": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {
            "FunctionName": {"Ref": "Fn"}, "EventSourceArn": "arn:aws:kinesis:us-east-1:123456789012:stream/s"}},
        "Items": {"Type": "AWS::DynamoDB::Table", "Properties": {
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
            "LocalSecondaryIndexes": [{"IndexName": "bySk", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a"]}}],
            "TimeToLiveSpecification": {"AttributeName": "exp", "Enabled": false}}},
        "Bucket": {"Type": "AWS::S3::Bucket"}
    }});
    let stack = wsflow_cloudformation::from_json(&template, &env()).unwrap();
    // The dead-letter queue comes first.
    assert_eq!(
        stack
            .queues
            .iter()
            .map(|q| q.logical_id.as_str())
            .collect::<Vec<_>>(),
        ["Dead", "Main"]
    );
    let main = stack.queue("Main").unwrap();
    assert_eq!(main.attributes["DelaySeconds"], "5");
    assert_eq!(main.visibility_timeout_s, 30);
    let redrive = main.redrive.as_ref().unwrap();
    assert_eq!(
        (redrive.dead_letter_queue.as_str(), redrive.max_receive_count),
        ("Dead", 7)
    );
    assert_eq!(stack.event_sources.len(), 1);
    let mapping = &stack.event_sources[0];
    assert_eq!(
        (mapping.function.as_str(), mapping.queue.as_str()),
        ("Fn", "Main")
    );
    assert_eq!(
        (mapping.batch_size, mapping.batching_window_s, mapping.enabled),
        (3, 2, false)
    );
    assert!(!mapping.report_batch_item_failures);
    assert!(
        matches!(handling_of(&stack, "FromKinesis"), Handling::Unsupported(reason) if reason.contains("kinesis"))
    );
    let items = stack.table("Items").unwrap();
    assert_eq!(items.ttl_attribute, None);
    assert_eq!(items.local_secondary_indexes[0].projection_type, "INCLUDE");
    assert_eq!(items.local_secondary_indexes[0].non_key_attributes, ["a"]);
    assert!(
        matches!(handling_of(&stack, "Bucket"), Handling::Unsupported(reason) if reason.contains("AWS::S3::Bucket"))
    );
    assert_eq!(stack.unsupported().count(), 2);
}

/// The pieces `wsflow dev` needs to enforce what API Gateway enforces: models, a secret for
/// the authorizer, API keys and the usage plans that bind them to the stage.
fn secured_template() -> serde_json::Value {
    json!({"Resources": {
        "Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {
            "Name": "chat", "ProtocolType": "WEBSOCKET", "RouteSelectionExpression": "$request.body.action"}},
        "Stage": {"Type": "AWS::ApiGatewayV2::Stage", "Properties": {"ApiId": {"Ref": "Api"}, "StageName": "api"}},
        "JobModel": {"Type": "AWS::ApiGatewayV2::Model", "Properties": {
            "ApiId": {"Ref": "Api"}, "Name": "Job", "ContentType": "application/json",
            "Schema": {"type": "object", "required": ["task"]}}},
        "TextModel": {"Type": "AWS::ApiGatewayV2::Model", "Properties": {
            "ApiId": {"Ref": "Api"}, "Name": "Text", "Schema": "{\"type\": \"string\"}"}},
        "Key": {"Type": "AWS::SecretsManager::Secret", "Properties": {
            "Name": {"Fn::Sub": "${AWS::StackName}/jwt-signing-key"},
            "GenerateSecretString": {"PasswordLength": 64, "ExcludePunctuation": true}}},
        "Given": {"Type": "AWS::SecretsManager::Secret", "Properties": {"SecretString": "abc"}},
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Environment": {"Variables": {
            "JWT_SECRET_ID": {"Ref": "Key"}}}}},
        "ClientKey": {"Type": "AWS::ApiGateway::ApiKey", "Properties": {"Enabled": true}},
        "OffKey": {"Type": "AWS::ApiGateway::ApiKey", "Properties": {"Name": "off", "Value": "0123456789abcdefghij"}},
        "Plan": {"Type": "AWS::ApiGateway::UsagePlan", "Properties": {
            "ApiStages": [{"ApiId": {"Ref": "Api"}, "Stage": {"Ref": "Stage"}}, {"ApiId": "another", "Stage": "x"}],
            "Throttle": {"RateLimit": 2.5, "BurstLimit": 4},
            "Quota": {"Limit": 1000, "Period": "WEEK"}}},
        "PlanKey": {"Type": "AWS::ApiGateway::UsagePlanKey", "Properties": {
            "KeyId": {"Ref": "ClientKey"}, "KeyType": "API_KEY", "UsagePlanId": {"Ref": "Plan"}}}
    }})
}

#[test]
fn models_secrets_api_keys_and_usage_plans() {
    let stack = wsflow_cloudformation::from_json(&secured_template(), &env()).unwrap();
    let api = stack.api.as_ref().unwrap();
    assert_eq!(api.models["Job"], json!({"type": "object", "required": ["task"]}));
    assert_eq!(api.models["Text"], json!({"type": "string"}));

    let key = stack.secrets.iter().find(|s| s.logical_id == "Key").unwrap();
    assert_eq!(key.name, "wsflow/jwt-signing-key");
    let wsflow_cloudformation::SecretValue::Generated(settings) = &key.value else {
        panic!("{:?}", key.value)
    };
    assert_eq!(settings.length, Some(64));
    assert!(settings.exclude_punctuation && !settings.exclude_numbers);
    let given = stack.secrets.iter().find(|s| s.logical_id == "Given").unwrap();
    assert_eq!(given.name, "wsflow-Given");
    assert_eq!(
        given.value,
        wsflow_cloudformation::SecretValue::Given("abc".into())
    );
    // Secrets Manager takes the name wherever it takes the ARN.
    assert_eq!(
        stack.function("Fn").unwrap().env["JWT_SECRET_ID"],
        "wsflow/jwt-signing-key"
    );

    assert_eq!(stack.api_keys.len(), 2);
    let client = stack
        .api_keys
        .iter()
        .find(|k| k.logical_id == "ClientKey")
        .unwrap();
    assert!(client.enabled && client.value.is_none());
    let off = stack.api_keys.iter().find(|k| k.logical_id == "OffKey").unwrap();
    assert!(!off.enabled);
    assert_eq!(off.name, "off");
    let plan = &stack.usage_plans[0];
    assert_eq!(plan.api_id, "local0000a");
    assert_eq!(plan.stages, ["api"]);
    assert_eq!(plan.throttle, Some((2.5, 4)));
    assert_eq!(
        plan.quota.as_ref().map(|q| (q.limit, q.period.as_str())),
        Some((1000, "WEEK"))
    );
    assert_eq!(plan.keys, ["ClientKey"]);
    for id in ["Key", "ClientKey", "Plan", "PlanKey"] {
        assert_eq!(handling_of(&stack, id), &Handling::Provisioned, "{id}");
    }
}

#[test]
fn a_model_whose_schema_is_not_json_is_named() {
    let mut template = secured_template();
    template["Resources"]["TextModel"]["Properties"]["Schema"] = json!("{not json");
    let error = wsflow_cloudformation::from_json(&template, &env())
        .unwrap_err()
        .to_string();
    assert!(error.contains("TextModel") && error.contains("Schema"), "{error}");
}
