//! What a received dead letter says about itself: its group, task, failure reason and age.

use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use wsflow_core::ports::attr;
use wsflow_core::JobRef;

/// The reason given to messages that SQS' redrive policy moved: the worker only attaches
/// `ErrorReason` when it dead-letters a job itself (a permanent failure).
pub const REDRIVE: &str = "redrive";
/// The task of a message whose body names none (not JSON, or not an envelope).
pub const UNKNOWN_TASK: &str = "(unknown)";

fn system<'m>(message: &'m Message, name: &MessageSystemAttributeName) -> Option<&'m str> {
    message.attributes()?.get(name).map(String::as_str)
}

pub fn group_id(message: &Message) -> Option<&str> {
    system(message, &MessageSystemAttributeName::MessageGroupId)
}

pub fn receive_count(message: &Message) -> u32 {
    system(message, &MessageSystemAttributeName::ApproximateReceiveCount)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// When the message was first sent (epoch milliseconds, SQS' clock).
pub fn sent_at(message: &Message) -> Option<u64> {
    system(message, &MessageSystemAttributeName::SentTimestamp).and_then(|t| t.parse().ok())
}

pub fn string_attribute<'m>(message: &'m Message, name: &str) -> Option<&'m str> {
    message.message_attributes()?.get(name)?.string_value()
}

/// The `Task` attribute the worker attaches, else the task the body names.
pub fn task(message: &Message) -> Option<String> {
    string_attribute(message, attr::TASK)
        .map(str::to_owned)
        .or_else(|| JobRef::sniff(message.body().unwrap_or_default(), None).task)
}

pub fn reason(message: &Message) -> &str {
    string_attribute(message, attr::ERROR_REASON).unwrap_or(REDRIVE)
}

/// The first `max` characters of the body, on one line.
pub fn excerpt(message: &Message, max: usize) -> String {
    let body = message.body().unwrap_or_default();
    let mut text: String = body
        .chars()
        .take(max)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if body.chars().nth(max).is_some() {
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use aws_sdk_sqs::types::MessageAttributeValue;

    use super::*;

    fn message(body: &str) -> Message {
        Message::builder().body(body).build()
    }

    #[test]
    fn task_prefers_the_attribute_then_reads_the_body() {
        let from_body = message(r#"{"task":"store"}"#);
        assert_eq!(task(&from_body).as_deref(), Some("store"));
        let tagged = Message::builder()
            .body(r#"{"task":"store"}"#)
            .message_attributes(
                attr::TASK,
                MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value("frobnicate")
                    .build()
                    .unwrap(),
            )
            .build();
        assert_eq!(task(&tagged).as_deref(), Some("frobnicate"));
        assert_eq!(task(&message("not json")), None);
    }

    #[test]
    fn messages_without_an_error_reason_were_redriven() {
        assert_eq!(reason(&message("{}")), REDRIVE);
    }

    #[test]
    fn excerpts_are_one_line_and_marked_when_cut() {
        assert_eq!(excerpt(&message("a\nb"), 10), "a b");
        assert_eq!(excerpt(&message("abcdef"), 3), "abc…");
    }
}
