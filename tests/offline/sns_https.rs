//! SNS over HTTPS, end to end through `SnsHttpsEndpoint::respond`: messages signed here with an RSA key and a
//! certificate made here, the certificate served by a local stand-in for SNS's host (which also plays the
//! SubscribeURL), and a store that records what it is given.
//!
//! The endpoint runs with `SnsUrlPolicy::loopback_for_tests`, which accepts the stand-in's origin only; the
//! production policy is checked against the same stand-in, and against lookalike hosts, in its own tests.

use crate::support::sns_stand_in;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::{json, Value};
use ses_feedback_logger::sources::https::function_url::{HttpRequest, HttpResponse};
use ses_feedback_logger::sources::https::url::SnsUrlPolicy;
use ses_feedback_logger::sources::https::SnsHttpsEndpoint;
use ses_feedback_logger::sources::{Content, Envelope, InboundMessage};

use sns_stand_in::{confirmation, notification, post, request, sign, StandIn, TestSigner};

const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:ses-feedback";
const OTHER_ALLOWED_TOPIC: &str = "arn:aws:sns:eu-west-1:123456789012:ses-feedback";
const FOREIGN_TOPIC: &str = "arn:aws:sns:us-east-1:210987654321:somebody-elses";
const MESSAGE_ID: &str = "f5d6c4a8-1b7e-5c3d-9a2f-0e1d2c3b4a59";
const SES_BOUNCE: &str = r#"{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bounceSubType":"General","bouncedRecipients":[{"emailAddress":"jane.doe@example.com"}],"timestamp":"2026-03-04T05:06:07.000Z","feedbackId":"f"},"mail":{"timestamp":"2026-03-04T05:06:06.000Z","messageId":"m","source":"sender@example.org","destination":["jane.doe@example.com"]}}"#;

const AWS_SAMPLE_CERTIFICATE: &str = include_str!("../data/sns/aws-sample-certificate.pem");
const AWS_SAMPLE_SHA1: &str = include_str!("../data/sns/aws-sample-sha1.json");
const AWS_SAMPLE_SHA256: &str = include_str!("../data/sns/aws-sample-sha256.json");

/// The key SNS signs with, in these tests, and another one.
static SIGNER: LazyLock<TestSigner> = LazyLock::new(TestSigner::generate);
static OTHER_SIGNER: LazyLock<TestSigner> = LazyLock::new(TestSigner::generate);

fn aws_sample_topics() -> Vec<String> {
    [AWS_SAMPLE_SHA1, AWS_SAMPLE_SHA256]
        .iter()
        .map(|body| {
            let message: Value = serde_json::from_str(body).expect("sample JSON");
            message["TopicArn"].as_str().expect("topic").to_owned()
        })
        .collect()
}

async fn stand_in() -> StandIn {
    LazyLock::force(&LOGS);
    let mut certificates = BTreeMap::new();
    certificates.insert("/cert.pem", SIGNER.certificate_pem.clone());
    certificates.insert("/slow.pem", SIGNER.certificate_pem.clone());
    certificates.insert("/other.pem", OTHER_SIGNER.certificate_pem.clone());
    certificates.insert("/aws.pem", AWS_SAMPLE_CERTIFICATE.to_owned());
    StandIn::start(certificates).await
}

fn endpoint_for(stand_in: &StandIn, allowed: Option<Vec<String>>) -> SnsHttpsEndpoint {
    let policy = SnsUrlPolicy::loopback_for_tests(&stand_in.origin).expect("loopback origin");
    SnsHttpsEndpoint::with_url_policy(allowed, policy)
        .expect("test endpoint")
        .with_fetch_timeout(Duration::from_secs(2))
}

fn allowed_topics() -> Option<Vec<String>> {
    let mut topics = vec![TOPIC.to_owned(), OTHER_ALLOWED_TOPIC.to_owned()];
    topics.extend(aws_sample_topics());
    Some(topics)
}

async fn setup() -> (StandIn, SnsHttpsEndpoint) {
    let stand_in = stand_in().await;
    let endpoint = endpoint_for(&stand_in, allowed_topics());
    (stand_in, endpoint)
}

/// `respond` with a store that keeps what it is given.
async fn deliver(
    endpoint: &SnsHttpsEndpoint,
    request: &HttpRequest,
) -> (HttpResponse, Option<InboundMessage>) {
    let mut stored = None;
    let response = endpoint
        .respond(request, |notification| {
            stored = Some(notification);
            std::future::ready(Ok::<(), Infallible>(()))
        })
        .await;
    (response, stored)
}

/// A notification for `TOPIC` with its certificate on the stand-in, signed with `version`.
/// The bounce notification for `topic`, its certificate at `certificate_url`, signed by `signer`.
fn signed(certificate_url: &str, topic: &str, signer: &TestSigner, version: &str) -> Value {
    let mut message = notification(certificate_url, topic, MESSAGE_ID, None, SES_BOUNCE);
    sign(&mut message, signer, version);
    message
}

/// A confirmation of `kind` for `topic` whose SubscribeURL is the stand-in's, signed by the usual key.
fn signed_confirmation(stand_in: &StandIn, kind: &str, topic: &str, version: &str) -> Value {
    let subscribe_url = stand_in.url("/confirm?Action=ConfirmSubscription");
    let mut message = confirmation(kind, &stand_in.url("/cert.pem"), topic, &subscribe_url);
    sign(&mut message, &SIGNER, version);
    message
}

