//! Optional suppression: adding addresses that really bounced hard (or complained) to the SES account-level
//! suppression list, so nobody mails them again. Off by default. That list is regional, so the function adds
//! every address to the list of each region in `SUPPRESS_REGIONS` (its own region by default).

use std::future::Future;

use aws_config::{Region, SdkConfig};
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

    /// Adds `address` to the list of every region this suppressor serves, the regions concurrently: one
    /// outcome per region, a failure in one leaving the others alone. By default, the one list
    /// [`Suppressor::suppress`] adds to, of no named region.
    fn suppress_in_every_region<'a>(
        &'a self,
        address: &'a str,
        reason: SuppressionReason,
    ) -> impl Future<Output = Vec<RegionalOutcome<'a>>> + Send + 'a {
        async move {
            vec![RegionalOutcome {
                region: None,
                result: self.suppress(address, reason).await,
            }]
        }
    }
}

/// What adding one address to one region's list came to.
#[derive(Debug)]
pub struct RegionalOutcome<'a> {
    /// The region whose list it was, when the suppressor names it.
    pub region: Option<&'a str>,
    pub result: Result<(), SuppressError>,
}

/// What the function uses when `SUPPRESS=off`.
pub struct NoSuppression;

impl Suppressor for NoSuppression {
    async fn suppress(&self, _: &str, _: SuppressionReason) -> Result<(), SuppressError> {
        Ok(())
    }
}

/// The SES v2 account-level suppression lists of one or more regions.
pub struct SesSuppressor {
    lists: Vec<RegionalList>,
}

/// One region's list: the region, and an SES client that signs for it and calls its endpoint.
struct RegionalList {
    region: String,
    client: aws_sdk_sesv2::Client,
}

impl SesSuppressor {
    /// The list of `client`'s region.
    pub fn new(client: aws_sdk_sesv2::Client) -> Self {
        let region = client.config().region().map(Region::to_string);
        SesSuppressor::with_clients([(region.unwrap_or_default(), client)])
    }

    /// The lists of `regions`, in order: one client each, configured as `sdk_config` but for its region
    /// (credentials, retries, timeouts and endpoint settings shared). Build it once per execution
    /// environment; no region, no client.
    pub fn in_regions(sdk_config: &SdkConfig, regions: &[String]) -> Self {
        SesSuppressor::with_clients(regions.iter().map(|region| {
            let config = aws_sdk_sesv2::config::Builder::from(sdk_config)
                .region(Region::new(region.clone()))
                .build();
            (region.clone(), aws_sdk_sesv2::Client::from_conf(config))
        }))
    }

    /// The lists of the given regions, each through its client (tests: mocks).
    pub fn with_clients(
        clients: impl IntoIterator<Item = (String, aws_sdk_sesv2::Client)>,
    ) -> Self {
        SesSuppressor {
            lists: clients
                .into_iter()
                .map(|(region, client)| RegionalList { region, client })
                .collect(),
        }
    }

    /// The regions whose lists every suppression goes to.
    pub fn regions(&self) -> impl Iterator<Item = &str> {
        self.lists.iter().map(|list| list.region.as_str())
    }
}

impl Suppressor for SesSuppressor {
    /// Adds `address` to every region's list; the first failure, if any.
    async fn suppress(
        &self,
        address: &str,
        reason: SuppressionReason,
    ) -> Result<(), SuppressError> {
        self.suppress_in_every_region(address, reason)
            .await
            .into_iter()
            .try_for_each(|outcome| outcome.result)
    }

    async fn suppress_in_every_region<'a>(
        &'a self,
        address: &'a str,
        reason: SuppressionReason,
    ) -> Vec<RegionalOutcome<'a>> {
        let attempts = self.lists.iter().map(|list| async move {
            RegionalOutcome {
                // A client without a region (a test's) names none.
                region: Some(list.region.as_str()).filter(|region| !region.is_empty()),
                result: list.suppress(address, reason).await,
            }
        });
        futures_util::future::join_all(attempts).await
    }
}

impl RegionalList {
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
