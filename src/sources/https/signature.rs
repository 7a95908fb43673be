//! The signature of an SNS HTTP/S message: the string SNS signs, the signing certificate's public key, and the
//! check (pure, no I/O).
//!
//! SNS signs, with the private key of the certificate at `SigningCertURL`, a canonical string made of some of
//! the message's fields, each as `Name\nvalue\n`, in this order:
//! - `Notification`: Message, MessageId, Subject (only when present), Timestamp, TopicArn, Type;
//! - `SubscriptionConfirmation` and `UnsubscribeConfirmation`: Message, MessageId, SubscribeURL, Timestamp,
//!   Token, TopicArn, Type.
//!
//! `SignatureVersion` `1` is RSA PKCS#1 v1.5 with SHA-1, `2` the same with SHA-256; anything else is refused.
//! Which certificate may be used is [`crate::sources::https::url`]'s business: this module only reads one it is given.

use aws_lc_rs::rsa::PublicEncryptingKey;
use aws_lc_rs::signature::{
    ParsedPublicKey, RsaParameters, UnparsedPublicKey,
    RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY, RSA_PKCS1_2048_8192_SHA256,
};
use base64::Engine as _;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::CertificateDer;

use crate::sources::https::message::MessageType;
use crate::sources::sns::SnsEnvelope;

/// The two signature schemes SNS uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureVersion {
    /// `"1"`: SHA1withRSA (PKCS#1 v1.5), SNS's default.
    Sha1WithRsa,
    /// `"2"`: SHA256withRSA (PKCS#1 v1.5), the topic attribute `SignatureVersion=2`.
    Sha256WithRsa,
}

impl SignatureVersion {
    /// `"1"` or `"2"` exactly; a missing or any other version is refused.
    pub(crate) fn from_field(value: Option<&str>) -> Result<SignatureVersion, SignatureError> {
        match value {
            Some("1") => Ok(SignatureVersion::Sha1WithRsa),
            Some("2") => Ok(SignatureVersion::Sha256WithRsa),
            Some(_) => Err(SignatureError::UnsupportedVersion),
            None => Err(SignatureError::Unsigned),
        }
    }

    fn algorithm(self) -> &'static RsaParameters {
        match self {
            SignatureVersion::Sha1WithRsa => &RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
            SignatureVersion::Sha256WithRsa => &RSA_PKCS1_2048_8192_SHA256,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the message is not signed (no SignatureVersion or Signature)")]
    Unsigned,
    #[error("SignatureVersion is neither 1 nor 2")]
    UnsupportedVersion,
    #[error("the Signature is not base64")]
    NotBase64,
    #[error("a {0} is missing, which the signed string needs")]
    MissingField(&'static str),
    #[error("the Type is not one SNS signs")]
    UnknownType,
    #[error("the signature does not match the message and the signing certificate")]
    Mismatch,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CertificateError {
    #[error("no PEM certificate found")]
    NotPem,
    #[error("not an X.509 certificate: {0:?}")]
    NotX509(webpki::Error),
    #[error("the certificate's key is not an RSA key of 2048 to 8192 bits")]
    UnsupportedKey,
}

/// The RSA public key of an SNS signing certificate (its DER SubjectPublicKeyInfo), checked on reading.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct SigningKey {
    subject_public_key_info: Box<[u8]>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("spki_bytes", &self.subject_public_key_info.len())
            .finish()
    }
}

impl SigningKey {
    /// The key of the first certificate in `pem` (the body SNS serves at `SigningCertURL`).
    pub(crate) fn from_pem(pem: &[u8]) -> Result<SigningKey, CertificateError> {
        let der = CertificateDer::from_pem_slice(pem).map_err(|_| CertificateError::NotPem)?;
        SigningKey::from_der(&der)
    }

