//! SNS over HTTPS through the handler: a function URL event carrying a message signed here (key and
//! certificate made in the test, served by the local stand-in for SNS's host) is stored exactly as the same
//! notification delivered to Lambda; whatever is refused is written nowhere.

use crate::support;
use crate::support::sns_stand_in;
use crate::support::Invoke;

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde_json::{json, Value};
use ses_feedback_logger::log_events::LogFormat;
use ses_feedback_logger::pipeline::{AccessPolicy, Pipeline, Response};
use ses_feedback_logger::sources::https::url::SnsUrlPolicy;
use ses_feedback_logger::sources::https::SnsHttpsEndpoint;
use sns_stand_in::{notification, sign, StandIn, TestSigner};
use support::RecordingSink;

const BOUNCE_EVENT: &str = include_str!("../../events/bounce-notification.json");
const SUBSCRIPTION_SUCCEEDED: &str = include_str!("../../events/subscription-succeeded.json");

static SIGNER: LazyLock<TestSigner> = LazyLock::new(TestSigner::generate);
static OTHER_SIGNER: LazyLock<TestSigner> = LazyLock::new(TestSigner::generate);

async fn stand_in() -> StandIn {
    let mut certificates = BTreeMap::new();
    certificates.insert("/cert.pem", SIGNER.certificate_pem.clone());
    StandIn::start(certificates).await
}

/// The `Sns` object of an SNS event fixture's first record.
fn sns_of(event: &str) -> Value {
    let event: Value = serde_json::from_str(event).unwrap();
    event["Records"][0]["Sns"].clone()
}

/// The HTTPS delivery of the same notification as `event`'s first record, signed by `signer`.
fn signed_delivery(stand_in: &StandIn, event: &str, signer: &TestSigner) -> Value {
    let sns = sns_of(event);
    let mut message = notification(
        &stand_in.url("/cert.pem"),
        sns["TopicArn"].as_str().unwrap(),
        sns["MessageId"].as_str().unwrap(),
        sns["Subject"].as_str(),
        sns["Message"].as_str().unwrap(),
    );
    message["Timestamp"] = sns["Timestamp"].clone();
    sign(&mut message, signer, "2");
    message
}

/// A function URL event POSTing `body`, as Lambda delivers it.
fn function_url_event(body: &Value) -> String {
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/",
        "rawQueryString": "",
        "headers": {"content-type": "text/plain; charset=UTF-8", "x-amz-sns-message-type": "Notification"},
        "requestContext": {"http": {"method": "POST", "path": "/", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.1"}},
        "body": body.to_string(),
        "isBase64Encoded": false
    })
    .to_string()
}

fn https_handler(
    stand_in: &StandIn,
    sink: RecordingSink,
    topics: Option<Vec<String>>,
) -> Pipeline<RecordingSink> {
    let policy = SnsUrlPolicy::loopback_for_tests(&stand_in.origin).unwrap();
    let endpoint = SnsHttpsEndpoint::with_url_policy(topics.clone(), policy).unwrap();
    Pipeline::new(sink, LogFormat::Json)
        .with_access_policy(AccessPolicy {
            allowed_topic_arns: topics,
            allowed_sending_accounts: None,
        })
        .with_https_endpoint(endpoint)
}

fn topic_of(event: &str) -> Option<Vec<String>> {
    Some(vec![sns_of(event)["TopicArn"].as_str().unwrap().to_owned()])
}

async fn status(handler: &Pipeline<RecordingSink>, body: &Value) -> u16 {
    match handler.invoke(&function_url_event(body)).await.0.unwrap() {
        Response::Http(response) => {
            let response = serde_json::to_value(response).unwrap();
            response["statusCode"].as_u64().unwrap() as u16
        }
        other => panic!("a function URL event gets an HTTP response, not {other:?}"),
    }
}

#[tokio::test]
async fn a_signed_notification_is_stored_exactly_as_the_lambda_path_stores_it() {
    let stand_in = stand_in().await;
    let https = https_handler(&stand_in, RecordingSink::default(), topic_of(BOUNCE_EVENT));
    let delivery = signed_delivery(&stand_in, BOUNCE_EVENT, &SIGNER);
    assert_eq!(status(&https, &delivery).await, 200);

    let lambda = Pipeline::new(RecordingSink::default(), LogFormat::Json);
    lambda.handle(BOUNCE_EVENT).await.unwrap();
    assert_eq!(https.sink().streams(), lambda.sink().streams());
    assert_eq!(
        https.sink().messages("Bounce"),
        lambda.sink().messages("Bounce"),
        "the same log event, field for field"
    );
    assert_eq!(stand_in.count("/cert.pem"), 1);
}

