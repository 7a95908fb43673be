//! The seam between the pipeline and CloudWatch Logs: one narrow trait, so the pipeline can be tested with a
//! recording fake and the real writer on its own.

pub mod batch;
pub mod cloudwatch;
pub mod memory;

use std::fmt::Write as _;
use std::future::Future;

use chrono::{DateTime, SecondsFormat};

/// Stores log events in one stream of the feedback log group.
pub trait LogSink: Sync {
    /// Stores every entry, or fails: a success means nothing was lost.
    fn write(
        &self,
        stream: &str,
        entries: Vec<LogEvent>,
    ) -> impl Future<Output = Result<(), WriteError>> + Send;
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// A CloudWatch Logs call failed after the SDK's own retries.
    #[error("{operation} failed: {detail}")]
    Api {
        operation: &'static str,
        detail: String,
    },
    /// A put got no answer and its events were not found stored; they may still arrive. The next attempt
    /// at the same batch in this environment looks for them first.
    #[error("PutLogEvents got no answer for {events} events and they were not found stored (they may arrive late): {detail}")]
    Uncertain { events: usize, detail: String },
    /// CloudWatch refused events even after they were restamped with the current time.
    #[error(
        "CloudWatch Logs rejected {count} events even after restamping them with the current time"
    )]
    Rejected { count: usize },
}

/// One CloudWatch log event, ready to put.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEvent {
    /// When CloudWatch files the event: the feedback's own time unless CloudWatch would refuse it.
    pub timestamp_ms: i64,
    pub message: String,
    /// Plain-format messages carry no time of their own, so restamping appends the original one.
    pub(crate) annotate_on_restamp: bool,
}

impl LogEvent {
    pub fn new(timestamp_ms: i64, message: String) -> Self {
        LogEvent {
            timestamp_ms,
            message,
            annotate_on_restamp: false,
        }
    }

    /// Files the event at `now_ms` while keeping its original time in the message.
    pub(crate) fn restamp(&mut self, now_ms: i64) {
        if self.annotate_on_restamp && self.timestamp_ms != now_ms {
            // RFC 3339 UTC with milliseconds, as the JSON layout's `timestamp` (feedback::timestamp's
            // format_millis, written here because storage imports no other layer); every time this function
            // reads or makes is within chrono's range.
            if let Some(time) = DateTime::from_timestamp_millis(self.timestamp_ms) {
                let _ = write!(
                    self.message,
                    " timestamp={}",
                    time.to_rfc3339_opts(SecondsFormat::Millis, true)
                );
            }
            self.annotate_on_restamp = false;
        }
        self.timestamp_ms = now_ms;
    }
}
