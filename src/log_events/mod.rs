//! Turning parsed SES feedback into CloudWatch log events: one per recipient, JSON by default.
//!
//! The JSON is written by hand rather than through serde so that key order is fixed, absent values are left
//! out, and an event that would exceed CloudWatch's size limit can be refitted by truncating its longest
//! field (with a visible marker) instead of being dropped.

pub mod privacy;

use std::fmt::Write as _;

use serde_json::value::RawValue;

use crate::feedback::reason::{self, Reason};
use crate::feedback::timestamp::{format_millis, parse_millis};
use crate::feedback::{Details, EventType, Feedback, Recipient, Text, UnrecognizedReason};
use crate::log_events::privacy::{domain_of, AddressHasher};
use crate::sources::Envelope;
use crate::storage::LogEvent;

/// CloudWatch counts 26 bytes per event against a 1,048,576-byte batch, so one event's message can be at
/// most this long.
pub const MAX_MESSAGE_BYTES: usize = 1_048_576 - 26;

/// The stream that keeps, verbatim, every message that is not SES feedback of a known type.
pub const UNRECOGNIZED_STREAM: &str = "Unrecognized";

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

/// One log event per recipient of `feedback`.
pub fn feedback_entries(
    feedback: &Feedback,
    envelope: &Envelope,
    formatting: &Formatting,
) -> Vec<LogEvent> {
    feedback_records(feedback, envelope, formatting)
        .into_iter()
        .map(|record| record.entry)
        .collect()
}

/// One [`RecipientRecord`] per recipient of `feedback`.
pub fn feedback_records<'f>(
    feedback: &'f Feedback,
    envelope: &Envelope,
    formatting: &Formatting,
) -> Vec<RecipientRecord<'f>> {
    let (timestamp_ms, timestamp) = feedback_time(feedback, envelope);
    let details = feedback.details();
    let detail = |field: fn(&'f Details) -> &'f Text| details.and_then(|d| field(d).as_str());
    feedback
        .recipients()
        .into_iter()
        .map(|listed| {
            let address = bare_address(listed.email_address);
            // Read from what SES wrote, before any address in it is hashed.
            let (reason, effective_bounce_type) = match feedback.event_type {
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
    let message = fit(|cap| {
        let mut json = JsonObject::new(cap);
        json.text("reason", Some(&reason));
        json.text("snsMessageId", envelope.message_id.as_deref());
        json.text("topicArn", envelope.topic_arn.as_deref());
        json.text("subject", envelope.subject.as_deref());
        json.text("snsTimestamp", Some(&format_millis(envelope.timestamp_ms)));
        json.text("message", Some(&raw));
        json.finish()
    });
    LogEvent::new(envelope.timestamp_ms, message)
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
    reason: Option<Reason>,
    effective_bounce_type: Option<&'a str>,
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
        reason,
        effective_bounce_type,
    } = *record;
    let mail = feedback.notification.mail.as_ref();
    let details = feedback.details();
    let detail = |field: fn(&crate::feedback::Details) -> &crate::feedback::Text| {
        details.and_then(|d| field(d).as_str())
    };
    let mut json = JsonObject::new(cap);
    json.text("emailAddress", Some(address));
    json.text("recipientDomain", domain);
    json.text("notificationType", Some(feedback.event_type.name()));
    json.text("timestamp", Some(timestamp));
    json.text("messageId", mail.and_then(|m| m.message_id.as_str()));
    json.text("source", mail.and_then(|m| m.source.as_str()));
    json.text("feedbackId", detail(|d| &d.feedback_id));
    json.text("snsMessageId", envelope.message_id.as_deref());
    match feedback.event_type {
        EventType::Bounce => {
            json.text("bounceType", detail(|d| &d.bounce_type));
            json.text("bounceSubType", detail(|d| &d.bounce_sub_type));
            json.text("action", recipient.action);
            json.text("status", recipient.status);
            json.text("diagnosticCode", recipient.diagnostic_code);
            json.text("reportingMTA", detail(|d| &d.reporting_mta));
            json.text("remoteMtaIp", detail(|d| &d.remote_mta_ip));
            json.text("reason", reason.map(Reason::as_str));
            json.text("effectiveBounceType", effective_bounce_type);
        }
        EventType::Complaint => {
            json.text(
                "complaintFeedbackType",
                detail(|d| &d.complaint_feedback_type),
            );
            json.text("complaintSubType", detail(|d| &d.complaint_sub_type));
            json.text("userAgent", detail(|d| &d.user_agent));
            json.text("arrivalDate", detail(|d| &d.arrival_date));
        }
        EventType::Delivery => {
            json.text("smtpResponse", detail(|d| &d.smtp_response));
            json.number_or_text(
                "processingTimeMillis",
                detail(|d| &d.processing_time_millis),
            );
            json.text("reportingMTA", detail(|d| &d.reporting_mta));
            json.text("remoteMtaIp", detail(|d| &d.remote_mta_ip));
        }
        EventType::DeliveryDelay => {
            json.text("delayType", detail(|d| &d.delay_type));
            json.text("expirationTime", detail(|d| &d.expiration_time));
            json.text("status", recipient.status);
            json.text("diagnosticCode", recipient.diagnostic_code);
            json.text("reason", reason.map(Reason::as_str));
        }
        EventType::Reject => json.text("rejectReason", detail(|d| &d.reason)),
        EventType::Open | EventType::Click => {
            json.text("ipAddress", detail(|d| &d.ip_address));
            json.text("userAgent", detail(|d| &d.user_agent));
            json.text("link", detail(|d| &d.link));
        }
        EventType::RenderingFailure => {
            json.text("templateName", detail(|d| &d.template_name));
            json.text("errorMessage", detail(|d| &d.error_message));
        }
        EventType::Subscription => {
            json.text("contactList", detail(|d| &d.contact_list));
            json.raw(
                "newTopicPreferences",
                details.and_then(|d| d.new_topic_preferences.as_deref()),
            );
            json.text("subscriptionSource", detail(|d| &d.source));
        }
        EventType::Send => {}
    }
    json.raw("tags", mail.and_then(|m| m.tags.as_deref()));
    json.finish()
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

/// `text` cut to at most `cap` bytes on a character boundary, with a marker saying how much was cut.
fn capped(text: &str, cap: usize) -> std::borrow::Cow<'_, str> {
    if text.len() <= cap {
        return text.into();
    }
    let mut end = cap;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}{TRUNCATION_MARKER}{} bytes]",
        &text[..end],
        text.len() - end
    )
    .into()
}

