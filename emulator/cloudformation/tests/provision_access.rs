//! Provisioning secrets, API keys and usage plans on a real moto server.

use serde_json::json;
use wsflow_cloudformation::provision::Action;
use wsflow_cloudformation::{provision, BackendKind, LocalEnv};

#[tokio::test]
async fn secrets_api_keys_and_usage_plans_are_created_once() -> anyhow::Result<()> {
    let moto = wsflow_testkit::Moto::start().await?;
    let sdk = moto.sdk_config().await;
    let env = LocalEnv::new(moto.endpoint(), "http://127.0.0.1:8080");
    let template = json!({"Resources": {
        "Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"Name": "chat", "ProtocolType": "WEBSOCKET"}},
        "Stage": {"Type": "AWS::ApiGatewayV2::Stage", "Properties": {"ApiId": {"Ref": "Api"}, "StageName": "api"}},
        "Signing": {"Type": "AWS::SecretsManager::Secret", "Properties": {
            "Name": "wsflow/jwt-signing-key",
            "GenerateSecretString": {"PasswordLength": 48, "ExcludePunctuation": true}}},
        "Json": {"Type": "AWS::SecretsManager::Secret", "Properties": {
            "GenerateSecretString": {"SecretStringTemplate": "{\"user\":\"app\"}", "GenerateStringKey": "password"}}},
        "ClientKey": {"Type": "AWS::ApiGateway::ApiKey", "Properties": {"Enabled": true}},
        "Plan": {"Type": "AWS::ApiGateway::UsagePlan", "Properties": {
            "ApiStages": [{"ApiId": {"Ref": "Api"}, "Stage": {"Ref": "Stage"}}],
            "Throttle": {"RateLimit": 10, "BurstLimit": 5}, "Quota": {"Limit": 100, "Period": "DAY"}}},
        "PlanKey": {"Type": "AWS::ApiGateway::UsagePlanKey", "Properties": {
            "KeyId": {"Ref": "ClientKey"}, "KeyType": "API_KEY", "UsagePlanId": {"Ref": "Plan"}}}
    }});
    let stack = wsflow_cloudformation::from_json(&template, &env)?;
    let backend = BackendKind::Moto {
        endpoint: moto.endpoint().to_owned(),
    };

    let first = provision(&stack, &sdk, backend.clone()).await?;
    assert!(
        first.resources.iter().all(|r| r.action == Action::Created),
        "{first:#?}"
    );
    assert_eq!(first.resources.len(), 4);
    assert_eq!(first.api_keys.len(), 1);
    let key = &first.api_keys[0];
    assert!(key.enabled && key.value.len() >= 20, "{key:?}");
    assert!(
        !format!("{key:?}").contains(&key.value),
        "the key's value must not be in Debug output"
    );

    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    let signing = secrets
        .get_secret_value()
        .secret_id("wsflow/jwt-signing-key")
        .send()
        .await?;
    let signing = signing.secret_string().unwrap_or_default().to_owned();
    assert_eq!(signing.len(), 48);
    assert!(signing.chars().all(char::is_alphanumeric), "{signing}");
    let json_secret = secrets.get_secret_value().secret_id("wsflow-Json").send().await?;
    let json_secret: serde_json::Value =
        serde_json::from_str(json_secret.secret_string().unwrap_or_default())?;
    assert_eq!(json_secret["user"], "app");
    assert!(json_secret["password"].as_str().is_some_and(|p| !p.is_empty()));

    let apigateway = aws_sdk_apigateway::Client::new(&sdk);
    let plans = apigateway
        .get_usage_plans()
        .send()
        .await?
        .items
        .unwrap_or_default();
    assert_eq!(plans.len(), 1);
    let plan = &plans[0];
    assert_eq!(
        plan.throttle().map(|t| (t.rate_limit, t.burst_limit)),
        Some((10.0, 5))
    );
    assert_eq!(plan.quota().map(|q| q.limit), Some(100));
    let plan_keys = apigateway
        .get_usage_plan_keys()
        .usage_plan_id(plan.id().unwrap_or_default())
        .send()
        .await?
        .items
        .unwrap_or_default();
    assert_eq!(plan_keys.len(), 1);
    assert_eq!(plan_keys[0].id(), Some(key.id.as_str()));

    // Again: everything reused, the secret and the key keep their values.
    let second = provision(&stack, &sdk, backend).await?;
    assert!(
        second.resources.iter().all(|r| r.action == Action::Reused),
        "{second:#?}"
    );
    assert_eq!(second.api_keys, first.api_keys);
    let again = secrets
        .get_secret_value()
        .secret_id("wsflow/jwt-signing-key")
        .send()
        .await?;
    assert_eq!(again.secret_string(), Some(signing.as_str()));
    Ok(())
}
