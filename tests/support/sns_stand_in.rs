//! What `tests/offline/sns_https.rs` and `tests/offline/https_handler.rs` play SNS with: RSA keys and self-signed certificates made here, a signer
//! written independently of the function's verifier, SNS messages, and a local stand-in for SNS's certificate
//! and subscription hosts that records every request it gets.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use num_bigint::BigUint;
use serde_json::{json, Map, Value};
use ses_feedback_logger::sources::https::function_url::{read_request, HttpRequest};

use crate::support::http::{reply, serve};

/// An RSA 2048 key and a self-signed X.509 certificate for it, both made in the test.
pub struct TestSigner {
    pub certificate_pem: String,
    pkcs8: Vec<u8>,
    key: RsaPrivateKey,
}

impl TestSigner {
    pub fn generate() -> TestSigner {
        let key_pair =
            rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
                .expect("RSA key generation");
        let params = rcgen::CertificateParams::new(vec!["sns.amazonaws.com".to_owned()])
            .expect("certificate parameters");
        let certificate = params
            .self_signed(&key_pair)
            .expect("self-signed certificate");
        let pkcs8 = key_pair.serialize_der();
        let key = RsaPrivateKey::from_pkcs8(&pkcs8);
        TestSigner {
            certificate_pem: certificate.pem(),
            pkcs8,
            key,
        }
    }

    /// RSA PKCS#1 v1.5 over `text`: SHA-1 for SignatureVersion "1", SHA-256 for "2". Base64.
    pub fn sign(&self, signature_version: &str, text: &str) -> String {
        let signature = match signature_version {
            "1" => self.pkcs1_v15(
                &SHA1_DIGEST_INFO,
                &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
                text,
            ),
            "2" => self.pkcs1_v15(&SHA256_DIGEST_INFO, &aws_lc_rs::digest::SHA256, text),
            other => panic!("no signature version {other}"),
        };
        base64::engine::general_purpose::STANDARD.encode(signature)
    }

    /// The textbook signature: s = EM^d mod n, EM = 00 01 FF…FF 00 DigestInfo(hash(text)) (RFC 8017, 8.2.1 and
    /// 9.2). aws-lc-rs signs only with SHA-256 and up, so this is how the test makes SHA-1 signatures.
    fn pkcs1_v15(
        &self,
        digest_info: &[u8],
        algorithm: &'static aws_lc_rs::digest::Algorithm,
        text: &str,
    ) -> Vec<u8> {
        let length = self.key.modulus.bits().div_ceil(8) as usize;
        let hash = aws_lc_rs::digest::digest(algorithm, text.as_bytes());
        let mut encoded = vec![0x00, 0x01];
        encoded.resize(length - digest_info.len() - hash.as_ref().len() - 1, 0xff);
        encoded.push(0x00);
        encoded.extend_from_slice(digest_info);
        encoded.extend_from_slice(hash.as_ref());
        let signature = self
            .key
            .private_operation(&BigUint::from_bytes_be(&encoded))
            .to_bytes_be();
        let mut padded = vec![0; length - signature.len()];
        padded.extend_from_slice(&signature);
        padded
    }

    /// aws-lc-rs's own SHA-256 signature, to check the textbook signer against.
    pub fn sign_sha256_with_aws_lc_rs(&self, text: &str) -> String {
        let key = aws_lc_rs::rsa::KeyPair::from_pkcs8(&self.pkcs8).expect("PKCS#8 key");
        let mut signature = vec![0; key.public_modulus_len()];
        key.sign(
            &aws_lc_rs::signature::RSA_PKCS1_SHA256,
            &aws_lc_rs::rand::SystemRandom::new(),
            text.as_bytes(),
            &mut signature,
        )
        .expect("signs");
        base64::engine::general_purpose::STANDARD.encode(signature)
    }
}

const SHA1_DIGEST_INFO: [u8; 15] = [
    0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14,
];
const SHA256_DIGEST_INFO: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// The parts of an RSA private key the signer needs (RFC 8017, A.1.2).
struct RsaPrivateKey {
    modulus: BigUint,
    prime1: BigUint,
    prime2: BigUint,
    exponent1: BigUint,
    exponent2: BigUint,
    coefficient: BigUint,
}

