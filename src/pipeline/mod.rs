//! One invocation, or one replayed chunk, from messages to stored log events: `plan.rs` decides (no writes,
//! no async), `execute.rs` writes, remembers and suppresses. [`Pipeline::invoke`] is the Lambda entry point,
//! [`Pipeline::store`] the replay's; both return the counts for the caller to publish.

mod execute;
mod plan;

use chrono::Utc;
use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::Duration;

use aws_lambda_events::sqs::SqsBatchResponse;
use lambda_runtime::Diagnostic;
use serde::Serialize;
use tracing::{error, info};

pub(crate) use self::execute::Stored;
pub use self::plan::AccessPolicy;
use self::plan::{plan, Settings};
use crate::log_events::Formatting;
use crate::operations::metrics::Metrics;
use crate::operations::suppression::{NoSuppression, SuppressMode, Suppressor};
use crate::sources::https::fetch::ClientSetupError;
use crate::sources::https::function_url::{self, HttpRequest, HttpResponse};
use crate::sources::https::SnsHttpsEndpoint;
use crate::sources::{read_invocation, InboundMessage, Invocation};
use crate::storage::memory::StoredMessages;
use crate::storage::{LogSink, WriteError};

/// How long all CloudWatch writes of one invocation may take together. Lambda's timeout (template.yaml) is
/// above it, so an outage fails the invocation cleanly and Lambda retries, then dead-letters it.
pub(crate) const WRITE_DEADLINE: Duration = Duration::from_secs(25);

/// SNS MessageIds remembered per execution environment, so a redelivery or a retry is not written twice.
pub const REMEMBERED_MESSAGES: usize = 10_000;

pub struct Pipeline<S, P = NoSuppression> {
    sink: S,
    settings: Settings,
    suppressor: P,
    write_deadline: Duration,
    /// Messages this environment has stored (or that needed no storing).
    stored_messages: StoredMessages,
    /// SNS's HTTPS deliveries, built at the first one (it loads the system's root certificates, a cost
    /// the other ways in need not pay at start).
    https: OnceLock<Result<SnsHttpsEndpoint, ClientSetupError>>,
}

/// What an invocation did, returned as the SNS invocation's response. It carries counts, never addresses,
/// read from the invocation's metrics (docs/metrics.md): `written` is `Events`, `suppressed` is
/// `SuppressionsMade`, the others have the metric's name.
#[derive(Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Records received, duplicates included (`Records`).
    pub records: u64,
    /// Log events written, per stream (`Events`).
    pub written: BTreeMap<&'static str, u64>,
    pub setup_messages: u64,
    /// SES account-level EventBridge events, each stored whole in the `AccountEvent` stream (`AccountEvents`).
    pub account_events: u64,
    pub unrecognized: u64,
    /// Records this environment had already stored (SNS redelivery, or Lambda retrying a partial failure).
    pub duplicates: u64,
    /// Records refused by ALLOWED_TOPIC_ARNS or ALLOWED_SENDING_ACCOUNTS (for EventBridge, the event's
    /// `account` too).
    pub refused: u64,
    /// Additions to the SES suppression lists (SUPPRESS; one per address and region of SUPPRESS_REGIONS),
    /// and attempts that failed.
    pub suppressed: u64,
    pub suppression_failures: u64,
}

impl From<&Metrics> for Summary {
    fn from(counts: &Metrics) -> Summary {
        Summary {
            records: counts.records(),
            written: counts.events().clone(),
            setup_messages: counts.setup_messages(),
            account_events: counts.account_events(),
            unrecognized: counts.unrecognized(),
            duplicates: counts.duplicates(),
            refused: counts.refused(),
            suppressed: counts.suppressions_made(),
            suppression_failures: counts.suppression_failures(),
        }
    }
}

/// Why an invocation failed: the error type Lambda reports, and whether retrying can help.
#[derive(Debug, thiserror::Error)]
pub enum InvocationError {
    /// The payload is none of the events this function serves; retrying cannot fix that.
    #[error("{0}")]
    UnsupportedEvent(String),
    /// At least one stream could not be written; Lambda retries the whole event.
    #[error("writing to CloudWatch Logs failed for {failed} of {total} streams; first: stream {stream:?}: {source}")]
    WriteFailed {
        failed: usize,
        total: usize,
        stream: &'static str,
        source: WriteError,
    },
    #[error("writing to CloudWatch Logs did not finish within {0:?}")]
    WriteTimedOut(Duration),
    /// The event never reached the handler: the function's wiring is at fault (the layer that hands the
    /// event over is missing), not the event, which Lambda may retry once the function is fixed.
    #[error("the invocation's event did not reach the handler (the layer that hands it over is missing)")]
    EventNotHandedOver,
}

