//! Reading each resource type into the model, and how local mode handles every type.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::error::StackError;
use crate::intrinsics::{property_path, scalar_string, Resolver};
use crate::model::*;
use crate::template::Resource;

type Result<T> = std::result::Result<T, StackError>;

/// How local mode handles a resource type.
pub fn handling(kind: &str) -> Handling {
    const IAM: &str = "local mode does not enforce IAM";
    let not_needed = |reason: &str| Handling::NotNeeded(reason.to_owned());
    match kind {
        "AWS::ApiGatewayV2::Api"
        | "AWS::ApiGatewayV2::Integration"
        | "AWS::ApiGatewayV2::IntegrationResponse"
        | "AWS::ApiGatewayV2::Route"
        | "AWS::ApiGatewayV2::RouteResponse"
        | "AWS::ApiGatewayV2::Stage"
        | "AWS::ApiGatewayV2::Authorizer"
        | "AWS::ApiGatewayV2::Model"
        | "AWS::Lambda::Function"
        | "AWS::CloudFront::Function" => Handling::Emulated,
        "AWS::Lambda::EventSourceMapping" => Handling::Emulated,
        "AWS::SQS::Queue"
        | "AWS::DynamoDB::Table"
        | "AWS::StepFunctions::StateMachine"
        | "AWS::SecretsManager::Secret"
        | "AWS::ApiGateway::ApiKey"
        | "AWS::ApiGateway::UsagePlan"
        | "AWS::ApiGateway::UsagePlanKey" => Handling::Provisioned,
        "AWS::IAM::Role" | "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" | "AWS::IAM::InstanceProfile" => {
            not_needed(IAM)
        }
        "AWS::Lambda::Permission" => {
            not_needed("local mode does not enforce IAM: every integration may invoke every function")
        }
        "AWS::SQS::QueuePolicy" => {
            not_needed("local mode does not enforce IAM: queue policies are not checked")
        }
        "AWS::Logs::LogGroup" => not_needed("functions log to the terminal; no CloudWatch Logs locally"),
        "AWS::CloudWatch::Alarm" | "AWS::CloudWatch::CompositeAlarm" | "AWS::CloudWatch::Dashboard" => {
            not_needed("no CloudWatch metrics or alarms locally")
        }
        "AWS::CloudFront::Distribution"
        | "AWS::CloudFront::OriginRequestPolicy"
        | "AWS::CloudFront::CachePolicy"
        | "AWS::CloudFront::ResponseHeadersPolicy" => {
            not_needed("the gateway serves the viewer-request function itself")
        }
        "AWS::ApiGatewayV2::Deployment" => not_needed("local routes are live at once; no deployments"),
        "AWS::ApiGatewayV2::DomainName"
        | "AWS::ApiGatewayV2::ApiMapping"
        | "AWS::CertificateManager::Certificate" => {
            not_needed("the local gateway serves on its own address; custom domains are not used")
        }
        "AWS::WAFv2::WebACL" | "AWS::WAFv2::WebACLAssociation" | "AWS::WAFv2::IPSet" => {
            not_needed("WAF rules are not enforced locally")
        }
        "AWS::CDK::Metadata" => not_needed("CDK bookkeeping"),
        other => Handling::Unsupported(format!("local mode cannot run {other}")),
    }
}

