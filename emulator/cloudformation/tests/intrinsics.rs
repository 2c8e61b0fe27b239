//! Each intrinsic and each Ref/GetAtt kind on small hand-written templates.

use serde_json::{json, Value};
use wsflow_cloudformation::intrinsics::Resolver;
use wsflow_cloudformation::{LocalEnv, StackError, Template};

fn env() -> LocalEnv {
    LocalEnv::new("http://127.0.0.1:4566", "http://127.0.0.1:8080")
}

/// Resolves `value` in a template with `resources` (and optional other sections).
fn resolve_in(template: Value, value: Value) -> Result<Option<Value>, StackError> {
    let template = Template::from_json(&template).unwrap();
    let env = env();
    let resolver = Resolver::new(&template, &env);
    resolver.resolve(&value, "Test")
}

fn resources() -> Value {
    json!({
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "jobs.fifo", "FifoQueue": true}},
            "AutoQueue": {"Type": "AWS::SQS::Queue", "Properties": {"FifoQueue": true}},
            "PlainQueue": {"Type": "AWS::SQS::Queue"},
            "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "conns"}},
            "AutoTable": {"Type": "AWS::DynamoDB::Table"},
            "Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {"StateMachineName": "flow"}},
            "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "worker"}},
            "AutoFn": {"Type": "AWS::Lambda::Function"},
            "Role": {"Type": "AWS::IAM::Role"},
            "Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"ProtocolType": "WEBSOCKET"}},
            "Integ": {"Type": "AWS::ApiGatewayV2::Integration"},
            "RouteR": {"Type": "AWS::ApiGatewayV2::Route"},
            "StageR": {"Type": "AWS::ApiGatewayV2::Stage", "Properties": {"StageName": "prod"}},
            "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/wsflow/logs"}},
            "Topic": {"Type": "AWS::SNS::Topic"}
        },
        "Parameters": {
            "Stage": {"Type": "String", "Default": "dev"},
            "Bootstrap": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/cdk-bootstrap/hnb659fds/version"},
            "NoDefault": {"Type": "String"}
        },
        "Conditions": {
            "IsDev": {"Fn::Equals": [{"Ref": "Stage"}, "dev"]},
            "IsProd": {"Fn::Not": [{"Condition": "IsDev"}]},
            "Both": {"Fn::And": [{"Condition": "IsDev"}, {"Fn::Equals": ["a", "a"]}]},
            "Either": {"Fn::Or": [{"Condition": "IsProd"}, {"Fn::Equals": [1, "1"]}]}
        },
        "Mappings": {"Sizes": {"dev": {"Memory": 256}}}
    })
}

fn ok(value: Value) -> Value {
    resolve_in(resources(), value).unwrap().unwrap()
}

fn err(value: Value) -> StackError {
    resolve_in(resources(), value).unwrap_err()
}

#[test]
fn pseudo_parameters() {
    assert_eq!(ok(json!({"Ref": "AWS::Region"})), "us-east-1");
    assert_eq!(ok(json!({"Ref": "AWS::AccountId"})), "123456789012");
    assert_eq!(ok(json!({"Ref": "AWS::Partition"})), "aws");
    assert_eq!(ok(json!({"Ref": "AWS::StackName"})), "wsflow");
    assert_eq!(ok(json!({"Ref": "AWS::URLSuffix"})), "amazonaws.com");
    let stack_id = ok(json!({"Ref": "AWS::StackId"}));
    assert!(stack_id
        .as_str()
        .unwrap()
        .starts_with("arn:aws:cloudformation:us-east-1:123456789012:stack/wsflow/"));
}

#[test]
fn no_value_removes_the_property_or_element() {
    assert_eq!(
        ok(json!({"a": {"Ref": "AWS::NoValue"}, "b": [1, {"Ref": "AWS::NoValue"}, 2]})),
        json!({"b": [1, 2]})
    );
    assert_eq!(
        resolve_in(resources(), json!({"Ref": "AWS::NoValue"})).unwrap(),
        None
    );
}

#[test]
fn parameters_resolve_to_defaults_or_overrides() {
    assert_eq!(ok(json!({"Ref": "Stage"})), "dev");
    assert_eq!(
        ok(json!({"Ref": "Bootstrap"})),
        "/cdk-bootstrap/hnb659fds/version"
    );
    let error = err(json!({"Ref": "NoDefault"})).to_string();
    assert!(
        error.contains("NoDefault") && error.contains("no Default"),
        "{error}"
    );

    let template = Template::from_json(&resources()).unwrap();
    let mut env = env();
    env.parameters.insert("Stage".into(), "prod".into());
    let resolver = Resolver::new(&template, &env);
    assert_eq!(
        resolver.resolve(&json!({"Ref": "Stage"}), "T").unwrap().unwrap(),
        "prod"
    );
    assert!(!resolver.condition("IsDev", "T").unwrap());
}

