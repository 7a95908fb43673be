//! Hostile and odd input: nothing SES or SNS can send crashes the function or is lost. Each item of the
//! list in the reliability issue has its test here (the `:`/`*` type name and the empty Records list are in
//! tests/offline/handler.rs; the fifty large recipients written to moto, in tests/moto/hostile.rs).

use crate::support;
use crate::support::Invoke;

use serde_json::{json, Value};
use ses_feedback_logger::feedback::EventType;
use ses_feedback_logger::log_events::{LogFormat, MAX_MESSAGE_BYTES};
use ses_feedback_logger::pipeline::Pipeline;
use support::events::{bounce, sns_event, sns_events};
use support::RecordingSink;

/// The SES message of every SNS record in `events/` that is feedback of a type the function knows
/// (`notificationType` or `eventType` naming one): what SES really sends, to be made hostile.
fn ses_messages() -> Vec<Value> {
    let mut messages = Vec::new();
    for fixture in sns_events() {
        let event: Value = serde_json::from_str(&fixture.text).unwrap();
        for record in event["Records"].as_array().unwrap() {
            let Ok(message) =
                serde_json::from_str::<Value>(record["Sns"]["Message"].as_str().unwrap())
            else {
                continue;
            };
            let kind = message.get("notificationType").or(message.get("eventType"));
            if kind
                .and_then(Value::as_str)
                .and_then(EventType::from_name)
                .is_some()
            {
                messages.push(message);
            }
        }
    }
    messages
}

/// Handles `message` with a fresh recording handler; returns every stored event and its stream.
async fn handle(message: &str) -> Vec<(String, String)> {
    let handler = Pipeline::new(RecordingSink::default(), LogFormat::Json);
    handler
        .handle(&sns_event(message))
        .await
        .expect("handled without failing");
    let writes = handler.sink().writes.lock().unwrap();
    writes
        .iter()
        .flat_map(|(stream, entries)| entries.iter().map(|e| (stream.clone(), e.message.clone())))
        .collect()
}

#[tokio::test]
async fn a_256_kb_message_is_stored_within_the_event_limit() {
    // SNS's maximum message size, mostly one diagnostic code full of characters JSON must escape.
    let diagnostic = "\u{1}\"é".repeat(256 * 1024 / 5);
    let message = bounce(vec![
        json!({"emailAddress": "big@example.com", "diagnosticCode": diagnostic}),
    ])
    .to_string();
    assert!(message.len() >= 250 * 1024);
    let stored = handle(&message).await;
    assert_eq!(stored.len(), 1);
    let (stream, event) = &stored[0];
    assert_eq!(stream, "Bounce");
    assert!(event.len() <= MAX_MESSAGE_BYTES);
    let event: Value = serde_json::from_str(event).unwrap();
    assert_eq!(event["emailAddress"], "big@example.com");
    // Escapes in the SES JSON take at least as many bytes as they do in ours, so a message SNS accepts
    // always fits one event whole (truncation is for the 1 MB limit, tested in src/log_events/mod.rs).
    assert_eq!(event["diagnosticCode"].as_str().unwrap(), diagnostic);
}

