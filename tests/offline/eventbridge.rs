//! EventBridge, the fourth way in: every sample EventBridge event through the handler over a recording fake.
//! An SES email event's `detail` is stored exactly as the same record delivered by SNS (only the delivery ids
//! differ), redeliveries are known by the event id, account-level events are kept whole in their own stream,
//! other sources in `Unrecognized`, and the sending-account allow-list applies to the event's `account`.

use crate::support;

use std::collections::BTreeMap;

use serde_json::Value;
use ses_feedback_logger::feedback::EventType;
use ses_feedback_logger::log_events::{Formatting, LogFormat};
use ses_feedback_logger::operations::suppression::SuppressMode;
use ses_feedback_logger::pipeline::{AccessPolicy, Pipeline, Response, Summary};
use ses_feedback_logger::sources::eventbridge::{EMAIL_DETAIL_TYPES, SES_SOURCE};
use ses_feedback_logger::storage::LogSink;
use support::events::{eventbridge_events, sns_event};
use support::RecordingSink;

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../../events/", $name))
    };
}

const ACCOUNT_EVENT: &str = fixture!("eventbridge-sending-status-disabled.json");

async fn summary<S: LogSink>(handler: &Pipeline<S>, payload: &str) -> Summary {
    match handler.invoke(payload).await.0 {
        Ok(Response::EventBridge(summary)) => summary,
        other => panic!("not an EventBridge event's answer: {other:?}"),
    }
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("JSON")
}

/// The SES email events among the samples: (file name, event).
fn email_events() -> Vec<(String, Value)> {
    eventbridge_events()
        .into_iter()
        .map(|file| (file.name, json(&file.text)))
        .filter(|(_, event)| {
            event["source"] == SES_SOURCE
                && EMAIL_DETAIL_TYPES.contains(&event["detail-type"].as_str().unwrap())
        })
        .collect()
}

/// A stored log event without the ids of its delivery, which differ between ways in.
fn without_delivery_ids(message: &str) -> Value {
    let mut event = json(message);
    let object = event.as_object_mut().expect("a JSON log event");
    object.remove("snsMessageId");
    object.remove("deliveryId");
    event
}

#[test]
fn there_is_a_sample_for_every_email_detail_type_and_an_account_level_event() {
    let mut detail_types: Vec<String> = email_events()
        .iter()
        .map(|(_, event)| event["detail-type"].as_str().unwrap().to_owned())
        .collect();
    detail_types.sort();
    let mut expected: Vec<String> = EMAIL_DETAIL_TYPES.iter().map(|t| t.to_string()).collect();
    expected.sort();
    assert_eq!(detail_types, expected);
    let account = json(ACCOUNT_EVENT);
    assert_eq!(account["source"], SES_SOURCE);
    assert!(account["detail"].get("mail").is_none());
}

#[tokio::test]
async fn each_email_detail_type_lands_in_the_stream_of_its_event_type() {
    for (name, event) in email_events() {
        let handler = Pipeline::new(RecordingSink::default(), LogFormat::Json);
        let summary = summary(&handler, &event.to_string()).await;
        let detail_type = event["detail-type"].as_str().unwrap();
        let position = EMAIL_DETAIL_TYPES
            .iter()
            .position(|t| *t == detail_type)
            .unwrap();
        let stream = EventType::ALL[position].name();
        assert_eq!(
            event["detail"]["eventType"], stream,
            "{name}: the detail-type and the record's eventType agree"
        );
        assert_eq!(
            summary.written.keys().copied().collect::<Vec<_>>(),
            [stream],
            "{name}"
        );
        assert_eq!(summary.records, 1, "{name}");
    }
}

