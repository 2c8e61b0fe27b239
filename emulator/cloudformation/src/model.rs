//! The stack as local mode runs it: plain data, every value resolved.

use std::collections::BTreeMap;

use serde_json::Value;

/// Where local mode runs and what the cloud-only values resolve to.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalEnv {
    /// `AWS::Region`. Default `us-east-1`.
    pub region: String,
    /// `AWS::AccountId`. Default `123456789012`, moto's default account.
    pub account: String,
    /// `AWS::StackName`, and the prefix of names derived from logical ids. Default `wsflow`.
    pub stack_name: String,
    /// The AWS backend's endpoint, e.g. `http://127.0.0.1:4566`. Queue URLs are built on it.
    pub backend_endpoint: String,
    /// The local WebSocket gateway's HTTP base URL (its `execute-api` entrance), e.g.
    /// `http://127.0.0.1:8080`; it also serves `@connections`. URLs of the API are rewritten to
    /// it, and those of CloudFront distributions too unless `edge_http` is set.
    pub gateway_http: String,
    /// The local gateway's edge entrance, when it has one: URLs of CloudFront distributions are
    /// rewritten to it.
    pub edge_http: Option<String>,
    /// The id every `Ref` to an `AWS::ApiGatewayV2::Api` resolves to.
    pub api_id: String,
    /// Values for template `Parameters`, overriding their `Default`s.
    pub parameters: BTreeMap<String, String>,
    /// A Python with `aws-sam-translator` (the project venv's): it reads YAML and SAM
    /// templates. Without it only CloudFormation JSON is read.
    pub python: Option<std::path::PathBuf>,
}

impl Default for LocalEnv {
    fn default() -> Self {
        LocalEnv {
            region: "us-east-1".into(),
            account: "123456789012".into(),
            stack_name: "wsflow".into(),
            backend_endpoint: "http://127.0.0.1:4566".into(),
            gateway_http: "http://127.0.0.1:8080".into(),
            edge_http: None,
            api_id: "local0000a".into(),
            parameters: BTreeMap::new(),
            python: None,
        }
    }
}

impl LocalEnv {
    /// The defaults, with the two endpoints that change from run to run.
    pub fn new(backend_endpoint: impl Into<String>, gateway_http: impl Into<String>) -> LocalEnv {
        LocalEnv {
            backend_endpoint: backend_endpoint.into().trim_end_matches('/').to_owned(),
            gateway_http: gateway_http.into().trim_end_matches('/').to_owned(),
            ..LocalEnv::default()
        }
    }

    /// `arn:aws:cloudformation:{region}:{account}:stack/{stack_name}/…`, deterministic.
    pub fn stack_id(&self) -> String {
        format!(
            "arn:aws:cloudformation:{}:{}:stack/{}/00000000-0000-4000-8000-000000000000",
            self.region, self.account, self.stack_name
        )
    }
}

/// The resolved stack.
#[derive(Debug, Clone, Default)]
pub struct Stack {
    /// The WebSocket API (`AWS::ApiGatewayV2::Api` with `ProtocolType: WEBSOCKET`), if any.
    pub api: Option<WebSocketApi>,
    /// `AWS::Lambda::Function`s, which local mode runs itself.
    pub functions: Vec<Function>,
    /// In dependency order: a dead-letter queue comes before the queues that use it.
    pub queues: Vec<Queue>,
    /// `AWS::DynamoDB::Table`s, created on the backend.
    pub tables: Vec<Table>,
    /// `AWS::StepFunctions::StateMachine`s with inline definitions, created on the backend.
    pub state_machines: Vec<StateMachine>,
    /// `AWS::Lambda::EventSourceMapping`s from queues of the stack, which local mode polls.
    pub event_sources: Vec<EventSourceMapping>,
    /// `AWS::CloudFront::Function`s, which the gateway runs on viewer requests (or responses).
    pub cloudfront_functions: Vec<CloudFrontFunction>,
    /// `AWS::CloudFront::Distribution`s: the gateway's edge entrance does what they do.
    pub distributions: Vec<Distribution>,
    /// `AWS::SecretsManager::Secret`s, created on the backend.
    pub secrets: Vec<Secret>,
    /// `AWS::ApiGateway::ApiKey`s, which usage plans bind to the WebSocket API's stage.
    pub api_keys: Vec<ApiKey>,
    /// `AWS::ApiGateway::UsagePlan`s: throttles and quotas for the API keys they name.
    pub usage_plans: Vec<UsagePlan>,
    /// Every resource of the template: how local mode handles it.
    pub resources: Vec<ResourceStatus>,
    /// `Outputs`, resolved, with endpoints rewritten to the local ones.
    pub outputs: BTreeMap<String, String>,
    /// Things worth telling the user: values invented for resource types local mode does not
    /// know, parameters taken from their defaults, and so on. Also logged with `tracing`.
    pub warnings: Vec<String>,
}

