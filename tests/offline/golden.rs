//! Golden output: every file in `events/` through the handler, compared with what it produced when the
//! expected files in `tests/golden/` were written. Covers the stored log events (per stream, in order, in
//! the JSON, plain and hashed layouts), the function's responses (first delivery and redelivery), the
//! suppressions chosen and the metrics documents. Times that come from the clock are replaced by `<now>`.
//!
//! `UPDATE_GOLDEN=1 cargo test --test offline golden::` rewrites the expected files; review the diff before committing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use ses_feedback_logger::app::replay::{replay, ReplayReport};
use ses_feedback_logger::log_events::privacy::AddressHasher;
use ses_feedback_logger::log_events::{Formatting, LogFormat};
use ses_feedback_logger::operations::suppression::SuppressMode;
use ses_feedback_logger::pipeline::{AccessPolicy, Pipeline};

use crate::support;
use support::events::event_paths;
use support::{RecordingSink, RecordingSuppressor};

const NAMESPACE: &str = "SesFeedbackLogger";
const HASH_KEY: &[u8] = b"golden-test-key";

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Replaces what came from the clock: a time at or after `since_ms`, as milliseconds or as RFC 3339 text.
struct Clock {
    since_ms: i64,
}

impl Clock {
    fn millis(&self, millis: i64) -> Value {
        if millis >= self.since_ms {
            json!("<now>")
        } else {
            json!(millis)
        }
    }

    fn text(&self, text: &str) -> String {
        // RFC 3339 with milliseconds, as the function writes times: 2026-11-20T10:15:30.000Z (24 bytes).
        const LEN: usize = 24;
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(at) = rest.find(|c: char| c.is_ascii_digit()) {
            let (before, from) = rest.split_at(at);
            out.push_str(before);
            let candidate = from.get(..LEN).filter(|c| c.ends_with('Z'));
            let now = candidate
                .and_then(|c| chrono::DateTime::parse_from_rfc3339(c).ok())
                .filter(|time| time.timestamp_millis() >= self.since_ms);
            if now.is_some() {
                out.push_str("<now>");
                rest = &from[LEN..];
            } else {
                let digit_len = from.chars().next().map_or(1, char::len_utf8);
                out.push_str(&from[..digit_len]);
                rest = &from[digit_len..];
            }
        }
        out.push_str(rest);
        out
    }

    fn value(&self, value: Value) -> Value {
        match value {
            Value::String(text) => Value::String(self.text(&text)),
            Value::Array(items) => Value::Array(items.into_iter().map(|v| self.value(v)).collect()),
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(key, value)| (key, self.value(value)))
                    .collect(),
            ),
            other => other,
        }
    }
}

