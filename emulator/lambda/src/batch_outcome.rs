//! Which messages of a batch Lambda deletes after the function ran, given its answer.
//!
//! Lambda's rules: without `ReportBatchItemFailures`, a successful invocation deletes the whole
//! batch and an error deletes nothing. With it, the response's `batchItemFailures` name the
//! messages to keep; a null or empty response, or an empty list, means all succeeded; a
//! response that is not of that shape, or that names a message id that is empty or not in the
//! batch, fails the whole batch. Messages not deleted reappear after their visibility timeout,
//! so the queue's redrive policy dead-letters them as in AWS.

use std::collections::HashSet;

use aws_lambda_events::sqs::SqsBatchResponse;
use serde_json::Value;

/// What to do with a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Message ids to delete, in batch order.
    pub delete: Vec<String>,
    /// Why nothing or not everything is deleted (for the log); `None` when all succeeded.
    pub failure: Option<String>,
}

/// `batch` holds the message ids in order; `answer` is the invocation's result.
pub fn decide(batch: &[String], answer: &Result<Value, String>, report_batch_item_failures: bool) -> Outcome {
    let failed = match (answer, report_batch_item_failures) {
        (Err(error), _) => return whole_batch_failed(format!("the function failed: {error}")),
        (Ok(_), false) => HashSet::new(),
        (Ok(response), true) => match reported_failures(response, batch) {
            Ok(failed) => failed,
            Err(reason) => return whole_batch_failed(reason),
        },
    };
    Outcome {
        delete: batch.iter().filter(|id| !failed.contains(*id)).cloned().collect(),
        failure: (!failed.is_empty())
            .then(|| format!("the function reported {} failed message(s)", failed.len())),
    }
}

fn whole_batch_failed(reason: String) -> Outcome {
    Outcome {
        delete: Vec::new(),
        failure: Some(reason),
    }
}

/// The ids of `batchItemFailures[].itemIdentifier`, or why the response is not usable.
fn reported_failures(response: &Value, batch: &[String]) -> Result<HashSet<String>, String> {
    let absent = match response {
        Value::Null => true,
        Value::Object(fields) => fields.get("batchItemFailures").is_none_or(Value::is_null),
        _ => false,
    };
    if absent {
        return Ok(HashSet::new());
    }
    let parsed: SqsBatchResponse = serde_json::from_value(response.clone())
        .map_err(|e| format!("the response is not a batch response ({e}): {response}"))?;
    parsed
        .batch_item_failures
        .into_iter()
        .map(|item| {
            let id = item.item_identifier;
            if id.is_empty() || !batch.contains(&id) {
                return Err(format!(
                    "`batchItemFailures` names no message of the batch: {id:?}"
                ));
            }
            Ok(id)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn batch() -> Vec<String> {
        ["a", "b", "c"].map(String::from).to_vec()
    }

    fn deleted(answer: Result<Value, String>, report: bool) -> Vec<String> {
        decide(&batch(), &answer, report).delete
    }

    #[test]
    fn without_item_failures_success_deletes_all_and_an_error_nothing() {
        assert_eq!(deleted(Ok(json!({"anything": 1})), false), batch());
        assert_eq!(
            deleted(Ok(json!({"batchItemFailures": [{"itemIdentifier": "a"}]})), false),
            batch()
        );
        let failed = decide(&batch(), &Err("boom".into()), false);
        assert!(failed.delete.is_empty());
        assert!(failed.failure.unwrap().contains("boom"));
    }

    #[test]
    fn reported_failures_are_kept_and_the_rest_deleted() {
        let answer = Ok(json!({"batchItemFailures": [{"itemIdentifier": "b"}, {"itemIdentifier": "c"}]}));
        let outcome = decide(&batch(), &answer, true);
        assert_eq!(outcome.delete, ["a"]);
        assert!(outcome.failure.unwrap().contains("2 failed"));
    }

    #[test]
    fn empty_or_null_responses_mean_all_succeeded() {
        for answer in [
            json!(null),
            json!({}),
            json!({"batchItemFailures": []}),
            json!({"batchItemFailures": null}),
        ] {
            let outcome = decide(&batch(), &Ok(answer.clone()), true);
            assert_eq!(outcome.delete, batch(), "{answer}");
            assert_eq!(outcome.failure, None, "{answer}");
        }
    }

    #[test]
    fn malformed_responses_and_errors_fail_the_whole_batch() {
        for answer in [
            Ok(json!("ok")),
            Ok(json!([1])),
            Ok(json!({"batchItemFailures": "a"})),
            Ok(json!({"batchItemFailures": [{"itemIdentifier": "zz"}]})),
            Ok(json!({"batchItemFailures": [{"itemIdentifier": ""}]})),
            Ok(json!({"batchItemFailures": [{"id": "a"}]})),
            Err("Unhandled".to_owned()),
        ] {
            let outcome = decide(&batch(), &answer, true);
            assert!(outcome.delete.is_empty(), "{answer:?}");
            assert!(outcome.failure.is_some(), "{answer:?}");
        }
    }
}