    /// The key of a DER X.509 certificate. The certificate is trusted for where it came from (an SNS host
    /// over HTTPS), as AWS's own verifiers do: its dates and issuer are not checked.
    pub(crate) fn from_der(der: &CertificateDer<'_>) -> Result<SigningKey, CertificateError> {
        let certificate =
            webpki::EndEntityCert::try_from(der).map_err(CertificateError::NotX509)?;
        let spki = certificate.subject_public_key_info();
        // Parsing once here refuses a non-RSA key before it is cached; the size is checked here too, because
        // parsing alone takes any size (verifying is what would refuse a small key, message by message).
        ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, spki.as_ref())
            .map_err(|_| CertificateError::UnsupportedKey)?;
        let bits = PublicEncryptingKey::from_der(spki.as_ref())
            .map_err(|_| CertificateError::UnsupportedKey)?
            .key_size_bits();
        if !(2048..=8192).contains(&bits) {
            return Err(CertificateError::UnsupportedKey);
        }
        Ok(SigningKey {
            subject_public_key_info: spki.as_ref().into(),
        })
    }
}

/// The string SNS signed for `message`, per its `Type`; every field it names must be there.
pub fn canonical_string(message: &SnsEnvelope) -> Result<String, SignatureError> {
    fn required<'a>(
        value: &'a Option<String>,
        name: &'static str,
    ) -> Result<&'a str, SignatureError> {
        value.as_deref().ok_or(SignatureError::MissingField(name))
    }
    let kind = MessageType::of(message).ok_or(SignatureError::UnknownType)?;
    let text = required(&message.message, "Message")?;
    let message_id = required(&message.message_id, "MessageId")?;
    let timestamp = required(&message.timestamp, "Timestamp")?;
    let topic_arn = required(&message.topic_arn, "TopicArn")?;
    let mut out = String::with_capacity(text.len() + 512);
    let mut field = |name: &str, value: &str| {
        out.push_str(name);
        out.push('\n');
        out.push_str(value);
        out.push('\n');
    };
    match kind {
        MessageType::Notification => {
            field("Message", text);
            field("MessageId", message_id);
            if let Some(subject) = &message.subject {
                field("Subject", subject);
            }
            field("Timestamp", timestamp);
            field("TopicArn", topic_arn);
            field("Type", kind.as_str());
        }
        MessageType::SubscriptionConfirmation | MessageType::UnsubscribeConfirmation => {
            let subscribe_url = required(&message.subscribe_url, "SubscribeURL")?;
            let token = required(&message.token, "Token")?;
            field("Message", text);
            field("MessageId", message_id);
            field("SubscribeURL", subscribe_url);
            field("Timestamp", timestamp);
            field("Token", token);
            field("TopicArn", topic_arn);
            field("Type", kind.as_str());
        }
    }
    Ok(out)
}