#[tokio::test]
async fn a_notification_sns_delivers_twice_is_written_once() {
    let stand_in = stand_in().await;
    let https = https_handler(&stand_in, RecordingSink::default(), topic_of(BOUNCE_EVENT));
    let delivery = signed_delivery(&stand_in, BOUNCE_EVENT, &SIGNER);
    assert_eq!(status(&https, &delivery).await, 200);
    assert_eq!(status(&https, &delivery).await, 200);
    assert_eq!(https.sink().writes.lock().unwrap().len(), 1);
    assert_eq!(stand_in.count("/cert.pem"), 1, "the certificate is cached");
}

#[tokio::test]
async fn unsigned_badly_signed_and_foreign_topic_requests_get_403_and_are_written_nowhere() {
    let stand_in = stand_in().await;
    let https = https_handler(&stand_in, RecordingSink::default(), topic_of(BOUNCE_EVENT));

    let mut unsigned = signed_delivery(&stand_in, BOUNCE_EVENT, &SIGNER);
    unsigned.as_object_mut().unwrap().remove("Signature");
    assert_eq!(status(&https, &unsigned).await, 403);

    let wrong_key = signed_delivery(&stand_in, BOUNCE_EVENT, &OTHER_SIGNER);
    assert_eq!(status(&https, &wrong_key).await, 403);

    let mut tampered = signed_delivery(&stand_in, BOUNCE_EVENT, &SIGNER);
    tampered["Message"] = json!(tampered["Message"]
        .as_str()
        .unwrap()
        .replace("bob@example.org", "mallory@example.org"));
    assert_eq!(status(&https, &tampered).await, 403);

    let mut foreign = signed_delivery(&stand_in, BOUNCE_EVENT, &SIGNER);
    foreign["TopicArn"] = json!("arn:aws:sns:us-east-1:210987654321:somebody-elses");
    sign(&mut foreign, &SIGNER, "2");
    assert_eq!(status(&https, &foreign).await, 403);

    assert!(https.sink().writes.lock().unwrap().is_empty());
}

#[tokio::test]
async fn refused_https_requests_are_counted_as_refused() {
    let stand_in = stand_in().await;
    let https = https_handler(&stand_in, RecordingSink::default(), topic_of(BOUNCE_EVENT));
    let mut unsigned = signed_delivery(&stand_in, BOUNCE_EVENT, &SIGNER);
    unsigned.as_object_mut().unwrap().remove("Signature");
    let (_, refused) = https.invoke(&function_url_event(&unsigned)).await;
    assert_eq!((refused.refused(), refused.records()), (1, 0));
    let genuine = signed_delivery(&stand_in, BOUNCE_EVENT, &SIGNER);
    let (_, stored) = https.invoke(&function_url_event(&genuine)).await;
    assert_eq!((stored.refused(), stored.records()), (0, 1));
}

#[tokio::test]
async fn without_an_allow_list_every_https_request_is_refused() {
    let stand_in = stand_in().await;
    let https = https_handler(&stand_in, RecordingSink::default(), None);
    let delivery = signed_delivery(&stand_in, BOUNCE_EVENT, &SIGNER);
    assert_eq!(status(&https, &delivery).await, 403);
    assert!(https.sink().writes.lock().unwrap().is_empty());
    assert_eq!(stand_in.count("/cert.pem"), 0);
}

#[tokio::test]
async fn a_store_that_fails_answers_500_so_sns_delivers_again() {
    let stand_in = stand_in().await;
    let https = https_handler(
        &stand_in,
        RecordingSink::failing("Bounce"),
        topic_of(BOUNCE_EVENT),
    );
    let delivery = signed_delivery(&stand_in, BOUNCE_EVENT, &SIGNER);
    assert_eq!(status(&https, &delivery).await, 500);

    // SNS's next attempt, once CloudWatch is back, is stored: the failure was not remembered as stored.
    let https = https_handler(&stand_in, RecordingSink::default(), topic_of(BOUNCE_EVENT));
    assert_eq!(status(&https, &delivery).await, 200);
    assert_eq!(https.sink().streams()["Bounce"], 1);
}

#[tokio::test]
async fn ses_setup_messages_over_https_are_acknowledged_and_not_stored() {
    let stand_in = stand_in().await;
    let https = https_handler(
        &stand_in,
        RecordingSink::default(),
        topic_of(SUBSCRIPTION_SUCCEEDED),
    );
    let delivery = signed_delivery(&stand_in, SUBSCRIPTION_SUCCEEDED, &SIGNER);
    assert_eq!(status(&https, &delivery).await, 200);
    assert!(https.sink().writes.lock().unwrap().is_empty());
}