#[tokio::test]
async fn the_detail_is_stored_exactly_as_the_same_record_delivered_by_sns() {
    for (name, event) in email_events() {
        for formatting in [
            Formatting::from(LogFormat::Json),
            Formatting {
                layout: LogFormat::Json,
                address_hasher: Some(
                    ses_feedback_logger::log_events::privacy::AddressHasher::new(b"k").unwrap(),
                ),
            },
        ] {
            let by_eventbridge = Pipeline::new(RecordingSink::default(), formatting.clone())
                .with_suppression(
                    support::RecordingSuppressor::default(),
                    SuppressMode::HardAndComplaints,
                );
            let by_sns = Pipeline::new(RecordingSink::default(), formatting).with_suppression(
                support::RecordingSuppressor::default(),
                SuppressMode::HardAndComplaints,
            );
            let (eventbridge_result, eventbridge_metrics) =
                by_eventbridge.invoke(&event.to_string()).await;
            let (sns_result, sns_metrics) = by_sns
                .invoke(&sns_event(&event["detail"].to_string()))
                .await;
            assert!(eventbridge_result.is_ok() && sns_result.is_ok(), "{name}");
            assert_eq!(eventbridge_metrics, sns_metrics, "{name}: the same counts");
            assert_eq!(
                *by_eventbridge.suppressor().calls.lock().unwrap(),
                *by_sns.suppressor().calls.lock().unwrap(),
                "{name}: the same suppressions"
            );
            let stored = |sink: &RecordingSink| -> Vec<(String, i64, Value)> {
                sink.writes
                    .lock()
                    .unwrap()
                    .iter()
                    .flat_map(|(stream, events)| {
                        events.iter().map(move |e| {
                            (
                                stream.clone(),
                                e.timestamp_ms,
                                without_delivery_ids(&e.message),
                            )
                        })
                    })
                    .collect()
            };
            let eventbridge_stored = stored(by_eventbridge.sink());
            assert!(!eventbridge_stored.is_empty(), "{name}");
            assert_eq!(eventbridge_stored, stored(by_sns.sink()), "{name}");
        }
    }
}

#[tokio::test]
async fn the_event_id_is_the_delivery_id_and_a_redelivery_is_a_duplicate() {
    let handler = Pipeline::new(RecordingSink::default(), LogFormat::Json);
    let event = fixture!("eventbridge-bounce.json");
    let first = summary(&handler, event).await;
    assert_eq!(first.written, BTreeMap::from([("Bounce", 2)]));
    let again = summary(&handler, event).await;
    assert_eq!((again.duplicates, again.written.len()), (1, 0));
    for message in handler.sink().messages("Bounce") {
        let stored = json(&message);
        assert_eq!(stored["deliveryId"], json(event)["id"]);
        assert!(stored.get("snsMessageId").is_none(), "no SNS, no SNS id");
    }
    // Another event with the same record but its own id is another delivery.
    let mut other = json(event);
    other["id"] = "b7c3e0f2-5a1d-4c8e-9f60-0000000000ff".into();
    assert_eq!(summary(&handler, &other.to_string()).await.duplicates, 0);
}

#[tokio::test]
async fn an_account_level_event_is_kept_whole_in_its_own_stream_and_counted() {
    let handler = Pipeline::new(RecordingSink::default(), LogFormat::Json);
    let (result, metrics) = handler.invoke(ACCOUNT_EVENT).await;
    let Ok(Response::EventBridge(summary)) = result else {
        panic!("{result:?}");
    };
    assert_eq!(summary.account_events, 1);
    assert_eq!(summary.unrecognized, 0);
    assert_eq!(summary.written, BTreeMap::from([("AccountEvent", 1)]));
    assert_eq!(metrics.account_events(), 1);
    // Whole, as it came, on one line (the sample is pretty-printed).
    let stored = handler.sink().messages("AccountEvent");
    assert_eq!(stored.len(), 1);
    assert_eq!(json(&stored[0]), json(ACCOUNT_EVENT));
    assert!(!stored[0].contains('\n'), "{}", stored[0]);
    let writes = handler.sink().writes.lock().unwrap();
    // Filed at the event's time (2026-11-20T22:10:05Z).
    assert_eq!(writes[0].1[0].timestamp_ms, 1_795_212_605_000);
}

#[tokio::test]
async fn an_event_from_another_source_is_kept_whole_in_unrecognized() {
    let handler = Pipeline::new(RecordingSink::default(), LogFormat::Json);
    let text = fixture!("eventbridge-other-source.json");
    let summary = summary(&handler, text).await;
    assert_eq!((summary.unrecognized, summary.account_events), (1, 0));
    let stored = json(&handler.sink().messages("Unrecognized")[0]);
    assert_eq!(stored["message"], text);
    assert_eq!(stored["deliveryId"], json(text)["id"]);
    assert!(stored["reason"].as_str().unwrap().contains("aws.ec2"));
}

#[tokio::test]
async fn an_ses_email_event_whose_detail_is_not_an_ses_record_is_unrecognized() {
    let handler = Pipeline::new(RecordingSink::default(), LogFormat::Json);
    let mut event = json(fixture!("eventbridge-bounce.json"));
    event["detail"] = serde_json::json!({"note": "not a record"});
    let summary = summary(&handler, &event.to_string()).await;
    assert_eq!(summary.unrecognized, 1);
    assert_eq!(summary.written, BTreeMap::from([("Unrecognized", 1)]));
}

