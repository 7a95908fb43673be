//! CloudWatch Logs API calls per 1,000 notifications, SNS → Lambda against SNS → SQS → Lambda: the release
//! binary through the local Lambda Runtime API, writing to moto through the recording proxy, which counts
//! every call. The same 1,000 notifications (the feedback fixtures in turn, each with its own MessageId) go
//! once as 1,000 SNS events and once as SQS batches of `BENCH_SQS_BATCH` (default 100, the template's
//! default batch size), each way into a new log group with a new process (cold start included).
//!
//! Needs moto: `make bench`, or `scripts/with-moto.sh cargo bench --bench api_calls`. Under `cargo test`
//! it does nothing.

// The benchmark uses part of the moto harness the tests share.
#[allow(dead_code, unused_imports)]
#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};
use support::{moto_endpoint, spawn_function, unique_name, RecordingProxy, RuntimeApi};

const NOTIFICATIONS: usize = 1_000;
const FIXTURES: [&str; 6] = [
    include_str!("../events/bounce-notification.json"),
    include_str!("../events/complaint-notification.json"),
    include_str!("../events/delivery-notification.json"),
    include_str!("../events/bounce-event.json"),
    include_str!("../events/delivery-event.json"),
    include_str!("../events/delivery-delay-event.json"),
];

fn main() {
    // cargo bench passes --bench to bench executables; cargo test does not.
    if !std::env::args().skip(1).any(|arg| arg == "--bench") {
        println!("api_calls benchmark: skipped (not run by `cargo bench`); run `make bench`");
        return;
    }
    let batch = std::env::var("BENCH_SQS_BATCH")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100usize);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(run(batch));
}

/// The `Sns` objects of 1,000 notifications, each with its own MessageId.
fn notifications() -> Vec<Value> {
    (0..NOTIFICATIONS)
        .map(|i| {
            let event: Value = serde_json::from_str(FIXTURES[i % FIXTURES.len()]).unwrap();
            let mut sns = event["Records"][0]["Sns"].clone();
            sns["MessageId"] = json!(format!("00000000-0000-4000-8000-{i:012}"));
            sns
        })
        .collect()
}

fn sns_event(sns: &Value) -> String {
    json!({"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0",
        "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:ses-feedback:1", "Sns": sns}]})
    .to_string()
}

fn sqs_event(batch: &[Value], first: usize) -> String {
    let records: Vec<Value> = batch
        .iter()
        .enumerate()
        .map(|(i, sns)| {
            let envelope = json!({
                "Type": "Notification", "MessageId": sns["MessageId"], "TopicArn": sns["TopicArn"],
                "Subject": sns["Subject"], "Message": sns["Message"], "Timestamp": sns["Timestamp"],
            });
            json!({"messageId": format!("sqs-{}", first + i), "body": envelope.to_string(),
                "attributes": {"SentTimestamp": "1795169735000"}, "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:ses-feedback-queue"})
        })
        .collect();
    json!({ "Records": records }).to_string()
}

/// Sends `events` to a new function process writing to a new group; the calls it made, by operation.
async fn calls_for(events: &[String]) -> (usize, BTreeMap<String, usize>) {
    let proxy = RecordingProxy::start(&moto_endpoint()).await;
    let api = RuntimeApi::start().await;
    let group = unique_name("/bench/api-calls");
    let endpoint = proxy.url();
    let _function = spawn_function(
        &api.addr(),
        &[
            ("AWS_ENDPOINT_URL", endpoint.as_str()),
            ("LOG_GROUP_NAME", group.as_str()),
        ],
    );
    for event in events {
        let outcome = tokio::time::timeout(Duration::from_secs(60), api.invoke(event.clone()))
            .await
            .expect("the function answered");
        let response = outcome.expect_response();
        assert!(
            !response.contains("itemIdentifier"),
            "a message was not stored: {response}"
        );
    }
    let mut by_operation = BTreeMap::new();
    for call in proxy.calls() {
        *by_operation.entry(call).or_insert(0) += 1;
    }
    (events.len(), by_operation)
}

fn row(way: &str, (invocations, calls): &(usize, BTreeMap<String, usize>)) {
    let total: usize = calls.values().sum();
    let detail: Vec<String> = calls.iter().map(|(op, n)| format!("{op} {n}")).collect();
    println!(
        "| {way} | {invocations} | {total} | {} |",
        detail.join(", ")
    );
}

async fn run(batch: usize) {
    let notifications = notifications();
    let sns: Vec<String> = notifications.iter().map(sns_event).collect();
    let sqs: Vec<String> = notifications
        .chunks(batch)
        .enumerate()
        .map(|(i, chunk)| sqs_event(chunk, i * batch))
        .collect();
    let sns_calls = calls_for(&sns).await;
    let sqs_calls = calls_for(&sqs).await;
    println!();
    println!("CloudWatch Logs API calls per {NOTIFICATIONS} notifications (6 feedback kinds in turn, 4 streams; new group, cold start included)");
    println!();
    println!("| Way in | Invocations | API calls | By operation |");
    println!("|---|---|---|---|");
    row("SNS → Lambda (one notification per invocation)", &sns_calls);
    row(
        &format!("SNS → SQS → Lambda (batches of {batch})"),
        &sqs_calls,
    );
}
