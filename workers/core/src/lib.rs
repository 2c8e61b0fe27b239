//! wsflow's worker core: the job envelope, the tasks, the ports the tasks talk through, and the
//! FIFO-aware batch processor shared by the Lambda worker and the `wsflow worker` poll mode.

#![warn(missing_docs)]

pub mod envelope;
pub mod failure;
pub mod handler;
pub mod memory;
pub mod ports;
pub mod processor;
pub mod record;
pub mod result;
pub mod retry;
mod tasks;

pub use envelope::{Job, JobRef, Source, Task};
pub use failure::{Failure, Reason};
pub use handler::{Disposition, HandlerConfig, JobHandler};
pub use ports::Ports;
pub use processor::BatchProcessor;
pub use record::Record;
pub use retry::RetryPolicy;
