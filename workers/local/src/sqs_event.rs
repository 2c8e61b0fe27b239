//! The event Lambda gives a function for a batch of SQS messages, built from ReceiveMessage
//! output (with all system and message attributes requested).

use aws_sdk_sqs::types::{Message, MessageAttributeValue};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde_json::{json, Map, Value};

/// The queue the messages came from, as the event names it.
#[derive(Debug, Clone)]
pub struct EventSource {
    pub queue_arn: String,
    pub region: String,
}

/// `{"Records":[…]}`, one record per message, in the order received.
pub fn lambda_event(messages: &[Message], source: &EventSource) -> Value {
    let records: Vec<Value> = messages.iter().map(|m| record(m, source)).collect();
    json!({ "Records": records })
}

fn record(message: &Message, source: &EventSource) -> Value {
    let mut record = json!({
        "messageId": message.message_id().unwrap_or_default(),
        "receiptHandle": message.receipt_handle().unwrap_or_default(),
        "body": message.body().unwrap_or_default(),
        "attributes": system_attributes(message),
        "messageAttributes": message_attributes(message),
        "md5OfBody": message.md5_of_body().unwrap_or_default(),
        "eventSource": "aws:sqs",
        "eventSourceARN": source.queue_arn,
        "awsRegion": source.region,
    });
    // Lambda passes this digest on only when the message has attributes.
    if let Some(digest) = message.md5_of_message_attributes() {
        record["md5OfMessageAttributes"] = json!(digest);
    }
    record
}

/// `ApproximateReceiveCount`, `SentTimestamp`, `SenderId`, `ApproximateFirstReceiveTimestamp`
/// and, on FIFO queues, `MessageGroupId`, `MessageDeduplicationId`, `SequenceNumber`: every
/// system attribute the queue returned, by its SQS name.
fn system_attributes(message: &Message) -> Value {
    let attributes: Map<String, Value> = message
        .attributes()
        .into_iter()
        .flatten()
        .map(|(name, value)| (name.as_str().to_owned(), json!(value)))
        .collect();
    Value::Object(attributes)
}

fn message_attributes(message: &Message) -> Value {
    let attributes: Map<String, Value> = message
        .message_attributes()
        .into_iter()
        .flatten()
        .map(|(name, value)| (name.clone(), message_attribute(value)))
        .collect();
    Value::Object(attributes)
}

/// Lambda's shape: `stringValue` or (base64) `binaryValue`, whichever the attribute has, and
/// always both list fields.
fn message_attribute(value: &MessageAttributeValue) -> Value {
    let mut attribute = Map::new();
    if let Some(text) = value.string_value() {
        attribute.insert("stringValue".into(), json!(text));
    }
    if let Some(bytes) = value.binary_value() {
        attribute.insert("binaryValue".into(), json!(BASE64.encode(bytes.as_ref())));
    }
    attribute.insert("stringListValues".into(), json!(value.string_list_values()));
    let binary_list: Vec<String> = value
        .binary_list_values()
        .iter()
        .map(|bytes| BASE64.encode(bytes.as_ref()))
        .collect();
    attribute.insert("binaryListValues".into(), json!(binary_list));
    attribute.insert("dataType".into(), json!(value.data_type()));
    Value::Object(attribute)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sqs::primitives::Blob;
    use aws_sdk_sqs::types::MessageSystemAttributeName as System;

    fn source() -> EventSource {
        EventSource {
            queue_arn: "arn:aws:sqs:us-east-1:123456789012:jobs.fifo".into(),
            region: "us-east-1".into(),
        }
    }

    fn fifo_message() -> Message {
        Message::builder()
            .message_id("m-1")
            .receipt_handle("rh-1")
            .body(r#"{"v":1}"#)
            .md5_of_body("0123abcd")
            .md5_of_message_attributes("4567ef")
            .attributes(System::ApproximateReceiveCount, "2")
            .attributes(System::SentTimestamp, "1732240000000")
            .attributes(System::SenderId, "AIDAEXAMPLE")
            .attributes(System::ApproximateFirstReceiveTimestamp, "1732240000100")
            .attributes(System::MessageGroupId, "conn-1")
            .attributes(System::MessageDeduplicationId, "req-1")
            .attributes(System::SequenceNumber, "18849496460467696128")
            .message_attributes(
                "Trace",
                MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value("abc")
                    .build()
                    .unwrap(),
            )
            .message_attributes(
                "Blob",
                MessageAttributeValue::builder()
                    .data_type("Binary")
                    .binary_value(Blob::new(b"hi".to_vec()))
                    .build()
                    .unwrap(),
            )
            .build()
    }

    #[test]
    fn a_record_has_lambdas_shape() {
        let event = lambda_event(&[fifo_message()], &source());
        let expected = json!({"Records": [{
            "messageId": "m-1",
            "receiptHandle": "rh-1",
            "body": "{\"v\":1}",
            "attributes": {
                "ApproximateReceiveCount": "2",
                "SentTimestamp": "1732240000000",
                "SenderId": "AIDAEXAMPLE",
                "ApproximateFirstReceiveTimestamp": "1732240000100",
                "MessageGroupId": "conn-1",
                "MessageDeduplicationId": "req-1",
                "SequenceNumber": "18849496460467696128"
            },
            "messageAttributes": {
                "Trace": {"stringValue": "abc", "stringListValues": [], "binaryListValues": [], "dataType": "String"},
                "Blob": {"binaryValue": "aGk=", "stringListValues": [], "binaryListValues": [], "dataType": "Binary"}
            },
            "md5OfBody": "0123abcd",
            "md5OfMessageAttributes": "4567ef",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:jobs.fifo",
            "awsRegion": "us-east-1"
        }]});
        assert_eq!(event, expected);
    }

    #[test]
    fn the_event_parses_as_a_lambda_sqs_event_in_order() {
        let plain = Message::builder()
            .message_id("m-2")
            .receipt_handle("rh-2")
            .body("hello")
            .md5_of_body("5d41")
            .build();
        let event = lambda_event(&[fifo_message(), plain], &source());
        let parsed: aws_lambda_events::event::sqs::SqsEvent = serde_json::from_value(event.clone()).unwrap();
        let ids: Vec<_> = parsed
            .records
            .iter()
            .map(|r| r.message_id.as_deref().unwrap())
            .collect();
        assert_eq!(ids, ["m-1", "m-2"]);
        assert_eq!(parsed.records[0].attributes["MessageGroupId"], "conn-1");
        assert_eq!(
            parsed.records[0].message_attributes["Trace"]
                .string_value
                .as_deref(),
            Some("abc")
        );
        let records = event["Records"].as_array().unwrap();
        assert_eq!(records[1]["attributes"], json!({}));
        assert_eq!(records[1]["messageAttributes"], json!({}));
        assert!(records[1].get("md5OfMessageAttributes").is_none());
    }
}