#[test]
fn sqs_queue_ref_and_attributes() {
    assert_eq!(
        ok(json!({"Ref": "Queue"})),
        "http://127.0.0.1:4566/123456789012/jobs.fifo"
    );
    assert_eq!(
        ok(json!({"Fn::GetAtt": ["Queue", "Arn"]})),
        "arn:aws:sqs:us-east-1:123456789012:jobs.fifo"
    );
    assert_eq!(ok(json!({"Fn::GetAtt": "Queue.QueueName"})), "jobs.fifo");
    assert_eq!(
        ok(json!({"Fn::GetAtt": ["Queue", "QueueUrl"]})),
        "http://127.0.0.1:4566/123456789012/jobs.fifo"
    );
    // Derived names: FIFO queues end in .fifo.
    assert_eq!(
        ok(json!({"Fn::GetAtt": ["AutoQueue", "QueueName"]})),
        "wsflow-AutoQueue.fifo"
    );
    assert_eq!(
        ok(json!({"Fn::GetAtt": ["PlainQueue", "QueueName"]})),
        "wsflow-PlainQueue"
    );
}

#[test]
fn dynamodb_table_ref_and_attributes() {
    assert_eq!(ok(json!({"Ref": "Table"})), "conns");
    assert_eq!(ok(json!({"Ref": "AutoTable"})), "wsflow-AutoTable");
    assert_eq!(
        ok(json!({"Fn::GetAtt": ["Table", "Arn"]})),
        "arn:aws:dynamodb:us-east-1:123456789012:table/conns"
    );
    let stream = ok(json!({"Fn::GetAtt": ["Table", "StreamArn"]}));
    assert!(stream
        .as_str()
        .unwrap()
        .starts_with("arn:aws:dynamodb:us-east-1:123456789012:table/conns/stream/"));
}

#[test]
fn state_machine_ref_and_attributes() {
    let arn = "arn:aws:states:us-east-1:123456789012:stateMachine:flow";
    assert_eq!(ok(json!({"Ref": "Machine"})), arn);
    assert_eq!(ok(json!({"Fn::GetAtt": ["Machine", "Arn"]})), arn);
    assert_eq!(ok(json!({"Fn::GetAtt": ["Machine", "Name"]})), "flow");
}

#[test]
fn lambda_role_and_log_group() {
    assert_eq!(ok(json!({"Ref": "Fn"})), "worker");
    assert_eq!(
        ok(json!({"Fn::GetAtt": ["Fn", "Arn"]})),
        "arn:aws:lambda:us-east-1:123456789012:function:worker"
    );
    assert_eq!(ok(json!({"Ref": "AutoFn"})), "wsflow-AutoFn");
    assert_eq!(ok(json!({"Ref": "Role"})), "Role");
    assert_eq!(
        ok(json!({"Fn::GetAtt": ["Role", "Arn"]})),
        "arn:aws:iam::123456789012:role/Role"
    );
    assert_eq!(ok(json!({"Ref": "Logs"})), "/wsflow/logs");
    assert_eq!(
        ok(json!({"Fn::GetAtt": ["Logs", "Arn"]})),
        "arn:aws:logs:us-east-1:123456789012:log-group:/wsflow/logs:*"
    );
}

#[test]
fn api_gateway_v2_refs() {
    assert_eq!(ok(json!({"Ref": "Api"})), "local0000a");
    assert_eq!(
        ok(json!({"Fn::GetAtt": ["Api", "ApiEndpoint"]})),
        "wss://local0000a.execute-api.us-east-1.amazonaws.com"
    );
    assert_eq!(ok(json!({"Ref": "Integ"})), "Integ");
    assert_eq!(ok(json!({"Ref": "RouteR"})), "RouteR");
    assert_eq!(ok(json!({"Ref": "StageR"})), "prod");
}

