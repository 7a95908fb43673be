//! SUPPRESS: addresses that really bounced hard (and, if asked, complainers) are added to the SES
//! account-level suppression list through SES v2 PutSuppressedDestination, tested with aws-smithy-mocks.

use crate::support;
use crate::support::Invoke;

use aws_sdk_sesv2::operation::put_suppressed_destination::{
    PutSuppressedDestinationError, PutSuppressedDestinationOutput,
};
use aws_sdk_sesv2::types::error::BadRequestException;
use aws_sdk_sesv2::types::SuppressionListReason;
use aws_sdk_sesv2::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use serde_json::Value;
use ses_feedback_logger::log_events::LogFormat;
use ses_feedback_logger::operations::suppression::{SesSuppressor, SuppressMode};
use ses_feedback_logger::pipeline::Pipeline;
use support::RecordingSink;

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../../events/", $name))
    };
}

fn suppressed(address: &'static str, reason: SuppressionListReason) -> Rule {
    mock!(Client::put_suppressed_destination)
        .match_requests(move |put| {
            put.email_address() == Some(address) && put.reason() == Some(&reason)
        })
        .then_output(|| PutSuppressedDestinationOutput::builder().build())
}

fn handler(
    rules: &[&Rule],
    mode: SuppressMode,
    sink: RecordingSink,
) -> Pipeline<RecordingSink, SesSuppressor> {
    let client = mock_client!(aws_sdk_sesv2, RuleMode::MatchAny, rules);
    Pipeline::new(sink, LogFormat::Json).with_suppression(SesSuppressor::new(client), mode)
}

/// `fixture` with its SES message changed by `change`.
fn edited(fixture: &str, change: impl Fn(&mut Value)) -> String {
    let mut event: Value = serde_json::from_str(fixture).unwrap();
    let mut message: Value =
        serde_json::from_str(event["Records"][0]["Sns"]["Message"].as_str().unwrap()).unwrap();
    change(&mut message);
    event["Records"][0]["Sns"]["Message"] = message.to_string().into();
    event.to_string()
}

#[tokio::test]
async fn a_bounce_ses_called_transient_but_really_hard_is_suppressed() {
    let frank = suppressed("frank@example.net", SuppressionListReason::Bounce);
    let handler = handler(&[&frank], SuppressMode::Hard, RecordingSink::default());
    let summary = handler
        .handle(fixture!("bounce-transient-5xx.json"))
        .await
        .unwrap();
    assert_eq!((summary.suppressed, frank.num_calls()), (1, 1));
}

#[tokio::test]
async fn permanent_bounces_are_suppressed_but_not_the_other_recipients() {
    let bob = suppressed("bob@example.org", SuppressionListReason::Bounce);
    let handler = handler(&[&bob], SuppressMode::Hard, RecordingSink::default());
    handler
        .handle(fixture!("bounce-notification.json"))
        .await
        .unwrap();
    assert_eq!(
        bob.num_calls(),
        1,
        "bob bounced; alice and carol were only destinations"
    );
}

#[tokio::test]
async fn complaints_are_suppressed_only_in_hard_and_complaints_mode() {
    let heidi = suppressed("heidi@example.org", SuppressionListReason::Complaint);
    let hard = handler(&[&heidi], SuppressMode::Hard, RecordingSink::default());
    hard.handle(fixture!("complaint-notification.json"))
        .await
        .unwrap();
    assert_eq!(heidi.num_calls(), 0);
    let both = handler(
        &[&heidi],
        SuppressMode::HardAndComplaints,
        RecordingSink::default(),
    );
    assert_eq!(
        both.handle(fixture!("complaint-notification.json"))
            .await
            .unwrap()
            .suppressed,
        1
    );
    assert_eq!(heidi.num_calls(), 1);
}