/// `deliver` of `message` POSTed as it is.
async fn deliver_signed(
    endpoint: &SnsHttpsEndpoint,
    message: &Value,
) -> (HttpResponse, Option<InboundMessage>) {
    deliver(endpoint, &post(&message.to_string(), false)).await
}

fn signed_notification(stand_in: &StandIn, version: &str, subject: Option<&str>) -> Value {
    let mut message = notification(
        &stand_in.url("/cert.pem"),
        TOPIC,
        MESSAGE_ID,
        subject,
        SES_BOUNCE,
    );
    sign(&mut message, &SIGNER, version);
    message
}

/// The response's body, empty when it has none.
fn body_of(response: &HttpResponse) -> &str {
    response.body.as_deref().unwrap_or_default()
}

/// A change made to a message after it was signed.
type Change = fn(&mut Value);

fn assert_refused(response: &HttpResponse, stored: &Option<InboundMessage>, what: &str) {
    assert_eq!(response.status_code, 403, "{what}: {response:?}");
    assert!(
        body_of(response).starts_with("forbidden"),
        "{what}: {response:?}"
    );
    assert!(stored.is_none(), "{what}: stored");
}

#[test]
fn the_textbook_signer_agrees_with_aws_lc_rs() {
    // PKCS#1 v1.5 is deterministic: the test's own SHA-256 signature must be aws-lc-rs's, byte for byte, which
    // vouches for the same code making the SHA-1 signatures aws-lc-rs cannot make.
    for text in ["", "Message\nhello\n", SES_BOUNCE] {
        assert_eq!(
            SIGNER.sign("2", text),
            SIGNER.sign_sha256_with_aws_lc_rs(text)
        );
    }
}

#[tokio::test]
async fn notifications_signed_with_version_1_or_2_are_stored_with_their_fields() {
    let (stand_in, endpoint) = setup().await;
    for version in ["1", "2"] {
        for subject in [Some("Amazon SES Email Event Notification"), None] {
            let message = signed_notification(&stand_in, version, subject);
            let (response, stored) = deliver_signed(&endpoint, &message).await;
            assert_eq!(response.status_code, 200, "v{version}: {response:?}");
            assert_eq!(
                stored,
                // Timestamp "2026-03-04T05:06:07.890Z".
                Some(InboundMessage {
                    dedupe_key: MESSAGE_ID.to_owned(),
                    envelope: Envelope {
                        message_id: Some(MESSAGE_ID.to_owned()),
                        topic_arn: Some(TOPIC.to_owned()),
                        subject: subject.map(str::to_owned),
                        timestamp_ms: 1_772_600_767_890,
                        delivery_id: Some(MESSAGE_ID.to_owned()),
                        event_account: None,
                        event_region: None,
                    },
                    content: Content::Message(SES_BOUNCE.to_owned()),
                }),
                "v{version}"
            );
        }
    }
    assert_eq!(stand_in.count("/cert.pem"), 1);
}

#[tokio::test]
async fn tampered_messages_are_refused_and_not_stored() {
    let (stand_in, endpoint) = setup().await;
    let changes: &[(&str, Change)] = &[
        ("Message", |m| {
            m["Message"] = json!(SES_BOUNCE.replace("jane.doe", "john.doe"))
        }),
        ("Message appended", |m| {
            m["Message"] = json!(format!("{} ", SES_BOUNCE))
        }),
        ("Subject changed", |m| m["Subject"] = json!("Other subject")),
        ("Subject removed", |m| {
            m.as_object_mut().expect("object").remove("Subject");
        }),
        ("Timestamp", |m| {
            m["Timestamp"] = json!("2026-03-04T05:06:07.891Z")
        }),
        ("TopicArn, to another allowed topic", |m| {
            m["TopicArn"] = json!(OTHER_ALLOWED_TOPIC)
        }),
        ("MessageId", |m| {
            m["MessageId"] = json!("00000000-0000-0000-0000-000000000000")
        }),
        ("Type", |m| {
            m["Type"] = json!("UnsubscribeConfirmation");
            m["Token"] = json!("t");
            m["SubscribeURL"] = json!("http://127.0.0.1:1/confirm");
        }),
        ("SignatureVersion swapped", |m| {
            let other = if m["SignatureVersion"] == "1" {
                "2"
            } else {
                "1"
            };
            m["SignatureVersion"] = json!(other);
        }),
        ("Signature flipped", |m| {
            let signature = m["Signature"].as_str().expect("signature");
            let flipped = if signature.starts_with('A') { "B" } else { "A" };
            m["Signature"] = json!(format!("{flipped}{}", &signature[1..]));
        }),
    ];
    for version in ["1", "2"] {
        for (what, change) in changes {
            let mut message = signed_notification(&stand_in, version, Some("Subject"));
            change(&mut message);
            let (response, stored) = deliver_signed(&endpoint, &message).await;
            assert_refused(&response, &stored, &format!("v{version} {what}"));
        }
    }
    // Adding a Subject to a message signed without one is tampering too.
    let mut message = signed_notification(&stand_in, "2", None);
    message["Subject"] = json!("Added");
    let (response, stored) = deliver_signed(&endpoint, &message).await;
    assert_refused(&response, &stored, "Subject added");
}