/// Builds the stack from a resolver.
pub fn build(resolver: &Resolver<'_>) -> Result<Stack> {
    let template = resolver.template();
    let mut stack = Stack::default();
    let mut present = Vec::new();
    for resource in template.resources.values() {
        if resolver.exists(resource)? {
            stack.resources.push(ResourceStatus {
                logical_id: resource.logical_id.clone(),
                kind: resource.kind.clone(),
                handling: handling(&resource.kind),
            });
            present.push(resource);
        } else {
            stack.resources.push(ResourceStatus {
                logical_id: resource.logical_id.clone(),
                kind: resource.kind.clone(),
                handling: Handling::NotNeeded(format!(
                    "its condition `{}` is false",
                    resource.condition.clone().unwrap_or_default()
                )),
            });
        }
    }
    let of = |kind: &str| {
        present
            .iter()
            .copied()
            .filter(move |r| r.kind == kind)
            .collect::<Vec<_>>()
    };

    let rewriter = resolver.endpoint_rewriter();
    for resource in of("AWS::Lambda::Function") {
        stack.functions.push(function(resolver, resource, &rewriter)?);
    }
    let mut queues = Vec::new();
    for resource in of("AWS::SQS::Queue") {
        queues.push(queue(resolver, resource)?);
    }
    stack.queues = dependency_order(queues)?;
    for resource in of("AWS::DynamoDB::Table") {
        stack.tables.push(table(resolver, resource)?);
    }
    for resource in of("AWS::StepFunctions::StateMachine") {
        match state_machine(resolver, resource)? {
            Some(machine) => stack.state_machines.push(machine),
            None => mark_unsupported(
                &mut stack.resources,
                &resource.logical_id,
                "the definition is in S3 (DefinitionS3Location); inline it with DefinitionString",
            ),
        }
    }
    for resource in of("AWS::Lambda::EventSourceMapping") {
        match event_source(resolver, resource, &stack)? {
            Ok(mapping) => stack.event_sources.push(mapping),
            Err(reason) => mark_unsupported(&mut stack.resources, &resource.logical_id, &reason),
        }
    }
    let distributions = of("AWS::CloudFront::Distribution");
    for resource in of("AWS::CloudFront::Function") {
        stack
            .cloudfront_functions
            .push(edge_function(resolver, resource, &distributions)?);
    }
    stack.api = websocket_api(resolver, &present, &stack)?;
    for resource in of("AWS::SecretsManager::Secret") {
        stack.secrets.push(secret(resolver, resource)?);
    }
    for resource in of("AWS::ApiGateway::ApiKey") {
        stack.api_keys.push(api_key(resolver, resource)?);
    }
    let plan_keys = of("AWS::ApiGateway::UsagePlanKey");
    for resource in of("AWS::ApiGateway::UsagePlan") {
        stack
            .usage_plans
            .push(usage_plan(resolver, resource, &plan_keys)?);
    }
    for resource in of("AWS::ApiGatewayV2::Api") {
        if stack
            .api
            .as_ref()
            .is_none_or(|api| api.logical_id != resource.logical_id)
        {
            mark_unsupported(
                &mut stack.resources,
                &resource.logical_id,
                "only one WebSocket API is served locally (HTTP APIs are not)",
            );
        }
    }

    for (name, output) in &template.outputs {
        let path = format!("Outputs.{name}");
        if let Some(condition) = output.get("Condition").and_then(Value::as_str) {
            if !resolver.condition(condition, &format!("{path}.Condition"))? {
                continue;
            }
        }
        let value = output
            .get("Value")
            .ok_or_else(|| StackError::invalid(&path, "has no Value"))?;
        let resolved = resolver.resolve_required(value, &format!("{path}.Value"))?;
        let text = match resolved {
            Value::Array(items) => items
                .iter()
                .map(|v| scalar_string(v, &path))
                .collect::<Result<Vec<_>>>()?
                .join(","),
            other => scalar_string(&other, &path)?,
        };
        stack.outputs.insert(name.clone(), rewriter.rewrite(&text));
    }
    stack.warnings = resolver.warnings();
    Ok(stack)
}

fn mark_unsupported(resources: &mut [ResourceStatus], id: &str, reason: &str) {
    if let Some(status) = resources.iter_mut().find(|r| r.logical_id == id) {
        status.handling = Handling::Unsupported(reason.to_owned());
    }
}

// -------------------------------------------------------------------- helpers

struct Props<'r, 't> {
    resolver: &'r Resolver<'t>,
    resource: &'r Resource,
}

impl Props<'_, '_> {
    fn path(&self, name: &str) -> String {
        property_path(self.resource, name)
    }

    fn value(&self, name: &str) -> Result<Option<Value>> {
        self.resolver.property(self.resource, name)
    }

    fn string(&self, name: &str) -> Result<Option<String>> {
        self.resolver.property_string(self.resource, name)
    }

    fn required_string(&self, name: &str) -> Result<String> {
        self.string(name)?
            .ok_or_else(|| StackError::invalid(self.path(name), "is required"))
    }

    fn integer(&self, name: &str) -> Result<Option<u64>> {
        self.string(name)?
            .map(|text| {
                text.parse::<u64>().map_err(|_| {
                    StackError::invalid(self.path(name), format!("`{text}` is not a whole number"))
                })
            })
            .transpose()
    }

    fn flag(&self, name: &str) -> Result<Option<bool>> {
        self.string(name)?
            .map(|text| match text.as_str() {
                "true" | "True" => Ok(true),
                "false" | "False" => Ok(false),
                _ => Err(StackError::invalid(
                    self.path(name),
                    format!("`{text}` is not a boolean"),
                )),
            })
            .transpose()
    }

    fn string_map(&self, name: &str) -> Result<BTreeMap<String, String>> {
        string_map(self.value(name)?, &self.path(name))
    }
}

fn props<'r, 't>(resolver: &'r Resolver<'t>, resource: &'r Resource) -> Props<'r, 't> {
    Props { resolver, resource }
}

fn string_map(value: Option<Value>, path: &str) -> Result<BTreeMap<String, String>> {
    match value {
        None => Ok(BTreeMap::new()),
        Some(Value::Object(map)) => map
            .into_iter()
            .map(|(k, v)| {
                let text = scalar_string(&v, &format!("{path}.{k}"))?;
                Ok((k, text))
            })
            .collect(),
        Some(_) => Err(StackError::invalid(path, "must be an object of strings")),
    }
}

fn get_str(map: &Map<String, Value>, key: &str, path: &str) -> Result<Option<String>> {
    map.get(key)
        .map(|v| scalar_string(v, &format!("{path}.{key}")))
        .transpose()
}

fn get_u32(map: &Map<String, Value>, key: &str, path: &str) -> Result<Option<u32>> {
    get_str(map, key, path)?
        .map(|text| {
            text.parse::<u32>().map_err(|_| {
                StackError::invalid(format!("{path}.{key}"), format!("`{text}` is not a whole number"))
            })
        })
        .transpose()
}

