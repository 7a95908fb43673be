//! Checks the test support itself (moto helpers, RecordingProxy, RuntimeApi, spawn_function) without relying
//! on the function doing anything in particular. Run with `scripts/with-moto.sh cargo test --test moto support_selftest::`.

use crate::support;

use std::time::{Duration, Instant};

use aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata;
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::rt::TokioExecutor;
use serde_json::json;
use support::{
    cloudwatch_client, moto_endpoint, read_stream, spawn_function, stream_names, unique_name,
    Fault, Outcome, RecordingProxy, RuntimeApi,
};

const WAIT: Duration = Duration::from_secs(10);

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[tokio::test(flavor = "multi_thread")]
async fn proxy_records_operations_and_helpers_read_back() {
    let proxy = RecordingProxy::start(&moto_endpoint()).await;
    let client = cloudwatch_client(&proxy.url()).await;
    let group = unique_name("/selftest/proxy");

    client
        .create_log_group()
        .log_group_name(&group)
        .send()
        .await
        .unwrap();
    assert_eq!(proxy.calls(), ["CreateLogGroup"]);

    for stream in ["b", "a"] {
        client
            .create_log_stream()
            .log_group_name(&group)
            .log_stream_name(stream)
            .send()
            .await
            .unwrap();
    }
    let t = now_ms();
    // 120 events in pages of GetLogEvents: moto pages at 10,000 by default, so this mostly checks the loop ends.
    let events: Vec<_> = (0..120)
        .map(|i| {
            InputLogEvent::builder()
                .timestamp(t + i)
                .message(format!("event {i}"))
                .build()
                .unwrap()
        })
        .collect();
    client
        .put_log_events()
        .log_group_name(&group)
        .log_stream_name("a")
        .set_log_events(Some(events))
        .send()
        .await
        .unwrap();

    let read = read_stream(&client, &group, "a").await;
    assert_eq!(read.len(), 120);
    assert_eq!(read[0], (t, "event 0".to_owned()));
    assert_eq!(read[119], (t + 119, "event 119".to_owned()));
    assert!(read_stream(&client, &group, "b").await.is_empty());
    assert_eq!(stream_names(&client, &group).await, ["a", "b"]);

    let calls = proxy.calls();
    assert_eq!(
        calls[..4],
        [
            "CreateLogGroup",
            "CreateLogStream",
            "CreateLogStream",
            "PutLogEvents"
        ]
    );
    assert_eq!(proxy.count("CreateLogStream"), 2);
    assert_eq!(proxy.forwarded_calls(), calls);
    let put = &proxy.requests()[3];
    assert_eq!(put.json()["logEvents"].as_array().unwrap().len(), 120);
    assert_eq!(put.fault, None);

    proxy.reset();
    assert!(proxy.calls().is_empty());
}