#[tokio::test]
async fn a_signature_by_another_key_is_refused() {
    let (stand_in, endpoint) = setup().await;
    for version in ["1", "2"] {
        // Signed by another key, certificate of the usual one.
        let message = signed(&stand_in.url("/cert.pem"), TOPIC, &OTHER_SIGNER, version);
        let (response, stored) = deliver_signed(&endpoint, &message).await;
        assert_refused(&response, &stored, "other key, usual certificate");
        // Signed by the usual key, certificate of another.
        let message = signed(&stand_in.url("/other.pem"), TOPIC, &SIGNER, version);
        let (response, stored) = deliver_signed(&endpoint, &message).await;
        assert_refused(&response, &stored, "usual key, other certificate");
    }
}

#[tokio::test]
async fn unsigned_messages_and_unknown_signature_versions_are_refused_without_a_fetch() {
    let (stand_in, endpoint) = setup().await;
    let changes: &[(&str, Change)] = &[
        ("no Signature", |m| {
            m.as_object_mut().expect("object").remove("Signature");
        }),
        ("null Signature", |m| m["Signature"] = Value::Null),
        ("no SignatureVersion", |m| {
            m.as_object_mut()
                .expect("object")
                .remove("SignatureVersion");
        }),
        ("SignatureVersion 3", |m| m["SignatureVersion"] = json!("3")),
        ("SignatureVersion 0", |m| m["SignatureVersion"] = json!("0")),
        ("SignatureVersion as a number", |m| {
            m["SignatureVersion"] = json!(1)
        }),
        ("no SigningCertURL", |m| {
            m.as_object_mut().expect("object").remove("SigningCertURL");
        }),
    ];
    for (what, change) in changes {
        let mut message = signed_notification(&stand_in, "1", None);
        change(&mut message);
        let (response, stored) = deliver_signed(&endpoint, &message).await;
        assert_refused(&response, &stored, what);
    }
    assert_eq!(stand_in.requests(), Vec::<String>::new());
    for (what, signature) in [("empty", ""), ("not base64", "%%%"), ("short", "AAAA")] {
        let mut message = signed_notification(&stand_in, "2", None);
        message["Signature"] = json!(signature);
        let (response, stored) = deliver_signed(&endpoint, &message).await;
        assert_refused(&response, &stored, what);
    }
}

#[tokio::test]
async fn certificate_urls_off_the_allowed_origin_are_refused_without_a_fetch() {
    let (stand_in, endpoint) = setup().await;
    let origin = stand_in.origin.clone();
    let authority = origin.trim_start_matches("http://").to_owned();
    let port: u16 = authority
        .rsplit(':')
        .next()
        .and_then(|port| port.parse().ok())
        .expect("port");
    let hostile = [
        // The stand-in itself, reached by tricks.
        format!("https://{authority}/cert.pem"),
        format!("http://evil.com@{authority}/cert.pem"),
        format!("http://{authority}@evil.com/cert.pem"),
        format!("http://user:pass@{authority}/cert.pem"),
        format!("http://{authority}\\@evil.com/cert.pem"),
        format!("http://localhost:{port}/cert.pem"),
        format!("http://127.0.0.2:{port}/cert.pem"),
        format!("http://127.0.0.1:{}/cert.pem", port.wrapping_add(1).max(1)),
        "http://127.0.0.1/cert.pem".to_owned(),
        format!("http://[::1]:{port}/cert.pem"),
        format!("http://{authority}.evil.com/cert.pem"),
        format!("http://evil.com/{authority}/cert.pem"),
        format!("http://{authority}/cert.txt"),
        format!("http://{authority}/cert.pem?x=1"),
        format!("http://{authority}/cert.pem#x"),
        format!("http://{authority}/../cert.pem"),
        format!("{origin} /cert.pem"),
        format!(" {origin}/cert.pem"),
        format!("HTTP://{authority}/cert.pem"),
        format!("//{authority}/cert.pem"),
        // What the production policy accepts is not accepted by the test one (no test reaches the internet).
        "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem".to_owned(),
        // Lookalikes of SNS.
        "https://sns.us-east-1.amazonaws.com.evil.com/x.pem".to_owned(),
        "https://evil.com/sns.us-east-1.amazonaws.com/x.pem".to_owned(),
        "https://sns.us-east-1.amazonaws.com@evil.com/x.pem".to_owned(),
        "http://sns.us-east-1.amazonaws.com/x.pem".to_owned(),
        "file:///etc/ssl/certs/ca-certificates.crt".to_owned(),
        String::new(),
    ];
    for url in &hostile {
        let mut message = notification(url, TOPIC, MESSAGE_ID, None, SES_BOUNCE);
        sign(&mut message, &SIGNER, "2");
        let (response, stored) = deliver_signed(&endpoint, &message).await;
        assert_refused(&response, &stored, url);
        assert_eq!(
            body_of(&response),
            "forbidden: signing certificate URL not allowed",
            "{url}"
        );
    }
    assert_eq!(stand_in.requests(), Vec::<String>::new());
}

/// Set in the copy of this test binary that builds the production endpoint (below).
const OWN_ROOTS: &str = "SNS_HTTPS_TEST_OWN_ROOTS";

