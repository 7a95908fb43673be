//! The real [`LogSink`]: CloudWatch Logs through the AWS SDK.
//!
//! Put first, create on demand: a warm invocation costs exactly one PutLogEvents per stream and no create or
//! describe calls. Throttling, 5xx and timeouts are retried by the SDK with the settings below; the errors the
//! SDK does not retry (missing group or stream, sequence tokens from older endpoints, concurrent creation) are
//! handled here.

use chrono::Utc;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_cloudwatchlogs::config::http::HttpResponse;
use aws_sdk_cloudwatchlogs::config::retry::RetryConfig;
use aws_sdk_cloudwatchlogs::config::timeout::TimeoutConfig;
use aws_sdk_cloudwatchlogs::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_cloudwatchlogs::operation::create_log_group::CreateLogGroupError;
use aws_sdk_cloudwatchlogs::operation::create_log_stream::CreateLogStreamError;
use aws_sdk_cloudwatchlogs::operation::get_log_events::GetLogEventsError;
use aws_sdk_cloudwatchlogs::operation::put_log_events::PutLogEventsError;
use aws_sdk_cloudwatchlogs::types::{InputLogEvent, RejectedLogEventsInfo};
use aws_sdk_cloudwatchlogs::Client;

use crate::recent::RecentMap;
use crate::storage::batch::prepare_batches;
use crate::storage::LogEvent;
use crate::storage::{LogSink, WriteError};

/// Sequence-token corrections to accept per batch before giving up (only older endpoints send them).
const MAX_SEQUENCE_TOKEN_RETRIES: usize = 5;
/// Tries at CreateLogGroup while another environment's concurrent creation aborts ours.
const MAX_CREATE_GROUP_ATTEMPTS: usize = 3;
const CREATE_GROUP_CONFLICT_PAUSE: Duration = Duration::from_millis(200);

/// Five attempts with backoff from 100 ms capped at 2 s ride out a burst of throttled or 503 answers in
/// about two seconds.
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(5)
        .with_initial_backoff(Duration::from_millis(100))
        .with_max_backoff(Duration::from_secs(2))
}

/// An unreachable or hanging endpoint fails one call within 10 s, well inside the pipeline's write deadline.
pub fn timeout_config() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .operation_attempt_timeout(Duration::from_secs(4))
        .operation_timeout(Duration::from_secs(10))
        .build()
}

pub struct CloudWatchSink {
    client: Client,
    log_group: String,
    /// Streams known to exist, with the next sequence token the last put returned. Current CloudWatch ignores
    /// tokens; older or compatible endpoints need them, and remembering saves them a correction round trip.
    known_streams: Mutex<HashMap<String, Option<String>>>,
    /// Batches whose put got no answer and were not found stored, with the time span they were sent with:
    /// when Lambda retries the invocation here, they are looked up again before being put a second time.
    uncertain_batches: Mutex<RecentMap<u64, (i64, i64)>>,
}

/// Attempts at one PutLogEvents batch that got a clear "not stored" answer (throttling, 5xx).
const MAX_PUT_ATTEMPTS: u32 = 5;
const PUT_BACKOFF_INITIAL: Duration = Duration::from_millis(100);
const PUT_BACKOFF_MAX: Duration = Duration::from_secs(2);
/// Uncertain batches remembered per execution environment.
const MAX_UNCERTAIN_BATCHES: usize = 1_000;
/// Pages of GetLogEvents read when looking for a batch.
const MAX_LOOKUP_PAGES: usize = 100;

