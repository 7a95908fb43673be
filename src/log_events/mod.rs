//! Turning parsed SES feedback into CloudWatch log events: one per recipient, JSON by default.
//!
//! The JSON is serialized from structs whose fields are in the order the keys are written, absent values
//! left out. Every text field is written through [`Capped`], so that an event that would exceed CloudWatch's
//! size limit can be refitted by truncating its longest field (with a visible marker) instead of being
//! dropped.

pub mod privacy;

use std::borrow::Cow;
use std::fmt;

use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

use crate::feedback::reason::{self, Reason};
use crate::feedback::region::arn_region;
use crate::feedback::timestamp::{format_millis, parse_millis};
use crate::feedback::{Details, EventType, Feedback, Mail, Recipient, Text, UnrecognizedReason};
use crate::log_events::privacy::{domain_of, AddressHasher};
use crate::sources::Envelope;
use crate::storage::LogEvent;

/// CloudWatch counts 26 bytes per event against a 1,048,576-byte batch, so one event's message can be at
/// most this long.
pub const MAX_MESSAGE_BYTES: usize = 1_048_576 - 26;

/// The stream that keeps, verbatim, every message that is not SES feedback of a known type.
pub const UNRECOGNIZED_STREAM: &str = "Unrecognized";

/// The stream that keeps, verbatim, every SES account-level EventBridge event (sending paused or resumed,
/// advisor recommendations): not feedback about a recipient, but what an engineer must see beside it.
pub const ACCOUNT_EVENT_STREAM: &str = "AccountEvent";

const TRUNCATION_MARKER: &str = "…[truncated ";

/// How recipients are written: the layout, and whether addresses are pseudonymised.
#[derive(Clone)]
pub struct Formatting {
    pub layout: LogFormat,
    /// When set, every address is written as its HMAC, with the domain kept in `recipientDomain`.
    pub address_hasher: Option<AddressHasher>,
}

impl From<LogFormat> for Formatting {
    fn from(layout: LogFormat) -> Self {
        Formatting {
            layout,
            address_hasher: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per recipient.
    Json,
    /// The bare address, for people who grep.
    Plain,
}

/// One recipient of a notification: its log event, and what the function reads into it.
#[derive(Debug)]
pub struct RecipientRecord<'f> {
    pub entry: LogEvent,
    /// The bare address, as SES gave it (for suppression; the log event may hold its hash instead).
    pub address: &'f str,
    /// Why a bounce or delay happened, for bounces and delivery delays.
    pub reason: Option<Reason>,
    /// `Permanent` when the reason is hard, else SES's own `bounceType`; bounces only.
    pub effective_bounce_type: Option<&'f str>,
}

/// One [`RecipientRecord`] per recipient of `feedback`.
pub fn feedback_records<'f>(
    feedback: &'f Feedback,
    envelope: &Envelope,
    formatting: &Formatting,
) -> Vec<RecipientRecord<'f>> {
    let (timestamp_ms, timestamp) = feedback_time(feedback, envelope);
    let ses_region = ses_region(feedback.notification.mail.as_ref(), envelope);
    let details = feedback.details();
    let detail = |field: fn(&'f Details) -> &'f Text| details.and_then(|d| field(d).as_str());
    // Read from what SES wrote, before any address in it is hashed.
    let judge = |listed: &Recipient<'f>| match feedback.event_type {
        EventType::Bounce => {
            let read = reason::classify(
                detail(|d| &d.bounce_type),
                detail(|d| &d.bounce_sub_type),
                listed.status,
                listed.diagnostic_code,
            );
            (Some(read.reason), read.effective_bounce_type)
        }
        EventType::DeliveryDelay => {
            let delay_type = detail(|d| &d.delay_type);
            (
                Some(reason::classify_delay(
                    delay_type,
                    listed.status,
                    listed.diagnostic_code,
                )),
                None,
            )
        }
        _ => (None, None),
    };
    // The verdict depends only on the recipient's status and diagnostic: recipients listed one after
    // another with the same ones (a server refusing a whole batch) are judged once.
    let mut previous = None;
    feedback
        .recipients()
        .into_iter()
        .map(|listed| {
            let address = bare_address(listed.email_address);
            let said = (listed.status, listed.diagnostic_code);
            let (reason, effective_bounce_type) = match previous {
                Some((same, verdict)) if same == said => verdict,
                _ => {
                    let verdict = judge(&listed);
                    previous = Some((said, verdict));
                    verdict
                }
            };
            // Pseudonymised: the address becomes its hash everywhere it appears, and the domain stays.
            let pseudonym = formatting
                .address_hasher
                .as_ref()
                .map(|hasher| (hasher, hasher.hash(address)));
            let redacted_diagnostic = pseudonym.as_ref().and_then(|(hasher, hashed)| {
                listed
                    .diagnostic_code
                    .map(|code| hasher.redact_address(code, address, hashed))
            });
            let recipient = Recipient {
                diagnostic_code: redacted_diagnostic.as_deref().or(listed.diagnostic_code),
                ..listed
            };
            let domain = pseudonym.as_ref().and_then(|_| domain_of(address));
            let (logged_address, domain) = match &pseudonym {
                Some((_, hashed)) => (hashed.as_str(), domain.as_deref()),
                None => (address, None),
            };
            let entry = match formatting.layout {
                LogFormat::Plain => LogEvent {
                    timestamp_ms,
                    message: fit(|cap| match domain {
                        Some(domain) => {
                            format!("{} {}", capped(logged_address, cap), capped(domain, cap))
                        }
                        None => capped(logged_address, cap).into_owned(),
                    }),
                    annotate_on_restamp: true,
                },
                LogFormat::Json => LogEvent::new(
                    timestamp_ms,
                    fit(|cap| {
                        let record = FeedbackRecord {
                            feedback,
                            recipient: &recipient,
                            address: logged_address,
                            domain,
                            ses_region,
                            reason,
                            effective_bounce_type,
                        };
                        feedback_json(&record, &timestamp, envelope, cap)
                    }),
                ),
            };
            RecipientRecord {
                entry,
                address,
                reason,
                effective_bounce_type,
            }
        })
        .collect()
}

