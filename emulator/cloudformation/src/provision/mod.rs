//! Creating the stack's queues, tables, state machines, secrets, API keys and usage plans on
//! the AWS backend.
//!
//! Idempotent: a queue, table or state machine that already exists is reused (queue attributes
//! and state machine definitions are updated to the template's), so provisioning twice against
//! the same backend works. Created queue URLs and ARNs are checked against the values the
//! resolver predicted, since other values of the template (environment variables, VTL
//! templates, state machine definitions) embed them.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types as ddb;
use aws_sdk_sqs::types::QueueAttributeName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::error::{Result, StackError};
use crate::model::{Queue, Stack, StateMachine, Table};

mod api_keys;
mod report;
mod secrets;

pub use report::{Action, ProvisionReport, Provisioned, ProvisionedKey};

/// What the backend is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendKind {
    /// A moto server at this endpoint (`http://host:port`): before anything else, its Step
    /// Functions is switched to really executing ASL (`POST /moto-api/config`).
    Moto {
        /// moto's base URL, e.g. `http://127.0.0.1:4566`.
        endpoint: String,
    },
    /// Any other AWS-compatible endpoint, used as it is.
    Other,
}

/// Creates (or updates) every provisioned resource of `stack` on the backend `sdk` points at.
pub async fn provision(stack: &Stack, sdk: &SdkConfig, backend: BackendKind) -> Result<ProvisionReport> {
    if let BackendKind::Moto { endpoint } = &backend {
        configure_moto(endpoint).await?;
    }
    let mut report = ProvisionReport::default();
    let sqs = aws_sdk_sqs::Client::new(sdk);
    for queue in &stack.queues {
        let entry = provision_queue(&sqs, stack, queue).await?;
        report.resources.push(entry);
    }
    let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
    for table in &stack.tables {
        let entry = provision_table(&dynamodb, table, &mut report.notes).await?;
        report.resources.push(entry);
    }
    let sfn = aws_sdk_sfn::Client::new(sdk);
    for machine in &stack.state_machines {
        let entry = provision_state_machine(&sfn, machine).await?;
        report.resources.push(entry);
    }
    let secrets = aws_sdk_secretsmanager::Client::new(sdk);
    for secret in &stack.secrets {
        let entry = secrets::provision_secret(&secrets, secret).await?;
        report.resources.push(entry);
    }
    if !stack.api_keys.is_empty() || !stack.usage_plans.is_empty() {
        let apigateway = aws_sdk_apigateway::Client::new(sdk);
        report.api_keys = api_keys::provision_api_keys(&apigateway, stack, &mut report.resources).await?;
    }
    Ok(report)
}

// -------------------------------------------------------------------- moto

/// `POST {endpoint}/moto-api/config {"stepfunctions":{"execute_state_machine":true}}`, over a
/// plain HTTP/1.1 connection (moto serves plain HTTP).
pub async fn configure_moto(endpoint: &str) -> Result<()> {
    let what = "configuring moto to execute state machines";
    let authority = endpoint
        .strip_prefix("http://")
        .ok_or_else(|| StackError::backend(what, format!("`{endpoint}` is not an http:// endpoint")))?
        .trim_end_matches('/');
    let authority = authority.split('/').next().unwrap_or(authority);
    let address = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let body = r#"{"stepfunctions":{"execute_state_machine":true}}"#;
    let request = format!(
        "POST /moto-api/config HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(&address).await?;
        stream.write_all(request.as_bytes()).await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        Ok::<_, std::io::Error>(response)
    };
    let response = tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .map_err(|_| StackError::backend(what, "no answer within 10 s"))?
        .map_err(|e| StackError::backend(what, e))?;
    let text = String::from_utf8_lossy(&response);
    let status_line = text.lines().next().unwrap_or_default();
    let status = status_line.split_whitespace().nth(1).unwrap_or_default();
    if !status.starts_with('2') {
        return Err(StackError::backend(what, format!("answered `{status_line}`")));
    }
    Ok(())
}

// -------------------------------------------------------------------- queues

fn queue_attributes(stack: &Stack, queue: &Queue) -> Result<BTreeMap<String, String>> {
    let mut attributes = queue.attributes.clone();
    attributes.insert("VisibilityTimeout".into(), queue.visibility_timeout_s.to_string());
    if queue.fifo {
        attributes.insert(
            "ContentBasedDeduplication".into(),
            queue.content_based_dedup.to_string(),
        );
    }
    if let Some(redrive) = &queue.redrive {
        let target = stack.queue(&redrive.dead_letter_queue).ok_or_else(|| {
            StackError::invalid(
                format!("Resources.{}.Properties.RedrivePolicy", queue.logical_id),
                format!("`{}` is not a queue of this stack", redrive.dead_letter_queue),
            )
        })?;
        let policy = serde_json::json!({
            "deadLetterTargetArn": target.arn,
            "maxReceiveCount": redrive.max_receive_count,
        });
        attributes.insert("RedrivePolicy".into(), policy.to_string());
    }
    Ok(attributes)
}

