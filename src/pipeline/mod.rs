//! The Lambda handler: every record of an SNS event, parsed, formatted and written to its stream.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use aws_lambda_events::sns::SnsEvent;
use aws_lambda_events::sqs::SqsBatchResponse;
use futures_util::future::join_all;
use lambda_runtime::Diagnostic;
use serde::Serialize;
use tracing::{error, info, warn};

use crate::feedback::timestamp::now_millis;
use crate::feedback::{parse_message, EventType, ParsedMessage};
use crate::log_events::{feedback_records, unrecognized_entry, Formatting, UNRECOGNIZED_STREAM};
use crate::operations::metrics::Metrics;
use crate::operations::suppression::{
    suppression_reason, NoSuppression, SuppressMode, SuppressionReason, Suppressor,
};
use crate::sources::https::fetch::ClientSetupError;
use crate::sources::https::function_url::{self, HttpRequest, HttpResponse};
use crate::sources::https::SnsHttpsEndpoint;
use crate::sources::{
    read_invocation, read_sns_event, Content, InboundMessage, Invocation, UnsupportedEvent,
};
use crate::storage::recent::RecentMap;
use crate::storage::{LogEvent, LogSink, WriteError};

/// How long all CloudWatch writes of one invocation may take together. Lambda's timeout (template.yaml) is
/// above it, so an outage fails the invocation cleanly and Lambda retries, then dead-letters it.
pub const WRITE_DEADLINE: Duration = Duration::from_secs(25);

/// SNS MessageIds remembered per execution environment, so a redelivery or a retry is not written twice.
pub const REMEMBERED_MESSAGES: usize = 10_000;

pub struct Handler<S, P = NoSuppression> {
    sink: S,
    formatting: Formatting,
    access: AccessPolicy,
    suppressor: P,
    suppress_mode: SuppressMode,
    /// Where to print embedded metrics; none when unset (tests).
    metrics_namespace: Option<String>,
    write_deadline: Duration,
    /// SNS MessageIds whose events this environment has stored (or that needed no storing).
    stored_messages: Mutex<RecentMap<String, ()>>,
    /// SNS's HTTPS deliveries, built at the first one (it loads the system's root certificates, a cost
    /// the other ways in need not pay at start).
    https: OnceLock<Result<SnsHttpsEndpoint, ClientSetupError>>,
}

/// Who may write: records from other topics, or about mail other accounts sent, are refused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessPolicy {
    pub allowed_topic_arns: Option<Vec<String>>,
    pub allowed_sending_accounts: Option<Vec<String>>,
}

impl AccessPolicy {
    fn allows_topic(&self, topic_arn: &str) -> bool {
        self.allowed_topic_arns
            .as_ref()
            .is_none_or(|allowed| allowed.iter().any(|arn| arn == topic_arn))
    }

    fn allows_account(&self, account: Option<&str>) -> bool {
        match (&self.allowed_sending_accounts, account) {
            (None, _) => true,
            (Some(allowed), Some(account)) => allowed.iter().any(|id| id == account),
            (Some(_), None) => false,
        }
    }
}

/// What an invocation did, returned as the function's response. It carries counts, never addresses.
#[derive(Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub records: usize,
    /// Log events written, per stream.
    pub written: BTreeMap<&'static str, usize>,
    pub setup_messages: usize,
    pub unrecognized: usize,
    /// Records this environment had already stored (SNS redelivery, or Lambda retrying a partial failure).
    pub duplicates: usize,
    /// Records refused by ALLOWED_TOPIC_ARNS or ALLOWED_SENDING_ACCOUNTS.
    pub refused: usize,
    /// Addresses added to the SES suppression list (SUPPRESS), and attempts that failed.
    pub suppressed: usize,
    pub suppression_failures: usize,
}

/// The response's counts and the metrics, kept together so every count lands in both.
struct Tally {
    summary: Summary,
    metrics: Metrics,
}

impl Tally {
    fn new() -> Self {
        Tally {
            summary: Summary::default(),
            metrics: Metrics::new(),
        }
    }

    fn record(&mut self) {
        self.summary.records += 1;
        self.metrics.count_record();
    }

    fn duplicate(&mut self) {
        self.summary.duplicates += 1;
        self.metrics.count_duplicate();
    }

