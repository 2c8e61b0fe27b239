//! How local mode handles each resource type, and the per-resource record of it.

use crate::model::{Handling, ResourceStatus};

/// Types local mode runs itself.
const EMULATED: &[&str] = &[
    "AWS::ApiGatewayV2::Api",
    "AWS::ApiGatewayV2::Integration",
    "AWS::ApiGatewayV2::IntegrationResponse",
    "AWS::ApiGatewayV2::Route",
    "AWS::ApiGatewayV2::RouteResponse",
    "AWS::ApiGatewayV2::Stage",
    "AWS::ApiGatewayV2::Authorizer",
    "AWS::ApiGatewayV2::Model",
    "AWS::Lambda::Function",
    "AWS::CloudFront::Function",
    "AWS::CloudFront::Distribution",
    "AWS::Lambda::EventSourceMapping",
];

/// Types created on the backend.
const PROVISIONED: &[&str] = &[
    "AWS::SQS::Queue",
    "AWS::DynamoDB::Table",
    "AWS::StepFunctions::StateMachine",
    "AWS::SecretsManager::Secret",
    "AWS::ApiGateway::ApiKey",
    "AWS::ApiGateway::UsagePlan",
    "AWS::ApiGateway::UsagePlanKey",
];

/// How local mode handles a resource type.
pub fn handling(kind: &str) -> Handling {
    if EMULATED.contains(&kind) {
        Handling::Emulated
    } else if PROVISIONED.contains(&kind) {
        Handling::Provisioned
    } else if let Some(reason) = not_needed(kind) {
        Handling::NotNeeded(reason.to_owned())
    } else {
        Handling::Unsupported(format!("local mode cannot run {kind}"))
    }
}

/// Why local mode can do without a resource of this type, if it can.
fn not_needed(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "AWS::IAM::Role" | "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" | "AWS::IAM::InstanceProfile" => {
            "local mode does not enforce IAM"
        }
        "AWS::Lambda::Permission" => {
            "local mode does not enforce IAM: every integration may invoke every function"
        }
        "AWS::SQS::QueuePolicy" => "local mode does not enforce IAM: queue policies are not checked",
        "AWS::Logs::LogGroup" => "functions log to the terminal; no CloudWatch Logs locally",
        "AWS::CloudWatch::Alarm" | "AWS::CloudWatch::CompositeAlarm" | "AWS::CloudWatch::Dashboard" => {
            "no CloudWatch metrics or alarms locally"
        }
        "AWS::CloudFront::OriginRequestPolicy"
        | "AWS::CloudFront::CachePolicy"
        | "AWS::CloudFront::ResponseHeadersPolicy" => {
            "the gateway's edge entrance does what the distribution does"
        }
        "AWS::ApiGatewayV2::Deployment" => "local routes are live at once; no deployments",
        "AWS::ApiGatewayV2::DomainName"
        | "AWS::ApiGatewayV2::ApiMapping"
        | "AWS::CertificateManager::Certificate" => {
            "the local gateway serves on its own address; custom domains are not used"
        }
        "AWS::WAFv2::WebACL" | "AWS::WAFv2::IPSet" | "AWS::WAFv2::WebACLAssociation" => {
            "WAF rules are not enforced locally"
        }
        "AWS::CDK::Metadata" => "CDK bookkeeping",
        _ => return None,
    })
}

/// A reader found that local mode cannot run this resource after all, though its type is one
/// local mode handles.
pub(super) fn mark_unsupported(resources: &mut [ResourceStatus], id: &str, reason: &str) {
    if let Some(status) = resources.iter_mut().find(|r| r.logical_id == id) {
        status.handling = Handling::Unsupported(reason.to_owned());
    }
}