#[tokio::test]
async fn deeply_nested_json_is_kept_in_unrecognized() {
    let nested = format!(
        r#"{{"notificationType":"Bounce","bounce":{}1{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let stored = handle(&nested).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].0, "Unrecognized");
}

/// Every string in `value`, replaced by what `change` makes of it.
fn map_strings(value: &mut Value, change: &dyn Fn(&str) -> String) {
    match value {
        Value::String(text) => *text = change(text),
        Value::Array(items) => items.iter_mut().for_each(|item| map_strings(item, change)),
        Value::Object(fields) => fields
            .values_mut()
            .for_each(|item| map_strings(item, change)),
        _ => {}
    }
}

#[tokio::test]
async fn control_characters_and_non_ascii_in_every_string_field_survive() {
    const NASTY: &str = "\u{0}\u{7}\u{1b}[31m\u{7f}\"\\\r\n\té日本語😀\u{202e}";
    for mut message in ses_messages() {
        let kind = message
            .get("notificationType")
            .or(message.get("eventType"))
            .unwrap()
            .clone();
        map_strings(&mut message, &|text| format!("{NASTY}{text}{NASTY}"));
        // The type names themselves must stay readable for the message to be feedback.
        for key in ["notificationType", "eventType"] {
            if message.get(key).is_some() {
                message[key] = kind.clone();
            }
        }
        let stored = handle(&message.to_string()).await;
        assert!(!stored.is_empty());
        for (stream, event) in stored {
            assert_eq!(stream, kind.as_str().unwrap());
            let event: Value = serde_json::from_str(&event).expect("valid JSON");
            let address = event["emailAddress"].as_str().unwrap();
            assert!(
                address.contains("日本語😀") && address.contains('\u{0}'),
                "{address:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_display_name_address_is_stored_bare() {
    let message = bounce(vec![
        json!({"emailAddress": "\"Jane Doe\" <jane@example.com>"}),
    ])
    .to_string();
    let stored = handle(&message).await;
    let event: Value = serde_json::from_str(&stored[0].1).unwrap();
    assert_eq!(event["emailAddress"], "jane@example.com");
}

/// Every path to a value inside `value`.
fn paths(value: &Value, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let children: Vec<(String, &Value)> = match value {
        Value::Object(fields) => fields.iter().map(|(k, v)| (k.clone(), v)).collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
        _ => return,
    };
    for (key, child) in children {
        prefix.push(key);
        out.push(prefix.clone());
        paths(child, prefix, out);
        prefix.pop();
    }
}

fn at<'a>(value: &'a mut Value, path: &[String]) -> (&'a mut Value, String) {
    let (last, parents) = path.split_last().unwrap();
    let mut parent = value;
    for key in parents {
        parent = match parent {
            Value::Array(items) => &mut items[key.parse::<usize>().unwrap()],
            other => &mut other[key.as_str()],
        };
    }
    (parent, last.clone())
}

/// What happens to one field: removed (`None`) or replaced.
type Mutation = fn(&Value) -> Option<Value>;

#[tokio::test]
async fn a_missing_or_wrong_typed_field_anywhere_never_fails_and_loses_nothing() {
    let mut cases = 0;
    for original in ses_messages() {
        let mut all = Vec::new();
        paths(&original, &mut Vec::new(), &mut all);
        for path in all {
            let mutations: [Mutation; 5] = [
                |_| None,
                |v| {
                    Some(if v.is_string() {
                        json!(42)
                    } else {
                        json!("text")
                    })
                },
                |_| Some(json!({"unexpected": ["object"]})),
                |_| Some(json!([1, "two", null])),
                |_| Some(Value::Null),
            ];
            for mutate in mutations {
                let mut message = original.clone();
                let (parent, key) = at(&mut message, &path);
                match parent {
                    Value::Array(items) => {
                        let index: usize = key.parse().unwrap();
                        match mutate(&items[index]) {
                            Some(new) => items[index] = new,
                            None => {
                                items.remove(index);
                            }
                        }
                    }
                    Value::Object(fields) => match mutate(&fields[&key]) {
                        Some(new) => {
                            fields.insert(key, new);
                        }
                        None => {
                            fields.remove(&key);
                        }
                    },
                    _ => unreachable!(),
                }
                let stored = handle(&message.to_string()).await;
                assert!(
                    !stored.is_empty(),
                    "nothing stored for {path:?} in {message}"
                );
                for (stream, event) in &stored {
                    assert!(
                        serde_json::from_str::<Value>(event).is_ok(),
                        "{stream}: {event}"
                    );
                }
                cases += 1;
            }
        }
    }
    assert!(cases > 1_000, "{cases} mutations tried");
}
