//! Request validation: a route with a model selection expression validates each message
//! against the JSON Schema (draft-04) of the model the expression selects, before its
//! integration runs.

use std::collections::HashMap;

use anyhow::{anyhow, Context};
use jsonschema::Validator;
use serde_json::Value;
use wsflow_cloudformation::{Route, WebSocketApi};

use crate::routing;

struct RouteModels {
    selection_expression: String,
    /// Selection key (`$default` is the fallback) → compiled model.
    by_key: HashMap<String, Validator>,
}

/// The compiled models of every route that validates.
#[derive(Default)]
pub struct Validators {
    routes: HashMap<String, RouteModels>,
}

impl Validators {
    /// Fails, naming the model, when a schema does not compile or a route names a model the
    /// API does not have.
    pub fn compile(api: &WebSocketApi) -> anyhow::Result<Validators> {
        let mut routes = HashMap::new();
        for route in api.routes.values() {
            if let Some(models) = route_models(api, route)? {
                routes.insert(route.key.clone(), models);
            }
        }
        Ok(Validators { routes })
    }

    /// `Err` with the reasons when the body does not match the selected model.
    pub fn validate(&self, route_key: &str, body: &str) -> Result<(), String> {
        let Some(route) = self.routes.get(route_key) else {
            return Ok(());
        };
        let key = selection_key(&route.selection_expression, body);
        let validator = key
            .as_deref()
            .and_then(|k| route.by_key.get(k))
            .or_else(|| route.by_key.get("$default"))
            .ok_or_else(|| format!("no model matches the selection key {key:?} and there is no $default"))?;
        let document: Value = serde_json::from_str(body).map_err(|e| format!("the body is not JSON: {e}"))?;
        let errors: Vec<String> = validator
            .iter_errors(&document)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }
}

fn route_models(api: &WebSocketApi, route: &Route) -> anyhow::Result<Option<RouteModels>> {
    let Some(expression) = &route.model_selection_expression else {
        return Ok(None);
    };
    let mut by_key = HashMap::new();
    for (key, name) in &route.request_models {
        let schema = api
            .models
            .get(name)
            .ok_or_else(|| anyhow!("route {}: model `{name}` is not a model of the API", route.key))?;
        refuse_references(name, schema)?;
        let validator = jsonschema::draft4::new(schema)
            .map_err(|e| anyhow!("{e}"))
            .with_context(|| format!("model `{name}` is not a valid draft-04 JSON Schema"))?;
        by_key.insert(key.clone(), validator);
    }
    Ok(Some(RouteModels {
        selection_expression: expression.clone(),
        by_key,
    }))
}

/// API Gateway resolves a model's `$ref` only to another model, by its URL
/// (`https://apigateway.amazonaws.com/restapis/{api}/models/{model}`, "Working with models",
/// API Gateway developer guide); it refuses a local `#/definitions/…`. Local mode refuses the
/// first as well (it would need the other API's models) and says so.
fn refuse_references(name: &str, schema: &Value) -> anyhow::Result<()> {
    let Some(reference) = first_reference(schema) else {
        return Ok(());
    };
    if reference.starts_with("https://apigateway.amazonaws.com/restapis/") {
        anyhow::bail!("model `{name}` refers to the model {reference}: references between models are not resolved locally; inline it");
    }
    anyhow::bail!(
        "model `{name}` uses $ref `{reference}`, which API Gateway refuses (it takes only model URLs): inline the definition"
    )
}

fn first_reference(schema: &Value) -> Option<&str> {
    match schema {
        Value::Object(fields) => fields
            .get("$ref")
            .and_then(Value::as_str)
            .or_else(|| fields.values().find_map(first_reference)),
        Value::Array(items) => items.iter().find_map(first_reference),
        _ => None,
    }
}