/// The production endpoint loads the system's root certificates, which a machine may not have. So the test
/// that builds it runs in a copy of this binary whose `SSL_CERT_FILE` (read by the root loader, and set
/// before any thread starts) names a certificate of ours: the same roots on every machine. Returns
/// whether this is that copy; if not, runs `test` there and checks that it ran and passed.
fn in_process_with_own_roots(test: &str) -> bool {
    if std::env::var_os(OWN_ROOTS).is_some() {
        return true;
    }
    let roots =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sns/aws-sample-certificate.pem");
    // The name libtest knows the test by: its module path without the binary's name.
    let (_, module) = module_path!()
        .split_once("::")
        .expect("a module of the test binary");
    let name = format!("{module}::{test}");
    let output = std::process::Command::new(std::env::current_exe().expect("the test binary"))
        .args([name.as_str(), "--exact", "--nocapture", "--test-threads=1"])
        .env(OWN_ROOTS, "1")
        .env("SSL_CERT_FILE", &roots)
        .env_remove("SSL_CERT_DIR")
        .output()
        .expect("run the test binary again");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success() && printed.contains("test result: ok. 1 passed"),
        "{name} with our root certificate:\n{printed}"
    );
    false
}

#[tokio::test]
async fn the_production_endpoint_refuses_the_stand_in_and_lookalikes_without_a_fetch() {
    if !in_process_with_own_roots(
        "the_production_endpoint_refuses_the_stand_in_and_lookalikes_without_a_fetch",
    ) {
        return;
    }
    let stand_in = stand_in().await;
    let endpoint = SnsHttpsEndpoint::new(allowed_topics()).expect("the production endpoint");
    let mut requests = Vec::new();
    for url in [
        stand_in.url("/cert.pem"),
        stand_in.url("/cert.pem").replace("http://", "https://"),
        "http://sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem".to_owned(),
        "https://sns.us-east-1.amazonaws.com.evil.example/x.pem".to_owned(),
        "https://evil.example/sns.us-east-1.amazonaws.com/x.pem".to_owned(),
        "https://sns.us-east-1.amazonaws.com@evil.example/x.pem".to_owned(),
        "https://evil.example@sns.us-east-1.amazonaws.com/x.pem".to_owned(),
        "https://sns.us-east-1.amazonaws.com:8443/x.pem".to_owned(),
        "https://sns.us-east-1.amazonaws.com/x.pem?.pem".to_owned(),
    ] {
        let mut message = notification(&url, TOPIC, MESSAGE_ID, None, SES_BOUNCE);
        sign(&mut message, &SIGNER, "1");
        requests.push((url, post(&message.to_string(), false)));
    }
    let started = Instant::now();
    for (url, request) in &requests {
        let (response, stored) = deliver(&endpoint, request).await;
        assert_refused(&response, &stored, url);
    }
    // Refused on the text alone: no DNS lookup, no connection.
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    // A subscription confirmation pointing at the stand-in is refused too, before its certificate is fetched.
    let message = signed_confirmation(&stand_in, "SubscriptionConfirmation", TOPIC, "1");
    let (response, _) = deliver_signed(&endpoint, &message).await;
    assert_eq!(response.status_code, 403);
    assert_eq!(stand_in.requests(), Vec::<String>::new());
}

#[tokio::test]
async fn a_foreign_topic_is_refused_before_any_fetch_or_store() {
    let (stand_in, endpoint) = setup().await;
    for version in ["1", "2"] {
        let message = signed(&stand_in.url("/cert.pem"), FOREIGN_TOPIC, &SIGNER, version);
        let (response, stored) = deliver_signed(&endpoint, &message).await;
        assert_refused(&response, &stored, "foreign notification");
        assert_eq!(body_of(&response), "forbidden: topic not allowed");
    }
    for kind in ["SubscriptionConfirmation", "UnsubscribeConfirmation"] {
        let message = signed_confirmation(&stand_in, kind, FOREIGN_TOPIC, "1");
        let (response, stored) = deliver_signed(&endpoint, &message).await;
        assert_refused(&response, &stored, kind);
    }
    // A prefix or a case variant of an allowed ARN is another topic.
    for topic in [
        TOPIC[..TOPIC.len() - 1].to_owned(),
        TOPIC.to_uppercase(),
        format!("{TOPIC} "),
    ] {
        let message = signed(&stand_in.url("/cert.pem"), &topic, &SIGNER, "2");
        let (response, stored) = deliver_signed(&endpoint, &message).await;
        assert_refused(&response, &stored, &topic);
    }
    assert_eq!(stand_in.requests(), Vec::<String>::new());
}

#[tokio::test]
async fn without_allowed_topics_every_request_is_refused() {
    let stand_in = stand_in().await;
    for allowed in [None, Some(Vec::new())] {
        let endpoint = endpoint_for(&stand_in, allowed);
        let message = signed_notification(&stand_in, "2", None);
        let (response, stored) = deliver_signed(&endpoint, &message).await;
        assert_refused(&response, &stored, "no allow-list");
        let message = signed_confirmation(&stand_in, "SubscriptionConfirmation", TOPIC, "2");
        let (response, _) = deliver_signed(&endpoint, &message).await;
        assert_eq!(response.status_code, 403);
    }
    assert_eq!(stand_in.requests(), Vec::<String>::new());
}