/// A JSON object written field by field; absent values are skipped and text is capped.
struct JsonObject {
    out: String,
    cap: usize,
}

impl JsonObject {
    fn new(cap: usize) -> Self {
        let mut out = String::with_capacity(512);
        out.push('{');
        JsonObject { out, cap }
    }

    fn key(&mut self, key: &str) {
        if self.out.len() > 1 {
            self.out.push(',');
        }
        self.out.push('"');
        self.out.push_str(key);
        self.out.push_str("\":");
    }

    fn text(&mut self, key: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.key(key);
            let value = capped(value, self.cap);
            push_json_string(&mut self.out, &value);
        }
    }

    fn raw(&mut self, key: &str, value: Option<&RawValue>) {
        if let Some(value) = value {
            self.key(key);
            self.out.push_str(value.get());
        }
    }

    /// Numbers SES writes as numbers stay numbers; anything else is kept as text.
    fn number_or_text(&mut self, key: &str, value: Option<&str>) {
        match value.map(|text| (text, text.parse::<i64>())) {
            Some((_, Ok(number))) => {
                self.key(key);
                let _ = write!(self.out, "{number}");
            }
            other => self.text(key, other.map(|(text, _)| text)),
        }
    }

    fn finish(mut self) -> String {
        self.out.push('}');
        self.out
    }
}

fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    let mut start = 0;
    for (index, byte) in text.bytes().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(&text[start..index]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{byte:04x}");
        } else {
            out.push_str(escape);
        }
        start = index + 1;
    }
    out.push_str(&text[start..]);
    out.push('"');
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
        }
    }

    fn entries(message: &str, format: LogFormat) -> Vec<LogEvent> {
        match parse_message(message) {
            ParsedMessage::Feedback(feedback) => {
                feedback_entries(&feedback, &envelope(), &format.into())
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
        assert_eq!(entry.timestamp_ms, SNS_TIMESTAMP_MS);
    }
}
