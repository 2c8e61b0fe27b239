//! What API Gateway refuses, refused by `wsflow dev` the same way: the `$connect` authorizer
//! (the real `authorizer` binary), API keys with their usage plan, request models and route
//! throttles, all read from the synthesized templates.

use std::time::{Duration, SystemTime};

use serde_json::{json, Value};
use wsflow_authorizer::mint::{mint, Grant};
use wsflow_e2e::{connect_with, mint_token, next_json, refusal_status, send, until, Dev, Socket, USER};

const SECRET_ID: &str = "wsflow/jwt-signing-key";
const API_KEYS_TEMPLATE: &str = "build/template-api-keys.json";

async fn connection_items(dev: &Dev) -> usize {
    let table = dev.table("Connections").await;
    let items = aws_sdk_dynamodb::Client::new(&dev.sdk().await)
        .scan()
        .table_name(table)
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    items.count() as usize
}

/// A token signed with the stack's own secret, issued at `issued` (in the past: expired).
async fn token_issued_at(dev: &Dev, issued: SystemTime, audience: &str) -> String {
    let secret = aws_sdk_secretsmanager::Client::new(&dev.sdk().await)
        .get_secret_value()
        .secret_id(SECRET_ID)
        .send()
        .await
        .unwrap();
    let grant = Grant {
        subject: USER,
        audience,
        issuer: None,
        ttl: Duration::from_secs(60),
    };
    mint(secret.secret_string().unwrap().as_bytes(), &grant, issued)
        .unwrap()
        .token
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// What `$default` echoes of the event it received: the request context.
async fn request_context(socket: &mut Socket) -> Value {
    send(socket, "who am i").await;
    next_json(socket).await.unwrap()["event"]["requestContext"].clone()
}

#[tokio::test]
async fn the_authorizer_decides_who_connects() {
    let dev = Dev::start().await.unwrap();
    let url = dev.ws_url("/");

    let no_token = connect_with(&url, &[]).await;
    assert_eq!(refusal_status(no_token), 401);
    let garbage = connect_with(&url, &[("authorization", "Bearer not-a-jwt")]).await;
    assert_eq!(refusal_status(garbage), 401);
    let an_hour_ago = SystemTime::now() - Duration::from_secs(3600);
    let expired = token_issued_at(&dev, an_hour_ago, "wsflow").await;
    assert_eq!(
        refusal_status(connect_with(&url, &[("authorization", &bearer(&expired))]).await),
        401
    );
    let elsewhere = token_issued_at(&dev, SystemTime::now(), "another-api").await;
    assert_eq!(
        refusal_status(connect_with(&url, &[("authorization", &bearer(&elsewhere))]).await),
        403
    );
    assert_eq!(
        connection_items(&dev).await,
        0,
        "a refused handshake stores nothing"
    );

    // The header, or the query string for browsers.
    let mut by_header = dev.connect("/").await.unwrap();
    let context = request_context(&mut by_header).await;
    assert_eq!(context["authorizer"]["principalId"], USER);
    assert_eq!(context["authorizer"]["userId"], USER);
    let token = mint_token(&dev.backend, "browser-user", "5m").await.unwrap();
    let mut by_query = connect_with(&dev.ws_url(&format!("/app?token={token}")), &[])
        .await
        .unwrap();
    assert_eq!(
        request_context(&mut by_query).await["authorizer"]["userId"],
        "browser-user"
    );

    let table = dev.table("Connections").await;
    let id = context["connectionId"].as_str().unwrap();
    let record = dev
        .connection_record(&table, id)
        .await
        .expect("the accepted connection is stored");
    assert_eq!(record["userId"].as_s().unwrap(), USER);
    assert_eq!(record["principalId"].as_s().unwrap(), USER);
    assert_eq!(connection_items(&dev).await, 2);
    dev.stop().await.unwrap();
}

#[tokio::test]
async fn a_body_that_breaks_the_enqueue_model_is_refused_before_the_queue() {
    let dev = Dev::start().await.unwrap();
    let mut socket = dev.connect("/").await.unwrap();
    send(
        &mut socket,
        &json!({"action": "enqueue", "task": "explode", "data": {}}).to_string(),
    )
    .await;
    send(
        &mut socket,
        &json!({"action": "enqueue", "task": "store", "data": {"k": 1}}).to_string(),
    )
    .await;
    let (result, mut before) = until(&mut socket, |f| f["type"] == "result").await.unwrap();
    assert_eq!(result["status"], "ok", "{result}");
    // The route's `queued` answer and the worker's result travel separately (route response vs
    // @connections): the result may arrive first, so the queued frame is awaited too.
    if !before.iter().any(|f| f["type"] == "queued") {
        let (queued, more) = until(&mut socket, |f| f["type"] == "queued").await.unwrap();
        before.extend(more);
        before.push(queued);
    }
    let refused: Vec<_> = before
        .iter()
        .filter(|f| f["message"] == "Invalid request body")
        .collect();
    let queued: Vec<_> = before.iter().filter(|f| f["type"] == "queued").collect();
    assert_eq!(refused.len(), 1, "{before:?}");
    assert!(refused[0]["requestId"].is_string() && refused[0]["connectionId"].is_string());
    assert_eq!(
        queued.len(),
        1,
        "only the valid job reached the queue: {before:?}"
    );
    assert_eq!(queued[0]["requestId"], result["requestId"]);
    dev.stop().await.unwrap();
}

#[tokio::test]
async fn api_keys_and_route_throttles() {
    let dev = Dev::start_template(API_KEYS_TEMPLATE).await.unwrap();
    let keys = aws_sdk_apigateway::Client::new(&dev.sdk().await)
        .get_api_keys()
        .include_values(true)
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    assert_eq!(
        keys.len(),
        1,
        "the stack's one API key, provisioned on the backend"
    );
    let key = keys[0].value().unwrap().to_owned();
    assert!(
        !dev.output.lock().unwrap().iter().any(|line| line.contains(&key)),
        "wsflow dev printed the API key"
    );

    let url = dev.ws_url("/");
    let auth = bearer(dev.token().await.unwrap());
    let no_key = connect_with(&url, &[("authorization", &auth)]).await;
    assert_eq!(refusal_status(no_key), 403);
    let wrong_key = connect_with(
        &url,
        &[("authorization", &auth), ("x-api-key", "not-the-key-0123456789")],
    )
    .await;
    assert_eq!(refusal_status(wrong_key), 403);
    let mut socket = connect_with(&url, &[("authorization", &auth), ("x-api-key", &key)])
        .await
        .unwrap();
    let context = request_context(&mut socket).await;
    assert_eq!(context["identity"]["apiKeyId"], keys[0].id().unwrap());

    // The enqueue route allows a burst of 2 at 1 per second; $default is not limited so.
    let burst = 20;
    let started = std::time::Instant::now();
    for _ in 0..burst {
        send(
            &mut socket,
            &json!({"action": "enqueue", "task": "notify", "data": "hi"}).to_string(),
        )
        .await;
    }
    send(&mut socket, "still here").await;
    let (mut throttled, mut queued, mut echoed) = (0, 0, 0);
    while throttled + queued < burst || echoed == 0 {
        let frame = next_json(&mut socket).await.unwrap();
        match (frame["message"].as_str(), frame["type"].as_str()) {
            (Some("Too Many Requests"), _) => throttled += 1,
            (_, Some("queued")) => queued += 1,
            (_, Some("default")) => echoed += 1,
            _ => {}
        }
    }
    // The bucket held 2 and gained at most one token per second while the burst was answered.
    let refilled = started.elapsed().as_secs_f64().ceil() as usize;
    assert!(
        (2..=2 + refilled).contains(&queued),
        "{queued} queued, {throttled} throttled in {refilled} s"
    );
    assert_eq!(throttled, burst - queued);
    assert_eq!(echoed, 1, "other routes pass while enqueue is throttled");
    dev.stop().await.unwrap();
}

/// Behind CloudFront, the stack's handshakes must carry the origin secret CloudFront adds
/// (`X-Origin-Verify`, an identity source of the authorizer): API Gateway answers 401 when an
/// identity source is missing ("API Gateway … returns a 401 Unauthorized response … if the
/// identity source is not present", Lambda authorizers for WebSocket APIs), and the authorizer
/// refuses a wrong value. The direct execute-api entrance adds nothing, so a client that skips
/// CloudFront (and with it WAF and the viewer-request function) is refused even with a valid
/// token; the same client through the edge entrance connects.
#[tokio::test]
async fn a_handshake_that_skips_cloudfront_is_refused_even_with_a_valid_token() {
    let dev = Dev::start().await.unwrap();
    let token = bearer(dev.token().await.unwrap());
    let direct = format!(
        "ws://127.0.0.1:{}/",
        dev.execute_api_port.expect("the stack has a distribution")
    );

    let without_secret = connect_with(&direct, &[("authorization", &token)]).await;
    let forged = connect_with(
        &direct,
        &[("authorization", &token), ("x-origin-verify", "guess")],
    )
    .await;

    assert_eq!(refusal_status(without_secret), 401);
    assert_eq!(refusal_status(forged), 401);
    let _through_the_edge = connect_with(&dev.ws_url("/"), &[("authorization", &token)])
        .await
        .expect("the edge entrance adds the origin secret");
    assert_eq!(
        connection_items(&dev).await,
        1,
        "only the edge handshake is recorded"
    );
}
