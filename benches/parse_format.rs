//! Parse + format per SES notification, the CPU work of one SNS record: `ses::parse_message` on the
//! record's `Sns.Message`, then `record::feedback_records` (one log event per recipient, with the bounce
//! reason) or `record::unrecognized_entry`, as `handler.rs` does it. One bench per notification of every
//! `events/` fixture, plus a 50-recipient bounce; throughput is one notification per iteration, so
//! criterion reports notifications per second.
//!
//! A second group, `handler_cpu`, adds what the handler does around it for a whole invocation payload: the
//! SNS envelope (`SnsEvent`) deserialization and the per-stream grouping.
//!
//! `cargo bench --bench parse_format` (or `make bench`, which also runs the runtime benchmark and prints the
//! results in one table). Under `cargo test --all-targets` criterion runs each bench once, as a smoke test.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use aws_lambda_events::sns::{SnsEvent, SnsRecord};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use serde_json::Value;
use ses_feedback_logger::feedback::{parse_message, ParsedMessage};
use ses_feedback_logger::log_events::privacy::AddressHasher;
use ses_feedback_logger::log_events::{
    feedback_records, unrecognized_entry, Formatting, LogFormat, UNRECOGNIZED_STREAM,
};
use ses_feedback_logger::sources::{Envelope, InboundMessage};
use ses_feedback_logger::storage::LogEvent;

macro_rules! fixtures {
    ($($name:literal),* $(,)?) => {
        [$(($name, include_str!(concat!("../events/", $name, ".json")))),*]
    };
}

const FIXTURES: [(&str, &str); 19] = fixtures!(
    "bounce-event",
    "bounce-notification",
    "bounce-transient-5xx",
    "click-event",
    "complaint-event",
    "complaint-notification",
    "delivery-delay-event",
    "delivery-event",
    "delivery-notification",
    "event-destination-validated",
    "not-json",
    "open-event",
    "reject-event",
    "rendering-failure-event",
    "send-event",
    "subscription-event",
    "subscription-succeeded",
    "two-records",
    "unknown-type",
);

/// The recipients in the large-bounce bench.
const LARGE_BOUNCE_RECIPIENTS: usize = 50;

fn sns_event(payload: &str) -> SnsEvent {
    serde_json::from_str(payload).expect("fixture is an SNS event")
}

fn context(record: &SnsRecord) -> Envelope {
    InboundMessage::from_sns_record(record.clone()).envelope
}

/// What `Pipeline::collect` does for one record, minus the log line: the stream and its log events.
fn parse_and_format(
    message: &str,
    context: &Envelope,
    formatting: &Formatting,
) -> Option<(&'static str, Vec<LogEvent>)> {
    match parse_message(message) {
        ParsedMessage::Feedback(feedback) => Some((
            feedback.event_type.name(),
            // As the handler does: the records (with each bounce's reason), then their log events.
            feedback_records(&feedback, context, formatting)
                .into_iter()
                .map(|record| record.entry)
                .collect(),
        )),
        ParsedMessage::Setup(_) => None,
        ParsedMessage::Unrecognized(reason) => Some((
            UNRECOGNIZED_STREAM,
            vec![unrecognized_entry(message, &reason, context, formatting)],
        )),
    }
}

/// The handler's CPU work for a whole payload: envelope, every record, grouped per stream.
fn handle_payload(payload: &str, formatting: &Formatting) -> BTreeMap<&'static str, Vec<LogEvent>> {
    let event = sns_event(payload);
    let mut streams: BTreeMap<&'static str, Vec<LogEvent>> = BTreeMap::new();
    for record in &event.records {
        let context = context(record);
        if let Some((stream, entries)) = parse_and_format(&record.sns.message, &context, formatting)
        {
            streams.entry(stream).or_default().extend(entries);
        }
    }
    streams
}

fn fixture(name: &str) -> &'static str {
    FIXTURES
        .iter()
        .find(|(fixture, _)| *fixture == name)
        .map(|(_, payload)| *payload)
        .unwrap_or_else(|| panic!("no fixture {name}"))
}

