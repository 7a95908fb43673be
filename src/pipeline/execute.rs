//! The other half: carrying out a [`Plan`]. Every stream is written concurrently, each under the write
//! deadline; what was stored is remembered, and only then are its addresses suppressed.

use std::time::Duration;

use futures_util::future::join_all;
use tracing::{error, info, warn};

use super::plan::Plan;
use crate::operations::metrics::Metrics;
use crate::operations::suppression::{SuppressionReason, Suppressor};
use crate::sources::InboundMessage;
use crate::storage::memory::StoredMessages;
use crate::storage::{LogSink, WriteError};

/// Which messages of a batch were not stored, and why.
#[derive(Debug, Default)]
pub(crate) struct Stored {
    /// Indices of the messages not stored, ascending.
    pub(crate) not_stored: Vec<usize>,
    /// The write deadline, when a stream's write ran out of it.
    pub(crate) timed_out: Option<Duration>,
    pub(crate) failed_streams: usize,
    pub(crate) total_streams: usize,
    pub(crate) first_failure: Option<(&'static str, WriteError)>,
}

/// Writes every stream of `plan`, remembers the messages stored in `memory`, then suppresses their
/// addresses. Returns the plan's counts with the writes and suppressions added.
pub(crate) async fn execute<S: LogSink, P: Suppressor>(
    plan: Plan,
    messages: &[InboundMessage],
    sink: &S,
    suppressor: &P,
    deadline: Duration,
    memory: &StoredMessages,
) -> (Metrics, Stored) {
    let Plan {
        streams,
        mut counts,
    } = plan;
    let total = streams.len();
    let mut writes = Vec::with_capacity(total);
    let mut pending = Vec::with_capacity(total);
    for (stream, write) in streams {
        pending.push((
            stream,
            write.events.len(),
            write.messages,
            write.suppressions,
        ));
        // Each stream has the deadline to itself, so the ones that finish are remembered as stored.
        let put = tokio::time::timeout(deadline, sink.write(stream, write.events));
        writes.push(put);
    }
    let results = join_all(writes).await;
    let mut stored = Stored {
        total_streams: total,
        ..Stored::default()
    };
    let mut suppressions = Vec::new();
    for (result, (stream, events, indices, to_suppress)) in results.into_iter().zip(pending) {
        match result {
            Ok(Ok(())) => {
                counts.count_events(stream, events);
                memory.remember(indices.iter().map(|&i| &messages[i].dedupe_key));
                // Only once their events are stored: a failed stream is retried, suppressions with it.
                suppressions.extend(to_suppress);
                continue;
            }
            Err(_elapsed) => {
                error!(
                    stream,
                    events,
                    ?deadline,
                    "CloudWatch Logs write timed out; its messages are not stored, to be retried"
                );
                stored.timed_out = Some(deadline);
            }
            Ok(Err(failure)) => {
                error!(stream, events, error = %failure, "CloudWatch Logs write failed; its messages are not stored, to be retried");
                if stored.first_failure.is_none() {
                    stored.first_failure = Some((stream, failure));
                }
            }
        }
        counts.count_write_failure(events);
        stored.failed_streams += 1;
        stored.not_stored.extend(indices);
    }
    suppress(suppressor, suppressions, &mut counts).await;
    stored.not_stored.sort_unstable();
    (counts, stored)
}

/// Suppression is a side effect: a failure is logged and counted, per region, and never fails the invocation
/// (the log events are stored already) or keeps the address from the other regions' lists.
async fn suppress<P: Suppressor>(
    suppressor: &P,
    addresses: Vec<(String, SuppressionReason)>,
    counts: &mut Metrics,
) {
    let attempts = addresses
        .iter()
        .map(|(address, reason)| suppressor.suppress_in_every_region(address, *reason));
    let mut made = 0;
    for outcome in join_all(attempts).await.into_iter().flatten() {
        let ok = outcome.result.is_ok();
        counts.count_suppression(ok);
        if let Some(region) = outcome.region {
            counts.count_regional_suppression(region, ok);
        }
        match outcome.result {
            Ok(()) => made += 1,
            // The error names the operation and the error's kind, never the address. Not retried here:
            // docs/suppression.md says why, and how to catch a region up.
            Err(error) => warn!(
                region = outcome.region.unwrap_or("(the client's)"),
                %error,
                "could not add an address to this region's SES suppression list"
            ),
        }
    }
    if made > 0 {
        info!(
            suppressed = made,
            "added addresses to the SES account-level suppression list (counted once per region)"
        );
    }
}