/// The log event that keeps an unusable message verbatim, with why it was not understood. With address
/// hashing on, whatever looks like an address in it is replaced by its hash.
pub fn unrecognized_entry(
    raw: &str,
    reason: &UnrecognizedReason,
    envelope: &Envelope,
    formatting: &Formatting,
) -> LogEvent {
    let reason = reason.to_string();
    let (raw, reason) = match &formatting.address_hasher {
        Some(hasher) => (
            hasher.redact_all_addresses(raw),
            hasher.redact_all_addresses(&reason).into_owned(),
        ),
        None => (raw.into(), reason),
    };
    let sns_timestamp = format_millis(envelope.timestamp_ms);
    let message = fit(|cap| {
        let cap = Cap(cap);
        to_json(&UnrecognizedJson {
            reason: cap.text(&reason),
            sns_message_id: cap.optional(envelope.message_id.as_deref()),
            delivery_id: cap.optional(envelope.delivery_id.as_deref()),
            topic_arn: cap.optional(envelope.topic_arn.as_deref()),
            ses_region: cap.optional(ses_region(None, envelope)),
            subject: cap.optional(envelope.subject.as_deref()),
            sns_timestamp: cap.text(&sns_timestamp),
            message: cap.text(&raw),
        })
    });
    LogEvent::new(envelope.timestamp_ms, message)
}

/// The log event that keeps an SES account-level EventBridge event: the event as it arrived (JSON, so
/// Logs Insights reads its fields), with whatever looks like an address hashed when hashing is on.
pub fn account_event_entry(text: &str, envelope: &Envelope, formatting: &Formatting) -> LogEvent {
    let text = match &formatting.address_hasher {
        Some(hasher) => hasher.redact_all_addresses(text),
        None => text.into(),
    };
    let text = on_one_line(&text);
    // EventBridge events are far below CloudWatch's event size; the cap is for a hand-made one.
    LogEvent::new(
        envelope.timestamp_ms,
        fit(|cap| capped(&text, cap).into_owned()),
    )
}

/// JSON text on one line: the line breaks and indentation between its tokens dropped, its strings untouched (a
/// valid JSON string holds no raw line break). A log event must be one line, for tools and the archive that read
/// the log line by line, even when a payload was pretty-printed; serde_json has no minifier.
fn on_one_line(json: &str) -> Cow<'_, str> {
    if !json.contains(['\n', '\r']) {
        return Cow::Borrowed(json);
    }
    let mut line = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string {
            line.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            line.push(c);
        } else if !c.is_ascii_whitespace() {
            line.push(c);
        }
    }
    Cow::Owned(line)
}