    fn refused(&mut self) {
        self.summary.refused += 1;
        self.metrics.count_refused();
    }

    fn setup_message(&mut self) {
        self.summary.setup_messages += 1;
        self.metrics.count_setup_message();
    }

    fn unrecognized(&mut self) {
        self.summary.unrecognized += 1;
        self.metrics.count_unrecognized();
    }

    fn written(&mut self, stream: &'static str, events: usize) {
        self.summary.written.insert(stream, events);
        self.metrics.count_events(stream, events);
    }

    fn suppression(&mut self, made: bool) {
        if made {
            self.summary.suppressed += 1;
        } else {
            self.summary.suppression_failures += 1;
        }
        self.metrics.count_suppression(made);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
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
}

impl HandlerError {
    pub fn error_type(&self) -> &'static str {
        match self {
            HandlerError::UnsupportedEvent(_) => "InvalidEvent",
            HandlerError::WriteFailed { .. } => "CloudWatchWriteFailed",
            HandlerError::WriteTimedOut(_) => "CloudWatchWriteTimedOut",
        }
    }
}

impl From<HandlerError> for Diagnostic {
    fn from(error: HandlerError) -> Diagnostic {
        Diagnostic {
            error_type: error.error_type().to_owned(),
            error_message: error.to_string(),
        }
    }
}

impl<S: LogSink> Handler<S> {
    pub fn new(sink: S, formatting: impl Into<Formatting>) -> Self {
        Handler {
            sink,
            formatting: formatting.into(),
            access: AccessPolicy::default(),
            suppressor: NoSuppression,
            suppress_mode: SuppressMode::Off,
            metrics_namespace: None,
            write_deadline: WRITE_DEADLINE,
            stored_messages: Mutex::new(RecentMap::new(REMEMBERED_MESSAGES)),
            https: OnceLock::new(),
        }
    }

    /// Adds stored addresses that `mode` selects to the suppression list through `suppressor`.
    pub fn with_suppression<P: Suppressor>(
        self,
        suppressor: P,
        mode: SuppressMode,
    ) -> Handler<S, P> {
        Handler {
            sink: self.sink,
            formatting: self.formatting,
            access: self.access,
            suppressor,
            suppress_mode: mode,
            metrics_namespace: self.metrics_namespace,
            write_deadline: self.write_deadline,
            stored_messages: self.stored_messages,
            https: self.https,
        }
    }
}

impl<S: LogSink, P: Suppressor> Handler<S, P> {
    pub fn suppressor(&self) -> &P {
        &self.suppressor
    }

