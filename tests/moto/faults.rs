//! The fault matrix: the handler and the real CloudWatch writer against moto through a fault-injecting proxy,
//! with the production retry and timeout settings. For every fault, the addresses end up stored exactly once,
//! or the invocation fails and says why — never success with data missing.

use crate::support;
use crate::support::Invoke;

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_sdk_cloudwatchlogs::config::{Credentials, Region};
use serde_json::{json, Value};
use ses_feedback_logger::log_events::LogFormat;
use ses_feedback_logger::pipeline::{InvocationError, Pipeline};
use ses_feedback_logger::storage::cloudwatch::{retry_config, timeout_config, CloudWatchSink};
use ses_feedback_logger::storage::WriteError;
use support::{cloudwatch_client, moto_endpoint, read_stream, unique_name, Fault, RecordingProxy};

const BOUNCE: &str = include_str!("../../events/bounce-event.json");
const TWO_RECORDS: &str = include_str!("../../events/two-records.json");

/// The function's own client configuration, pointed at the proxy.
async fn production_client(endpoint: &str) -> aws_sdk_cloudwatchlogs::Client {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "faults"))
        .endpoint_url(endpoint)
        .retry_config(retry_config())
        .timeout_config(timeout_config())
        .load()
        .await;
    aws_sdk_cloudwatchlogs::Client::new(&config)
}

struct Setup {
    proxy: RecordingProxy,
    group: String,
    handler: Pipeline<CloudWatchSink>,
}

/// A handler (one execution environment) writing through a fresh proxy to a fresh group whose streams
/// already exist, so each put is the first call of its stream.
async fn setup() -> Setup {
    let proxy = RecordingProxy::start(&moto_endpoint()).await;
    let group = unique_name("/test/faults");
    let moto = cloudwatch_client(&moto_endpoint()).await;
    moto.create_log_group()
        .log_group_name(&group)
        .send()
        .await
        .unwrap();
    for stream in ["Bounce", "Complaint"] {
        moto.create_log_stream()
            .log_group_name(&group)
            .log_stream_name(stream)
            .send()
            .await
            .unwrap();
    }
    let handler = another_environment(&proxy, &group).await;
    Setup {
        proxy,
        group,
        handler,
    }
}

async fn another_environment(proxy: &RecordingProxy, group: &str) -> Pipeline<CloudWatchSink> {
    Pipeline::new(
        CloudWatchSink::new(production_client(&proxy.url()).await, group),
        LogFormat::Json,
    )
}