/// How a failed PutLogEvents call ended, as far as what was stored is concerned.
enum PutFailure<'a> {
    StreamMissing,
    WrongSequenceToken(Option<&'a str>),
    AlreadyAccepted(Option<&'a str>),
    /// CloudWatch answered that it did not store the batch, and asked to try again later.
    Retryable,
    /// No answer (timeout, dropped connection, unreadable response): the batch may or may not be stored.
    NoAnswer,
    Fatal,
}

impl CloudWatchSink {
    pub fn new(client: Client, log_group: impl Into<String>) -> Self {
        CloudWatchSink {
            client,
            log_group: log_group.into(),
            known_streams: Mutex::new(HashMap::new()),
            uncertain_batches: Mutex::new(RecentMap::new(MAX_UNCERTAIN_BATCHES)),
        }
    }

    fn known_token(&self, stream: &str) -> Option<String> {
        self.known_streams
            .lock()
            .ok()?
            .get(stream)
            .cloned()
            .flatten()
    }

    fn remember(&self, stream: &str, token: Option<String>) {
        if let Ok(mut known) = self.known_streams.lock() {
            known.insert(stream.to_owned(), token);
        }
    }

    async fn put_batch(&self, stream: &str, mut batch: Vec<LogEvent>) -> Result<(), WriteError> {
        // The batch as it came is fingerprinted (every message hashed) only when needed: when there is an
        // earlier uncertain batch to match, or when this one ends uncertain.
        let mut fingerprint = None;
        let earlier_span = self.uncertain_batches.lock().ok().and_then(|mut u| {
            if u.is_empty() {
                return None;
            }
            u.take(fingerprint.insert(batch_fingerprint(stream, &batch)))
        });
        if let Some(span) = earlier_span {
            // An earlier attempt got no answer: if it was stored after all, putting it again would duplicate it.
            if self.is_stored(stream, &batch, span).await? {
                return Ok(());
            }
        }
        let mut token = self.known_token(stream);
        let mut created = false;
        let mut corrections = 0;
        let mut attempts = 0;
        let mut resent_rejected = false;
        loop {
            attempts += 1;
            let events = batch
                .iter()
                .map(input_event)
                .collect::<Result<Vec<_>, _>>()?;
            let result = self
                .client
                .put_log_events()
                .log_group_name(&self.log_group)
                .log_stream_name(stream)
                .set_log_events(Some(events))
                .set_sequence_token(token.clone())
                .customize()
                // Retried here rather than by the SDK, which would also resend a batch whose put timed out
                // after it was stored. (A second client built once with retries off would save the override's
                // merge per put, but building it cost every cold start about 0.35 ms of CPU: issue 15.)
                .config_override(
                    aws_sdk_cloudwatchlogs::Config::builder().retry_config(RetryConfig::disabled()),
                )
                .send()
                .await;
            let error = match result {
                Ok(output) => {
                    let rejected = output
                        .rejected_log_events_info()
                        .map(|info| rejected_indices(info, batch.len()))
                        .unwrap_or_default();
                    token = output.next_sequence_token;
                    self.remember(stream, token.clone());
                    if rejected.is_empty() {
                        return Ok(());
                    }
                    if resent_rejected {
                        return Err(WriteError::Rejected {
                            count: rejected.len(),
                        });
                    }
                    // CloudWatch refused these for their time (e.g. older than the group's retention): file
                    // them now instead; each keeps its original time in its message.
                    let now = Utc::now().timestamp_millis();
                    fingerprint.get_or_insert_with(|| batch_fingerprint(stream, &batch));
                    batch = rejected
                        .into_iter()
                        .map(|index| {
                            let mut entry = batch[index].clone();
                            entry.restamp(now);
                            entry
                        })
                        .collect();
                    resent_rejected = true;
                    continue;
                }
                Err(error) => error,
            };
            match classify_put_failure(&error) {
                PutFailure::StreamMissing if !created => {
                    self.create_stream(stream).await?;
                    created = true;
                }
                PutFailure::WrongSequenceToken(expected)
                    if corrections < MAX_SEQUENCE_TOKEN_RETRIES =>
                {
                    token = expected.map(str::to_owned);
                    corrections += 1;
                }
                // The batch was stored by an earlier attempt: sending it again would write it twice.
                PutFailure::AlreadyAccepted(next) => {
                    self.remember(stream, next.map(str::to_owned));
                    return Ok(());
                }
                PutFailure::Retryable if attempts < MAX_PUT_ATTEMPTS => {
                    tokio::time::sleep(backoff(attempts)).await;
                }
                PutFailure::NoAnswer => {
                    let span = batch_span(&batch);
                    if self.is_stored(stream, &batch, span).await.unwrap_or(false) {
                        return Ok(());
                    }
                    if let Ok(mut uncertain) = self.uncertain_batches.lock() {
                        let fingerprint =
                            fingerprint.unwrap_or_else(|| batch_fingerprint(stream, &batch));
                        uncertain.insert(fingerprint, span);
                    }
                    return Err(WriteError::Uncertain {
                        events: batch.len(),
                        detail: DisplayErrorContext(&error).to_string(),
                    });
                }
                _ => return Err(api_error("PutLogEvents", &error)),
            }
        }
    }

    /// Whether every event of `batch` is in the stream between the times it was sent with.
    async fn is_stored(
        &self,
        stream: &str,
        batch: &[LogEvent],
        (first, last): (i64, i64),
    ) -> Result<bool, WriteError> {
        let mut missing: HashMap<&str, usize> = HashMap::new();
        for entry in batch {
            *missing.entry(entry.message.as_str()).or_default() += 1;
        }
        let mut token: Option<String> = None;
        for _ in 0..MAX_LOOKUP_PAGES {
            let page = self
                .client
                .get_log_events()
                .log_group_name(&self.log_group)
                .log_stream_name(stream)
                .start_time(first)
                .end_time(last + 1)
                .start_from_head(true)
                .set_next_token(token.clone())
                .send()
                .await;
            let page = match page {
                Ok(page) => page,
                Err(error)
                    if matches!(
                        error.as_service_error(),
                        Some(GetLogEventsError::ResourceNotFoundException(_))
                    ) =>
                {
                    return Ok(false);
                }
                Err(error) => return Err(api_error("GetLogEvents", &error)),
            };
            for event in page.events() {
                if let Some(count) = event.message().and_then(|message| missing.get_mut(message)) {
                    *count = count.saturating_sub(1);
                }
            }
            missing.retain(|_, count| *count > 0);
            if missing.is_empty() {
                return Ok(true);
            }
            if page.events().is_empty()
                || page.next_forward_token.is_none()
                || page.next_forward_token == token
            {
                return Ok(false);
            }
            token = page.next_forward_token;
        }
        Ok(false)
    }

    /// Creates the stream, and the group first if it is missing too. Already-exists means another execution
    /// environment won the race, which is success.
    async fn create_stream(&self, stream: &str) -> Result<(), WriteError> {
        for attempt in 0..2 {
            let result = self
                .client
                .create_log_stream()
                .log_group_name(&self.log_group)
                .log_stream_name(stream)
                .send()
                .await;
            let error = match result {
                Ok(_) => return Ok(()),
                Err(error) => error,
            };
            match error.as_service_error() {
                Some(CreateLogStreamError::ResourceAlreadyExistsException(_)) => return Ok(()),
                Some(CreateLogStreamError::ResourceNotFoundException(_)) if attempt == 0 => {
                    self.create_group().await?;
                }
                _ => return Err(api_error("CreateLogStream", &error)),
            }
        }
        Err(WriteError::Api {
            operation: "CreateLogStream",
            detail: format!(
                "log group {} still missing after creating it",
                self.log_group
            ),
        })
    }

    async fn create_group(&self) -> Result<(), WriteError> {
        let mut attempt = 1;
        loop {
            let error = match self
                .client
                .create_log_group()
                .log_group_name(&self.log_group)
                .send()
                .await
            {
                Ok(_) => return Ok(()),
                Err(error) => error,
            };
            match error.as_service_error() {
                Some(CreateLogGroupError::ResourceAlreadyExistsException(_)) => return Ok(()),
                // Another environment is creating the same group right now; once it has, ours is a no-op.
                Some(CreateLogGroupError::OperationAbortedException(_))
                    if attempt < MAX_CREATE_GROUP_ATTEMPTS =>
                {
                    tokio::time::sleep(CREATE_GROUP_CONFLICT_PAUSE).await;
                    attempt += 1;
                }
                _ => return Err(api_error("CreateLogGroup", &error)),
            }
        }
    }
}

impl LogSink for CloudWatchSink {
    async fn write(&self, stream: &str, entries: Vec<LogEvent>) -> Result<(), WriteError> {
        for batch in prepare_batches(entries, Utc::now().timestamp_millis()) {
            self.put_batch(stream, batch).await?;
        }
        Ok(())
    }
}

/// The same events for the same stream give the same fingerprint, whenever they are stamped.
fn batch_fingerprint(stream: &str, batch: &[LogEvent]) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    stream.hash(&mut hasher);
    for entry in batch {
        entry.message.hash(&mut hasher);
    }
    hasher.finish()
}

