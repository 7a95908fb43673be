//! [`RecordingProxy`]: an HTTP/1.1 reverse proxy in front of moto that records which CloudWatch Logs
//! operations a client made and can make chosen requests fail.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{CONNECTION, CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
use hyper::{HeaderMap, Request, Response, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::task::JoinHandle;

use super::http::{reply, serve, BoxError, HandlerResult};

/// What to do to one request instead of (or before) forwarding it.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Reply `status` with an AWS JSON 1.1 error (`x-amzn-ErrorType: error_type`,
    /// body `{"__type": error_type, "message": message}`) without forwarding,
    /// e.g. `Fault::Status(400, "ThrottlingException", "Rate exceeded".into())`.
    Status(u16, &'static str, String),
    /// Reply `status` with this JSON body verbatim, without forwarding: for errors with extra fields
    /// (`expectedSequenceToken`) or a fake 200 (`{"rejectedLogEventsInfo": {...}}`). If the body has a
    /// `__type` and the status is an error, it is also sent as `x-amzn-ErrorType`.
    Reply(u16, serde_json::Value),
    /// Close the connection without any response (the request never reaches moto).
    Reset,
    /// Wait, then forward. The request reaches moto even if the client gives up meanwhile, as a request
    /// that AWS received but answered too late would.
    Delay(Duration),
    /// For PutLogEvents: store all but the first N events and answer as CloudWatch does when it rejects
    /// events for their time (`rejectedLogEventsInfo.tooOldLogEventEndIndex = N`, exclusive).
    RejectOldest(usize),
}

/// One request the proxy received.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// The operation, from `X-Amz-Target` after the dot (`Logs_20140328.PutLogEvents` → `PutLogEvents`);
    /// `"<METHOD> <path>"` for a request without that header.
    pub operation: String,
    /// The request body (AWS JSON 1.1 for CloudWatch Logs).
    pub body: String,
    /// The fault injected into this request, if any.
    pub fault: Option<Fault>,
    /// Whether moto answered it (false for `Status`, `Reply`, `Reset`, and while a `Delay` is pending).
    pub forwarded: bool,
}

impl Call {
    /// The body parsed as JSON (panics if it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("{} body is not JSON ({e}): {}", self.operation, self.body))
    }
}

/// How long the endpoint (this proxy and moto behind it) took over one request: from the moment the proxy had
/// the request's headers to the moment its answer was ready to send. A client's latency minus the time its
/// requests spent here is the client's own time. Kept apart from [`Call`] so existing uses of `Call` are
/// unaffected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timing {
    /// The operation, named as in [`Call::operation`].
    pub operation: String,
    pub received: Instant,
    pub answered: Instant,
}

#[derive(Default)]
struct State {
    calls: Vec<Call>,
    /// One per request answered (or dropped by a fault), in the order the answers were ready.
    timings: Vec<Timing>,
    /// Per operation, the faults still to inject, first first, each for any stream or for one.
    faults: HashMap<String, VecDeque<(Option<String>, Fault)>>,
}

/// A recording, fault-injecting proxy on 127.0.0.1 in front of `upstream` (moto). Point an SDK client at
/// [`RecordingProxy::url`]. Runs as tasks on the test's tokio runtime; stops accepting when dropped.
pub struct RecordingProxy {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    accept_task: JoinHandle<()>,
}

impl RecordingProxy {
    pub async fn start(upstream: &str) -> RecordingProxy {
        let upstream: Uri = upstream
            .parse()
            .unwrap_or_else(|e| panic!("upstream {upstream:?} is not a URI: {e}"));
        let state = Arc::new(Mutex::new(State::default()));
        // A fresh upstream connection per request: a pooled one that moto closed meanwhile would fail the
        // request and show up as a spurious dropped connection.
        let client: Client<HttpConnector, Full<Bytes>> = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(0)
            .build_http();
        let forwarder = Arc::new(Forwarder {
            upstream,
            client,
            state: state.clone(),
        });
        let (addr, accept_task) = serve(move |request| {
            let forwarder = forwarder.clone();
            async move { forwarder.handle(request).await }
        })
        .await;
        RecordingProxy {
            addr,
            state,
            accept_task,
        }
    }

