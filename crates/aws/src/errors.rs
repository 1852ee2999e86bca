//! AWS errors, classified once and mapped to retry behaviour and conditions.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorClass {
    /// The resource is already gone: a delete counts as done.
    NotFound,
    /// Rate limited: back off.
    Throttled,
    /// Timeouts, 5xx, connection problems: retry.
    Transient,
    /// Something still depends on it: retry after the dependents are gone.
    DependencyViolation,
    /// AWS rejected the request as invalid: fix the spec.
    InvalidSpec,
    /// Missing permissions: fix IAM.
    AccessDenied,
    Other,
}

impl ErrorClass {
    /// Stable label for metrics, events and condition reasons.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::NotFound => "NotFound",
            ErrorClass::Throttled => "Throttled",
            ErrorClass::Transient => "Transient",
            ErrorClass::DependencyViolation => "DependencyViolation",
            ErrorClass::InvalidSpec => "InvalidSpec",
            ErrorClass::AccessDenied => "AccessDenied",
            ErrorClass::Other => "Other",
        }
    }

    /// What a region that cannot be reached answers: timeouts, 5xx,
    /// connections refused. Throttling means the region is up.
    pub fn suggests_outage(self) -> bool {
        self == ErrorClass::Transient
    }

    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorClass::Throttled | ErrorClass::Transient | ErrorClass::DependencyViolation)
    }

    /// Classifies an AWS error code (and HTTP status when there is no code).
    pub fn from_code(code: &str, http_status: Option<u16>) -> ErrorClass {
        let lower = code.to_ascii_lowercase();
        if lower.contains("notfound") || lower.starts_with("nosuch") || lower.ends_with(".notfound") {
            ErrorClass::NotFound
        } else if lower.contains("throttl")
            || lower == "requestlimitexceeded"
            || lower.contains("toomanyrequests")
            || lower == "slowdown"
        {
            ErrorClass::Throttled
        } else if lower == "dependencyviolation"
            || lower == "deleteconflict"
            || lower.contains("inuse")
            || lower.starts_with("invaliddbinstancestate")
        {
            ErrorClass::DependencyViolation
        } else if lower.contains("unauthorized") || lower.contains("accessdenied") || lower == "authfailure" {
            ErrorClass::AccessDenied
        } else if lower.starts_with("invalid") || lower.contains("malformed") || lower.ends_with("validationerror") {
            ErrorClass::InvalidSpec
        } else if lower.contains("internal") || lower.contains("unavailable") || lower == "injectedfault" {
            ErrorClass::Transient
        } else {
            match http_status {
                Some(429) => ErrorClass::Throttled,
                Some(s) if s >= 500 => ErrorClass::Transient,
                _ => ErrorClass::Other,
            }
        }
    }
}

/// An AWS call that failed, with the operation that failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{operation}: {code}: {message}")]
pub struct AwsError {
    pub class: ErrorClass,
    pub operation: String,
    pub code: String,
    pub message: String,
}

impl AwsError {
    pub fn new(class: ErrorClass, operation: &str, code: &str, message: impl Into<String>) -> Self {
        AwsError { class, operation: operation.to_string(), code: code.to_string(), message: message.into() }
    }

    /// A request that could not even be built (a required field missing).
    pub fn build_failed(operation: &str, e: impl std::fmt::Display) -> Self {
        AwsError::new(ErrorClass::Other, operation, "BuildError", e.to_string())
    }

    pub fn is_not_found(&self) -> bool {
        self.class == ErrorClass::NotFound
    }

    /// Classifies any SDK error once, at the call site.
    pub fn from_sdk<E, R>(operation: &str, err: &SdkError<E, R>) -> AwsError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        match err {
            SdkError::ServiceError(service) => {
                let e = service.err();
                let status = Some(service.raw_debug_status());
                let code = e.code().unwrap_or("Unknown");
                let message = match (e.message().filter(|m| !m.is_empty()), status.flatten()) {
                    (Some(m), _) => m.to_string(),
                    (None, Some(http)) => format!(
                        "HTTP {http} from {} with no error the SDK could read",
                        operation.split(':').next().unwrap_or(operation)
                    ),
                    (None, None) => "no error message".to_string(),
                };
                let class = ErrorClass::from_code(code, status.flatten());
                let message = match remedy(code).or((class == ErrorClass::AccessDenied).then_some(GRANT)) {
                    Some(what_to_do) => format!("{message} ({what_to_do})"),
                    None => message,
                };
                AwsError::new(class, operation, code, message)
            }
            SdkError::TimeoutError(_) => {
                AwsError::new(ErrorClass::Transient, operation, "Timeout", "the call timed out")
            }
            SdkError::DispatchFailure(d) => {
                // Our own interceptor refuses calls before they are sent.
                let text = format!("{d:?}");
                if text.contains(crate::calls::FENCED) {
                    AwsError::new(ErrorClass::Transient, operation, "Fenced", text)
                } else if text.contains(crate::calls::INJECTED_FAULT) {
                    AwsError::new(ErrorClass::Transient, operation, "InjectedFault", text)
                } else if text.contains("CredentialsNotLoaded") || text.contains("ProviderError") {
                    // Retrying cannot help: a person has to provide credentials.
                    AwsError::new(
                        ErrorClass::AccessDenied,
                        operation,
                        "NoCredentials",
                        "no AWS credentials could be loaded: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run with an instance or pod role (the local emulator takes any static keys)",
                    )
                } else if d.is_io() {
                    let cause = d.as_connector_error().map(|c| error_chain(c)).unwrap_or_default();
                    AwsError::new(
                        ErrorClass::Transient,
                        operation,
                        "Unreachable",
                        format!(
                            "cannot reach the AWS endpoint ({cause}); check --endpoint-url / AWS_ENDPOINT_URL and the network"
                        ),
                    )
                } else if d.is_timeout() {
                    AwsError::new(ErrorClass::Transient, operation, "Timeout", "the connection timed out")
                } else {
                    let cause = d.as_connector_error().map(|c| error_chain(c)).unwrap_or(text);
                    AwsError::new(ErrorClass::Transient, operation, "DispatchFailure", cause)
                }
            }
            other => {
                let text = error_chain(other);
                if text.contains(crate::calls::FENCED) {
                    AwsError::new(ErrorClass::Transient, operation, "Fenced", text)
                } else if text.contains(crate::calls::INJECTED_FAULT) {
                    AwsError::new(ErrorClass::Transient, operation, "InjectedFault", text)
                } else {
                    AwsError::new(ErrorClass::Other, operation, "SdkError", text)
                }
            }
        }
    }
}

