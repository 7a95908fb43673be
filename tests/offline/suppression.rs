//! SUPPRESS: addresses that really bounced hard (and, if asked, complainers) are added to the SES
//! account-level suppression list through SES v2 PutSuppressedDestination, tested with aws-smithy-mocks;
//! SUPPRESS_REGIONS (the lists of several regions) against a local stand-in that checks each request's
//! signing region.

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

/// The function's SDK configuration (its retries and timeouts) for a local endpoint, in us-east-1.
async fn sdk_config_for(endpoint: &str) -> aws_config::SdkConfig {
    use aws_config::{BehaviorVersion, Region};
    use aws_sdk_sesv2::config::Credentials;
    use ses_feedback_logger::storage::cloudwatch::{retry_config, timeout_config};
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
        .endpoint_url(endpoint)
        .retry_config(retry_config())
        .timeout_config(timeout_config())
        .load()
        .await
}

async fn two_region_handler(
    stand_in: &support::ses_stand_in::SesStandIn,
) -> Pipeline<RecordingSink, SesSuppressor> {
    let regions = ["us-east-1".to_owned(), "eu-west-1".to_owned()];
    let suppressor = SesSuppressor::in_regions(&sdk_config_for(stand_in.url()).await, &regions);
    Pipeline::new(RecordingSink::default(), LogFormat::Json)
        .with_suppression(suppressor, SuppressMode::Hard)
}

#[tokio::test]
async fn every_suppression_goes_to_each_listed_regions_list_signed_for_that_region() {
    let stand_in = support::ses_stand_in::SesStandIn::start().await;
    let handler = two_region_handler(&stand_in).await;
    let (summary, metrics) = handler
        .handle_measured(fixture!("bounce-notification.json"))
        .await;
    assert_eq!(summary.unwrap().suppressed, 2, "bob, once per region");
    let mut calls = stand_in.calls();
    calls.sort_by(|a, b| a.signing_region.cmp(&b.signing_region));
    let seen: Vec<_> = calls
        .iter()
        .map(|call| {
            (
                call.signing_region.as_str(),
                call.signing_service.as_str(),
                call.email_address.as_str(),
                call.reason.as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("eu-west-1", "ses", "bob@example.org", "BOUNCE"),
            ("us-east-1", "ses", "bob@example.org", "BOUNCE"),
        ]
    );
    let by_region: Vec<_> = metrics
        .suppressions_by_region()
        .clone()
        .into_iter()
        .collect();
    assert_eq!(
        by_region,
        [
            ("eu-west-1".to_owned(), (1, 0)),
            ("us-east-1".to_owned(), (1, 0))
        ]
    );
}

#[tokio::test]
async fn a_region_that_refuses_is_counted_alone_and_neither_the_other_region_nor_the_events_suffer()
{
    let stand_in = support::ses_stand_in::SesStandIn::start().await;
    stand_in.fail("eu-west-1", &[400]);
    let handler = two_region_handler(&stand_in).await;
    let (summary, metrics) = handler
        .handle_measured(fixture!("bounce-notification.json"))
        .await;
    let summary = summary.expect("a failed suppression never fails the invocation");
    assert_eq!((summary.suppressed, summary.suppression_failures), (1, 1));
    assert_eq!(stand_in.suppressed_in("us-east-1"), ["bob@example.org"]);
    assert!(stand_in.suppressed_in("eu-west-1").is_empty());
    assert_eq!(
        stand_in.calls().len(),
        2,
        "a refusal is not retried: trying again gets the same answer"
    );
    assert_eq!(metrics.suppressions_by_region()["eu-west-1"], (0, 1));
    assert_eq!(metrics.suppressions_by_region()["us-east-1"], (1, 0));
    let emf = metrics.emf_lines("SesFeedbackLogger", 0).join("\n");
    assert!(
        emf.contains(r#""Region":"eu-west-1","SuppressionsMade":0,"SuppressionFailures":1"#),
        "{emf}"
    );
    assert_eq!(handler.sink().messages("Bounce").len(), 1);
}

#[tokio::test]
async fn a_throttled_region_is_retried_by_the_sdk_within_the_invocation() {
    let stand_in = support::ses_stand_in::SesStandIn::start().await;
    stand_in.fail("eu-west-1", &[429, 429]);
    let handler = two_region_handler(&stand_in).await;
    let summary = handler
        .handle(fixture!("bounce-notification.json"))
        .await
        .unwrap();
    assert_eq!((summary.suppressed, summary.suppression_failures), (2, 0));
    let statuses: Vec<u16> = stand_in
        .calls()
        .into_iter()
        .filter(|call| call.signing_region == "eu-west-1")
        .map(|call| call.status)
        .collect();
    assert_eq!(statuses, [429, 429, 200]);
}
