//! Property-based fuzzing of the message parser and the record formatter: arbitrary bytes, arbitrary JSON,
//! and SES-shaped JSON with arbitrary values never panic, and whatever they produce is valid JSON within
//! CloudWatch's event size limit. `make test` runs the default number of cases; `make fuzz` runs many more
//! (FUZZ_CASES).

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use ses_feedback_logger::feedback::{parse_message, ParsedMessage};
use ses_feedback_logger::log_events::privacy::AddressHasher;
use ses_feedback_logger::log_events::{
    feedback_records, unrecognized_entry, Formatting, LogFormat, MAX_MESSAGE_BYTES,
};
use ses_feedback_logger::sources::Envelope;
use ses_feedback_logger::sources::{read_replay_line, Content, InboundMessage};

fn envelope() -> Envelope {
    Envelope {
        message_id: Some("6f4e3a1c-0000-4000-8000-000000000001".to_owned()),
        topic_arn: Some("arn:aws:sns:us-east-1:123456789012:ses-feedback".to_owned()),
        subject: None,
        timestamp_ms: 1_795_169_731_000,
        delivery_id: Some("6f4e3a1c-0000-4000-8000-000000000001".to_owned()),
        event_account: None,
        event_region: None,
    }
}

/// Parses and formats `message` every way the function can; checks what comes out.
fn parse_and_format(message: &str) {
    let formattings = [
        Formatting::from(LogFormat::Json),
        Formatting::from(LogFormat::Plain),
        Formatting {
            layout: LogFormat::Json,
            address_hasher: Some(AddressHasher::new(b"fuzz").unwrap()),
        },
    ];
    for formatting in &formattings {
        let entries = match parse_message(message) {
            ParsedMessage::Feedback(feedback) => {
                let entries: Vec<_> = feedback_records(&feedback, &envelope(), formatting)
                    .into_iter()
                    .map(|record| record.entry)
                    .collect();
                assert!(!entries.is_empty(), "feedback always has a recipient");
                entries
            }
            ParsedMessage::Setup(_) => continue,
            ParsedMessage::Unrecognized(reason) => {
                vec![unrecognized_entry(
                    message,
                    &reason,
                    &envelope(),
                    formatting,
                )]
            }
        };
        for entry in entries {
            assert!(entry.message.len() <= MAX_MESSAGE_BYTES);
            assert!(!entry.message.is_empty());
            if formatting.layout == LogFormat::Json {
                serde_json::from_str::<Value>(&entry.message).expect("valid JSON");
            }
        }
    }
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".*".prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::from),
            prop::collection::btree_map(key(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Keys SES uses, so random objects often take the shapes the parser reads, plus random ones.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "notificationType",
            "eventType",
            "mail",
            "bounce",
            "complaint",
            "delivery",
            "send",
            "reject",
            "open",
            "click",
            "failure",
            "deliveryDelay",
            "subscription",
            "bouncedRecipients",
            "complainedRecipients",
            "delayedRecipients",
            "recipients",
            "destination",
            "emailAddress",
            "timestamp",
            "messageId",
            "source",
            "tags",
            "diagnosticCode",
            "status",
            "action",
            "processingTimeMillis",
            "newTopicPreferences",
            "feedbackId",
            "reportingMTA",
            // Envelope, SQS and replay shapes (src/sources/mod.rs).
            "Records",
            "Sns",
            "eventSource",
            "body",
            "Body",
            "Messages",
            "requestPayload",
            "Type",
            "TopicArn",
            "Message",
            "MessageId",
            "messageId",
        ])
        .prop_map(str::to_owned),
        "[a-zA-Z]{1,12}",
    ]
}

fn type_name() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(vec![
            "Bounce",
            "Complaint",
            "Delivery",
            "Send",
            "Reject",
            "Open",
            "Click",
            "Rendering Failure",
            "DeliveryDelay",
            "Subscription",
            "AmazonSnsSubscriptionSucceeded",
        ])
        .prop_map(Value::from),
        any_json(),
    ]
}

/// SES-shaped notifications whose every part may be anything.
fn ses_shaped() -> impl Strategy<Value = Value> {
    (type_name(), any_json(), any_json(), any_json(), ".*", prop::collection::vec(any_json(), 0..4)).prop_map(
        |(kind, details, mail_extra, recipient_extra, address, destination)| {
            let recipients = json!([{"emailAddress": address, "status": recipient_extra.clone(),
                                     "diagnosticCode": recipient_extra}, address]);
            let mut mail = Map::new();
            mail.insert("destination".into(), Value::from(destination));
            mail.insert("timestamp".into(), mail_extra.clone());
            mail.insert("tags".into(), mail_extra);
            json!({
                "notificationType": kind.clone(), "eventType": kind,
                "bounce": {"bouncedRecipients": recipients.clone(), "bounceType": details.clone()},
                "complaint": {"complainedRecipients": recipients.clone()},
                "deliveryDelay": {"delayedRecipients": recipients, "delayType": details.clone()},
                "delivery": {"recipients": [details.clone()], "processingTimeMillis": details.clone()},
                "subscription": {"newTopicPreferences": details},
                "mail": mail,
            })
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        parse_and_format(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn arbitrary_json_never_panics(value in any_json()) {
        parse_and_format(&value.to_string());
    }

    #[test]
    fn ses_shaped_json_with_arbitrary_values_never_panics(value in ses_shaped()) {
        parse_and_format(&value.to_string());
    }

    /// Whatever a queue body or a replayed line holds, reading it never panics, and every message read
    /// from it goes through the same parser and formatter.
    #[test]
    fn arbitrary_queue_bodies_and_replay_lines_never_panic(value in any_json(), wrap in 0usize..4) {
        let text = match wrap {
            0 => value.to_string(),
            1 => serde_json::json!({"Records": [{"eventSource": "aws:sqs", "messageId": "q", "body": value.to_string()}]}).to_string(),
            2 => serde_json::json!({"requestPayload": value}).to_string(),
            _ => serde_json::json!({"Type": "Notification", "TopicArn": "t", "Message": value.to_string()}).to_string(),
        };
        let mut messages = vec![InboundMessage::from_body(text.clone(), None, 0)];
        if let Ok(read) = read_replay_line(&text, 0) {
            messages.extend(read);
        }
        for message in messages {
            if let Content::Message(message) = message.content {
                parse_and_format(&message);
            }
        }
    }
}