fn batch_span(batch: &[LogEvent]) -> (i64, i64) {
    let first = batch.iter().map(|e| e.timestamp_ms).min().unwrap_or(0);
    let last = batch.iter().map(|e| e.timestamp_ms).max().unwrap_or(0);
    (first, last)
}

fn classify_put_failure(error: &SdkError<PutLogEventsError, HttpResponse>) -> PutFailure<'_> {
    match error {
        SdkError::ServiceError(failure) => {
            let status = failure.raw().status().as_u16();
            match failure.err() {
                PutLogEventsError::ResourceNotFoundException(_) => PutFailure::StreamMissing,
                PutLogEventsError::InvalidSequenceTokenException(wrong) => {
                    PutFailure::WrongSequenceToken(wrong.expected_sequence_token())
                }
                PutLogEventsError::DataAlreadyAcceptedException(accepted) => {
                    PutFailure::AlreadyAccepted(accepted.expected_sequence_token())
                }
                PutLogEventsError::ServiceUnavailableException(_) => PutFailure::Retryable,
                other if status == 429 || status >= 500 || is_throttling(other.code()) => {
                    PutFailure::Retryable
                }
                _ => PutFailure::Fatal,
            }
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            PutFailure::NoAnswer
        }
        _ => PutFailure::Fatal,
    }
}

