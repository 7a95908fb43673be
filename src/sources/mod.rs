//! What arrives, however it arrives: an SNS Lambda event, an SQS event whose bodies are SNS envelopes (raw
//! message delivery off) or bare SES notifications (raw delivery on), an EventBridge event, or a replayed
//! line holding any of these. Each becomes [`InboundMessage`]s, which the pipeline treats alike.

pub mod eventbridge;
pub mod https;
mod invocation;
pub mod sns;

use std::hash::{DefaultHasher, Hash, Hasher};

use aws_lambda_events::sns::SnsRecord;
use serde_json::Value;

use self::invocation::parse_error;
pub(crate) use self::invocation::read_invocation;
pub use self::invocation::{Invocation, QueueEvent, QueuedMessage, UnsupportedEvent};
use crate::feedback::timestamp::parse_millis;
use crate::sources::eventbridge::RawDetailEvent;
use crate::sources::sns::SnsEnvelope;

/// One SNS message (or one bare SES notification, or one EventBridge event), with what its envelope said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMessage {
    /// How a redelivery of it is recognised: the SNS MessageId, else the SQS messageId, else the
    /// EventBridge event id, else a hash of its text.
    pub dedupe_key: String,
    pub envelope: Envelope,
    pub content: Content,
}

/// What the way in says about a message, for its log events. A notification SNS delivered to SQS with raw
/// message delivery on has no envelope: no MessageId or TopicArn, and the time SQS received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub message_id: Option<String>,
    pub topic_arn: Option<String>,
    pub subject: Option<String>,
    /// SNS's timestamp (EventBridge's `time`), in milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
    /// The id of this delivery, whatever the way in: the SNS MessageId, the SQS messageId of a raw
    /// delivery, the EventBridge event id; none for a message known only by its text.
    pub delivery_id: Option<String>,
    /// EventBridge deliveries only: the event's `account` (empty when it names none), checked against
    /// the sending-account allow-list.
    pub event_account: Option<String>,
    /// EventBridge deliveries of SES events only: the event's `region`, the SES region that published it.
    pub event_region: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// The SNS Message: SES feedback, SES's setup message, or anything else (kept verbatim).
    Message(String),
    /// An SNS envelope of another type than `Notification` (a `SubscriptionConfirmation` delivered to a
    /// queue, say): nothing to store.
    Control { sns_type: String },
    /// An SES account-level EventBridge event (sending paused or resumed, an advisor recommendation): no
    /// recipients; the event is kept whole, verbatim, in a stream of its own.
    AccountEvent { text: String, detail_type: String },
    /// An EventBridge event from another `source` than SES: kept whole in `Unrecognized`.
    OtherEvent {
        text: String,
        source: String,
        detail_type: String,
    },
}

impl InboundMessage {
    /// A record of an SNS Lambda event (its strings are moved, not copied).
    pub fn from_sns_record(record: SnsRecord) -> Self {
        let sns = record.sns;
        InboundMessage {
            dedupe_key: sns.message_id.clone(),
            envelope: Envelope {
                timestamp_ms: sns.timestamp.timestamp_millis(),
                delivery_id: Some(sns.message_id.clone()),
                message_id: Some(sns.message_id),
                topic_arn: Some(sns.topic_arn),
                subject: sns.subject,
                event_account: None,
                event_region: None,
            },
            content: Content::Message(sns.message),
        }
    }

    /// A record of an SQS event: its body read by shape (see [`InboundMessage::from_body`]); the time SQS
    /// received it stands in for an envelope's.
    pub(crate) fn from_sqs_message(message: QueuedMessage, now_ms: i64) -> Self {
        let sent_ms = message
            .sent_timestamp
            .and_then(|sent| sent.parse().ok())
            .unwrap_or(now_ms);
        InboundMessage::from_body(
            message.body.unwrap_or_default(),
            message.message_id,
            sent_ms,
        )
    }

    /// An SQS body, or any text that should be one: an EventBridge event (it has `detail-type`, `source`
    /// and `detail`), an SNS envelope (it has `Type` and `TopicArn`), else the notification itself.
    /// Whatever the body holds is kept: what is not SES feedback is stored verbatim by the pipeline.
    pub fn from_body(body: String, queue_message_id: Option<String>, received_ms: i64) -> Self {
        // An EventBridge rule can target a queue too; its dead-letter queue holds the event as the body.
        if holds(&body, "\"detail-type\"") {
            if let Ok(event) = serde_json::from_str::<RawDetailEvent>(&body) {
                return InboundMessage::from_eventbridge(event, &body, received_ms);
            }
        }
        if let Some(envelope) = SnsEnvelope::read(&body) {
            return InboundMessage::from_sns_envelope(
                envelope,
                || queue_message_id.unwrap_or_else(|| content_key(&body)),
                received_ms,
            );
        }
        InboundMessage {
            dedupe_key: queue_message_id
                .clone()
                .unwrap_or_else(|| content_key(&body)),
            envelope: Envelope {
                message_id: None,
                topic_arn: None,
                subject: None,
                timestamp_ms: received_ms,
                delivery_id: queue_message_id,
                event_account: None,
                event_region: None,
            },
            content: Content::Message(body),
        }
    }