impl RsaPrivateKey {
    /// PrivateKeyInfo { version, algorithm, privateKey OCTET STRING { RSAPrivateKey { version, n, e, d, p, q,
    /// d mod (p-1), d mod (q-1), q^-1 mod p } } }.
    fn from_pkcs8(pkcs8: &[u8]) -> RsaPrivateKey {
        let (info, _) = der(pkcs8, 0x30);
        let (_version, rest) = der(info, 0x02);
        let (_algorithm, rest) = der(rest, 0x30);
        let (private_key, _) = der(rest, 0x04);
        let (rsa, _) = der(private_key, 0x30);
        let mut integers = Vec::new();
        let mut rest = rsa;
        while !rest.is_empty() {
            let (integer, next) = der(rest, 0x02);
            integers.push(BigUint::from_bytes_be(integer));
            rest = next;
        }
        let [_version, modulus, _e, _d, prime1, prime2, exponent1, exponent2, coefficient] =
            <[BigUint; 9]>::try_from(integers).expect("nine RSAPrivateKey integers");
        RsaPrivateKey {
            modulus,
            prime1,
            prime2,
            exponent1,
            exponent2,
            coefficient,
        }
    }

    /// m^d mod n, by the Chinese remainder theorem (four times quicker than the plain power in a debug build).
    fn private_operation(&self, message: &BigUint) -> BigUint {
        let m1 = message.modpow(&self.exponent1, &self.prime1);
        let m2 = message.modpow(&self.exponent2, &self.prime2);
        let difference = (&m1 + &self.prime1 - (&m2 % &self.prime1)) % &self.prime1;
        let h = (&self.coefficient * difference) % &self.prime1;
        m2 + h * &self.prime2
    }
}

/// The content of the DER element at the start of `input`, which must have `tag`, and what follows it.
fn der(input: &[u8], tag: u8) -> (&[u8], &[u8]) {
    assert_eq!(input[0], tag, "DER tag");
    let (length, header) = match input[1] {
        short @ 0..=0x7f => (short as usize, 2),
        long => {
            let count = (long & 0x7f) as usize;
            let length = input[2..2 + count]
                .iter()
                .fold(0usize, |length, byte| (length << 8) | *byte as usize);
            (length, 2 + count)
        }
    };
    input[header..].split_at(length)
}

/// The string SNS signs, written here from the AWS documentation independently of the function's own.
pub fn canonical_string(message: &Value) -> String {
    let fields: &[&str] = if message["Type"] == "Notification" {
        &[
            "Message",
            "MessageId",
            "Subject",
            "Timestamp",
            "TopicArn",
            "Type",
        ]
    } else {
        &[
            "Message",
            "MessageId",
            "SubscribeURL",
            "Timestamp",
            "Token",
            "TopicArn",
            "Type",
        ]
    };
    let mut text = String::new();
    for field in fields {
        if let Some(value) = message.get(*field).and_then(Value::as_str) {
            text.push_str(&format!("{field}\n{value}\n"));
        }
    }
    text
}

/// Signs `message` in place with `signer`, as SNS does with the given SignatureVersion.
pub fn sign(message: &mut Value, signer: &TestSigner, signature_version: &str) {
    let signature = signer.sign(signature_version, &canonical_string(message));
    message["SignatureVersion"] = json!(signature_version);
    message["Signature"] = json!(signature);
}

/// An SNS notification as SNS POSTs it, unsigned.
pub fn notification(
    certificate_url: &str,
    topic_arn: &str,
    message_id: &str,
    subject: Option<&str>,
    message: &str,
) -> Value {
    let mut fields = Map::new();
    fields.insert("Type".into(), json!("Notification"));
    fields.insert("MessageId".into(), json!(message_id));
    fields.insert("TopicArn".into(), json!(topic_arn));
    if let Some(subject) = subject {
        fields.insert("Subject".into(), json!(subject));
    }
    fields.insert("Message".into(), json!(message));
    fields.insert("Timestamp".into(), json!("2026-03-04T05:06:07.890Z"));
    fields.insert("SigningCertURL".into(), json!(certificate_url));
    fields.insert(
        "UnsubscribeURL".into(),
        json!(format!(
            "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={topic_arn}:1"
        )),
    );
    fields.insert(
        "MessageAttributes".into(),
        json!({"kind": {"Type": "String", "Value": "ses"}}),
    );
    Value::Object(fields)
}

