//! Replay: a mixed file of every shape, through the handler (recording fake). The built binary's replay
//! against moto is in tests/moto/replay.rs.

use crate::support;

use serde_json::Value;
use ses_feedback_logger::app::replay::{replay, ReplayReport};
use ses_feedback_logger::log_events::LogFormat;
use ses_feedback_logger::pipeline::Pipeline;
use support::events::replay_mixed_streams;
use support::RecordingSink;

const MIXED: &str = include_str!("../../events/replay-mixed.jsonl");

#[tokio::test]
async fn a_mixed_file_is_written_per_stream_and_unusable_lines_are_reported() {
    let handler = Pipeline::new(RecordingSink::default(), LogFormat::Json);
    let mut report = ReplayReport::default();
    replay(&handler, "mixed", MIXED.as_bytes(), &mut report)
        .await
        .unwrap();
    assert_eq!(report.lines, 9);
    assert_eq!(report.messages, 6);
    assert_eq!(report.written, replay_mixed_streams());
    assert_eq!(report.done_lines, vec![1, 2, 3, 4, 5, 6]);
    assert!(report.failed_lines.is_empty());
    let unusable: Vec<usize> = report.unusable_lines.iter().map(|u| u.line).collect();
    assert_eq!(unusable, vec![8, 9]);
    assert!(report.unusable_lines[0].reason.starts_with("not JSON"));
    assert!(report.unusable_lines[1].reason.contains("no known shape"));
    assert!(!report.is_complete());
    // One write per stream for the whole file.
    assert_eq!(handler.sink().writes.lock().unwrap().len(), 6);
    // The hard bounce SES labelled Transient keeps its real reason through the failure record.
    let bounce: Value = serde_json::from_str(&handler.sink().messages("Bounce")[0]).unwrap();
    assert_eq!(bounce["emailAddress"], "frank@example.net");
    assert_eq!(bounce["effectiveBounceType"], "Permanent");
}

#[tokio::test]
async fn lines_whose_stream_fails_are_reported_not_stored_and_a_second_pass_writes_only_them() {
    let handler = Pipeline::new(RecordingSink::failing("Send"), LogFormat::Json);
    let mut report = ReplayReport::default();
    replay(&handler, "mixed", MIXED.as_bytes(), &mut report)
        .await
        .unwrap();
    assert_eq!(report.failed_lines, vec![4]);
    assert_eq!(report.done_lines, vec![1, 2, 3, 5, 6]);
    assert!(!report.written.contains_key("Send"));

    // The same handler (one process) replaying the file again skips what it stored.
    let mut again = ReplayReport::default();
    replay(&handler, "mixed", MIXED.as_bytes(), &mut again)
        .await
        .unwrap();
    assert_eq!(again.duplicates, 5);
    assert_eq!(again.failed_lines, vec![4]);
}

#[tokio::test]
async fn a_large_replay_is_written_in_chunks_of_bounded_size() {
    let line = MIXED.lines().nth(5).unwrap(); // a bare Click notification, one recipient
    let lines = (0..2_500)
        .map(|i| line.replace("\"Click\"", &format!("\"Click\",\"replayCopy\":{i}")))
        .collect::<Vec<_>>()
        .join("\n");
    let handler = Pipeline::new(RecordingSink::default(), LogFormat::Json);
    let mut report = ReplayReport::default();
    replay(&handler, "large", lines.as_bytes(), &mut report)
        .await
        .unwrap();
    assert_eq!(report.written["Click"], 2_500);
    assert_eq!(report.done_lines.len(), 2_500);
    // 1,000 messages per chunk: three writes, not 2,500.
    assert_eq!(handler.sink().writes.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn eventbridge_events_replay_from_an_archive_the_rules_dead_letter_queue_or_a_failure_record()
{
    let text = include_str!("../../events/replay-eventbridge.jsonl");
    let handler = Pipeline::new(RecordingSink::default(), LogFormat::Json);
    let mut report = ReplayReport::default();
    replay(&handler, "eventbridge", text.as_bytes(), &mut report)
        .await
        .unwrap();
    assert_eq!((report.lines, report.messages), (5, 5));
    assert!(report.unusable_lines.is_empty() && report.failed_lines.is_empty());
    assert_eq!(
        report.written,
        std::collections::BTreeMap::from([
            ("AccountEvent", 1),
            ("Click", 1),
            ("Complaint", 1),
            ("Open", 1)
        ])
    );
    // Line 5 is line 1 delivered again: known by its event id.
    assert_eq!(report.duplicates, 1);
    // Line 2 is `aws sqs receive-message` output of the rule's dead-letter queue: the body is the event.
    let click: Value = serde_json::from_str(&handler.sink().messages("Click")[0]).unwrap();
    assert_eq!(click["emailAddress"], "juniper@example.com");
    assert_eq!(click["deliveryId"], "b7c3e0f2-5a1d-4c8e-9f60-000000000007");
}