/// A JSON value copied as it came ([`on_one_line`] if it spans lines).
fn raw_on_one_line<S: Serializer>(
    raw: &Option<&RawValue>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match raw.map(|raw| on_one_line(raw.get())) {
        Some(Cow::Owned(line)) => RawValue::from_string(line)
            .map_err(serde::ser::Error::custom)?
            .serialize(serializer),
        _ => raw.serialize(serializer),
    }
}

/// The feedback's own time: the type object's `timestamp`, else `mail.timestamp`, else the SNS timestamp.
fn feedback_time(feedback: &Feedback, envelope: &Envelope) -> (i64, String) {
    let mail = feedback.notification.mail.as_ref();
    [
        feedback.details().and_then(|d| d.timestamp.as_str()),
        mail.and_then(|m| m.timestamp.as_str()),
    ]
    .into_iter()
    .flatten()
    .find_map(parse_millis)
    .map(|millis| (millis, format_millis(millis)))
    .unwrap_or_else(|| (envelope.timestamp_ms, format_millis(envelope.timestamp_ms)))
}

/// The SES region a notification came from, as the notification itself says (never where the function
/// runs): the region of the sending identity's ARN (`mail.sourceArn`), else that of the SNS topic that carried
/// it, else the `region` of the EventBridge event. None when none names one. Borrows only: nothing is
/// allocated per notification.
pub fn ses_region<'a>(mail: Option<&'a Mail>, envelope: &'a Envelope) -> Option<&'a str> {
    mail.and_then(|mail| mail.source_region.as_str())
        .or_else(|| arn_region(envelope.topic_arn.as_deref()?, "sns"))
        .or(envelope.event_region.as_deref())
}

/// `jane@example.com` from `"Jane" <jane@example.com>`; anything else as it is.
fn bare_address(address: &str) -> &str {
    let trimmed = address.trim();
    let inner = match (trimmed.rfind('<'), trimmed.strip_suffix('>')) {
        (Some(open), Some(without_close)) if open < without_close.len() => {
            without_close[open + 1..].trim()
        }
        _ => "",
    };
    if inner.is_empty() {
        trimmed
    } else {
        inner
    }
}

/// One recipient's view of a notification, as it is written.
struct FeedbackRecord<'a> {
    feedback: &'a Feedback,
    recipient: &'a Recipient<'a>,
    /// The address, or its hash.
    address: &'a str,
    /// The recipient's domain, written when the address is hashed.
    domain: Option<&'a str>,
    /// The SES region the feedback came from ([`ses_region`]).
    ses_region: Option<&'a str>,
    reason: Option<Reason>,
    effective_bounce_type: Option<&'a str>,
}

/// A feedback log event: the keys every type has, the type's details, then `tags`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FeedbackJson<'a> {
    email_address: Capped<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recipient_domain: Option<Capped<'a>>,
    notification_type: Capped<'a>,
    timestamp: Capped<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_id: Option<Capped<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<Capped<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ses_region: Option<Capped<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    feedback_id: Option<Capped<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sns_message_id: Option<Capped<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delivery_id: Option<Capped<'a>>,
    #[serde(flatten)]
    details: TypeDetails<'a>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "raw_on_one_line"
    )]
    tags: Option<&'a RawValue>,
}

