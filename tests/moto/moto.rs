//! The CloudWatch writer and the handler against moto server on the real wire protocol, through a recording
//! proxy that counts the API calls. Run by `make test` (scripts/with-moto.sh starts moto).

use crate::support;
use crate::support::Invoke;

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;
use ses_feedback_logger::log_events::LogFormat;
use ses_feedback_logger::pipeline::Pipeline;
use ses_feedback_logger::storage::cloudwatch::CloudWatchSink;
use ses_feedback_logger::storage::LogEvent;
use ses_feedback_logger::storage::LogSink;
use support::{
    cloudwatch_client, moto_endpoint, read_stream, stream_names, unique_name, RecordingProxy,
};

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../../events/", $name))
    };
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// The same notifications as new SNS messages (fresh MessageIds), so the handler's redelivery memory does not
/// skip them.
fn redelivered_as_new(fixture: &str) -> String {
    let mut event: Value = serde_json::from_str(fixture).unwrap();
    for record in event["Records"].as_array_mut().unwrap() {
        let id = record["Sns"]["MessageId"].as_str().unwrap().to_owned();
        record["Sns"]["MessageId"] = format!("{id}-new").into();
    }
    event.to_string()
}

/// A handler writing to a fresh log group on moto through a recording proxy.
async fn handler(format: LogFormat) -> (Pipeline<CloudWatchSink>, RecordingProxy, String) {
    let proxy = RecordingProxy::start(&moto_endpoint()).await;
    let group = unique_name("/test/ses-feedback");
    let sink = CloudWatchSink::new(cloudwatch_client(&proxy.url()).await, group.clone());
    (Pipeline::new(sink, format), proxy, group)
}

#[tokio::test]
async fn group_and_streams_are_created_on_demand_and_read_back() {
    let (handler, _proxy, group) = handler(LogFormat::Json).await;
    handler.handle(fixture!("two-records.json")).await.unwrap();
    handler
        .handle(fixture!("bounce-notification.json"))
        .await
        .unwrap();

    let moto = cloudwatch_client(&moto_endpoint()).await;
    assert_eq!(stream_names(&moto, &group).await, ["Bounce", "Complaint"]);
    let bounces: Vec<Value> = read_stream(&moto, &group, "Bounce")
        .await
        .iter()
        .map(|(_, m)| serde_json::from_str(m).unwrap())
        .collect();
    let addresses: Vec<&str> = bounces
        .iter()
        .map(|b| b["emailAddress"].as_str().unwrap())
        .collect();
    assert_eq!(addresses.len(), 2);
    assert!(addresses.contains(&"yvonne@example.com") && addresses.contains(&"bob@example.org"));
    let complaints = read_stream(&moto, &group, "Complaint").await;
    assert_eq!(complaints.len(), 1);
    assert!(complaints[0]
        .1
        .contains("\"emailAddress\":\"zoe@example.net\""));
}

#[tokio::test]
async fn a_warm_invocation_makes_exactly_one_put_per_stream_and_nothing_else() {
    let (handler, proxy, _group) = handler(LogFormat::Json).await;
    handler.handle(fixture!("two-records.json")).await.unwrap();
    let cold = proxy.calls();
    assert_eq!(
        cold.iter().filter(|c| *c == "PutLogEvents").count(),
        4,
        "{cold:?}"
    );
    assert_eq!(
        cold.iter().filter(|c| *c == "CreateLogStream").count(),
        4,
        "{cold:?}"
    );
    assert!(
        (1..=2).contains(&cold.iter().filter(|c| *c == "CreateLogGroup").count()),
        "{cold:?}"
    );
    assert!(!cold.iter().any(|c| c.starts_with("Describe")), "{cold:?}");

    proxy.reset();
    handler
        .handle(&redelivered_as_new(fixture!("two-records.json")))
        .await
        .unwrap();
    assert_eq!(proxy.calls(), ["PutLogEvents", "PutLogEvents"]);
}

