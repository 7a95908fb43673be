//! Amazon EventBridge: a configuration set's event destination can be the default event bus, and a rule
//! invokes the function with the EventBridge event itself (`version`, `id`, `detail-type`, `source`,
//! `account`, `time`, `region`, `resources`, `detail`). `detail` is the SES event-publishing record as a JSON
//! object, the same document SNS carries as a string in `Message`; there is no SNS envelope or signature.
//!
//! SES also puts account-level events on the default bus (`Sending Status Disabled`, `Advisor Recommendation
//! Status Open`, …): no `mail`, no recipients. They are kept verbatim ([`Content::AccountEvent`]). An event
//! of another `source` is kept verbatim in `Unrecognized` ([`Content::OtherEvent`]).

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{content_key, Content, Envelope, InboundMessage};

/// The `source` of every event SES puts on the bus.
pub const SES_SOURCE: &str = "aws.ses";

/// The `detail-type` of each SES email event, in the order of [`crate::feedback::EventType::ALL`]:
/// Bounce, Complaint, Delivery, Send, Reject, Open, Click, Rendering Failure, DeliveryDelay, Subscription.
pub const EMAIL_DETAIL_TYPES: [&str; 10] = [
    "Email Bounced",
    "Email Complaint Received",
    "Email Delivered",
    "Email Sent",
    "Email Rejected",
    "Email Opened",
    "Email Clicked",
    "Email Rendering Failed",
    "Email Delivery Delayed",
    "Email Subscribed",
];

/// An EventBridge event whose `detail` is kept as the JSON text it arrived as: the SES record is parsed
/// once, by the same parser as an SNS `Message`, without being re-serialised first.
pub type RawDetailEvent = EventBridgeEvent<Box<RawValue>>;

/// Whether a `detail` is an SES email record (it has `eventType` or `mail`) whatever its `detail-type` says,
/// so an email type SES adds later reaches the parser (and `Unrecognized`, by its unknown type) rather
/// than the account-event stream.
#[derive(Deserialize)]
struct DetailProbe {
    #[serde(rename = "eventType")]
    event_type: Option<IgnoredAny>,
    mail: Option<IgnoredAny>,
}

impl InboundMessage {
    /// One EventBridge event, `text` its JSON as received: an SES email event's `detail`, an SES
    /// account-level event or another source's event whole. Known by its `id` (EventBridge delivers at least
    /// once), else by its text; dated by its `time`, else `received_ms`.
    pub fn from_eventbridge(event: RawDetailEvent, text: &str, received_ms: i64) -> Self {
        let RawDetailEvent {
            id,
            detail_type,
            source,
            account,
            time,
            region,
            detail,
            ..
        } = event;
        // Only SES's own events say which SES region they come from.
        let event_region = region.filter(|_| source == SES_SOURCE);
        let content = if source != SES_SOURCE {
            Content::OtherEvent {
                text: text.to_owned(),
                source,
                detail_type,
            }
        } else if is_email_event(&detail_type, &detail) {
            Content::Message(String::from(Box::<str>::from(detail)))
        } else {
            Content::AccountEvent {
                text: text.to_owned(),
                detail_type,
            }
        };
        InboundMessage {
            dedupe_key: id.clone().unwrap_or_else(|| content_key(text)),
            envelope: Envelope {
                message_id: None,
                topic_arn: None,
                subject: None,
                timestamp_ms: time.map_or(received_ms, |time| time.timestamp_millis()),
                delivery_id: id,
                event_account: Some(account.unwrap_or_default()),
                event_region,
            },
            content,
        }
    }
}

fn is_email_event(detail_type: &str, detail: &RawValue) -> bool {
    EMAIL_DETAIL_TYPES.contains(&detail_type)
        || serde_json::from_str::<DetailProbe>(detail.get())
            .is_ok_and(|probe| probe.event_type.is_some() || probe.mail.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    fn read(text: &str) -> InboundMessage {
        let event: RawDetailEvent = serde_json::from_str(text).expect(text);
        InboundMessage::from_eventbridge(event, text, NOW)
    }

    fn event(detail_type: &str, source: &str, detail: &str) -> String {
        format!(
            r#"{{"version":"0","id":"e-1","detail-type":"{detail_type}","source":"{source}","account":"123456789012","time":"2026-11-20T10:15:31Z","region":"us-east-1","resources":[],"detail":{detail}}}"#
        )
    }

    #[test]
    fn an_email_event_gives_its_detail_text_unchanged_known_by_the_event_id() {
        let detail = r#"{"eventType":"Bounce",  "bounce":{"bouncedRecipients":[{"emailAddress":"a@example.com"}]},"mail":{}}"#;
        let read = read(&event("Email Bounced", "aws.ses", detail));
        assert_eq!(read.content, Content::Message(detail.to_owned()));
        assert_eq!(read.dedupe_key, "e-1");
        assert_eq!(read.envelope.delivery_id.as_deref(), Some("e-1"));
        assert_eq!(read.envelope.message_id, None);
        assert_eq!(read.envelope.topic_arn, None);
        assert_eq!(read.envelope.event_account.as_deref(), Some("123456789012"));
        assert_eq!(read.envelope.timestamp_ms, 1_795_169_731_000);
    }

    #[test]
    fn an_ses_event_without_mail_or_event_type_is_an_account_event_kept_whole() {
        let text = event(
            "Sending Status Disabled",
            "aws.ses",
            r#"{"version":"1.0.0","data":{"record":{"status":"DISABLED"}}}"#,
        );
        let read = read(&text);
        assert_eq!(
            read.content,
            Content::AccountEvent {
                text: text.clone(),
                detail_type: "Sending Status Disabled".to_owned()
            }
        );
    }

    #[test]
    fn an_unknown_ses_detail_type_with_an_ses_record_goes_to_the_parser() {
        let detail = r#"{"eventType":"Quarantine","mail":{}}"#;
        let read = read(&event("Email Quarantined", "aws.ses", detail));
        assert_eq!(read.content, Content::Message(detail.to_owned()));
    }

    #[test]
    fn another_source_is_kept_whole_with_its_source_and_type() {
        let text = event("EC2 Instance State-change Notification", "aws.ec2", "{}");
        let read = read(&text);
        assert_eq!(
            read.content,
            Content::OtherEvent {
                text: text.clone(),
                source: "aws.ec2".to_owned(),
                detail_type: "EC2 Instance State-change Notification".to_owned()
            }
        );
    }

    #[test]
    fn without_id_or_time_it_is_known_by_its_text_and_dated_on_arrival() {
        let text =
            r#"{"detail-type":"Email Sent","source":"aws.ses","detail":{"eventType":"Send"}}"#;
        let read = read(text);
        assert!(read.dedupe_key.starts_with("text:"));
        assert_eq!(read.envelope.delivery_id, None);
        assert_eq!(read.envelope.timestamp_ms, NOW);
        assert_eq!(read.envelope.event_account.as_deref(), Some(""));
    }
}
