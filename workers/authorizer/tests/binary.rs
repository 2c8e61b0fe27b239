//! The real `authorizer` binary behind a local Lambda Runtime API, fed API Gateway's WebSocket
//! `$connect` REQUEST events: its HS256 key and origin secret in a moto Secrets Manager, its
//! RS256 keys served over HTTP.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::routing::get;
use axum::Router;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use wsflow_authorizer::mint::{mint, Grant};
use wsflow_lambda::{FunctionProcess, InvokeError};
use wsflow_testkit::Moto;

const BINARY: &str = env!("CARGO_BIN_EXE_authorizer");
const SECRET_ID: &str = "wsflow/jwt-signing-key";
const SECRET: &str = "integration-signing-key-0123456789";
const ORIGIN_SECRET_ID: &str = "wsflow/origin-verify";
const ORIGIN_SECRET: &str = "OriginVerify0123456789abcdefABCDEFghij";
const METHOD_ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/dev/$connect";
const CONNECTION_ID: &str = "L0SM9cOFvHcCIhw=";
const JWKS: &str = include_str!("fixtures/jwks.json");
const PRIVATE_PEM: &[u8] = include_bytes!("fixtures/rsa-private.pem");

/// The event API Gateway sends a REQUEST authorizer for a WebSocket `$connect`.
fn connect_event(headers: Value, query: Value) -> Value {
    json!({
        "type": "REQUEST",
        "methodArn": METHOD_ARN,
        "headers": headers,
        "multiValueHeaders": headers.as_object().map(|h| {
            h.iter().map(|(k, v)| (k.clone(), json!([v]))).collect::<serde_json::Map<_, _>>()
        }),
        "queryStringParameters": query,
        "multiValueQueryStringParameters": null,
        "stageVariables": {},
        "requestContext": {
            "routeKey": "$connect",
            "eventType": "CONNECT",
            "messageDirection": "IN",
            "stage": "dev",
            "requestId": "Nq1mAGmUoAMFZzQ=",
            "connectionId": CONNECTION_ID,
            "apiId": "abcdef1234",
            "domainName": "abcdef1234.execute-api.us-east-1.amazonaws.com",
            "identity": { "sourceIp": "203.0.113.7" },
        },
    })
}

fn with_bearer(token: &str) -> Value {
    let headers = json!({ "Host": "abcdef1234.execute-api.us-east-1.amazonaws.com", "Authorization": format!("Bearer {token}") });
    connect_event(headers, json!(null))
}

/// A handshake as CloudFront forwards it: with the origin header (`None`: a direct client).
fn through_cloudfront(token: &str, origin: Option<(&str, &str)>) -> Value {
    let mut headers = json!({ "Host": "h", "Authorization": format!("Bearer {token}") });
    if let Some((name, value)) = origin {
        headers[name] = value.into();
    }
    connect_event(headers, json!(null))
}

fn with_query_token(token: &str) -> Value {
    connect_event(json!({ "Host": "h" }), json!({ "token": token }))
}

fn hs256(sub: &str, audience: &str, issued: SystemTime) -> String {
    let grant = Grant {
        subject: sub,
        audience,
        issuer: None,
        ttl: Duration::from_secs(3600),
    };
    mint(SECRET.as_bytes(), &grant, issued).unwrap().token
}

fn rs256(sub: &str, kid: &str) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.into());
    let claims = json!({ "sub": sub, "aud": "wsflow", "exp": jsonwebtoken::get_current_timestamp() + 600 });
    encode(&header, &claims, &EncodingKey::from_rsa_pem(PRIVATE_PEM).unwrap()).unwrap()
}