/// What the sink received, write by write: the stream and its events (time, message).
fn writes(sink: &RecordingSink, clock: &Clock) -> Value {
    let writes = sink.writes.lock().unwrap();
    Value::Array(
        writes
            .iter()
            .map(|(stream, entries)| {
                json!({
                    "stream": stream,
                    "events": entries
                        .iter()
                        .map(|entry| json!({
                            "timestamp": clock.millis(entry.timestamp_ms),
                            "message": clock.text(&entry.message),
                        }))
                        .collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

fn handler(formatting: Formatting) -> Pipeline<RecordingSink, RecordingSuppressor> {
    Pipeline::new(RecordingSink::default(), formatting)
        .with_access_policy(AccessPolicy::default())
        .with_suppression(
            RecordingSuppressor::default(),
            SuppressMode::HardAndComplaints,
        )
}

fn json_layout() -> Formatting {
    LogFormat::Json.into()
}

fn hashed_layout() -> Formatting {
    Formatting {
        layout: LogFormat::Json,
        address_hasher: Some(AddressHasher::new(HASH_KEY).expect("a key")),
    }
}

/// The addresses the suppressor was asked to suppress, with why.
fn suppressed(suppressor: &RecordingSuppressor) -> Vec<Value> {
    let calls = suppressor.calls.lock().unwrap();
    calls
        .iter()
        .map(|(address, reason)| json!([address, format!("{reason:?}")]))
        .collect()
}

/// One Lambda event through a fresh handler, delivered twice: what is stored, answered, suppressed, counted.
async fn lambda_outcome(payload: &str, formatting: Formatting, clock: &Clock) -> Value {
    let handler = handler(formatting);
    let mut responses = Vec::new();
    let mut metrics = Vec::new();
    for _delivery in 0..2 {
        let (result, measured) = handler.invoke(payload).await;
        responses.push(match result {
            Ok(response) => json!({"ok": serde_json::to_value(&response).unwrap()}),
            Err(error) => json!({"error": error.error_type(), "message": error.to_string()}),
        });
        // As printed, to the byte; the time is fixed at 0.
        metrics.push(measured.emf_lines(NAMESPACE, 0));
    }
    let suppressed = suppressed(handler.suppressor());
    clock.value(json!({
        "responses": responses,
        "writes": writes(handler.sink(), clock),
        "suppressed": suppressed,
        "metrics": metrics,
    }))
}

/// A file of replay lines through a fresh handler.
async fn replay_outcome(text: &str, formatting: Formatting, clock: &Clock) -> Value {
    let handler = handler(formatting);
    let mut report = ReplayReport::default();
    replay(&handler, "golden", text.as_bytes(), &mut report)
        .await
        .expect("reading from memory");
    let suppressed = suppressed(handler.suppressor());
    clock.value(json!({
        "report": serde_json::to_value(&report).unwrap(),
        "writes": writes(handler.sink(), clock),
        "suppressed": suppressed,
    }))
}

async fn outcome(path: &Path, clock: &Clock) -> Value {
    let text = std::fs::read_to_string(path).expect("fixture is readable");
    let mut layouts = BTreeMap::new();
    for (name, formatting) in [
        ("json", json_layout()),
        ("plain", LogFormat::Plain.into()),
        ("hashed", hashed_layout()),
    ] {
        let outcome = if path.extension().is_some_and(|e| e == "jsonl") {
            replay_outcome(&text, formatting, clock).await
        } else {
            lambda_outcome(&text, formatting, clock).await
        };
        layouts.insert(name, outcome);
    }
    serde_json::to_value(layouts).unwrap()
}

fn golden_path(fixture: &Path) -> PathBuf {
    let name = fixture.file_name().unwrap().to_str().unwrap();
    golden_dir().join(format!("{name}.golden.json"))
}

#[tokio::test]
async fn every_event_file_stores_and_answers_exactly_as_recorded() {
    let clock = Clock {
        since_ms: chrono::Utc::now().timestamp_millis() - 1_000,
    };
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut mismatches = Vec::new();
    for fixture in event_paths() {
        let actual = outcome(&fixture, &clock).await;
        let actual = serde_json::to_string_pretty(&actual).unwrap() + "\n";
        let golden = golden_path(&fixture);
        if update {
            std::fs::create_dir_all(golden_dir()).unwrap();
            std::fs::write(&golden, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&golden).unwrap_or_else(|_| {
            panic!(
                "{} has no expected output {}: run UPDATE_GOLDEN=1 cargo test --test offline golden::",
                fixture.display(),
                golden.display()
            )
        });
        if actual != expected {
            let first_difference = actual
                .lines()
                .zip(expected.lines())
                .position(|(a, e)| a != e)
                .unwrap_or(actual.lines().count().min(expected.lines().count()));
            mismatches.push(format!(
                "{}: differs from {} at line {}:\n  actual:   {}\n  expected: {}",
                fixture.display(),
                golden.display(),
                first_difference + 1,
                actual.lines().nth(first_difference).unwrap_or("(end)"),
                expected.lines().nth(first_difference).unwrap_or("(end)"),
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn every_expected_file_belongs_to_an_event_file() {
    let fixtures: Vec<PathBuf> = event_paths().iter().map(|f| golden_path(f)).collect();
    for entry in std::fs::read_dir(golden_dir()).expect("tests/golden/ exists") {
        let path = entry.unwrap().path();
        assert!(
            fixtures.contains(&path),
            "{} has no event file in events/: remove it",
            path.display()
        );
    }
}

#[test]
fn the_clock_normaliser_replaces_only_recent_times() {
    let clock = Clock {
        since_ms: 1_795_169_730_000, // 2026-11-20T10:15:30.000Z
    };
    assert_eq!(
        clock.text(r#"{"a":"2026-11-20T10:15:29.999Z","b":"2026-11-20T10:15:30.000Z","c":"x 1"}"#),
        r#"{"a":"2026-11-20T10:15:29.999Z","b":"<now>","c":"x 1"}"#
    );
    assert_eq!(
        clock.millis(1_795_169_729_999),
        json!(1_795_169_729_999_i64)
    );
    assert_eq!(clock.millis(1_795_169_730_000), json!("<now>"));
}