impl InvocationError {
    pub fn error_type(&self) -> &'static str {
        match self {
            InvocationError::UnsupportedEvent(_) => "InvalidEvent",
            InvocationError::WriteFailed { .. } => "CloudWatchWriteFailed",
            InvocationError::WriteTimedOut(_) => "CloudWatchWriteTimedOut",
            InvocationError::EventNotHandedOver => "EventNotHandedOver",
        }
    }
}

impl From<InvocationError> for Diagnostic {
    fn from(error: InvocationError) -> Diagnostic {
        Diagnostic {
            error_type: error.error_type().to_owned(),
            error_message: error.to_string(),
        }
    }
}

/// What an invocation answers.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Response {
    /// An SNS event: what was done. Every record is stored, or the invocation fails.
    Sns(Summary),
    /// An SQS batch: the messages not stored, for Lambda to deliver again.
    Sqs(SqsBatchResponse),
    /// SNS over HTTPS: the HTTP answer.
    Http(HttpResponse),
    /// An EventBridge event: what was done, as for SNS (the event is stored, or the invocation fails and
    /// Lambda's asynchronous retries take over).
    EventBridge(Summary),
}

impl<S: LogSink> Pipeline<S> {
    pub fn new(sink: S, formatting: impl Into<Formatting>) -> Self {
        Pipeline {
            sink,
            settings: Settings {
                formatting: formatting.into(),
                access: AccessPolicy::default(),
                suppress_mode: SuppressMode::Off,
            },
            suppressor: NoSuppression,
            write_deadline: WRITE_DEADLINE,
            stored_messages: StoredMessages::new(REMEMBERED_MESSAGES),
            https: OnceLock::new(),
        }
    }

    /// Adds stored addresses that `mode` selects to the suppression list through `suppressor`.
    pub fn with_suppression<P: Suppressor>(
        self,
        suppressor: P,
        mode: SuppressMode,
    ) -> Pipeline<S, P> {
        Pipeline {
            sink: self.sink,
            settings: Settings {
                suppress_mode: mode,
                ..self.settings
            },
            suppressor,
            write_deadline: self.write_deadline,
            stored_messages: self.stored_messages,
            https: self.https,
        }
    }
}

impl<S: LogSink, P: Suppressor> Pipeline<S, P> {
    pub fn with_access_policy(mut self, access: AccessPolicy) -> Self {
        self.settings.access = access;
        self
    }

    /// Answers SNS's HTTPS deliveries with `endpoint` (tests: one that fetches from a local stand-in);
    /// by default an endpoint for SNS's own hosts and `ALLOWED_TOPIC_ARNS` is built when first needed.
    pub fn with_https_endpoint(self, endpoint: SnsHttpsEndpoint) -> Self {
        // A fresh cell: set cannot fail.
        let _ = self.https.set(Ok(endpoint));
        self
    }

    pub fn with_write_deadline(mut self, write_deadline: Duration) -> Self {
        self.write_deadline = write_deadline;
        self
    }

    pub fn sink(&self) -> &S {
        &self.sink
    }

    pub fn suppressor(&self) -> &P {
        &self.suppressor
    }