/// bounce-notification.json with `LARGE_BOUNCE_RECIPIENTS` bounced recipients (and as many destinations).
fn large_bounce_payload() -> String {
    let mut event: Value =
        serde_json::from_str(fixture("bounce-notification")).expect("fixture is JSON");
    let sns = &mut event["Records"][0]["Sns"];
    let mut message: Value =
        serde_json::from_str(sns["Message"].as_str().expect("Message is a string"))
            .expect("SES JSON");
    let addresses: Vec<String> = (0..LARGE_BOUNCE_RECIPIENTS)
        .map(|i| format!("recipient{i:02}@example.org"))
        .collect();
    message["bounce"]["bouncedRecipients"] = addresses
        .iter()
        .map(|address| {
            serde_json::json!({
                "emailAddress": address,
                "action": "failed",
                "status": "5.1.1",
                "diagnosticCode": "smtp; 550 5.1.1 user unknown",
            })
        })
        .collect();
    message["mail"]["destination"] = addresses.iter().cloned().collect();
    message["mail"]["commonHeaders"]["to"] = addresses.iter().cloned().collect();
    sns["Message"] = Value::String(message.to_string());
    event.to_string()
}

fn bench_parse_format(c: &mut Criterion) {
    let json = Formatting::from(LogFormat::Json);
    let plain = Formatting::from(LogFormat::Plain);
    let hashed = Formatting {
        layout: LogFormat::Json,
        address_hasher: Some(AddressHasher::new(b"bench-key").expect("non-empty key")),
    };
    let large = large_bounce_payload();

    // One case per notification: a fixture with several records gives one case per record.
    let mut cases: Vec<(String, SnsEvent)> = Vec::new();
    for (name, payload) in FIXTURES {
        let records = sns_event(payload).records.len();
        for index in 0..records {
            let mut event = sns_event(payload);
            event.records = vec![event.records.swap_remove(index)];
            let name = if records == 1 {
                name.to_owned()
            } else {
                format!("{name}#{}", index + 1)
            };
            cases.push((name, event));
        }
    }
    cases.push((
        format!("bounce-{LARGE_BOUNCE_RECIPIENTS}-recipients"),
        sns_event(&large),
    ));

    let mut group = c.benchmark_group("parse_format");
    group.throughput(Throughput::Elements(1));
    for (name, event) in &cases {
        let record = &event.records[0];
        let context = context(record);
        // A fixture that stopped parsing the way it should would silently bench the wrong path.
        let stored = parse_and_format(&record.sns.message, &context, &json).is_some();
        let setup = matches!(
            name.as_str(),
            "event-destination-validated" | "subscription-succeeded"
        );
        assert_eq!(stored, !setup, "{name}");
        group.bench_with_input(
            BenchmarkId::from_parameter(name),
            &record.sns.message,
            |b, message| b.iter(|| parse_and_format(black_box(message), &context, &json)),
        );
    }
    let bounce = sns_event(fixture("bounce-notification"));
    let record = &bounce.records[0];
    let context = context(record);
    for (variant, formatting) in [("plain", &plain), ("hashed", &hashed)] {
        group.bench_with_input(
            BenchmarkId::from_parameter(format!("bounce-notification/{variant}")),
            &record.sns.message,
            |b, message| b.iter(|| parse_and_format(black_box(message), &context, formatting)),
        );
    }
    group.finish();

    let mut group = c.benchmark_group("handler_cpu");
    for (name, payload) in [
        ("bounce-notification", fixture("bounce-notification")),
        ("two-records", fixture("two-records")),
        ("bounce-50-recipients", large.as_str()),
    ] {
        let records = sns_event(payload).records.len();
        group.throughput(Throughput::Elements(records as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), payload, |b, payload| {
            b.iter(|| handle_payload(black_box(payload), &json))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // 25 benches: a second of warm-up and three of measurement each keep `make bench` to about two minutes.
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bench_parse_format
}
criterion_main!(benches);
