//! The handler over a small recording fake of the CloudWatch seam: which streams get which events, what
//! fails the invocation and what does not.

use crate::support;
use crate::support::Invoke;

use std::collections::BTreeMap;
use std::time::Duration;

use lambda_runtime::Diagnostic;
use ses_feedback_logger::log_events::privacy::AddressHasher;
use ses_feedback_logger::log_events::{Formatting, LogFormat};
use ses_feedback_logger::pipeline::{AccessPolicy, InvocationError, Pipeline, REMEMBERED_MESSAGES};
use support::events::sns_events;
use support::RecordingSink;
use tokio::sync::Barrier;

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../../events/", $name))
    };
}

#[tokio::test]
async fn every_fixture_lands_in_its_stream_one_event_per_recipient() {
    let handler = Pipeline::new(RecordingSink::default(), LogFormat::Json);
    for fixture in sns_events() {
        handler.handle(&fixture.text).await.expect(&fixture.name);
    }
    let expected: BTreeMap<String, usize> = [
        ("Bounce", 5),
        ("Click", 1),
        ("Complaint", 3),
        ("Delivery", 3),
        ("DeliveryDelay", 1),
        ("Open", 1),
        ("Reject", 1),
        ("Rendering Failure", 1),
        ("Send", 2),
        ("Subscription", 1),
        ("Unrecognized", 2),
    ]
    .into_iter()
    .map(|(s, n)| (s.to_owned(), n))
    .collect();
    assert_eq!(handler.sink().streams(), expected);
}

#[tokio::test]
async fn two_records_are_both_written_and_summarised() {
    let handler = Pipeline::new(RecordingSink::default(), LogFormat::Json);
    let summary = handler.handle(fixture!("two-records.json")).await.unwrap();
    assert_eq!(summary.records, 2);
    assert_eq!(
        summary.written,
        BTreeMap::from([("Bounce", 1), ("Complaint", 1)])
    );
    assert_eq!(
        handler.sink().writes.lock().unwrap().len(),
        2,
        "one write per stream"
    );
    let response = serde_json::to_value(&summary).unwrap();
    assert_eq!(response["written"]["Bounce"], 1);
    assert!(
        !response.to_string().contains('@'),
        "the response carries no address"
    );
}

#[tokio::test]
async fn one_write_per_stream_for_several_records_of_the_same_type() {
    let bounce: serde_json::Value = serde_json::from_str(fixture!("bounce-event.json")).unwrap();
    let record = bounce["Records"][0].clone();
    let mut second = record.clone();
    second["Sns"]["MessageId"] = "aaaaaaaa-0000-0000-0000-000000000002".into();
    let event = serde_json::json!({ "Records": [record, second] }).to_string();
    let handler = Pipeline::new(RecordingSink::default(), LogFormat::Json);
    handler.handle(&event).await.unwrap();
    let writes = handler.sink().writes.lock().unwrap();
    assert_eq!(writes.len(), 1);
    assert_eq!(writes[0].1.len(), 4);
}

#[tokio::test]
async fn setup_messages_succeed_without_writing() {
    let handler = Pipeline::new(RecordingSink::default(), LogFormat::Json);
    for fixture in [
        fixture!("subscription-succeeded.json"),
        fixture!("event-destination-validated.json"),
    ] {
        let summary = handler.handle(fixture).await.unwrap();
        assert_eq!(summary.setup_messages, 1);
    }
    assert!(handler.sink().writes.lock().unwrap().is_empty());
}

#[tokio::test]
async fn unrecognized_messages_succeed_and_are_kept_verbatim() {
    let handler = Pipeline::new(RecordingSink::default(), LogFormat::Plain);
    let summary = handler.handle(fixture!("not-json.json")).await.unwrap();
    assert_eq!(summary.unrecognized, 1);
    let kept: serde_json::Value =
        serde_json::from_str(&handler.sink().messages("Unrecognized")[0]).unwrap();
    assert_eq!(kept["message"], "Hello from a test publish: <not json>");
}