    pub fn with_access_policy(mut self, access: AccessPolicy) -> Self {
        self.access = access;
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

    /// Prints this invocation's metrics as CloudWatch embedded metric format lines to stdout, under
    /// `namespace` (not through tracing, whose JSON would hide them from CloudWatch's extraction).
    pub fn with_metrics(mut self, namespace: impl Into<String>) -> Self {
        self.metrics_namespace = Some(namespace.into());
        self
    }

    /// Handles an SNS event's payload (the raw JSON Lambda delivered).
    pub async fn handle(&self, payload: &str) -> Result<Summary, HandlerError> {
        let (result, metrics) = self.handle_measured(payload).await;
        self.print_metrics(&metrics);
        result
    }

    /// [`Handler::handle`], returning the invocation's metrics instead of printing them.
    pub async fn handle_measured(&self, payload: &str) -> (Result<Summary, HandlerError>, Metrics) {
        match read_sns_event(payload) {
            Ok(event) => self.sns_event(event).await,
            Err(error) => (Err(unsupported(error)), Metrics::new()),
        }
    }

    /// Every record must be stored, or the invocation fails and Lambda retries the event.
    async fn sns_event(&self, event: SnsEvent) -> (Result<Summary, HandlerError>, Metrics) {
        let mut tally = Tally::new();
        let messages: Vec<InboundMessage> = event
            .records
            .into_iter()
            .map(InboundMessage::from_sns_record)
            .collect();
        let result = self.store(&messages, &mut tally).await.into_result();
        (result.map(|()| tally.summary), tally.metrics)
    }

    /// Handles any invocation this function serves: an SNS event (answered with a [`Summary`]) or an SQS
    /// event (answered with the messages not stored, for Lambda to retry).
    pub async fn invoke(&self, payload: &str) -> Result<Response, HandlerError> {
        let (result, metrics) = self.invoke_measured(payload).await;
        self.print_metrics(&metrics);
        result
    }

    /// [`Handler::invoke`], returning the invocation's metrics instead of printing them.
    pub async fn invoke_measured(
        &self,
        payload: &str,
    ) -> (Result<Response, HandlerError>, Metrics) {
        match read_invocation(payload) {
            Ok(Invocation::Sns(event)) => {
                let (result, metrics) = self.sns_event(event).await;
                (result.map(Response::Sns), metrics)
            }
            Ok(Invocation::Sqs(event)) => {
                let mut tally = Tally::new();
                let now_ms = now_millis();
                let (item_ids, messages): (Vec<_>, Vec<_>) = event
                    .records
                    .into_iter()
                    .map(|message| {
                        let id = message.message_id.clone();
                        (id, InboundMessage::from_sqs_message(message, now_ms))
                    })
                    .unzip();
                let stored = self.store(&messages, &mut tally).await;
                let result = batch_response(&item_ids, stored);
                if let Ok(response) = &result {
                    info!(
                        messages = messages.len(),
                        not_stored = response.batch_item_failures.len(),
                        summary = ?tally.summary,
                        "SQS batch handled"
                    );
                }
                (result.map(Response::Sqs), tally.metrics)
            }
            Ok(Invocation::Http(request)) => {
                let mut tally = Tally::new();
                let response = self.http_request(&request, &mut tally).await;
                (Ok(Response::Http(response)), tally.metrics)
            }
            Err(error) => (Err(unsupported(error)), Metrics::new()),
        }
    }

    /// SNS over HTTPS: a verified notification is stored exactly as one delivered to Lambda; the endpoint
    /// answers everything else (403 for what is not signed by SNS for an allowed topic).
    async fn http_request(&self, request: &HttpRequest, tally: &mut Tally) -> HttpResponse {
        let endpoint = self
            .https
            .get_or_init(|| SnsHttpsEndpoint::new(self.access.allowed_topic_arns.clone()));
        let endpoint = match endpoint {
            Ok(endpoint) => endpoint,
            Err(error) => {
                error!(%error, "cannot verify SNS HTTPS deliveries: no HTTPS client");
                return function_url::text(500, "cannot verify SNS messages here");
            }
        };
        endpoint
            .respond(request, |message| async move {
                self.store(std::slice::from_ref(&message), tally)
                    .await
                    .into_result()
            })
            .await
    }

    /// Stores messages from anywhere (a replay, say), reporting which were not stored.
    pub async fn store_messages(&self, messages: &[InboundMessage]) -> (Summary, Stored) {
        let mut tally = Tally::new();
        let stored = self.store(messages, &mut tally).await;
        self.print_metrics(&tally.metrics);
        (tally.summary, stored)
    }

    fn print_metrics(&self, metrics: &Metrics) {
        if let Some(namespace) = &self.metrics_namespace {
            for line in metrics.emf_lines(namespace, now_millis()) {
                println!("{line}");
            }
        }
    }

    /// Writes every message's log events, one write per stream; says which messages were not stored.
    async fn store(&self, messages: &[InboundMessage], tally: &mut Tally) -> Stored {
        let mut streams: BTreeMap<&'static str, StreamWrite> = BTreeMap::new();
        let mut seen = HashSet::new();
        for (index, message) in messages.iter().enumerate() {
            // Every message received counts, duplicates included (the README's `Records`).
            tally.record();
            let key = message.dedupe_key.as_str();
            if !seen.insert(key) || self.already_stored(key) {
                tally.duplicate();
                info!(message_key = %key, "already stored by this environment; skipped");
                continue;
            }
            self.collect(index, message, tally, &mut streams);
        }
        let total = streams.len();
        let mut counts = Vec::with_capacity(total);
        let mut writes = Vec::with_capacity(total);
        for (stream, write) in streams {
            counts.push((
                stream,
                write.entries.len(),
                write.messages,
                write.suppressions,
            ));
            // Each stream has the deadline to itself, so the ones that finish are remembered as stored.
            let write =
                tokio::time::timeout(self.write_deadline, self.sink.write(stream, write.entries));
            writes.push(async move { (stream, write.await) });
        }
        let results = join_all(writes).await;
        let mut stored = Stored::default();
        let mut failures = Vec::new();
        let mut suppressions = Vec::new();
        for ((stream, result), (_, count, indices, to_suppress)) in results.into_iter().zip(counts)
        {
            match result {
                Err(_elapsed) => {
                    tally.metrics.count_write_failure(count);
                    error!(stream, events = count, deadline = ?self.write_deadline, "CloudWatch Logs write timed out; its messages are not stored, to be retried");
                    stored.timed_out = Some(self.write_deadline);
                    stored.not_stored.extend(indices);
                }
                Ok(Ok(())) => {
                    tally.written(stream, count);
                    self.remember_stored(indices.iter().map(|&i| &messages[i].dedupe_key));
                    // Only once their events are stored: a failed stream is retried, suppressions with it.
                    suppressions.extend(to_suppress);
                }
                Ok(Err(error)) => {
                    tally.metrics.count_write_failure(count);
                    error!(stream, events = count, %error, "CloudWatch Logs write failed; its messages are not stored, to be retried");
                    stored.not_stored.extend(indices);
                    failures.push((stream, error));
                }
            }
        }
        self.suppress(suppressions, tally).await;
        stored.not_stored.sort_unstable();
        stored.failed_streams = total - tally.summary.written.len();
        stored.total_streams = total;
        stored.first_failure = failures.into_iter().next();
        stored
    }

    /// Suppression is a side effect: a failure is logged and counted, and never fails the invocation
    /// (the log events are stored already).
    async fn suppress(&self, addresses: Vec<(String, SuppressionReason)>, tally: &mut Tally) {
        let attempts = addresses
            .iter()
            .map(|(address, reason)| self.suppressor.suppress(address, *reason));
        for result in join_all(attempts).await {
            match result {
                Ok(()) => tally.suppression(true),
                Err(error) => {
                    tally.suppression(false);
                    // The SDK's message names the operation and the error, never the address.
                    warn!(%error, "could not add an address to the SES suppression list");
                }
            }
        }
        if tally.summary.suppressed > 0 {
            info!(
                suppressed = tally.summary.suppressed,
                "added addresses to the SES account-level suppression list"
            );
        }
    }

    fn already_stored(&self, message_id: &str) -> bool {
        self.stored_messages
            .lock()
            .is_ok_and(|stored| stored.contains(message_id))
    }

    fn remember_stored<'k>(&self, keys: impl Iterator<Item = &'k String>) {
        if let Ok(mut stored) = self.stored_messages.lock() {
            for key in keys {
                stored.insert(key.clone(), ());
            }
        }
    }