#[tokio::test]
async fn proxy_status_fault_is_retried_by_the_sdk_then_surfaces() {
    let proxy = RecordingProxy::start(&moto_endpoint()).await;
    let client = cloudwatch_client(&proxy.url()).await;
    let throttle = || Fault::Status(400, "ThrottlingException", "Rate exceeded".to_owned());

    // One throttle: the SDK retries on its own and succeeds.
    let group = unique_name("/selftest/throttle");
    proxy.inject("CreateLogGroup", throttle());
    client
        .create_log_group()
        .log_group_name(&group)
        .send()
        .await
        .unwrap();
    assert_eq!(proxy.calls(), ["CreateLogGroup", "CreateLogGroup"]);
    assert_eq!(proxy.forwarded_calls(), ["CreateLogGroup"]);
    assert_eq!(proxy.requests()[0].fault, Some(throttle()));

    // As many throttles as attempts (3 by default): the caller gets the error, and moto saw nothing.
    proxy.reset();
    for _ in 0..3 {
        proxy.inject("CreateLogGroup", throttle());
    }
    let other = unique_name("/selftest/throttle");
    let err = client
        .create_log_group()
        .log_group_name(&other)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ThrottlingException"), "{err:?}");
    assert_eq!(err.message(), Some("Rate exceeded"));
    assert_eq!(proxy.count("CreateLogGroup"), 3);
    assert!(proxy.forwarded_calls().is_empty());
    assert_eq!(proxy.pending_faults(), 0);

    // A non-retryable error comes straight back; faults only hit their own operation.
    proxy.reset();
    proxy.inject(
        "CreateLogStream",
        Fault::Status(
            400,
            "ResourceNotFoundException",
            "The specified log group does not exist.".to_owned(),
        ),
    );
    let err = client
        .create_log_stream()
        .log_group_name(&group)
        .log_stream_name("s")
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .unwrap()
            .is_resource_not_found_exception(),
        "{err:?}"
    );
    client
        .create_log_stream()
        .log_group_name(&group)
        .log_stream_name("s")
        .send()
        .await
        .unwrap();
    assert_eq!(proxy.calls(), ["CreateLogStream", "CreateLogStream"]);
    assert_eq!(proxy.forwarded_calls(), ["CreateLogStream"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn proxy_reset_delay_and_reply_faults() {
    let proxy = RecordingProxy::start(&moto_endpoint()).await;
    let client = cloudwatch_client(&proxy.url()).await;
    let group = unique_name("/selftest/faults");

    // A dropped connection is a transient error the SDK retries.
    proxy.inject("CreateLogGroup", Fault::Reset);
    client
        .create_log_group()
        .log_group_name(&group)
        .send()
        .await
        .unwrap();
    assert_eq!(proxy.calls(), ["CreateLogGroup", "CreateLogGroup"]);
    assert_eq!(proxy.forwarded_calls(), ["CreateLogGroup"]);

    // A delayed request is slow but goes through.
    proxy.inject("CreateLogStream", Fault::Delay(Duration::from_millis(300)));
    let started = Instant::now();
    client
        .create_log_stream()
        .log_group_name(&group)
        .log_stream_name("s")
        .send()
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(proxy.count("CreateLogStream"), 1);
    assert_eq!(
        proxy.forwarded_calls(),
        ["CreateLogGroup", "CreateLogStream"]
    );

    // A delayed request still reaches moto after the client has given up on it.
    let impatient = aws_sdk_cloudwatchlogs::Client::from_conf(
        client
            .config()
            .to_builder()
            .timeout_config(
                aws_sdk_cloudwatchlogs::config::timeout::TimeoutConfig::builder()
                    .operation_timeout(Duration::from_millis(200))
                    .build(),
            )
            .build(),
    );
    proxy.inject("CreateLogStream", Fault::Delay(Duration::from_millis(500)));
    let err = impatient
        .create_log_stream()
        .log_group_name(&group)
        .log_stream_name("late")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            aws_sdk_cloudwatchlogs::error::SdkError::TimeoutError(_)
        ),
        "{err:?}"
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        proxy.forwarded_calls().last().map(String::as_str),
        Some("CreateLogStream")
    );
    assert_eq!(stream_names(&client, &group).await, ["late", "s"]);

    // Reply: a 200 that CloudWatch Logs could send, without anything being stored.
    proxy.inject(
        "PutLogEvents",
        Fault::Reply(
            200,
            json!({ "rejectedLogEventsInfo": { "tooOldLogEventEndIndex": 1 } }),
        ),
    );
    let out = client
        .put_log_events()
        .log_group_name(&group)
        .log_stream_name("s")
        .log_events(
            InputLogEvent::builder()
                .timestamp(now_ms())
                .message("m")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.rejected_log_events_info()
            .unwrap()
            .too_old_log_event_end_index(),
        Some(1)
    );
    assert!(read_stream(&client, &group, "s").await.is_empty());

    // Reply: an error with an extra field.
    proxy.inject(
        "PutLogEvents",
        Fault::Reply(
            400,
            json!({ "__type": "InvalidSequenceTokenException", "message": "bad token", "expectedSequenceToken": "42" }),
        ),
    );
    let err = client
        .put_log_events()
        .log_group_name(&group)
        .log_stream_name("s")
        .log_events(
            InputLogEvent::builder()
                .timestamp(now_ms())
                .message("m")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    match err.into_service_error() {
        aws_sdk_cloudwatchlogs::operation::put_log_events::PutLogEventsError::InvalidSequenceTokenException(e) => {
            assert_eq!(e.expected_sequence_token(), Some("42"))
        }
        other => panic!("unexpected error {other:?}"),
    }
}

/// A minimal stand-in for lambda_runtime: plain HTTP calls to the Runtime API.
struct FakeFunction {
    http: HttpClient<HttpConnector, Full<Bytes>>,
    base: String,
}

impl FakeFunction {
    fn new(api: &RuntimeApi) -> Self {
        Self {
            http: HttpClient::builder(TokioExecutor::new()).build_http(),
            base: format!("http://{}/2018-06-01/runtime", api.addr()),
        }
    }

    /// GET next: (request id, deadline ms, body).
    async fn next(&self) -> (String, i64, String) {
        let response = self
            .http
            .get(format!("{}/invocation/next", self.base).parse().unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned()
        };
        let id = header("lambda-runtime-aws-request-id");
        let deadline: i64 = header("lambda-runtime-deadline-ms").parse().unwrap();
        assert!(
            header("lambda-runtime-invoked-function-arn").starts_with("arn:aws:lambda:us-east-1:")
        );
        assert!(header("lambda-runtime-trace-id").starts_with("Root=1-"));
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (id, deadline, String::from_utf8(body.to_vec()).unwrap())
    }

    async fn post(&self, path: &str, error_type: Option<&str>, body: &str) -> u16 {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(format!("{}/{path}", self.base));
        if let Some(error_type) = error_type {
            request = request.header("lambda-runtime-function-error-type", error_type);
        }
        let request = request
            .body(Full::new(Bytes::from(body.to_owned())))
            .unwrap();
        self.http.request(request).await.unwrap().status().as_u16()
    }
}

#[tokio::test]
async fn runtime_api_delivers_invocations_and_collects_outcomes() {
    let api = RuntimeApi::start().await;
    let function = FakeFunction::new(&api);

    // The test plays the function, so the invocations wait in a task of their own.
    let invoke = tokio::spawn(async move {
        let ok = api.invoke(r#"{"n":1}"#).await;
        let failed = api.invoke(r#"{"n":2}"#).await;
        (api, ok, failed)
    });

    let (id, deadline, body) = function.next().await;
    assert_eq!(body, r#"{"n":1}"#);
    assert!(deadline > now_ms() + 50_000, "deadline about a minute away");
    assert_eq!(
        function
            .post(&format!("invocation/{id}/response"), None, "done")
            .await,
        202
    );

    let (id2, _, body) = function.next().await;
    assert_ne!(id, id2);
    assert_eq!(body, r#"{"n":2}"#);
    let diagnostic = r#"{"errorType":"Boom","errorMessage":"it broke"}"#;
    assert_eq!(
        function
            .post(
                &format!("invocation/{id2}/error"),
                Some("unhandled"),
                diagnostic
            )
            .await,
        202
    );
    // An id that is not in flight (already answered) is refused.
    assert_eq!(
        function
            .post(&format!("invocation/{id2}/response"), None, "late")
            .await,
        400
    );

    let (api, ok, failed) = tokio::time::timeout(WAIT, invoke).await.unwrap().unwrap();
    assert_eq!(ok, Outcome::Response("done".to_owned()));
    assert_eq!(
        failed,
        Outcome::Error {
            error_type: "unhandled".to_owned(),
            body: diagnostic.to_owned()
        }
    );
    assert_eq!(failed.expect_error()["errorType"], "Boom");
    assert_eq!(api.next_requests(), 2);

    assert_eq!(
        function
            .post("init/error", Some("Runtime.InitError"), "{}")
            .await,
        202
    );
    let init_errors = api.init_errors();
    assert_eq!(init_errors.len(), 1);
    assert_eq!(init_errors[0].error_type, "Runtime.InitError");
}

#[tokio::test(flavor = "multi_thread")]
async fn runtime_api_gives_each_invocation_to_one_poller() {
    let api = std::sync::Arc::new(RuntimeApi::start().await);

    // Three pollers answer with "<their name>:<body>" until the test ends.
    for name in ["p1", "p2", "p3"] {
        let function = FakeFunction::new(&api);
        tokio::spawn(async move {
            loop {
                let (id, _, body) = function.next().await;
                function
                    .post(
                        &format!("invocation/{id}/response"),
                        None,
                        &format!("{name}:{body}"),
                    )
                    .await;
            }
        });
    }
    let invocations: Vec<_> = (0..30)
        .map(|i| {
            let api = api.clone();
            tokio::spawn(async move { api.invoke(i.to_string()).await.expect_response() })
        })
        .collect();
    let mut bodies = Vec::new();
    for (i, invocation) in invocations.into_iter().enumerate() {
        let response = tokio::time::timeout(WAIT, invocation)
            .await
            .unwrap()
            .unwrap();
        let (_poller, body) = response.split_once(':').unwrap();
        assert_eq!(body, i.to_string());
        bodies.push(body.to_owned());
    }
    assert_eq!(bodies.len(), 30);

    // A retry with a chosen request id.
    let function_sees = tokio::spawn({
        let api = api.clone();
        async move { api.invoke_with_request_id("retry-me", "again").await }
    });
    assert!(tokio::time::timeout(WAIT, function_sees)
        .await
        .unwrap()
        .unwrap()
        .expect_response()
        .ends_with(":again"));
}

#[tokio::test]
async fn runtime_api_does_not_lose_invocations_to_a_vanished_poller() {
    let api = RuntimeApi::start().await;

    // A poller that disappears mid-poll, like a killed function process.
    let gone = FakeFunction::new(&api);
    let poll = tokio::spawn(async move { gone.next().await });
    while api.next_requests() < 1 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    poll.abort();
    let _ = poll.await;
    tokio::time::sleep(Duration::from_millis(100)).await; // let the server notice the closed connection

    let function = FakeFunction::new(&api);
    let answer = async {
        let (id, _, body) = function.next().await;
        function
            .post(&format!("invocation/{id}/response"), None, &body)
            .await;
    };
    let (outcome, ()) =
        tokio::time::timeout(WAIT, async { tokio::join!(api.invoke("hello"), answer) })
            .await
            .expect("the invocation reached the live poller");
    assert_eq!(outcome, Outcome::Response("hello".to_owned()));
}

#[tokio::test]
async fn spawn_function_runs_the_binary_against_the_runtime_api() {
    let api = RuntimeApi::start().await;
    let proxy = RecordingProxy::start(&moto_endpoint()).await;
    let group = unique_name("/selftest/function");
    let mut function = spawn_function(
        &api.addr(),
        &[
            ("AWS_ENDPOINT_URL", &proxy.url()),
            ("LOG_GROUP_NAME", &group),
        ],
    );
    assert!(function.id().is_some());

    // Whatever the binary does at this stage of development, it either polls for work or exits.
    let started = Instant::now();
    while api.next_requests() == 0 && function.child().try_wait().unwrap().is_none() {
        assert!(
            started.elapsed() < WAIT,
            "the function neither polled nor exited"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if api.next_requests() > 0 {
        // lambda_runtime accepts what the emulator sends and answers: which answer is not this test's concern.
        let outcome = tokio::time::timeout(WAIT, api.invoke("{}")).await;
        assert!(
            outcome.is_ok(),
            "no answer: {}{}",
            function.stdout(),
            function.stderr()
        );
        let polled_again = Instant::now();
        while api.next_requests() < 2 {
            assert!(
                polled_again.elapsed() < WAIT,
                "the function did not poll again after answering"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let output = tokio::time::timeout(WAIT, function.kill()).await.unwrap();
        assert!(!output.status.success(), "killed while polling: {output:?}");
    } else {
        tokio::time::timeout(WAIT, function.kill()).await.unwrap();
    }
}