impl Stack {
    /// The function with this logical id.
    pub fn function(&self, logical_id: &str) -> Option<&Function> {
        self.functions.iter().find(|f| f.logical_id == logical_id)
    }

    /// The queue with this logical id.
    pub fn queue(&self, logical_id: &str) -> Option<&Queue> {
        self.queues.iter().find(|q| q.logical_id == logical_id)
    }

    /// The table with this logical id.
    pub fn table(&self, logical_id: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.logical_id == logical_id)
    }

    /// The state machine with this logical id.
    pub fn state_machine(&self, logical_id: &str) -> Option<&StateMachine> {
        self.state_machines.iter().find(|s| s.logical_id == logical_id)
    }

    /// Resources of the given handling class, e.g. to list the unsupported ones at startup.
    pub fn unsupported(&self) -> impl Iterator<Item = &ResourceStatus> {
        self.resources
            .iter()
            .filter(|r| matches!(r.handling, Handling::Unsupported(_)))
    }
}

/// One resource of the template and what local mode does with it.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceStatus {
    /// Its key in the template's `Resources`.
    pub logical_id: String,
    /// The CloudFormation type, e.g. `AWS::SQS::Queue`.
    pub kind: String,
    /// What local mode does with it.
    pub handling: Handling,
}

/// What local mode does with a resource.
#[derive(Debug, Clone, PartialEq)]
pub enum Handling {
    /// Run by local mode itself (API routes, functions, event source mappings, edge functions).
    Emulated,
    /// Created on the backend by [`crate::provision::provision`].
    Provisioned,
    /// Nothing to do locally; the reason says why.
    NotNeeded(String),
    /// Local mode cannot run this type; the reason says what is missing.
    Unsupported(String),
}

/// `AWS::ApiGatewayV2::Api` (WEBSOCKET) with its stage and routes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WebSocketApi {
    /// Its key in the template's `Resources`.
    pub logical_id: String,
    /// `Name`.
    pub name: String,
    /// e.g. `$request.body.action`.
    pub route_selection_expression: String,
    /// `ApiKeySelectionExpression`: where routes with `ApiKeyRequired` find the key.
    pub api_key_selection_expression: Option<String>,
    /// The API's `AWS::ApiGatewayV2::Stage` (the first, when there are several).
    pub stage: Stage,
    /// By route key (`$connect`, `$disconnect`, `$default`, custom keys).
    pub routes: BTreeMap<String, Route>,
    /// `AWS::ApiGatewayV2::Model`s of the API: name → JSON Schema (draft-04, API Gateway's dialect).
    pub models: BTreeMap<String, Value>,
}

/// `AWS::ApiGatewayV2::Stage`: the stage the gateway serves the API on.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Stage {
    /// `StageName`; `$default` when the template has no stage for the API.
    pub name: String,
    /// `DefaultRouteSettings.ThrottlingRateLimit` (requests per second).
    pub throttling_rate: Option<f64>,
    /// `DefaultRouteSettings.ThrottlingBurstLimit`.
    pub throttling_burst: Option<u32>,
    /// `RouteSettings`: by route key, (rate, burst).
    pub route_settings: BTreeMap<String, (Option<f64>, Option<u32>)>,
    /// `StageVariables`.
    pub variables: BTreeMap<String, String>,
}

