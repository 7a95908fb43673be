//! [`SesStandIn`]: a local stand-in for SES v2's `PutSuppressedDestination` (moto has no suppression list),
//! recording each request with the region it was signed for, so tests see which regions' lists an address
//! went to. One endpoint serves every region, as moto does; only the signature tells them apart.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use http_body_util::BodyExt;
use hyper::header::AUTHORIZATION;

use super::http::{reply, serve};

/// One `PutSuppressedDestination` the stand-in received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SuppressCall {
    /// The region of the SigV4 credential scope (`Credential=KEY/DATE/REGION/ses/aws4_request`).
    pub signing_region: String,
    /// The signing service of the same scope (`ses` for SES v2).
    pub signing_service: String,
    pub email_address: String,
    pub reason: String,
    /// What the stand-in answered.
    pub status: u16,
}

#[derive(Default)]
struct State {
    calls: Vec<SuppressCall>,
    /// Per region, the statuses to answer before answering 200 (each used once).
    failures: HashMap<String, Vec<u16>>,
}

/// The stand-in server; stops accepting when dropped.
pub struct SesStandIn {
    url: String,
    state: Arc<Mutex<State>>,
    accept: tokio::task::JoinHandle<()>,
}

impl SesStandIn {
    pub async fn start() -> SesStandIn {
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let (addr, accept) = serve(move |request: hyper::Request<hyper::body::Incoming>| {
            let state = shared.clone();
            async move {
                let scope = request
                    .headers()
                    .get(AUTHORIZATION)
                    .and_then(|value| value.to_str().ok())
                    .and_then(credential_scope)
                    .unwrap_or_default();
                let path = request.uri().path().to_owned();
                let body = request.into_body().collect().await?.to_bytes();
                let body: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                let text = |key: &str| body[key].as_str().unwrap_or_default().to_owned();
                let mut state = state.lock().expect("stand-in state");
                let status = match state.failures.get_mut(&scope.0) {
                    Some(statuses) if !statuses.is_empty() => statuses.remove(0),
                    _ => 200,
                };
                state.calls.push(SuppressCall {
                    signing_region: scope.0,
                    signing_service: scope.1,
                    email_address: text("EmailAddress"),
                    reason: text("Reason"),
                    status,
                });
                Ok(match (path.as_str(), status) {
                    ("/v2/email/suppression/addresses", 200) => {
                        reply(200, "application/json", "{}")
                    }
                    (_, 200) => reply(404, "text/plain", "not PutSuppressedDestination"),
                    (_, 429) => error(429, "TooManyRequestsException"),
                    (_, status) => error(status, "BadRequestException"),
                })
            }
        })
        .await;
        SesStandIn {
            url: format!("http://{addr}"),
            state,
            accept,
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Answers the next requests signed for `region` with `statuses` (429: throttled, which the SDK retries;
    /// 400: refused, which it does not), one each, then 200.
    pub fn fail(&self, region: &str, statuses: &[u16]) {
        self.state
            .lock()
            .expect("stand-in state")
            .failures
            .insert(region.to_owned(), statuses.to_vec());
    }

    /// Every request received, in order.
    pub fn calls(&self) -> Vec<SuppressCall> {
        self.state.lock().expect("stand-in state").calls.clone()
    }

    /// The addresses suppressed (answered 200) in `region`, in order.
    pub fn suppressed_in(&self, region: &str) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter(|call| call.signing_region == region && call.status == 200)
            .map(|call| call.email_address)
            .collect()
    }
}

impl Drop for SesStandIn {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// (region, service) from a SigV4 `Authorization` header.
fn credential_scope(authorization: &str) -> Option<(String, String)> {
    let credential = authorization
        .split("Credential=")
        .nth(1)?
        .split(',')
        .next()?;
    let mut fields = credential.split('/').skip(2);
    Some((fields.next()?.to_owned(), fields.next()?.to_owned()))
}

/// An SES v2 (REST JSON) error.
fn error(status: u16, kind: &str) -> hyper::Response<http_body_util::Full<bytes::Bytes>> {
    let mut response = reply(
        status,
        "application/json",
        serde_json::json!({ "message": format!("stand-in answers {kind}") }).to_string(),
    );
    response.headers_mut().insert(
        "x-amzn-ErrorType",
        kind.parse().expect("a valid header value"),
    );
    response
}