#[tokio::test]
async fn an_existing_stream_is_written_without_creating_anything() {
    let (handler, proxy, group) = handler(LogFormat::Json).await;
    let moto = cloudwatch_client(&moto_endpoint()).await;
    moto.create_log_group()
        .log_group_name(&group)
        .send()
        .await
        .unwrap();
    moto.create_log_stream()
        .log_group_name(&group)
        .log_stream_name("Bounce")
        .send()
        .await
        .unwrap();
    handler.handle(fixture!("bounce-event.json")).await.unwrap();
    assert_eq!(proxy.calls(), ["PutLogEvents"]);
    assert_eq!(read_stream(&moto, &group, "Bounce").await.len(), 2);
}

#[tokio::test]
async fn old_feedback_is_restamped_now_and_keeps_its_own_time_in_the_message() {
    let proxy = RecordingProxy::start(&moto_endpoint()).await;
    let group = unique_name("/test/ses-feedback");
    let sink = CloudWatchSink::new(cloudwatch_client(&proxy.url()).await, group.clone());
    let thirty_days_ago = now_ms() - 30 * 86_400_000;
    let before = now_ms();
    sink.write(
        "Bounce",
        vec![
            LogEvent::new(thirty_days_ago, "{\"timestamp\":\"old\"}".into()),
            LogEvent::new(now_ms() - 60_000, "{\"timestamp\":\"recent\"}".into()),
        ],
    )
    .await
    .unwrap();
    let stored = read_stream(&cloudwatch_client(&moto_endpoint()).await, &group, "Bounce").await;
    assert_eq!(stored.len(), 2, "nothing dropped");
    let old = stored.iter().find(|(_, m)| m.contains("old")).unwrap();
    assert!(old.0 >= before, "restamped to now");
    let recent = stored.iter().find(|(_, m)| m.contains("recent")).unwrap();
    assert!(recent.0 < before, "an accepted time is kept");
}

#[tokio::test]
async fn plain_format_restamps_with_the_original_time_appended() {
    let (handler, _proxy, group) = handler(LogFormat::Plain).await;
    // The fixtures' feedback is from November 2026; depending on today it is within or beyond 14 days.
    handler
        .handle(fixture!("bounce-notification.json"))
        .await
        .unwrap();
    let stored = read_stream(&cloudwatch_client(&moto_endpoint()).await, &group, "Bounce").await;
    assert_eq!(stored.len(), 1);
    let feedback_ms = 1_795_169_730_000;
    if ses_feedback_logger::storage::batch::is_accepted_time(feedback_ms, now_ms()) {
        assert_eq!(stored[0], (feedback_ms, "bob@example.org".to_owned()));
    } else {
        assert_eq!(
            stored[0].1,
            "bob@example.org timestamp=2026-11-20T10:15:30.000Z"
        );
    }
}

#[tokio::test]
async fn more_than_ten_thousand_events_are_split_into_batches_and_all_stored() {
    let proxy = RecordingProxy::start(&moto_endpoint()).await;
    let group = unique_name("/test/ses-feedback");
    let sink = CloudWatchSink::new(cloudwatch_client(&proxy.url()).await, group.clone());
    let start = now_ms() - 600_000;
    let entries: Vec<LogEvent> = (0..10_050)
        .map(|i| LogEvent::new(start + i / 100, format!("event-{i}")))
        .collect();
    sink.write("Send", entries).await.unwrap();
    let puts: Vec<usize> = proxy
        .requests()
        .iter()
        .filter(|call| call.operation == "PutLogEvents" && call.forwarded)
        .map(|call| call.json()["logEvents"].as_array().unwrap().len())
        .collect();
    // The first put finds no stream; after creating it, the 10,050 events go in two batches.
    assert_eq!(puts, [10_000, 10_000, 50]);
    let stored = read_stream(&cloudwatch_client(&moto_endpoint()).await, &group, "Send").await;
    assert_eq!(stored.len(), 10_050);
}
