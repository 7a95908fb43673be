//! End to end: the built binary, started as Lambda starts it, polling a local Lambda Runtime API, writing to
//! moto through a recording proxy. Run by `make test` (scripts/with-moto.sh starts moto).

use crate::support;

use std::time::Duration;

use serde_json::Value;
use ses_feedback_logger::feedback::EventType;
use ses_feedback_logger::log_events::{ACCOUNT_EVENT_STREAM, UNRECOGNIZED_STREAM};
use support::events::{eventbridge_events, sns_events};
use support::{
    cloudwatch_client, moto_endpoint, read_stream, spawn_function, unique_name, RecordingProxy,
    RuntimeApi,
};

/// The typical notification: one bounced recipient (bob@example.org) of three destinations.
const BOUNCE_NOTIFICATION: &str = include_str!("../../events/bounce-notification.json");

async fn invoke(api: &RuntimeApi, event: &str) -> support::Outcome {
    tokio::time::timeout(Duration::from_secs(60), api.invoke(event))
        .await
        .expect("the function answered")
}

/// One execution environment: the binary polling a fresh Runtime API, writing through a fresh proxy to a
/// fresh log group, with `extra` settings.
struct Environment {
    proxy: RecordingProxy,
    api: RuntimeApi,
    group: String,
    function: support::FunctionProcess,
}

async fn environment(extra: &[(&str, &str)]) -> Environment {
    let proxy = RecordingProxy::start(&moto_endpoint()).await;
    let api = RuntimeApi::start().await;
    let group = unique_name("/test/e2e");
    let endpoint = proxy.url();
    let mut envs = vec![
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("LOG_GROUP_NAME", group.as_str()),
    ];
    envs.extend_from_slice(extra);
    let function = spawn_function(&api.addr(), &envs);
    Environment {
        proxy,
        api,
        group,
        function,
    }
}

