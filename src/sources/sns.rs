//! The SNS envelope: the JSON document SNS writes into a queue (raw message delivery off) or POSTs to an
//! HTTP/S subscription. The `Sns` object of an SNS Lambda event is the same document with the URL fields
//! spelt `SigningCertUrl`, `SubscribeUrl`, `UnsubscribeUrl`; both spellings are read.
//!
//! Every field is optional here, so that a queue body or a replayed line with some missing still reads (see
//! [`crate::sources::InboundMessage::from_body`]); the HTTPS path requires more of it
//! ([`crate::sources::https::message`]). Unknown fields (such as `MessageAttributes`) are ignored. A field
//! given twice is an error (serde's), so no two readers of one document can disagree about which value counts.

use serde::Deserialize;

use super::holds;

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SnsEnvelope {
    /// `Notification`, `SubscriptionConfirmation` or `UnsubscribeConfirmation`.
    #[serde(rename = "Type")]
    pub sns_type: Option<String>,
    pub message_id: Option<String>,
    pub topic_arn: Option<String>,
    /// Notifications only, and only when the publisher gave one.
    pub subject: Option<String>,
    /// For a notification, the published text (SES feedback JSON); for a confirmation, SNS's explanation.
    pub message: Option<String>,
    /// As sent (RFC 3339 with milliseconds, UTC).
    pub timestamp: Option<String>,
    /// Confirmations only.
    pub token: Option<String>,
    /// Confirmations only: the URL that confirms the subscription.
    #[serde(rename = "SubscribeURL", alias = "SubscribeUrl")]
    pub subscribe_url: Option<String>,
    #[serde(rename = "UnsubscribeURL", alias = "UnsubscribeUrl")]
    pub unsubscribe_url: Option<String>,
    pub signature_version: Option<String>,
    /// Base64 of the RSA signature over [`crate::sources::https::signature::canonical_string`].
    pub signature: Option<String>,
    #[serde(rename = "SigningCertURL", alias = "SigningCertUrl")]
    pub signing_cert_url: Option<String>,
}

impl SnsEnvelope {
    /// `text` as an envelope: `None` unless it is a JSON object with a `Type` and a `TopicArn`, which every
    /// envelope has and SES notifications do not. Only the fields a queue body or a replayed line needs are
    /// read: the signature fields are the HTTPS path's, and a body whose signature fields are odd is still
    /// the envelope it says, its topic checked.
    pub fn read(text: &str) -> Option<SnsEnvelope> {
        // JSON can spell the key `TopicArn` only as itself or with `\u` escapes: a text with neither (a bare
        // SES notification, as raw delivery queues it) is no envelope, known without reading it all.
        if !holds(text, "TopicArn") && !holds(text, "\\u") {
            return None;
        }
        serde_json::from_str::<Delivered>(text)
            .ok()
            .filter(|read| read.sns_type.is_some() && read.topic_arn.is_some())
            .map(|read| SnsEnvelope {
                sns_type: read.sns_type,
                message_id: read.message_id,
                topic_arn: read.topic_arn,
                subject: read.subject,
                message: read.message,
                timestamp: read.timestamp,
                ..SnsEnvelope::default()
            })
    }
}

/// The fields of an envelope that say what was delivered, from where and when.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Delivered {
    #[serde(rename = "Type")]
    sns_type: Option<String>,
    message_id: Option<String>,
    topic_arn: Option<String>,
    subject: Option<String>,
    message: Option<String>,
    timestamp: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_spellings_of_the_url_fields_and_ignores_unknown_ones() {
        let http = r#"{"Type":"Notification","TopicArn":"t","SigningCertURL":"c","UnsubscribeURL":"u",
            "SubscribeURL":"s","MessageAttributes":{"a":{"Type":"String","Value":"b"}}}"#;
        let lambda = r#"{"Type":"Notification","TopicArn":"t","SigningCertUrl":"c","UnsubscribeUrl":"u",
            "SubscribeUrl":"s","Subject":null}"#;
        for text in [http, lambda] {
            let envelope: SnsEnvelope = serde_json::from_str(text).expect(text);
            assert_eq!(envelope.signing_cert_url.as_deref(), Some("c"));
            assert_eq!(envelope.unsubscribe_url.as_deref(), Some("u"));
            assert_eq!(envelope.subscribe_url.as_deref(), Some("s"));
            assert_eq!(envelope.subject, None);
        }
    }

    #[test]
    fn odd_signature_fields_leave_a_queued_envelope_an_envelope() {
        let text = r#"{"Type":"Notification","TopicArn":"t","MessageId":"m","SigningCertURL":"c",
            "SigningCertUrl":"d","SignatureVersion":1,"Signature":null,"Token":[]}"#;
        let envelope = SnsEnvelope::read(text).expect("an envelope");
        assert_eq!(envelope.topic_arn.as_deref(), Some("t"));
        assert_eq!(envelope.message_id.as_deref(), Some("m"));
    }

    #[test]
    fn a_topic_key_spelt_with_escapes_is_still_read() {
        let text = r#"{"Type":"Notification","Topic\u0041rn":"t","MessageId":"m"}"#;
        let envelope = SnsEnvelope::read(text).expect("an envelope");
        assert_eq!(envelope.topic_arn.as_deref(), Some("t"));
    }

    #[test]
    fn without_type_or_topic_or_with_a_field_twice_it_is_no_envelope() {
        for text in [
            r#"{"Type":"Notification"}"#,
            r#"{"TopicArn":"t"}"#,
            r#"{"Type":null,"TopicArn":"t"}"#,
            r#"{"Type":"Notification","TopicArn":"t","TopicArn":"u"}"#,
            r#"{"notificationType":"Bounce"}"#,
            "[]",
            "not json",
        ] {
            assert_eq!(SnsEnvelope::read(text), None, "{text}");
        }
    }
}