/// `AWS::ApiGatewayV2::Route` with the integration, authorizer and route responses it names.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// `RouteKey`: `$connect`, `$disconnect`, `$default` or a value of the route selection expression.
    pub key: String,
    /// The integration named by `Target` (`integrations/{id}`).
    pub integration: Option<Integration>,
    /// `RouteResponseSelectionExpression`: set for two-way routes (e.g. `$default`).
    pub route_response_selection_expression: Option<String>,
    /// `RouteResponseKey` of each `AWS::ApiGatewayV2::RouteResponse` of this route.
    pub route_responses: Vec<String>,
    /// `AuthorizationType`: `NONE`, `AWS_IAM` or `CUSTOM`.
    pub authorization_type: String,
    /// The `AWS::ApiGatewayV2::Authorizer` named by `AuthorizerId` (used with `CUSTOM`).
    pub authorizer: Option<Authorizer>,
    /// `ApiKeyRequired`: a request must carry an enabled API key of a usage plan of the stage.
    pub api_key_required: bool,
    /// `ModelSelectionExpression`: picks the key of `request_models` for a message.
    pub model_selection_expression: Option<String>,
    /// `RequestModels`: selection key → model name.
    pub request_models: BTreeMap<String, String>,
}

/// `AWS::ApiGatewayV2::Authorizer` (`REQUEST`, backed by a Lambda function).
#[derive(Debug, Clone, PartialEq)]
pub struct Authorizer {
    /// `Name`, or the logical id.
    pub name: String,
    /// Logical id of the Lambda function whose ARN the `AuthorizerUri` contains.
    pub function: Option<String>,
    /// `IdentitySource`, e.g. `route.request.header.Auth`.
    pub identity_sources: Vec<String>,
}

/// `IntegrationType` of an `AWS::ApiGatewayV2::Integration`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntegrationKind {
    /// `AWS`: an AWS service action, with request and response templates.
    Aws,
    /// `AWS_PROXY`: a Lambda function invoked with the whole request as its event.
    AwsProxy,
    /// `MOCK`: answered by the integration responses alone.
    Mock,
    /// `HTTP`: an HTTP endpoint, with request and response templates.
    Http,
    /// `HTTP_PROXY`: an HTTP endpoint that receives the request as it is.
    HttpProxy,
}

impl IntegrationKind {
    /// The kind for an `IntegrationType` value; `None` for unknown types.
    pub fn parse(text: &str) -> Option<IntegrationKind> {
        Some(match text {
            "AWS" => IntegrationKind::Aws,
            "AWS_PROXY" => IntegrationKind::AwsProxy,
            "MOCK" => IntegrationKind::Mock,
            "HTTP" => IntegrationKind::Http,
            "HTTP_PROXY" => IntegrationKind::HttpProxy,
            _ => return None,
        })
    }
}

/// `AWS::ApiGatewayV2::Integration`: the backend a route sends messages to.
#[derive(Debug, Clone, PartialEq)]
pub struct Integration {
    /// Its key in the template's `Resources`.
    pub logical_id: String,
    /// `IntegrationType`.
    pub kind: IntegrationKind,
    /// `IntegrationUri`, resolved (e.g. `arn:aws:apigateway:us-east-1:sqs:path/123456789012/q`).
    /// Empty for MOCK integrations without one.
    pub uri: String,
    /// `IntegrationMethod`.
    pub method: Option<String>,
    /// Logical id of the Lambda function whose ARN the URI contains (AWS_PROXY or lambda AWS).
    pub function: Option<String>,
    /// `RequestTemplates`: template selection key → VTL.
    pub request_templates: BTreeMap<String, String>,
    /// `TemplateSelectionExpression`: picks the key of `request_templates`.
    pub template_selection_expression: Option<String>,
    /// `RequestParameters`, e.g. `integration.request.header.Content-Type` → `'application/x-www-form-urlencoded'`.
    pub request_parameters: BTreeMap<String, String>,
    /// `PassthroughBehavior`: `WHEN_NO_MATCH`, `NEVER` or `WHEN_NO_TEMPLATES`.
    pub passthrough_behavior: Option<String>,
    /// `ContentHandlingStrategy`.
    pub content_handling: Option<String>,
    /// `CredentialsArn`, resolved (local mode does not assume it).
    pub credentials_arn: Option<String>,
    /// `TimeoutInMillis`, default 29000.
    pub timeout_ms: u64,
    /// The `AWS::ApiGatewayV2::IntegrationResponse`s of this integration.
    pub responses: Vec<IntegrationResponse>,
}