/// The keys of one event type, in the order they are written.
#[derive(Serialize)]
#[serde(untagged)]
enum TypeDetails<'a> {
    Bounce(BounceJson<'a>),
    Complaint(ComplaintJson<'a>),
    Delivery(DeliveryJson<'a>),
    DeliveryDelay(DeliveryDelayJson<'a>),
    Reject(RejectJson<'a>),
    /// Open and Click.
    Engagement(EngagementJson<'a>),
    RenderingFailure(RenderingFailureJson<'a>),
    Subscription(SubscriptionJson<'a>),
    Send,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BounceJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    bounce_type: Option<Capped<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bounce_sub_type: Option<Capped<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    action: Option<Capped<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<Capped<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    diagnostic_code: Option<Capped<'a>>,
    #[serde(rename = "reportingMTA", skip_serializing_if = "Option::is_none")]
    reporting_mta: Option<Capped<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    remote_mta_ip: Option<Capped<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<Capped<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    effective_bounce_type: Option<Capped<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ComplaintJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    complaint_feedback_type: Option<Capped<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    complaint_sub_type: Option<Capped<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_agent: Option<Capped<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    arrival_date: Option<Capped<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DeliveryJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    smtp_response: Option<Capped<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    processing_time_millis: Option<NumberOrText<'a>>,
    #[serde(rename = "reportingMTA", skip_serializing_if = "Option::is_none")]
    reporting_mta: Option<Capped<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    remote_mta_ip: Option<Capped<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DeliveryDelayJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    delay_type: Option<Capped<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiration_time: Option<Capped<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<Capped<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    diagnostic_code: Option<Capped<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<Capped<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RejectJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    reject_reason: Option<Capped<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EngagementJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    ip_address: Option<Capped<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_agent: Option<Capped<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    link: Option<Capped<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RenderingFailureJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    template_name: Option<Capped<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_message: Option<Capped<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SubscriptionJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    contact_list: Option<Capped<'a>>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "raw_on_one_line"
    )]
    new_topic_preferences: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subscription_source: Option<Capped<'a>>,
}

/// Numbers SES writes as numbers stay numbers; anything else is kept as text.
#[derive(Serialize)]
#[serde(untagged)]
enum NumberOrText<'a> {
    Number(i64),
    Text(Capped<'a>),
}

impl<'a> NumberOrText<'a> {
    fn new(text: Capped<'a>) -> Self {
        text.text
            .parse()
            .map_or(NumberOrText::Text(text), NumberOrText::Number)
    }
}

/// The log event that unrecognized_entry writes.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UnrecognizedJson<'a> {
    reason: Capped<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sns_message_id: Option<Capped<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delivery_id: Option<Capped<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    topic_arn: Option<Capped<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ses_region: Option<Capped<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<Capped<'a>>,
    sns_timestamp: Capped<'a>,
    message: Capped<'a>,
}

fn feedback_json(
    record: &FeedbackRecord<'_>,
    timestamp: &str,
    envelope: &Envelope,
    cap: usize,
) -> String {
    let FeedbackRecord {
        feedback,
        recipient,
        address,
        domain,
        ses_region,
        reason,
        effective_bounce_type,
    } = *record;
    let cap = Cap(cap);
    let mail = feedback.notification.mail.as_ref();
    let details = feedback.details();
    let detail =
        |field: fn(&Details) -> &Text| cap.optional(details.and_then(|d| field(d).as_str()));
    let reason = cap.optional(reason.map(Reason::as_str));
    let type_details = match feedback.event_type {
        EventType::Bounce => TypeDetails::Bounce(BounceJson {
            bounce_type: detail(|d| &d.bounce_type),
            bounce_sub_type: detail(|d| &d.bounce_sub_type),
            action: cap.optional(recipient.action),
            status: cap.optional(recipient.status),
            diagnostic_code: cap.optional(recipient.diagnostic_code),
            reporting_mta: detail(|d| &d.reporting_mta),
            remote_mta_ip: detail(|d| &d.remote_mta_ip),
            reason,
            effective_bounce_type: cap.optional(effective_bounce_type),
        }),
        EventType::Complaint => TypeDetails::Complaint(ComplaintJson {
            complaint_feedback_type: detail(|d| &d.complaint_feedback_type),
            complaint_sub_type: detail(|d| &d.complaint_sub_type),
            user_agent: detail(|d| &d.user_agent),
            arrival_date: detail(|d| &d.arrival_date),
        }),
        EventType::Delivery => TypeDetails::Delivery(DeliveryJson {
            smtp_response: detail(|d| &d.smtp_response),
            processing_time_millis: detail(|d| &d.processing_time_millis).map(NumberOrText::new),
            reporting_mta: detail(|d| &d.reporting_mta),
            remote_mta_ip: detail(|d| &d.remote_mta_ip),
        }),
        EventType::DeliveryDelay => TypeDetails::DeliveryDelay(DeliveryDelayJson {
            delay_type: detail(|d| &d.delay_type),
            expiration_time: detail(|d| &d.expiration_time),
            status: cap.optional(recipient.status),
            diagnostic_code: cap.optional(recipient.diagnostic_code),
            reason,
        }),
        EventType::Reject => TypeDetails::Reject(RejectJson {
            reject_reason: detail(|d| &d.reason),
        }),
        EventType::Open | EventType::Click => TypeDetails::Engagement(EngagementJson {
            ip_address: detail(|d| &d.ip_address),
            user_agent: detail(|d| &d.user_agent),
            link: detail(|d| &d.link),
        }),
        EventType::RenderingFailure => TypeDetails::RenderingFailure(RenderingFailureJson {
            template_name: detail(|d| &d.template_name),
            error_message: detail(|d| &d.error_message),
        }),
        EventType::Subscription => TypeDetails::Subscription(SubscriptionJson {
            contact_list: detail(|d| &d.contact_list),
            new_topic_preferences: details.and_then(|d| d.new_topic_preferences.as_deref()),
            subscription_source: detail(|d| &d.source),
        }),
        EventType::Send => TypeDetails::Send,
    };
    to_json(&FeedbackJson {
        email_address: cap.text(address),
        recipient_domain: cap.optional(domain),
        notification_type: cap.text(feedback.event_type.name()),
        timestamp: cap.text(timestamp),
        message_id: cap.optional(mail.and_then(|m| m.message_id.as_str())),
        source: cap.optional(mail.and_then(|m| m.source.as_str())),
        ses_region: cap.optional(ses_region),
        feedback_id: detail(|d| &d.feedback_id),
        sns_message_id: cap.optional(envelope.message_id.as_deref()),
        delivery_id: cap.optional(envelope.delivery_id.as_deref()),
        details: type_details,
        tags: mail.and_then(|m| m.tags.as_deref()),
    })
}

/// A log event's JSON text.
fn to_json(event: &impl Serialize) -> String {
    // Feedback events are 500 to 1,100 bytes (a bounce about 700): room for one saves regrowing the buffer.
    let mut json = JsonBuffer(Vec::with_capacity(1024));
    // Cannot fail: every key is a string and every value a string, a number or already JSON.
    serde_json::to_writer(&mut json, event).expect("a log event serializes");
    String::from_utf8(json.0).expect("serde_json writes UTF-8")
}

/// serde_json's output. serde_json writes quotes, colons and commas one byte at a time, which a `Vec`
/// copies with a call to `memcpy` each: a 50-recipient bounce took 10% more instructions than with the
/// hand-written writer this replaced, and as many once single bytes are pushed.
struct JsonBuffer(Vec<u8>);

impl std::io::Write for JsonBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.write_all(bytes)?;
        Ok(bytes.len())
    }

    #[inline]
    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match bytes {
            [byte] => self.0.push(*byte),
            bytes => self.0.extend_from_slice(bytes),
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Builds a message with every text field at most `cap` bytes, choosing the largest cap that fits
/// [`MAX_MESSAGE_BYTES`]. Almost every message fits uncapped, at the cost of one build.
fn fit(build: impl Fn(usize) -> String) -> String {
    let uncapped = build(usize::MAX);
    if uncapped.len() <= MAX_MESSAGE_BYTES {
        return uncapped;
    }
    // The fitted size grows with the cap, so search for the largest cap that fits.
    let (mut fits, mut too_big) = (0, uncapped.len());
    while too_big - fits > 1 {
        let middle = fits + (too_big - fits) / 2;
        if build(middle).len() <= MAX_MESSAGE_BYTES {
            fits = middle;
        } else {
            too_big = middle;
        }
    }
    build(fits)
}

/// The byte cap of every text field in one build of a message (`usize::MAX` for none).
#[derive(Clone, Copy)]
struct Cap(usize);

impl Cap {
    fn text(self, text: &str) -> Capped<'_> {
        Capped { text, cap: self.0 }
    }

    fn optional(self, text: Option<&str>) -> Option<Capped<'_>> {
        text.map(|text| self.text(text))
    }
}

/// A text field as written: at most `cap` bytes, cut on a character boundary with a marker saying how
/// much was cut.
#[derive(Clone, Copy)]
struct Capped<'a> {
    text: &'a str,
    cap: usize,
}

impl<'a> Capped<'a> {
    /// What is kept and how many bytes are cut, when the text is over the cap.
    fn cut(&self) -> Option<(&'a str, usize)> {
        if self.text.len() <= self.cap {
            return None;
        }
        let mut end = self.cap;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        Some((&self.text[..end], self.text.len() - end))
    }
}

impl fmt::Display for Capped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.cut() {
            None => f.write_str(self.text),
            Some((kept, cut)) => write!(f, "{kept}{TRUNCATION_MARKER}{cut} bytes]"),
        }
    }
}

