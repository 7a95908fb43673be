//! SNS over HTTPS: the answer to one request that SNS (or anyone) sent to the function URL.
//!
//! Every request must be a POST of an SNS message for a topic in `ALLOWED_TOPIC_ARNS`, signed by SNS. The
//! checks run cheapest first, and nothing is fetched for a request that fails one that needs no fetch:
//! 1. method POST, else 405;
//! 2. `ALLOWED_TOPIC_ARNS` set, else 403 for everything: an open HTTPS endpoint would confirm a subscription
//!    to any topic in any account and store whatever it sends, so it stays shut until topics are named;
//! 3. the body (base64-decoded when flagged) is an SNS message, its `TopicArn` is allowed, it carries a
//!    signature of version 1 or 2, and its `SigningCertURL` is SNS's own ([`crate::sources::https::url`]), else 403;
//! 4. the certificate, fetched once per environment ([`crate::sources::https::fetch`]), verifies the signature over the
//!    message's canonical string ([`crate::sources::https::signature`]), else 403; a certificate host that cannot be
//!    reached or answers 5xx gets 502 instead, so that SNS delivers again later rather than dropping it.
//!
//! Then, by `Type`: a `Notification` goes to the caller's store (200 when stored, 500 when not, so SNS retries);
//! a `SubscriptionConfirmation` is confirmed by a GET of its `SubscribeURL`, itself checked like the certificate
//! URL (200, or 502 when the GET fails, so SNS sends it again); an `UnsubscribeConfirmation` is logged (200).
//!
//! Refusals are logged at warn with the reason, and the message id, topic or certificate URL where they help;
//! never the message or its subject, which may hold addresses. A refused request is stored nowhere.
//!
//! Old messages are not refused. The signature covers the `Timestamp`, so it cannot be moved, and SNS itself
//! re-delivers the same signed message for up to an hour (its HTTP/S retry policy); a cut-off short enough to
//! matter would drop SNS's own retries, and a replayed genuine notification only writes again what the log
//! already has (same SNS message id).

pub mod fetch;
pub mod function_url;
pub mod message;
pub mod signature;
pub mod url;

use chrono::Utc;
use std::future::Future;
use std::time::Duration;

use tracing::{error, info, warn};

use crate::sources::https::fetch::{ClientSetupError, FetchError, SnsFetcher};
use crate::sources::https::function_url::{BodyNotBase64, HttpRequest, HttpResponse};
use crate::sources::https::message::{read_strict, MessageType, NotAnSnsMessage};
use crate::sources::https::signature::{SignatureError, SignatureVersion};
use crate::sources::https::url::{SnsUrlPolicy, UrlRejected};
use crate::sources::sns::SnsEnvelope;
use crate::sources::InboundMessage;

/// Answers SNS's HTTPS deliveries.
pub struct SnsHttpsEndpoint {
    allowed_topic_arns: Option<Vec<String>>,
    policy: SnsUrlPolicy,
    fetcher: SnsFetcher,
}