/// `AWS::ApiGatewayV2::IntegrationResponse`: how an integration's answer becomes the route's response.
#[derive(Debug, Clone, PartialEq)]
pub struct IntegrationResponse {
    /// `IntegrationResponseKey`: `$default` or a status regex in slashes, e.g. `/2\d\d/`.
    pub key: String,
    /// `ResponseTemplates`: template selection key → VTL.
    pub templates: BTreeMap<String, String>,
    /// `TemplateSelectionExpression`: picks the key of `templates`.
    pub template_selection_expression: Option<String>,
    /// `ContentHandlingStrategy`: `CONVERT_TO_BINARY` or `CONVERT_TO_TEXT`.
    pub content_handling: Option<String>,
}

/// `AWS::Lambda::Function`.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    /// Its key in the template's `Resources`.
    pub logical_id: String,
    /// `FunctionName`, or a name derived from the logical id.
    pub name: String,
    /// `arn:aws:lambda:{region}:{account}:function:{name}`.
    pub arn: String,
    /// Metadata `wsflow:binary`: the Cargo binary that is this function's code.
    pub binary: Option<String>,
    /// Metadata `wsflow:manifest`: the Cargo manifest the binary is built from.
    pub manifest: Option<String>,
    /// `Environment.Variables`, resolved, API endpoints rewritten to the local gateway.
    pub env: BTreeMap<String, String>,
    /// `Timeout`, default 3.
    pub timeout_s: u64,
    /// `MemorySize`, default 128.
    pub memory_mb: u32,
    /// First of `Architectures`, default `x86_64`.
    pub architecture: String,
    /// `Handler` (absent for container images).
    pub handler: Option<String>,
    /// `Runtime` (absent for container images), e.g. `provided.al2023`.
    pub runtime: Option<String>,
    /// Where the function's code is.
    pub code: FunctionCode,
}

/// Where a function's code is, as far as local mode can reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FunctionCode {
    /// A local folder: a SAM `CodeUri` (metadata `wsflow:code`, set when the template is
    /// prepared).
    Directory(std::path::PathBuf),
    /// `Code.ZipFile` (SAM's `InlineCode`): the source itself.
    Inline(String),
    /// An S3 object, a container image, or a Cargo binary (`wsflow:binary`): nothing local.
    Remote,
}

/// `AWS::SQS::Queue`.
#[derive(Debug, Clone, PartialEq)]
pub struct Queue {
    /// Its key in the template's `Resources`.
    pub logical_id: String,
    /// `QueueName`, or `{stack_name}-{logical_id}` (plus `.fifo` for FIFO queues).
    pub name: String,
    /// `{backend_endpoint}/{account}/{name}`: moto's URL form.
    pub url: String,
    /// `arn:aws:sqs:{region}:{account}:{name}`.
    pub arn: String,
    /// `FifoQueue`.
    pub fifo: bool,
    /// `ContentBasedDeduplication` (FIFO queues only).
    pub content_based_dedup: bool,
    /// `VisibilityTimeout`, default 30.
    pub visibility_timeout_s: u32,
    /// Other SQS attributes to set, by SQS attribute name (`DelaySeconds`,
    /// `MessageRetentionPeriod`, `DeduplicationScope`, …).
    pub attributes: BTreeMap<String, String>,
    /// `RedrivePolicy`: where messages go after too many receives.
    pub redrive: Option<Redrive>,
}

/// A queue's `RedrivePolicy`.
#[derive(Debug, Clone, PartialEq)]
pub struct Redrive {
    /// Logical id of the dead-letter queue.
    pub dead_letter_queue: String,
    /// `maxReceiveCount`, default 10: receives before a message moves to the dead-letter queue.
    pub max_receive_count: u32,
}

