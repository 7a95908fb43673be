//! The seam between the handler and CloudWatch Logs: one narrow trait, so the handler can be tested with a
//! recording fake and the real writer on its own.

pub mod batch;
pub mod cloudwatch;
pub mod recent;

use std::future::Future;

use crate::log_events::LogEntry;

/// Stores log events in one stream of the feedback log group.
pub trait LogSink: Sync {
    /// Stores every entry, or fails: a success means nothing was lost.
    fn write(
        &self,
        stream: &str,
        entries: Vec<LogEntry>,
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