#[test]
fn unknown_types_get_a_deterministic_arn_and_a_warning() {
    let template = Template::from_json(&resources()).unwrap();
    let env = env();
    let resolver = Resolver::new(&template, &env);
    let value = resolver
        .resolve(&json!({"Ref": "Topic"}), "Out")
        .unwrap()
        .unwrap();
    assert_eq!(value, "arn:aws:sns:us-east-1:123456789012:Topic");
    let attr = resolver
        .resolve(&json!({"Fn::GetAtt": ["Topic", "TopicName"]}), "Out")
        .unwrap()
        .unwrap();
    assert_eq!(attr, "arn:aws:sns:us-east-1:123456789012:Topic/TopicName");
    let warnings = resolver.warnings();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].contains("Topic") && warnings[0].contains("AWS::SNS::Topic"));
}

#[test]
fn sub_forms() {
    assert_eq!(
        ok(json!({"Fn::Sub": "q=${Queue} r=${AWS::Region}"})),
        "q=http://127.0.0.1:4566/123456789012/jobs.fifo r=us-east-1"
    );
    assert_eq!(
        ok(json!({"Fn::Sub": "${Queue.Arn}|${Machine.Name}"})),
        "arn:aws:sqs:us-east-1:123456789012:jobs.fifo|flow"
    );
    assert_eq!(
        ok(json!({"Fn::Sub": "${!Literal} and ${!AWS::Region}"})),
        "${Literal} and ${AWS::Region}"
    );
    assert_eq!(
        ok(json!({"Fn::Sub": ["${Name}-${Stage}-${Fn}", {"Name": {"Fn::GetAtt": ["Table", "Arn"]}}]})),
        "arn:aws:dynamodb:us-east-1:123456789012:table/conns-dev-worker"
    );
    assert_eq!(ok(json!({"Fn::Sub": "no placeholders"})), "no placeholders");
    let error = err(json!({"Fn::Sub": "${Queue"})).to_string();
    assert!(error.contains("unclosed"), "{error}");
}

#[test]
fn join_select_split_base64_getazs_findinmap() {
    assert_eq!(
        ok(json!({"Fn::Join": ["-", ["a", {"Ref": "Table"}, 3]]})),
        "a-conns-3"
    );
    assert_eq!(ok(json!({"Fn::Join": ["", []]})), "");
    assert_eq!(ok(json!({"Fn::Select": [1, ["a", "b", "c"]]})), "b");
    assert_eq!(ok(json!({"Fn::Select": ["0", {"Fn::Split": [",", "x,y"]}]})), "x");
    assert_eq!(
        ok(json!({"Fn::Split": ["/", "a/b//c"]})),
        json!(["a", "b", "", "c"])
    );
    assert_eq!(ok(json!({"Fn::Base64": "hello world"})), "aGVsbG8gd29ybGQ=");
    assert_eq!(ok(json!({"Fn::Base64": "ab"})), "YWI=");
    assert_eq!(
        ok(json!({"Fn::GetAZs": ""})),
        json!(["us-east-1a", "us-east-1b", "us-east-1c"])
    );
    assert_eq!(
        ok(json!({"Fn::Select": [0, {"Fn::GetAZs": {"Ref": "AWS::Region"}}]})),
        "us-east-1a"
    );
    assert_eq!(
        ok(json!({"Fn::FindInMap": ["Sizes", {"Ref": "Stage"}, "Memory"]})),
        256
    );
    let error = err(json!({"Fn::Select": [5, ["a"]]})).to_string();
    assert!(
        error.contains("out of range") && error.contains("Test.Fn::Select"),
        "{error}"
    );
}

#[test]
fn if_and_conditions() {
    assert_eq!(ok(json!({"Fn::If": ["IsDev", "yes", "no"]})), "yes");
    assert_eq!(ok(json!({"Fn::If": ["IsProd", "yes", "no"]})), "no");
    assert_eq!(ok(json!({"Fn::If": ["Both", 1, 2]})), 1);
    assert_eq!(ok(json!({"Fn::If": ["Either", 1, 2]})), 1);
    assert_eq!(
        ok(json!({"x": {"Fn::If": ["IsProd", "set", {"Ref": "AWS::NoValue"}]}})),
        json!({})
    );
    // The branch not taken is never resolved, so it may name things that do not exist.
    assert_eq!(
        ok(json!({"Fn::If": ["IsDev", "fine", {"Ref": "Nowhere"}]})),
        "fine"
    );
    let error = err(json!({"Fn::If": ["Unknown", 1, 2]})).to_string();
    assert!(error.contains("unknown condition `Unknown`"), "{error}");
}

