//! ses-feedback-logger: Amazon SES feedback into CloudWatch Logs, one stream per SES event type.
//!
//! The layers, in the order a notification goes through them (each imports only those after it):
//! - [`sources`]: the ways in. A Lambda event told apart by its shape (SNS, SQS, a function URL request),
//!   the SNS envelope, replayed lines, and [`sources::https`] for SNS over HTTPS (signature, URLs, certificates).
//! - [`feedback`]: SES feedback itself, pure: parsing, the bounce [`feedback::reason`], timestamps.
//! - [`log_events`]: the log events written for it (JSON or plain, addresses hashed when asked).
//! - [`storage`]: the [`storage::LogSink`] seam, the CloudWatch Logs writer and its batching.
//! - [`pipeline`]: ties them for one invocation or one replayed chunk.
//! - [`operations`]: metrics and suppression, beside the pipeline; [`app`]: start-up wiring and the commands.

pub mod app;
pub mod feedback;
pub mod log_events;
pub mod operations;
pub mod pipeline;
pub mod sources;
pub mod storage;