    /// The message an SNS envelope carries: a `Notification`'s Message, else a control message. Known by
    /// its MessageId, else by `other_key`; dated by its Timestamp, else `received_ms`.
    pub(crate) fn from_sns_envelope(
        envelope: SnsEnvelope,
        other_key: impl FnOnce() -> String,
        received_ms: i64,
    ) -> Self {
        let content = match (envelope.sns_type, envelope.message) {
            (Some(sns_type), Some(message)) if sns_type == "Notification" => {
                Content::Message(message)
            }
            (sns_type, _) => Content::Control {
                sns_type: sns_type.unwrap_or_default(),
            },
        };
        InboundMessage {
            dedupe_key: envelope.message_id.clone().unwrap_or_else(other_key),
            envelope: Envelope {
                delivery_id: envelope.message_id.clone(),
                event_account: None,
                event_region: None,
                message_id: envelope.message_id,
                topic_arn: envelope.topic_arn,
                subject: envelope.subject,
                timestamp_ms: envelope
                    .timestamp
                    .as_deref()
                    .and_then(parse_millis)
                    .unwrap_or(received_ms),
            },
            content,
        }
    }
}

/// Whether `text` holds `needle`, by memchr's vectorised search: each SQS body is searched for the keys that
/// tell its kind, and the standard library's search is vectorised on x86_64 only, not on Lambda's arm64.
pub(crate) fn holds(text: &str, needle: &str) -> bool {
    memchr::memmem::find(text.as_bytes(), needle.as_bytes()).is_some()
}

/// The key of a message known only by its text.
pub(crate) fn content_key(text: &str) -> String {
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    format!("text:{:016x}", hasher.finish())
}

/// Why a replayed line could not be used; never quotes the line.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UnusableLine {
    #[error("not JSON ({0})")]
    NotJson(String),
    #[error("JSON of no known shape (not an SNS, SQS or EventBridge event, SQS message, SNS envelope, Lambda failure record or SES notification)")]
    UnknownShape,
    #[error("{0}")]
    BadEvent(String),
    #[error("nested more than {MAX_NESTING} levels deep")]
    TooDeep,
}

/// How many wrappers (failure record → SQS message → SNS event …) a replayed line may have.
const MAX_NESTING: usize = 8;

/// The messages in one replayed line: an SNS, SQS or EventBridge Lambda event, a Lambda failure-destination
/// record (`requestPayload` holds the event), `aws sqs receive-message` output or one message of it (an
/// EventBridge rule's dead-letter queue holds the event as the body), an SQS record, an SNS envelope, or a
/// bare SES notification.
pub fn read_replay_line(line: &str, now_ms: i64) -> Result<Vec<InboundMessage>, UnusableLine> {
    let value: Value = serde_json::from_str(line).map_err(|error| {
        UnusableLine::NotJson(format!(
            "{:?} error at column {}",
            error.classify(),
            error.column()
        ))
    })?;
    read_value(value, line, now_ms, 0)
}

