//! A Lambda invocation's event, told apart by its shape while it is read: an SNS or SQS event (nearly every
//! invocation) is read once, straight into its records; an EventBridge event or an HTTP request (one per
//! invocation), once known, is read again into its own type.

use aws_lambda_events::sns::{SnsEvent, SnsMessage, SnsRecord};
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

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
/// and SQS in camelCase, so one pass reads either, and the event as a whole then says which it is. What the
/// other kind would have ignored must not fail the read: the SQS fields are read without failing on a wrong
/// type (which fails only an SQS event), the SNS fields kept as their JSON text and read only for an SNS
/// event, except `Sns` in a record that has already said `"EventSource":"aws:sns"` (as SNS writes them),
/// read at once rather than scanned first.
#[derive(Default)]
struct AnyRecord<'a> {
    event_source: Option<String>,
    message_id: LenientString,
    body: LenientString,
    attributes: QueueAttributes,
    sns_event_source: Option<&'a RawValue>,
    event_version: Option<&'a RawValue>,
    event_subscription_arn: Option<&'a RawValue>,
    sns: Option<SnsPart<'a>>,
}

/// The keys of either kind of record (serde's identifier reading, which copies no key).
#[derive(Deserialize)]
#[serde(field_identifier)]
enum RecordKey {
    #[serde(rename = "eventSource")]
    EventSource,
    #[serde(rename = "messageId")]
    MessageId,
    #[serde(rename = "body")]
    Body,
    #[serde(rename = "attributes")]
    Attributes,
    #[serde(rename = "EventSource")]
    SnsEventSource,
    EventVersion,
    EventSubscriptionArn,
    Sns,
    #[serde(other)]
    Other,
}

/// The keys of an SQS record's `attributes`: only `SentTimestamp` is kept (read as [`RecordKey`] is, without
/// copying a key).
#[derive(Deserialize)]
#[serde(field_identifier)]
enum AttributeKey {
    SentTimestamp,
    #[serde(other)]
    Other,
}

/// A record's `Sns`: its JSON text, or already read.
enum SnsPart<'a> {
    Text(&'a RawValue),
    Read(Box<SnsMessage>),
}

// By hand rather than derived: whether `Sns` is read at once depends on a field read before it. As the
// derive would, it refuses a field given twice and skips unknown ones.
impl<'de> Deserialize<'de> for AnyRecord<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RecordVisitor;
        impl<'de> Visitor<'de> for RecordVisitor {
            type Value = AnyRecord<'de>;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an SNS or SQS record")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AnyRecord<'de>, A::Error> {
                fn once<T, E: de::Error>(
                    slot: &mut Option<T>,
                    value: T,
                    name: &'static str,
                ) -> Result<(), E> {
                    if slot.replace(value).is_some() {
                        return Err(E::duplicate_field(name));
                    }
                    Ok(())
                }
                let mut record = AnyRecord::default();
                let (mut message_id, mut body, mut attributes) = (None, None, None);
                let mut event_source = None;
                while let Some(key) = map.next_key::<RecordKey>()? {
                    match key {
                        RecordKey::EventSource => once(
                            &mut event_source,
                            map.next_value::<Option<String>>()?,
                            "eventSource",
                        )?,
                        RecordKey::MessageId => {
                            once(&mut message_id, map.next_value()?, "messageId")?
                        }
                        RecordKey::Body => once(&mut body, map.next_value()?, "body")?,
                        RecordKey::Attributes => {
                            once(&mut attributes, map.next_value()?, "attributes")?
                        }
                        RecordKey::SnsEventSource => once(
                            &mut record.sns_event_source,
                            map.next_value()?,
                            "EventSource",
                        )?,
                        RecordKey::EventVersion => {
                            once(&mut record.event_version, map.next_value()?, "EventVersion")?
                        }
                        RecordKey::EventSubscriptionArn => once(
                            &mut record.event_subscription_arn,
                            map.next_value()?,
                            "EventSubscriptionArn",
                        )?,
                        RecordKey::Sns => {
                            let says_sns = record
                                .sns_event_source
                                .is_some_and(|source| source.get() == "\"aws:sns\"");
                            let sns = if says_sns {
                                SnsPart::Read(map.next_value()?)
                            } else {
                                SnsPart::Text(map.next_value()?)
                            };
                            once(&mut record.sns, sns, "Sns")?;
                        }
                        RecordKey::Other => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                record.event_source = event_source.flatten();
                record.message_id = message_id.unwrap_or_default();
                record.body = body.unwrap_or_default();
                record.attributes = attributes.unwrap_or_default();
                Ok(record)
            }
        }
        deserializer.deserialize_map(RecordVisitor)
    }
}

