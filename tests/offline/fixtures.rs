//! Every sample event in `events/` through the pure parser and formatter: which stream, which addresses,
//! which fields. No AWS, no async.

use aws_lambda_events::sns::SnsEvent;
use serde_json::Value;
use ses_feedback_logger::feedback::{parse_message, EventType, ParsedMessage, SetupMessage};
use ses_feedback_logger::log_events::{feedback_records, unrecognized_entry, LogFormat};
use ses_feedback_logger::sources::InboundMessage;
use ses_feedback_logger::storage::LogEvent;

use crate::support::events::sns_events;

/// What one SNS record turns into: (stream, log events), or the setup message it is.
enum Outcome {
    Stream(&'static str, Vec<LogEvent>),
    Setup(SetupMessage),
}

fn outcomes(fixture: &str, format: LogFormat) -> Vec<Outcome> {
    let event: SnsEvent = serde_json::from_str(fixture).expect("fixture is an SNS event");
    event
        .records
        .iter()
        .map(|record| {
            let sns = InboundMessage::from_sns_record(record.clone()).envelope;
            match parse_message(&record.sns.message) {
                ParsedMessage::Feedback(feedback) => Outcome::Stream(
                    feedback.event_type.name(),
                    feedback_records(&feedback, &sns, &format.into())
                        .into_iter()
                        .map(|record| record.entry)
                        .collect(),
                ),
                ParsedMessage::Setup(setup) => Outcome::Setup(setup),
                ParsedMessage::Unrecognized(reason) => Outcome::Stream(
                    "Unrecognized",
                    vec![unrecognized_entry(
                        &record.sns.message,
                        &reason,
                        &sns,
                        &format.into(),
                    )],
                ),
            }
        })
        .collect()
}

/// The single record's stream and its events as JSON objects.
fn json_events(fixture: &str) -> (&'static str, Vec<Value>) {
    match outcomes(fixture, LogFormat::Json).as_slice() {
        [Outcome::Stream(stream, entries)] => (
            stream,
            entries
                .iter()
                .map(|e| serde_json::from_str(&e.message).expect("event is JSON"))
                .collect(),
        ),
        _ => panic!("expected one record written to one stream"),
    }
}

fn addresses(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["emailAddress"].as_str().expect("emailAddress"))
        .collect()
}

/// Keys in the order they appear in the text (serde_json's map sorts them).
fn raw_key_order(message: &str) -> Vec<String> {
    let object: serde_json::Map<String, Value> =
        serde_json::from_str(message).expect("JSON object");
    let mut keys: Vec<(usize, String)> = object
        .keys()
        .map(|k| {
            (
                message.find(&format!("\"{k}\":")).expect("key in text"),
                k.clone(),
            )
        })
        .collect();
    keys.sort();
    keys.into_iter().map(|(_, k)| k).collect()
}

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../../events/", $name))
    };
}

#[test]
fn bounce_logs_only_the_bounced_recipient_not_the_first_destination() {
    let (stream, events) = json_events(fixture!("bounce-notification.json"));
    assert_eq!(stream, "Bounce");
    assert_eq!(addresses(&events), ["bob@example.org"]);
    let event = &events[0];
    assert_eq!(event["notificationType"], "Bounce");
    assert_eq!(event["bounceType"], "Permanent");
    assert_eq!(event["bounceSubType"], "General");
    assert_eq!(event["action"], "failed");
    assert_eq!(event["status"], "5.1.1");
    assert_eq!(event["diagnosticCode"], "smtp; 550 5.1.1 user unknown");
    assert_eq!(
        event["reportingMTA"],
        "dsn; a27-23.smtp-out.us-west-2.amazonses.com"
    );
    assert_eq!(event["remoteMtaIp"], "203.0.113.7");
    assert_eq!(
        event["timestamp"], "2026-11-20T10:15:30.000Z",
        "the bounce's own time, not mail's"
    );
    assert_eq!(
        event["messageId"],
        "0100019393734609-1334b514-5104-5772-a894-61ccd9ba3223-000000"
    );
    assert_eq!(event["source"], "sender@example.com");
    assert_eq!(
        event["sesRegion"], "us-east-1",
        "the sending identity's region"
    );
    assert_eq!(
        event["feedbackId"],
        "0100019f1fa385ec-5f742f91-69eb-57e5-8b1b-c6638622012f-000000"
    );
    assert!(event["snsMessageId"]
        .as_str()
        .is_some_and(|id| id.len() == 36));
    assert!(event.get("tags").is_none(), "notifications carry no tags");
}

