//! A Lambda invocation's event, told apart by its shape while it is read: an SNS or SQS event (nearly every
//! invocation) is read once, straight into its records; an EventBridge event or an HTTP request (one per
//! invocation), once known, is read again into its own type.

use aws_lambda_events::sns::{SnsEvent, SnsMessage, SnsRecord};
use serde::de::{self, IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::sources::eventbridge::RawDetailEvent;
use crate::sources::https::function_url::{self, HttpRequest};

/// A Lambda invocation's event, by its shape.
#[derive(Debug)]
pub enum Invocation {
    /// From an SNS subscription.
    Sns(SnsEvent),
    /// From an SQS event source mapping.
    Sqs(QueueEvent),
    /// An HTTP request to the function URL (or through API Gateway): SNS's HTTPS delivery.
    Http(Box<HttpRequest>),
    /// From an EventBridge rule: SES event publishing to the default bus.
    EventBridge(Box<RawDetailEvent>),
}

/// An SQS event, as much of it as this function uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueEvent {
    pub records: Vec<QueuedMessage>,
}

/// One SQS record: what aws_lambda_events's `SqsMessage` would give of it, without the fields nothing reads
/// (receipt handle, checksums, message attributes), which are skipped rather than copied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueuedMessage {
    pub message_id: Option<String>,
    pub body: Option<String>,
    /// The `SentTimestamp` attribute: when SQS received the message, in milliseconds since the Unix epoch.
    pub sent_timestamp: Option<String>,
}

/// The payload is none of the events this function serves; retrying cannot fix that.
#[derive(Debug, thiserror::Error)]
#[error(
    "the event is not an SNS event, an SQS event, an EventBridge event or an HTTP request: {0}"
)]
pub struct UnsupportedEvent(String);

/// The keys that tell the event sources apart, `Records` read whole; everything else is skipped.
#[derive(Deserialize)]
struct Shape {
    #[serde(rename = "Records")]
    records: Option<Records>,
    /// Function URL and API Gateway (payload 2.0) requests have it.
    #[serde(rename = "requestContext")]
    request_context: Option<IgnoredAny>,
    /// API Gateway payload 1.0 requests have it.
    #[serde(rename = "httpMethod")]
    http_method: Option<IgnoredAny>,
    /// EventBridge events have these three.
    #[serde(rename = "detail-type")]
    detail_type: Option<IgnoredAny>,
    source: Option<IgnoredAny>,
    detail: Option<IgnoredAny>,
}

impl Shape {
    fn is_eventbridge(&self) -> bool {
        self.detail_type.is_some() && self.source.is_some() && self.detail.is_some()
    }
}

/// `Records`: an SQS event's if any record comes from `aws:sqs`, else an SNS event's.
enum Records {
    Sns(Vec<SnsRecord>),
    Sqs(Vec<QueuedMessage>),
}

/// One of `Records`, read as an SNS record and as an SQS record at once: SNS spells its keys in PascalCase
/// and SQS in camelCase, so one pass reads either, and the event as a whole then says which it is.
#[derive(Deserialize)]
struct AnyRecord {
    #[serde(rename = "eventSource")]
    event_source: Option<String>,
    #[serde(rename = "messageId")]
    message_id: Option<String>,
    body: Option<String>,
    attributes: Option<QueueAttributes>,
    #[serde(rename = "EventSource")]
    sns_event_source: Option<String>,
    #[serde(rename = "EventVersion")]
    event_version: Option<String>,
    #[serde(rename = "EventSubscriptionArn")]
    event_subscription_arn: Option<String>,
    #[serde(rename = "Sns")]
    sns: Option<SnsMessage>,
}

#[derive(Deserialize)]
struct QueueAttributes {
    #[serde(rename = "SentTimestamp")]
    sent_timestamp: Option<String>,
}

impl AnyRecord {
    /// As aws_lambda_events's `SnsRecord`, which requires all four fields.
    fn into_sns<E: de::Error>(self) -> Result<SnsRecord, E> {
        let mut record = SnsRecord::default();
        record.event_source = self
            .sns_event_source
            .ok_or_else(|| E::missing_field("EventSource"))?;
        record.event_version = self
            .event_version
            .ok_or_else(|| E::missing_field("EventVersion"))?;
        record.event_subscription_arn = self
            .event_subscription_arn
            .ok_or_else(|| E::missing_field("EventSubscriptionArn"))?;
        record.sns = self.sns.ok_or_else(|| E::missing_field("Sns"))?;
        Ok(record)
    }

    fn into_queued(self) -> QueuedMessage {
        QueuedMessage {
            message_id: self.message_id,
            body: self.body,
            sent_timestamp: self.attributes.and_then(|a| a.sent_timestamp),
        }
    }
}

// By hand because which type the records are depends on all of them; deciding inside the visitor keeps
// serde_json's position in the error of a record that is neither.
impl<'de> Deserialize<'de> for Records {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RecordsVisitor;
        impl<'de> Visitor<'de> for RecordsVisitor {
            type Value = Records;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of SNS or SQS records")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Records, A::Error> {
                let mut records = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(record) = seq.next_element::<AnyRecord>()? {
                    records.push(record);
                }
                if records
                    .iter()
                    .any(|record| record.event_source.as_deref() == Some("aws:sqs"))
                {
                    Ok(Records::Sqs(
                        records.into_iter().map(AnyRecord::into_queued).collect(),
                    ))
                } else {
                    records
                        .into_iter()
                        .map(AnyRecord::into_sns)
                        .collect::<Result<_, _>>()
                        .map(Records::Sns)
                }
            }
        }
        deserializer.deserialize_seq(RecordsVisitor)
    }
}

/// Reads a Lambda payload as the event it is. The one place that tells the event sources apart: `Records`
/// with an `aws:sqs` record is SQS, other `Records` SNS; no `Records` but `detail-type`, `source` and
/// `detail` is an EventBridge event; a `requestContext` or an `httpMethod` is an HTTP request.
pub(crate) fn read_invocation(payload: &str) -> Result<Invocation, UnsupportedEvent> {
    let shape: Shape = serde_json::from_str(payload).map_err(|error| parse_error(&error))?;
    match shape.records {
        Some(Records::Sqs(records)) => Ok(Invocation::Sqs(QueueEvent { records })),
        Some(Records::Sns(records)) => {
            let mut event = SnsEvent::default();
            event.records = records;
            Ok(Invocation::Sns(event))
        }
        None if shape.is_eventbridge() => serde_json::from_str(payload)
            .map(|event| Invocation::EventBridge(Box::new(event)))
            .map_err(|error| parse_error(&error)),
        None if shape.request_context.is_some() || shape.http_method.is_some() => {
            serde_json::from_str(payload)
                .and_then(function_url::read_request)
                .map(|request| Invocation::Http(Box::new(request)))
                .map_err(|error| parse_error(&error))
        }
        None => Err(UnsupportedEvent(
            "expected {\"Records\":[…]}, an EventBridge event or an HTTP request (none of Records, detail-type with source and detail, requestContext)"
                .to_owned(),
        )),
    }
}

/// serde's message can quote the payload, which may hold addresses: keep only where it failed.
pub(super) fn parse_error(error: &serde_json::Error) -> UnsupportedEvent {
    UnsupportedEvent(format!(
        "expected an SNS event, an SQS event, an EventBridge event or a function URL request ({:?} error at line {} column {})",
        error.classify(),
        error.line(),
        error.column()
    ))
}
