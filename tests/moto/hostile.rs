//! Hostile input against moto: a bounce with fifty large recipients is written in batches within
//! CloudWatch's limits and stored whole. The other hostile-input tests are in tests/offline/hostile.rs.

use crate::support::Invoke;
use serde_json::json;
use ses_feedback_logger::log_events::LogFormat;
use ses_feedback_logger::pipeline::Pipeline;
use ses_feedback_logger::storage::batch::{EVENT_OVERHEAD_BYTES, MAX_BATCH_BYTES};
use ses_feedback_logger::storage::cloudwatch::CloudWatchSink;

use crate::support::events::{bounce, sns_event};
use crate::support::{cloudwatch_client, moto_endpoint, read_stream, unique_name, RecordingProxy};

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