fn get_f64(map: &Map<String, Value>, key: &str, path: &str) -> Result<Option<f64>> {
    get_str(map, key, path)?
        .map(|text| {
            text.parse::<f64>().map_err(|_| {
                StackError::invalid(format!("{path}.{key}"), format!("`{text}` is not a number"))
            })
        })
        .transpose()
}

fn to_u32(value: u64, path: &str) -> Result<u32> {
    u32::try_from(value).map_err(|_| StackError::invalid(path, "is too large"))
}

// -------------------------------------------------------------------- functions

fn function(
    resolver: &Resolver<'_>,
    resource: &Resource,
    rewriter: &crate::endpoints::EndpointRewriter,
) -> Result<Function> {
    let p = props(resolver, resource);
    let name = resolver.physical_name(&resource.logical_id, &p.path("FunctionName"))?;
    let mut env = BTreeMap::new();
    if let Some(environment) = p.value("Environment")? {
        let path = p.path("Environment.Variables");
        let variables = environment.get("Variables").cloned();
        for (key, value) in string_map(variables, &path)? {
            env.insert(key, rewriter.rewrite(&value));
        }
    }
    let architecture = match p.value("Architectures")? {
        Some(Value::Array(items)) if !items.is_empty() => {
            scalar_string(&items[0], &p.path("Architectures[0]"))?
        }
        _ => "x86_64".to_owned(),
    };
    Ok(Function {
        logical_id: resource.logical_id.clone(),
        arn: crate::intrinsics::function_arn(resolver.env(), &name),
        name,
        binary: resource.metadata_str("wsflow:binary").map(str::to_owned),
        manifest: resource.metadata_str("wsflow:manifest").map(str::to_owned),
        env,
        timeout_s: p.integer("Timeout")?.unwrap_or(3),
        memory_mb: to_u32(p.integer("MemorySize")?.unwrap_or(128), &p.path("MemorySize"))?,
        architecture,
        handler: p.string("Handler")?,
        runtime: p.string("Runtime")?,
    })
}

// -------------------------------------------------------------------- queues

/// SQS queue properties that become plain queue attributes (same names in both).
const QUEUE_ATTRIBUTES: &[&str] = &[
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "DeduplicationScope",
    "FifoThroughputLimit",
];

fn queue(resolver: &Resolver<'_>, resource: &Resource) -> Result<Queue> {
    let p = props(resolver, resource);
    let id = &resource.logical_id;
    let path = p.path("QueueName");
    let name = resolver.physical_name(id, &path)?;
    let url = resolver.attribute(id, Some("QueueUrl"), &path)?;
    let arn = resolver.attribute(id, Some("Arn"), &path)?;
    let mut attributes = BTreeMap::new();
    for attribute in QUEUE_ATTRIBUTES {
        if let Some(value) = p.string(attribute)? {
            attributes.insert((*attribute).to_owned(), value);
        }
    }
    let redrive = match p.value("RedrivePolicy")? {
        None => None,
        Some(value) => {
            let path = p.path("RedrivePolicy");
            let policy = match value {
                Value::String(text) => serde_json::from_str::<Value>(&text)
                    .map_err(|e| StackError::invalid(&path, format!("is not JSON: {e}")))?,
                other => other,
            };
            let policy = policy
                .as_object()
                .ok_or_else(|| StackError::invalid(&path, "must be an object"))?;
            let target = get_str(policy, "deadLetterTargetArn", &path)?
                .ok_or_else(|| StackError::invalid(&path, "has no deadLetterTargetArn"))?;
            let dead_letter_queue = resolver
                .template()
                .resources_of("AWS::SQS::Queue")
                .find(|q| {
                    resolver
                        .attribute(&q.logical_id, Some("Arn"), &path)
                        .ok()
                        .as_deref()
                        == Some(target.as_str())
                })
                .map(|q| q.logical_id.clone())
                .ok_or_else(|| {
                    StackError::invalid(
                        format!("{path}.deadLetterTargetArn"),
                        format!("`{target}` is not a queue of this template"),
                    )
                })?;
            Some(Redrive {
                dead_letter_queue,
                max_receive_count: get_u32(policy, "maxReceiveCount", &path)?.unwrap_or(10),
            })
        }
    };
    Ok(Queue {
        logical_id: id.clone(),
        fifo: p.flag("FifoQueue")?.unwrap_or(false),
        content_based_dedup: p.flag("ContentBasedDeduplication")?.unwrap_or(false),
        visibility_timeout_s: to_u32(
            p.integer("VisibilityTimeout")?.unwrap_or(30),
            &p.path("VisibilityTimeout"),
        )?,
        name,
        url,
        arn,
        attributes,
        redrive,
    })
}

