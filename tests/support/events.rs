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
    event_paths()
        .into_iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let json: Value = serde_json::from_str(&text).ok()?;
            let records = json.get("Records")?.as_array()?;
            let sns = !records.is_empty() && records.iter().all(|r| r["Sns"].is_object());
            sns.then(|| EventFile {
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