/// A string field of an SQS record: absent or null, the text, or a value of another type.
#[derive(Default)]
enum LenientString {
    #[default]
    Absent,
    Text(String),
    WrongType,
}

/// An SQS record's `attributes`: only `SentTimestamp` is kept; every value must be a string.
#[derive(Default)]
struct QueueAttributes {
    sent_timestamp: Option<String>,
    wrong_type: bool,
}

impl LenientString {
    fn read<E: de::Error>(self, field: &'static str) -> Result<Option<String>, E> {
        match self {
            LenientString::Absent => Ok(None),
            LenientString::Text(text) => Ok(Some(text)),
            LenientString::WrongType => Err(E::custom(format_args!(
                "an SQS record's {field} is not a string"
            ))),
        }
    }
}

// By hand (serde has no "this type, else remember it was not"): any JSON value reads, and only a string
// or null is what an SQS record's string field may be.
impl<'de> Deserialize<'de> for LenientString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LenientVisitor;
        impl<'de> Visitor<'de> for LenientVisitor {
            type Value = LenientString;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E>(self, text: &str) -> Result<LenientString, E> {
                Ok(LenientString::Text(text.to_owned()))
            }
            fn visit_string<E>(self, text: String) -> Result<LenientString, E> {
                Ok(LenientString::Text(text))
            }
            fn visit_unit<E>(self) -> Result<LenientString, E> {
                Ok(LenientString::Absent)
            }
            fn visit_bool<E>(self, _: bool) -> Result<LenientString, E> {
                Ok(LenientString::WrongType)
            }
            fn visit_i64<E>(self, _: i64) -> Result<LenientString, E> {
                Ok(LenientString::WrongType)
            }
            fn visit_u64<E>(self, _: u64) -> Result<LenientString, E> {
                Ok(LenientString::WrongType)
            }
            fn visit_f64<E>(self, _: f64) -> Result<LenientString, E> {
                Ok(LenientString::WrongType)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<LenientString, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(LenientString::WrongType)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LenientString, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(LenientString::WrongType)
            }
        }
        deserializer.deserialize_any(LenientVisitor)
    }
}

// By hand for the same reason: null is no attributes (as aws_lambda_events reads it), a map's values must
// be strings, anything else is of the wrong type.
impl<'de> Deserialize<'de> for QueueAttributes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AttributesVisitor;
        impl<'de> Visitor<'de> for AttributesVisitor {
            type Value = QueueAttributes;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<QueueAttributes, A::Error> {
                let mut attributes = QueueAttributes::default();
                while let Some(key) = map.next_key::<AttributeKey>()? {
                    match map.next_value::<LenientString>()? {
                        LenientString::Text(value)
                            if matches!(key, AttributeKey::SentTimestamp) =>
                        {
                            attributes.sent_timestamp = Some(value);
                        }
                        LenientString::Text(_) => {}
                        LenientString::Absent | LenientString::WrongType => {
                            attributes.wrong_type = true;
                        }
                    }
                }
                Ok(attributes)
            }
            fn visit_unit<E>(self) -> Result<QueueAttributes, E> {
                Ok(QueueAttributes::default())
            }
            fn visit_bool<E>(self, _: bool) -> Result<QueueAttributes, E> {
                Ok(QueueAttributes::wrong())
            }
            fn visit_i64<E>(self, _: i64) -> Result<QueueAttributes, E> {
                Ok(QueueAttributes::wrong())
            }
            fn visit_u64<E>(self, _: u64) -> Result<QueueAttributes, E> {
                Ok(QueueAttributes::wrong())
            }
            fn visit_f64<E>(self, _: f64) -> Result<QueueAttributes, E> {
                Ok(QueueAttributes::wrong())
            }
            fn visit_str<E>(self, _: &str) -> Result<QueueAttributes, E> {
                Ok(QueueAttributes::wrong())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<QueueAttributes, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(QueueAttributes::wrong())
            }
        }
        deserializer.deserialize_any(AttributesVisitor)
    }
}

impl QueueAttributes {
    fn wrong() -> Self {
        QueueAttributes {
            sent_timestamp: None,
            wrong_type: true,
        }
    }
}

