//! The event Lambda gives a function for a batch of SQS messages, built from ReceiveMessage
//! output (with all system and message attributes requested) as `aws_lambda_events`' SQS event.

use std::collections::HashMap;

use aws_lambda_events::encodings::Base64Data;
use aws_lambda_events::sqs::{SqsEvent, SqsMessage, SqsMessageAttribute};
use aws_sdk_sqs::types::{Message, MessageAttributeValue};
use serde_json::Value;

/// The queue the messages came from, as the event names it.
#[derive(Debug, Clone)]
pub struct EventSource {
    /// `eventSourceARN`.
    pub queue_arn: String,
    /// `awsRegion`.
    pub region: String,
}

/// `{"Records":[…]}`, one record per message, in the order received.
///
/// Fields a message lacks are left out rather than sent as `null`, as in the event AWS
/// documents ("Example Amazon SQS message event", Lambda developer guide): a message without
/// attributes has no `md5OfMessageAttributes`, a string attribute no `binaryValue`.
pub fn lambda_event(messages: &[Message], source: &EventSource) -> Value {
    let mut event = SqsEvent::default();
    event.records = messages.iter().map(|m| record(m, source)).collect();
    let mut value = serde_json::to_value(event).expect("an SQS event serializes");
    drop_nulls(&mut value);
    value
}

fn record(message: &Message, source: &EventSource) -> SqsMessage {
    let mut record = SqsMessage::default();
    record.message_id = Some(message.message_id().unwrap_or_default().to_owned());
    record.receipt_handle = Some(message.receipt_handle().unwrap_or_default().to_owned());
    record.body = Some(message.body().unwrap_or_default().to_owned());
    record.md5_of_body = Some(message.md5_of_body().unwrap_or_default().to_owned());
    record.md5_of_message_attributes = message.md5_of_message_attributes().map(str::to_owned);
    record.attributes = system_attributes(message);
    record.message_attributes = message
        .message_attributes()
        .into_iter()
        .flatten()
        .map(|(name, value)| (name.clone(), message_attribute(value)))
        .collect();
    record.event_source = Some("aws:sqs".to_owned());
    record.event_source_arn = Some(source.queue_arn.clone());
    record.aws_region = Some(source.region.clone());
    record
}

/// `ApproximateReceiveCount`, `SentTimestamp`, `SenderId`, `ApproximateFirstReceiveTimestamp`
/// and, on FIFO queues, `MessageGroupId`, `MessageDeduplicationId`, `SequenceNumber`: every
/// system attribute the queue returned, by its SQS name.
fn system_attributes(message: &Message) -> HashMap<String, String> {
    message
        .attributes()
        .into_iter()
        .flatten()
        .map(|(name, value)| (name.as_str().to_owned(), value.clone()))
        .collect()
}

fn message_attribute(value: &MessageAttributeValue) -> SqsMessageAttribute {
    let mut attribute = SqsMessageAttribute::default();
    attribute.string_value = value.string_value().map(str::to_owned);
    attribute.binary_value = value.binary_value().map(base64_data);
    attribute.string_list_values = value.string_list_values().to_vec();
    attribute.binary_list_values = value.binary_list_values().iter().map(base64_data).collect();
    attribute.data_type = Some(value.data_type().to_owned());
    attribute
}

fn base64_data(blob: &aws_sdk_sqs::primitives::Blob) -> Base64Data {
    let mut data = Base64Data::default();
    data.extend_from_slice(blob.as_ref());
    data
}

fn drop_nulls(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            fields.retain(|_, field| !field.is_null());
            fields.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sqs::primitives::Blob;
    use aws_sdk_sqs::types::MessageSystemAttributeName as System;
    use serde_json::json;

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
