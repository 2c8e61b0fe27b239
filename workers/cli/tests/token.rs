//! `wsflow token` end to end: the real binary against a moto server holding the signing key,
//! its tokens checked with `jsonwebtoken` and the stored key.

use std::process::Output;
use std::time::UNIX_EPOCH;

use jsonwebtoken::{decode, get_current_timestamp, Algorithm, DecodingKey, Validation};
use serde_json::Value;
use wsflow_testkit::Moto;

const KEY: &str = "cli-test-signing-key-0123456789abcdef";

/// The real binary against `endpoint`, with test credentials and nothing from the host.
async fn wsflow(endpoint: &str, args: &[&str]) -> Output {
    wsflow_testkit::processes::command(env!("CARGO_BIN_EXE_wsflow"), endpoint)
        .args(args)
        .output()
        .await
        .unwrap()
}

async fn backend_with_key(secret_id: &str) -> Moto {
    let moto = Moto::start().await.unwrap();
    let secrets = aws_sdk_secretsmanager::Client::new(&moto.sdk_config().await);
    let create = secrets.create_secret().name(secret_id).secret_string(KEY);
    create.send().await.unwrap();
    moto
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// The claims of `token`, verified with the stored key for `audience`.
fn verified_claims(token: &str, audience: &str) -> Value {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "aud", "sub"]);
    decode::<Value>(token, &DecodingKey::from_secret(KEY.as_bytes()), &validation)
        .unwrap_or_else(|e| panic!("token does not verify with the stored key: {e}"))
        .claims
}

#[tokio::test]
async fn the_token_alone_on_stdout_verifies_with_the_stored_key_for_an_hour() {
    let moto = backend_with_key("wsflow/jwt-signing-key").await;

    let printed = stdout(&wsflow(moto.endpoint(), &["token", "--sub", "alice"]).await);

    assert_eq!(printed.lines().count(), 1, "{printed}");
    let claims = verified_claims(printed.trim_end(), "wsflow");
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["aud"], "wsflow");
    assert!(claims.get("iss").is_none(), "{claims}");
    let exp = claims["exp"].as_u64().unwrap();
    let now = get_current_timestamp();
    assert!(
        (now + 3600 - 30..=now + 3600).contains(&exp),
        "exp {exp}, now {now}"
    );
    assert_eq!(exp - claims["iat"].as_u64().unwrap(), 3600);
}

#[tokio::test]
async fn json_output_names_the_subject_and_the_expiry_and_the_options_reach_the_claims() {
    let moto = backend_with_key("team/key").await;
    let args = [
        "--json",
        "token",
        "--sub",
        "bob",
        "--ttl",
        "15m",
        "--audience",
        "billing",
        "--issuer",
        "wsflow-cli",
        "--secret-id",
        "team/key",
    ];

    let printed: Value = serde_json::from_str(&stdout(&wsflow(moto.endpoint(), &args).await)).unwrap();

    assert_eq!(printed["sub"], "bob");
    let claims = verified_claims(printed["token"].as_str().unwrap(), "billing");
    assert_eq!(claims["iss"], "wsflow-cli");
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        900
    );
    let expires_at = humantime::parse_rfc3339(printed["expiresAt"].as_str().unwrap()).unwrap();
    let expires_at = expires_at.duration_since(UNIX_EPOCH).unwrap().as_secs();
    assert_eq!(expires_at, claims["exp"].as_u64().unwrap());
}

#[tokio::test]
async fn an_unknown_secret_fails_naming_it_with_a_hint() {
    let moto = backend_with_key("wsflow/jwt-signing-key").await;

    let out = wsflow(
        moto.endpoint(),
        &["token", "--sub", "alice", "--secret-id", "nope/missing"],
    )
    .await;

    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("secret `nope/missing` does not exist"),
        "{stderr}"
    );
    assert!(stderr.contains("wsflow dev"), "{stderr}");
}

#[tokio::test]
async fn a_zero_or_overlong_lifetime_is_refused_before_any_call() {
    // Nothing listens there: the refusal must come first.
    for (ttl, problem) in [("0s", "must be at least 1s"), ("31d", "must be at most 30d")] {
        let out = wsflow("http://127.0.0.1:9", &["token", "--sub", "alice", "--ttl", ttl]).await;
        assert_eq!(out.status.code(), Some(2), "--ttl {ttl}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(problem), "{stderr}");
    }
}

/// Without `--endpoint-url` and without credentials the SDK cannot sign: the error is one short
/// line that says so and how to reach local mode, not the SDK's provider-chain dump.
#[tokio::test]
async fn without_credentials_the_error_is_short_and_says_what_to_do() {
    let home = std::env::temp_dir().join(format!("wsflow-no-aws-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_wsflow"))
        .args(["token", "--sub", "me"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .await
        .unwrap();
    std::fs::remove_dir_all(&home).unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.lines().count() <= 2 && stderr.len() < 400, "{stderr}");
    assert!(
        stderr.contains("no AWS credentials") && stderr.contains("--endpoint-url"),
        "{stderr}"
    );
}