    fn collect(
        &self,
        index: usize,
        inbound: &InboundMessage,
        tally: &mut Tally,
        streams: &mut BTreeMap<&'static str, StreamWrite>,
    ) {
        let key = inbound.dedupe_key.as_str();
        let topic_arn = inbound
            .envelope
            .topic_arn
            .as_deref()
            .unwrap_or("(none: raw delivery)");
        // A raw-delivery message names no topic; its queue's policy decides who may send.
        if inbound
            .envelope
            .topic_arn
            .as_deref()
            .is_some_and(|arn| !self.access.allows_topic(arn))
        {
            tally.refused();
            warn!(topic_arn, message_key = %key, "record from a topic not in ALLOWED_TOPIC_ARNS; not stored");
            return;
        }
        let message = match &inbound.content {
            Content::Message(message) => message,
            Content::Control { sns_type } => {
                tally.setup_message();
                info!(message_key = %key, topic_arn, sns_type = %sns_type, "SNS {sns_type} message; nothing to store (a queue's subscription is confirmed in the SNS console or API)");
                return;
            }
        };
        let context = &inbound.envelope;
        match parse_message(message) {
            ParsedMessage::Feedback(feedback) => {
                let account = feedback
                    .notification
                    .mail
                    .as_ref()
                    .and_then(|mail| mail.sending_account_id.as_str());
                if !self.access.allows_account(account) {
                    tally.refused();
                    warn!(
                        topic_arn,
                        sending_account = account.unwrap_or("(none)"),
                        message_key = %key,
                        "feedback about mail from an account not in ALLOWED_SENDING_ACCOUNTS; not stored"
                    );
                    return;
                }
                let records = feedback_records(&feedback, context, &self.formatting);
                let sub_type = feedback
                    .details()
                    .and_then(|details| match feedback.event_type {
                        EventType::Complaint => details.complaint_sub_type.as_str(),
                        _ => details.bounce_sub_type.as_str(),
                    });
                let mut suppressions = Vec::new();
                let mut entries = Vec::with_capacity(records.len());
                for record in records {
                    match feedback.event_type {
                        EventType::Bounce => tally.metrics.count_bounce(
                            record.effective_bounce_type,
                            record.reason.map_or("undefined", |reason| reason.as_str()),
                        ),
                        EventType::Complaint => tally.metrics.count_complaint(
                            feedback
                                .details()
                                .and_then(|d| d.complaint_feedback_type.as_str()),
                        ),
                        EventType::DeliveryDelay => tally
                            .metrics
                            .count_delay(feedback.details().and_then(|d| d.delay_type.as_str())),
                        _ => {}
                    }
                    let reason = suppression_reason(
                        self.suppress_mode,
                        feedback.event_type,
                        record.effective_bounce_type,
                        sub_type,
                        record.address,
                    );
                    if let Some(reason) = reason {
                        suppressions.push((record.address.to_owned(), reason));
                    }
                    entries.push(record.entry);
                }
                let stream = feedback.event_type.name();
                info!(
                    notification_type = stream,
                    message_key = %key,
                    recipients = entries.len(),
                    stream,
                    "SES feedback"
                );
                let write = streams.entry(stream).or_default();
                write.add(index, entries);
                write.suppressions.extend(suppressions);
            }
            ParsedMessage::Setup(setup) => {
                tally.setup_message();
                info!(message_key = %key, topic_arn, "{}; nothing to store", setup.describe());
            }
            ParsedMessage::Unrecognized(reason) => {
                tally.unrecognized();
                // The reason's text can quote the message, so the function's own log gets its kind only.
                warn!(
                    message_key = %key,
                    reason = reason.kind(),
                    stream = UNRECOGNIZED_STREAM,
                    "message is not SES feedback of a known type; kept verbatim"
                );
                let entry = unrecognized_entry(message, &reason, context, &self.formatting);
                streams
                    .entry(UNRECOGNIZED_STREAM)
                    .or_default()
                    .add(index, vec![entry]);
            }
        }
    }
}

