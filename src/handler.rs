//! The Lambda handler: every record of an SNS event, parsed, formatted and written to its stream.

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use aws_lambda_events::sns::{SnsEvent, SnsRecord};
use futures_util::future::join_all;
use lambda_runtime::Diagnostic;
use serde::Serialize;
use tracing::{error, info, warn};

use crate::recent::RecentMap;
use crate::record::{
    feedback_entries, unrecognized_entry, Formatting, LogEntry, SnsContext, UNRECOGNIZED_STREAM,
};
use crate::ses::{parse_message, ParsedMessage};
use crate::sink::{LogSink, WriteError};

/// How long all CloudWatch writes of one invocation may take together. Lambda's timeout (template.yaml) is
/// above it, so an outage fails the invocation cleanly and Lambda retries, then dead-letters it.
pub const WRITE_DEADLINE: Duration = Duration::from_secs(25);

/// SNS MessageIds remembered per execution environment, so a redelivery or a retry is not written twice.
pub const REMEMBERED_MESSAGES: usize = 10_000;

pub struct Handler<S> {
    sink: S,
    formatting: Formatting,
    access: AccessPolicy,
    write_deadline: Duration,
    /// SNS MessageIds whose events this environment has stored (or that needed no storing).
    stored_messages: Mutex<RecentMap<String, ()>>,
}

/// Who may write: records from other topics, or about mail other accounts sent, are refused.
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

/// What an invocation did, returned as the function's response. It carries counts, never addresses.
#[derive(Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub records: usize,
    /// Log events written, per stream.
    pub written: BTreeMap<&'static str, usize>,
    pub setup_messages: usize,
    pub unrecognized: usize,
    /// Records this environment had already stored (SNS redelivery, or Lambda retrying a partial failure).
    pub duplicates: usize,
    /// Records refused by ALLOWED_TOPIC_ARNS or ALLOWED_SENDING_ACCOUNTS.
    pub refused: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// The payload is not an SNS event; retrying cannot fix that.
    #[error("the event is not an SNS event: {0}")]
    NotAnSnsEvent(String),
    /// At least one stream could not be written; Lambda retries the whole event.
    #[error("writing to CloudWatch Logs failed for {failed} of {total} streams; first: stream {stream:?}: {source}")]
    WriteFailed {
        failed: usize,
        total: usize,
        stream: &'static str,
        source: WriteError,
    },
    #[error("writing to CloudWatch Logs did not finish within {0:?}")]
    WriteTimedOut(Duration),
}

impl HandlerError {
    pub fn error_type(&self) -> &'static str {
        match self {
            HandlerError::NotAnSnsEvent(_) => "InvalidEvent",
            HandlerError::WriteFailed { .. } => "CloudWatchWriteFailed",
            HandlerError::WriteTimedOut(_) => "CloudWatchWriteTimedOut",
        }
    }
}

impl From<HandlerError> for Diagnostic {
    fn from(error: HandlerError) -> Diagnostic {
        Diagnostic {
            error_type: error.error_type().to_owned(),
            error_message: error.to_string(),
        }
    }
}

impl<S: LogSink> Handler<S> {
    pub fn new(sink: S, formatting: impl Into<Formatting>) -> Self {
        Handler {
            sink,
            formatting: formatting.into(),
            access: AccessPolicy::default(),
            write_deadline: WRITE_DEADLINE,
            stored_messages: Mutex::new(RecentMap::new(REMEMBERED_MESSAGES)),
        }
    }

    pub fn with_access_policy(mut self, access: AccessPolicy) -> Self {
        self.access = access;
        self
    }

    pub fn with_write_deadline(mut self, write_deadline: Duration) -> Self {
        self.write_deadline = write_deadline;
        self
    }

    pub fn sink(&self) -> &S {
        &self.sink
    }

