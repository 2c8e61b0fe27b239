//! Sorting SDK errors into transient (retry) and permanent (give up) failures.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use wsflow_core::ports::PortError;

const TRANSIENT_CODES: [&str; 7] = [
    "ThrottlingException",
    "Throttling",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "LimitExceededException",
    "InternalServerError",
];

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
        SdkError::ServiceError(e) => {
            let status = e.raw().status().as_u16();
            status == 429 || status >= 500 || e.err().code().is_some_and(|c| TRANSIENT_CODES.contains(&c))
        }
        SdkError::ConstructionFailure(_) => false,
        // Timeouts, connection failures and unparseable responses may all go away.
        _ => true,
    };
    let message = DisplayErrorContext(&err).to_string();
    if transient {
        PortError::Transient(message)
    } else {
        PortError::Permanent(message)
    }
}
