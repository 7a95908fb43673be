//! Load: several execution environments (processes of the built binary) serving invocations concurrently
//! through the Lambda Runtime API against moto; every address must be stored exactly once.
//!
//! CI size: 4 environments × 250 invocations × 3 recipients. `make soak` runs it longer
//! (LOAD_ENVIRONMENTS, LOAD_INVOCATIONS, LOAD_RECIPIENTS).

use crate::support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::{json, Value};
use support::{
    cloudwatch_client, moto_endpoint, read_stream, spawn_function, unique_name, RecordingProxy,
    RuntimeApi,
};

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// An SNS event carrying one bounce for `recipients` distinct addresses.
fn bounce_event(invocation: usize, recipients: usize) -> String {
    let bounced: Vec<Value> = (0..recipients)
        .map(|r| json!({"emailAddress": format!("user{invocation}-{r}@load.example.com"), "action": "failed",
                        "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown"}))
        .collect();
    let message = json!({
        "notificationType": "Bounce",
        "bounce": {"bounceType": "Permanent", "bounceSubType": "General", "bouncedRecipients": bounced,
                   "timestamp": "2026-11-20T10:15:30.000Z", "feedbackId": format!("feedback-{invocation}")},
        "mail": {"timestamp": "2026-11-20T10:15:28.000Z", "messageId": format!("ses-{invocation}"),
                 "source": "sender@example.com", "sendingAccountId": "123456789012", "destination": []}
    });
    json!({"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0",
        "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:ses-feedback:sub",
        "Sns": {"Type": "Notification", "MessageId": format!("00000000-0000-0000-0000-{invocation:012}"),
                "TopicArn": "arn:aws:sns:us-east-1:123456789012:ses-feedback", "Subject": null,
                "Message": message.to_string(), "Timestamp": "2026-11-20T10:15:31.000Z",
                "SignatureVersion": "1", "Signature": "x", "SigningCertUrl": "x", "UnsubscribeUrl": "x",
                "MessageAttributes": {}}}]})
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_environments_store_every_address_exactly_once() {
    let environments = setting("LOAD_ENVIRONMENTS", 4);
    let invocations = setting("LOAD_INVOCATIONS", 1_000);
    let recipients = setting("LOAD_RECIPIENTS", 3);

    let proxy = RecordingProxy::start(&moto_endpoint()).await;
    let api = RuntimeApi::start().await;
    let group = unique_name("/test/load");
    let processes: Vec<_> = (0..environments)
        .map(|_| {
            spawn_function(
                &api.addr(),
                &[
                    ("AWS_ENDPOINT_URL", &proxy.url()),
                    ("LOG_GROUP_NAME", &group),
                ],
            )
        })
        .collect();

    let started = Instant::now();
    let outcomes = join_all((0..invocations).map(|i| {
        let event = bounce_event(i, recipients);
        let api = &api;
        async move { tokio::time::timeout(Duration::from_secs(120), api.invoke(event)).await }
    }))
    .await;
    let elapsed = started.elapsed();
    for outcome in outcomes {
        outcome.expect("answered in time").expect_response();
    }

    let stored = read_stream(&cloudwatch_client(&moto_endpoint()).await, &group, "Bounce").await;
    let mut copies: HashMap<String, usize> = HashMap::new();
    for (_, message) in &stored {
        let event: Value = serde_json::from_str(message).unwrap();
        *copies
            .entry(event["emailAddress"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    assert_eq!(
        copies.len(),
        invocations * recipients,
        "every address stored"
    );
    assert!(copies.values().all(|n| *n == 1), "no address stored twice");
    let puts = proxy.count("PutLogEvents");
    println!(
        "load: {environments} environments, {invocations} invocations x {recipients} recipients: {} events stored \
         exactly once in {:.2} s ({:.0} invocations/s); {puts} PutLogEvents, {} CreateLogStream, {} CreateLogGroup",
        stored.len(),
        elapsed.as_secs_f64(),
        invocations as f64 / elapsed.as_secs_f64(),
        proxy.count("CreateLogStream"),
        proxy.count("CreateLogGroup"),
    );
    assert!(puts >= invocations, "one put per invocation at least");
    // Each environment creates at most once: the stream, the group it found missing, the stream again.
    assert!(proxy.count("CreateLogGroup") <= environments);
    assert!(proxy.count("CreateLogStream") <= 2 * environments);
    drop(processes);
}
