//! The deciding half of the pipeline: from messages to what each stream receives, what to suppress once it
//! is stored, and the counts. No writes and no async (it only logs), so it is tested with plain `#[test]`s.

use std::collections::{BTreeMap, HashSet};

use tracing::{debug, info, warn};

use crate::feedback::{parse_message, EventType, Feedback, ParsedMessage, UnrecognizedReason};
use crate::log_events::{
    account_event_entry, feedback_records, unrecognized_entry, Formatting, ACCOUNT_EVENT_STREAM,
    UNRECOGNIZED_STREAM,
};
use crate::operations::metrics::Metrics;
use crate::operations::suppression::{suppression_reason, SuppressMode, SuppressionReason};
use crate::sources::{Content, InboundMessage};
use crate::storage::LogEvent;

/// Who may write: records from other topics, or about mail other accounts sent, are refused. An
/// EventBridge event names no topic: its `account` is checked against the sending accounts instead (the
/// rule's event pattern chooses the configuration set).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessPolicy {
    pub allowed_topic_arns: Option<Vec<String>>,
    pub allowed_sending_accounts: Option<Vec<String>>,
}

impl AccessPolicy {
    fn allows_topic(&self, topic_arn: &str) -> bool {
        self.allowed_topic_arns
            .as_ref()
            .is_none_or(|allowed| allowed.iter().any(|arn| arn == topic_arn))
    }

    fn allows_account(&self, account: Option<&str>) -> bool {
        match (&self.allowed_sending_accounts, account) {
            (None, _) => true,
            (Some(allowed), Some(account)) => allowed.iter().any(|id| id == account),
            (Some(_), None) => false,
        }
    }
}

/// What planning needs to know: how to write log events, who may write, what to suppress.
#[derive(Clone)]
pub(crate) struct Settings {
    pub(crate) formatting: Formatting,
    pub(crate) access: AccessPolicy,
    pub(crate) suppress_mode: SuppressMode,
}

/// What one stream receives, and from which messages (their indices).
#[derive(Debug, Default)]
pub(crate) struct StreamWrite {
    pub(crate) events: Vec<LogEvent>,
    pub(crate) messages: Vec<usize>,
    /// Addresses to suppress once the events are stored.
    pub(crate) suppressions: Vec<(String, SuppressionReason)>,
}

/// Everything one batch of messages asks for: one write per stream, and what was counted on the way.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) streams: BTreeMap<&'static str, StreamWrite>,
    pub(crate) counts: Metrics,
}

/// Plans the writes for `messages`. A message whose key is repeated in the batch, or that
/// `already_stored` says this environment stored before, is a duplicate and planned for nothing.
pub(crate) fn plan(
    messages: &[InboundMessage],
    settings: &Settings,
    already_stored: impl Fn(&str) -> bool,
) -> Plan {
    let mut plan = Plan {
        streams: BTreeMap::new(),
        counts: Metrics::new(),
    };
    let mut seen = HashSet::new();
    for (index, message) in messages.iter().enumerate() {
        // Every message received counts, duplicates included.
        plan.counts.count_record();
        let key = message.dedupe_key.as_str();
        if !seen.insert(key) || already_stored(key) {
            plan.counts.count_duplicate();
            info!(message_key = %key, "already stored by this environment; skipped");
            continue;
        }
        plan.add(index, message, settings);
    }
    plan
}

