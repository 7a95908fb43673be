//! The two things the HTTPS path fetches: SNS signing certificates (cached) and subscription confirmations.
//!
//! Only [`CheckedUrl`]s are fetched, so only URLs [`crate::sources::https::url`] accepted. The client is hyper with rustls
//! on aws-lc-rs and the system's root certificates, as the AWS SDK's own; with the production policy it
//! refuses plain `http` even if a URL got that far. Each request has one bounded attempt
//! ([`FETCH_TIMEOUT`]): a failure is answered with a status that makes SNS retry the delivery later, which is
//! a better retry than one inside a request SNS is waiting on. Idle connections are not kept: fetches are
//! rare (once per certificate and environment), and a connection kept across a frozen Lambda environment is
//! likely dead on thaw.
//!
//! Certificates are cached per URL for the life of the execution environment, at most
//! [`CACHED_CERTIFICATES`] of them (SNS uses one per region, changed every few years). Concurrent requests for
//! one URL wait for a single fetch; a failed fetch is not cached, so the next message tries again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty, LengthLimitError, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::sync::OnceCell;

use crate::recent::RecentMap;
use crate::sources::https::signature::{CertificateError, SigningKey};
use crate::sources::https::url::{CheckedUrl, SnsUrlPolicy};

/// How long one fetch (connect, TLS, request, whole body) may take. SNS waits for the endpoint's answer only
/// for a limited time, so a slow certificate host must not use it all.
pub(crate) const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// A signing certificate is about 2 KB of PEM; anything much larger is not one.
pub(crate) const MAX_CERTIFICATE_BYTES: usize = 64 * 1024;

/// Certificates remembered per execution environment.
pub(crate) const CACHED_CERTIFICATES: usize = 16;

/// How long a certificate URL that failed is answered from memory: a flood of junk URLs costs one fetch (and
/// one DNS query) each per window, and a host that had a passing fault is asked again soon after.
pub(crate) const FAILURE_MEMORY: Duration = Duration::from_secs(30);

/// Failed certificate URLs remembered; apart from the certificates, so failures never push a good one out.
const REMEMBERED_FAILURES: usize = 256;

const USER_AGENT: &str = concat!("ses-feedback-logger/", env!("CARGO_PKG_VERSION"));

type CachedKey = Arc<OnceCell<Arc<SigningKey>>>;

pub(crate) struct SnsFetcher {
    client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
    timeout: Duration,
    failure_memory: Duration,
    certificates: Mutex<Certificates>,
}

/// What is known of certificate URLs. Only a fetched, usable certificate enters `good`.
struct Certificates {
    good: RecentMap<String, Arc<SigningKey>>,
    /// Fetches under way, so concurrent requests for one URL fetch it once.
    in_flight: HashMap<String, CachedKey>,
    /// URLs whose fetch failed: when, and whether trying again later may succeed.
    failed: RecentMap<String, (Instant, bool)>,
}