#[tokio::test]
async fn the_sending_account_allow_list_applies_to_the_events_account() {
    let allow = |accounts: &[&str]| AccessPolicy {
        allowed_topic_arns: Some(vec!["arn:aws:sns:us-east-1:123456789012:other".to_owned()]),
        allowed_sending_accounts: Some(accounts.iter().map(|a| a.to_string()).collect()),
    };
    // The topic allow-list names no EventBridge event: it does not refuse one.
    let allowed = Pipeline::new(RecordingSink::default(), LogFormat::Json)
        .with_access_policy(allow(&["123456789012"]));
    for event in [fixture!("eventbridge-bounce.json"), ACCOUNT_EVENT] {
        let summary = summary(&allowed, event).await;
        assert_eq!(summary.refused, 0);
        assert!(summary.written.values().sum::<u64>() > 0);
    }
    let refused = Pipeline::new(RecordingSink::default(), LogFormat::Json)
        .with_access_policy(allow(&["999999999999"]));
    for event in [
        fixture!("eventbridge-bounce.json"),
        ACCOUNT_EVENT,
        fixture!("eventbridge-other-source.json"),
    ] {
        let summary = summary(&refused, event).await;
        assert_eq!((summary.refused, summary.written.len()), (1, 0));
    }
    // An event that names no account is refused while an allow-list is set.
    let mut anonymous = json(ACCOUNT_EVENT);
    anonymous.as_object_mut().unwrap().remove("account");
    anonymous["id"] = "b7c3e0f2-5a1d-4c8e-9f60-0000000000fe".into();
    let summary = summary(&allowed, &anonymous.to_string()).await;
    assert_eq!(summary.refused, 1);
}

#[tokio::test]
async fn an_eventbridge_event_in_an_sqs_body_is_read_as_the_event() {
    // A rule may target a queue, and its dead-letter queue holds events as bodies: both can feed the function.
    let event = fixture!("eventbridge-complaint.json");
    let sqs = serde_json::json!({"Records": [{"messageId": "q-1", "body": event, "eventSource": "aws:sqs",
        "attributes": {"SentTimestamp": "1795200000000"}}]});
    let handler = Pipeline::new(RecordingSink::default(), LogFormat::Json);
    let (result, metrics) = handler.invoke(&sqs.to_string()).await;
    assert!(
        matches!(result, Ok(Response::Sqs(ref r)) if r.batch_item_failures.is_empty()),
        "{result:?}"
    );
    assert_eq!(metrics.events().get("Complaint"), Some(&1));
    let stored = json(&handler.sink().messages("Complaint")[0]);
    assert_eq!(
        stored["deliveryId"],
        json(event)["id"],
        "known by the event id, not the queue's"
    );
}

#[tokio::test]
async fn odd_eventbridge_events_are_kept_or_refused_clearly_never_quoting_an_address() {
    let handler = Pipeline::new(RecordingSink::default(), LogFormat::Json);
    let base = json(fixture!("eventbridge-bounce.json"));
    let odd = |key: &str, value: Value| {
        let mut event = base.clone();
        event[key] = value;
        event.to_string()
    };
    // Read and stored somewhere (Unrecognized, or the feedback streams).
    for (i, payload) in [
        odd("detail", "bob@example.com".into()),
        odd("detail", serde_json::json!(["bob@example.com"])),
        odd("source", "aws.ses.fake".into()),
        odd("detail-type", "Something New".into()),
    ]
    .into_iter()
    .enumerate()
    {
        let mut event = json(&payload);
        event["id"] = format!("odd-{i}").into();
        let summary = summary(&handler, &event.to_string()).await;
        assert_eq!(summary.records, 1, "{payload}");
        assert!(summary.written.values().sum::<u64>() >= 1, "{payload}");
    }
    // Not an event EventBridge can send (its envelope fields are its own, `detail` always an object): an
    // invalid event, retried by Lambda twice and then kept in the failure queue, never quoting the payload.
    for payload in [
        odd("detail", Value::Null),
        odd("detail-type", serde_json::json!({"bob": "bob@example.com"})),
        odd("source", 7.into()),
        odd("time", "bob@example.com".into()),
    ] {
        let (result, _) = handler.invoke(&payload).await;
        let error = result.expect_err(&payload);
        assert_eq!(error.error_type(), "InvalidEvent");
        assert!(!error.to_string().contains("bob@"), "{error}");
    }
}
