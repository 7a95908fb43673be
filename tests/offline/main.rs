//! The tests that need nothing running: the handler over a recording fake, the parser and formatter on every
//! sample event, EventBridge, golden output, metrics, fuzzing, the reason table, SQS, replay, hostile input, SNS over
//! HTTPS against a local stand-in, and the CloudWatch and SES clients against the SDK's mocks. One binary,
//! so the crate and the SDK are linked once; `cargo test --test offline` runs them without moto.

/// The part of tests/support/ these tests use (tests/support/mod.rs has the moto harness, which they do not).
#[path = "../support"]
mod support {
    pub mod events;
    pub mod http;
    pub mod invoke;
    pub mod privacy;
    pub mod recording_sink;
    pub mod recording_suppressor;
    pub mod ses_stand_in;
    pub mod sns_stand_in;

    pub use invoke::Invoke;
    pub use privacy::hmac_sha256_hex;
    pub use recording_sink::RecordingSink;
    pub use recording_suppressor::RecordingSuppressor;
}

mod cloudwatch_mocks;
mod emf;
mod eventbridge;
mod fixtures;
mod fuzz;
mod golden;
mod handler;
mod hostile;
mod https_handler;
mod layers;
mod reason_table;
mod replay;
mod sisimai_corpus;
mod sns_https;
mod sqs;
mod suppression;
