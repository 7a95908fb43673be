//! The SES payloads carried in an SNS `Message`: feedback notifications (`notificationType`) and event
//! publishing (`eventType`), SES's setup messages, and everything else.
//!
//! Pure parsing: no I/O, no async. SES adds fields over time, so unknown fields are ignored and scalar fields
//! are read leniently (a number where a string was expected is kept as its text, an object or array where a
//! scalar was expected is treated as absent). A message whose structure cannot be read at all is reported as
//! [`ParsedMessage::Unrecognized`] so the caller can keep it verbatim.

pub mod reason;
pub mod region;
pub mod timestamp;

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

/// The plain-text message SES sends when an SNS event destination is added to a configuration set.
pub(crate) const EVENT_DESTINATION_VALIDATED: &str =
    "Successfully validated SNS topic for Amazon SES event publishing.";

/// The `notificationType` SES sends when a topic is attached to an identity.
pub const SUBSCRIPTION_SUCCEEDED: &str = "AmazonSnsSubscriptionSucceeded";

/// Every SES notification and event type; each names its own log stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    Bounce,
    Complaint,
    Delivery,
    Send,
    Reject,
    Open,
    Click,
    RenderingFailure,
    DeliveryDelay,
    Subscription,
}

impl EventType {
    pub const ALL: [EventType; 10] = [
        EventType::Bounce,
        EventType::Complaint,
        EventType::Delivery,
        EventType::Send,
        EventType::Reject,
        EventType::Open,
        EventType::Click,
        EventType::RenderingFailure,
        EventType::DeliveryDelay,
        EventType::Subscription,
    ];

    /// The name SES uses, which is also the log stream's name.
    pub fn name(self) -> &'static str {
        match self {
            EventType::Bounce => "Bounce",
            EventType::Complaint => "Complaint",
            EventType::Delivery => "Delivery",
            EventType::Send => "Send",
            EventType::Reject => "Reject",
            EventType::Open => "Open",
            EventType::Click => "Click",
            EventType::RenderingFailure => "Rendering Failure",
            EventType::DeliveryDelay => "DeliveryDelay",
            EventType::Subscription => "Subscription",
        }
    }

    /// The type SES calls `name`; exact match, as SES writes them.
    pub fn from_name(name: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What one SNS `Message` turned out to be.
#[derive(Debug)]
pub enum ParsedMessage {
    /// SES feedback with at least one recipient (boxed: far larger than the other variants).
    Feedback(Box<Feedback>),
    /// A message SES sends while being set up; nothing to store.
    Setup(SetupMessage),
    /// Anything else; the caller keeps the raw message with this reason.
    Unrecognized(UnrecognizedReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetupMessage {
    /// `AmazonSnsSubscriptionSucceeded`: a topic was attached to an identity.
    SubscriptionSucceeded,
    /// The plain-text note sent when a configuration set's SNS destination was validated.
    EventDestinationValidated,
}

impl SetupMessage {
    pub fn describe(self) -> &'static str {
        match self {
            SetupMessage::SubscriptionSucceeded => {
                "SES confirmed the topic subscription for an identity"
            }
            SetupMessage::EventDestinationValidated => {
                "SES validated the topic as a configuration set event destination"
            }
        }
    }
}

/// Why a message could not be read as SES feedback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnrecognizedReason {
    NotJson,
    NotSesNotification(String),
    MissingType,
    UnknownType(String),
    NoRecipients(EventType),
    /// An EventBridge event whose `source` is not SES: its `source` and `detail-type`.
    OtherSource {
        source: String,
        detail_type: String,
    },
}

impl UnrecognizedReason {
    /// A short name for the kind of reason, free of message content.
    pub fn kind(&self) -> &'static str {
        match self {
            UnrecognizedReason::NotJson => "not_json",
            UnrecognizedReason::NotSesNotification(_) => "not_ses_notification",
            UnrecognizedReason::MissingType => "missing_type",
            UnrecognizedReason::UnknownType(_) => "unknown_type",
            UnrecognizedReason::NoRecipients(_) => "no_recipients",
            UnrecognizedReason::OtherSource { .. } => "other_source",
        }
    }
}

impl fmt::Display for UnrecognizedReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnrecognizedReason::NotJson => f.write_str("the message is not JSON"),
            UnrecognizedReason::NotSesNotification(error) => {
                write!(f, "the message is not an SES notification: {error}")
            }
            UnrecognizedReason::MissingType => {
                f.write_str("the message has neither notificationType nor eventType")
            }
            UnrecognizedReason::UnknownType(name) => write!(f, "unknown SES type {name:?}"),
            UnrecognizedReason::NoRecipients(kind) => {
                write!(f, "the {kind} notification lists no recipient address")
            }
            UnrecognizedReason::OtherSource {
                source,
                detail_type,
            } => write!(
                f,
                "an EventBridge event from source {source:?} (detail-type {detail_type:?}), not from SES"
            ),
        }
    }
}

