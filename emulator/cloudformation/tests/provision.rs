//! Provisioning the checked-in template on a real moto server, twice, and running the async
//! Standard state machine there.

use std::path::Path;
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::QueueAttributeName;
use wsflow_cloudformation::provision::Action;
use wsflow_cloudformation::{provision, BackendKind, LocalEnv};

#[tokio::test]
async fn provisions_the_template_on_moto_twice_and_runs_the_async_workflow() -> anyhow::Result<()> {
    let moto = wsflow_testkit::Moto::start().await?;
    let sdk = moto.sdk_config().await;
    let env = LocalEnv::new(moto.endpoint(), "http://127.0.0.1:8080");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wsflow.template.json");
    let stack = wsflow_cloudformation::load(&fixture, &env)?;
    let backend = BackendKind::Moto {
        endpoint: moto.endpoint().to_owned(),
    };

    let first = provision(&stack, &sdk, backend.clone()).await?;
    // Queues, tables, state machines, the authorizer's signing secret.
    assert_eq!(first.resources.len(), 2 + 3 + 2 + 1);
    assert!(
        first.resources.iter().all(|r| r.action == Action::Created),
        "{first:#?}"
    );
    let second = provision(&stack, &sdk, backend).await?;
    assert_eq!(second.resources.len(), 8);
    assert!(
        second.resources.iter().all(|r| r.action != Action::Created),
        "{second:#?}"
    );
    assert!(second.notes.is_empty(), "{:?}", second.notes);

    // Queues.
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let dlq = stack.queue("JobsDeadLetterQueue8CC426EE").unwrap();
    let jobs = stack.queue("JobsQueue24944186").unwrap();
    assert_eq!(
        jobs.url,
        format!("{}/123456789012/wsflow-jobs.fifo", moto.endpoint())
    );
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(&jobs.url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await?
        .attributes
        .unwrap_or_default();
    assert_eq!(attributes[&QueueAttributeName::FifoQueue], "true");
    assert_eq!(attributes[&QueueAttributeName::VisibilityTimeout], "180");
    let redrive: serde_json::Value = serde_json::from_str(&attributes[&QueueAttributeName::RedrivePolicy])?;
    assert_eq!(redrive["deadLetterTargetArn"], dlq.arn.as_str());
    assert_eq!(redrive["maxReceiveCount"].to_string().trim_matches('"'), "5");
    let dlq_attributes = sqs
        .get_queue_attributes()
        .queue_url(&dlq.url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await?
        .attributes
        .unwrap_or_default();
    assert_eq!(dlq_attributes[&QueueAttributeName::FifoQueue], "true");
    assert_eq!(
        dlq_attributes[&QueueAttributeName::MessageRetentionPeriod],
        "1209600"
    );

    // Tables.
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    let connections = stack.table("ConnectionsTable916FDB22").unwrap();
    let described = ddb
        .describe_table()
        .table_name(&connections.name)
        .send()
        .await?
        .table
        .unwrap();
    let keys: Vec<(String, String)> = described
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name().to_owned(), k.key_type().as_str().to_owned()))
        .collect();
    assert_eq!(
        keys,
        [
            ("connectionId".to_owned(), "HASH".to_owned()),
            ("sk".to_owned(), "RANGE".to_owned())
        ]
    );
    let gsi = &described.global_secondary_indexes()[0];
    assert_eq!(gsi.index_name(), Some("byTopic"));
    assert_eq!(
        gsi.projection()
            .and_then(|p| p.projection_type())
            .map(|t| t.as_str()),
        Some("KEYS_ONLY")
    );
    for table in &stack.tables {
        let ttl = ddb
            .describe_time_to_live()
            .table_name(&table.name)
            .send()
            .await?
            .time_to_live_description
            .unwrap();
        match &table.ttl_attribute {
            Some(attribute) => {
                assert_eq!(ttl.attribute_name(), Some(attribute.as_str()), "{}", table.name);
                assert_eq!(
                    ttl.time_to_live_status().map(|s| s.as_str()),
                    Some("ENABLED"),
                    "{}",
                    table.name
                );
            }
            None => assert_ne!(
                ttl.time_to_live_status().map(|s| s.as_str()),
                Some("ENABLED"),
                "{}",
                table.name
            ),
        }
    }

    // State machines: the definition on the backend is the resolved one.
    let sfn = aws_sdk_sfn::Client::new(&sdk);
    for machine in &stack.state_machines {
        let described = sfn
            .describe_state_machine()
            .state_machine_arn(&machine.arn)
            .send()
            .await?;
        assert_eq!(
            described.definition(),
            machine.definition,
            "{}",
            machine.logical_id
        );
        assert_eq!(described.r#type().as_str(), machine.kind.as_str());
        assert_eq!(described.role_arn(), machine.role_arn);
    }

    // The async Standard workflow really runs on moto and reports to the FIFO jobs queue.
    let asynchronous = stack.state_machine("WorkflowsAsyncB0763BCB").unwrap();
    let input = r#"{"connectionId":"c1","requestId":"r1","receivedAt":1,"data":"x"}"#;
    let started = sfn
        .start_execution()
        .state_machine_arn(&asynchronous.arn)
        .name("r1")
        .input(input)
        .send()
        .await?;
    // moto has no StartSyncExecution: the gateway starts the Express machine and awaits it.
    // Check here that this works on moto, concurrently with the Standard one.
    let synchronous = stack.state_machine("WorkflowsSyncEC2035CE").unwrap();
    let started_sync = sfn
        .start_execution()
        .state_machine_arn(&synchronous.arn)
        .name("r2")
        .input(r#"{"connectionId":"c1","requestId":"r2","receivedAt":2,"data":{"n":1}}"#)
        .send()
        .await?;
    let status = await_execution(&sfn, started.execution_arn()).await?;
    assert_eq!(status.0, "SUCCEEDED", "the Standard execution ended {status:?}");
    let sync_status = await_execution(&sfn, started_sync.execution_arn()).await?;
    assert_eq!(
        sync_status.0, "SUCCEEDED",
        "the Express execution ended {sync_status:?}"
    );
    let sync_output: serde_json::Value = serde_json::from_str(sync_status.1.as_deref().unwrap_or("null"))?;
    assert_eq!(sync_output["data"], serde_json::json!({"n": 1}), "{sync_output}");
    assert_eq!(sync_output["requestId"], "r2");
    assert_eq!(
        sync_output["execution"]["executionId"],
        started_sync.execution_arn()
    );

    let received = sqs
        .receive_message()
        .queue_url(&jobs.url)
        .max_number_of_messages(10)
        .wait_time_seconds(2)
        .send()
        .await?;
    let messages = received.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let body: serde_json::Value = serde_json::from_str(messages[0].body().unwrap())?;
    assert_eq!(body["task"], "workflow-result");
    assert_eq!(body["source"], "workflow");
    assert_eq!(body["connectionId"], "c1");
    assert_eq!(body["requestId"], "r1");
    assert_eq!(body["data"]["status"], "SUCCEEDED");
    assert_eq!(body["data"]["executionArn"], started.execution_arn());
    assert_eq!(body["data"]["output"]["echo"], "x");
    Ok(())
}

/// Polls DescribeExecution until the execution is no longer RUNNING (at most 30 s): (status,
/// output, error, cause).
async fn await_execution(
    sfn: &aws_sdk_sfn::Client,
    arn: &str,
) -> anyhow::Result<(String, Option<String>, Option<String>, Option<String>)> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let described = sfn.describe_execution().execution_arn(arn).send().await?;
        let status = described.status().as_str().to_owned();
        if status != "RUNNING" {
            return Ok((
                status,
                described.output().map(str::to_owned),
                described.error().map(str::to_owned),
                described.cause().map(str::to_owned),
            ));
        }
        anyhow::ensure!(Instant::now() < deadline, "{arn} is still RUNNING after 30 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