#[tokio::test]
async fn a_type_name_with_colon_or_star_never_becomes_a_stream() {
    let message = r#"{"eventType":"Bounce:*","mail":{"destination":["a@example.com"]}}"#;
    let event = serde_json::json!({"Records": [{
        "EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": "arn:aws:sns:us-east-1:1:t:s",
        "Sns": {"Type": "Notification", "MessageId": "m", "TopicArn": "arn:aws:sns:us-east-1:1:t", "Subject": null,
                "Message": message, "Timestamp": "2026-11-20T10:15:31.123Z", "SignatureVersion": "1",
                "Signature": "s", "SigningCertUrl": "u", "UnsubscribeUrl": "u", "MessageAttributes": {}}}]});
    let handler = Pipeline::new(RecordingSink::default(), LogFormat::Json);
    handler.handle(&event.to_string()).await.unwrap();
    assert_eq!(
        handler.sink().streams().into_keys().collect::<Vec<_>>(),
        ["Unrecognized"]
    );
}

#[tokio::test]
async fn an_empty_records_list_succeeds_with_nothing_written() {
    let handler = Pipeline::new(RecordingSink::default(), LogFormat::Json);
    let summary = handler.handle(r#"{"Records":[]}"#).await.unwrap();
    assert_eq!(summary.records, 0);
    assert!(handler.sink().writes.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_payload_that_is_not_an_sns_event_fails_clearly_and_the_handler_serves_on() {
    let handler = Pipeline::new(RecordingSink::default(), LogFormat::Json);
    for payload in [
        r#"{"hello":"bob@example.com"}"#,
        "[]",
        r#"{"Records":[{"Sns":"bob@example.com"}]}"#,
    ] {
        let error = handler.handle(payload).await.unwrap_err();
        assert!(matches!(error, InvocationError::UnsupportedEvent(_)));
        let diagnostic = Diagnostic::from(error);
        assert_eq!(diagnostic.error_type, "InvalidEvent");
        assert!(diagnostic
            .error_message
            .starts_with("the event is not an SNS event"));
        assert!(
            !diagnostic.error_message.contains("bob@"),
            "{}",
            diagnostic.error_message
        );
    }
    handler
        .handle(fixture!("bounce-notification.json"))
        .await
        .expect("next event still served");
}

#[tokio::test]
async fn a_failed_stream_fails_the_invocation_after_writing_the_others() {
    let handler = Pipeline::new(RecordingSink::failing("Complaint"), LogFormat::Json);
    let error = handler
        .handle(fixture!("two-records.json"))
        .await
        .unwrap_err();
    assert_eq!(
        handler.sink().streams(),
        BTreeMap::from([("Bounce".to_owned(), 1)])
    );
    let message = error.to_string();
    assert!(
        message.contains("1 of 2 streams") && message.contains("\"Complaint\""),
        "{message}"
    );
    assert_eq!(Diagnostic::from(error).error_type, "CloudWatchWriteFailed");
}

#[tokio::test]
async fn streams_of_one_invocation_are_written_concurrently() {
    // Each write waits until both have started: written one after the other, they would never finish.
    let sink = RecordingSink {
        barrier: Some(Barrier::new(2)),
        ..Default::default()
    };
    let handler = Pipeline::new(sink, LogFormat::Json).with_write_deadline(Duration::from_secs(5));
    handler
        .handle(fixture!("two-records.json"))
        .await
        .expect("both streams written together");
}

#[tokio::test]
async fn a_write_that_outlasts_the_deadline_fails_the_invocation() {
    // A barrier for three parties with only one stream to write never opens: the sink hangs.
    let sink = RecordingSink {
        barrier: Some(Barrier::new(3)),
        ..Default::default()
    };
    let handler =
        Pipeline::new(sink, LogFormat::Json).with_write_deadline(Duration::from_millis(50));
    let error = handler
        .handle(fixture!("bounce-notification.json"))
        .await
        .unwrap_err();
    assert!(matches!(error, InvocationError::WriteTimedOut(_)));
    assert_eq!(
        Diagnostic::from(error).error_type,
        "CloudWatchWriteTimedOut"
    );
}

fn with_topic_and_account(fixture: &str, topic: &str, account: Option<&str>) -> String {
    let mut event: serde_json::Value = serde_json::from_str(fixture).unwrap();
    for record in event["Records"].as_array_mut().unwrap() {
        record["Sns"]["TopicArn"] = topic.into();
        let mut message: serde_json::Value =
            serde_json::from_str(record["Sns"]["Message"].as_str().unwrap()).unwrap();
        match account {
            Some(account) => message["mail"]["sendingAccountId"] = account.into(),
            None => {
                message["mail"]
                    .as_object_mut()
                    .unwrap()
                    .remove("sendingAccountId");
            }
        }
        record["Sns"]["Message"] = message.to_string().into();
    }
    event.to_string()
}

const OUR_TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:ses-feedback";

fn guarded_handler() -> Pipeline<RecordingSink> {
    Pipeline::new(RecordingSink::default(), LogFormat::Json).with_access_policy(AccessPolicy {
        allowed_topic_arns: Some(vec![OUR_TOPIC.to_owned()]),
        allowed_sending_accounts: Some(vec!["123456789012".to_owned()]),
    })
}

#[tokio::test]
async fn records_from_a_topic_not_allowed_are_refused_and_counted() {
    let handler = guarded_handler();
    let foreign = with_topic_and_account(
        fixture!("bounce-notification.json"),
        "arn:aws:sns:us-east-1:999999999999:someone-else",
        Some("123456789012"),
    );
    let summary = handler.handle(&foreign).await.unwrap();
    assert_eq!((summary.refused, summary.written.len()), (1, 0));
    let ours = with_topic_and_account(
        fixture!("bounce-notification.json"),
        OUR_TOPIC,
        Some("123456789012"),
    );
    assert_eq!(
        handler.handle(&ours).await.unwrap().written,
        BTreeMap::from([("Bounce", 1)])
    );
    // Unusable messages from a foreign topic are not kept either: nobody else may fill our streams.
    let foreign_text =
        fixture!("not-json.json").replace(OUR_TOPIC, "arn:aws:sns:us-east-1:999999999999:x");
    assert_eq!(handler.handle(&foreign_text).await.unwrap().refused, 1);
    assert_eq!(
        handler.sink().streams(),
        BTreeMap::from([("Bounce".to_owned(), 1)])
    );
}

#[tokio::test]
async fn feedback_about_mail_another_account_sent_is_refused() {
    let handler = guarded_handler();
    for account in [Some("210987654321"), None] {
        let event = with_topic_and_account(fixture!("two-records.json"), OUR_TOPIC, account);
        let summary = handler.handle(&event).await.unwrap();
        assert_eq!(summary.refused, 2, "{account:?}");
    }
    assert!(handler.sink().writes.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_message_id_repeated_within_one_event_is_written_once() {
    let record: serde_json::Value =
        serde_json::from_str(fixture!("bounce-notification.json")).unwrap();
    let twice =
        serde_json::json!({"Records": [record["Records"][0], record["Records"][0]]}).to_string();
    let handler = Pipeline::new(RecordingSink::default(), LogFormat::Json);
    let summary = handler.handle(&twice).await.unwrap();
    assert_eq!((summary.duplicates, summary.written["Bounce"]), (1, 1));
}

#[tokio::test]
async fn the_redelivery_memory_is_bounded() {
    let handler = Pipeline::new(RecordingSink::default(), LogFormat::Plain);
    let template: serde_json::Value = serde_json::from_str(fixture!("send-event.json")).unwrap();
    let event = |n: usize| {
        let mut event = template.clone();
        event["Records"][0]["Sns"]["MessageId"] = format!("message-{n}").into();
        event.to_string()
    };
    for n in 0..=REMEMBERED_MESSAGES {
        handler.handle(&event(n)).await.unwrap();
    }
    // The newest are remembered; the very first has been forgotten to keep memory bounded.
    assert_eq!(
        handler
            .handle(&event(REMEMBERED_MESSAGES))
            .await
            .unwrap()
            .duplicates,
        1
    );
    assert_eq!(handler.handle(&event(0)).await.unwrap().duplicates, 0);
}

#[tokio::test]
async fn hashed_addresses_are_hmac_of_the_lowercased_address_with_the_domain_kept() {
    let formatting = Formatting {
        layout: LogFormat::Json,
        address_hasher: Some(AddressHasher::new(b"k3y").unwrap()),
    };
    let handler = Pipeline::new(RecordingSink::default(), formatting);
    handler.handle(fixture!("bounce-event.json")).await.unwrap();
    let expected = support::hmac_sha256_hex(b"k3y", "erin@example.org");
    let messages = handler.sink().messages("Bounce");
    let erin: serde_json::Value = serde_json::from_str(&messages[1]).unwrap();
    assert_eq!(erin["emailAddress"], expected.as_str());
    assert_eq!(erin["recipientDomain"], "example.org");
    assert!(
        erin["diagnosticCode"].as_str().unwrap().contains(&expected),
        "the quoted address is hashed too"
    );
    for message in messages {
        assert!(
            !message.contains("dave@") && !message.contains("erin@"),
            "{message}"
        );
    }
}

#[tokio::test]
async fn metrics_count_what_the_invocation_did() {
    let handler = Pipeline::new(RecordingSink::default(), LogFormat::Json);
    let (result, metrics) = handler
        .handle_measured(fixture!("bounce-transient-5xx.json"))
        .await;
    result.unwrap();
    let lines: Vec<serde_json::Value> = metrics
        .emf_lines("Test", 0)
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let bounces = lines
        .iter()
        .find(|doc| doc.get("Bounces").is_some())
        .expect("a Bounces document");
    assert_eq!(bounces["EffectiveBounceType"], "Permanent");
    assert_eq!(bounces["Reason"], "userunknown");
    assert_eq!(bounces["Bounces"], 1);
    let events = lines
        .iter()
        .find(|doc| doc.get("Events").is_some())
        .expect("an Events document");
    assert_eq!(
        (
            events["NotificationType"].as_str(),
            events["Events"].as_u64()
        ),
        (Some("Bounce"), Some(1))
    );
    let totals = lines
        .iter()
        .find(|doc| doc.get("Records").is_some())
        .expect("totals");
    assert_eq!(totals["Records"], 1);

    let failing = Pipeline::new(RecordingSink::failing("Complaint"), LogFormat::Json);
    let (result, metrics) = failing.handle_measured(fixture!("two-records.json")).await;
    assert!(result.is_err());
    let totals: serde_json::Value = serde_json::from_str(&metrics.emf_lines("Test", 0)[0]).unwrap();
    assert_eq!(totals["WriteFailures"], 1);
}

#[tokio::test]
async fn a_stream_that_finished_before_another_timed_out_is_not_rewritten_on_retry() {
    let sink = RecordingSink {
        hang_once: std::sync::Mutex::new(Some("Complaint")),
        ..Default::default()
    };
    let handler =
        Pipeline::new(sink, LogFormat::Json).with_write_deadline(Duration::from_millis(100));
    let error = handler
        .handle(fixture!("two-records.json"))
        .await
        .unwrap_err();
    assert!(matches!(error, InvocationError::WriteTimedOut(_)));
    let retry = handler
        .handle(fixture!("two-records.json"))
        .await
        .expect("Lambda's retry");
    assert_eq!(
        retry.duplicates, 1,
        "the Bounce record was stored before the timeout"
    );
    assert_eq!(
        handler.sink().streams(),
        BTreeMap::from([("Bounce".to_owned(), 1), ("Complaint".to_owned(), 1)])
    );
}

#[tokio::test]
async fn a_redelivered_record_counts_as_received_in_the_response_and_the_metrics() {
    let handler = Pipeline::new(RecordingSink::default(), LogFormat::Json);
    let payload = fixture!("bounce-notification.json");
    handler.handle_measured(payload).await.0.unwrap();
    let (again, metrics) = handler.handle_measured(payload).await;
    let again = again.unwrap();
    assert_eq!((again.records, again.duplicates), (1, 1));
    let totals: serde_json::Value = serde_json::from_str(&metrics.emf_lines("Test", 0)[0]).unwrap();
    assert_eq!(
        (&totals["Records"], &totals["Duplicates"]),
        (&serde_json::json!(1), &serde_json::json!(1)),
        "Records counts every record received, as the response does"
    );
}