/// SES feedback of a known type.
#[derive(Debug)]
pub struct Feedback {
    pub event_type: EventType,
    pub notification: Notification,
}

impl Feedback {
    /// The object holding this type's details (`bounce`, `complaint`, …, `failure` for Rendering Failure).
    pub fn details(&self) -> Option<&Details> {
        let n = &self.notification;
        match self.event_type {
            EventType::Bounce => n.bounce.as_deref(),
            EventType::Complaint => n.complaint.as_deref(),
            EventType::Delivery => n.delivery.as_deref(),
            EventType::Send => n.send.as_deref(),
            EventType::Reject => n.reject.as_deref(),
            EventType::Open => n.open.as_deref(),
            EventType::Click => n.click.as_deref(),
            EventType::RenderingFailure => n.failure.as_deref(),
            EventType::DeliveryDelay => n.delivery_delay.as_deref(),
            EventType::Subscription => n.subscription.as_deref(),
        }
    }

    /// Every affected recipient, from where SES lists them for this type: bounced, complained, delivered and
    /// delayed recipients from their own lists (a bounce to three people may list only one), the other types
    /// from `mail.destination`. Entries without an address are skipped.
    pub fn recipients(&self) -> Vec<Recipient<'_>> {
        let details = self.details();
        let listed = |list: fn(&Details) -> &[RecipientEntry]| {
            details
                .map(list)
                .unwrap_or_default()
                .iter()
                .filter_map(RecipientEntry::as_recipient)
                .collect()
        };
        match self.event_type {
            EventType::Bounce => listed(|d| &d.bounced_recipients),
            EventType::Complaint => listed(|d| &d.complained_recipients),
            EventType::DeliveryDelay => listed(|d| &d.delayed_recipients),
            EventType::Delivery => addresses(details.map(|d| d.recipients.as_slice())),
            _ => addresses(
                self.notification
                    .mail
                    .as_ref()
                    .map(|m| m.destination.as_slice()),
            ),
        }
    }
}

fn addresses(list: Option<&[Text]>) -> Vec<Recipient<'_>> {
    list.unwrap_or_default()
        .iter()
        .filter_map(Text::as_address)
        .map(Recipient::address_only)
        .collect()
}

/// One affected recipient and what SES says about it in particular.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recipient<'a> {
    pub email_address: &'a str,
    pub action: Option<&'a str>,
    pub status: Option<&'a str>,
    pub diagnostic_code: Option<&'a str>,
}

impl<'a> Recipient<'a> {
    fn address_only(email_address: &'a str) -> Self {
        Recipient {
            email_address,
            action: None,
            status: None,
            diagnostic_code: None,
        }
    }
}

/// The SES JSON document. Both type keys are read; the type objects share one shape ([`Details`]).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    #[serde(default)]
    pub notification_type: Text,
    #[serde(default)]
    pub event_type: Text,
    #[serde(default)]
    pub mail: Option<Mail>,
    #[serde(default)]
    pub bounce: Option<Box<Details>>,
    #[serde(default)]
    pub complaint: Option<Box<Details>>,
    #[serde(default)]
    pub delivery: Option<Box<Details>>,
    #[serde(default)]
    pub send: Option<Box<Details>>,
    #[serde(default)]
    pub reject: Option<Box<Details>>,
    #[serde(default)]
    pub open: Option<Box<Details>>,
    #[serde(default)]
    pub click: Option<Box<Details>>,
    #[serde(default)]
    pub failure: Option<Box<Details>>,
    #[serde(default)]
    pub delivery_delay: Option<Box<Details>>,
    #[serde(default)]
    pub subscription: Option<Box<Details>>,
}

/// The `mail` object: the original message.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mail {
    #[serde(default)]
    pub timestamp: Text,
    #[serde(default)]
    pub message_id: Text,
    #[serde(default)]
    pub source: Text,
    /// The region of `sourceArn` (the sending identity's ARN): where SES sent the mail.
    #[serde(default, rename = "sourceArn")]
    pub source_region: region::SourceRegion,
    #[serde(default)]
    pub sending_account_id: Text,
    #[serde(default)]
    pub destination: Vec<Text>,
    /// Event publishing's message tags, kept as SES wrote them.
    #[serde(default)]
    pub tags: Option<Box<RawValue>>,
}

