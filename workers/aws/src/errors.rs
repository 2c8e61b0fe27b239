//! Sorting SDK errors into transient (retry) and permanent (give up) failures.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use wsflow_core::ports::PortError;

/// Error codes that mean "try again later": the throttling, limit, timeout and in-progress codes
/// of the services the worker calls (and the AWS SDKs' own retry lists).
const TRANSIENT_CODES: [&str; 13] = [
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "RequestThrottledException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "LimitExceededException",
    "TransactionInProgressException",
    "RequestTimeout",
    "SlowDown",
    "PriorRequestNotComplete",
    "InternalServerError",
];

/// Whether a service error with this HTTP status and code may succeed when retried.
fn is_transient(status: u16, code: Option<&str>) -> bool {
    status == 429 || status >= 500 || code.is_some_and(|c| TRANSIENT_CODES.contains(&c))
}

/// HTTP status of a service error, if the request got that far.
pub fn status<E>(err: &SdkError<E, HttpResponse>) -> Option<u16> {
    match err {
        SdkError::ServiceError(e) => Some(e.raw().status().as_u16()),
        _ => None,
    }
}

/// Sorts an SDK error into a [`PortError`], whose message is the error with all its causes.
/// Transient: HTTP 429 and 5xx, throttling, limit and internal-error codes, timeouts, dispatch
/// failures and unreadable responses. Permanent: other service errors, and requests the SDK could not
/// build.
pub fn classify<E>(err: SdkError<E, HttpResponse>) -> PortError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let transient = match &err {
        SdkError::ServiceError(e) => is_transient(e.raw().status().as_u16(), e.err().code()),
        SdkError::ConstructionFailure(_) => false,
        // Timeouts, connection failures and unparseable responses may all go away.
        _ => true,
    };
    let message = summary(&err);
    tracing::debug!(error = %DisplayErrorContext(&err), "{message}");
    if transient {
        PortError::Transient(message)
    } else {
        PortError::Permanent(message)
    }
}

/// One line a person can read: a service error's code, message and HTTP status (the SDK's
/// display of an unmodelled error carries the whole raw response); other errors with their
/// causes. Neither has the Debug dump [`DisplayErrorContext`] appends.
fn summary<E>(err: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match err {
        SdkError::ServiceError(e) => format!(
            "{}: {} (HTTP {})",
            e.err().code().unwrap_or("service error"),
            e.err().message().unwrap_or("no message"),
            e.raw().status().as_u16()
        ),
        _ => with_causes(err),
    }
}

/// An error and its causes, `top: cause: …` (many errors say little at the top, as
/// "dispatch failure" or "client error (Connect)").
pub fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        text = format!("{text}: {e}");
        cause = e.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::{classify, is_transient};
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::client::result::SdkError;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;
    use wsflow_core::ports::PortError;

    #[test]
    fn throttling_timeouts_and_in_progress_transactions_are_retried() {
        for code in [
            "ThrottledException",
            "RequestThrottledException",
            "TransactionInProgressException",
            "RequestTimeout",
            "SlowDown",
            "PriorRequestNotComplete",
            "ProvisionedThroughputExceededException",
        ] {
            assert!(is_transient(400, Some(code)), "{code}");
        }
        assert!(is_transient(503, None));
        assert!(is_transient(429, None));
    }

    #[test]
    fn client_errors_are_not_retried() {
        for code in [
            "ValidationException",
            "ConditionalCheckFailedException",
            "ResourceNotFoundException",
        ] {
            assert!(!is_transient(400, Some(code)), "{code}");
        }
        assert!(!is_transient(410, None));
    }

    #[test]
    fn a_service_error_reads_as_one_line_without_the_raw_response() {
        let raw = HttpResponse::new(500.try_into().unwrap(), SdkBody::from("a long raw body"));
        let error = ErrorMetadata::builder()
            .code("InternalFailure")
            .message("try again")
            .build();
        let PortError::Transient(message) = classify(SdkError::service_error(error, raw)) else {
            panic!("a 500 is transient");
        };
        assert_eq!(message, "InternalFailure: try again (HTTP 500)");
    }

    #[test]
    fn a_failure_before_an_answer_reads_as_its_causes_without_a_debug_dump() {
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
        let failure = SdkError::<ErrorMetadata, HttpResponse>::timeout_error(refused);
        let PortError::Transient(message) = classify(failure) else {
            panic!("a timeout is transient");
        };
        assert_eq!(message, "request has timed out: connection refused");
    }
}
