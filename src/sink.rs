//! The seam between the handler and CloudWatch Logs: one narrow trait, so the handler can be tested with a
//! recording fake and the real writer on its own.

use std::future::Future;

use crate::record::LogEntry;

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
    /// CloudWatch refused events even after they were restamped with the current time.
    #[error(
        "CloudWatch Logs rejected {count} events even after restamping them with the current time"
    )]
    Rejected { count: usize },
}