/// A `SubscriptionConfirmation` or `UnsubscribeConfirmation` as SNS POSTs it, unsigned.
pub fn confirmation(
    kind: &str,
    certificate_url: &str,
    topic_arn: &str,
    subscribe_url: &str,
) -> Value {
    json!({
        "Type": kind,
        "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
        "Token": "2336412f37fb687f5d51e6e241d08f5e",
        "TopicArn": topic_arn,
        "Message": format!("You have chosen to subscribe to the topic {topic_arn}.\nTo confirm the subscription, visit the SubscribeURL included in this message."),
        "SubscribeURL": subscribe_url,
        "Timestamp": "2026-03-04T05:06:07.890Z",
        "SigningCertURL": certificate_url
    })
}

/// A function URL request POSTing `body` (base64-encoded when asked).
pub fn post(body: &str, base64: bool) -> HttpRequest {
    request("POST", body, base64)
}

pub fn request(method: &str, body: &str, base64: bool) -> HttpRequest {
    let body = if base64 {
        base64::engine::general_purpose::STANDARD.encode(body)
    } else {
        body.to_owned()
    };
    read_request(json!({
        "version": "2.0",
        "rawPath": "/",
        "headers": {"content-type": "text/plain; charset=UTF-8", "x-amz-sns-message-type": "Notification"},
        "requestContext": {"http": {"method": method, "path": "/", "sourceIp": "203.0.113.1"}},
        "body": body,
        "isBase64Encoded": base64
    }))
    .expect("a function URL request")
}

/// The stand-in for SNS's hosts: certificates at `/<name>.pem`, subscription confirmation at `/confirm`,
/// and a few ways of failing. Every request's path and query are recorded.
pub struct StandIn {
    pub origin: String,
    requests: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl StandIn {
    /// Serves `certificates` (path → PEM) and the fixed routes.
    pub async fn start(certificates: BTreeMap<&'static str, String>) -> StandIn {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let certificates = Arc::new(certificates);
        let recorded = Arc::clone(&requests);
        let (address, task) = serve(move |request: hyper::Request<hyper::body::Incoming>| {
            let requests = Arc::clone(&recorded);
            let certificates = Arc::clone(&certificates);
            async move {
                let path = request.uri().path().to_owned();
                let target = request
                    .uri()
                    .path_and_query()
                    .map_or(path.clone(), |target| target.as_str().to_owned());
                requests.lock().expect("requests").push(target);
                let pem = |body: &str| reply(200, "application/x-pem-file", body.to_owned());
                Ok::<_, crate::support::http::BoxError>(match path.as_str() {
                    "/confirm" => reply(
                        200,
                        "text/xml",
                        "<ConfirmSubscriptionResponse><ConfirmSubscriptionResult><SubscriptionArn>arn</SubscriptionArn></ConfirmSubscriptionResult></ConfirmSubscriptionResponse>",
                    ),
                    "/confirm-fails" => reply(500, "text/xml", "<Error/>"),
                    "/confirm-gone" => reply(404, "text/xml", "<Error/>"),
                    "/confirm-moved" => reply(301, "text/plain", "moved"),
                    "/missing.pem" => reply(404, "text/plain", "not found"),
                    "/broken.pem" => reply(503, "text/plain", "unavailable"),
                    "/garbage.pem" => reply(200, "text/plain", "this is not a certificate"),
                    "/huge.pem" => reply(200, "text/plain", Bytes::from(vec![b'A'; 200 * 1024])),
                    "/hang.pem" => {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                        reply(504, "text/plain", "late")
                    }
                    _ => match certificates.get(path.as_str()) {
                        Some(body) => {
                            if path.starts_with("/slow") {
                                tokio::time::sleep(Duration::from_millis(300)).await;
                            }
                            pem(body)
                        }
                        None => reply(404, "text/plain", "not found"),
                    },
                })
            }
        })
        .await;
        StandIn {
            origin: format!("http://{address}"),
            requests,
            task,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    /// Every request so far: path and query.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("requests").clone()
    }

    pub fn count(&self, path: &str) -> usize {
        self.requests()
            .iter()
            .filter(|target| target.split('?').next() == Some(path))
            .count()
    }
}
