//! The Lambda handler: every record of an SNS event, parsed, formatted and written to its stream.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_lambda_events::sns::{SnsEvent, SnsRecord};
use futures_util::future::join_all;
use lambda_runtime::Diagnostic;
use serde::Serialize;
use tracing::{error, info, warn};

use crate::record::{
    feedback_entries, unrecognized_entry, LogEntry, LogFormat, SnsContext, UNRECOGNIZED_STREAM,
};
use crate::ses::{parse_message, ParsedMessage};
use crate::sink::{LogSink, WriteError};

/// How long all CloudWatch writes of one invocation may take together. Lambda's timeout (template.yaml) is
/// above it, so an outage fails the invocation cleanly and Lambda retries, then dead-letters it.
pub const WRITE_DEADLINE: Duration = Duration::from_secs(25);

pub struct Handler<S> {
    sink: S,
    log_format: LogFormat,
    write_deadline: Duration,
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
    pub fn new(sink: S, log_format: LogFormat) -> Self {
        Handler {
            sink,
            log_format,
            write_deadline: WRITE_DEADLINE,
        }
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
        let mut streams: BTreeMap<&'static str, Vec<LogEntry>> = BTreeMap::new();
        for record in &event.records {
            self.collect(record, &mut summary, &mut streams);
        }
        let total = streams.len();
        let counts: Vec<(&'static str, usize)> = streams
            .iter()
            .map(|(stream, entries)| (*stream, entries.len()))
            .collect();
        let writes = streams.into_iter().map(|(stream, entries)| async move {
            (stream, self.sink.write(stream, entries).await)
        });
        let results = tokio::time::timeout(self.write_deadline, join_all(writes)).await.map_err(|_| {
            error!(deadline = ?self.write_deadline, "CloudWatch Logs write timed out; the invocation fails so Lambda retries it");
            HandlerError::WriteTimedOut(self.write_deadline)
        })?;
        let mut failures = Vec::new();
        for ((stream, result), (_, count)) in results.into_iter().zip(counts) {
            match result {
                Ok(()) => {
                    summary.written.insert(stream, count);
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

    fn collect(
        &self,
        record: &SnsRecord,
        summary: &mut Summary,
        streams: &mut BTreeMap<&'static str, Vec<LogEntry>>,
    ) {
        let sns = &record.sns;
        let context = SnsContext {
            message_id: &sns.message_id,
            topic_arn: &sns.topic_arn,
            subject: sns.subject.as_deref(),
            timestamp_ms: sns.timestamp.timestamp_millis(),
        };
        match parse_message(&sns.message) {
            ParsedMessage::Feedback(feedback) => {
                let entries = feedback_entries(&feedback, &context, self.log_format);
                let stream = feedback.event_type.name();
                info!(
                    notification_type = stream,
                    sns_message_id = %sns.message_id,
                    recipients = entries.len(),
                    stream,
                    "SES feedback"
                );
                streams.entry(stream).or_default().extend(entries);
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
                streams
                    .entry(UNRECOGNIZED_STREAM)
                    .or_default()
                    .push(unrecognized_entry(&sns.message, &reason, &context));
            }
        }
    }
}
