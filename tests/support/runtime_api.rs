//! [`RuntimeApi`]: a local stand-in for the AWS Lambda Runtime API, so tests can run the real function binary
//! (pointed at it with `AWS_LAMBDA_RUNTIME_API`) and invoke it like Lambda does.
//!
//! Emulated: `GET /2018-06-01/runtime/invocation/next` (long poll), `POST .../invocation/{id}/response`,
//! `POST .../invocation/{id}/error`, `POST /2018-06-01/runtime/init/error`. Not emulated: retries of failed
//! invocations (tests re-invoke, with the same request id if they want a faithful retry), timeouts, and
//! killing the process after an error.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{Method, Request};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::http::{reply, serve, HandlerResult};

const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:ses-feedback-logger";
/// How long the function is told it has for each invocation (Lambda-Runtime-Deadline-Ms = now + this).
const INVOCATION_BUDGET: Duration = Duration::from_secs(60);

/// How an invocation ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The function POSTed `.../response` with this body.
    Response(String),
    /// The function POSTed `.../error`. `error_type` is the `Lambda-Runtime-Function-Error-Type` header
    /// (lambda_runtime always sends `unhandled`); `body` is the JSON diagnostic,
    /// `{"errorType": ..., "errorMessage": ...}`.
    Error { error_type: String, body: String },
}

impl Outcome {
    /// The response body; panics (showing the error) if the invocation failed.
    pub fn expect_response(self) -> String {
        match self {
            Outcome::Response(body) => body,
            error => panic!("expected a response, the invocation failed: {error:?}"),
        }
    }

    /// The error diagnostic as JSON; panics if the invocation succeeded.
    pub fn expect_error(self) -> serde_json::Value {
        match self {
            Outcome::Error { body, .. } => serde_json::from_str(&body)
                .unwrap_or_else(|e| panic!("error body is not JSON ({e}): {body}")),
            response => panic!("expected an error, the invocation succeeded: {response:?}"),
        }
    }
}

/// A `POST /runtime/init/error` the function made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitError {
    /// The `Lambda-Runtime-Function-Error-Type` header (`Runtime.InitError` from lambda_runtime).
    pub error_type: String,
    pub body: String,
}

struct Invocation {
    request_id: String,
    body: String,
}

/// When the Runtime API handed an invocation to a function process and when the process answered it: the
/// invocation's duration as Lambda bills it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvocationTiming {
    pub request_id: String,
    /// When a `GET .../invocation/next` took the invocation off the queue (its response follows at once).
    pub delivered: Instant,
    /// When the `POST .../response` or `.../error` for it arrived (None while in flight).
    pub answered: Option<Instant>,
}

struct Shared {
    queue_tx: mpsc::UnboundedSender<Invocation>,
    /// Pollers take turns on this lock, so each invocation goes to exactly one of them. Waiting in
    /// `recv` is cancel-safe: a poller whose process died (connection dropped) takes nothing with it.
    queue_rx: tokio::sync::Mutex<mpsc::UnboundedReceiver<Invocation>>,
    /// Invocations delivered or queued, by request id, waiting for their outcome.
    in_flight: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
    next_requests: AtomicUsize,
    init_errors: Mutex<Vec<InitError>>,
    /// When each `GET .../invocation/next` arrived, in order.
    next_request_times: Mutex<Vec<Instant>>,
    /// Every invocation delivered, in delivery order.
    invocation_timings: Mutex<Vec<InvocationTiming>>,
}

/// A Lambda Runtime API on 127.0.0.1, running as tasks on the test's tokio runtime.
pub struct RuntimeApi {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl RuntimeApi {
    pub async fn start() -> RuntimeApi {
        let (queue_tx, queue_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            queue_tx,
            queue_rx: tokio::sync::Mutex::new(queue_rx),
            in_flight: Mutex::default(),
            next_requests: AtomicUsize::new(0),
            init_errors: Mutex::default(),
            next_request_times: Mutex::default(),
            invocation_timings: Mutex::default(),
        });
        let handler_shared = shared.clone();
        let (addr, server) = serve(move |request| handle(handler_shared.clone(), request)).await;
        RuntimeApi {
            addr,
            shared,
            server,
        }
    }

    /// `host:port`, the value for `AWS_LAMBDA_RUNTIME_API`.
    pub fn addr(&self) -> String {
        self.addr.to_string()
    }

    /// Queues an event for whichever function process polls next and waits for its outcome. Waits forever if
    /// no process ever takes it or the process dies mid-invocation: wrap in `tokio::time::timeout`.
    pub async fn invoke(&self, body: impl Into<String>) -> Outcome {
        self.invoke_with_request_id(&new_request_id(), body).await
    }

    /// Like [`RuntimeApi::invoke`] with a chosen request id: Lambda keeps the request id when it retries an
    /// asynchronous invocation, so passing an earlier id emulates a retry. The id must not be in flight.
    pub async fn invoke_with_request_id(
        &self,
        request_id: &str,
        body: impl Into<String>,
    ) -> Outcome {
        let (outcome_tx, outcome_rx) = oneshot::channel();
        let previous = self
            .shared
            .in_flight
            .lock()
            .expect("in_flight lock")
            .insert(request_id.to_owned(), outcome_tx);
        assert!(
            previous.is_none(),
            "request id {request_id} is already in flight"
        );
        let invocation = Invocation {
            request_id: request_id.to_owned(),
            body: body.into(),
        };
        self.shared
            .queue_tx
            .send(invocation)
            .expect("queue is open while the RuntimeApi lives");
        outcome_rx
            .await
            .expect("outcome sender kept until the function answers")
    }

