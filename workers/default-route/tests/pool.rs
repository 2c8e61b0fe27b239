//! Local Lambda's process pool on the real `default-route` binary: an execution environment
//! that ended between invocations is replaced, not handed the next event. (This file holds one
//! test, so the only `default-route` children of the test process are its pool's.)

use std::time::Duration;

use serde_json::json;
use wsflow_lambda::pool::Pool;
use wsflow_lambda::runtimes::Launch;
use wsflow_lambda::FunctionSpec;
use wsflow_testkit::{eventually, procfs};

const NAME: &str = "default-route";

fn processes() -> Vec<u32> {
    procfs::descendants_named(std::process::id(), NAME)
}

#[tokio::test]
async fn a_process_killed_between_invocations_is_replaced_and_the_next_event_succeeds() -> anyhow::Result<()>
{
    let spec = FunctionSpec {
        name: NAME.into(),
        launch: Launch::binary(env!("CARGO_BIN_EXE_default-route")),
        env: [("AWS_REGION".to_owned(), "us-east-1".to_owned())].into(),
        timeout: Duration::from_secs(10),
    };
    let pool = Pool::new(spec, 1);
    pool.warm().await.map_err(anyhow::Error::msg)?;
    let event = json!({ "requestContext": { "routeKey": "$default", "connectionId": "c1" }, "body": "hi" });
    assert_eq!(pool.invoke(&event).await?["statusCode"], 200);

    let [idle] = processes()[..] else {
        anyhow::bail!("one idle process expected: {:?}", processes());
    };
    std::process::Command::new("kill")
        .args(["-KILL", &idle.to_string()])
        .status()?;
    eventually(Duration::from_secs(10), "the idle process to end", || async {
        !procfs::alive(idle)
    })
    .await?;

    // Before the fix this invocation went to the dead process and failed with "exited".
    let answer = pool.invoke(&event).await?;
    assert_eq!(answer["statusCode"], 200);
    let now = processes();
    assert!(
        now.len() == 1 && now[0] != idle,
        "a fresh process: {now:?} (killed {idle})"
    );
    pool.stop();
    Ok(())
}