/// Dead-letter queues before the queues that name them.
fn dependency_order(mut queues: Vec<Queue>) -> Result<Vec<Queue>> {
    let mut ordered: Vec<Queue> = Vec::with_capacity(queues.len());
    while !queues.is_empty() {
        let ready = queues.iter().position(|q| {
            q.redrive.as_ref().is_none_or(|r| {
                r.dead_letter_queue == q.logical_id
                    || ordered.iter().any(|o| o.logical_id == r.dead_letter_queue)
            })
        });
        match ready {
            Some(index) => ordered.push(queues.remove(index)),
            None => {
                return Err(StackError::Circular {
                    path: "Resources.*.Properties.RedrivePolicy".into(),
                    chain: queues.iter().map(|q| q.logical_id.clone()).collect(),
                })
            }
        }
    }
    Ok(ordered)
}

// -------------------------------------------------------------------- tables

/// The objects of a list property, each with its property path (for errors).
fn object_items<'a>(value: &'a Value, path: &str) -> Result<Vec<(String, &'a Map<String, Value>)>> {
    let items = value
        .as_array()
        .ok_or_else(|| StackError::invalid(path, "must be a list"))?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let path = format!("{path}[{i}]");
            let map = item
                .as_object()
                .ok_or_else(|| StackError::invalid(&path, "must be an object"))?;
            Ok((path, map))
        })
        .collect()
}

/// A string property that must be present.
fn required_str(map: &Map<String, Value>, key: &str, path: &str) -> Result<String> {
    get_str(map, key, path)?.ok_or_else(|| StackError::invalid(path, format!("has no {key}")))
}

fn key_schema(value: Option<&Value>, path: &str) -> Result<Vec<KeyElement>> {
    let Some(value) = value else { return Ok(Vec::new()) };
    object_items(value, path)?
        .into_iter()
        .map(|(path, map)| {
            Ok(KeyElement {
                attribute_name: required_str(map, "AttributeName", &path)?,
                key_type: required_str(map, "KeyType", &path)?,
            })
        })
        .collect()
}

fn indexes(value: Option<Value>, path: &str) -> Result<Vec<SecondaryIndex>> {
    let Some(value) = value else { return Ok(Vec::new()) };
    object_items(&value, path)?
        .into_iter()
        .map(|(path, map)| {
            let projection = map.get("Projection").and_then(Value::as_object);
            let non_key_attributes = projection
                .and_then(|p| p.get("NonKeyAttributes"))
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default();
            Ok(SecondaryIndex {
                index_name: required_str(map, "IndexName", &path)?,
                key_schema: key_schema(map.get("KeySchema"), &format!("{path}.KeySchema"))?,
                projection_type: projection
                    .and_then(|p| p.get("ProjectionType"))
                    .and_then(Value::as_str)
                    .unwrap_or("ALL")
                    .to_owned(),
                non_key_attributes,
            })
        })
        .collect()
}

fn table(resolver: &Resolver<'_>, resource: &Resource) -> Result<Table> {
    let p = props(resolver, resource);
    let id = &resource.logical_id;
    let name = resolver.physical_name(id, &p.path("TableName"))?;
    let key_schema = key_schema(p.value("KeySchema")?.as_ref(), &p.path("KeySchema"))?;
    let attribute_definitions = match p.value("AttributeDefinitions")? {
        None => Vec::new(),
        Some(value) => object_items(&value, &p.path("AttributeDefinitions"))?
            .into_iter()
            .map(|(path, map)| {
                Ok(AttributeDefinition {
                    attribute_name: required_str(map, "AttributeName", &path)?,
                    attribute_type: required_str(map, "AttributeType", &path)?,
                })
            })
            .collect::<Result<_>>()?,
    };
    let ttl_attribute = match p.value("TimeToLiveSpecification")? {
        Some(Value::Object(spec)) => {
            let path = p.path("TimeToLiveSpecification");
            let enabled = get_str(&spec, "Enabled", &path)?.is_some_and(|e| e == "true");
            if enabled {
                get_str(&spec, "AttributeName", &path)?
            } else {
                None
            }
        }
        _ => None,
    };
    if p.value("StreamSpecification")?.is_some() {
        resolver.warn(format!(
            "{id}: DynamoDB streams are not emulated locally (nothing consumes them here)"
        ));
    }
    Ok(Table {
        logical_id: id.clone(),
        arn: crate::intrinsics::table_arn(resolver.env(), &name),
        name,
        key_schema,
        attribute_definitions,
        global_secondary_indexes: indexes(
            p.value("GlobalSecondaryIndexes")?,
            &p.path("GlobalSecondaryIndexes"),
        )?,
        local_secondary_indexes: indexes(
            p.value("LocalSecondaryIndexes")?,
            &p.path("LocalSecondaryIndexes"),
        )?,
        ttl_attribute,
    })
}

// -------------------------------------------------------------------- state machines

