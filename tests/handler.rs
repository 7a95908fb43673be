//! The handler over a small recording fake of the CloudWatch seam: which streams get which events, what
//! fails the invocation and what does not.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use lambda_runtime::Diagnostic;
use ses_feedback_logger::handler::{Handler, HandlerError};
use ses_feedback_logger::record::{LogEntry, LogFormat};
use ses_feedback_logger::sink::{LogSink, WriteError};
use tokio::sync::Barrier;

#[derive(Default)]
struct RecordingSink {
    writes: Mutex<Vec<(String, Vec<LogEntry>)>>,
    failing_stream: Option<&'static str>,
    /// When set, every write waits here: only concurrent writes get through.
    barrier: Option<Barrier>,
}

impl RecordingSink {
    fn failing(stream: &'static str) -> Self {
        RecordingSink {
            failing_stream: Some(stream),
            ..Default::default()
        }
    }

    fn streams(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for (stream, entries) in self.writes.lock().unwrap().iter() {
            *counts.entry(stream.clone()).or_default() += entries.len();
        }
        counts
    }

    fn messages(&self, stream: &str) -> Vec<String> {
        let writes = self.writes.lock().unwrap();
        writes
            .iter()
            .filter(|(s, _)| s == stream)
            .flat_map(|(_, e)| e.iter().map(|e| e.message.clone()))
            .collect()
    }
}

impl LogSink for RecordingSink {
    async fn write(&self, stream: &str, entries: Vec<LogEntry>) -> Result<(), WriteError> {
        if let Some(barrier) = &self.barrier {
            barrier.wait().await;
        }
        if self.failing_stream == Some(stream) {
            return Err(WriteError::Api {
                operation: "PutLogEvents",
                detail: "service unavailable".into(),
            });
        }
        self.writes
            .lock()
            .unwrap()
            .push((stream.to_owned(), entries));
        Ok(())
    }
}

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../events/", $name))
    };
}

const ALL_FIXTURES: [&str; 19] = [
    fixture!("bounce-event.json"),
    fixture!("bounce-notification.json"),
    fixture!("bounce-transient-5xx.json"),
    fixture!("click-event.json"),
    fixture!("complaint-event.json"),
    fixture!("complaint-notification.json"),
    fixture!("delivery-delay-event.json"),
    fixture!("delivery-event.json"),
    fixture!("delivery-notification.json"),
    fixture!("event-destination-validated.json"),
    fixture!("not-json.json"),
    fixture!("open-event.json"),
    fixture!("reject-event.json"),
    fixture!("rendering-failure-event.json"),
    fixture!("send-event.json"),
    fixture!("subscription-event.json"),
    fixture!("subscription-succeeded.json"),
    fixture!("two-records.json"),
    fixture!("unknown-type.json"),
];

#[tokio::test]
async fn every_fixture_lands_in_its_stream_one_event_per_recipient() {
    let handler = Handler::new(RecordingSink::default(), LogFormat::Json);
    for fixture in ALL_FIXTURES {
        handler.handle(fixture).await.expect("fixture handled");
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
    let handler = Handler::new(RecordingSink::default(), LogFormat::Json);
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
    let handler = Handler::new(RecordingSink::default(), LogFormat::Json);
    handler.handle(&event).await.unwrap();
    let writes = handler.sink().writes.lock().unwrap();
    assert_eq!(writes.len(), 1);
    assert_eq!(writes[0].1.len(), 4);
}

#[tokio::test]
async fn setup_messages_succeed_without_writing() {
    let handler = Handler::new(RecordingSink::default(), LogFormat::Json);
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
    let handler = Handler::new(RecordingSink::default(), LogFormat::Plain);
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
    let handler = Handler::new(RecordingSink::default(), LogFormat::Json);
    handler.handle(&event.to_string()).await.unwrap();
    assert_eq!(
        handler.sink().streams().into_keys().collect::<Vec<_>>(),
        ["Unrecognized"]
    );
}

#[tokio::test]
async fn an_empty_records_list_succeeds_with_nothing_written() {
    let handler = Handler::new(RecordingSink::default(), LogFormat::Json);
    let summary = handler.handle(r#"{"Records":[]}"#).await.unwrap();
    assert_eq!(summary.records, 0);
    assert!(handler.sink().writes.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_payload_that_is_not_an_sns_event_fails_clearly_and_the_handler_serves_on() {
    let handler = Handler::new(RecordingSink::default(), LogFormat::Json);
    for payload in [
        r#"{"hello":"bob@example.com"}"#,
        "[]",
        r#"{"Records":[{"Sns":"bob@example.com"}]}"#,
    ] {
        let error = handler.handle(payload).await.unwrap_err();
        assert!(matches!(error, HandlerError::NotAnSnsEvent(_)));
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
    let handler = Handler::new(RecordingSink::failing("Complaint"), LogFormat::Json);
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
    let handler = Handler::new(sink, LogFormat::Json).with_write_deadline(Duration::from_secs(5));
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
        Handler::new(sink, LogFormat::Json).with_write_deadline(Duration::from_millis(50));
    let error = handler
        .handle(fixture!("bounce-notification.json"))
        .await
        .unwrap_err();
    assert!(matches!(error, HandlerError::WriteTimedOut(_)));
    assert_eq!(
        Diagnostic::from(error).error_type,
        "CloudWatchWriteTimedOut"
    );
}