/// `AWS::DynamoDB::Table`.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Its key in the template's `Resources`.
    pub logical_id: String,
    /// `TableName`, or `{stack_name}-{logical_id}`.
    pub name: String,
    /// `arn:aws:dynamodb:{region}:{account}:table/{name}`.
    pub arn: String,
    /// `KeySchema`: the partition key, and the sort key if any.
    pub key_schema: Vec<KeyElement>,
    /// `AttributeDefinitions`: the types of the key attributes (of the table and its indexes).
    pub attribute_definitions: Vec<AttributeDefinition>,
    /// `GlobalSecondaryIndexes`.
    pub global_secondary_indexes: Vec<SecondaryIndex>,
    /// `LocalSecondaryIndexes`.
    pub local_secondary_indexes: Vec<SecondaryIndex>,
    /// `TimeToLiveSpecification.AttributeName` when `Enabled`.
    pub ttl_attribute: Option<String>,
}

/// An entry of a `KeySchema`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyElement {
    /// `AttributeName`.
    pub attribute_name: String,
    /// `HASH` or `RANGE`.
    pub key_type: String,
}

/// An entry of `AttributeDefinitions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeDefinition {
    /// `AttributeName`.
    pub attribute_name: String,
    /// `S`, `N` or `B`.
    pub attribute_type: String,
}

/// An entry of `GlobalSecondaryIndexes` or `LocalSecondaryIndexes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecondaryIndex {
    /// `IndexName`.
    pub index_name: String,
    /// `KeySchema`.
    pub key_schema: Vec<KeyElement>,
    /// `ALL`, `KEYS_ONLY` or `INCLUDE`.
    pub projection_type: String,
    /// `Projection.NonKeyAttributes`: the attributes `INCLUDE` projects.
    pub non_key_attributes: Vec<String>,
}

/// `StateMachineType` of a state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateMachineKind {
    /// `STANDARD`, the default: asynchronous executions with history.
    Standard,
    /// `EXPRESS`: short executions, which may be started synchronously.
    Express,
}

impl StateMachineKind {
    /// The API's spelling: `STANDARD` or `EXPRESS`.
    pub fn as_str(self) -> &'static str {
        match self {
            StateMachineKind::Standard => "STANDARD",
            StateMachineKind::Express => "EXPRESS",
        }
    }
}

/// `AWS::StepFunctions::StateMachine`.
#[derive(Debug, Clone, PartialEq)]
pub struct StateMachine {
    /// Its key in the template's `Resources`.
    pub logical_id: String,
    /// `StateMachineName`, or `{stack_name}-{logical_id}`.
    pub name: String,
    /// `arn:aws:states:{region}:{account}:stateMachine:{name}`.
    pub arn: String,
    /// `StateMachineType`, default `STANDARD`.
    pub kind: StateMachineKind,
    /// The ASL JSON text: `DefinitionString` (or `Definition`) resolved, with
    /// `DefinitionSubstitutions` applied.
    pub definition: String,
    /// `RoleArn`, resolved.
    pub role_arn: String,
}

/// `AWS::Lambda::EventSourceMapping` from an SQS queue.
#[derive(Debug, Clone, PartialEq)]
pub struct EventSourceMapping {
    /// Its key in the template's `Resources`.
    pub logical_id: String,
    /// Logical id of the function.
    pub function: String,
    /// Logical id of the queue.
    pub queue: String,
    /// `BatchSize`, default 10.
    pub batch_size: u32,
    /// `MaximumBatchingWindowInSeconds`, default 0.
    pub batching_window_s: u32,
    /// `FunctionResponseTypes` contains `ReportBatchItemFailures`.
    pub report_batch_item_failures: bool,
    /// `ScalingConfig.MaximumConcurrency`.
    pub max_concurrency: Option<u32>,
    /// `Enabled`, default true.
    pub enabled: bool,
}