    /// The proxy's base URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The operation of every request received, in order, faulted ones included.
    pub fn calls(&self) -> Vec<String> {
        self.state()
            .calls
            .iter()
            .map(|c| c.operation.clone())
            .collect()
    }

    /// The operations of the requests moto answered, in the order they were received.
    pub fn forwarded_calls(&self) -> Vec<String> {
        self.state()
            .calls
            .iter()
            .filter(|c| c.forwarded)
            .map(|c| c.operation.clone())
            .collect()
    }

    /// Every request received, with body and fault.
    pub fn requests(&self) -> Vec<Call> {
        self.state().calls.clone()
    }

    /// How many requests for `operation` were received, faulted ones included.
    pub fn count(&self, operation: &str) -> usize {
        self.state()
            .calls
            .iter()
            .filter(|c| c.operation == operation)
            .count()
    }

    /// When each request answered so far was received and answered, in the order the answers were ready
    /// (a request still waiting for moto is not listed yet).
    #[allow(dead_code)] // Read by the runtime benchmark (benches/runtime.rs), not by a test.
    pub fn timings(&self) -> Vec<Timing> {
        self.state().timings.clone()
    }

    /// Forgets the recorded calls and any faults not yet injected.
    pub fn reset(&self) {
        *self.state() = State::default();
    }

    /// Makes the next request for `operation` that has no earlier fault queued suffer `fault`: faults for
    /// one operation are used one per request, in the order they were injected.
    pub fn inject(&self, operation: &str, fault: Fault) {
        self.state()
            .faults
            .entry(operation.to_owned())
            .or_default()
            .push_back((None, fault));
    }

    /// Like [`RecordingProxy::inject`], for requests naming log stream `stream` only.
    pub fn inject_for_stream(&self, operation: &str, stream: &str, fault: Fault) {
        self.state()
            .faults
            .entry(operation.to_owned())
            .or_default()
            .push_back((Some(stream.to_owned()), fault));
    }

    /// How many injected faults have not been used yet.
    pub fn pending_faults(&self) -> usize {
        self.state().faults.values().map(VecDeque::len).sum()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("proxy state lock")
    }
}

impl Drop for RecordingProxy {
    fn drop(&mut self) {
        self.accept_task.abort();
    }
}

struct Forwarder {
    upstream: Uri,
    client: Client<HttpConnector, Full<Bytes>>,
    state: Arc<Mutex<State>>,
}

impl Forwarder {
    /// Answers one request and records how long that took (see [`Timing`]).
    async fn handle(self: Arc<Self>, request: Request<Incoming>) -> HandlerResult {
        let received = Instant::now();
        let operation = operation_name(&request);
        let result = self.clone().answer(request).await;
        let timing = Timing {
            operation,
            received,
            answered: Instant::now(),
        };
        self.state
            .lock()
            .expect("proxy state lock")
            .timings
            .push(timing);
        result
    }

    async fn answer(self: Arc<Self>, request: Request<Incoming>) -> HandlerResult {
        let operation = operation_name(&request);
        let (parts, body) = request.into_parts();
        let body = body.collect().await?.to_bytes();

        // Record and take the fault in one step so concurrent requests consume faults in arrival order.
        let (index, fault) = {
            let mut state = self.state.lock().expect("proxy state lock");
            let stream = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|json| json["logStreamName"].as_str().map(str::to_owned));
            let fault = state.faults.get_mut(&operation).and_then(|queue| {
                let position = queue
                    .iter()
                    .position(|(only, _)| only.is_none() || *only == stream)?;
                queue.remove(position).map(|(_, fault)| fault)
            });
            state.calls.push(Call {
                operation,
                body: String::from_utf8_lossy(&body).into_owned(),
                fault: fault.clone(),
                forwarded: false,
            });
            (state.calls.len() - 1, fault)
        };