/// `None` when the definition is in S3.
fn state_machine(resolver: &Resolver<'_>, resource: &Resource) -> Result<Option<StateMachine>> {
    let p = props(resolver, resource);
    let id = &resource.logical_id;
    let name = resolver.physical_name(id, &p.path("StateMachineName"))?;
    let mut definition = if let Some(text) = p.string("DefinitionString")? {
        text
    } else if let Some(object) = p.value("Definition")? {
        serde_json::to_string_pretty(&object).expect("JSON values serialize")
    } else if resource.properties.contains_key("DefinitionS3Location") {
        return Ok(None);
    } else {
        return Err(StackError::invalid(
            p.path("DefinitionString"),
            "the state machine has no definition",
        ));
    };
    let substitutions = p.string_map("DefinitionSubstitutions")?;
    for (key, value) in &substitutions {
        definition = definition.replace(&format!("${{{key}}}"), value);
    }
    if let Some(at) = definition.find("${") {
        let rest: String = definition[at..].chars().take(40).collect();
        resolver.warn(format!(
            "{id}: the definition still contains `{rest}…` after DefinitionSubstitutions"
        ));
    }
    let kind = match p.string("StateMachineType")?.as_deref() {
        None | Some("STANDARD") => StateMachineKind::Standard,
        Some("EXPRESS") => StateMachineKind::Express,
        Some(other) => {
            return Err(StackError::invalid(
                p.path("StateMachineType"),
                format!("`{other}` is neither STANDARD nor EXPRESS"),
            ))
        }
    };
    Ok(Some(StateMachine {
        logical_id: id.clone(),
        arn: crate::intrinsics::state_machine_arn(resolver.env(), &name),
        name,
        kind,
        definition,
        role_arn: p.required_string("RoleArn")?,
    }))
}

// -------------------------------------------------------------------- event sources

/// `Err(reason)` for sources local mode does not emulate.
fn event_source(
    resolver: &Resolver<'_>,
    resource: &Resource,
    stack: &Stack,
) -> Result<std::result::Result<EventSourceMapping, String>> {
    let p = props(resolver, resource);
    let function_ref = p.required_string("FunctionName")?;
    let function = stack
        .functions
        .iter()
        .find(|f| {
            f.name == function_ref
                || f.arn == function_ref
                || function_ref.starts_with(&format!("{}:", f.arn))
                || f.logical_id == function_ref
        })
        .map(|f| f.logical_id.clone())
        .ok_or_else(|| {
            StackError::invalid(
                p.path("FunctionName"),
                format!("`{function_ref}` is not a function of this template"),
            )
        })?;
    let Some(source) = p.string("EventSourceArn")? else {
        return Ok(Err(
            "only SQS event sources are emulated (this mapping has no EventSourceArn)".into(),
        ));
    };
    let Some(queue) = stack.queues.iter().find(|q| q.arn == source) else {
        return Ok(Err(format!(
            "only SQS event sources from queues of this template are emulated, not `{source}`"
        )));
    };
    let response_types = match p.value("FunctionResponseTypes")? {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::<String>::new(),
    };
    let max_concurrency = match p.value("ScalingConfig")? {
        Some(Value::Object(config)) => get_u32(&config, "MaximumConcurrency", &p.path("ScalingConfig"))?,
        _ => None,
    };
    Ok(Ok(EventSourceMapping {
        logical_id: resource.logical_id.clone(),
        function,
        queue: queue.logical_id.clone(),
        batch_size: to_u32(p.integer("BatchSize")?.unwrap_or(10), &p.path("BatchSize"))?,
        batching_window_s: to_u32(
            p.integer("MaximumBatchingWindowInSeconds")?.unwrap_or(0),
            &p.path("MaximumBatchingWindowInSeconds"),
        )?,
        report_batch_item_failures: response_types.iter().any(|t| t == "ReportBatchItemFailures"),
        max_concurrency,
        enabled: p.flag("Enabled")?.unwrap_or(true),
    }))
}

// -------------------------------------------------------------------- CloudFront functions

fn edge_function(
    resolver: &Resolver<'_>,
    resource: &Resource,
    distributions: &[&Resource],
) -> Result<CloudFrontFunction> {
    let p = props(resolver, resource);
    let id = &resource.logical_id;
    let arn = resolver.attribute(id, Some("FunctionARN"), &p.path("Name"))?;
    let mut event_type = None;
    for distribution in distributions {
        let path = property_path(distribution, "DistributionConfig");
        let Some(config) = resolver.property(distribution, "DistributionConfig")? else {
            continue;
        };
        let mut behaviors: Vec<&Value> = config.get("DefaultCacheBehavior").into_iter().collect();
        if let Some(Value::Array(more)) = config.get("CacheBehaviors") {
            behaviors.extend(more.iter());
        }
        for behavior in behaviors {
            let Some(Value::Array(associations)) = behavior.get("FunctionAssociations") else {
                continue;
            };
            for association in associations {
                if association.get("FunctionARN").and_then(Value::as_str) == Some(arn.as_str()) {
                    let kind = association
                        .get("EventType")
                        .map(|v| scalar_string(v, &path))
                        .transpose()?;
                    event_type = event_type.or(kind);
                }
            }
        }
    }
    let runtime = match p.value("FunctionConfig")? {
        Some(Value::Object(config)) => get_str(&config, "Runtime", &p.path("FunctionConfig"))?,
        _ => None,
    };
    Ok(CloudFrontFunction {
        logical_id: id.clone(),
        name: resolver.physical_name(id, &p.path("Name"))?,
        code: p.required_string("FunctionCode")?,
        runtime: runtime.unwrap_or_else(|| "cloudfront-js-1.0".to_owned()),
        event_type: event_type.unwrap_or_else(|| "viewer-request".to_owned()),
    })
}