/// The fields of every type object (`bounce`, `complaint`, `delivery`, …); each type uses its own subset.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Details {
    #[serde(default)]
    pub timestamp: Text,
    #[serde(default)]
    pub feedback_id: Text,
    #[serde(default, rename = "reportingMTA")]
    pub reporting_mta: Text,
    #[serde(default)]
    pub remote_mta_ip: Text,
    // Bounce
    #[serde(default)]
    pub bounce_type: Text,
    #[serde(default)]
    pub bounce_sub_type: Text,
    #[serde(default)]
    pub bounced_recipients: Vec<RecipientEntry>,
    // Complaint
    #[serde(default)]
    pub complained_recipients: Vec<RecipientEntry>,
    #[serde(default)]
    pub complaint_feedback_type: Text,
    #[serde(default)]
    pub complaint_sub_type: Text,
    #[serde(default)]
    pub arrival_date: Text,
    // Complaint, Open, Click
    #[serde(default)]
    pub user_agent: Text,
    // Delivery
    #[serde(default)]
    pub recipients: Vec<Text>,
    #[serde(default)]
    pub smtp_response: Text,
    #[serde(default)]
    pub processing_time_millis: Text,
    // DeliveryDelay
    #[serde(default)]
    pub delayed_recipients: Vec<RecipientEntry>,
    #[serde(default)]
    pub delay_type: Text,
    #[serde(default)]
    pub expiration_time: Text,
    // Reject
    #[serde(default)]
    pub reason: Text,
    // Open, Click
    #[serde(default)]
    pub ip_address: Text,
    #[serde(default)]
    pub link: Text,
    // Rendering Failure
    #[serde(default)]
    pub template_name: Text,
    #[serde(default)]
    pub error_message: Text,
    // Subscription
    #[serde(default)]
    pub contact_list: Text,
    #[serde(default)]
    pub source: Text,
    #[serde(default)]
    pub new_topic_preferences: Option<Box<RawValue>>,
}

/// An entry of `bouncedRecipients`, `complainedRecipients` or `delayedRecipients`. A bare string is taken as
/// the address, since losing the recipient over a shape change would be worse than reading it leniently.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RecipientEntry {
    pub email_address: Text,
    pub action: Text,
    pub status: Text,
    pub diagnostic_code: Text,
}

impl RecipientEntry {
    fn as_recipient(&self) -> Option<Recipient<'_>> {
        Some(Recipient {
            email_address: self.email_address.as_address()?,
            action: self.action.as_str(),
            status: self.status.as_str(),
            diagnostic_code: self.diagnostic_code.as_str(),
        })
    }
}

impl<'de> Deserialize<'de> for RecipientEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntryVisitor;
        impl<'de> Visitor<'de> for EntryVisitor {
            type Value = RecipientEntry;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a recipient object or address")
            }
            fn visit_str<E: de::Error>(self, address: &str) -> Result<Self::Value, E> {
                Ok(RecipientEntry {
                    email_address: Text(Some(address.to_owned())),
                    ..Default::default()
                })
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(RecipientEntry::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entry = RecipientEntry::default();
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    let slot = match key.as_ref() {
                        "emailAddress" => &mut entry.email_address,
                        "action" => &mut entry.action,
                        "status" => &mut entry.status,
                        "diagnosticCode" => &mut entry.diagnostic_code,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                            continue;
                        }
                    };
                    *slot = map.next_value()?;
                }
                Ok(entry)
            }
        }
        deserializer.deserialize_any(EntryVisitor)
    }
}

/// A scalar field read leniently: strings as they are, numbers and booleans as their text; null, objects and
/// arrays as absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text(pub Option<String>);

impl Text {
    pub fn as_str(&self) -> Option<&str> {
        self.0.as_deref()
    }

