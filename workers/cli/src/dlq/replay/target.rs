//! Where a replay delivers: a queue, or the worker's handler run in this process.

use aws_sdk_sqs::types::Message;

use super::in_process::InProcess;
use super::queue_target::QueueTarget;

pub enum Target {
    Queue(QueueTarget),
    InProcess(InProcess),
}

impl Target {
    pub fn name(&self) -> String {
        match self {
            Target::Queue(queue) => queue.url().to_owned(),
            Target::InProcess(_) => "the worker's handler (in process)".to_owned(),
        }
    }

    /// Why `message` cannot be delivered, found before anything is sent.
    pub fn check(&self, message: &Message) -> Result<(), String> {
        match self {
            Target::Queue(queue) => queue.check(message),
            Target::InProcess(_) => Ok(()),
        }
    }

    /// Delivers `messages` in order; one result per message, `Ok` where delivery is confirmed.
    pub async fn deliver(&self, messages: &[Message]) -> Vec<Result<(), String>> {
        match self {
            Target::Queue(queue) => queue.send(messages).await,
            Target::InProcess(worker) => worker.run(messages).await,
        }
    }
}