impl Plan {
    fn add(&mut self, index: usize, inbound: &InboundMessage, settings: &Settings) {
        let key = inbound.dedupe_key.as_str();
        let topic_arn = inbound.envelope.topic_arn.as_deref();
        let event_account = inbound.envelope.event_account.as_deref();
        let logged_topic = topic_arn.unwrap_or(match event_account {
            Some(_) => "(none: EventBridge)",
            None => "(none: raw delivery)",
        });
        // A raw-delivery message names no topic; its queue's policy decides who may send.
        if topic_arn.is_some_and(|arn| !settings.access.allows_topic(arn)) {
            self.counts.count_refused();
            warn!(topic_arn = logged_topic, message_key = %key, "record from a topic not in ALLOWED_TOPIC_ARNS; not stored");
            return;
        }
        if let Some(account) = event_account {
            if !settings
                .access
                .allows_account(Some(account).filter(|id| !id.is_empty()))
            {
                self.counts.count_refused();
                warn!(event_account = account, message_key = %key, "EventBridge event from an account not in ALLOWED_SENDING_ACCOUNTS; not stored");
                return;
            }
        }
        let message = match &inbound.content {
            Content::Message(message) => message,
            Content::Control { sns_type } => {
                self.counts.count_setup_message();
                info!(message_key = %key, topic_arn = logged_topic, sns_type = %sns_type, "SNS {sns_type} message; nothing to store (a queue's subscription is confirmed in the SNS console or API)");
                return;
            }
            Content::AccountEvent { text, detail_type } => {
                self.counts.count_account_event();
                info!(message_key = %key, detail_type = %detail_type, stream = ACCOUNT_EVENT_STREAM, "SES account-level event; kept whole");
                let event = account_event_entry(text, &inbound.envelope, &settings.formatting);
                let write = self.streams.entry(ACCOUNT_EVENT_STREAM).or_default();
                write.events.push(event);
                write.messages.push(index);
                return;
            }
            Content::OtherEvent {
                text,
                source,
                detail_type,
            } => {
                let reason = UnrecognizedReason::OtherSource {
                    source: source.clone(),
                    detail_type: detail_type.clone(),
                };
                self.add_unrecognized(index, inbound, text, &reason, settings);
                return;
            }
        };
        match parse_message(message) {
            ParsedMessage::Feedback(feedback) => {
                let account = feedback
                    .notification
                    .mail
                    .as_ref()
                    .and_then(|mail| mail.sending_account_id.as_str());
                if !settings.access.allows_account(account) {
                    self.counts.count_refused();
                    warn!(
                        topic_arn = logged_topic,
                        sending_account = account.unwrap_or("(none)"),
                        message_key = %key,
                        "feedback about mail from an account not in ALLOWED_SENDING_ACCOUNTS; not stored"
                    );
                    return;
                }
                self.add_feedback(index, key, inbound, &feedback, settings);
            }
            ParsedMessage::Setup(setup) => {
                self.counts.count_setup_message();
                info!(message_key = %key, topic_arn = logged_topic, "{}; nothing to store", setup.describe());
            }
            ParsedMessage::Unrecognized(reason) => {
                self.add_unrecognized(index, inbound, message, &reason, settings);
            }
        }
    }

    /// `text` kept verbatim in `Unrecognized`, with why.
    fn add_unrecognized(
        &mut self,
        index: usize,
        inbound: &InboundMessage,
        text: &str,
        reason: &UnrecognizedReason,
        settings: &Settings,
    ) {
        self.counts.count_unrecognized();
        // The reason's text can quote the message, so the function's own log gets its kind only.
        warn!(
            message_key = %inbound.dedupe_key,
            reason = reason.kind(),
            stream = UNRECOGNIZED_STREAM,
            "message is not SES feedback of a known type; kept verbatim"
        );
        let event = unrecognized_entry(text, reason, &inbound.envelope, &settings.formatting);
        let write = self.streams.entry(UNRECOGNIZED_STREAM).or_default();
        write.events.push(event);
        write.messages.push(index);
    }