/// Every stream the function writes.
fn all_streams() -> Vec<&'static str> {
    let mut streams: Vec<&str> = EventType::ALL.iter().map(|kind| kind.name()).collect();
    streams.extend([UNRECOGNIZED_STREAM, ACCOUNT_EVENT_STREAM]);
    streams
}

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_stores_every_fixture_and_prints_no_address() {
    let Environment {
        proxy: _proxy,
        api,
        group,
        function,
    } = environment(&[]).await;

    let mut written = 0;
    for fixture in sns_events() {
        let (name, event) = (&fixture.name, &fixture.text);
        let response: Value =
            serde_json::from_str(&invoke(&api, event).await.expect_response()).unwrap();
        written += response["written"]
            .as_object()
            .unwrap()
            .values()
            .map(|n| n.as_u64().unwrap())
            .sum::<u64>();
        assert!(
            response["records"].as_u64().unwrap() >= 1,
            "{name}: {response}"
        );
    }
    assert_eq!(written, 21);

    let moto = cloudwatch_client(&moto_endpoint()).await;
    assert_stream_sizes(
        &moto,
        &group,
        &[
            ("Bounce", 5),
            ("Complaint", 3),
            ("Delivery", 3),
            ("Send", 2),
            ("Reject", 1),
            ("Open", 1),
            ("Click", 1),
            ("Rendering Failure", 1),
            ("DeliveryDelay", 1),
            ("Subscription", 1),
            ("Unrecognized", 2),
        ],
    )
    .await;
    let bounces = read_stream(&moto, &group, "Bounce").await;
    assert!(bounces
        .iter()
        .any(|(_, m)| m.contains("\"emailAddress\":\"bob@example.org\"")));
    assert!(
        !bounces
            .iter()
            .any(|(_, m)| m.contains("\"emailAddress\":\"alice@example.com\"")),
        "not destination[0]"
    );

    let output = function.kill().await;
    let own_log = format!("{}{}", output.stdout, output.stderr);
    assert!(
        own_log.contains("SES feedback"),
        "one info line per record: {own_log}"
    );
    let emf: Vec<Value> = output
        .stdout
        .lines()
        .filter(|line| line.contains("\"_aws\""))
        .map(|line| serde_json::from_str(line).expect("an EMF line is a JSON object of its own"))
        .collect();
    assert!(emf
        .iter()
        .any(|doc| doc["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "SesFeedbackLogger"));
    assert!(
        emf.iter().any(|doc| doc["Reason"] == "userunknown"),
        "bounce reasons are counted"
    );
    assert!(
        !own_log.contains("@example."),
        "an address leaked into the function's own log:\n{own_log}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_stores_every_eventbridge_event_and_prints_no_address() {
    let Environment {
        proxy: _proxy,
        api,
        group,
        function,
    } = environment(&[]).await;
    let mut account_events = 0;
    for fixture in eventbridge_events() {
        let response: Value =
            serde_json::from_str(&invoke(&api, &fixture.text).await.expect_response()).unwrap();
        assert_eq!(response["records"], 1, "{}: {response}", fixture.name);
        account_events += response["accountEvents"].as_u64().unwrap();
        // EventBridge delivers at least once: the same event again is a duplicate, not a second write.
        let again: Value =
            serde_json::from_str(&invoke(&api, &fixture.text).await.expect_response()).unwrap();
        assert_eq!(again["duplicates"], 1, "{}: {again}", fixture.name);
    }
    assert_eq!(account_events, 1);

    let moto = cloudwatch_client(&moto_endpoint()).await;
    assert_stream_sizes(
        &moto,
        &group,
        &[
            ("Bounce", 2),
            ("Complaint", 1),
            ("Delivery", 1),
            ("Send", 2),
            ("Reject", 1),
            ("Open", 1),
            ("Click", 1),
            ("Rendering Failure", 1),
            ("DeliveryDelay", 1),
            ("Subscription", 1),
            ("AccountEvent", 1),
            ("Unrecognized", 1),
        ],
    )
    .await;
    let bounces = read_stream(&moto, &group, "Bounce").await;
    assert!(bounces.iter().any(
        |(_, m)| m.contains("\"emailAddress\":\"amber@example.com\"")
            && m.contains("\"deliveryId\":\"b7c3e0f2-5a1d-4c8e-9f60-000000000001\"")
    ));
    let account = read_stream(&moto, &group, "AccountEvent").await;
    assert!(account[0].1.contains("\"Sending Status Disabled\""));

    let output = function.kill().await;
    let own_log = format!("{}{}", output.stdout, output.stderr);
    assert!(own_log.contains("SES account-level event"), "{own_log}");
    assert!(
        !own_log.contains("@example."),
        "an address leaked into the function's own log:\n{own_log}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_event_fails_its_invocation_and_the_environment_serves_the_next() {
    let Environment {
        proxy: _proxy,
        api,
        group: _group,
        function: _function,
    } = environment(&[]).await;

    let error = invoke(
        &api,
        r#"{"detail-type":"Scheduled Event","source":"aws.events"}"#,
    )
    .await
    .expect_error();
    assert_eq!(error["errorType"], "InvalidEvent");
    assert!(error["errorMessage"]
        .as_str()
        .unwrap()
        .contains("not an SNS event"));

    let response = invoke(&api, BOUNCE_NOTIFICATION).await.expect_response();
    assert!(response.contains("\"Bounce\":1"), "{response}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cloudwatch_outage_fails_the_invocation_so_lambda_retries_it() {
    let Environment {
        proxy,
        api,
        group,
        function: _function,
    } = environment(&[]).await;
    for _ in 0..5 {
        proxy.inject(
            "PutLogEvents",
            support::Fault::Status(503, "ServiceUnavailableException", "down".into()),
        );
    }
    let error = invoke(&api, BOUNCE_NOTIFICATION).await.expect_error();
    assert_eq!(error["errorType"], "CloudWatchWriteFailed");
    assert!(
        error["errorMessage"]
            .as_str()
            .unwrap()
            .contains("ServiceUnavailable"),
        "{error}"
    );
    assert_eq!(proxy.count("PutLogEvents"), 5, "the SDK's bounded retries");

    // Lambda's retry, once CloudWatch is back, stores the event.
    let response = invoke(&api, BOUNCE_NOTIFICATION).await.expect_response();
    assert!(response.contains("\"Bounce\":1"), "{response}");
    assert_eq!(
        read_stream(&cloudwatch_client(&moto_endpoint()).await, &group, "Bounce")
            .await
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_setting_stops_the_start_naming_the_variable() {
    let api = RuntimeApi::start().await;
    let function = spawn_function(&api.addr(), &[("LOG_FORMAT", "yaml")]);
    let output = tokio::time::timeout(Duration::from_secs(30), function.wait())
        .await
        .expect("the process exits");
    assert!(!output.status.success());
    let printed = format!("{}{}", output.stdout, output.stderr);
    assert!(printed.contains("LOG_FORMAT"), "{printed}");
}

/// Every address in the fixtures, for checking none is stored or printed.
fn fixture_addresses() -> Vec<String> {
    let mut addresses = Vec::new();
    for fixture in sns_events().into_iter().chain(eventbridge_events()) {
        for word in fixture
            .text
            .split(|c: char| !(c.is_ascii_alphanumeric() || "@.-_+".contains(c)))
        {
            if word.contains('@') && word.contains('.') && !word.starts_with("sender@") {
                addresses.push(word.to_owned());
            }
        }
    }
    addresses.sort();
    addresses.dedup();
    addresses
}

async fn stores_hashed_addresses(key_envs: &[(&str, &str)], key: &[u8]) {
    let Environment {
        api,
        group,
        function,
        proxy: _proxy,
    } = environment(key_envs).await;
    for fixture in sns_events().into_iter().chain(eventbridge_events()) {
        invoke(&api, &fixture.text).await.expect_response();
    }
    let moto = cloudwatch_client(&moto_endpoint()).await;
    let bounces = read_stream(&moto, &group, "Bounce").await;
    let bob = support::hmac_sha256_hex(key, "bob@example.org");
    assert!(
        bounces.iter().any(|(_, m)| m.contains(&format!(
            "\"emailAddress\":\"{bob}\",\"recipientDomain\":\"example.org\""
        ))),
        "{bounces:?}"
    );
    let addresses = fixture_addresses();
    assert!(addresses.len() > 20, "{addresses:?}");
    for stream in all_streams() {
        for (_, message) in read_stream(&moto, &group, stream).await {
            for address in &addresses {
                assert!(
                    !message.contains(address.as_str()),
                    "{address} stored in {stream}: {message}"
                );
            }
        }
    }
    let output = function.kill().await;
    for address in &addresses {
        assert!(
            !output.stdout.contains(address.as_str()) && !output.stderr.contains(address.as_str())
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn with_a_hash_key_no_recipient_address_is_stored() {
    stores_hashed_addresses(
        &[("ADDRESS_HASH_KEY", "correct horse battery staple")],
        b"correct horse battery staple",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_hash_key_can_come_from_an_ssm_secure_string() {
    let ssm_config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_sdk_ssm::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_ssm::config::Credentials::new(
            "testing", "testing", None, None, "e2e",
        ))
        .endpoint_url(moto_endpoint())
        .load()
        .await;
    let name = format!("/ses-feedback/{}", unique_name("hash-key"));
    aws_sdk_ssm::Client::new(&ssm_config)
        .put_parameter()
        .name(&name)
        .value("from-parameter-store")
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .send()
        .await
        .unwrap();
    stores_hashed_addresses(
        &[("ADDRESS_HASH_KEY_PARAMETER", &name)],
        b"from-parameter-store",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreadable_hash_key_parameter_stops_the_start_naming_it() {
    let api = RuntimeApi::start().await;
    let proxy = RecordingProxy::start(&moto_endpoint()).await;
    let function = spawn_function(
        &api.addr(),
        &[
            ("AWS_ENDPOINT_URL", &proxy.url()),
            ("ADDRESS_HASH_KEY_PARAMETER", "/does/not/exist"),
        ],
    );
    let output = tokio::time::timeout(Duration::from_secs(60), function.wait())
        .await
        .expect("the process exits");
    assert!(!output.status.success());
    assert!(format!("{}{}", output.stdout, output.stderr).contains("ADDRESS_HASH_KEY_PARAMETER"));
}

/// The SQS messageIds of an SQS event fixture, in order.
fn sqs_message_ids(event: &str) -> Vec<Value> {
    let event: Value = serde_json::from_str(event).unwrap();
    event["Records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|record| record["messageId"].clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_sqs_batch_is_written_with_one_put_per_stream_and_failed_messages_are_named() {
    let Environment {
        proxy,
        api,
        group,
        function: _function,
    } = environment(&[]).await;
    let envelopes = include_str!("../../events/sqs-sns-envelopes.json");
    let raw = include_str!("../../events/sqs-raw-delivery.json");

    let response: Value =
        serde_json::from_str(&invoke(&api, envelopes).await.expect_response()).unwrap();
    assert_eq!(response, serde_json::json!({"batchItemFailures": []}));

    // Warm, with every stream in place: one PutLogEvents per stream for the whole batch.
    proxy.reset();
    let response: Value = serde_json::from_str(&invoke(&api, raw).await.expect_response()).unwrap();
    assert_eq!(response, serde_json::json!({"batchItemFailures": []}));
    assert_eq!(proxy.calls(), ["PutLogEvents"; 3]);

    let moto = cloudwatch_client(&moto_endpoint()).await;
    assert_stream_sizes(
        &moto,
        &group,
        &[
            ("Bounce", 5),
            ("Complaint", 2),
            ("Delivery", 3),
            ("Unrecognized", 1),
        ],
    )
    .await;

    // A stream CloudWatch refuses: exactly its messages come back for SQS to deliver again.
    proxy.reset();
    proxy.inject_for_stream(
        "PutLogEvents",
        "Complaint",
        support::Fault::Status(400, "InvalidParameterException", "refused".into()),
    );
    let mut event: Value = serde_json::from_str(envelopes).unwrap();
    for record in event["Records"].as_array_mut().unwrap() {
        // New SNS MessageIds: not already stored by this environment.
        let body = record["body"]
            .as_str()
            .unwrap()
            .replace("\"MessageId\": \"", "\"MessageId\": \"again-");
        record["body"] = Value::String(body);
    }
    let response: Value =
        serde_json::from_str(&invoke(&api, &event.to_string()).await.expect_response()).unwrap();
    assert_eq!(
        response["batchItemFailures"],
        serde_json::json!([{"itemIdentifier": sqs_message_ids(envelopes)[1]}])
    );
    assert_eq!(read_stream(&moto, &group, "Complaint").await.len(), 2);
    assert_eq!(read_stream(&moto, &group, "Bounce").await.len(), 8);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_answers_https_deliveries_it_cannot_verify_with_403_and_writes_nothing() {
    let topic = "arn:aws:sns:us-east-1:123456789012:ses-feedback";
    let Environment {
        proxy,
        api,
        group: _group,
        function,
    } = environment(&[("ALLOWED_TOPIC_ARNS", topic)]).await;
    let sns: Value =
        serde_json::from_str::<Value>(BOUNCE_NOTIFICATION).unwrap()["Records"][0]["Sns"].clone();
    let body = serde_json::json!({
        "Type": "Notification",
        "MessageId": sns["MessageId"],
        "TopicArn": topic,
        "Message": sns["Message"],
        "Timestamp": sns["Timestamp"],
        "SignatureVersion": "2",
        "Signature": "bm90IGEgc2lnbmF0dXJl",
        // Not SNS's host: refused before anything is fetched.
        "SigningCertURL": "https://sns.us-east-1.amazonaws.com.example.net/cert.pem"
    });
    let request = serde_json::json!({
        "version": "2.0",
        "rawPath": "/",
        "headers": {"content-type": "text/plain; charset=UTF-8"},
        "requestContext": {"http": {"method": "POST", "path": "/"}},
        "body": body.to_string(),
        "isBase64Encoded": false
    });
    let response: Value =
        serde_json::from_str(&invoke(&api, &request.to_string()).await.expect_response()).unwrap();
    assert_eq!(response["statusCode"], 403, "{response}");

    let mut get = request.clone();
    get["requestContext"]["http"]["method"] = Value::from("GET");
    let response: Value =
        serde_json::from_str(&invoke(&api, &get.to_string()).await.expect_response()).unwrap();
    assert_eq!(response["statusCode"], 405, "{response}");

    assert!(
        proxy.calls().is_empty(),
        "nothing written: {:?}",
        proxy.calls()
    );
    let output = function.kill().await;
    assert!(
        !format!("{}{}", output.stdout, output.stderr).contains("bob@"),
        "no address in the function's own log"
    );
}

/// Each stream of the group holds exactly this many events.
async fn assert_stream_sizes(
    moto: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    sizes: &[(&str, usize)],
) {
    for &(stream, count) in sizes {
        assert_eq!(
            read_stream(moto, group, stream).await.len(),
            count,
            "{stream}"
        );
    }
}