fn unsupported(error: UnsupportedEvent) -> HandlerError {
    HandlerError::UnsupportedEvent(error.to_string())
}

/// What one stream receives in an invocation, and from which messages (their indices).
#[derive(Default)]
struct StreamWrite {
    entries: Vec<LogEvent>,
    messages: Vec<usize>,
    /// Addresses to suppress once the entries are stored.
    suppressions: Vec<(String, SuppressionReason)>,
}

impl StreamWrite {
    fn add(&mut self, message: usize, entries: Vec<LogEvent>) {
        self.entries.extend(entries);
        self.messages.push(message);
    }
}

/// Which messages of a [`Handler::store_messages`] call were not stored, and why.
#[derive(Debug, Default)]
pub struct Stored {
    /// Indices of the messages not stored, ascending.
    pub not_stored: Vec<usize>,
    /// The write deadline, when a stream's write ran out of it.
    pub timed_out: Option<Duration>,
    pub failed_streams: usize,
    pub total_streams: usize,
    pub first_failure: Option<(&'static str, WriteError)>,
}

impl Stored {
    /// Ok when every message was stored, else the error that fails the invocation.
    fn into_result(self) -> Result<(), HandlerError> {
        if let Some(deadline) = self.timed_out {
            return Err(HandlerError::WriteTimedOut(deadline));
        }
        match self.first_failure {
            None => Ok(()),
            Some((stream, source)) => Err(HandlerError::WriteFailed {
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
) -> Result<SqsBatchResponse, HandlerError> {
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

/// What an invocation answers.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Response {
    Sns(Summary),
    Sqs(SqsBatchResponse),
    Http(HttpResponse),
}