#[derive(Debug, thiserror::Error)]
pub enum ClientSetupError {
    #[error("no TLS root certificates could be loaded from the system: {0}")]
    RootCertificates(#[source] std::io::Error),
    #[error("TLS configuration: {0}")]
    Tls(#[from] rustls::Error),
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum FetchError {
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("request failed: {0:?}")]
    Request(#[source] hyper_util::client::legacy::Error),
    #[error("request could not be built: {0}")]
    InvalidRequest(#[source] hyper::http::Error),
    #[error("response body could not be read: {0}")]
    Body(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("answered HTTP {0}")]
    Status(u16),
    #[error("response larger than {0} bytes")]
    TooLarge(usize),
    #[error("{0}")]
    Certificate(#[from] CertificateError),
    #[error("failed moments ago; not fetched again yet")]
    RecentlyFailed { transient: bool },
}

impl FetchError {
    /// Whether trying again later may succeed (network trouble, a 5xx or 429), as opposed to an answer that
    /// will not change (a 4xx, a body that is not a usable certificate).
    pub(crate) fn is_transient(&self) -> bool {
        match self {
            FetchError::Timeout(_) | FetchError::Request(_) | FetchError::Body(_) => true,
            FetchError::Status(status) => *status >= 500 || *status == 429,
            FetchError::RecentlyFailed { transient } => *transient,
            FetchError::InvalidRequest(_)
            | FetchError::TooLarge(_)
            | FetchError::Certificate(_) => false,
        }
    }
}

impl SnsFetcher {
    /// A fetcher for the URLs `policy` accepts. With [`SnsUrlPolicy::aws`] it loads the system's root
    /// certificates and speaks HTTPS only; with the test policy it trusts no root and allows plain HTTP.
    pub fn new(policy: &SnsUrlPolicy) -> Result<SnsFetcher, ClientSetupError> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = if policy.allows_plain_http() {
            let tls = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()?
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth();
            hyper_rustls::HttpsConnectorBuilder::new()
                .with_tls_config(tls)
                .https_or_http()
        } else {
            hyper_rustls::HttpsConnectorBuilder::new()
                .with_provider_and_native_roots(provider)
                .map_err(ClientSetupError::RootCertificates)?
                .https_only()
        };
        let connector = builder.enable_http1().build();
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(0)
            .build(connector);
        Ok(SnsFetcher {
            client,
            timeout: FETCH_TIMEOUT,
            failure_memory: FAILURE_MEMORY,
            certificates: Mutex::new(Certificates {
                good: RecentMap::new(CACHED_CERTIFICATES),
                in_flight: HashMap::new(),
                failed: RecentMap::new(REMEMBERED_FAILURES),
            }),
        })
    }

    /// Another time than [`FAILURE_MEMORY`] to answer a failed URL from memory.
    pub(crate) fn with_failure_memory(mut self, memory: Duration) -> SnsFetcher {
        self.failure_memory = memory;
        self
    }

    /// Another limit than [`FETCH_TIMEOUT`] for each fetch.
    pub(crate) fn with_timeout(mut self, timeout: Duration) -> SnsFetcher {
        self.timeout = timeout;
        self
    }

    /// The signing key of the certificate at `url`: from the cache, or fetched once. A URL that failed within
    /// the failure memory fails again without a fetch.
    pub(crate) async fn signing_key(
        &self,
        url: &CheckedUrl,
    ) -> Result<Arc<SigningKey>, FetchError> {
        let cell = {
            let mut known = self.known();
            if let Some(key) = known.good.get(url.as_str()) {
                return Ok(Arc::clone(key));
            }
            if let Some(&(at, transient)) = known.failed.get(url.as_str()) {
                if at.elapsed() < self.failure_memory {
                    return Err(FetchError::RecentlyFailed { transient });
                }
            }
            Arc::clone(known.in_flight.entry(url.as_str().to_owned()).or_default())
        };
        let fetched = cell
            .get_or_try_init(|| async {
                let pem = self.get(url, MAX_CERTIFICATE_BYTES).await?;
                Ok::<_, FetchError>(Arc::new(SigningKey::from_pem(&pem)?))
            })
            .await
            .cloned();
        let mut known = self.known();
        known.in_flight.remove(url.as_str());
        match &fetched {
            Ok(key) => known.good.insert(url.as_str().to_owned(), Arc::clone(key)),
            Err(error) => known.failed.insert(
                url.as_str().to_owned(),
                (Instant::now(), error.is_transient()),
            ),
        }
        fetched
    }

    fn known(&self) -> std::sync::MutexGuard<'_, Certificates> {
        self.certificates
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Confirms a subscription: a GET of its `SubscribeURL`, which SNS answers with 200.
    pub(crate) async fn confirm_subscription(&self, url: &CheckedUrl) -> Result<(), FetchError> {
        // SNS's answer is a small XML document naming the subscription; only its status matters.
        self.get(url, MAX_CERTIFICATE_BYTES).await.map(drop)
    }

    /// The body of a successful GET of `url`, at most `limit` bytes, within the timeout.
    async fn get(&self, url: &CheckedUrl, limit: usize) -> Result<Bytes, FetchError> {
        let request = hyper::Request::get(url.uri().clone())
            .header(hyper::header::USER_AGENT, USER_AGENT)
            .body(Empty::new())
            .map_err(FetchError::InvalidRequest)?;
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(FetchError::Request)?;
            let status = response.status();
            if !status.is_success() {
                return Err(FetchError::Status(status.as_u16()));
            }
            let body = Limited::new(response.into_body(), limit)
                .collect()
                .await
                .map_err(|error| {
                    if error.is::<LengthLimitError>() {
                        FetchError::TooLarge(limit)
                    } else {
                        FetchError::Body(error)
                    }
                })?;
            Ok(body.to_bytes())
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| FetchError::Timeout(self.timeout))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_failures_are_the_ones_worth_a_retry() {
        assert!(FetchError::Timeout(FETCH_TIMEOUT).is_transient());
        assert!(FetchError::Status(500).is_transient());
        assert!(FetchError::Status(503).is_transient());
        assert!(FetchError::Status(429).is_transient());
        assert!(!FetchError::Status(403).is_transient());
        assert!(!FetchError::Status(404).is_transient());
        assert!(!FetchError::TooLarge(1).is_transient());
        assert!(!FetchError::Certificate(CertificateError::NotPem).is_transient());
    }

    #[tokio::test]
    async fn the_production_fetcher_refuses_plain_http_even_past_the_policy() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let origin = format!("http://{}", listener.local_addr().expect("address"));
        // Only a test policy can make an http CheckedUrl; the production client must still not use it.
        let test_policy = SnsUrlPolicy::loopback_for_tests(&origin).expect("loopback");
        let url = test_policy
            .signing_cert_url(&format!("{origin}/cert.pem"))
            .expect("checked");
        let Ok(fetcher) = SnsFetcher::new(&SnsUrlPolicy::aws()) else {
            // A machine without system root certificates cannot build the production client at all.
            return;
        };
        let error = fetcher.signing_key(&url).await.expect_err("refused");
        assert!(matches!(error, FetchError::Request(_)), "{error}");
        let connection = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
        assert!(
            connection.is_err(),
            "the production client connected over plain http"
        );
    }
}