impl AnyRecord<'_> {
    /// As aws_lambda_events's `SnsRecord`, which requires all four fields.
    fn into_sns<E: de::Error>(self) -> Result<SnsRecord, E> {
        fn field<T: serde::de::DeserializeOwned, E: de::Error>(
            raw: Option<&RawValue>,
            name: &'static str,
        ) -> Result<T, E> {
            let raw = raw.ok_or_else(|| E::missing_field(name))?;
            // serde's message can quote the value; the error says only which field.
            serde_json::from_str(raw.get())
                .map_err(|_| E::custom(format_args!("an SNS record's {name} does not read")))
        }
        let mut record = SnsRecord::default();
        record.event_source = field(self.sns_event_source, "EventSource")?;
        record.event_version = field(self.event_version, "EventVersion")?;
        record.event_subscription_arn = field(self.event_subscription_arn, "EventSubscriptionArn")?;
        record.sns = match self.sns {
            Some(SnsPart::Read(sns)) => *sns,
            Some(SnsPart::Text(text)) => field(Some(text), "Sns")?,
            None => return Err(E::missing_field("Sns")),
        };
        Ok(record)
    }

    /// As aws_lambda_events's `SqsMessage` would read it: its string fields strings (or null).
    fn into_queued<E: de::Error>(self) -> Result<QueuedMessage, E> {
        if self.attributes.wrong_type {
            return Err(E::custom("an SQS record's attributes are not strings"));
        }
        Ok(QueuedMessage {
            message_id: self.message_id.read("messageId")?,
            body: self.body.read("body")?,
            sent_timestamp: self.attributes.sent_timestamp,
        })
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
                while let Some(record) = seq.next_element::<AnyRecord<'de>>()? {
                    records.push(record);
                }
                if records
                    .iter()
                    .any(|record| record.event_source.as_deref() == Some("aws:sqs"))
                {
                    records
                        .into_iter()
                        .map(AnyRecord::into_queued)
                        .collect::<Result<_, _>>()
                        .map(Records::Sqs)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_other_kind_of_record_would_ignore_does_not_fail_the_read() {
        // The runtime bench gives every record fresh SNS ids, SQS records too: `Sns` appears in them.
        let sqs = r#"{"Records":[{"eventSource":"aws:sqs","messageId":"q1","body":"{}","attributes":null,
            "Sns":{"MessageId":"m"},"EventSource":7,"EventVersion":null}]}"#;
        let Ok(Invocation::Sqs(event)) = read_invocation(sqs) else {
            panic!("not read as SQS");
        };
        assert_eq!(event.records[0].message_id.as_deref(), Some("q1"));
        let mut sns: serde_json::Value =
            serde_json::from_str(include_str!("../../events/bounce-notification.json")).unwrap();
        let record = &mut sns["Records"][0];
        record["body"] = 5.into();
        record["messageId"] = serde_json::json!({"a": [1]});
        record["attributes"] = serde_json::json!([1]);
        let Ok(Invocation::Sns(event)) = read_invocation(&sns.to_string()) else {
            panic!("not read as SNS");
        };
        assert_eq!(event.records[0].event_source, "aws:sns");
        // `Sns` before `EventSource` (kept as text, read once the event is known) or after it (read at once).
        let sns_message = sns["Records"][0]["Sns"].to_string();
        for record in [
            format!(
                r#"{{"Sns":{sns_message},"EventSource":"aws:sns","EventVersion":"1.0","EventSubscriptionArn":"s"}}"#
            ),
            format!(
                r#"{{"EventSource":"aws:sns","EventVersion":"1.0","EventSubscriptionArn":"s","Sns":{sns_message}}}"#
            ),
        ] {
            let event = format!(r#"{{"Records":[{record}]}}"#);
            let Ok(Invocation::Sns(read)) = read_invocation(&event) else {
                panic!("not read as SNS: {event}");
            };
            assert_eq!(read.records[0].sns.topic_arn, event_topic(&sns));
        }
    }

    fn event_topic(event: &serde_json::Value) -> String {
        event["Records"][0]["Sns"]["TopicArn"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn an_sqs_record_whose_own_fields_have_the_wrong_type_is_refused() {
        for record in [
            r#"{"eventSource":"aws:sqs","body":5}"#,
            r#"{"eventSource":"aws:sqs","messageId":[]}"#,
            r#"{"eventSource":"aws:sqs","attributes":{"SentTimestamp":1}}"#,
            r#"{"eventSource":"aws:sqs","attributes":"x"}"#,
        ] {
            let event = format!(r#"{{"Records":[{record}]}}"#);
            assert!(read_invocation(&event).is_err(), "{event}");
        }
    }
}