    /// The text as a recipient address: blank is no address (CloudWatch refuses an empty event).
    fn as_address(&self) -> Option<&str> {
        self.as_str().filter(|address| !address.trim().is_empty())
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a scalar")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(Some(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text, E> {
                Ok(Text(Some(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text(Some(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text(Some(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
                Ok(Text(Some(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text, E> {
                Ok(Text(Some(v.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Text, D::Error> {
                Text::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Text, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
        }
        deserializer.deserialize_any(TextVisitor)
    }
}

/// Reads one SNS `Message`.
pub fn parse_message(message: &str) -> ParsedMessage {
    let trimmed = message.trim();
    if trimmed == EVENT_DESTINATION_VALIDATED {
        return ParsedMessage::Setup(SetupMessage::EventDestinationValidated);
    }
    // serde would also read a struct from an array, which SES never sends.
    if !trimmed.starts_with('{') {
        return ParsedMessage::Unrecognized(match serde_json::from_str::<IgnoredAny>(trimmed) {
            Ok(_) => UnrecognizedReason::NotSesNotification("JSON, but not an object".to_owned()),
            Err(_) => UnrecognizedReason::NotJson,
        });
    }
    let notification: Notification = match serde_json::from_str(trimmed) {
        Ok(notification) => notification,
        Err(error) if error.is_syntax() || error.is_eof() => {
            return ParsedMessage::Unrecognized(UnrecognizedReason::NotJson);
        }
        Err(error) => {
            return ParsedMessage::Unrecognized(UnrecognizedReason::NotSesNotification(
                error.to_string(),
            ));
        }
    };
    let Some(type_name) = notification
        .notification_type
        .as_str()
        .or(notification.event_type.as_str())
    else {
        return ParsedMessage::Unrecognized(UnrecognizedReason::MissingType);
    };
    if type_name == SUBSCRIPTION_SUCCEEDED {
        return ParsedMessage::Setup(SetupMessage::SubscriptionSucceeded);
    }
    let Some(event_type) = EventType::from_name(type_name) else {
        return ParsedMessage::Unrecognized(UnrecognizedReason::UnknownType(type_name.to_owned()));
    };
    let feedback = Feedback {
        event_type,
        notification,
    };
    if feedback.recipients().is_empty() {
        return ParsedMessage::Unrecognized(UnrecognizedReason::NoRecipients(event_type));
    }
    ParsedMessage::Feedback(Box::new(feedback))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feedback(message: &str) -> Feedback {
        match parse_message(message) {
            ParsedMessage::Feedback(feedback) => *feedback,
            other => panic!("expected feedback, got {other:?}"),
        }
    }

    fn unrecognized(message: &str) -> UnrecognizedReason {
        match parse_message(message) {
            ParsedMessage::Unrecognized(reason) => reason,
            other => panic!("expected unrecognized, got {other:?}"),
        }
    }

    fn addresses(feedback: &Feedback) -> Vec<&str> {
        feedback
            .recipients()
            .iter()
            .map(|r| r.email_address)
            .collect()
    }

    #[test]
    fn reads_the_type_from_either_key() {
        let bounce = r#"{"bounce":{"bouncedRecipients":[{"emailAddress":"a@example.com"}]}}"#;
        let notification = feedback(&format!(
            r#"{{"notificationType":"Bounce",{}"#,
            &bounce[1..]
        ));
        let event = feedback(&format!(r#"{{"eventType":"Bounce",{}"#, &bounce[1..]));
        assert_eq!(notification.event_type, EventType::Bounce);
        assert_eq!(event.event_type, EventType::Bounce);
        assert_eq!(addresses(&event), ["a@example.com"]);
    }

    #[test]
    fn every_type_name_round_trips_and_rendering_failure_keeps_its_space() {
        for kind in EventType::ALL {
            assert_eq!(EventType::from_name(kind.name()), Some(kind));
        }
        assert_eq!(EventType::RenderingFailure.name(), "Rendering Failure");
        assert_eq!(EventType::from_name("RenderingFailure"), None);
    }

    #[test]
    fn unknown_fields_are_ignored_and_unknown_values_kept_raw() {
        let parsed = feedback(
            r#"{"notificationType":"Bounce","newTopLevel":{"x":[1,2]},"bounce":{"bounceType":"Quantum",
            "bounceSubType":"OnTenantSuppressionList","futureField":true,
            "bouncedRecipients":[{"emailAddress":"a@example.com","extra":{"deep":[]}}]},
            "mail":{"messageId":"m-1","unknownMailField":"x","destination":["a@example.com"]}}"#,
        );
        let details = parsed.details().unwrap();
        assert_eq!(details.bounce_type.as_str(), Some("Quantum"));
        assert_eq!(
            details.bounce_sub_type.as_str(),
            Some("OnTenantSuppressionList")
        );
        assert_eq!(addresses(&parsed), ["a@example.com"]);
    }

    #[test]
    fn scalars_of_the_wrong_type_are_read_leniently() {
        let parsed = feedback(
            r#"{"notificationType":"Delivery","delivery":{"processingTimeMillis":"546","smtpResponse":250,
            "reportingMTA":{"not":"a string"},"remoteMtaIp":null,"timestamp":["x"],
            "recipients":["a@example.com",42,null,{"o":1}]}}"#,
        );
        let details = parsed.details().unwrap();
        assert_eq!(details.processing_time_millis.as_str(), Some("546"));
        assert_eq!(details.smtp_response.as_str(), Some("250"));
        assert_eq!(details.reporting_mta.as_str(), None);
        assert_eq!(details.remote_mta_ip.as_str(), None);
        assert_eq!(details.timestamp.as_str(), None);
        assert_eq!(addresses(&parsed), ["a@example.com", "42"]);
    }

    #[test]
    fn a_recipient_given_as_a_bare_string_is_still_a_recipient() {
        let parsed = feedback(
            r#"{"notificationType":"Complaint","complaint":{"complainedRecipients":["a@example.com",
            {"emailAddress":"b@example.com"},{"noAddress":true},null,{"emailAddress":" "},""]}}"#,
        );
        assert_eq!(addresses(&parsed), ["a@example.com", "b@example.com"]);
    }

    #[test]
    fn per_recipient_details_stay_with_their_recipient() {
        let parsed = feedback(
            r#"{"eventType":"DeliveryDelay","deliveryDelay":{"delayType":"MailboxFull","delayedRecipients":[
            {"emailAddress":"a@example.com","status":"4.2.2","diagnosticCode":"full"},
            {"emailAddress":"b@example.com","status":"4.4.7"}]}}"#,
        );
        let recipients = parsed.recipients();
        assert_eq!(recipients[0].status, Some("4.2.2"));
        assert_eq!(recipients[0].diagnostic_code, Some("full"));
        assert_eq!(recipients[1].status, Some("4.4.7"));
        assert_eq!(recipients[1].diagnostic_code, None);
    }

    #[test]
    fn destination_types_never_read_the_type_objects_recipient_lists() {
        let parsed = feedback(
            r#"{"eventType":"Open","open":{"ipAddress":"192.0.2.1"},"bounce":{"bouncedRecipients":["x@example.com"]},
            "mail":{"destination":["a@example.com","b@example.com"]}}"#,
        );
        assert_eq!(addresses(&parsed), ["a@example.com", "b@example.com"]);
    }

    #[test]
    fn setup_messages_are_recognised() {
        assert!(matches!(
            parse_message(EVENT_DESTINATION_VALIDATED),
            ParsedMessage::Setup(SetupMessage::EventDestinationValidated)
        ));
        assert!(matches!(
            parse_message(
                r#"{"notificationType":"AmazonSnsSubscriptionSucceeded","message":"ok"}"#
            ),
            ParsedMessage::Setup(SetupMessage::SubscriptionSucceeded)
        ));
    }

    #[test]
    fn what_is_not_feedback_is_unrecognized_with_a_reason() {
        assert_eq!(unrecognized("hello"), UnrecognizedReason::NotJson);
        assert_eq!(
            unrecognized("{\"notificationType\":"),
            UnrecognizedReason::NotJson
        );
        assert_eq!(unrecognized(""), UnrecognizedReason::NotJson);
        assert_eq!(unrecognized("{}"), UnrecognizedReason::MissingType);
        assert!(matches!(
            unrecognized("[1,2]"),
            UnrecognizedReason::NotSesNotification(_)
        ));
        assert!(matches!(
            unrecognized("\"Bounce\""),
            UnrecognizedReason::NotSesNotification(_)
        ));
        assert!(matches!(
            unrecognized(r#"{"notificationType":"Bounce","bounce":"oops"}"#),
            UnrecognizedReason::NotSesNotification(_)
        ));
        assert_eq!(
            unrecognized(r#"{"eventType":"Bounce:*","mail":{"destination":["a@example.com"]}}"#),
            UnrecognizedReason::UnknownType("Bounce:*".into())
        );
        assert_eq!(
            unrecognized(r#"{"notificationType":"Bounce","bounce":{"bouncedRecipients":[]}}"#),
            UnrecognizedReason::NoRecipients(EventType::Bounce)
        );
        assert_eq!(
            unrecognized(r#"{"eventType":"Send","send":{},"mail":{}}"#),
            UnrecognizedReason::NoRecipients(EventType::Send)
        );
    }

    #[test]
    fn deeply_nested_json_is_unrecognized_not_a_crash() {
        let nested = format!(
            r#"{{"notificationType":"Bounce","x":{}{}}}"#,
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        assert!(matches!(
            parse_message(&nested),
            ParsedMessage::Unrecognized(_)
        ));
    }

    #[test]
    fn reason_kinds_carry_no_message_content() {
        let reason = UnrecognizedReason::UnknownType("secret@example.com".into());
        assert_eq!(reason.kind(), "unknown_type");
        assert!(
            reason.to_string().contains("secret@example.com"),
            "the stored reason keeps the detail"
        );
    }
}
