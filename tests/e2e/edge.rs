//! The two ways into an API that a CloudFront distribution fronts (fixture
//! `tests/fixtures/stacks/origin-verify`): through the distribution, whose origin adds
//! `X-Origin-Verify` with a generated secret's value, or directly on `execute-api`, where
//! nothing adds it. The `$connect` authorizer names the header as an identity source and
//! compares it with the secret.
//!
//! Expected values come from AWS's documentation: CloudFront adds the origin's custom headers
//! to every request it sends to the origin ("Add custom headers to origin requests",
//! https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/add-origin-custom-headers.html);
//! a header value may be a dynamic reference to a Secrets Manager secret
//! (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-secretsmanager.html);
//! a missing identity source is refused with 401 without calling the authorizer, and an
//! authorizer that answers `Unauthorized` means 401 ("Control access to WebSocket APIs with
//! AWS Lambda REQUEST authorizers",
//! https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-lambda-auth.html).

use wsflow_e2e::{connect_with, refusal_status, repo_root, Dev};

async fn start() -> anyhow::Result<Dev> {
    let template = repo_root().join("tests/fixtures/stacks/origin-verify/template.yaml");
    Dev::launch(&template, false).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_handshakes_through_the_distribution_carry_the_origin_secret() -> anyhow::Result<()> {
    let dev = start().await?;
    let direct_port = dev
        .execute_api_port
        .expect("a stack with a distribution has an execute-api entrance");
    assert_ne!(direct_port, dev.port);
    let direct = format!("ws://127.0.0.1:{direct_port}/live");

    let missing = connect_with(&direct, &[]).await;
    assert_eq!(
        refusal_status(missing),
        401,
        "no X-Origin-Verify: refused before the authorizer"
    );
    let forged = connect_with(&direct, &[("X-Origin-Verify", "a-guess")]).await;
    assert_eq!(
        refusal_status(forged),
        401,
        "the authorizer refuses a wrong value"
    );

    let through_cloudfront = connect_with(&dev.ws_url("/live"), &[]).await;
    assert!(
        through_cloudfront.is_ok(),
        "the edge entrance adds the secret: {:?}",
        through_cloudfront.err()
    );
    let banner = dev.output.lock().unwrap().join("\n");
    assert!(banner.contains("CloudFront adds X-Origin-Verify"), "{banner}");
    dev.stop().await
}