#[tokio::test]
async fn the_certificate_is_fetched_once_for_many_messages() {
    let (stand_in, endpoint) = setup().await;
    for index in 0..20 {
        let version = if index % 2 == 0 { "1" } else { "2" };
        let mut message = notification(
            &stand_in.url("/cert.pem"),
            TOPIC,
            &format!("message-{index}"),
            None,
            SES_BOUNCE,
        );
        sign(&mut message, &SIGNER, version);
        let (response, stored) = deliver_signed(&endpoint, &message).await;
        assert_eq!(response.status_code, 200);
        assert_eq!(
            stored.and_then(|n| n.envelope.message_id),
            Some(format!("message-{index}"))
        );
    }
    assert_eq!(stand_in.count("/cert.pem"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_messages_wait_for_one_certificate_fetch() {
    let (stand_in, endpoint) = setup().await;
    let endpoint = Arc::new(endpoint);
    let requests: Vec<HttpRequest> = (0..8)
        .map(|index| {
            let mut message = notification(
                &stand_in.url("/slow.pem"),
                TOPIC,
                &format!("concurrent-{index}"),
                None,
                SES_BOUNCE,
            );
            sign(&mut message, &SIGNER, "2");
            post(&message.to_string(), false)
        })
        .collect();
    let stored = Arc::new(Mutex::new(Vec::new()));
    // Spawned, so on both worker threads at once (which also shows the endpoint and its answer are Send, as
    // the Lambda runtime needs).
    let tasks = requests.into_iter().map(|request| {
        let endpoint = Arc::clone(&endpoint);
        let stored = Arc::clone(&stored);
        tokio::spawn(async move {
            endpoint
                .respond(&request, |notification| async move {
                    stored.lock().expect("stored").push(notification.dedupe_key);
                    Ok::<(), Infallible>(())
                })
                .await
        })
    });
    let responses = join_all(tasks).await;
    assert!(
        responses
            .iter()
            .all(|response| response.as_ref().is_ok_and(|r| r.status_code == 200)),
        "{responses:?}"
    );
    assert_eq!(stored.lock().expect("stored").len(), 8);
    assert_eq!(stand_in.count("/slow.pem"), 1);
}

#[tokio::test]
async fn a_subscription_confirmation_for_an_allowed_topic_is_confirmed_once() {
    let (stand_in, endpoint) = setup().await;
    let subscribe_url = stand_in.url(&format!(
        "/confirm?Action=ConfirmSubscription&TopicArn={TOPIC}&Token=2336412f37fb687f5d51e6e241d08f5e"
    ));
    for version in ["1", "2"] {
        let mut message = confirmation(
            "SubscriptionConfirmation",
            &stand_in.url("/cert.pem"),
            TOPIC,
            &subscribe_url,
        );
        sign(&mut message, &SIGNER, version);
        let (response, stored) = deliver_signed(&endpoint, &message).await;
        assert_eq!(response.status_code, 200, "{response:?}");
        assert!(stored.is_none());
    }
    let confirmations: Vec<String> = stand_in
        .requests()
        .into_iter()
        .filter(|target| target.starts_with("/confirm"))
        .collect();
    let expected = subscribe_url
        .trim_start_matches(&stand_in.origin)
        .to_owned();
    assert_eq!(
        confirmations,
        vec![expected.clone(), expected],
        "one GET per confirmation"
    );
}

#[tokio::test]
async fn a_confirmation_that_fails_or_is_tampered_with_confirms_nothing() {
    let (stand_in, endpoint) = setup().await;
    // SNS's confirmation endpoint fails: 502, so SNS sends the confirmation again.
    let mut message = confirmation(
        "SubscriptionConfirmation",
        &stand_in.url("/cert.pem"),
        TOPIC,
        &stand_in.url("/confirm-fails?Token=x"),
    );
    sign(&mut message, &SIGNER, "2");
    let (response, _) = deliver_signed(&endpoint, &message).await;
    assert_eq!(response.status_code, 502, "{response:?}");
    assert_eq!(stand_in.count("/confirm-fails"), 1);

    // An answer that trying again cannot change (gone, or a redirect, which is not followed): 400, so SNS
    // stops sending the confirmation.
    for path in ["/confirm-gone", "/confirm-moved"] {
        let mut message = confirmation(
            "SubscriptionConfirmation",
            &stand_in.url("/cert.pem"),
            TOPIC,
            &stand_in.url(&format!("{path}?Token=x")),
        );
        sign(&mut message, &SIGNER, "2");
        let (response, _) = deliver_signed(&endpoint, &message).await;
        assert_eq!(response.status_code, 400, "{path}: {response:?}");
        assert_eq!(stand_in.count(path), 1, "{path}");
    }

    // A SubscribeURL changed after signing: refused, not fetched.
    let mut message = confirmation(
        "SubscriptionConfirmation",
        &stand_in.url("/cert.pem"),
        TOPIC,
        &stand_in.url("/confirm?Token=genuine"),
    );
    sign(&mut message, &SIGNER, "2");
    message["SubscribeURL"] = json!(stand_in.url("/confirm?Token=forged"));
    let (response, _) = deliver_signed(&endpoint, &message).await;
    assert_eq!(response.status_code, 403);

    // A Token changed after signing.
    let mut message = confirmation(
        "SubscriptionConfirmation",
        &stand_in.url("/cert.pem"),
        TOPIC,
        &stand_in.url("/confirm?Token=genuine"),
    );
    sign(&mut message, &SIGNER, "2");
    message["Token"] = json!("forged");
    let (response, _) = deliver_signed(&endpoint, &message).await;
    assert_eq!(response.status_code, 403);

    // A signed SubscribeURL that points off the allowed origin is still not fetched.
    let mut message = confirmation(
        "SubscriptionConfirmation",
        &stand_in.url("/cert.pem"),
        TOPIC,
        "http://127.0.0.1:1/confirm?Token=x",
    );
    sign(&mut message, &SIGNER, "2");
    let (response, _) = deliver_signed(&endpoint, &message).await;
    assert_eq!(response.status_code, 403);
    assert_eq!(body_of(&response), "forbidden: SubscribeURL not allowed");

    // A confirmation without its Token or SubscribeURL cannot be verified.
    for field in ["Token", "SubscribeURL"] {
        let mut message = confirmation(
            "SubscriptionConfirmation",
            &stand_in.url("/cert.pem"),
            TOPIC,
            &stand_in.url("/confirm?Token=genuine"),
        );
        sign(&mut message, &SIGNER, "2");
        message.as_object_mut().expect("object").remove(field);
        let (response, _) = deliver_signed(&endpoint, &message).await;
        assert_eq!(response.status_code, 403, "without {field}");
    }
    assert_eq!(stand_in.count("/confirm"), 0);
}

#[tokio::test]
async fn an_unsubscribe_confirmation_is_acknowledged_and_nothing_is_stored_or_fetched_from_it() {
    let (stand_in, endpoint) = setup().await;
    let message = signed_confirmation(&stand_in, "UnsubscribeConfirmation", TOPIC, "1");
    let (response, stored) = deliver_signed(&endpoint, &message).await;
    assert_eq!(response.status_code, 200, "{response:?}");
    assert!(stored.is_none());
    assert_eq!(stand_in.requests(), vec!["/cert.pem".to_owned()]);
}

#[tokio::test]
async fn a_base64_encoded_body_is_decoded() {
    let (stand_in, endpoint) = setup().await;
    let message = signed_notification(&stand_in, "2", Some("Sujet accentué"));
    let message_text = message.to_string();
    let (response, stored) = deliver(&endpoint, &post(&message_text, true)).await;
    assert_eq!(response.status_code, 200, "{response:?}");
    assert_eq!(
        stored.and_then(|n| n.envelope.subject),
        Some("Sujet accentué".to_owned())
    );
    // Flagged as base64 but not: refused.
    let mut request = post(&message_text, false);
    request.is_base64_encoded = true;
    let (response, stored) = deliver(&endpoint, &request).await;
    assert_refused(&response, &stored, "not base64");
}

#[tokio::test]
async fn a_store_failure_answers_500_and_the_redelivery_is_stored() {
    let (stand_in, endpoint) = setup().await;
    let request = post(
        &signed_notification(&stand_in, "1", None).to_string(),
        false,
    );
    let response = endpoint
        .respond(&request, |_| {
            std::future::ready(Err::<(), _>("CloudWatch Logs unavailable"))
        })
        .await;
    assert_eq!(response.status_code, 500, "{response:?}");
    assert!(
        !body_of(&response).contains("CloudWatch"),
        "no internals in the answer"
    );
    let (response, stored) = deliver(&endpoint, &request).await;
    assert_eq!(response.status_code, 200);
    assert!(stored.is_some());
    assert_eq!(stand_in.count("/cert.pem"), 1);
}

#[tokio::test]
async fn only_post_is_answered() {
    let (stand_in, endpoint) = setup().await;
    let body = signed_notification(&stand_in, "2", None).to_string();
    for method in ["GET", "PUT", "DELETE", "HEAD", "OPTIONS", ""] {
        let (response, stored) = deliver(&endpoint, &request(method, &body, false)).await;
        assert_eq!(response.status_code, 405, "{method}");
        assert_eq!(
            response
                .headers
                .get("allow")
                .and_then(|value| value.to_str().ok()),
            Some("POST")
        );
        assert!(stored.is_none());
    }
    let (response, _) = deliver(&endpoint, &HttpRequest::default()).await;
    assert_eq!(response.status_code, 405, "no method at all");
    let (response, _) = deliver(&endpoint, &request("post", &body, false)).await;
    assert_eq!(response.status_code, 200, "methods are case-insensitive");
    assert_eq!(stand_in.count("/cert.pem"), 1);
}

#[tokio::test]
async fn bodies_that_are_not_sns_messages_are_refused_without_a_fetch() {
    let (stand_in, endpoint) = setup().await;
    let lambda_event = json!({"Records": [{"EventSource": "aws:sns", "Sns": signed_notification(&stand_in, "1", None)}]});
    let mut unknown_type = signed_notification(&stand_in, "1", None);
    unknown_type["Type"] = json!("Surprise");
    let mut doubled = signed_notification(&stand_in, "1", None).to_string();
    doubled.insert_str(1, &format!("\"TopicArn\":\"{FOREIGN_TOPIC}\","));
    for body in [
        String::new(),
        "not json".to_owned(),
        "[]".to_owned(),
        "null".to_owned(),
        SES_BOUNCE.to_owned(),
        lambda_event.to_string(),
        unknown_type.to_string(),
        doubled,
    ] {
        let (response, stored) = deliver(&endpoint, &post(&body, false)).await;
        assert_refused(&response, &stored, &body);
        assert_eq!(
            body_of(&response),
            "forbidden: not an SNS message",
            "{body}"
        );
    }
    assert_eq!(stand_in.requests(), Vec::<String>::new());
}

#[tokio::test]
async fn certificate_host_failures_are_refused_or_retried_and_remembered_briefly() {
    let (stand_in, endpoint) = setup().await;
    let deliver_with = |path: &str| {
        let mut message = notification(&stand_in.url(path), TOPIC, MESSAGE_ID, None, SES_BOUNCE);
        sign(&mut message, &SIGNER, "2");
        message
    };
    for (path, status) in [
        ("/missing.pem", 403),
        ("/garbage.pem", 403),
        ("/huge.pem", 403),
        ("/broken.pem", 502),
        ("/missing.pem", 403),
        ("/broken.pem", 502),
    ] {
        let (response, stored) = deliver_signed(&endpoint, &deliver_with(path)).await;
        assert_eq!(response.status_code, status, "{path}: {response:?}");
        assert!(stored.is_none(), "{path}");
    }
    // Within the failure memory the answer is the same, and nothing is fetched again.
    assert_eq!(stand_in.count("/missing.pem"), 1, "a failure is remembered");
    assert_eq!(stand_in.count("/broken.pem"), 1, "a failure is remembered");

    // Once the memory has passed, the URL is fetched again.
    let brief =
        endpoint_for(&stand_in, allowed_topics()).with_failure_memory(Duration::from_millis(50));
    for _ in 0..2 {
        let (response, _) = deliver_signed(&brief, &deliver_with("/broken.pem")).await;
        assert_eq!(response.status_code, 502);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        stand_in.count("/broken.pem"),
        3,
        "fetched again after the memory"
    );
}

#[tokio::test]
async fn failed_certificate_urls_never_push_a_good_certificate_out() {
    let (stand_in, endpoint) = setup().await;
    let (response, stored) =
        deliver_signed(&endpoint, &signed_notification(&stand_in, "2", None)).await;
    assert_eq!(response.status_code, 200, "{response:?}");
    assert!(stored.is_some());
    // Far more junk certificate URLs than the certificate cache holds, each refused once.
    for junk in 0..40 {
        let path = format!("/junk-{junk}.pem");
        let mut message = notification(&stand_in.url(&path), TOPIC, MESSAGE_ID, None, SES_BOUNCE);
        sign(&mut message, &SIGNER, "2");
        let (response, _) = deliver_signed(&endpoint, &message).await;
        assert_eq!(response.status_code, 403, "{path}");
    }
    let (response, stored) =
        deliver_signed(&endpoint, &signed_notification(&stand_in, "2", None)).await;
    assert_eq!(response.status_code, 200, "{response:?}");
    assert!(stored.is_some());
    assert_eq!(
        stand_in.count("/cert.pem"),
        1,
        "the good certificate stayed cached"
    );
}

#[tokio::test]
async fn a_certificate_host_that_hangs_or_is_down_gets_502_within_the_timeout() {
    let stand_in = stand_in().await;
    let endpoint =
        endpoint_for(&stand_in, allowed_topics()).with_fetch_timeout(Duration::from_millis(300));
    let message = signed(&stand_in.url("/hang.pem"), TOPIC, &SIGNER, "2");
    let started = Instant::now();
    let (response, stored) = deliver_signed(&endpoint, &message).await;
    assert_eq!(response.status_code, 502, "{response:?}");
    assert!(stored.is_none());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    // Nothing listens on the allowed origin.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = listener.local_addr().expect("address");
        drop(listener);
        format!("http://{address}")
    };
    let policy = SnsUrlPolicy::loopback_for_tests(&closed).expect("loopback");
    let endpoint = SnsHttpsEndpoint::with_url_policy(allowed_topics(), policy)
        .expect("endpoint")
        .with_fetch_timeout(Duration::from_millis(500));
    let message = signed(&format!("{closed}/cert.pem"), TOPIC, &SIGNER, "2");
    let (response, stored) = deliver_signed(&endpoint, &message).await;
    assert_eq!(response.status_code, 502, "{response:?}");
    assert!(stored.is_none());
}

#[tokio::test]
async fn genuine_aws_messages_verify_with_the_certificate_sns_published() {
    let (stand_in, endpoint) = setup().await;
    for sample in [AWS_SAMPLE_SHA1, AWS_SAMPLE_SHA256] {
        let mut message: Value = serde_json::from_str(sample).expect("sample JSON");
        // The certificate URL is not signed: point it at the stand-in, which serves SNS's certificate.
        message["SigningCertURL"] = json!(stand_in.url("/aws.pem"));
        let (response, stored) = deliver_signed(&endpoint, &message).await;
        assert_eq!(response.status_code, 200, "{response:?}");
        let stored = stored.expect("stored");
        assert_eq!(stored.content, Content::Message("Hello world".to_owned()));
        assert_eq!(
            stored.envelope.message_id.as_deref(),
            message["MessageId"].as_str()
        );
        assert_eq!(stored.envelope.subject, None);

        message["Message"] = json!("Hello world!");
        let (response, stored) = deliver_signed(&endpoint, &message).await;
        assert_refused(&response, &stored, "tampered sample");
        // And not with a certificate made here.
        let mut message: Value = serde_json::from_str(sample).expect("sample JSON");
        message["SigningCertURL"] = json!(stand_in.url("/cert.pem"));
        let (response, stored) = deliver_signed(&endpoint, &message).await;
        assert_refused(&response, &stored, "sample with another certificate");
    }
    assert_eq!(stand_in.count("/aws.pem"), 1);
}

/// Everything the tests of this binary log, from the first `stand_in()` on. One global subscriber rather than
/// one per test: tracing caches per call site whether anyone listens, and a thread-local subscriber set while
/// other test threads hit the same call sites misses events.
static LOGS: LazyLock<Arc<Mutex<Vec<u8>>>> = LazyLock::new(|| {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let writer = Arc::clone(&lines);
    let subscriber = lambda_runtime::tracing::subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || Capture(Arc::clone(&writer)))
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");
    lines
});

struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn logged_since(start: usize) -> String {
    let logs = LOGS.lock().expect("logs");
    String::from_utf8_lossy(&logs[start.min(logs.len())..]).into_owned()
}

#[tokio::test]
async fn a_refusal_logs_no_text_the_sender_chose() {
    let (stand_in, endpoint) = setup().await;
    let start = LOGS.lock().expect("logs").len();
    let mut foreign = notification(
        "https://attacker-chosen.example/spoof.pem",
        "arn:aws:sns:us-east-1:210987654321:attacker-chosen-topic",
        "attacker-chosen-message-id",
        None,
        SES_BOUNCE,
    );
    sign(&mut foreign, &SIGNER, "2");
    let (response, _) = deliver_signed(&endpoint, &foreign).await;
    assert_eq!(response.status_code, 403);
    let mut allowed = signed_notification(&stand_in, "2", None);
    allowed["SigningCertURL"] = json!("https://attacker-chosen.example/spoof.pem");
    allowed["MessageId"] = json!("attacker-chosen-message-id");
    let (response, _) = deliver_signed(&endpoint, &allowed).await;
    assert_eq!(response.status_code, 403);
    let mut method = post(&allowed.to_string(), false);
    method.request_context.http.method = Some("ATTACKER-CHOSEN".to_owned());
    assert_eq!(deliver(&endpoint, &method).await.0.status_code, 405);
    let ours = logged_since(start);
    // Other tests log refusals at the same time: look for ours by what they claimed, by length only.
    assert!(
        ours.contains("topic not in ALLOWED_TOPIC_ARNS status=403 allowed_topic_arn=None message_id_bytes=Some(26)"),
        "{ours}"
    );
    assert!(!ours.contains("attacker-chosen"), "{ours}");
    assert!(!ours.contains("ATTACKER-CHOSEN"), "{ours}");
    assert!(
        ours.contains(&format!("allowed_topic_arn=Some(\"{TOPIC}\")")),
        "{ours}"
    );
    assert!(ours.contains("method=\"(other)\""), "{ours}");
}

#[tokio::test]
async fn logs_and_answers_never_carry_the_message_or_its_subject() {
    let (stand_in, endpoint) = setup().await;
    let start = LOGS.lock().expect("logs").len();
    let subject = Some("Bounce for jane.doe@example.com");
    let mut answers = Vec::new();
    // Stored, refused for its topic, refused for its signature, refused for its certificate URL, not stored.
    let good = signed_notification(&stand_in, "1", subject);
    answers.push(deliver(&endpoint, &post(&good.to_string(), false)).await.0);
    let mut foreign = notification(
        &stand_in.url("/cert.pem"),
        FOREIGN_TOPIC,
        MESSAGE_ID,
        subject,
        SES_BOUNCE,
    );
    sign(&mut foreign, &SIGNER, "1");
    answers.push(
        deliver(&endpoint, &post(&foreign.to_string(), false))
            .await
            .0,
    );
    let mut tampered = good.clone();
    tampered["Message"] = json!(SES_BOUNCE.replace("jane.doe", "john.doe"));
    answers.push(
        deliver(&endpoint, &post(&tampered.to_string(), false))
            .await
            .0,
    );
    let mut elsewhere = good.clone();
    elsewhere["SigningCertURL"] = json!("https://evil.example/x.pem");
    answers.push(
        deliver(&endpoint, &post(&elsewhere.to_string(), false))
            .await
            .0,
    );
    let mut not_json = good.to_string();
    not_json.push_str(" jane.doe@example.com");
    answers.push(deliver(&endpoint, &post(&not_json, false)).await.0);
    answers.push(
        endpoint
            .respond(&post(&good.to_string(), false), |_| {
                std::future::ready(Err::<(), _>("write failed"))
            })
            .await,
    );
    let statuses: Vec<i64> = answers.iter().map(|answer| answer.status_code).collect();
    assert_eq!(statuses, [200, 403, 403, 403, 403, 500]);
    for answer in &answers {
        assert!(!body_of(answer).contains("example.com"), "{answer:?}");
    }
    let ours = logged_since(start);
    assert!(ours.contains("refused"), "the refusals are logged: {ours}");
    assert!(
        ours.contains("message_id_bytes=Some(36)"),
        "with the length of the message id they claimed: {ours}"
    );
    assert!(
        ours.contains("storing a verified notification failed"),
        "{ours}"
    );
    // Every test of this binary sends jane.doe@example.com in its messages: none may have logged it.
    let everything = logged_since(0);
    assert!(
        !everything.contains("example.com"),
        "no address in the logs: {everything}"
    );
    assert!(
        !everything.contains("Bounce for"),
        "no subject in the logs: {everything}"
    );
}