    /// How many `GET .../invocation/next` requests have arrived (a function process makes one at start and
    /// one after each invocation).
    pub fn next_requests(&self) -> usize {
        self.shared.next_requests.load(Ordering::SeqCst)
    }

    /// When each `GET .../invocation/next` arrived, in order: the first one marks the end of a process's init.
    #[allow(dead_code)] // Read by the runtime benchmark (benches/runtime.rs), not by a test.
    pub fn next_request_times(&self) -> Vec<Instant> {
        self.shared
            .next_request_times
            .lock()
            .expect("next_request_times lock")
            .clone()
    }

    /// When each invocation was delivered and answered, in delivery order.
    #[allow(dead_code)] // Read by the runtime benchmark (benches/runtime.rs), not by a test.
    pub fn invocation_timings(&self) -> Vec<InvocationTiming> {
        self.shared
            .invocation_timings
            .lock()
            .expect("invocation_timings lock")
            .clone()
    }

    /// The init errors reported so far.
    pub fn init_errors(&self) -> Vec<InitError> {
        self.shared
            .init_errors
            .lock()
            .expect("init_errors lock")
            .clone()
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn handle(shared: Arc<Shared>, request: Request<Incoming>) -> HandlerResult {
    let arrived = Instant::now();
    let (parts, body) = request.into_parts();
    let error_type = parts
        .headers
        .get("lambda-runtime-function-error-type")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    let body = String::from_utf8_lossy(&body.collect().await?.to_bytes()).into_owned();
    let path = parts.uri.path();
    let invocation_path = path.strip_prefix("/2018-06-01/runtime/invocation/");

    if parts.method == Method::GET && path == "/2018-06-01/runtime/invocation/next" {
        shared
            .next_request_times
            .lock()
            .expect("next_request_times lock")
            .push(Instant::now());
        shared.next_requests.fetch_add(1, Ordering::SeqCst);
        let invocation = shared
            .queue_rx
            .lock()
            .await
            .recv()
            .await
            .expect("Shared holds a sender, so the queue never closes");
        shared
            .invocation_timings
            .lock()
            .expect("invocation_timings lock")
            .push(InvocationTiming {
                request_id: invocation.request_id.clone(),
                delivered: Instant::now(),
                answered: None,
            });
        return Ok(next_invocation_reply(invocation));
    }
    if parts.method == Method::POST && path == "/2018-06-01/runtime/init/error" {
        shared
            .init_errors
            .lock()
            .expect("init_errors lock")
            .push(InitError { error_type, body });
        return Ok(accepted());
    }
    if let (&Method::POST, Some(rest)) = (&parts.method, invocation_path) {
        let outcome = match rest.split_once('/') {
            Some((id, "response")) => Some((id, Outcome::Response(body))),
            Some((id, "error")) => Some((id, Outcome::Error { error_type, body })),
            _ => None,
        };
        if let Some((request_id, outcome)) = outcome {
            if let Some(timing) = shared
                .invocation_timings
                .lock()
                .expect("invocation_timings lock")
                .iter_mut()
                .rev()
                .find(|t| t.request_id == request_id && t.answered.is_none())
            {
                timing.answered = Some(arrived);
            }
            let waiter = shared
                .in_flight
                .lock()
                .expect("in_flight lock")
                .remove(request_id);
            return Ok(match waiter {
                Some(waiter) => {
                    // The invoking test may have stopped waiting (timeout); that is its business.
                    let _ = waiter.send(outcome);
                    accepted()
                }
                None => error_reply(400, "InvalidRequestID", "no such invocation in flight"),
            });
        }
    }
    Ok(error_reply(
        404,
        "NotFound",
        &format!("{} {path} is not emulated", parts.method),
    ))
}

fn next_invocation_reply(
    invocation: Invocation,
) -> hyper::Response<http_body_util::Full<bytes::Bytes>> {
    let deadline_ms = (SystemTime::now() + INVOCATION_BUDGET)
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis();
    static TRACES: AtomicUsize = AtomicUsize::new(1);
    let trace = TRACES.fetch_add(1, Ordering::Relaxed);
    let trace_id = format!(
        "Root=1-{:08x}-{trace:024x};Parent={trace:016x};Sampled=0",
        deadline_ms / 1000
    );
    let mut response = reply(200, "application/json", invocation.body);
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: String| {
        headers.insert(name, value.parse().expect("header value"));
    };
    set("lambda-runtime-aws-request-id", invocation.request_id);
    set("lambda-runtime-deadline-ms", deadline_ms.to_string());
    set(
        "lambda-runtime-invoked-function-arn",
        FUNCTION_ARN.to_owned(),
    );
    set("lambda-runtime-trace-id", trace_id);
    response
}

fn accepted() -> hyper::Response<http_body_util::Full<bytes::Bytes>> {
    reply(202, "application/json", r#"{"status":"OK"}"#)
}

fn error_reply(
    status: u16,
    error_type: &str,
    message: &str,
) -> hyper::Response<http_body_util::Full<bytes::Bytes>> {
    let body = serde_json::json!({ "errorType": error_type, "errorMessage": message });
    reply(status, "application/json", body.to_string())
}

/// A fresh UUID-shaped request id (unique within the test process, which is all Lambda promises to a test).
fn new_request_id() -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed) as u64;
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_nanos() as u64;
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        std::process::id(),
        (n >> 12) & 0xffff,
        n & 0xfff,
        (nanos >> 48) & 0xfff,
        nanos & 0xffff_ffff_ffff
    )
}