    /// One log event per recipient, counted by type and reason, with the addresses `SUPPRESS` selects.
    fn add_feedback(
        &mut self,
        index: usize,
        key: &str,
        inbound: &InboundMessage,
        feedback: &Feedback,
        settings: &Settings,
    ) {
        let records = feedback_records(feedback, &inbound.envelope, &settings.formatting);
        let details = feedback.details();
        let sub_type = details.and_then(|details| match feedback.event_type {
            EventType::Complaint => details.complaint_sub_type.as_str(),
            _ => details.bounce_sub_type.as_str(),
        });
        let stream = feedback.event_type.name();
        let write = self.streams.entry(stream).or_default();
        let recipients = records.len();
        for record in records {
            match feedback.event_type {
                EventType::Bounce => self.counts.count_bounce(
                    record.effective_bounce_type,
                    record.reason.map_or("undefined", |reason| reason.as_str()),
                ),
                EventType::Complaint => self
                    .counts
                    .count_complaint(details.and_then(|d| d.complaint_feedback_type.as_str())),
                EventType::DeliveryDelay => self
                    .counts
                    .count_delay(details.and_then(|d| d.delay_type.as_str())),
                _ => {}
            }
            if let Some(reason) = suppression_reason(
                settings.suppress_mode,
                feedback.event_type,
                record.effective_bounce_type,
                sub_type,
                record.address,
            ) {
                write.suppressions.push((record.address.to_owned(), reason));
            }
            write.events.push(record.entry);
        }
        write.messages.push(index);
        debug!(
            notification_type = stream,
            message_key = %key,
            recipients,
            stream,
            "SES feedback"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log_events::LogFormat;
    use crate::sources::Envelope;

    const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:ses-feedback";

    fn settings() -> Settings {
        Settings {
            formatting: LogFormat::Json.into(),
            access: AccessPolicy::default(),
            suppress_mode: SuppressMode::HardAndComplaints,
        }
    }

    fn message(key: &str, topic: &str, text: &str) -> InboundMessage {
        InboundMessage {
            dedupe_key: key.to_owned(),
            envelope: Envelope {
                message_id: Some(key.to_owned()),
                topic_arn: Some(topic.to_owned()),
                subject: None,
                timestamp_ms: 1_795_169_730_000,
                delivery_id: Some(key.to_owned()),
                event_account: None,
                event_region: None,
            },
            content: Content::Message(text.to_owned()),
        }
    }

    fn bounce(addresses: &[&str], bounce_type: &str) -> String {
        let recipients: Vec<_> = addresses
            .iter()
            .map(|a| serde_json::json!({"emailAddress": a, "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown"}))
            .collect();
        serde_json::json!({
            "notificationType": "Bounce",
            "bounce": {"bounceType": bounce_type, "bounceSubType": "General", "bouncedRecipients": recipients},
            "mail": {"messageId": "m", "sendingAccountId": "123456789012"}
        })
        .to_string()
    }

    fn complaint(address: &str) -> String {
        serde_json::json!({
            "notificationType": "Complaint",
            "complaint": {"complainedRecipients": [{"emailAddress": address}], "complaintFeedbackType": "abuse"},
            "mail": {"messageId": "m"}
        })
        .to_string()
    }

    fn summary(counts: &Metrics) -> (u64, u64, u64, u64, u64) {
        (
            counts.records(),
            counts.duplicates(),
            counts.refused(),
            counts.setup_messages(),
            counts.unrecognized(),
        )
    }

    #[test]
    fn one_write_per_stream_with_the_messages_that_fill_it() {
        let messages = [
            message(
                "a",
                TOPIC,
                &bounce(&["x@example.com", "y@example.com"], "Permanent"),
            ),
            message("b", TOPIC, &complaint("z@example.com")),
            message("c", TOPIC, &bounce(&["w@example.com"], "Transient")),
        ];
        let plan = plan(&messages, &settings(), |_| false);
        let streams: Vec<(&str, usize, Vec<usize>)> = plan
            .streams
            .iter()
            .map(|(stream, write)| (*stream, write.events.len(), write.messages.clone()))
            .collect();
        assert_eq!(
            streams,
            [("Bounce", 3, vec![0, 2]), ("Complaint", 1, vec![1])]
        );
        assert_eq!(summary(&plan.counts), (3, 0, 0, 0, 0));
    }

    #[test]
    fn duplicates_in_the_batch_or_already_stored_are_counted_and_not_planned() {
        let messages = [
            message("a", TOPIC, &complaint("z@example.com")),
            message("a", TOPIC, &complaint("z@example.com")),
            message("stored", TOPIC, &complaint("q@example.com")),
        ];
        let plan = plan(&messages, &settings(), |key| key == "stored");
        assert_eq!(plan.streams["Complaint"].messages, [0]);
        assert_eq!(summary(&plan.counts), (3, 2, 0, 0, 0));
    }

    #[test]
    fn refused_setup_and_unrecognized_messages_are_counted_and_only_unrecognized_is_written() {
        let mut settings = settings();
        settings.access.allowed_topic_arns = Some(vec![TOPIC.to_owned()]);
        let messages = [
            message(
                "foreign",
                "arn:aws:sns:us-east-1:999999999999:other",
                &complaint("z@example.com"),
            ),
            message(
                "setup",
                TOPIC,
                "Successfully validated SNS topic for Amazon SES event publishing.",
            ),
            message("junk", TOPIC, "not json"),
        ];
        let plan = plan(&messages, &settings, |_| false);
        assert_eq!(
            plan.streams.keys().copied().collect::<Vec<_>>(),
            [UNRECOGNIZED_STREAM]
        );
        assert_eq!(plan.streams[UNRECOGNIZED_STREAM].messages, [2]);
        assert_eq!(summary(&plan.counts), (3, 0, 1, 1, 1));
    }

    #[test]
    fn suppressions_follow_the_mode_and_the_effective_bounce_type() {
        let messages = [
            message("hard", TOPIC, &bounce(&["gone@example.com"], "Permanent")),
            message("complaint", TOPIC, &complaint("angry@example.com")),
        ];
        let planned = plan(&messages, &settings(), |_| false);
        assert_eq!(
            planned.streams["Bounce"].suppressions,
            [("gone@example.com".to_owned(), SuppressionReason::Bounce)]
        );
        assert_eq!(
            planned.streams["Complaint"].suppressions,
            [("angry@example.com".to_owned(), SuppressionReason::Complaint)]
        );
        let off = Settings {
            suppress_mode: SuppressMode::Off,
            ..settings()
        };
        let planned = plan(&messages, &off, |_| false);
        assert!(planned.streams.values().all(|w| w.suppressions.is_empty()));
    }
}
