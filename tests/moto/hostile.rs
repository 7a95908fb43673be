//! Hostile input against moto: a bounce with fifty large recipients is written in batches within
//! CloudWatch's limits and stored whole. The other hostile-input tests are in tests/offline/hostile.rs.

use crate::support::Invoke;
use serde_json::{json, Value};
use ses_feedback_logger::log_events::LogFormat;
use ses_feedback_logger::pipeline::Pipeline;
use ses_feedback_logger::storage::batch::{EVENT_OVERHEAD_BYTES, MAX_BATCH_BYTES};
use ses_feedback_logger::storage::cloudwatch::CloudWatchSink;

use crate::support::{cloudwatch_client, moto_endpoint, read_stream, unique_name, RecordingProxy};

/// An SNS event whose single record carries `message` (any text).
fn sns_event(message: &str) -> String {
    json!({"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0",
        "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:ses-feedback:sub",
        "Sns": {"Type": "Notification", "MessageId": "6f4e3a1c-0000-4000-8000-000000000001",
                "TopicArn": "arn:aws:sns:us-east-1:123456789012:ses-feedback", "Subject": null,
                "Message": message, "Timestamp": "2026-11-20T10:15:31.000Z", "SignatureVersion": "1",
                "Signature": "x", "SigningCertUrl": "x", "UnsubscribeUrl": "x", "MessageAttributes": {}}}]})
    .to_string()
}

fn bounce(recipients: Vec<Value>) -> Value {
    json!({"notificationType": "Bounce",
           "bounce": {"bounceType": "Permanent", "bounceSubType": "General", "bouncedRecipients": recipients,
                      "timestamp": "2026-11-20T10:15:30.000Z"},
           "mail": {"messageId": "m-1", "source": "sender@example.com", "destination": []}})
}

#[tokio::test]
async fn fifty_recipients_with_10_kb_diagnostics_are_all_stored_within_batch_limits() {
    let recipients = (0..50)
        .map(|i| {
            json!({"emailAddress": format!("r{i}@example.com"), "status": "5.1.1",
                        "diagnosticCode": format!("{i}: {}", "x".repeat(10 * 1024))})
        })
        .collect();
    let proxy = RecordingProxy::start(&moto_endpoint()).await;
    let group = unique_name("/test/hostile");
    let sink = CloudWatchSink::new(cloudwatch_client(&proxy.url()).await, group.clone());
    Pipeline::new(sink, LogFormat::Json)
        .handle(&sns_event(&bounce(recipients).to_string()))
        .await
        .unwrap();
    for put in proxy
        .requests()
        .iter()
        .filter(|c| c.operation == "PutLogEvents")
    {
        let bytes: usize = put.json()["logEvents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["message"].as_str().unwrap().len() + EVENT_OVERHEAD_BYTES)
            .sum();
        assert!(bytes <= MAX_BATCH_BYTES, "{bytes}");
    }
    let stored = read_stream(&cloudwatch_client(&moto_endpoint()).await, &group, "Bounce").await;
    assert_eq!(stored.len(), 50);
}