async fn provision_queue(sqs: &aws_sdk_sqs::Client, stack: &Stack, queue: &Queue) -> Result<Provisioned> {
    let what = format!("queue {} ({})", queue.logical_id, queue.name);
    let attributes = queue_attributes(stack, queue)?;
    let as_sdk = |map: &BTreeMap<String, String>| -> HashMap<QueueAttributeName, String> {
        map.iter()
            .map(|(k, v)| (QueueAttributeName::from(k.as_str()), v.clone()))
            .collect()
    };
    let existing = sqs.get_queue_url().queue_name(&queue.name).send().await;
    let (url, action) = match existing {
        Ok(out) => {
            let url = out.queue_url.unwrap_or_default();
            sqs.set_queue_attributes()
                .queue_url(&url)
                .set_attributes(Some(as_sdk(&attributes)))
                .send()
                .await
                .map_err(|e| StackError::backend(&what, aws_sdk_sqs::error::DisplayErrorContext(e)))?;
            (url, Action::Updated)
        }
        Err(error) => {
            let service = error.as_service_error();
            if !service.is_some_and(|e| e.is_queue_does_not_exist()) {
                return Err(StackError::backend(
                    &what,
                    aws_sdk_sqs::error::DisplayErrorContext(error),
                ));
            }
            let mut create = attributes.clone();
            if queue.fifo {
                create.insert("FifoQueue".into(), "true".into());
            }
            let out = sqs
                .create_queue()
                .queue_name(&queue.name)
                .set_attributes(Some(as_sdk(&create)))
                .send()
                .await
                .map_err(|e| StackError::backend(&what, aws_sdk_sqs::error::DisplayErrorContext(e)))?;
            (out.queue_url.unwrap_or_default(), Action::Created)
        }
    };
    if url != queue.url {
        return Err(StackError::Mismatch {
            what: format!("URL of {what}"),
            expected: queue.url.clone(),
            actual: url,
        });
    }
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| StackError::backend(&what, aws_sdk_sqs::error::DisplayErrorContext(e)))?
        .attributes
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .unwrap_or_default();
    if arn != queue.arn {
        return Err(StackError::Mismatch {
            what: format!("ARN of {what}"),
            expected: queue.arn.clone(),
            actual: arn,
        });
    }
    Ok(Provisioned {
        logical_id: queue.logical_id.clone(),
        kind: "AWS::SQS::Queue".into(),
        physical_id: url,
        action,
    })
}

// -------------------------------------------------------------------- tables

fn key_elements(elements: &[crate::model::KeyElement]) -> Result<Vec<ddb::KeySchemaElement>> {
    elements
        .iter()
        .map(|k| {
            ddb::KeySchemaElement::builder()
                .attribute_name(&k.attribute_name)
                .key_type(ddb::KeyType::from(k.key_type.as_str()))
                .build()
                .map_err(|e| StackError::backend("key schema", e))
        })
        .collect()
}

fn projection(index: &crate::model::SecondaryIndex) -> ddb::Projection {
    ddb::Projection::builder()
        .projection_type(ddb::ProjectionType::from(index.projection_type.as_str()))
        .set_non_key_attributes(if index.non_key_attributes.is_empty() {
            None
        } else {
            Some(index.non_key_attributes.clone())
        })
        .build()
}