/// Serves the fixture key set on a free port; returns its URL and how often it was fetched.
async fn serve_jwks() -> (String, Arc<AtomicUsize>) {
    let fetches = Arc::new(AtomicUsize::new(0));
    let counter = fetches.clone();
    let app = Router::new().route(
        "/.well-known/jwks.json",
        get(move || async move {
            counter.fetch_add(1, Ordering::SeqCst);
            ([("content-type", "application/json")], JWKS)
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/.well-known/jwks.json", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, fetches)
}

async fn start(moto: &Moto, config: &[(&str, &str)]) -> FunctionProcess {
    let env = config
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    wsflow_testkit::processes::function(moto, "authorizer", BINARY, env).await
}

async fn create_secret(moto: &Moto, name: &str, value: &str) {
    let secrets = aws_sdk_secretsmanager::Client::new(&moto.sdk_config().await);
    let create = secrets.create_secret().name(name).secret_string(value);
    create.send().await.unwrap();
}

fn assert_unauthorized(answer: Result<Value, InvokeError>, what: &str) {
    match answer {
        Err(InvokeError::Function { message, .. }) => assert_eq!(message, "Unauthorized", "{what}"),
        other => panic!("{what}: expected the Unauthorized failure, got {other:?}"),
    }
}

fn effect(answer: &Value) -> &str {
    answer["policyDocument"]["Statement"][0]["Effect"]
        .as_str()
        .unwrap()
}

#[tokio::test]
async fn tokens_are_allowed_denied_or_refused_as_api_gateway_expects() {
    let moto = Moto::start().await.unwrap();
    create_secret(&moto, SECRET_ID, SECRET).await;
    let (jwks_url, jwks_fetches) = serve_jwks().await;
    let config = [
        ("JWT_AUDIENCE", "wsflow"),
        ("JWT_SECRET_ID", SECRET_ID),
        ("JWKS_URL", jwks_url.as_str()),
    ];
    let function = start(&moto, &config).await;
    let now = SystemTime::now();

    let good = function
        .invoke(&with_bearer(&hs256("alice", "wsflow", now)))
        .await
        .unwrap();
    assert_eq!(
        good,
        json!({
            "principalId": "alice",
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [{ "Action": "execute-api:Invoke", "Effect": "Allow", "Resource": METHOD_ARN }],
            },
            "context": { "userId": "alice" },
        })
    );

    let two_hours_ago = now - Duration::from_secs(7200);
    let expired = with_bearer(&hs256("alice", "wsflow", two_hours_ago));
    assert_unauthorized(function.invoke(&expired).await, "expired");
    assert_unauthorized(
        function
            .invoke(&connect_event(json!({ "Host": "h" }), json!(null)))
            .await,
        "no token",
    );
    let tampered = hs256("alice", "wsflow", now).replace('.', ".x");
    assert_unauthorized(function.invoke(&with_bearer(&tampered)).await, "tampered");

    let elsewhere = function
        .invoke(&with_bearer(&hs256("bob", "billing", now)))
        .await
        .unwrap();
    assert_eq!(effect(&elsewhere), "Deny");
    assert_eq!(elsewhere["principalId"], "bob");
    assert_eq!(
        elsewhere["policyDocument"]["Statement"][0]["Resource"],
        METHOD_ARN
    );

    for sub in ["carol", "dave"] {
        let answer = function
            .invoke(&with_query_token(&rs256(sub, "wsflow-test-1")))
            .await
            .unwrap();
        assert_eq!(effect(&answer), "Allow", "RS256 from the key set");
        assert_eq!(answer["context"]["userId"], sub);
    }
    let unknown_kid = with_query_token(&rs256("eve", "rotated-away"));
    assert_unauthorized(function.invoke(&unknown_kid).await, "unknown key id");
    assert_eq!(
        jwks_fetches.load(Ordering::SeqCst),
        1,
        "the key set is cached, and an unknown key id refetches it at most once a minute"
    );
}

#[tokio::test]
async fn a_missing_signing_secret_fails_the_invocation_without_blaming_the_token() {
    let moto = Moto::start().await.unwrap();
    let config = [
        ("JWT_AUDIENCE", "wsflow"),
        ("JWT_SECRET_ID", "wsflow/not-created"),
    ];
    let function = start(&moto, &config).await;
    let token = hs256("alice", "wsflow", SystemTime::now());

    match function.invoke(&with_bearer(&token)).await {
        Err(InvokeError::Function { message, .. }) => assert_ne!(message, "Unauthorized"),
        other => panic!("expected a function error, got {other:?}"),
    }
    // Not cached: once the secret exists, the same process accepts the token.
    create_secret(&moto, "wsflow/not-created", SECRET).await;
    let answer = function.invoke(&with_bearer(&token)).await.unwrap();
    assert_eq!(effect(&answer), "Allow");
}

#[tokio::test]
async fn with_an_origin_secret_only_handshakes_with_the_origin_header_pass() {
    let moto = Moto::start().await.unwrap();
    create_secret(&moto, SECRET_ID, SECRET).await;
    create_secret(&moto, ORIGIN_SECRET_ID, ORIGIN_SECRET).await;
    let config = [
        ("JWT_AUDIENCE", "wsflow"),
        ("JWT_SECRET_ID", SECRET_ID),
        ("ORIGIN_SECRET_ID", ORIGIN_SECRET_ID),
    ];
    let function = start(&moto, &config).await;
    let token = hs256("alice", "wsflow", SystemTime::now());

    for name in ["X-Origin-Verify", "x-origin-verify"] {
        let answer = function
            .invoke(&through_cloudfront(&token, Some((name, ORIGIN_SECRET))))
            .await
            .unwrap();
        assert_eq!(effect(&answer), "Allow", "{name}");
        assert_eq!(answer["context"]["userId"], "alice");
    }
    let direct = function.invoke(&through_cloudfront(&token, None)).await;
    assert_unauthorized(direct, "no origin header, a valid token");
    let guessed = through_cloudfront(&token, Some(("X-Origin-Verify", "guess")));
    assert_unauthorized(function.invoke(&guessed).await, "wrong origin header");
}

#[tokio::test]
async fn a_missing_origin_secret_fails_the_invocation_without_blaming_the_client() {
    let moto = Moto::start().await.unwrap();
    create_secret(&moto, SECRET_ID, SECRET).await;
    let config = [
        ("JWT_AUDIENCE", "wsflow"),
        ("JWT_SECRET_ID", SECRET_ID),
        ("ORIGIN_SECRET_ID", ORIGIN_SECRET_ID),
    ];
    let function = start(&moto, &config).await;
    let handshake = through_cloudfront(
        &hs256("alice", "wsflow", SystemTime::now()),
        Some(("X-Origin-Verify", ORIGIN_SECRET)),
    );

    match function.invoke(&handshake).await {
        Err(InvokeError::Function { message, .. }) => {
            assert_eq!(message, "the origin secret is unavailable")
        }
        other => panic!("expected a function error, got {other:?}"),
    }
    // Not cached: once the secret exists, the same process lets the handshake through.
    create_secret(&moto, ORIGIN_SECRET_ID, ORIGIN_SECRET).await;
    assert_eq!(effect(&function.invoke(&handshake).await.unwrap()), "Allow");
}

#[test]
fn missing_configuration_stops_the_binary_naming_the_variable() {
    let output = std::process::Command::new(BINARY)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
        .env("JWT_SECRET_ID", SECRET_ID)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("JWT_AUDIENCE is not set"), "{stderr}");
}