    /// Handles one invocation's payload (the raw JSON Lambda delivered).
    pub async fn handle(&self, payload: &str) -> Result<Summary, HandlerError> {
        let event: SnsEvent = serde_json::from_str(payload).map_err(|error| {
            // serde's message can quote the payload, which may hold addresses: keep only where it failed.
            HandlerError::NotAnSnsEvent(format!(
                "expected {{\"Records\":[{{\"Sns\":{{…}}}}]}} ({:?} error at line {} column {})",
                error.classify(),
                error.line(),
                error.column()
            ))
        })?;
        let mut summary = Summary {
            records: event.records.len(),
            ..Summary::default()
        };
        let mut streams: BTreeMap<&'static str, StreamWrite> = BTreeMap::new();
        let mut seen = HashSet::new();
        for record in &event.records {
            let message_id = record.sns.message_id.as_str();
            if !seen.insert(message_id) || self.already_stored(message_id) {
                summary.duplicates += 1;
                info!(sns_message_id = %message_id, "already stored by this environment; skipped");
                continue;
            }
            self.collect(record, &mut summary, &mut streams);
        }
        let total = streams.len();
        let mut counts = Vec::with_capacity(total);
        let mut writes = Vec::with_capacity(total);
        for (stream, write) in streams {
            counts.push((stream, write.entries.len(), write.message_ids));
            writes.push(async move { (stream, self.sink.write(stream, write.entries).await) });
        }
        let results = tokio::time::timeout(self.write_deadline, join_all(writes)).await.map_err(|_| {
            error!(deadline = ?self.write_deadline, "CloudWatch Logs write timed out; the invocation fails so Lambda retries it");
            HandlerError::WriteTimedOut(self.write_deadline)
        })?;
        let mut failures = Vec::new();
        for ((stream, result), (_, count, message_ids)) in results.into_iter().zip(counts) {
            match result {
                Ok(()) => {
                    summary.written.insert(stream, count);
                    self.remember_stored(message_ids);
                }
                Err(error) => {
                    error!(stream, events = count, %error, "CloudWatch Logs write failed; the invocation fails so Lambda retries it");
                    failures.push((stream, error));
                }
            }
        }
        match failures.into_iter().next() {
            None => Ok(summary),
            Some((stream, source)) => {
                let failed = total - summary.written.len();
                Err(HandlerError::WriteFailed {
                    failed,
                    total,
                    stream,
                    source,
                })
            }
        }
    }

    fn already_stored(&self, message_id: &str) -> bool {
        self.stored_messages
            .lock()
            .is_ok_and(|stored| stored.contains(&message_id.to_owned()))
    }

    fn remember_stored(&self, message_ids: Vec<&str>) {
        if let Ok(mut stored) = self.stored_messages.lock() {
            for id in message_ids {
                stored.insert(id.to_owned(), ());
            }
        }
    }

    fn collect<'e>(
        &self,
        record: &'e SnsRecord,
        summary: &mut Summary,
        streams: &mut BTreeMap<&'static str, StreamWrite<'e>>,
    ) {
        let sns = &record.sns;
        if !self.access.allows_topic(&sns.topic_arn) {
            summary.refused += 1;
            warn!(topic_arn = %sns.topic_arn, sns_message_id = %sns.message_id, "record from a topic not in ALLOWED_TOPIC_ARNS; not stored");
            return;
        }
        let context = SnsContext {
            message_id: &sns.message_id,
            topic_arn: &sns.topic_arn,
            subject: sns.subject.as_deref(),
            timestamp_ms: sns.timestamp.timestamp_millis(),
        };
        match parse_message(&sns.message) {
            ParsedMessage::Feedback(feedback) => {
                let account = feedback
                    .notification
                    .mail
                    .as_ref()
                    .and_then(|mail| mail.sending_account_id.as_str());
                if !self.access.allows_account(account) {
                    summary.refused += 1;
                    warn!(
                        topic_arn = %sns.topic_arn,
                        sending_account = account.unwrap_or("(none)"),
                        sns_message_id = %sns.message_id,
                        "feedback about mail from an account not in ALLOWED_SENDING_ACCOUNTS; not stored"
                    );
                    return;
                }
                let entries = feedback_entries(&feedback, &context, &self.formatting);
                let stream = feedback.event_type.name();
                info!(
                    notification_type = stream,
                    sns_message_id = %sns.message_id,
                    recipients = entries.len(),
                    stream,
                    "SES feedback"
                );
                streams
                    .entry(stream)
                    .or_default()
                    .add(&sns.message_id, entries);
            }
            ParsedMessage::Setup(setup) => {
                summary.setup_messages += 1;
                info!(sns_message_id = %sns.message_id, topic_arn = %sns.topic_arn, "{}; nothing to store", setup.describe());
            }
            ParsedMessage::Unrecognized(reason) => {
                summary.unrecognized += 1;
                // The reason's text can quote the message, so the function's own log gets its kind only.
                warn!(
                    sns_message_id = %sns.message_id,
                    reason = reason.kind(),
                    stream = UNRECOGNIZED_STREAM,
                    "message is not SES feedback of a known type; kept verbatim"
                );
                let entry = unrecognized_entry(&sns.message, &reason, &context, &self.formatting);
                streams
                    .entry(UNRECOGNIZED_STREAM)
                    .or_default()
                    .add(&sns.message_id, vec![entry]);
            }
        }
    }
}

/// What one stream receives in an invocation, and from which SNS messages.
#[derive(Default)]
struct StreamWrite<'e> {
    entries: Vec<LogEntry>,
    message_ids: Vec<&'e str>,
}

impl<'e> StreamWrite<'e> {
    fn add(&mut self, message_id: &'e str, entries: Vec<LogEntry>) {
        self.entries.extend(entries);
        self.message_ids.push(message_id);
    }
}
