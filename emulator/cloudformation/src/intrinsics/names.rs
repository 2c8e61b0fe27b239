//! Physical names: a resource's explicit name property, or the name CloudFormation would
//! derive from its logical id.

use serde_json::Value;

use super::resolver::Resolver;
use crate::error::Result;
use crate::template::Resource;

impl Resolver<'_> {
    /// The physical name of a resource: its explicit name property if it has one, else a name
    /// derived from `{stack_name}-{logical_id}` (FIFO queues get `.fifo`).
    pub fn physical_name(&self, id: &str, path: &str) -> Result<String> {
        if let Some(name) = self.names.borrow().get(id) {
            return Ok(name.clone());
        }
        let resource = self.resource(id, path)?;
        // The name property may itself refer back to this resource.
        self.enter(id, path)?;
        let result = self.compute_name(resource);
        self.leave();
        let name = result?;
        self.names.borrow_mut().insert(id.to_owned(), name.clone());
        Ok(name)
    }

    fn compute_name(&self, resource: &Resource) -> Result<String> {
        if let Some(property) = name_property(&resource.kind) {
            if let Some(name) = self.property_string(resource, property)? {
                return Ok(name);
            }
        }
        self.derived_name(resource)
    }

    fn derived_name(&self, resource: &Resource) -> Result<String> {
        let id = &resource.logical_id;
        let stack = &self.env.stack_name;
        Ok(match resource.kind.as_str() {
            // IAM roles and policies keep their logical id, as the resolver's ARNs promise.
            "AWS::IAM::Role"
            | "AWS::IAM::Policy"
            | "AWS::ApiGatewayV2::Api"
            | "AWS::CloudFront::Function" => id.clone(),
            "AWS::SQS::Queue" => self.derived_queue_name(resource)?,
            "AWS::Lambda::Function" | "AWS::StepFunctions::StateMachine" => {
                truncate(&format!("{stack}-{id}"), 64)
            }
            "AWS::Logs::LogGroup" => format!("/{stack}/{id}"),
            _ => format!("{stack}-{id}"),
        })
    }

    /// SQS allows 80 characters, `.fifo` included.
    fn derived_queue_name(&self, resource: &Resource) -> Result<String> {
        let fifo = self
            .property(resource, "FifoQueue")?
            .is_some_and(|v| v == Value::Bool(true) || v == "true");
        let base = truncate(
            &format!("{}-{}", self.env.stack_name, resource.logical_id),
            if fifo { 75 } else { 80 },
        );
        Ok(if fifo { format!("{base}.fifo") } else { base })
    }
}

/// The property that names a resource of this type, if the type has one.
fn name_property(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "AWS::SQS::Queue" => "QueueName",
        "AWS::DynamoDB::Table" => "TableName",
        "AWS::StepFunctions::StateMachine" => "StateMachineName",
        "AWS::Lambda::Function" => "FunctionName",
        "AWS::IAM::Role" => "RoleName",
        "AWS::IAM::Policy" => "PolicyName",
        "AWS::Logs::LogGroup" => "LogGroupName",
        "AWS::CloudFront::Function" | "AWS::ApiGatewayV2::Api" => "Name",
        "AWS::ApiGatewayV2::Stage" => "StageName",
        "AWS::SecretsManager::Secret" | "AWS::ApiGateway::ApiKey" => "Name",
        "AWS::ApiGateway::UsagePlan" => "UsagePlanName",
        _ => return None,
    })
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}