#[test]
fn json_keys_come_in_the_documented_order() {
    let entries = match outcomes(fixture!("bounce-notification.json"), LogFormat::Json).remove(0) {
        Outcome::Stream(_, entries) => entries,
        Outcome::Setup(_) => panic!("not a setup message"),
    };
    assert_eq!(
        raw_key_order(&entries[0].message),
        [
            "emailAddress",
            "notificationType",
            "timestamp",
            "messageId",
            "source",
            "sesRegion",
            "feedbackId",
            "snsMessageId",
            "deliveryId",
            "bounceType",
            "bounceSubType",
            "action",
            "status",
            "diagnosticCode",
            "reportingMTA",
            "remoteMtaIp",
            "reason",
            "effectiveBounceType"
        ]
    );
}

#[test]
fn bounce_event_logs_every_bounced_recipient_with_tags() {
    let (stream, events) = json_events(fixture!("bounce-event.json"));
    assert_eq!(stream, "Bounce");
    assert_eq!(addresses(&events), ["dave@example.com", "erin@example.org"]);
    for event in &events {
        assert_eq!(event["notificationType"], "Bounce");
        assert_eq!(event["tags"]["campaign"][0], "winter-sale");
    }
}

#[test]
fn transient_bounce_keeps_ses_labels_and_the_real_status() {
    let (stream, events) = json_events(fixture!("bounce-transient-5xx.json"));
    assert_eq!(stream, "Bounce");
    assert_eq!(addresses(&events), ["frank@example.net"]);
    assert_eq!(
        events[0]["bounceType"], "Transient",
        "SES's own label stays untouched"
    );
    assert_eq!(events[0]["status"], "5.1.1");
    assert_eq!(events[0]["reason"], "userunknown");
    assert_eq!(
        events[0]["effectiveBounceType"], "Permanent",
        "the real reason: the mailbox does not exist"
    );
    assert_eq!(
        events[0]["diagnosticCode"],
        "smtp;550 5.1.1 RESOLVER.ADR.RecipNotFound; not found"
    );
}

#[test]
fn complaints_log_the_complained_recipients_with_their_details() {
    let (stream, events) = json_events(fixture!("complaint-notification.json"));
    assert_eq!(stream, "Complaint");
    assert_eq!(addresses(&events), ["heidi@example.org"]);
    assert_eq!(events[0]["complaintFeedbackType"], "abuse");
    assert!(
        events[0].get("complaintSubType").is_none(),
        "null is left out, not written as null"
    );
    assert!(events[0]["userAgent"].is_string());
    assert!(events[0]["arrivalDate"].is_string());
    assert!(events[0]["feedbackId"].is_string());

    let (stream, events) = json_events(fixture!("complaint-event.json"));
    assert_eq!(stream, "Complaint");
    assert_eq!(addresses(&events), ["ivan@example.net"]);
    assert!(events[0]["tags"].is_object());
}

#[test]
fn deliveries_log_each_delivered_recipient() {
    let (stream, events) = json_events(fixture!("delivery-notification.json"));
    assert_eq!(stream, "Delivery");
    assert_eq!(
        addresses(&events),
        ["judy@example.com", "mallory@example.org"]
    );
    assert_eq!(
        events[0]["smtpResponse"],
        "250 ok:  Message 64111812 accepted"
    );
    assert!(events[0]["processingTimeMillis"].is_u64(), "kept a number");
    assert!(events[0]["reportingMTA"].is_string());

    let (stream, events) = json_events(fixture!("delivery-event.json"));
    assert_eq!(stream, "Delivery");
    assert_eq!(
        addresses(&events),
        ["olivia@example.net"],
        "delivery.recipients, not mail.destination"
    );
}

#[test]
fn delivery_delay_logs_the_delayed_recipients() {
    let (stream, events) = json_events(fixture!("delivery-delay-event.json"));
    assert_eq!(stream, "DeliveryDelay");
    assert_eq!(addresses(&events), ["walter@example.net"]);
    assert_eq!(events[0]["delayType"], "TransientCommunicationFailure");
    assert_eq!(events[0]["reason"], "networkerror");
    assert_eq!(events[0]["status"], "4.4.1");
    assert_eq!(
        events[0]["diagnosticCode"],
        "smtp; 421 4.4.1 Unable to connect to remote host"
    );
    assert!(events[0]["expirationTime"].is_string());
}