/// What a person can do about an error whose AWS message does not say it.
/// What a denied call says to do: every action the code calls is in the policy file.
pub const GRANT: &str =
    "the credentials in use lack this permission: deploy/iam-policy.json lists every action warmstandby calls";

fn remedy(code: &str) -> Option<&'static str> {
    match code {
        // Stacks on one RegionPair share its subnets: a fleet can fill them.
        "InsufficientFreeAddressesInSubnet" => Some(
            "the RegionPair's subnets are full: lower the capacities of the stacks on it, or put further stacks on a RegionPair with larger subnets (spec.primary.subnets, spec.standby.subnets; a subnet cannot grow in place)",
        ),
        _ => None,
    }
}

/// A change whose target is already gone counts as done (deletes, mostly).
pub(crate) fn ok_or_gone<T>(result: Result<T, AwsError>) -> Result<warmstandby_core::plan::ActionOutcome, AwsError> {
    use warmstandby_core::plan::ActionOutcome;
    match result {
        Ok(_) => Ok(ActionOutcome::Done),
        Err(e) if e.is_not_found() => Ok(ActionOutcome::NotFound),
        Err(e) => Err(e),
    }
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    parts.join(": ")
}

/// Status of a service error's raw response, when it has one.
trait RawStatus {
    fn raw_debug_status(&self) -> Option<u16>;
}

impl<E, R: std::fmt::Debug> RawStatus for aws_smithy_runtime_api::client::result::ServiceError<E, R> {
    fn raw_debug_status(&self) -> Option<u16> {
        // The raw response type is generic; its Debug form starts with the status.
        let text = format!("{:?}", self.raw());
        text.split(|c: char| !c.is_ascii_digit()).find_map(|n| n.parse::<u16>().ok().filter(|s| (100..600).contains(s)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_classified_once() {
        for (code, class) in [
            ("InvalidVpcID.NotFound", ErrorClass::NotFound),
            ("InvalidNatGatewayID.NotFound", ErrorClass::NotFound),
            ("DBInstanceNotFound", ErrorClass::NotFound),
            ("NoSuchHostedZone", ErrorClass::NotFound),
            ("RequestLimitExceeded", ErrorClass::Throttled),
            ("Throttling", ErrorClass::Throttled),
            ("DependencyViolation", ErrorClass::DependencyViolation),
            ("ResourceInUse", ErrorClass::DependencyViolation),
            ("DeleteConflict", ErrorClass::DependencyViolation),
            ("NoSuchEntity", ErrorClass::NotFound),
            ("ResourceNotFoundException", ErrorClass::NotFound),
            ("UnauthorizedOperation", ErrorClass::AccessDenied),
            ("AccessDeniedException", ErrorClass::AccessDenied),
            ("InvalidParameterValue", ErrorClass::InvalidSpec),
            ("InvalidSubnet.Range", ErrorClass::InvalidSpec),
            ("InternalError", ErrorClass::Transient),
            ("ServiceUnavailable", ErrorClass::Transient),
        ] {
            assert_eq!(ErrorClass::from_code(code, Some(400)), class, "{code}");
        }
        assert_eq!(ErrorClass::from_code("Weird", Some(503)), ErrorClass::Transient);
        assert!(remedy("InsufficientFreeAddressesInSubnet").is_some_and(|r| r.contains("larger subnets")));
        assert_eq!(remedy("InvalidParameterValue"), None);
        assert_eq!(ErrorClass::from_code("Weird", Some(429)), ErrorClass::Throttled);
        assert!(ErrorClass::Throttled.is_retryable() && !ErrorClass::InvalidSpec.is_retryable());
    }
}