#[tokio::test]
async fn soft_bounces_and_off_mode_suppress_nothing() {
    let any = mock!(Client::put_suppressed_destination)
        .then_output(|| PutSuppressedDestinationOutput::builder().build());
    let off = handler(&[&any], SuppressMode::Off, RecordingSink::default());
    off.handle(fixture!("bounce-notification.json"))
        .await
        .unwrap();
    let hard = handler(
        &[&any],
        SuppressMode::HardAndComplaints,
        RecordingSink::default(),
    );
    let full = edited(fixture!("bounce-notification.json"), |m| {
        m["bounce"]["bounceType"] = "Transient".into();
        m["bounce"]["bounceSubType"] = "MailboxFull".into();
        m["bounce"]["bouncedRecipients"][0]["status"] = "4.2.2".into();
        m["bounce"]["bouncedRecipients"][0]["diagnosticCode"] =
            "smtp; 452 4.2.2 mailbox full".into();
    });
    hard.handle(&full).await.unwrap();
    hard.handle(fixture!("delivery-notification.json"))
        .await
        .unwrap();
    assert_eq!(any.num_calls(), 0);
}

#[tokio::test]
async fn what_ses_suppressed_already_and_the_mailbox_simulator_are_skipped() {
    let any = mock!(Client::put_suppressed_destination)
        .then_output(|| PutSuppressedDestinationOutput::builder().build());
    let handler = handler(
        &[&any],
        SuppressMode::HardAndComplaints,
        RecordingSink::default(),
    );
    let on_list = edited(fixture!("bounce-notification.json"), |m| {
        m["bounce"]["bounceSubType"] = "OnAccountSuppressionList".into();
    });
    handler.handle(&on_list).await.unwrap();
    let simulator = edited(fixture!("bounce-event.json"), |m| {
        m["bounce"]["bouncedRecipients"][0]["emailAddress"] =
            "bounce@simulator.amazonses.com".into();
        m["bounce"]["bouncedRecipients"][1]["emailAddress"] =
            "suppressionlist@simulator.amazonses.com".into();
    });
    handler.handle(&simulator).await.unwrap();
    assert_eq!(any.num_calls(), 0);
}

#[tokio::test]
async fn a_failed_suppression_is_counted_and_loses_no_log_event() {
    let failing = mock!(Client::put_suppressed_destination).then_error(|| {
        PutSuppressedDestinationError::BadRequestException(
            BadRequestException::builder().message("nope").build(),
        )
    });
    let handler = handler(&[&failing], SuppressMode::Hard, RecordingSink::default());
    let summary = handler
        .handle(fixture!("bounce-notification.json"))
        .await
        .expect("the invocation succeeds");
    assert_eq!((summary.suppressed, summary.suppression_failures), (0, 1));

    assert_eq!(handler.sink().messages("Bounce").len(), 1);
}

#[tokio::test]
async fn a_suppression_error_never_quotes_the_address() {
    use ses_feedback_logger::operations::suppression::{SuppressionReason, Suppressor};
    let quoting = mock!(Client::put_suppressed_destination).then_error(|| {
        PutSuppressedDestinationError::BadRequestException(
            BadRequestException::builder()
                .message("bob@example.org is not a valid address")
                .build(),
        )
    });
    let suppressor = SesSuppressor::new(mock_client!(aws_sdk_sesv2, [&quoting]));
    let error = suppressor
        .suppress("bob@example.org", SuppressionReason::Bounce)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "PutSuppressedDestination failed: BadRequestException"
    );
}

#[tokio::test]
async fn nothing_is_suppressed_until_its_events_are_stored() {
    let bob = suppressed("bob@example.org", SuppressionListReason::Bounce);
    let failing_sink = RecordingSink::failing("Bounce");
    let handler = handler(&[&bob], SuppressMode::Hard, failing_sink);
    handler
        .handle(fixture!("bounce-notification.json"))
        .await
        .unwrap_err();
    assert_eq!(bob.num_calls(), 0);
}