/// The error codes AWS uses for throttling; the SDK's own classifier also counts `LimitExceededException`.
fn is_throttling(code: Option<&str>) -> bool {
    matches!(
        code,
        Some(
            "ThrottlingException"
                | "Throttling"
                | "ThrottledException"
                | "TooManyRequestsException"
                | "RequestLimitExceeded"
                | "RequestThrottled"
                | "RequestThrottledException"
                | "SlowDown"
                | "LimitExceededException"
        )
    )
}

/// Exponential backoff with full jitter, as the SDK's standard retry strategy uses.
fn backoff(attempt: u32) -> Duration {
    let ceiling = PUT_BACKOFF_INITIAL
        .saturating_mul(1 << attempt.min(10))
        .min(PUT_BACKOFF_MAX);
    let jitter = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    ceiling.mul_f64(f64::from(jitter % 1_000) / 1_000.0)
}

/// Indices of the events CloudWatch refused, per `RejectedLogEventsInfo`: too old and expired end indices
/// are exclusive, the too-new start index inclusive (the PutLogEvents API reference).
fn rejected_indices(info: &RejectedLogEventsInfo, len: usize) -> Vec<usize> {
    let index = |value: Option<i32>| value.map(|v| usize::try_from(v).unwrap_or(0).min(len));
    let old_end = index(info.too_old_log_event_end_index()).unwrap_or(0);
    let expired_end = index(info.expired_log_event_end_index()).unwrap_or(0);
    let new_start = index(info.too_new_log_event_start_index()).unwrap_or(len);
    let old_end = old_end.max(expired_end).min(new_start);
    (0..old_end).chain(new_start..len).collect()
}

fn input_event(entry: &LogEvent) -> Result<InputLogEvent, WriteError> {
    InputLogEvent::builder()
        .timestamp(entry.timestamp_ms)
        .message(entry.message.clone())
        .build()
        .map_err(|error| WriteError::Api {
            operation: "PutLogEvents",
            detail: error.to_string(),
        })
}

fn api_error(operation: &'static str, error: &dyn std::error::Error) -> WriteError {
    WriteError::Api {
        operation,
        detail: DisplayErrorContext(error).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(
        old_end: Option<i32>,
        expired_end: Option<i32>,
        new_start: Option<i32>,
    ) -> RejectedLogEventsInfo {
        RejectedLogEventsInfo::builder()
            .set_too_old_log_event_end_index(old_end)
            .set_expired_log_event_end_index(expired_end)
            .set_too_new_log_event_start_index(new_start)
            .build()
    }

    #[test]
    fn rejected_indices_follow_the_api_reference_bounds() {
        assert_eq!(
            rejected_indices(&info(None, None, None), 5),
            Vec::<usize>::new()
        );
        assert_eq!(rejected_indices(&info(Some(2), None, None), 5), vec![0, 1]);
        assert_eq!(
            rejected_indices(&info(None, Some(3), None), 5),
            vec![0, 1, 2]
        );
        assert_eq!(rejected_indices(&info(None, None, Some(3)), 5), vec![3, 4]);
        assert_eq!(
            rejected_indices(&info(Some(1), Some(2), Some(4)), 5),
            vec![0, 1, 4]
        );
        assert_eq!(
            rejected_indices(&info(Some(9), None, Some(-1)), 3),
            vec![0, 1, 2]
        );
    }
}
