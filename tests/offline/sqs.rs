//! The SQS way in, over the recording fake: envelopes and raw bodies told apart, one write per stream per
//! batch, and `batchItemFailures` naming exactly the messages not stored.

use crate::support;

use std::collections::BTreeMap;

use serde_json::{json, Value};
use ses_feedback_logger::log_events::LogFormat;
use ses_feedback_logger::pipeline::{AccessPolicy, Pipeline, Response};
use support::RecordingSink;

const ENVELOPES: &str = include_str!("../../events/sqs-sns-envelopes.json");
const RAW: &str = include_str!("../../events/sqs-raw-delivery.json");

fn sqs_ids(event: &str) -> Vec<String> {
    let event: Value = serde_json::from_str(event).unwrap();
    event["Records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|record| record["messageId"].as_str().unwrap().to_owned())
        .collect()
}

fn failures(response: Response) -> Vec<String> {
    let Response::Sqs(response) = response else {
        panic!("an SQS event must get an SQS batch response");
    };
    response
        .batch_item_failures
        .into_iter()
        .map(|failure| failure.item_identifier)
        .collect()
}

fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|&(s, n)| (s.to_owned(), n)).collect()
}

#[tokio::test]
async fn a_batch_of_sns_envelopes_is_written_with_one_write_per_stream() {
    let handler = Pipeline::new(RecordingSink::default(), LogFormat::Json);
    let response = handler.invoke(ENVELOPES).await.0.unwrap();
    assert_eq!(failures(response), Vec::<String>::new());
    // bounce-notification (1) + bounce-event (2), complaint 1, delivery-event 1, the plain-text publish.
    assert_eq!(
        handler.sink().streams(),
        counts(&[
            ("Bounce", 3),
            ("Complaint", 1),
            ("Delivery", 1),
            ("Unrecognized", 1)
        ])
    );
    assert_eq!(handler.sink().writes.lock().unwrap().len(), 4);
    let bounce: Value = serde_json::from_str(&handler.sink().messages("Bounce")[0]).unwrap();
    assert_eq!(bounce["emailAddress"], "bob@example.org");
    // The SNS MessageId from the envelope in the body, not the SQS messageId.
    assert_eq!(
        bounce["snsMessageId"],
        "7bfe219b-a3ee-5399-bb8a-df1e28d3e9ea"
    );
    let kept: Value = serde_json::from_str(&handler.sink().messages("Unrecognized")[0]).unwrap();
    assert_eq!(
        kept["topicArn"],
        "arn:aws:sns:us-east-1:123456789012:ses-feedback"
    );
    assert_eq!(kept["message"], "Hello from a test publish: <not json>");
}

#[tokio::test]
async fn raw_delivery_bodies_are_the_notifications_themselves() {
    let handler = Pipeline::new(RecordingSink::default(), LogFormat::Json);
    let response = handler.invoke(RAW).await.0.unwrap();
    assert!(failures(response).is_empty());
    assert_eq!(
        handler.sink().streams(),
        counts(&[("Bounce", 2), ("Complaint", 1), ("Delivery", 2)])
    );
    let bounce: Value = serde_json::from_str(&handler.sink().messages("Bounce")[0]).unwrap();
    assert_eq!(bounce["emailAddress"], "dave@example.com");
    // No envelope: neither an SNS MessageId nor a topic is claimed.
    assert!(bounce.get("snsMessageId").is_none(), "{bounce}");
    assert!(bounce.get("topicArn").is_none(), "{bounce}");
}

#[tokio::test]
async fn exactly_the_messages_of_a_failed_stream_are_reported_as_batch_item_failures() {
    let handler = Pipeline::new(RecordingSink::failing("Bounce"), LogFormat::Json);
    let ids = sqs_ids(ENVELOPES);
    let response = handler.invoke(ENVELOPES).await.0.unwrap();
    // Records 1 (bounce notification) and 4 (bounce event) went to the failing stream.
    assert_eq!(failures(response), vec![ids[0].clone(), ids[3].clone()]);
    assert_eq!(
        handler.sink().streams(),
        counts(&[("Complaint", 1), ("Delivery", 1), ("Unrecognized", 1)])
    );

    // Lambda hands back only the failed ones; SQS may also redeliver the whole batch: either way the
    // messages already stored are not written again.
    let handler = Pipeline::new(RecordingSink::default(), LogFormat::Json);
    handler.invoke(ENVELOPES).await.0.unwrap();
    let response = handler.invoke(ENVELOPES).await.0.unwrap();
    assert!(failures(response).is_empty());
    assert_eq!(handler.sink().writes.lock().unwrap().len(), 4);
}

