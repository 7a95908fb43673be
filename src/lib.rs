//! ses-feedback-logger: Amazon SES feedback into CloudWatch Logs, one stream per SES event type.
//!
//! The layers, in the order a notification goes through them:
//! - [`sources`]: the ways in. The Lambda event told apart by its shape (SNS, SQS, EventBridge, a function URL
//!   request), the SNS envelope, [`sources::eventbridge`] (SES events from the default bus), replayed lines, and
//!   [`sources::https`] (SNS over HTTPS: signature, URLs, certificates).
//! - [`feedback`]: SES feedback itself, pure: parsing, the bounce [`feedback::reason`], timestamps.
//! - [`log_events`]: the log events written for it (JSON or plain, addresses hashed when asked).
//! - [`storage`]: the [`storage::LogSink`] seam, the CloudWatch Logs writer, batching, what was stored.
//! - [`pipeline`]: ties them, for one invocation or one replayed chunk: a pure plan, then its execution.
//! - [`operations`]: metrics and suppression, beside the pipeline.
//! - [`app`]: start-up wiring ([`app::App`]) and the two commands, Lambda and `replay`.
//! - `recent`: a bounded map of recent entries, for the memories that must stay bounded (any layer uses it).
//!
//! Imports point one way (tests/offline/layers.rs checks it): `feedback` and `storage` import no other
//! layer; `sources` and `operations` import only `feedback`; `log_events` imports `feedback`, `sources` (the
//! envelope) and `storage` (the log event); `pipeline` imports those; `app` imports everything.

pub mod app;
pub mod feedback;
pub mod log_events;
pub mod operations;
pub mod pipeline;
pub(crate) mod recent;
pub mod sources;
pub mod storage;