impl Serialize for Capped<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.cut() {
            None => serializer.serialize_str(self.text),
            // Escaped as it is written, without building the capped text first.
            Some(_) => serializer.collect_str(self),
        }
    }
}

/// `text` cut to at most `cap` bytes on a character boundary, with a marker saying how much was cut.
fn capped(text: &str, cap: usize) -> Cow<'_, str> {
    let capped = Capped { text, cap };
    match capped.cut() {
        None => text.into(),
        Some(_) => capped.to_string().into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feedback::{parse_message, ParsedMessage};
    use serde_json::Value;

    const SNS_TIMESTAMP_MS: i64 = 1_795_169_999_000;

    fn envelope() -> Envelope {
        Envelope {
            message_id: Some("11111111-2222-3333-4444-555555555555".to_owned()),
            topic_arn: Some("arn:aws:sns:us-east-1:123456789012:ses-feedback".to_owned()),
            subject: None,
            timestamp_ms: SNS_TIMESTAMP_MS,
            delivery_id: Some("11111111-2222-3333-4444-555555555555".to_owned()),
            event_account: None,
            event_region: None,
        }
    }

    fn entries(message: &str, format: LogFormat) -> Vec<LogEvent> {
        match parse_message(message) {
            ParsedMessage::Feedback(feedback) => {
                feedback_records(&feedback, &envelope(), &format.into())
                    .into_iter()
                    .map(|record| record.entry)
                    .collect()
            }
            other => panic!("expected feedback, got {other:?}"),
        }
    }

    fn json(entry: &LogEvent) -> Value {
        serde_json::from_str(&entry.message).expect("valid JSON")
    }

    fn bounce_with(recipient: &str, diagnostic: &str) -> String {
        serde_json::json!({
            "notificationType": "Bounce",
            "bounce": {"bounceType": "Permanent", "bouncedRecipients": [
                {"emailAddress": recipient, "diagnosticCode": diagnostic}]},
            "mail": {"timestamp": "2026-11-20T10:15:28.412Z", "messageId": "m-1"}
        })
        .to_string()
    }

    #[test]
    fn stamps_with_the_type_objects_time_then_mails_then_snss() {
        let own = entries(
            r#"{"eventType":"Open","open":{"timestamp":"2026-11-20T10:15:30.000Z"},
            "mail":{"timestamp":"2026-11-20T10:15:28.412Z","destination":["a@example.com"]}}"#,
            LogFormat::Json,
        );
        assert_eq!(own[0].timestamp_ms, 1_795_169_730_000);
        let mail = entries(
            r#"{"eventType":"Send","send":{},"mail":{"timestamp":"2018-10-08T14:05:45 +0000","destination":["a@example.com"]}}"#,
            LogFormat::Json,
        );
        assert_eq!(mail[0].timestamp_ms, 1_539_007_545_000);
        assert_eq!(json(&mail[0])["timestamp"], "2018-10-08T14:05:45.000Z");
        let sns = entries(
            r#"{"eventType":"Send","mail":{"timestamp":"not a time","destination":["a@example.com"]}}"#,
            LogFormat::Json,
        );
        assert_eq!(sns[0].timestamp_ms, SNS_TIMESTAMP_MS);
    }

    #[test]
    fn each_recipient_gets_the_verdict_of_its_own_status_and_diagnostic() {
        let message = serde_json::json!({
            "notificationType": "Bounce",
            "bounce": {"bounceType": "Transient", "bouncedRecipients": [
                {"emailAddress": "a@example.com", "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown"},
                {"emailAddress": "b@example.com", "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown"},
                {"emailAddress": "c@example.com", "status": "5.2.2", "diagnosticCode": "smtp; 550 sorry"},
                {"emailAddress": "d@example.com", "status": "5.1.1", "diagnosticCode": "smtp; 550 sorry"},
                {"emailAddress": "e@example.com", "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown"},
                {"emailAddress": "f@example.com", "status": "5.1.1"}]},
            "mail": {"timestamp": "2026-11-20T10:15:28.412Z", "messageId": "m-1"}
        })
        .to_string();
        let ParsedMessage::Feedback(feedback) = parse_message(&message) else {
            panic!("a bounce");
        };
        let records = feedback_records(&feedback, &envelope(), &LogFormat::Json.into());
        let verdicts: Vec<_> = records
            .iter()
            .map(|record| (record.reason, record.effective_bounce_type))
            .collect();
        let expected: Vec<_> = feedback
            .recipients()
            .iter()
            .map(|listed| {
                let read = reason::classify(
                    Some("Transient"),
                    None,
                    listed.status,
                    listed.diagnostic_code,
                );
                (Some(read.reason), read.effective_bounce_type)
            })
            .collect();
        assert_eq!(verdicts, expected);
        assert_eq!(verdicts[0], (Some(Reason::UserUnknown), Some("Permanent")));
        assert_eq!(verdicts[1], verdicts[0]);
        // The same diagnostic under another status: judged again.
        assert_eq!(verdicts[2].0, Some(Reason::MailboxFull));
        assert_eq!(verdicts[3].0, Some(Reason::UserUnknown));
        assert_eq!(verdicts[4], verdicts[0]);
        for (record, event) in records.iter().zip(&verdicts) {
            assert_eq!(
                json(&record.entry)["reason"],
                event.0.map_or("", Reason::as_str)
            );
        }
    }

    #[test]
    fn display_name_addresses_are_logged_bare() {
        assert_eq!(
            bare_address("\"Jane Doe\" <jane@example.com>"),
            "jane@example.com"
        );
        assert_eq!(bare_address("Jane <jane@example.com> "), "jane@example.com");
        assert_eq!(bare_address("jane@example.com"), "jane@example.com");
        assert_eq!(bare_address("<>"), "<>");
        assert_eq!(bare_address("\"Jane\" < >"), "\"Jane\" < >", "never empty");
        let logged = entries(
            &bounce_with("\"Jane\" <jane@example.com>", "x"),
            LogFormat::Json,
        );
        assert_eq!(json(&logged[0])["emailAddress"], "jane@example.com");
    }

    #[test]
    fn control_characters_and_non_ascii_survive_as_valid_json() {
        let nasty = "d\u{0}\u{1}\u{1f}\"\\\n\r\t é 日本 😀 \u{7f}";
        let logged = entries(&bounce_with("jörg@exämple.com", nasty), LogFormat::Json);
        let event = json(&logged[0]);
        assert_eq!(event["diagnosticCode"], nasty);
        assert_eq!(event["emailAddress"], "jörg@exämple.com");
    }

    #[test]
    fn backspace_and_form_feed_are_escaped_short() {
        // serde_json's escapes; the hand-written writer used `\u0008` and `\u000c`, the same JSON value.
        let logged = entries(&bounce_with("a@example.com", "\u{8}\u{c}"), LogFormat::Json);
        assert!(logged[0].message.contains(r#""diagnosticCode":"\b\f""#));
        assert_eq!(json(&logged[0])["diagnosticCode"], "\u{8}\u{c}");
    }

    #[test]
    fn an_oversized_field_is_truncated_with_a_marker_and_the_event_kept() {
        // Control characters escape to six bytes each, so 256 KB of them outgrow CloudWatch's event limit.
        let huge = "\u{1}".repeat(256 * 1024);
        let logged = entries(&bounce_with("a@example.com", &huge), LogFormat::Json);
        assert_eq!(logged.len(), 1);
        assert!(
            logged[0].message.len() <= MAX_MESSAGE_BYTES,
            "{}",
            logged[0].message.len()
        );
        assert!(
            logged[0].message.len() > MAX_MESSAGE_BYTES - 64,
            "no more cut than needed"
        );
        let event = json(&logged[0]);
        assert_eq!(
            event["emailAddress"], "a@example.com",
            "short fields untouched"
        );
        let diagnostic = event["diagnosticCode"].as_str().unwrap();
        assert!(diagnostic.contains("…[truncated "), "visible marker");
        assert!(diagnostic.ends_with(" bytes]"));
    }

    #[test]
    fn capping_respects_character_boundaries() {
        assert_eq!(capped("日本語", 4), "日…[truncated 6 bytes]");
        assert_eq!(capped("abc", 3), "abc");
    }

    #[test]
    fn absent_values_are_left_out_and_numbers_stay_numbers() {
        let logged = entries(
            r#"{"notificationType":"Delivery","delivery":{"recipients":["a@example.com"],"processingTimeMillis":"+007",
            "smtpResponse":null}}"#,
            LogFormat::Json,
        );
        let event = json(&logged[0]);
        assert_eq!(event["processingTimeMillis"], 7);
        assert!(event.get("smtpResponse").is_none());
        assert!(event.get("messageId").is_none());
        assert!(!logged[0].message.contains("null"));
        let text = entries(
            r#"{"notificationType":"Delivery","delivery":{"recipients":["a@example.com"],"processingTimeMillis":"soon"}}"#,
            LogFormat::Json,
        );
        assert_eq!(json(&text[0])["processingTimeMillis"], "soon");
    }

    #[test]
    fn restamping_a_plain_event_keeps_its_original_time_in_the_message() {
        let mut logged = entries(&bounce_with("a@example.com", "x"), LogFormat::Plain);
        assert_eq!(logged[0].message, "a@example.com");
        let original = logged[0].timestamp_ms;
        logged[0].restamp(original + 30 * 86_400_000);
        assert_eq!(logged[0].timestamp_ms, original + 30 * 86_400_000);
        assert_eq!(
            logged[0].message,
            "a@example.com timestamp=2026-11-20T10:15:28.412Z"
        );
        logged[0].restamp(original + 31 * 86_400_000);
        assert_eq!(
            logged[0].message, "a@example.com timestamp=2026-11-20T10:15:28.412Z",
            "annotated once"
        );
    }

    #[test]
    fn restamping_a_json_event_leaves_its_message_which_holds_the_time() {
        let mut logged = entries(&bounce_with("a@example.com", "x"), LogFormat::Json);
        let before = logged[0].message.clone();
        logged[0].restamp(0);
        assert_eq!(logged[0].message, before);
        assert_eq!(json(&logged[0])["timestamp"], "2026-11-20T10:15:28.412Z");
    }

    #[test]
    fn a_pretty_printed_payload_still_makes_one_line_log_events() {
        let message = "{\"eventType\":\"Send\",\"send\":{},\n  \"mail\": {\"destination\": [\"a@example.com\"],\n    \"tags\": {\n      \"campaign\": [\"winter  sale\\\" \\n x\"]\n    }\n  }\n}";
        let logged = entries(message, LogFormat::Json);
        assert_eq!(logged.len(), 1);
        assert!(
            !logged[0].message.contains(['\n', '\r']),
            "{}",
            logged[0].message
        );
        assert_eq!(
            json(&logged[0])["tags"]["campaign"][0],
            "winter  sale\" \n x",
            "strings untouched"
        );
        let event = "{\n  \"detail-type\": \"Sending Status Disabled\",\r\n  \"detail\": {\"cause\": \"a  b\"}\n}";
        let stored = account_event_entry(event, &envelope(), &LogFormat::Json.into());
        assert_eq!(
            stored.message,
            r#"{"detail-type":"Sending Status Disabled","detail":{"cause":"a  b"}}"#
        );
        assert_eq!(
            on_one_line("{\"a\": 1}"),
            Cow::Borrowed("{\"a\": 1}"),
            "one line already: as it is"
        );
    }

    #[test]
    fn ses_region_comes_from_the_source_arn_else_the_topic_and_follows_source() {
        let from_source = entries(
            r#"{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bouncedRecipients":[{"emailAddress":"a@example.com"}]},
            "mail":{"source":"s@example.com","sourceArn":"arn:aws:ses:eu-west-1:123456789012:identity/example.com"}}"#,
            LogFormat::Json,
        );
        assert_eq!(json(&from_source[0])["sesRegion"], "eu-west-1");
        assert!(
            from_source[0]
                .message
                .contains(r#""source":"s@example.com","sesRegion":"eu-west-1","#),
            "right after source: {}",
            from_source[0].message
        );
        // No sourceArn (or not an SES ARN): the topic's region (us-east-1 in envelope()).
        for mail in [
            r#"{}"#,
            r#"{"sourceArn":"arn:aws:sns:eu-west-1:123456789012:x"}"#,
        ] {
            let message = format!(
                r#"{{"notificationType":"Delivery","delivery":{{"recipients":["a@example.com"]}},"mail":{mail}}}"#
            );
            let from_topic = entries(&message, LogFormat::Json);
            assert_eq!(json(&from_topic[0])["sesRegion"], "us-east-1", "{mail}");
        }
        let mut no_topic = envelope();
        no_topic.topic_arn = None;
        assert_eq!(ses_region(None, &no_topic), None);
        // An EventBridge delivery: no topic, the event's region.
        no_topic.event_region = Some("ap-southeast-2".to_owned());
        assert_eq!(ses_region(None, &no_topic), Some("ap-southeast-2"));
    }

    #[test]
    fn unrecognized_entries_keep_the_message_verbatim_with_reason_and_ids() {
        let raw = "not json \u{0} at all";
        let entry = unrecognized_entry(
            raw,
            &crate::feedback::UnrecognizedReason::NotJson,
            &envelope(),
            &LogFormat::Json.into(),
        );
        let event = json(&entry);
        assert_eq!(event["message"], raw);
        assert_eq!(event["reason"], "the message is not JSON");
        assert_eq!(event["snsMessageId"], envelope().message_id.unwrap());
        assert_eq!(event["topicArn"], envelope().topic_arn.unwrap());
        assert_eq!(event["sesRegion"], "us-east-1");
        assert_eq!(entry.timestamp_ms, SNS_TIMESTAMP_MS);
    }
}