// -------------------------------------------------------------------- the WebSocket API

fn websocket_api(
    resolver: &Resolver<'_>,
    present: &[&Resource],
    stack: &Stack,
) -> Result<Option<WebSocketApi>> {
    let of = |kind: &'static str| present.iter().copied().filter(move |r| r.kind == kind);
    let mut api_resource = None;
    for resource in of("AWS::ApiGatewayV2::Api") {
        let protocol = resolver.property_string(resource, "ProtocolType")?;
        if protocol.as_deref() == Some("WEBSOCKET") {
            if api_resource.is_some() {
                resolver.warn(format!(
                    "{}: a second WebSocket API; local mode serves only the first",
                    resource.logical_id
                ));
                continue;
            }
            api_resource = Some(resource);
        }
    }
    let Some(api) = api_resource else { return Ok(None) };
    let env = resolver.env();
    // Every Ref to an API resolves to env.api_id, so "belongs to this API" is ApiId == api_id.
    let belongs = |resource: &Resource| -> Result<bool> {
        Ok(resolver.property_string(resource, "ApiId")?.as_deref() == Some(env.api_id.as_str()))
    };
    let p = props(resolver, api);

    let mut stage = None;
    for resource in of("AWS::ApiGatewayV2::Stage") {
        if !belongs(resource)? {
            continue;
        }
        if stage.is_some() {
            resolver.warn(format!(
                "{}: a second stage; local mode serves only the first",
                resource.logical_id
            ));
            continue;
        }
        let sp = props(resolver, resource);
        let settings = |value: Option<&Value>, path: &str| -> Result<(Option<f64>, Option<u32>)> {
            let Some(Value::Object(map)) = value else {
                return Ok((None, None));
            };
            let rate = get_str(map, "ThrottlingRateLimit", path)?
                .map(|t| {
                    t.parse::<f64>().map_err(|_| {
                        StackError::invalid(format!("{path}.ThrottlingRateLimit"), "is not a number")
                    })
                })
                .transpose()?;
            Ok((rate, get_u32(map, "ThrottlingBurstLimit", path)?))
        };
        let (rate, burst) = settings(
            sp.value("DefaultRouteSettings")?.as_ref(),
            &sp.path("DefaultRouteSettings"),
        )?;
        let mut route_settings = BTreeMap::new();
        if let Some(Value::Object(map)) = sp.value("RouteSettings")? {
            for (key, value) in &map {
                route_settings.insert(
                    key.clone(),
                    settings(Some(value), &format!("{}.{key}", sp.path("RouteSettings")))?,
                );
            }
        }
        stage = Some(Stage {
            name: resolver.physical_name(&resource.logical_id, &sp.path("StageName"))?,
            throttling_rate: rate,
            throttling_burst: burst,
            route_settings,
            variables: sp.string_map("StageVariables")?,
        });
    }
    let stage = stage.unwrap_or_else(|| {
        resolver.warn("the WebSocket API has no stage; serving it as `$default`".to_owned());
        Stage {
            name: "$default".into(),
            throttling_rate: None,
            throttling_burst: None,
            route_settings: BTreeMap::new(),
            variables: BTreeMap::new(),
        }
    });

    // Integration responses, by integration logical id.
    let mut integration_responses: BTreeMap<String, Vec<IntegrationResponse>> = BTreeMap::new();
    for resource in of("AWS::ApiGatewayV2::IntegrationResponse") {
        if !belongs(resource)? {
            continue;
        }
        let rp = props(resolver, resource);
        integration_responses
            .entry(rp.required_string("IntegrationId")?)
            .or_default()
            .push(IntegrationResponse {
                key: rp.required_string("IntegrationResponseKey")?,
                templates: rp.string_map("ResponseTemplates")?,
                template_selection_expression: rp.string("TemplateSelectionExpression")?,
                content_handling: rp.string("ContentHandlingStrategy")?,
            });
    }
    let function_in = |text: &str| -> Option<String> {
        stack
            .functions
            .iter()
            .find(|f| {
                text.contains(&format!("{}/", f.arn))
                    || text.ends_with(&f.arn)
                    || text.contains(&format!("{}:", f.arn))
            })
            .map(|f| f.logical_id.clone())
    };
    let mut integrations: BTreeMap<String, Integration> = BTreeMap::new();
    for resource in of("AWS::ApiGatewayV2::Integration") {
        if !belongs(resource)? {
            continue;
        }
        let ip = props(resolver, resource);
        let kind_text = ip.required_string("IntegrationType")?;
        let kind = IntegrationKind::parse(&kind_text).ok_or_else(|| {
            StackError::invalid(
                ip.path("IntegrationType"),
                format!("unknown integration type `{kind_text}`"),
            )
        })?;
        let uri = ip.string("IntegrationUri")?.unwrap_or_default();
        let function = match kind {
            IntegrationKind::AwsProxy | IntegrationKind::Aws => function_in(&uri),
            _ => None,
        };
        if kind == IntegrationKind::AwsProxy && function.is_none() {
            resolver.warn(format!(
                "{}: the AWS_PROXY integration URI `{uri}` names no function of this template",
                resource.logical_id
            ));
        }
        let mut responses = integration_responses
            .remove(&resource.logical_id)
            .unwrap_or_default();
        responses.sort_by(|a, b| a.key.cmp(&b.key));
        integrations.insert(
            resource.logical_id.clone(),
            Integration {
                logical_id: resource.logical_id.clone(),
                kind,
                uri,
                method: ip.string("IntegrationMethod")?,
                function,
                request_templates: ip.string_map("RequestTemplates")?,
                template_selection_expression: ip.string("TemplateSelectionExpression")?,
                request_parameters: ip.string_map("RequestParameters")?,
                passthrough_behavior: ip.string("PassthroughBehavior")?,
                content_handling: ip.string("ContentHandlingStrategy")?,
                credentials_arn: ip.string("CredentialsArn")?,
                timeout_ms: ip.integer("TimeoutInMillis")?.unwrap_or(29_000),
                responses,
            },
        );
    }
    for (id, _) in integration_responses {
        resolver.warn(format!(
            "integration responses name `{id}`, which is no integration of the API"
        ));
    }

    let mut route_responses: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for resource in of("AWS::ApiGatewayV2::RouteResponse") {
        if !belongs(resource)? {
            continue;
        }
        let rp = props(resolver, resource);
        route_responses
            .entry(rp.required_string("RouteId")?)
            .or_default()
            .push(rp.required_string("RouteResponseKey")?);
    }

    let mut authorizers = BTreeMap::new();
    for resource in of("AWS::ApiGatewayV2::Authorizer") {
        if !belongs(resource)? {
            continue;
        }
        let ap = props(resolver, resource);
        let identity_sources = match ap.value("IdentitySource")? {
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| scalar_string(v, &ap.path("IdentitySource")))
                .collect::<Result<Vec<_>>>()?,
            Some(other) => vec![scalar_string(&other, &ap.path("IdentitySource"))?],
            None => Vec::new(),
        };
        let uri = ap.string("AuthorizerUri")?.unwrap_or_default();
        authorizers.insert(
            resource.logical_id.clone(),
            Authorizer {
                name: ap.string("Name")?.unwrap_or_else(|| resource.logical_id.clone()),
                function: function_in(&uri),
                identity_sources,
            },
        );
    }

    let mut routes = BTreeMap::new();
    for resource in of("AWS::ApiGatewayV2::Route") {
        if !belongs(resource)? {
            continue;
        }
        let rp = props(resolver, resource);
        let key = rp.required_string("RouteKey")?;
        let integration = match rp.string("Target")? {
            None => None,
            Some(target) => {
                let id = target.strip_prefix("integrations/").ok_or_else(|| {
                    StackError::invalid(
                        rp.path("Target"),
                        format!("`{target}` is not `integrations/{{id}}`"),
                    )
                })?;
                Some(integrations.get(id).cloned().ok_or_else(|| {
                    StackError::invalid(rp.path("Target"), format!("`{id}` is no integration of the API"))
                })?)
            }
        };
        let authorizer = match rp.string("AuthorizerId")? {
            None => None,
            Some(id) => Some(authorizers.get(&id).cloned().ok_or_else(|| {
                StackError::invalid(
                    rp.path("AuthorizerId"),
                    format!("`{id}` is no authorizer of the API"),
                )
            })?),
        };
        let mut responses = route_responses.remove(&resource.logical_id).unwrap_or_default();
        responses.sort();
        if routes.contains_key(&key) {
            return Err(StackError::invalid(
                rp.path("RouteKey"),
                format!("a second route `{key}`"),
            ));
        }
        routes.insert(
            key.clone(),
            Route {
                key,
                integration,
                route_response_selection_expression: rp.string("RouteResponseSelectionExpression")?,
                route_responses: responses,
                authorization_type: rp.string("AuthorizationType")?.unwrap_or_else(|| "NONE".into()),
                authorizer,
                api_key_required: rp.flag("ApiKeyRequired")?.unwrap_or(false),
                model_selection_expression: rp.string("ModelSelectionExpression")?,
                request_models: rp.string_map("RequestModels")?,
            },
        );
    }

    let mut models = BTreeMap::new();
    for resource in of("AWS::ApiGatewayV2::Model") {
        if !belongs(resource)? {
            continue;
        }
        let mp = props(resolver, resource);
        let schema = match mp.value("Schema")? {
            Some(Value::String(text)) => serde_json::from_str(&text)
                .map_err(|e| StackError::invalid(mp.path("Schema"), format!("is not JSON: {e}")))?,
            Some(schema @ Value::Object(_)) => schema,
            _ => {
                return Err(StackError::invalid(
                    mp.path("Schema"),
                    "must be a JSON Schema object",
                ))
            }
        };
        models.insert(mp.required_string("Name")?, schema);
    }

    Ok(Some(WebSocketApi {
        logical_id: api.logical_id.clone(),
        name: resolver.physical_name(&api.logical_id, &p.path("Name"))?,
        route_selection_expression: p
            .string("RouteSelectionExpression")?
            .unwrap_or_else(|| "$request.body.action".into()),
        api_key_selection_expression: p.string("ApiKeySelectionExpression")?,
        stage,
        routes,
        models,
    }))
}