fn read_value(
    value: Value,
    text: &str,
    now_ms: i64,
    depth: usize,
) -> Result<Vec<InboundMessage>, UnusableLine> {
    if depth > MAX_NESTING {
        return Err(UnusableLine::TooDeep);
    }
    let Value::Object(mut object) = value else {
        return Err(UnusableLine::UnknownShape);
    };
    let nested = |value: Value| {
        let text = value.to_string();
        read_value(value, &text, now_ms, depth + 1)
    };
    // The object's own text: the line as read, else written out again.
    let own_text = |object| {
        if depth == 0 {
            text.to_owned()
        } else {
            Value::Object(object).to_string()
        }
    };
    if object.contains_key("Records") {
        let text = own_text(object);
        return match read_invocation(&text) {
            Ok(Invocation::Sns(event)) => Ok(event
                .records
                .into_iter()
                .map(InboundMessage::from_sns_record)
                .collect()),
            Ok(Invocation::Sqs(event)) => Ok(event
                .records
                .into_iter()
                .map(|message| InboundMessage::from_sqs_message(message, now_ms))
                .collect()),
            // Not with Records present.
            Ok(Invocation::Http(_) | Invocation::EventBridge(_)) => Err(UnusableLine::UnknownShape),
            Err(error) => Err(UnusableLine::BadEvent(error.to_string())),
        };
    }
    if let Some(payload) = object.remove("requestPayload") {
        return nested(payload);
    }
    if ["detail-type", "source", "detail"]
        .iter()
        .all(|key| object.contains_key(*key))
    {
        let text = own_text(object);
        return serde_json::from_str::<RawDetailEvent>(&text)
            .map(|event| vec![InboundMessage::from_eventbridge(event, &text, now_ms)])
            .map_err(|error| UnusableLine::BadEvent(parse_error(&error).to_string()));
    }
    if let Some(Value::Array(messages)) = object.remove("Messages") {
        let mut read = Vec::new();
        for message in messages {
            read.extend(nested(message)?);
        }
        return Ok(read);
    }
    // One SQS message: as `aws sqs receive-message` prints it, or as a Lambda event record.
    for (body, id) in [("Body", "MessageId"), ("body", "messageId")] {
        if let Some(Value::String(body)) = object.get(body) {
            let id = object.get(id).and_then(Value::as_str).map(str::to_owned);
            let sent_ms = object
                .get("Attributes")
                .or_else(|| object.get("attributes"))
                .and_then(|attributes| attributes.get("SentTimestamp"))
                .and_then(Value::as_str)
                .and_then(|sent| sent.parse().ok())
                .unwrap_or(now_ms);
            return read_body_value(body.clone(), id, sent_ms, now_ms, depth);
        }
    }
    let is_envelope = object.contains_key("Type") && object.contains_key("TopicArn");
    let is_notification = ["notificationType", "eventType"]
        .iter()
        .any(|key| object.contains_key(*key));
    if is_envelope || is_notification {
        return Ok(vec![InboundMessage::from_body(
            text.to_owned(),
            None,
            now_ms,
        )]);
    }
    Err(UnusableLine::UnknownShape)
}

