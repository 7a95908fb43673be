//! The sample events in `events/`, found by listing the folder: a new file is covered by every test that
//! takes its kind of event, without anyone adding it to a list.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// One file of `events/`.
pub struct EventFile {
    /// The file name, e.g. `bounce-notification.json`.
    pub name: String,
    pub text: String,
}

/// The `events/` folder (found from the manifest, so the tests run from any working directory).
fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("events")
}

/// Every event file (`*.json`, `*.jsonl`; not the README), sorted by name.
pub fn event_paths() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(events_dir())
        .expect("events/ is readable")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| {
            matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("json" | "jsonl")
            )
        })
        .collect();
    files.sort();
    files
}

/// The SNS → Lambda events: the files whose JSON is `{"Records": [...]}` with an `Sns` object in every
/// record (not the SQS events, whose records have a `body`, nor the replay lines).
pub fn sns_events() -> Vec<EventFile> {
    event_files_where(|json| {
        json.get("Records")
            .and_then(Value::as_array)
            .is_some_and(|records| {
                !records.is_empty() && records.iter().all(|r| r["Sns"].is_object())
            })
    })
}

/// The EventBridge events: the files whose JSON has `detail-type`, `source` and `detail` (what a rule hands
/// the function).
pub fn eventbridge_events() -> Vec<EventFile> {
    event_files_where(|json| {
        ["detail-type", "source", "detail"]
            .iter()
            .all(|key| json.get(key).is_some())
    })
}

/// The files of events/ that are one JSON document for which `wanted` holds.
fn event_files_where(wanted: impl Fn(&Value) -> bool) -> Vec<EventFile> {
    event_paths()
        .into_iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let json: Value = serde_json::from_str(&text).ok()?;
            wanted(&json).then(|| EventFile {
                name: path
                    .file_name()
                    .expect("a file name")
                    .to_string_lossy()
                    .into_owned(),
                text,
            })
        })
        .collect()
}

/// An SNS event whose single record carries `message` (any text).
pub fn sns_event(message: &str) -> String {
    serde_json::json!({"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0",
        "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:ses-feedback:sub",
        "Sns": {"Type": "Notification", "MessageId": "6f4e3a1c-0000-4000-8000-000000000001",
                "TopicArn": "arn:aws:sns:us-east-1:123456789012:ses-feedback", "Subject": null,
                "Message": message, "Timestamp": "2026-11-20T10:15:31.000Z", "SignatureVersion": "1",
                "Signature": "x", "SigningCertUrl": "x", "UnsubscribeUrl": "x", "MessageAttributes": {}}}]})
    .to_string()
}

/// A Permanent bounce notification of `recipients` (`bouncedRecipients` entries).
pub fn bounce(recipients: Vec<Value>) -> Value {
    serde_json::json!({"notificationType": "Bounce",
           "bounce": {"bounceType": "Permanent", "bounceSubType": "General", "bouncedRecipients": recipients,
                      "timestamp": "2026-11-20T10:15:30.000Z"},
           "mail": {"messageId": "m-1", "source": "sender@example.com", "destination": []}})
}

/// What `events/replay-mixed.jsonl` stores (events/README.md), log events per stream: six usable lines, one
/// per shape, one blank line, and two lines that cannot be used.
pub fn replay_mixed_streams() -> std::collections::BTreeMap<&'static str, u64> {
    std::collections::BTreeMap::from([
        ("Bounce", 1),
        ("Click", 1),
        ("Complaint", 1),
        ("DeliveryDelay", 1),
        ("Open", 1),
        ("Send", 2),
    ])
}
