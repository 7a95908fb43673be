//! ses-feedback-logger: Amazon SES feedback from SNS into CloudWatch Logs, one stream per SES type.
//!
//! - [`inbound`] reads what arrives (SNS or SQS events, replayed lines) into SNS messages.
//! - [`ses`] reads the SES payload of an SNS message (pure parsing).
//! - [`record`] turns it into log events, one per affected recipient.
//! - [`batch`] applies CloudWatch's PutLogEvents rules (accepted times, batch limits).
//! - [`sink`] is the seam to storage; [`cloudwatch`] is the real one.
//! - [`handler`] ties them together for one Lambda invocation; [`config`] reads the environment.
//! - SNS over HTTPS (function URL): [`sns_https`] answers one request, using [`function_url`] (the request and
//!   response shapes), [`sns_message`] (the SNS JSON), [`sns_url`] (which certificate and subscribe URLs are
//!   SNS's), [`sns_fetch`] (certificate cache, confirmation) and [`sns_signature`] (the signature check).

pub mod batch;
pub mod cloudwatch;
pub mod config;
pub mod function_url;
pub mod handler;
pub mod inbound;
pub mod metrics;
pub mod privacy;
pub mod reason;
pub mod recent;
pub mod record;
pub mod replay;
pub mod secrets;
pub mod ses;
pub mod sink;
pub mod sns_fetch;
pub mod sns_https;
pub mod sns_message;
pub mod sns_signature;
pub mod sns_url;
pub mod suppression;
pub mod timestamp;