async fn provision_table(
    client: &aws_sdk_dynamodb::Client,
    table: &Table,
    notes: &mut Vec<String>,
) -> Result<Provisioned> {
    let what = format!("table {} ({})", table.logical_id, table.name);
    let error = |e| StackError::backend(&what, e);
    let existing = client.describe_table().table_name(&table.name).send().await;
    let action = match existing {
        Ok(out) => {
            let keys: Vec<(String, String)> = out
                .table
                .and_then(|t| t.key_schema)
                .unwrap_or_default()
                .into_iter()
                .map(|k| (k.attribute_name, k.key_type.as_str().to_owned()))
                .collect();
            let wanted: Vec<(String, String)> = table
                .key_schema
                .iter()
                .map(|k| (k.attribute_name.clone(), k.key_type.clone()))
                .collect();
            if keys != wanted {
                notes.push(format!(
                    "{what} exists with key schema {keys:?}, the template wants {wanted:?}; delete it to recreate it"
                ));
            }
            Action::Reused
        }
        Err(e) => {
            if !e
                .as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception())
            {
                return Err(error(aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string()));
            }
            let mut create = client
                .create_table()
                .table_name(&table.name)
                .billing_mode(ddb::BillingMode::PayPerRequest)
                .set_key_schema(Some(key_elements(&table.key_schema)?));
            for attribute in &table.attribute_definitions {
                create = create.attribute_definitions(
                    ddb::AttributeDefinition::builder()
                        .attribute_name(&attribute.attribute_name)
                        .attribute_type(ddb::ScalarAttributeType::from(attribute.attribute_type.as_str()))
                        .build()
                        .map_err(|e| error(e.to_string()))?,
                );
            }
            for index in &table.global_secondary_indexes {
                create = create.global_secondary_indexes(
                    ddb::GlobalSecondaryIndex::builder()
                        .index_name(&index.index_name)
                        .set_key_schema(Some(key_elements(&index.key_schema)?))
                        .projection(projection(index))
                        .build()
                        .map_err(|e| error(e.to_string()))?,
                );
            }
            for index in &table.local_secondary_indexes {
                create = create.local_secondary_indexes(
                    ddb::LocalSecondaryIndex::builder()
                        .index_name(&index.index_name)
                        .set_key_schema(Some(key_elements(&index.key_schema)?))
                        .projection(projection(index))
                        .build()
                        .map_err(|e| error(e.to_string()))?,
                );
            }
            create
                .send()
                .await
                .map_err(|e| error(aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string()))?;
            Action::Created
        }
    };
    if let Some(attribute) = &table.ttl_attribute {
        let current = client
            .describe_time_to_live()
            .table_name(&table.name)
            .send()
            .await
            .map_err(|e| error(aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string()))?
            .time_to_live_description;
        let enabled = current.as_ref().is_some_and(|d| {
            d.attribute_name.as_deref() == Some(attribute.as_str())
                && matches!(
                    d.time_to_live_status,
                    Some(ddb::TimeToLiveStatus::Enabled | ddb::TimeToLiveStatus::Enabling)
                )
        });
        if !enabled {
            client
                .update_time_to_live()
                .table_name(&table.name)
                .time_to_live_specification(
                    ddb::TimeToLiveSpecification::builder()
                        .attribute_name(attribute)
                        .enabled(true)
                        .build()
                        .map_err(|e| error(e.to_string()))?,
                )
                .send()
                .await
                .map_err(|e| error(aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string()))?;
        }
    }
    Ok(Provisioned {
        logical_id: table.logical_id.clone(),
        kind: "AWS::DynamoDB::Table".into(),
        physical_id: table.name.clone(),
        action,
    })
}

// -------------------------------------------------------------------- state machines

async fn provision_state_machine(sfn: &aws_sdk_sfn::Client, machine: &StateMachine) -> Result<Provisioned> {
    let what = format!("state machine {} ({})", machine.logical_id, machine.name);
    let error = |e: String| StackError::backend(&what, e);
    let existing = sfn
        .describe_state_machine()
        .state_machine_arn(&machine.arn)
        .send()
        .await;
    let (arn, action) = match existing {
        Ok(out) => {
            if out.definition != machine.definition || out.role_arn != machine.role_arn {
                sfn.update_state_machine()
                    .state_machine_arn(&machine.arn)
                    .definition(&machine.definition)
                    .role_arn(&machine.role_arn)
                    .send()
                    .await
                    .map_err(|e| error(aws_sdk_sfn::error::DisplayErrorContext(e).to_string()))?;
                (out.state_machine_arn, Action::Updated)
            } else {
                (out.state_machine_arn, Action::Reused)
            }
        }
        Err(e) => {
            if !e
                .as_service_error()
                .is_some_and(|s| s.is_state_machine_does_not_exist())
            {
                return Err(error(aws_sdk_sfn::error::DisplayErrorContext(e).to_string()));
            }
            let out = sfn
                .create_state_machine()
                .name(&machine.name)
                .definition(&machine.definition)
                .role_arn(&machine.role_arn)
                .r#type(aws_sdk_sfn::types::StateMachineType::from(machine.kind.as_str()))
                .send()
                .await
                .map_err(|e| error(aws_sdk_sfn::error::DisplayErrorContext(e).to_string()))?;
            (out.state_machine_arn, Action::Created)
        }
    };
    if arn != machine.arn {
        return Err(StackError::Mismatch {
            what: format!("ARN of {what}"),
            expected: machine.arn.clone(),
            actual: arn,
        });
    }
    Ok(Provisioned {
        logical_id: machine.logical_id.clone(),
        kind: "AWS::StepFunctions::StateMachine".into(),
        physical_id: arn,
        action,
    })
}
