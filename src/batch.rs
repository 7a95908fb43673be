//! CloudWatch Logs' PutLogEvents rules, applied before a put: which times it accepts, and how events must be
//! ordered and split into batches.

use crate::record::LogEntry;

/// At most this many events per PutLogEvents call.
pub const MAX_BATCH_EVENTS: usize = 10_000;
/// At most this many bytes per call, counting each message's UTF-8 bytes plus [`EVENT_OVERHEAD_BYTES`].
pub const MAX_BATCH_BYTES: usize = 1_048_576;
pub const EVENT_OVERHEAD_BYTES: usize = 26;
/// The events of one call may span at most 24 hours.
pub const MAX_BATCH_SPAN_MS: i64 = 24 * 60 * 60 * 1_000;

const MINUTE_MS: i64 = 60 * 1_000;
const DAY_MS: i64 = 24 * 60 * MINUTE_MS;
/// CloudWatch rejects events older than 14 days or more than 2 hours ahead. The margins keep an event that
/// is just inside the window now from falling out of it before the put arrives.
const OLDEST_ACCEPTED_MS: i64 = 14 * DAY_MS - 10 * MINUTE_MS;
const NEWEST_ACCEPTED_MS: i64 = 2 * 60 * MINUTE_MS - 10 * MINUTE_MS;

/// Whether CloudWatch accepts an event stamped `timestamp_ms` at `now_ms`.
pub fn is_accepted_time(timestamp_ms: i64, now_ms: i64) -> bool {
    timestamp_ms >= now_ms - OLDEST_ACCEPTED_MS && timestamp_ms <= now_ms + NEWEST_ACCEPTED_MS
}

/// Restamps at `now_ms` every entry CloudWatch would refuse for its time (keeping the original time in its
/// message), sorts them chronologically, and splits them into batches within every PutLogEvents limit.
pub fn prepare_batches(mut entries: Vec<LogEntry>, now_ms: i64) -> Vec<Vec<LogEntry>> {
    for entry in &mut entries {
        if !is_accepted_time(entry.timestamp_ms, now_ms) {
            entry.restamp(now_ms);
        }
    }
    // Stable, so events of one time keep their arrival order.
    entries.sort_by_key(|entry| entry.timestamp_ms);
    split_batches(entries)
}

/// Splits chronologically sorted entries into batches within the count, byte and span limits.
pub fn split_batches(entries: Vec<LogEntry>) -> Vec<Vec<LogEntry>> {
    let mut batches = Vec::new();
    let mut batch: Vec<LogEntry> = Vec::new();
    let mut batch_bytes = 0;
    for entry in entries {
        let entry_bytes = entry.message.len() + EVENT_OVERHEAD_BYTES;
        let full = batch.len() == MAX_BATCH_EVENTS
            || batch_bytes + entry_bytes > MAX_BATCH_BYTES
            || batch
                .first()
                .is_some_and(|first| entry.timestamp_ms - first.timestamp_ms > MAX_BATCH_SPAN_MS);
        if full && !batch.is_empty() {
            batches.push(std::mem::take(&mut batch));
            batch_bytes = 0;
        }
        batch_bytes += entry_bytes;
        batch.push(entry);
    }
    if !batch.is_empty() {
        batches.push(batch);
    }
    batches
}
