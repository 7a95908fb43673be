//! CloudWatch Logs' PutLogEvents rules, applied before a put: which times it accepts, and how events must be
//! ordered and split into batches.

use crate::storage::LogEvent;

/// At most this many events per PutLogEvents call.
pub(crate) const MAX_BATCH_EVENTS: usize = 10_000;
/// At most this many bytes per call, counting each message's UTF-8 bytes plus [`EVENT_OVERHEAD_BYTES`].
pub const MAX_BATCH_BYTES: usize = 1_048_576;
pub const EVENT_OVERHEAD_BYTES: usize = 26;
/// The events of one call may span at most 24 hours.
pub(crate) const MAX_BATCH_SPAN_MS: i64 = 24 * 60 * 60 * 1_000;

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
pub(crate) fn prepare_batches(mut entries: Vec<LogEvent>, now_ms: i64) -> Vec<Vec<LogEvent>> {
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
pub(crate) fn split_batches(entries: Vec<LogEvent>) -> Vec<Vec<LogEvent>> {
    let mut batches = Vec::new();
    let mut batch: Vec<LogEvent> = Vec::new();
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

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_169_730_000;
    const HOUR: i64 = 3_600_000;

    fn entry(timestamp_ms: i64, bytes: usize) -> LogEvent {
        LogEvent::new(timestamp_ms, "x".repeat(bytes))
    }

    #[test]
    fn accepts_times_within_fourteen_days_back_and_two_hours_ahead() {
        assert!(is_accepted_time(NOW, NOW));
        assert!(is_accepted_time(NOW - 13 * 24 * HOUR, NOW));
        assert!(is_accepted_time(NOW + HOUR, NOW));
        assert!(!is_accepted_time(NOW - 14 * 24 * HOUR, NOW));
        assert!(!is_accepted_time(NOW + 2 * HOUR, NOW));
    }

    #[test]
    fn refused_times_are_restamped_now_and_nothing_is_dropped() {
        let entries = vec![
            entry(NOW - 30 * 24 * HOUR, 1),
            entry(NOW - HOUR, 1),
            entry(NOW + 5 * HOUR, 1),
        ];
        let batches = prepare_batches(entries, NOW);
        let times: Vec<i64> = batches.concat().iter().map(|e| e.timestamp_ms).collect();
        assert_eq!(times, [NOW - HOUR, NOW, NOW]);
    }

    #[test]
    fn events_are_sorted_chronologically_and_stably() {
        let entries = vec![
            LogEvent::new(NOW, "b".into()),
            LogEvent::new(NOW - 5, "a".into()),
            LogEvent::new(NOW, "c".into()),
        ];
        let messages: Vec<String> = prepare_batches(entries, NOW)
            .concat()
            .into_iter()
            .map(|e| e.message)
            .collect();
        assert_eq!(messages, ["a", "b", "c"]);
    }

    #[test]
    fn splits_above_ten_thousand_events() {
        let batches = split_batches((0..25_001).map(|i| entry(NOW + i, 10)).collect());
        let sizes: Vec<usize> = batches.iter().map(Vec::len).collect();
        assert_eq!(sizes, [10_000, 10_000, 5_001]);
    }

    #[test]
    fn splits_to_stay_within_the_byte_limit_counting_26_per_event() {
        // Four events of 262,118 bytes fill 1,048,576 exactly (262,144 each with the overhead).
        let exact = split_batches((0..4).map(|i| entry(NOW + i, 262_118)).collect());
        assert_eq!(exact.len(), 1);
        let over = split_batches((0..4).map(|i| entry(NOW + i, 262_119)).collect());
        assert_eq!(over.iter().map(Vec::len).collect::<Vec<_>>(), [3, 1]);
        for batch in split_batches((0..100).map(|i| entry(NOW + i, 100_000)).collect()) {
            let bytes: usize = batch
                .iter()
                .map(|e| e.message.len() + EVENT_OVERHEAD_BYTES)
                .sum();
            assert!(bytes <= MAX_BATCH_BYTES);
        }
    }

    #[test]
    fn splits_batches_that_would_span_more_than_a_day() {
        let batches = split_batches(vec![
            entry(NOW - 13 * 24 * HOUR, 1),
            entry(NOW - 13 * 24 * HOUR + 24 * HOUR, 1),
            entry(NOW - 13 * 24 * HOUR + 24 * HOUR + 1, 1),
            entry(NOW, 1),
        ]);
        assert_eq!(batches.iter().map(Vec::len).collect::<Vec<_>>(), [2, 1, 1]);
    }

    #[test]
    fn nothing_in_nothing_out() {
        assert!(prepare_batches(Vec::new(), NOW).is_empty());
    }
}
