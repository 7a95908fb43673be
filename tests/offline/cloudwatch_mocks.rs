//! The real CloudWatch writer against the SDK's official mocks (aws-smithy-mocks), for every error path an
//! emulator cannot produce: missing group or stream, creation races, sequence tokens, already-accepted
//! batches, throttling, 5xx, an outage, and events CloudWatch rejects.

use aws_sdk_cloudwatchlogs::operation::create_log_group::{
    CreateLogGroupError, CreateLogGroupOutput,
};
use aws_sdk_cloudwatchlogs::operation::create_log_stream::{
    CreateLogStreamError, CreateLogStreamOutput,
};
use aws_sdk_cloudwatchlogs::operation::put_log_events::{PutLogEventsError, PutLogEventsOutput};
use aws_sdk_cloudwatchlogs::types::error::{
    DataAlreadyAcceptedException, InvalidSequenceTokenException, OperationAbortedException,
    ResourceAlreadyExistsException, ResourceNotFoundException,
};
use aws_sdk_cloudwatchlogs::types::RejectedLogEventsInfo;
use aws_sdk_cloudwatchlogs::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use ses_feedback_logger::storage::cloudwatch::{retry_config, timeout_config, CloudWatchSink};
use ses_feedback_logger::storage::LogEvent;
use ses_feedback_logger::storage::{LogSink, WriteError};

const GROUP: &str = "ses-feedback";