    /// One Lambda invocation: an SNS event (answered with a [`Summary`]; every record is stored or the
    /// invocation fails), an SQS event (answered with the messages not stored), or a function URL request
    /// (SNS over HTTPS). Returns the counts beside the answer, for the caller to publish.
    pub async fn invoke(&self, payload: &str) -> (Result<Response, InvocationError>, Metrics) {
        match read_invocation(payload) {
            Ok(Invocation::Sns(event)) => {
                let messages: Vec<InboundMessage> = event
                    .records
                    .into_iter()
                    .map(InboundMessage::from_sns_record)
                    .collect();
                let (counts, stored) = self.store(&messages).await;
                let result = stored.into_result().map(|()| Summary::from(&counts));
                (result.map(Response::Sns), counts)
            }
            Ok(Invocation::Sqs(event)) => {
                let now_ms = Utc::now().timestamp_millis();
                let (item_ids, messages): (Vec<_>, Vec<_>) = event
                    .records
                    .into_iter()
                    .map(|message| {
                        let id = message.message_id.clone();
                        (id, InboundMessage::from_sqs_message(message, now_ms))
                    })
                    .unzip();
                let (counts, stored) = self.store(&messages).await;
                let result = batch_response(&item_ids, stored);
                (result.map(Response::Sqs), counts)
            }
            Ok(Invocation::EventBridge(event)) => {
                // Lambda hands the event over as it was put on the bus; its text is kept for the event
                // kinds stored whole.
                let message = InboundMessage::from_eventbridge(
                    *event,
                    payload,
                    Utc::now().timestamp_millis(),
                );
                let (counts, stored) = self.store(std::slice::from_ref(&message)).await;
                let result = stored.into_result().map(|()| Summary::from(&counts));
                (result.map(Response::EventBridge), counts)
            }
            Ok(Invocation::Http(request)) => {
                let mut counts = Metrics::new();
                let response = self.http_request(&request, &mut counts).await;
                (Ok(Response::Http(response)), counts)
            }
            Err(error) => (
                Err(InvocationError::UnsupportedEvent(error.to_string())),
                Metrics::new(),
            ),
        }
    }

    /// Stores messages from anywhere (the replay's chunks, every way in): one write per stream. Returns
    /// the counts and which messages were not stored.
    ///
    /// One info line per call says what was done (each message's own line is at debug level: in a batch
    /// of 100, a line per message cost a tenth of the function's CPU for what the stored events and the
    /// metrics already say).
    pub(crate) async fn store(&self, messages: &[InboundMessage]) -> (Metrics, Stored) {
        let plan = plan(messages, &self.settings, |key| {
            self.stored_messages.contains(key)
        });
        let (counts, stored) = execute::execute(
            plan,
            messages,
            &self.sink,
            &self.suppressor,
            self.write_deadline,
            &self.stored_messages,
        )
        .await;
        info!(
            messages = messages.len(),
            written = ?counts.events(),
            not_stored = stored.not_stored.len(),
            "SES feedback handled"
        );
        (counts, stored)
    }

    /// SNS over HTTPS: a verified notification is stored exactly as one delivered to Lambda; the endpoint
    /// answers everything else (403 for what is not signed by SNS for an allowed topic).
    async fn http_request(&self, request: &HttpRequest, counts: &mut Metrics) -> HttpResponse {
        let endpoint = self
            .https
            .get_or_init(|| SnsHttpsEndpoint::new(self.settings.access.allowed_topic_arns.clone()));
        let endpoint = match endpoint {
            Ok(endpoint) => endpoint,
            Err(error) => {
                error!(%error, "cannot verify SNS HTTPS deliveries: no HTTPS client");
                return function_url::text(500, "cannot verify SNS messages here");
            }
        };
        let counted = &mut *counts;
        let response = endpoint
            .respond(request, |message| async move {
                let (stored_counts, stored) = self.store(std::slice::from_ref(&message)).await;
                *counted = stored_counts;
                stored.into_result()
            })
            .await;
        // A request the endpoint refused (403, or 405 for another method than POST) counts as `Refused`.
        if matches!(response.status_code, 403 | 405) {
            counts.count_refused();
        }
        response
    }
}

impl Stored {
    /// Ok when every message was stored, else the error that fails the invocation.
    fn into_result(self) -> Result<(), InvocationError> {
        if let Some(deadline) = self.timed_out {
            return Err(InvocationError::WriteTimedOut(deadline));
        }
        match self.first_failure {
            None => Ok(()),
            Some((stream, source)) => Err(InvocationError::WriteFailed {
                failed: self.failed_streams,
                total: self.total_streams,
                stream,
                source,
            }),
        }
    }
}

/// The answer to an SQS batch: the messages not stored, by their SQS messageId. A message without an id
/// cannot be named, so then the whole batch fails and is retried.
fn batch_response(
    item_ids: &[Option<String>],
    stored: Stored,
) -> Result<SqsBatchResponse, InvocationError> {
    if stored
        .not_stored
        .iter()
        .any(|&index| item_ids[index].is_none())
    {
        return stored.into_result().map(|()| SqsBatchResponse::default());
    }
    let mut response = SqsBatchResponse::default();
    for id in stored
        .not_stored
        .iter()
        .filter_map(|&index| item_ids[index].as_ref())
    {
        response.add_failure(id.clone());
    }
    Ok(response)
}