/// An SQS body in a replayed line: usually an envelope or a notification, but a Lambda failure queue's
/// body is a whole event or failure record, which is unwrapped.
fn read_body_value(
    body: String,
    id: Option<String>,
    sent_ms: i64,
    now_ms: i64,
    depth: usize,
) -> Result<Vec<InboundMessage>, UnusableLine> {
    if let Ok(Value::Object(object)) = serde_json::from_str::<Value>(&body) {
        let wrapped = ["Records", "requestPayload", "detail-type"]
            .iter()
            .any(|key| object.contains_key(*key));
        if wrapped {
            return read_value(Value::Object(object), &body, now_ms, depth + 1);
        }
    }
    Ok(vec![InboundMessage::from_body(body, id, sent_ms)])
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;
    const SES_BOUNCE: &str = r#"{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bouncedRecipients":[{"emailAddress":"a@example.com"}]},"mail":{"messageId":"m1"}}"#;

    fn envelope(sns_type: &str) -> String {
        serde_json::json!({
            "Type": sns_type,
            "MessageId": "sns-1",
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:ses",
            "Subject": null,
            "Message": SES_BOUNCE,
            "Timestamp": "2026-11-23T10:00:00.000Z",
            "SignatureVersion": "1",
        })
        .to_string()
    }

    #[test]
    fn an_sqs_body_holding_an_sns_envelope_gives_the_envelope_and_its_message() {
        let read = InboundMessage::from_body(envelope("Notification"), Some("sqs-1".into()), NOW);
        assert_eq!(read.dedupe_key, "sns-1");
        assert_eq!(read.envelope.message_id.as_deref(), Some("sns-1"));
        assert_eq!(
            read.envelope.topic_arn.as_deref(),
            Some("arn:aws:sns:us-east-1:123456789012:ses")
        );
        assert_eq!(
            read.envelope.timestamp_ms,
            parse_millis("2026-11-23T10:00:00.000Z").unwrap()
        );
        assert_eq!(read.content, Content::Message(SES_BOUNCE.to_owned()));
    }

    #[test]
    fn a_raw_delivery_body_is_the_notification_itself_known_by_the_queue_message_id() {
        let read = InboundMessage::from_body(SES_BOUNCE.to_owned(), Some("sqs-1".into()), NOW);
        assert_eq!(read.dedupe_key, "sqs-1");
        assert_eq!(read.envelope.message_id, None);
        assert_eq!(read.envelope.topic_arn, None);
        assert_eq!(read.envelope.timestamp_ms, NOW);
        assert_eq!(read.content, Content::Message(SES_BOUNCE.to_owned()));
    }

    #[test]
    fn an_envelope_of_another_type_is_a_control_message() {
        let read = InboundMessage::from_body(envelope("SubscriptionConfirmation"), None, NOW);
        assert_eq!(
            read.content,
            Content::Control {
                sns_type: "SubscriptionConfirmation".into()
            }
        );
    }

    #[test]
    fn a_body_that_is_not_json_is_kept_as_the_message() {
        let read = InboundMessage::from_body("hello".to_owned(), None, NOW);
        assert_eq!(read.content, Content::Message("hello".to_owned()));
        assert!(read.dedupe_key.starts_with("text:"));
        assert_eq!(
            read.dedupe_key,
            InboundMessage::from_body("hello".to_owned(), None, NOW).dedupe_key
        );
    }

    #[test]
    fn sqs_and_sns_events_are_told_apart_by_shape() {
        let sqs = r#"{"Records":[{"messageId":"q1","body":"{}","eventSource":"aws:sqs","attributes":{"SentTimestamp":"1700000000000"}}]}"#;
        let Ok(Invocation::Sqs(event)) = read_invocation(sqs) else {
            panic!("not read as SQS");
        };
        let message = InboundMessage::from_sqs_message(event.records[0].clone(), NOW);
        assert_eq!(message.envelope.timestamp_ms, 1_700_000_000_000);
        assert!(matches!(
            read_invocation(include_str!("../../events/bounce-notification.json")),
            Ok(Invocation::Sns(_))
        ));
        assert!(matches!(
            read_invocation(r#"{"Records":[]}"#),
            Ok(Invocation::Sns(_))
        ));
    }

    #[test]
    fn an_unsupported_payload_gets_an_error_that_never_quotes_it() {
        for payload in [
            r#"{"hello":"bob@example.com"}"#,
            "[\"bob@example.com\"]",
            r#"{"Records":[{"Sns":"bob@example.com"}]}"#,
            r#"{"Records":[{"eventSource":"aws:sqs","body":["bob@example.com"]}]}"#,
        ] {
            let error = read_invocation(payload).unwrap_err().to_string();
            assert!(
                error.starts_with("the event is not an SNS event"),
                "{error}"
            );
            assert!(!error.contains("bob@"), "{error}");
        }
    }

    #[test]
    fn replay_lines_of_every_shape_are_unwrapped_to_their_messages() {
        let sns_event = include_str!("../../events/bounce-notification.json");
        let sns_line: Value = serde_json::from_str(sns_event).unwrap();
        let sqs_record = serde_json::json!({
            "messageId": "q1", "body": envelope("Notification"), "eventSource": "aws:sqs"
        });
        let failure_record = serde_json::json!({
            "version": "1.0", "requestContext": {"condition": "RetriesExhausted"},
            "requestPayload": sns_line, "responsePayload": null
        });
        let lines = [
            sns_line.to_string(),
            serde_json::json!({"Records": [sqs_record.clone()]}).to_string(),
            sqs_record.to_string(),
            failure_record.to_string(),
            // The failure queue's own message, as `aws sqs receive-message` prints it.
            serde_json::json!({"Messages": [{"MessageId": "d1", "Body": failure_record.to_string()}]})
                .to_string(),
            envelope("Notification"),
            SES_BOUNCE.to_owned(),
        ];
        for line in &lines {
            let read = read_replay_line(line, NOW).unwrap_or_else(|e| panic!("{e}: {line}"));
            assert_eq!(read.len(), 1, "{line}");
            let Content::Message(message) = &read[0].content else {
                panic!("not a message: {line}");
            };
            assert!(message.contains("\"Bounce\""), "{line}");
        }
    }

    #[test]
    fn replay_lines_that_cannot_be_used_say_why_without_quoting() {
        assert!(matches!(
            read_replay_line("bob@example.com", NOW),
            Err(UnusableLine::NotJson(_))
        ));
        assert_eq!(
            read_replay_line(r#"{"to":"bob@example.com"}"#, NOW),
            Err(UnusableLine::UnknownShape)
        );
        assert_eq!(
            read_replay_line("[1]", NOW),
            Err(UnusableLine::UnknownShape)
        );
        let deep = (0..20).fold(SES_BOUNCE.to_owned(), |inner, _| {
            format!("{{\"requestPayload\":{inner}}}")
        });
        assert_eq!(read_replay_line(&deep, NOW), Err(UnusableLine::TooDeep));
        let bad = read_replay_line(r#"{"Records":[{"Sns":"bob@example.com"}]}"#, NOW);
        assert!(matches!(&bad, Err(UnusableLine::BadEvent(e)) if !e.contains("bob@")));
    }
}