/// `AWS::CloudFront::Function`.
#[derive(Debug, Clone, PartialEq)]
pub struct CloudFrontFunction {
    /// Its key in the template's `Resources`.
    pub logical_id: String,
    /// `Name`, resolved.
    pub name: String,
    /// `FunctionCode`: the JavaScript source.
    pub code: String,
    /// `FunctionConfig.Runtime`, e.g. `cloudfront-js-2.0`.
    pub runtime: String,
    /// From the distribution's `FunctionAssociations` (`viewer-request` or `viewer-response`);
    /// `viewer-request` when no association names the function.
    pub event_type: String,
}

/// `AWS::CloudFront::Distribution`, as far as the API behind it sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Distribution {
    /// Its key in the template's `Resources`.
    pub logical_id: String,
    /// `OriginCustomHeaders` of the origin the default cache behavior targets: (name, value).
    /// A value may be a dynamic reference (`{{resolve:secretsmanager:…}}`), which
    /// [`crate::dynamic_references::resolve`] reads once the backend holds the secret.
    pub origin_headers: Vec<(String, String)>,
}

/// `AWS::SecretsManager::Secret`.
#[derive(Debug, Clone, PartialEq)]
pub struct Secret {
    /// Its key in the template's `Resources`.
    pub logical_id: String,
    /// `Name`, or `{stack_name}-{logical_id}`. `Ref` resolves to it: Secrets Manager accepts a
    /// name wherever it takes an ARN, and a real ARN's random suffix cannot be predicted.
    pub name: String,
    /// How the secret's value comes about.
    pub value: SecretValue,
}

/// The value of a secret: given in the template, or generated when it is created.
#[derive(Debug, Clone, PartialEq)]
pub enum SecretValue {
    /// `SecretString`.
    Given(String),
    /// `GenerateSecretString`: made by the backend's `GetRandomPassword`.
    Generated(GeneratedSecret),
}

/// `GenerateSecretString`'s settings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GeneratedSecret {
    /// `PasswordLength` (Secrets Manager's default, 32, when absent).
    pub length: Option<i64>,
    /// `ExcludeCharacters`: characters the password must not contain.
    pub exclude_characters: Option<String>,
    /// `ExcludePunctuation`.
    pub exclude_punctuation: bool,
    /// `ExcludeNumbers`.
    pub exclude_numbers: bool,
    /// `ExcludeLowercase`.
    pub exclude_lowercase: bool,
    /// `ExcludeUppercase`.
    pub exclude_uppercase: bool,
    /// `IncludeSpace`.
    pub include_space: bool,
    /// `RequireEachIncludedType`: at least one character of every type not excluded.
    pub require_each_included_type: bool,
    /// `SecretStringTemplate` and `GenerateStringKey`: the password goes into this JSON
    /// object under that key.
    pub template: Option<(String, String)>,
}

/// `AWS::ApiGateway::ApiKey`. Its value is a credential: never log it.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKey {
    /// Its key in the template's `Resources`.
    pub logical_id: String,
    /// `Name`, or `{stack_name}-{logical_id}`.
    pub name: String,
    /// `Enabled`, default false (as in CloudFormation): a disabled key is refused.
    pub enabled: bool,
    /// `Value`; the backend generates one when absent, as API Gateway does.
    pub value: Option<String>,
}

/// `AWS::ApiGateway::UsagePlan` with the keys its `AWS::ApiGateway::UsagePlanKey`s add.
#[derive(Debug, Clone, PartialEq)]
pub struct UsagePlan {
    /// Its key in the template's `Resources`.
    pub logical_id: String,
    /// `UsagePlanName`, or `{stack_name}-{logical_id}`.
    pub name: String,
    /// The WebSocket API's id; `ApiStages` of other APIs are left out.
    pub api_id: String,
    /// `ApiStages` of the WebSocket API: stage names.
    pub stages: Vec<String>,
    /// `Throttle`: (rate per second, burst).
    pub throttle: Option<(f64, u32)>,
    /// `Quota`.
    pub quota: Option<Quota>,
    /// Logical ids of the API keys.
    pub keys: Vec<String>,
}

/// `Quota`: at most `limit` requests per `period` (`DAY`, `WEEK` or `MONTH`).
#[derive(Debug, Clone, PartialEq)]
pub struct Quota {
    /// `Limit`: requests allowed per period.
    pub limit: u64,
    /// `Period`, default `DAY`.
    pub period: String,
}