// -------------------------------------------------------------------- secrets and API keys

fn secret(resolver: &Resolver<'_>, resource: &Resource) -> Result<Secret> {
    let sp = props(resolver, resource);
    let name = resolver.physical_name(&resource.logical_id, &sp.path("Name"))?;
    let value = match (sp.string("SecretString")?, sp.value("GenerateSecretString")?) {
        (Some(text), None) => SecretValue::Given(text),
        (None, Some(Value::Object(settings))) => {
            SecretValue::Generated(generated_secret(&settings, &sp.path("GenerateSecretString"))?)
        }
        (None, None) => SecretValue::Generated(GeneratedSecret::default()),
        _ => {
            return Err(StackError::invalid(
                sp.path("SecretString"),
                "give either SecretString or a GenerateSecretString object",
            ))
        }
    };
    Ok(Secret {
        logical_id: resource.logical_id.clone(),
        name,
        value,
    })
}

fn generated_secret(settings: &Map<String, Value>, path: &str) -> Result<GeneratedSecret> {
    let flag = |key: &str| -> Result<bool> {
        Ok(matches!(
            get_str(settings, key, path)?.as_deref(),
            Some("true" | "True")
        ))
    };
    let template = match (
        get_str(settings, "SecretStringTemplate", path)?,
        get_str(settings, "GenerateStringKey", path)?,
    ) {
        (Some(template), Some(key)) => Some((template, key)),
        (None, None) => None,
        _ => {
            return Err(StackError::invalid(
                path,
                "SecretStringTemplate and GenerateStringKey go together",
            ))
        }
    };
    Ok(GeneratedSecret {
        length: get_u32(settings, "PasswordLength", path)?.map(i64::from),
        exclude_characters: get_str(settings, "ExcludeCharacters", path)?,
        exclude_punctuation: flag("ExcludePunctuation")?,
        exclude_numbers: flag("ExcludeNumbers")?,
        exclude_lowercase: flag("ExcludeLowercase")?,
        exclude_uppercase: flag("ExcludeUppercase")?,
        include_space: flag("IncludeSpace")?,
        require_each_included_type: flag("RequireEachIncludedType")?,
        template,
    })
}