        let (delay, rejected) = match fault {
            None => (Duration::ZERO, 0),
            Some(Fault::Delay(delay)) => (delay, 0),
            Some(Fault::RejectOldest(count)) => (Duration::ZERO, count),
            Some(Fault::Status(status, error_type, message)) => {
                let body = serde_json::json!({ "__type": error_type, "message": message });
                return Ok(aws_json_reply(status, &body));
            }
            Some(Fault::Reply(status, body)) => return Ok(aws_json_reply(status, &body)),
            Some(Fault::Reset) => return Err("injected fault: connection dropped".into()),
        };
        let body = if rejected > 0 {
            without_oldest_events(&body, rejected)
        } else {
            body
        };

        let mut upstream_request = Request::builder()
            .method(parts.method)
            .uri(self.upstream_uri(&parts.uri)?)
            .body(Full::new(body))?;
        *upstream_request.headers_mut() = parts.headers;
        strip_per_connection_headers(upstream_request.headers_mut());

        // Forward from a task of its own: if the client gives up (timeout during a Delay) hyper drops this
        // handler, but the request should still reach moto and be recorded as forwarded.
        let this = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let response = this.client.request(upstream_request).await?;
            let (mut parts, body) = response.into_parts();
            let mut body = body.collect().await?.to_bytes();
            if rejected > 0 {
                let mut answer: serde_json::Value = serde_json::from_slice(&body)?;
                answer["rejectedLogEventsInfo"] =
                    serde_json::json!({ "tooOldLogEventEndIndex": rejected });
                body = Bytes::from(answer.to_string());
            }
            this.state.lock().expect("proxy state lock").calls[index].forwarded = true;
            strip_per_connection_headers(&mut parts.headers);
            Ok::<_, BoxError>(Response::from_parts(parts, Full::new(body)))
        })
        .await?
    }

    fn upstream_uri(&self, uri: &Uri) -> Result<Uri, BoxError> {
        let mut upstream = self.upstream.clone().into_parts();
        upstream.path_and_query = uri.path_and_query().cloned();
        Ok(Uri::from_parts(upstream)?)
    }
}

/// A PutLogEvents body without its first `count` events.
fn without_oldest_events(body: &Bytes, count: usize) -> Bytes {
    let mut request: serde_json::Value = serde_json::from_slice(body).expect("PutLogEvents JSON");
    if let Some(events) = request["logEvents"].as_array_mut() {
        events.drain(..count.min(events.len()));
    }
    Bytes::from(request.to_string())
}

/// The operation a request is for: `X-Amz-Target` after the dot, else `"<METHOD> <path>"`.
fn operation_name(request: &Request<Incoming>) -> String {
    match request
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
    {
        Some(target) => target.rsplit('.').next().unwrap_or(target).to_owned(),
        None => format!("{} {}", request.method(), request.uri().path()),
    }
}

/// Removes the headers that describe one hop's connection or framing; hyper sets its own on each side.
fn strip_per_connection_headers(headers: &mut HeaderMap) {
    for name in [HOST, CONNECTION, CONTENT_LENGTH, TRANSFER_ENCODING] {
        headers.remove(name);
    }
    headers.remove("keep-alive");
}

/// A reply shaped like CloudWatch Logs' own (AWS JSON 1.1).
fn aws_json_reply(status: u16, body: &serde_json::Value) -> Response<Full<Bytes>> {
    let mut response = reply(status, "application/x-amz-json-1.1", body.to_string());
    let headers = response.headers_mut();
    headers.insert(
        "x-amzn-requestid",
        super::cloudwatch::unique_name("proxy-fault")
            .parse()
            .expect("header value"),
    );
    if let (true, Some(error_type)) = (status >= 400, body["__type"].as_str()) {
        headers.insert(
            "x-amzn-errortype",
            error_type.parse().expect("header value"),
        );
    }
    response
}