/// The addresses stored in `stream`, in order.
async fn stored(group: &str, stream: &str) -> Vec<String> {
    let moto = cloudwatch_client(&moto_endpoint()).await;
    read_stream(&moto, group, stream)
        .await
        .iter()
        .map(|(_, message)| {
            serde_json::from_str::<Value>(message).unwrap()["emailAddress"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

fn sorted(mut addresses: Vec<String>) -> Vec<String> {
    addresses.sort();
    addresses
}

#[tokio::test]
async fn a_throttling_burst_is_ridden_out_and_stored_once() {
    let s = setup().await;
    for _ in 0..3 {
        s.proxy.inject(
            "PutLogEvents",
            Fault::Status(400, "ThrottlingException", "Rate exceeded".into()),
        );
    }
    s.handler
        .handle(BOUNCE)
        .await
        .expect("a burst is ridden out within the invocation");
    assert_eq!(
        sorted(stored(&s.group, "Bounce").await),
        ["dave@example.com", "erin@example.org"]
    );
    assert_eq!(s.proxy.count("PutLogEvents"), 4);
}

#[tokio::test]
async fn server_errors_500_and_503_are_retried_and_stored_once() {
    let s = setup().await;
    s.proxy.inject(
        "PutLogEvents",
        Fault::Status(500, "InternalFailure", "oops".into()),
    );
    s.proxy.inject(
        "PutLogEvents",
        Fault::Status(503, "ServiceUnavailableException", "busy".into()),
    );
    s.handler.handle(BOUNCE).await.unwrap();
    assert_eq!(stored(&s.group, "Bounce").await.len(), 2);
    assert_eq!(s.proxy.forwarded_calls(), ["PutLogEvents"]);
}

#[tokio::test]
async fn a_lasting_outage_fails_the_invocation_and_the_retry_stores_once() {
    let s = setup().await;
    for _ in 0..5 {
        s.proxy.inject(
            "PutLogEvents",
            Fault::Status(503, "ServiceUnavailableException", "down".into()),
        );
    }
    let error = s.handler.handle(BOUNCE).await.unwrap_err();
    assert!(error.to_string().contains("ServiceUnavailable"), "{error}");
    assert!(stored(&s.group, "Bounce").await.is_empty());
    s.handler
        .handle(BOUNCE)
        .await
        .expect("Lambda's retry after the outage");
    assert_eq!(stored(&s.group, "Bounce").await.len(), 2);
}

#[tokio::test]
async fn a_dropped_connection_fails_the_invocation_and_the_retry_stores_once() {
    let s = setup().await;
    s.proxy.inject("PutLogEvents", Fault::Reset);
    let error = s.handler.handle(BOUNCE).await.unwrap_err();
    assert!(
        matches!(
            &error,
            InvocationError::WriteFailed {
                source: WriteError::Uncertain { .. },
                ..
            }
        ),
        "no answer, and not found stored: {error}"
    );
    assert!(stored(&s.group, "Bounce").await.is_empty());
    // The retry looks first (the put got no answer), finds nothing, and puts.
    s.handler.handle(BOUNCE).await.unwrap();
    assert_eq!(
        sorted(stored(&s.group, "Bounce").await),
        ["dave@example.com", "erin@example.org"]
    );
    assert_eq!(
        s.proxy.count("GetLogEvents"),
        2,
        "looked once after the drop and once before the retry"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_slower_than_the_timeout_is_not_written_twice() {
    let s = setup().await;
    // The put reaches moto after the 4 s attempt timeout: stored, but the function never hears so.
    s.proxy
        .inject("PutLogEvents", Fault::Delay(Duration::from_secs(6)));
    let error = s.handler.handle(BOUNCE).await.unwrap_err();
    assert!(error.to_string().contains("no answer"), "{error}");
    // Lambda retries about a minute later; by then the slow put has landed.
    tokio::time::timeout(Duration::from_secs(10), async {
        while !s
            .proxy
            .requests()
            .iter()
            .any(|call| call.operation == "PutLogEvents" && call.forwarded)
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the delayed put reached moto");
    s.handler
        .handle(BOUNCE)
        .await
        .expect("the retry finds the batch stored");
    assert_eq!(
        sorted(stored(&s.group, "Bounce").await),
        ["dave@example.com", "erin@example.org"]
    );
    assert_eq!(s.proxy.count("PutLogEvents"), 1, "never put a second time");
}

#[tokio::test]
async fn a_sequence_token_error_is_corrected_and_stored_once() {
    let s = setup().await;
    s.proxy.inject(
        "PutLogEvents",
        Fault::Reply(
            400,
            json!({"__type": "InvalidSequenceTokenException", "message": "bad token",
                   "expectedSequenceToken": "49612345678901234567890"}),
        ),
    );
    s.handler.handle(BOUNCE).await.unwrap();
    assert_eq!(stored(&s.group, "Bounce").await.len(), 2);
    let puts: Vec<Value> = s
        .proxy
        .requests()
        .iter()
        .filter(|c| c.operation == "PutLogEvents")
        .map(|c| c.json())
        .collect();
    assert_eq!(puts.len(), 2);
    assert_eq!(puts[1]["sequenceToken"], "49612345678901234567890");
}

#[tokio::test]
async fn already_accepted_on_a_retry_from_another_environment_is_not_written_again() {
    let s = setup().await;
    s.handler.handle(BOUNCE).await.unwrap();
    // Lambda runs the retry elsewhere, without this environment's memory; an endpoint that still tracks
    // sequence tokens answers that it has this batch.
    s.proxy.inject(
        "PutLogEvents",
        Fault::Reply(
            400,
            json!({"__type": "DataAlreadyAcceptedException", "message": "already accepted",
                   "expectedSequenceToken": "49612345678901234567891"}),
        ),
    );
    another_environment(&s.proxy, &s.group)
        .await
        .handle(BOUNCE)
        .await
        .unwrap();
    assert_eq!(stored(&s.group, "Bounce").await.len(), 2);
    assert_eq!(s.proxy.forwarded_calls(), ["PutLogEvents"]);
}

#[tokio::test]
async fn partially_rejected_events_are_sent_again_and_stored_once() {
    let s = setup().await;
    s.proxy.inject("PutLogEvents", Fault::RejectOldest(1));
    s.handler.handle(BOUNCE).await.unwrap();
    assert_eq!(
        sorted(stored(&s.group, "Bounce").await),
        ["dave@example.com", "erin@example.org"]
    );
    let puts: Vec<usize> = s
        .proxy
        .requests()
        .iter()
        .filter(|c| c.operation == "PutLogEvents")
        .map(|c| c.json()["logEvents"].as_array().unwrap().len())
        .collect();
    assert_eq!(puts, [2, 1], "the rejected event alone is sent again");
}

#[tokio::test]
async fn a_retry_after_a_partial_failure_does_not_rewrite_the_stream_that_succeeded() {
    let s = setup().await;
    for _ in 0..5 {
        s.proxy.inject_for_stream(
            "PutLogEvents",
            "Complaint",
            Fault::Status(503, "ServiceUnavailableException", "down".into()),
        );
    }
    let error = s.handler.handle(TWO_RECORDS).await.unwrap_err();
    assert!(error.to_string().contains("\"Complaint\""), "{error}");
    assert_eq!(stored(&s.group, "Bounce").await, ["yvonne@example.com"]);

    s.proxy.reset();
    let summary = s.handler.handle(TWO_RECORDS).await.expect("Lambda's retry");
    assert_eq!(
        summary.duplicates, 1,
        "the Bounce record was already stored"
    );
    assert_eq!(
        stored(&s.group, "Bounce").await,
        ["yvonne@example.com"],
        "not written twice"
    );
    assert_eq!(stored(&s.group, "Complaint").await, ["zoe@example.net"]);
    let streams: Vec<String> = s
        .proxy
        .requests()
        .iter()
        .map(|c| c.json()["logStreamName"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(streams, ["Complaint"]);
}

#[tokio::test]
async fn the_same_message_delivered_twice_to_a_warm_environment_is_written_once() {
    let s = setup().await;
    s.handler.handle(BOUNCE).await.unwrap();
    let again = s.handler.handle(BOUNCE).await.unwrap();
    assert_eq!((again.duplicates, again.written.len()), (1, 0));
    assert_eq!(stored(&s.group, "Bounce").await.len(), 2);
    assert_eq!(s.proxy.count("PutLogEvents"), 1);
}