fn api_key(resolver: &Resolver<'_>, resource: &Resource) -> Result<ApiKey> {
    let kp = props(resolver, resource);
    Ok(ApiKey {
        logical_id: resource.logical_id.clone(),
        name: resolver.physical_name(&resource.logical_id, &kp.path("Name"))?,
        enabled: kp.flag("Enabled")?.unwrap_or(false),
        value: kp.string("Value")?,
    })
}

fn usage_plan(resolver: &Resolver<'_>, resource: &Resource, plan_keys: &[&Resource]) -> Result<UsagePlan> {
    let up = props(resolver, resource);
    let api_id = &resolver.env().api_id;
    let mut stages = Vec::new();
    if let Some(Value::Array(items)) = up.value("ApiStages")? {
        for (index, item) in items.iter().enumerate() {
            let path = format!("{}[{index}]", up.path("ApiStages"));
            let Value::Object(map) = item else {
                return Err(StackError::invalid(path, "must be an object"));
            };
            if get_str(map, "ApiId", &path)?.as_deref() == Some(api_id.as_str()) {
                stages.extend(get_str(map, "Stage", &path)?);
            }
        }
    }
    let throttle = match up.value("Throttle")? {
        Some(Value::Object(map)) => {
            let path = up.path("Throttle");
            let rate = get_f64(&map, "RateLimit", &path)?;
            let burst = get_u32(&map, "BurstLimit", &path)?;
            rate.zip(burst)
        }
        _ => None,
    };
    let quota = match up.value("Quota")? {
        Some(Value::Object(map)) => {
            let path = up.path("Quota");
            let limit = get_str(&map, "Limit", &path)?
                .map(|t| t.parse::<u64>())
                .transpose()
                .map_err(|_| StackError::invalid(format!("{path}.Limit"), "is not a whole number"))?;
            limit.map(|limit| Quota {
                limit,
                period: get_str(&map, "Period", &path)
                    .ok()
                    .flatten()
                    .unwrap_or_else(|| "DAY".into()),
            })
        }
        _ => None,
    };
    // A usage plan key's KeyId and UsagePlanId are Refs, which resolve to logical ids.
    let mut keys = Vec::new();
    for key in plan_keys {
        let kp = props(resolver, key);
        if kp.required_string("UsagePlanId")? == resource.logical_id {
            keys.push(kp.required_string("KeyId")?);
        }
    }
    Ok(UsagePlan {
        logical_id: resource.logical_id.clone(),
        name: resolver.physical_name(&resource.logical_id, &up.path("UsagePlanName"))?,
        api_id: api_id.clone(),
        stages,
        throttle,
        quota,
        keys,
    })
}