#[test]
fn resources_with_a_false_condition_are_skipped() {
    let template = json!({
        "Conditions": {"Never": {"Fn::Equals": ["a", "b"]}},
        "Resources": {
            "Kept": {"Type": "AWS::SQS::Queue"},
            "Skipped": {"Type": "AWS::SQS::Queue", "Condition": "Never"}
        },
        "Outputs": {
            "KeptUrl": {"Value": {"Ref": "Kept"}},
            "SkippedUrl": {"Condition": "Never", "Value": {"Ref": "Skipped"}}
        }
    });
    let stack = wsflow_cloudformation::from_json(&template, &env()).unwrap();
    assert_eq!(stack.queues.len(), 1);
    assert_eq!(stack.queues[0].logical_id, "Kept");
    assert_eq!(stack.outputs.keys().collect::<Vec<_>>(), ["KeptUrl"]);
    let skipped = stack
        .resources
        .iter()
        .find(|r| r.logical_id == "Skipped")
        .unwrap();
    assert!(
        matches!(&skipped.handling, wsflow_cloudformation::Handling::NotNeeded(reason) if reason.contains("Never"))
    );
    // Referring to it is an error naming the condition.
    let error = resolve_in(template, json!({"Ref": "Skipped"}))
        .unwrap_err()
        .to_string();
    assert!(error.contains("Skipped") && error.contains("Never"), "{error}");
}

#[test]
fn unknown_logical_id_names_the_path() {
    let error = err(json!({"a": [{"Ref": "Nowhere"}]}));
    assert!(matches!(&error, StackError::UnknownLogicalId { id, .. } if id == "Nowhere"));
    assert!(error.to_string().contains("Test.a[0].Ref"), "{error}");
    let error = err(json!({"Fn::GetAtt": ["Nowhere", "Arn"]}));
    assert!(
        matches!(&error, StackError::UnknownLogicalId { id, .. } if id == "Nowhere"),
        "{error}"
    );
    let error = err(json!({"Fn::Sub": "${Nowhere}"}));
    assert!(
        matches!(&error, StackError::UnknownLogicalId { id, .. } if id == "Nowhere"),
        "{error}"
    );
}

#[test]
fn unknown_attribute_names_resource_and_type() {
    let error = err(json!({"Fn::GetAtt": ["Queue", "Colour"]}));
    let text = error.to_string();
    assert!(matches!(error, StackError::UnknownAttribute { .. }));
    assert!(
        text.contains("Queue") && text.contains("AWS::SQS::Queue") && text.contains("Colour"),
        "{text}"
    );
    assert!(text.contains("Test.Fn::GetAtt"), "{text}");
}

#[test]
fn circular_sub_is_detected() {
    let template = json!({"Resources": {
        "A": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::Sub": "${B.QueueName}-a"}}},
        "B": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::Sub": "${A.QueueName}-b"}}},
        "Self": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": {"Fn::Sub": "${Self}-t"}}}
    }});
    let error = resolve_in(template.clone(), json!({"Ref": "A"})).unwrap_err();
    match &error {
        StackError::Circular { chain, path } => {
            assert_eq!(chain, &["A", "B", "A"]);
            assert!(path.contains("Resources.B.Properties.QueueName"), "{path}");
        }
        other => panic!("expected a circular error, got {other}"),
    }
    let error = resolve_in(template.clone(), json!({"Ref": "Self"})).unwrap_err();
    assert!(
        matches!(&error, StackError::Circular { chain, .. } if chain == &["Self", "Self"]),
        "{error}"
    );
    // from_json reports it too, with the resource path.
    let error = wsflow_cloudformation::from_json(&template, &env())
        .unwrap_err()
        .to_string();
    assert!(error.contains("circular reference"), "{error}");
}

#[test]
fn import_value_is_a_clear_error() {
    let template = json!({"Resources": {
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {
            "Environment": {"Variables": {"SHARED": {"Fn::ImportValue": "other-stack-bucket"}}}
        }}
    }});
    let error = wsflow_cloudformation::from_json(&template, &env()).unwrap_err();
    let text = error.to_string();
    assert!(matches!(error, StackError::ImportValue { .. }));
    assert!(
        text.contains("Resources.Fn.Properties.Environment.Variables.SHARED"),
        "{text}"
    );
    assert!(
        text.contains("other-stack-bucket") && text.contains("not available locally"),
        "{text}"
    );
}

#[test]
fn unsupported_intrinsic_is_named() {
    let error = err(json!({"Fn::Transform": {"Name": "x"}})).to_string();
    assert!(error.contains("Fn::Transform"), "{error}");
}
