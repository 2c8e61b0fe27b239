//! Structured JSON logs. Spans carry the message, connection and request ids, so every line a
//! job writes can be found by any of them.

use tracing_subscriber::EnvFilter;

/// JSON lines on stdout (CloudWatch in Lambda), filtered by `RUST_LOG` (default `info`).
pub fn init_json() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // A second initialisation (tests, embedding) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(true)
        .with_target(false)
        .try_init();
}