/// A sink whose client answers from `rules` in order, with the production retry and timeout settings.
fn sink(rules: &[&Rule]) -> CloudWatchSink {
    let client = mock_client!(
        aws_sdk_cloudwatchlogs,
        RuleMode::Sequential,
        rules,
        |config| config
            .retry_config(retry_config())
            .timeout_config(timeout_config())
    );
    CloudWatchSink::new(client, GROUP)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn entries(count: usize) -> Vec<LogEvent> {
    let now = now_ms();
    (0..count)
        .map(|i| LogEvent::new(now - 1_000 + i as i64, format!("{{\"n\":{i}}}")))
        .collect()
}

fn put_ok() -> Rule {
    mock!(Client::put_log_events)
        .match_requests(|put| {
            put.log_group_name() == Some(GROUP) && put.log_stream_name() == Some("Bounce")
        })
        .then_output(|| PutLogEventsOutput::builder().build())
}

fn put_error(error: fn() -> PutLogEventsError) -> Rule {
    mock!(Client::put_log_events).then_error(error)
}

fn stream_missing() -> PutLogEventsError {
    PutLogEventsError::ResourceNotFoundException(
        ResourceNotFoundException::builder()
            .message("The specified log stream does not exist.")
            .build(),
    )
}

fn create_stream_ok() -> Rule {
    mock!(Client::create_log_stream)
        .match_requests(|create| {
            create.log_group_name() == Some(GROUP) && create.log_stream_name() == Some("Bounce")
        })
        .then_output(|| CreateLogStreamOutput::builder().build())
}

fn create_group_ok() -> Rule {
    mock!(Client::create_log_group)
        .match_requests(|create| create.log_group_name() == Some(GROUP))
        .then_output(|| CreateLogGroupOutput::builder().build())
}

/// An AWS JSON 1.1 error answer, as CloudWatch Logs sends it.
fn aws_error_body(code: &str) -> Option<String> {
    Some(format!(
        r#"{{"__type":"{code}","message":"{code} from the mock"}}"#
    ))
}

#[tokio::test]
async fn an_existing_stream_costs_exactly_one_put() {
    let put = put_ok();
    let sink = sink(&[&put]);
    sink.write("Bounce", entries(3)).await.unwrap();
    assert_eq!(put.num_calls(), 1);
}

#[tokio::test]
async fn a_missing_stream_is_created_then_the_batch_put_again() {
    let (missing, create, put) = (put_error(stream_missing), create_stream_ok(), put_ok());
    let sink = sink(&[&missing, &create, &put]);
    sink.write("Bounce", entries(2)).await.unwrap();
    assert_eq!(
        (missing.num_calls(), create.num_calls(), put.num_calls()),
        (1, 1, 1)
    );
}

#[tokio::test]
async fn a_missing_group_is_created_before_its_stream() {
    let missing = put_error(stream_missing);
    let stream_without_group = mock!(Client::create_log_stream).then_error(|| {
        CreateLogStreamError::ResourceNotFoundException(
            ResourceNotFoundException::builder()
                .message("The specified log group does not exist.")
                .build(),
        )
    });
    let (group, stream, put) = (create_group_ok(), create_stream_ok(), put_ok());
    let sink = sink(&[&missing, &stream_without_group, &group, &stream, &put]);
    sink.write("Bounce", entries(1)).await.unwrap();
    for rule in [&missing, &stream_without_group, &group, &stream, &put] {
        assert_eq!(rule.num_calls(), 1);
    }
}

#[tokio::test]
async fn already_exists_from_a_concurrent_creator_is_success() {
    let missing = put_error(stream_missing);
    let stream_without_group = mock!(Client::create_log_stream).then_error(|| {
        CreateLogStreamError::ResourceNotFoundException(
            ResourceNotFoundException::builder().build(),
        )
    });
    let group_exists = mock!(Client::create_log_group).then_error(|| {
        CreateLogGroupError::ResourceAlreadyExistsException(
            ResourceAlreadyExistsException::builder().build(),
        )
    });
    let stream_exists = mock!(Client::create_log_stream).then_error(|| {
        CreateLogStreamError::ResourceAlreadyExistsException(
            ResourceAlreadyExistsException::builder().build(),
        )
    });
    let put = put_ok();
    let sink = sink(&[
        &missing,
        &stream_without_group,
        &group_exists,
        &stream_exists,
        &put,
    ]);
    sink.write("Bounce", entries(1)).await.unwrap();
    assert_eq!(put.num_calls(), 1);
}

#[tokio::test]
async fn operation_aborted_while_another_environment_creates_the_group_is_retried() {
    let missing = put_error(stream_missing);
    let stream_without_group = mock!(Client::create_log_stream).then_error(|| {
        CreateLogStreamError::ResourceNotFoundException(
            ResourceNotFoundException::builder().build(),
        )
    });
    let aborted = mock!(Client::create_log_group).then_error(|| {
        CreateLogGroupError::OperationAbortedException(OperationAbortedException::builder().build())
    });
    let group_exists = mock!(Client::create_log_group).then_error(|| {
        CreateLogGroupError::ResourceAlreadyExistsException(
            ResourceAlreadyExistsException::builder().build(),
        )
    });
    let (stream, put) = (create_stream_ok(), put_ok());
    let sink = sink(&[
        &missing,
        &stream_without_group,
        &aborted,
        &group_exists,
        &stream,
        &put,
    ]);
    sink.write("Bounce", entries(1)).await.unwrap();
    assert_eq!(
        (
            aborted.num_calls(),
            group_exists.num_calls(),
            put.num_calls()
        ),
        (1, 1, 1)
    );
}

#[tokio::test]
async fn a_stream_that_cannot_be_created_fails_the_write() {
    let missing = put_error(stream_missing);
    let denied = mock!(Client::create_log_stream)
        .sequence()
        .http_status(400, aws_error_body("AccessDeniedException"))
        .build();
    let sink = sink(&[&missing, &denied]);
    let error = sink.write("Bounce", entries(1)).await.unwrap_err();
    assert!(
        matches!(&error, WriteError::Api { operation: "CreateLogStream", detail } if detail.contains("AccessDenied")),
        "{error}"
    );
}

#[tokio::test]
async fn an_invalid_sequence_token_is_corrected_with_the_expected_one() {
    let wrong = put_error(|| {
        PutLogEventsError::InvalidSequenceTokenException(
            InvalidSequenceTokenException::builder()
                .expected_sequence_token("49590-expected")
                .build(),
        )
    });
    let corrected = mock!(Client::put_log_events)
        .match_requests(|put| put.sequence_token() == Some("49590-expected"))
        .then_output(|| {
            PutLogEventsOutput::builder()
                .next_sequence_token("49591-next")
                .build()
        });
    let warm = mock!(Client::put_log_events)
        .match_requests(|put| put.sequence_token() == Some("49591-next"))
        .then_output(|| PutLogEventsOutput::builder().build());
    let sink = sink(&[&wrong, &corrected, &warm]);
    sink.write("Bounce", entries(1)).await.unwrap();
    assert_eq!((wrong.num_calls(), corrected.num_calls()), (1, 1));
    // The next write remembers the token the last put returned: one call, no correction.
    sink.write("Bounce", entries(1)).await.unwrap();
    assert_eq!(warm.num_calls(), 1);
}

#[tokio::test]
async fn sequence_token_corrections_are_bounded() {
    let always_wrong = mock!(Client::put_log_events)
        .sequence()
        .error(|| {
            PutLogEventsError::InvalidSequenceTokenException(
                InvalidSequenceTokenException::builder()
                    .expected_sequence_token("moving")
                    .build(),
            )
        })
        .repeatedly()
        .build();
    let sink = sink(&[&always_wrong]);
    let error = sink.write("Bounce", entries(1)).await.unwrap_err();
    assert!(matches!(
        error,
        WriteError::Api {
            operation: "PutLogEvents",
            ..
        }
    ));
    assert_eq!(
        always_wrong.num_calls(),
        6,
        "the first put and five corrections"
    );
}

#[tokio::test]
async fn data_already_accepted_is_success_and_never_sent_again() {
    let accepted = put_error(|| {
        PutLogEventsError::DataAlreadyAcceptedException(
            DataAlreadyAcceptedException::builder()
                .expected_sequence_token("next")
                .build(),
        )
    });
    let must_not_be_called = put_ok();
    let sink = sink(&[&accepted, &must_not_be_called]);
    sink.write("Bounce", entries(2)).await.unwrap();
    assert_eq!(
        (accepted.num_calls(), must_not_be_called.num_calls()),
        (1, 0)
    );
}

#[tokio::test]
async fn a_throttling_burst_is_ridden_out_by_the_sdk_retries() {
    let throttled = mock!(Client::put_log_events)
        .sequence()
        .http_status(400, aws_error_body("ThrottlingException"))
        .times(3)
        .output(|| PutLogEventsOutput::builder().build())
        .build();
    let sink = sink(&[&throttled]);
    sink.write("Bounce", entries(1)).await.unwrap();
    assert_eq!(throttled.num_calls(), 4);
}

#[tokio::test]
async fn server_errors_are_retried_by_the_sdk() {
    let unavailable = mock!(Client::put_log_events)
        .sequence()
        .http_status(503, aws_error_body("ServiceUnavailableException"))
        .http_status(500, None)
        .output(|| PutLogEventsOutput::builder().build())
        .build();
    let sink = sink(&[&unavailable]);
    sink.write("Bounce", entries(1)).await.unwrap();
    assert_eq!(unavailable.num_calls(), 3);
}

#[tokio::test]
async fn an_outage_fails_the_write_after_the_bounded_retries() {
    let down = mock!(Client::put_log_events)
        .sequence()
        .http_status(503, aws_error_body("ServiceUnavailableException"))
        .repeatedly()
        .build();
    let sink = sink(&[&down]);
    let error = sink.write("Bounce", entries(1)).await.unwrap_err();
    assert!(
        matches!(&error, WriteError::Api { operation: "PutLogEvents", detail } if detail.contains("ServiceUnavailable")),
        "{error}"
    );
    assert_eq!(down.num_calls(), 5, "max attempts");
}

#[tokio::test]
async fn rejected_events_are_sent_again_stamped_now() {
    let partly_rejected = mock!(Client::put_log_events)
        .match_requests(|put| put.log_events().len() == 3)
        .then_output(|| {
            PutLogEventsOutput::builder()
                .rejected_log_events_info(
                    RejectedLogEventsInfo::builder()
                        .expired_log_event_end_index(1)
                        .too_new_log_event_start_index(2)
                        .build(),
                )
                .build()
        });
    let before = now_ms();
    let resend = mock!(Client::put_log_events)
        .match_requests(move |put| {
            let events = put.log_events();
            events.len() == 2
                && events[0].message() == "{\"n\":0}"
                && events[1].message() == "{\"n\":2}"
                && events.iter().all(|e| e.timestamp() >= before)
        })
        .then_output(|| PutLogEventsOutput::builder().build());
    let sink = sink(&[&partly_rejected, &resend]);
    sink.write("Bounce", entries(3)).await.unwrap();
    assert_eq!((partly_rejected.num_calls(), resend.num_calls()), (1, 1));
}

#[tokio::test]
async fn events_rejected_twice_fail_the_write_rather_than_vanish() {
    let rejected = mock!(Client::put_log_events)
        .sequence()
        .output(|| {
            PutLogEventsOutput::builder()
                .rejected_log_events_info(
                    RejectedLogEventsInfo::builder()
                        .too_old_log_event_end_index(2)
                        .build(),
                )
                .build()
        })
        .repeatedly()
        .build();
    let sink = sink(&[&rejected]);
    let error = sink.write("Bounce", entries(2)).await.unwrap_err();
    assert!(
        matches!(error, WriteError::Rejected { count: 2 }),
        "{error}"
    );
    assert_eq!(rejected.num_calls(), 2);
}

#[tokio::test]
async fn more_than_ten_thousand_events_take_one_put_per_full_batch() {
    let put = mock!(Client::put_log_events)
        .match_requests(|put| put.log_events().len() <= 10_000)
        .sequence()
        .output(|| PutLogEventsOutput::builder().build())
        .repeatedly()
        .build();
    let sink = sink(&[&put]);
    sink.write("Bounce", entries(20_001)).await.unwrap();
    assert_eq!(put.num_calls(), 3);
}