/// `$request.body.*` picks from the message; anything else is a constant key.
fn selection_key(expression: &str, body: &str) -> Option<String> {
    if expression.starts_with("$request.body.") {
        routing::select(expression, body)
    } else {
        Some(expression.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn api(
        models: &[(&str, Value)],
        route_models: &[(&str, &str)],
        expression: Option<&str>,
    ) -> WebSocketApi {
        let route = Route {
            key: "enqueue".into(),
            integration: None,
            route_response_selection_expression: None,
            route_responses: vec![],
            authorization_type: "NONE".into(),
            authorizer: None,
            api_key_required: false,
            model_selection_expression: expression.map(str::to_owned),
            request_models: route_models
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        WebSocketApi {
            routes: [("enqueue".to_string(), route)].into(),
            models: models.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
            ..WebSocketApi::default()
        }
    }

    #[test]
    fn models_with_references_are_refused_as_api_gateway_does() {
        let local = json!({"type": "object", "properties": {"data": {"$ref": "#/definitions/d"}}, "definitions": {"d": {}}});
        let error = Validators::compile(&api(
            &[("M", local)],
            &[("$default", "M")],
            Some("$request.body.action"),
        ))
        .err()
        .expect("refused")
        .to_string();
        assert!(
            error.contains("`#/definitions/d`") && error.contains("inline"),
            "{error}"
        );
        let url = json!({"$ref": "https://apigateway.amazonaws.com/restapis/a1/models/Other"});
        let error = Validators::compile(&api(
            &[("M", url)],
            &[("$default", "M")],
            Some("$request.body.action"),
        ))
        .err()
        .expect("refused")
        .to_string();
        assert!(error.contains("not resolved locally"), "{error}");
    }

    fn task_schema() -> Value {
        json!({
            "$schema": "http://json-schema.org/draft-04/schema#",
            "type": "object",
            "required": ["action", "task"],
            "properties": { "action": { "enum": ["enqueue"] }, "task": { "enum": ["notify", "store"] } }
        })
    }

    #[test]
    fn the_default_model_validates_every_message_of_the_route() {
        let api = api(
            &[("Job", task_schema())],
            &[("$default", "Job")],
            Some("$request.body.action"),
        );
        let validators = Validators::compile(&api).unwrap();
        assert_eq!(
            validators.validate("enqueue", r#"{"action":"enqueue","task":"store"}"#),
            Ok(())
        );
        let wrong = validators
            .validate("enqueue", r#"{"action":"enqueue","task":"drop"}"#)
            .unwrap_err();
        assert!(wrong.contains("/task"), "{wrong}");
        let missing = validators
            .validate("enqueue", r#"{"action":"enqueue"}"#)
            .unwrap_err();
        assert!(missing.contains("task"), "{missing}");
        assert!(validators
            .validate("enqueue", "not json")
            .unwrap_err()
            .contains("not JSON"));
        assert_eq!(validators.validate("other-route", "anything"), Ok(()));
    }

    #[test]
    fn without_a_selection_expression_nothing_is_validated() {
        let api = api(&[("Job", task_schema())], &[("$default", "Job")], None);
        let validators = Validators::compile(&api).unwrap();
        assert_eq!(validators.validate("enqueue", "not json"), Ok(()));
    }

    #[test]
    fn no_matching_model_and_no_default_fails_validation() {
        let api = api(
            &[("Job", task_schema())],
            &[("other", "Job")],
            Some("$request.body.action"),
        );
        let validators = Validators::compile(&api).unwrap();
        let error = validators
            .validate("enqueue", r#"{"action":"enqueue","task":"store"}"#)
            .unwrap_err();
        assert!(error.contains("no model matches"), "{error}");
    }

    #[test]
    fn a_missing_or_broken_model_is_named_at_start() {
        let missing = api(&[], &[("$default", "Job")], Some("$default"));
        let error = Validators::compile(&missing).err().unwrap().to_string();
        assert!(error.contains("`Job`"), "{error}");
        let broken = api(
            &[("Job", json!({"type": 7}))],
            &[("$default", "Job")],
            Some("$default"),
        );
        let error = format!("{:#}", Validators::compile(&broken).err().unwrap());
        assert!(error.contains("model `Job`"), "{error}");
    }
}