/// Why a request is refused.
#[derive(Debug, thiserror::Error)]
enum Refusal {
    #[error("ALLOWED_TOPIC_ARNS must be set for HTTPS subscriptions; refusing every request until it is")]
    NoAllowList,
    #[error(transparent)]
    Body(#[from] BodyNotBase64),
    #[error(transparent)]
    NotSns(#[from] NotAnSnsMessage),
    #[error("topic not in ALLOWED_TOPIC_ARNS")]
    ForeignTopic,
    #[error("SigningCertURL refused: {0}")]
    CertificateUrl(UrlRejected),
    #[error("signing certificate unusable: {0}")]
    Certificate(FetchError),
    #[error(transparent)]
    Signature(#[from] SignatureError),
}

impl Refusal {
    fn status(&self) -> u16 {
        match self {
            Refusal::Certificate(error) if error.is_transient() => 502,
            _ => 403,
        }
    }

    /// The response body: short, and nothing from the request.
    fn public_reason(&self) -> &'static str {
        match self {
            Refusal::NoAllowList => "forbidden: this endpoint accepts no topic yet",
            Refusal::Body(_) | Refusal::NotSns(_) => "forbidden: not an SNS message",
            Refusal::ForeignTopic => "forbidden: topic not allowed",
            Refusal::CertificateUrl(_) => "forbidden: signing certificate URL not allowed",
            Refusal::Certificate(error) if error.is_transient() => {
                "signing certificate unavailable; deliver again later"
            }
            Refusal::Certificate(_) => "forbidden: signing certificate unusable",
            Refusal::Signature(SignatureError::Unsigned) => "forbidden: message not signed",
            Refusal::Signature(SignatureError::UnsupportedVersion) => {
                "forbidden: unsupported SignatureVersion"
            }
            Refusal::Signature(_) => "forbidden: signature does not verify",
        }
    }
}

/// A refusal, with what of the refused message is safe to log. Nothing of it is verified, so its text is the
/// sender's to choose: the topic is logged only when it is one of `ALLOWED_TOPIC_ARNS` (our own setting), and of
/// the message id and certificate URL only their lengths.
struct Refused {
    refusal: Refusal,
    allowed_topic: Option<String>,
    message_id_bytes: Option<usize>,
    signing_cert_url_bytes: Option<usize>,
}

impl From<Refusal> for Refused {
    fn from(refusal: Refusal) -> Refused {
        Refused {
            refusal,
            allowed_topic: None,
            message_id_bytes: None,
            signing_cert_url_bytes: None,
        }
    }
}

/// The methods HTTP defines, the only ones a refusal names.
const STANDARD_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

impl SnsHttpsEndpoint {
    /// The production endpoint: certificates and confirmations from SNS's own HTTPS hosts only.
    /// `allowed_topic_arns` is the configuration's `ALLOWED_TOPIC_ARNS`; unset refuses everything.
    pub fn new(
        allowed_topic_arns: Option<Vec<String>>,
    ) -> Result<SnsHttpsEndpoint, ClientSetupError> {
        SnsHttpsEndpoint::with_url_policy(allowed_topic_arns, SnsUrlPolicy::aws())
    }

    /// An endpoint with another URL policy: [`SnsUrlPolicy::loopback_for_tests`] in tests.
    pub fn with_url_policy(
        allowed_topic_arns: Option<Vec<String>>,
        policy: SnsUrlPolicy,
    ) -> Result<SnsHttpsEndpoint, ClientSetupError> {
        let fetcher = SnsFetcher::new(&policy)?;
        Ok(SnsHttpsEndpoint {
            allowed_topic_arns,
            policy,
            fetcher,
        })
    }

    /// Another time limit than [`crate::sources::https::fetch::FETCH_TIMEOUT`] for each certificate or confirmation fetch.
    pub fn with_fetch_timeout(mut self, timeout: Duration) -> SnsHttpsEndpoint {
        self.fetcher = self.fetcher.with_timeout(timeout);
        self
    }

    /// Another time than [`crate::sources::https::fetch::FAILURE_MEMORY`] to refuse a certificate URL that
    /// failed without fetching it again.
    pub fn with_failure_memory(mut self, memory: Duration) -> SnsHttpsEndpoint {
        self.fetcher = self.fetcher.with_failure_memory(memory);
        self
    }

    /// The answer to `request`. A verified notification is handed to `store`, as the message it carries,
    /// and only then.
    pub async fn respond<F, Fut, E>(&self, request: &HttpRequest, store: F) -> HttpResponse
    where
        F: FnOnce(InboundMessage) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: std::fmt::Display,
    {
        let method = function_url::method(request);
        if !method.is_some_and(|method| method.eq_ignore_ascii_case("POST")) {
            // The method is the sender's text too: only the ones HTTP defines are named.
            let method = method.filter(|method| STANDARD_METHODS.contains(method));
            warn!(
                method = method.unwrap_or("(other)"),
                "SNS HTTPS endpoint: refused a request that is not a POST"
            );
            return function_url::method_not_allowed();
        }
        let (kind, message) = match self.verified_message(request).await {
            Ok(message) => message,
            Err(refused) => {
                let refusal = &refused.refusal;
                warn!(
                    reason = %refusal,
                    status = refusal.status(),
                    allowed_topic_arn = ?refused.allowed_topic,
                    message_id_bytes = ?refused.message_id_bytes,
                    signing_cert_url_bytes = ?refused.signing_cert_url_bytes,
                    "SNS HTTPS endpoint: refused a request; nothing stored"
                );
                return function_url::text(refusal.status(), refusal.public_reason());
            }
        };
        match kind {
            MessageType::Notification => self.store(message, store).await,
            MessageType::SubscriptionConfirmation => self.confirm(&message).await,
            MessageType::UnsubscribeConfirmation => {
                info!(
                    sns_message_id = %field_text(&message.message_id),
                    topic_arn = %field_text(&message.topic_arn),
                    "SNS HTTPS endpoint: the subscription was removed (UnsubscribeConfirmation); nothing stored"
                );
                function_url::text(200, "unsubscribe confirmation noted")
            }
        }
    }

    /// The message of `request`, and its type, if it passes every check, else why not.
    async fn verified_message(
        &self,
        request: &HttpRequest,
    ) -> Result<(MessageType, SnsEnvelope), Refused> {
        self.allowed_topic_arns
            .as_deref()
            .filter(|allowed| !allowed.is_empty())
            .ok_or(Refusal::NoAllowList)?;
        let body = function_url::body_bytes(request).map_err(Refusal::from)?;
        let (kind, message) = read_strict(&body).map_err(Refusal::from)?;
        let about = |refusal: Refusal| self.refused(refusal, &message);
        if !self.allows_topic(field_text(&message.topic_arn)) {
            return Err(about(Refusal::ForeignTopic));
        }
        SignatureVersion::from_field(message.signature_version.as_deref())
            .map_err(|error| about(error.into()))?;
        let (Some(_), Some(certificate_url)) = (&message.signature, &message.signing_cert_url)
        else {
            return Err(about(SignatureError::Unsigned.into()));
        };
        let certificate_url = self
            .policy
            .signing_cert_url(certificate_url)
            .map_err(|rejected| about(Refusal::CertificateUrl(rejected)))?;
        let key = self
            .fetcher
            .signing_key(&certificate_url)
            .await
            .map_err(|error| about(Refusal::Certificate(error)))?;
        signature::verify(&message, &key).map_err(|error| about(error.into()))?;
        Ok((kind, message))
    }

    /// `refusal` of `message`, with what of it may be logged.
    fn refused(&self, refusal: Refusal, message: &SnsEnvelope) -> Refused {
        Refused {
            refusal,
            allowed_topic: message
                .topic_arn
                .clone()
                .filter(|topic| self.allows_topic(topic)),
            message_id_bytes: message.message_id.as_ref().map(String::len),
            signing_cert_url_bytes: message.signing_cert_url.as_ref().map(String::len),
        }
    }

    fn allows_topic(&self, topic_arn: &str) -> bool {
        self.allowed_topic_arns
            .as_deref()
            .is_some_and(|allowed| allowed.iter().any(|arn| arn == topic_arn))
    }

    async fn store<F, Fut, E>(&self, message: SnsEnvelope, store: F) -> HttpResponse
    where
        F: FnOnce(InboundMessage) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: std::fmt::Display,
    {
        let message_id = field_text(&message.message_id).to_owned();
        let topic_arn = field_text(&message.topic_arn).to_owned();
        // A verified message has its MessageId, which is its key: the other key is never used.
        let inbound =
            InboundMessage::from_sns_envelope(message, String::new, Utc::now().timestamp_millis());
        match store(inbound).await {
            Ok(()) => function_url::text(200, "stored"),
            Err(error) => {
                error!(
                    sns_message_id = %message_id,
                    topic_arn = %topic_arn,
                    error = %error,
                    "SNS HTTPS endpoint: storing a verified notification failed; answering 500 so SNS delivers it again"
                );
                function_url::text(500, "not stored; deliver again later")
            }
        }
    }

    async fn confirm(&self, message: &SnsEnvelope) -> HttpResponse {
        // The signature covered SubscribeURL, so it is there; it must still point at SNS.
        let url = match message
            .subscribe_url
            .as_deref()
            .ok_or(UrlRejected::Host)
            .and_then(|url| self.policy.subscribe_url(url))
        {
            Ok(url) => url,
            Err(rejected) => {
                warn!(
                    sns_message_id = %field_text(&message.message_id),
                    topic_arn = %field_text(&message.topic_arn),
                    reason = %rejected,
                    "SNS HTTPS endpoint: SubscribeURL refused; subscription not confirmed"
                );
                return function_url::text(403, "forbidden: SubscribeURL not allowed");
            }
        };
        match self.fetcher.confirm_subscription(&url).await {
            Ok(()) => {
                info!(
                    sns_message_id = %field_text(&message.message_id),
                    topic_arn = %field_text(&message.topic_arn),
                    "SNS HTTPS endpoint: subscription confirmed"
                );
                function_url::text(200, "subscription confirmed")
            }
            Err(error) => {
                // SNS retries only 5xx answers: one that trying again cannot change (a 404, a redirect) gets a
                // 4xx, so SNS stops sending this confirmation.
                let (status, answer, so) = if error.is_transient() {
                    (
                        502,
                        "confirmation failed; deliver again later",
                        "SNS sends it again",
                    )
                } else {
                    (
                        400,
                        "confirmation failed; not worth delivering again",
                        "SNS does not send it again",
                    )
                };
                warn!(
                    sns_message_id = %field_text(&message.message_id),
                    topic_arn = %field_text(&message.topic_arn),
                    error = %error,
                    status,
                    "SNS HTTPS endpoint: confirming the subscription failed; answering {status} so {so}"
                );
                function_url::text(status, answer)
            }
        }
    }
}

/// A field [`read_strict`] found present, as text.
fn field_text(field: &Option<String>) -> &str {
    field.as_deref().unwrap_or_default()
}
