//! Optional suppression: adding addresses that really bounced hard (or complained) to the SES account-level
//! suppression list, so nobody mails them again. Off by default.

use std::future::Future;

use aws_sdk_sesv2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sesv2::operation::put_suppressed_destination::PutSuppressedDestinationError;
use aws_sdk_sesv2::types::SuppressionListReason;

use crate::feedback::reason::PERMANENT;
use crate::feedback::EventType;

/// `SUPPRESS`: which addresses to suppress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SuppressMode {
    #[default]
    Off,
    /// Bounces whose effective type is Permanent.
    Hard,
    /// Those, and complaints.
    HardAndComplaints,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuppressionReason {
    Bounce,
    Complaint,
}

/// The SES mailbox simulator's domain: its addresses are for tests and must never be suppressed.
const SIMULATOR_DOMAIN: &str = "@simulator.amazonses.com";
/// Sub-types with which SES says the address is on a suppression list already.
const ALREADY_SUPPRESSED: [&str; 4] = [
    "Suppressed",
    "OnAccountSuppressionList",
    "OnTenantSuppressionList",
    "EmailValidationSuppressed",
];

/// Why `address` should be suppressed, if it should: `sub_type` is the bounce's `bounceSubType` or the
/// complaint's `complaintSubType`, `effective_bounce_type` the bounce's effective type.
pub(crate) fn suppression_reason(
    mode: SuppressMode,
    event_type: EventType,
    effective_bounce_type: Option<&str>,
    sub_type: Option<&str>,
    address: &str,
) -> Option<SuppressionReason> {
    if address.to_ascii_lowercase().ends_with(SIMULATOR_DOMAIN)
        || sub_type.is_some_and(|s| ALREADY_SUPPRESSED.contains(&s))
    {
        return None;
    }
    match (mode, event_type) {
        (SuppressMode::Hard | SuppressMode::HardAndComplaints, EventType::Bounce)
            if effective_bounce_type == Some(PERMANENT) =>
        {
            Some(SuppressionReason::Bounce)
        }
        (SuppressMode::HardAndComplaints, EventType::Complaint) => {
            Some(SuppressionReason::Complaint)
        }
        _ => None,
    }
}

/// Carries the error code or kind only: AWS error messages may quote the address.
#[derive(Debug, thiserror::Error)]
#[error("PutSuppressedDestination failed: {0}")]
pub struct SuppressError(pub String);

/// Adds an address to the account's suppression list.
pub trait Suppressor: Sync {
    fn suppress(
        &self,
        address: &str,
        reason: SuppressionReason,
    ) -> impl Future<Output = Result<(), SuppressError>> + Send;
}

/// What the function uses when `SUPPRESS=off`.
pub struct NoSuppression;

impl Suppressor for NoSuppression {
    async fn suppress(&self, _: &str, _: SuppressionReason) -> Result<(), SuppressError> {
        Ok(())
    }
}

/// The SES v2 account-level suppression list.
pub struct SesSuppressor {
    client: aws_sdk_sesv2::Client,
}

impl SesSuppressor {
    pub fn new(client: aws_sdk_sesv2::Client) -> Self {
        SesSuppressor { client }
    }
}

impl Suppressor for SesSuppressor {
    async fn suppress(
        &self,
        address: &str,
        reason: SuppressionReason,
    ) -> Result<(), SuppressError> {
        let reason = match reason {
            SuppressionReason::Bounce => SuppressionListReason::Bounce,
            SuppressionReason::Complaint => SuppressionListReason::Complaint,
        };
        self.client
            .put_suppressed_destination()
            .email_address(address)
            .reason(reason)
            .send()
            .await
            .map(|_| ())
            .map_err(|error| {
                let kind = match &error {
                    SdkError::ServiceError(service) => match service.err() {
                        PutSuppressedDestinationError::BadRequestException(_) => {
                            "BadRequestException"
                        }
                        PutSuppressedDestinationError::NotFoundException(_) => "NotFoundException",
                        PutSuppressedDestinationError::TooManyRequestsException(_) => {
                            "TooManyRequestsException"
                        }
                        other => other.code().unwrap_or("service error"),
                    },
                    SdkError::TimeoutError(_) => "timed out",
                    SdkError::DispatchFailure(_) => "could not connect",
                    _ => "request failed",
                };
                SuppressError(kind.to_owned())
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hard_mode_suppresses_effectively_permanent_bounces_only() {
        let reason = |mode, kind, effective, sub| {
            suppression_reason(mode, kind, effective, sub, "a@example.com")
        };
        assert_eq!(
            reason(
                SuppressMode::Hard,
                EventType::Bounce,
                Some("Permanent"),
                Some("General")
            ),
            Some(SuppressionReason::Bounce)
        );
        assert_eq!(
            reason(
                SuppressMode::Hard,
                EventType::Bounce,
                Some("Transient"),
                Some("General")
            ),
            None
        );
        assert_eq!(
            reason(SuppressMode::Hard, EventType::Complaint, None, None),
            None
        );
        assert_eq!(
            reason(
                SuppressMode::HardAndComplaints,
                EventType::Complaint,
                None,
                None
            ),
            Some(SuppressionReason::Complaint)
        );
        assert_eq!(
            reason(
                SuppressMode::Off,
                EventType::Bounce,
                Some("Permanent"),
                None
            ),
            None
        );
        assert_eq!(
            reason(
                SuppressMode::HardAndComplaints,
                EventType::Delivery,
                Some("Permanent"),
                None
            ),
            None
        );
    }

    #[test]
    fn what_ses_already_suppressed_and_the_simulator_are_skipped() {
        for sub in [
            "Suppressed",
            "OnAccountSuppressionList",
            "OnTenantSuppressionList",
        ] {
            let reason = suppression_reason(
                SuppressMode::Hard,
                EventType::Bounce,
                Some("Permanent"),
                Some(sub),
                "a@example.com",
            );
            assert_eq!(reason, None, "{sub}");
        }
        let complaint = suppression_reason(
            SuppressMode::HardAndComplaints,
            EventType::Complaint,
            None,
            Some("OnAccountSuppressionList"),
            "a@example.com",
        );
        assert_eq!(complaint, None);
        let simulator = suppression_reason(
            SuppressMode::Hard,
            EventType::Bounce,
            Some("Permanent"),
            None,
            "bounce@Simulator.AmazonSES.com",
        );
        assert_eq!(simulator, None);
    }
}