/// Checks that `key`'s private half signed `message`, with the scheme its `SignatureVersion` names.
pub(crate) fn verify(message: &SnsEnvelope, key: &SigningKey) -> Result<(), SignatureError> {
    let version = SignatureVersion::from_field(message.signature_version.as_deref())?;
    let signature = message
        .signature
        .as_deref()
        .ok_or(SignatureError::Unsigned)?;
    let signature = base64::engine::general_purpose::STANDARD
        .decode(signature.trim())
        .map_err(|_| SignatureError::NotBase64)?;
    let signed = canonical_string(message)?;
    UnparsedPublicKey::new(version.algorithm(), &key.subject_public_key_info)
        .verify(signed.as_bytes(), &signature)
        .map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::https::message::read_strict;

    fn notification(subject: Option<&str>) -> SnsEnvelope {
        SnsEnvelope {
            sns_type: Some("Notification".into()),
            message_id: Some("id-1".into()),
            topic_arn: Some("arn:aws:sns:us-east-1:123456789012:t".into()),
            message: Some("{\"a\":\"line\\nbreak\"}\nsecond line".into()),
            timestamp: Some("2026-01-02T03:04:05.678Z".into()),
            subject: subject.map(str::to_owned),
            token: None,
            subscribe_url: None,
            unsubscribe_url: Some("https://ignored/".into()),
            signature_version: Some("1".into()),
            signature: Some("AAAA".into()),
            signing_cert_url: Some("https://ignored.pem".into()),
        }
    }

    #[test]
    fn notification_string_has_its_six_fields_in_order() {
        assert_eq!(
            canonical_string(&notification(Some("Hi"))).expect("canonical"),
            "Message\n{\"a\":\"line\\nbreak\"}\nsecond line\nMessageId\nid-1\nSubject\nHi\n\
             Timestamp\n2026-01-02T03:04:05.678Z\nTopicArn\narn:aws:sns:us-east-1:123456789012:t\n\
             Type\nNotification\n"
        );
    }

    #[test]
    fn notification_without_subject_leaves_it_out_but_an_empty_one_is_kept() {
        let without = canonical_string(&notification(None)).expect("canonical");
        assert!(!without.contains("Subject"));
        assert!(without.starts_with("Message\n"));
        assert!(without.contains("\nMessageId\nid-1\nTimestamp\n"));
        let empty = canonical_string(&notification(Some(""))).expect("canonical");
        assert!(empty.contains("\nMessageId\nid-1\nSubject\n\nTimestamp\n"));
    }

    #[test]
    fn confirmation_strings_have_their_seven_fields_in_order() {
        for kind in [
            MessageType::SubscriptionConfirmation,
            MessageType::UnsubscribeConfirmation,
        ] {
            let mut message = notification(Some("not signed for confirmations"));
            message.sns_type = Some(kind.as_str().into());
            message.message = Some("You have chosen to subscribe".into());
            message.token = Some("tok".into());
            message.subscribe_url = Some("https://sns.us-east-1.amazonaws.com/?Action=X".into());
            assert_eq!(
                canonical_string(&message).expect("canonical"),
                format!(
                    "Message\nYou have chosen to subscribe\nMessageId\nid-1\n\
                     SubscribeURL\nhttps://sns.us-east-1.amazonaws.com/?Action=X\n\
                     Timestamp\n2026-01-02T03:04:05.678Z\nToken\ntok\n\
                     TopicArn\narn:aws:sns:us-east-1:123456789012:t\nType\n{}\n",
                    kind.as_str()
                )
            );
            message.token = None;
            assert_eq!(
                canonical_string(&message),
                Err(SignatureError::MissingField("Token"))
            );
            message.token = Some("tok".into());
            message.subscribe_url = None;
            assert_eq!(
                canonical_string(&message),
                Err(SignatureError::MissingField("SubscribeURL"))
            );
        }
    }

    #[test]
    fn a_message_without_a_signed_field_or_of_an_unknown_type_has_no_string() {
        let mut message = notification(None);
        message.message_id = None;
        assert_eq!(
            canonical_string(&message),
            Err(SignatureError::MissingField("MessageId"))
        );
        let mut message = notification(None);
        message.sns_type = Some("Surprise".into());
        assert_eq!(canonical_string(&message), Err(SignatureError::UnknownType));
    }

    #[test]
    fn only_versions_1_and_2_are_known() {
        assert_eq!(
            SignatureVersion::from_field(Some("1")),
            Ok(SignatureVersion::Sha1WithRsa)
        );
        assert_eq!(
            SignatureVersion::from_field(Some("2")),
            Ok(SignatureVersion::Sha256WithRsa)
        );
        for other in ["", "3", "0", " 1", "1 ", "01", "v2", "2.0"] {
            assert_eq!(
                SignatureVersion::from_field(Some(other)),
                Err(SignatureError::UnsupportedVersion),
                "{other:?}"
            );
        }
        assert_eq!(
            SignatureVersion::from_field(None),
            Err(SignatureError::Unsigned)
        );
    }

    #[test]
    fn refuses_what_is_not_a_certificate() {
        assert_eq!(SigningKey::from_pem(b""), Err(CertificateError::NotPem));
        assert_eq!(
            SigningKey::from_pem(b"<html>not found</html>"),
            Err(CertificateError::NotPem)
        );
        let not_x509 = b"-----BEGIN CERTIFICATE-----\nAAECAwQ=\n-----END CERTIFICATE-----\n";
        assert!(matches!(
            SigningKey::from_pem(not_x509),
            Err(CertificateError::NotX509(_))
        ));
    }

    #[test]
    fn refuses_a_certificate_whose_rsa_key_is_under_2048_bits_before_it_is_cached() {
        // A self-signed certificate of a 1024-bit RSA key (tests/data/sns/README.md).
        let small = include_bytes!("../../../tests/data/sns/rsa-1024-certificate.pem");
        assert_eq!(
            SigningKey::from_pem(small),
            Err(CertificateError::UnsupportedKey)
        );
        assert!(SigningKey::from_pem(aws_sample::CERTIFICATE.as_bytes()).is_ok());
    }

    /// A genuine message and the certificate SNS published for it (tests/data/sns/README.md says where from):
    /// a notification published in us-east-2 on 2022-07-28, signed once with SignatureVersion 1 and once with
    /// 2. The certificate has since expired, which does not matter: dates are not checked, the fetch from an
    /// SNS host is what is trusted.
    mod aws_sample {
        pub const CERTIFICATE_URL: &str =
            "https://sns.us-east-2.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem";
        pub const CERTIFICATE: &str =
            include_str!("../../../tests/data/sns/aws-sample-certificate.pem");
        pub const SHA1_NOTIFICATION: &str =
            include_str!("../../../tests/data/sns/aws-sample-sha1.json");
        pub const SHA256_NOTIFICATION: &str =
            include_str!("../../../tests/data/sns/aws-sample-sha256.json");
    }

    fn aws_key() -> SigningKey {
        SigningKey::from_pem(aws_sample::CERTIFICATE.as_bytes()).expect("the SNS certificate reads")
    }

    #[test]
    fn genuine_aws_messages_verify_with_both_versions() {
        let key = aws_key();
        for body in [
            aws_sample::SHA1_NOTIFICATION,
            aws_sample::SHA256_NOTIFICATION,
        ] {
            let (_, message) = read_strict(body.as_bytes()).expect("parses");
            assert_eq!(verify(&message, &key), Ok(()));
        }
    }

    #[test]
    fn genuine_aws_messages_fail_when_anything_signed_changes() {
        let key = aws_key();
        for body in [
            aws_sample::SHA1_NOTIFICATION,
            aws_sample::SHA256_NOTIFICATION,
        ] {
            let (_, original) = read_strict(body.as_bytes()).expect("parses");
            let tampered: [fn(&mut SnsEnvelope); 7] = [
                |m| m.message.get_or_insert_default().push(' '),
                |m| m.message_id.get_or_insert_default().push('0'),
                |m| m.subject = Some(String::new()),
                |m| m.timestamp = Some("2022-07-28T21:23:58.318Z".into()),
                |m| m.topic_arn = Some("arn:aws:sns:us-east-2:295079676684:other".into()),
                |m| m.sns_type = Some("UnsubscribeConfirmation".into()),
                // The other scheme over the same bytes.
                |m| {
                    let other = if m.signature_version.as_deref() == Some("1") {
                        "2"
                    } else {
                        "1"
                    };
                    m.signature_version = Some(other.into());
                },
            ];
            for (index, change) in tampered.iter().enumerate() {
                let mut message = original.clone();
                change(&mut message);
                if MessageType::of(&message) != Some(MessageType::Notification) {
                    message.token = Some("t".into());
                    message.subscribe_url = Some("https://x/".into());
                }
                assert_eq!(
                    verify(&message, &key),
                    Err(SignatureError::Mismatch),
                    "change {index}"
                );
            }
        }
    }

    #[test]
    fn fields_outside_the_signed_string_do_not_matter() {
        let key = aws_key();
        let (_, mut message) =
            read_strict(aws_sample::SHA1_NOTIFICATION.as_bytes()).expect("parses");
        message.unsubscribe_url = None;
        message.signing_cert_url = Some(aws_sample::CERTIFICATE_URL.replace("us-east-2", "x"));
        assert_eq!(verify(&message, &key), Ok(()));
    }

    #[test]
    fn bad_signatures_are_refused_before_or_at_the_check() {
        let key = aws_key();
        let (_, original) = read_strict(aws_sample::SHA1_NOTIFICATION.as_bytes()).expect("parses");
        let mut message = original.clone();
        message.signature = None;
        assert_eq!(verify(&message, &key), Err(SignatureError::Unsigned));
        message.signature = Some("not base64!".into());
        assert_eq!(verify(&message, &key), Err(SignatureError::NotBase64));
        message.signature = Some("AAAA".into());
        assert_eq!(verify(&message, &key), Err(SignatureError::Mismatch));
        message.signature = Some(String::new());
        assert_eq!(verify(&message, &key), Err(SignatureError::Mismatch));
        let mut message = original.clone();
        message.signature_version = None;
        assert_eq!(verify(&message, &key), Err(SignatureError::Unsigned));
        message.signature_version = Some("3".into());
        assert_eq!(
            verify(&message, &key),
            Err(SignatureError::UnsupportedVersion)
        );
    }
}
