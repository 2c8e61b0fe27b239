//! The `$connect` authorizer Lambda: a REQUEST authorizer answering API Gateway with an IAM
//! policy, or failing with `Unauthorized` (see the library's documentation).

use lambda_runtime::{service_fn, LambdaEvent};
use wsflow_authorizer::{Authorizer, AuthorizerConfig, ConnectRequest};
use wsflow_aws::sdk::Retries;

// One invocation at a time per execution environment, as in the queue worker: one thread spares
// the cross-thread wake-ups of a multi-threaded runtime.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    wsflow_aws::logging::init_json();
    let config = AuthorizerConfig::from_env().unwrap_or_else(|e| {
        tracing::error!(variable = e.var, "{e}");
        eprintln!("authorizer: {e}");
        std::process::exit(2);
    });
    // The SDK's own retries: nothing else retries a failed GetSecretValue.
    let sdk = wsflow_aws::sdk::load(Retries::Sdk).await;
    let authorizer = Authorizer::new(&config, &sdk)?;
    tracing::info!(
        audience = %config.audience,
        issuer = config.issuer.as_deref(),
        hs256 = config.secret_id.is_some(),
        rs256 = config.jwks_url.is_some(),
        origin_check = config.origin_secret_id.is_some(),
        "authorizer configured"
    );
    let authorizer = &authorizer;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<ConnectRequest>| async move {
        authorizer.handle(event.payload).await
    }))
    .await
}