#[test]
fn send_reject_open_click_rendering_and_subscription_use_mail_destination() {
    let (stream, events) = json_events(fixture!("send-event.json"));
    assert_eq!(
        (stream, addresses(&events)),
        ("Send", vec!["peggy@example.com", "rupert@example.org"])
    );

    let (stream, events) = json_events(fixture!("reject-event.json"));
    assert_eq!(
        (stream, addresses(&events)),
        ("Reject", vec!["sybil@example.net"])
    );
    assert_eq!(events[0]["rejectReason"], "Bad content");

    let (stream, events) = json_events(fixture!("open-event.json"));
    assert_eq!(
        (stream, addresses(&events)),
        ("Open", vec!["trent@example.com"])
    );
    assert!(events[0]["ipAddress"].is_string() && events[0]["userAgent"].is_string());

    let (stream, events) = json_events(fixture!("click-event.json"));
    assert_eq!(
        (stream, addresses(&events)),
        ("Click", vec!["trudy@example.org"])
    );
    assert!(events[0]["link"]
        .as_str()
        .is_some_and(|l| l.starts_with("http")));

    let (stream, events) = json_events(fixture!("rendering-failure-event.json"));
    assert_eq!(
        (stream, addresses(&events)),
        ("Rendering Failure", vec!["victor@example.com"])
    );
    assert_eq!(events[0]["templateName"], "MyTemplate");
    assert_eq!(
        events[0]["errorMessage"],
        "Attribute 'attributeName' is not present in the rendering data."
    );

    let (stream, events) = json_events(fixture!("subscription-event.json"));
    assert_eq!(
        (stream, addresses(&events)),
        ("Subscription", vec!["xavier@example.org"])
    );
    assert_eq!(events[0]["contactList"], "SystemMonitor-Canary");
    assert_eq!(events[0]["subscriptionSource"], "UnsubscribeHeader");
    assert!(events[0]["newTopicPreferences"].is_object());
}

#[test]
fn every_record_of_a_multi_record_event_is_handled() {
    let outcomes = outcomes(fixture!("two-records.json"), LogFormat::Json);
    let streams: Vec<(&str, usize)> = outcomes
        .iter()
        .map(|o| match o {
            Outcome::Stream(stream, entries) => (*stream, entries.len()),
            Outcome::Setup(_) => panic!("no setup message here"),
        })
        .collect();
    assert_eq!(streams, [("Bounce", 1), ("Complaint", 1)]);
}

#[test]
fn setup_messages_are_recognised() {
    assert!(matches!(
        outcomes(fixture!("subscription-succeeded.json"), LogFormat::Json).as_slice(),
        [Outcome::Setup(SetupMessage::SubscriptionSucceeded)]
    ));
    assert!(matches!(
        outcomes(
            fixture!("event-destination-validated.json"),
            LogFormat::Json
        )
        .as_slice(),
        [Outcome::Setup(SetupMessage::EventDestinationValidated)]
    ));
}

#[test]
fn non_json_and_unknown_types_are_kept_verbatim_in_unrecognized() {
    for (fixture, reason) in [
        (fixture!("not-json.json"), "the message is not JSON"),
        (
            fixture!("unknown-type.json"),
            "unknown SES type \"Quarantine\"",
        ),
    ] {
        let event: SnsEvent = serde_json::from_str(fixture).unwrap();
        let (stream, events) = json_events(fixture);
        assert_eq!(stream, "Unrecognized");
        assert_eq!(events[0]["reason"], reason);
        assert_eq!(
            events[0]["message"],
            event.records[0].sns.message.as_str(),
            "kept verbatim"
        );
        assert_eq!(
            events[0]["snsMessageId"],
            event.records[0].sns.message_id.as_str()
        );
    }
}

#[test]
fn every_type_has_a_fixture_in_both_families_where_ses_sends_both() {
    // Every record of every SNS event whose message names a type we know; setup and unrecognized
    // messages have their own tests above.
    let mut seen = Vec::new();
    for fixture in sns_events() {
        let event: SnsEvent = serde_json::from_str(&fixture.text).unwrap();
        let outcomes = outcomes(&fixture.text, LogFormat::Json);
        for (record, outcome) in event.records.iter().zip(outcomes) {
            let Ok(message) = serde_json::from_str::<Value>(&record.sns.message) else {
                continue;
            };
            let (family, kind) = match (
                message["notificationType"].as_str(),
                message["eventType"].as_str(),
            ) {
                (Some(kind), _) => ("notification", kind),
                (None, Some(kind)) => ("event", kind),
                (None, None) => continue,
            };
            if EventType::from_name(kind).is_none() {
                continue;
            }
            let Outcome::Stream(stream, _) = outcome else {
                panic!("{}: {kind} is not written", fixture.name);
            };
            seen.push((EventType::from_name(stream).expect("a known type"), family));
        }
    }
    for kind in EventType::ALL {
        assert!(seen.iter().any(|(k, _)| *k == kind), "{kind} has a fixture");
    }
    for kind in [EventType::Bounce, EventType::Complaint, EventType::Delivery] {
        assert!(
            seen.contains(&(kind, "notification")) && seen.contains(&(kind, "event")),
            "{kind}"
        );
    }
}

#[test]
fn plain_format_writes_the_bare_address() {
    match outcomes(fixture!("delivery-notification.json"), LogFormat::Plain).as_slice() {
        [Outcome::Stream("Delivery", entries)] => {
            let messages: Vec<&str> = entries.iter().map(|e| e.message.as_str()).collect();
            assert_eq!(messages, ["judy@example.com", "mallory@example.org"]);
        }
        _ => panic!("expected the Delivery stream"),
    }
}