#[tokio::test]
async fn a_message_delivered_twice_in_one_batch_is_written_once() {
    let mut event: Value = serde_json::from_str(ENVELOPES).unwrap();
    let records = event["Records"].as_array_mut().unwrap();
    let mut again = records[0].clone();
    again["messageId"] = json!("another-sqs-message-id");
    records.push(again);
    let handler = Pipeline::new(RecordingSink::default(), LogFormat::Json);
    let response = handler.invoke(&event.to_string()).await.0.unwrap();
    assert!(failures(response).is_empty());
    assert_eq!(handler.sink().streams()["Bounce"], 3);
}

#[tokio::test]
async fn a_subscription_confirmation_in_the_queue_is_not_stored_and_not_a_failure() {
    let body = json!({
        "Type": "SubscriptionConfirmation",
        "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
        "Token": "2336412f37",
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:ses-feedback",
        "Message": "You have chosen to subscribe to the topic …",
        "SubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription",
        "Timestamp": "2026-11-20T10:00:00.000Z"
    });
    let event = json!({"Records": [{
        "messageId": "q-1", "body": body.to_string(), "eventSource": "aws:sqs"
    }]});
    let handler = Pipeline::new(RecordingSink::default(), LogFormat::Json);
    let (result, metrics) = handler.invoke(&event.to_string()).await;
    assert!(failures(result.unwrap()).is_empty());
    assert!(handler.sink().writes.lock().unwrap().is_empty());
    assert!(!metrics.is_empty());
}

#[tokio::test]
async fn envelopes_from_foreign_topics_are_refused_and_raw_bodies_are_not_asked_for_one() {
    let access = AccessPolicy {
        allowed_topic_arns: Some(vec!["arn:aws:sns:us-east-1:123456789012:other".into()]),
        allowed_sending_accounts: None,
    };
    let handler =
        Pipeline::new(RecordingSink::default(), LogFormat::Json).with_access_policy(access.clone());
    let response = handler.invoke(ENVELOPES).await.0.unwrap();
    assert!(failures(response).is_empty(), "refused is not failed");
    assert!(handler.sink().writes.lock().unwrap().is_empty());

    let handler =
        Pipeline::new(RecordingSink::default(), LogFormat::Json).with_access_policy(access);
    handler.invoke(RAW).await.0.unwrap();
    assert_eq!(handler.sink().streams().values().sum::<usize>(), 5);
}

#[tokio::test]
async fn the_response_is_the_shape_lambda_reads_for_partial_batch_failures() {
    let handler = Pipeline::new(RecordingSink::failing("Complaint"), LogFormat::Json);
    let response = handler.invoke(ENVELOPES).await.0.unwrap();
    assert_eq!(
        serde_json::to_value(&response).unwrap(),
        json!({"batchItemFailures": [{"itemIdentifier": sqs_ids(ENVELOPES)[1]}]})
    );
    let handler = Pipeline::new(RecordingSink::default(), LogFormat::Json);
    let response = handler.invoke(ENVELOPES).await.0.unwrap();
    assert_eq!(
        serde_json::to_value(&response).unwrap(),
        json!({"batchItemFailures": []})
    );
}

#[tokio::test]
async fn a_failed_message_without_an_sqs_id_fails_the_whole_batch() {
    let mut event: Value = serde_json::from_str(ENVELOPES).unwrap();
    event["Records"][0]
        .as_object_mut()
        .unwrap()
        .remove("messageId");
    let handler = Pipeline::new(RecordingSink::failing("Bounce"), LogFormat::Json);
    let error = handler.invoke(&event.to_string()).await.0.unwrap_err();
    assert_eq!(error.error_type(), "CloudWatchWriteFailed");
}

#[tokio::test]
async fn an_sns_event_through_invoke_still_answers_with_its_summary() {
    let handler = Pipeline::new(RecordingSink::default(), LogFormat::Json);
    let response = handler
        .invoke(include_str!("../../events/two-records.json"))
        .await
        .0
        .unwrap();
    let Response::Sns(summary) = response else {
        panic!("an SNS event gets its summary");
    };
    assert_eq!(summary.records, 2);
}
