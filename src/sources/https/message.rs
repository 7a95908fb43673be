//! The JSON document SNS POSTs to an HTTP/S subscription, read as sent (pure parsing, nothing verified yet).
//!
//! SNS sends three kinds: `Notification`, `SubscriptionConfirmation` and `UnsubscribeConfirmation`. Unknown
//! fields (such as `MessageAttributes`) are ignored; the URL fields are accepted in both the HTTP spelling
//! (`SigningCertURL`) and the Lambda event's (`SigningCertUrl`). A field given twice is an error, so no two
//! readers of one document can disagree about which value counts.

use serde::Deserialize;

/// What an SNS HTTP/S message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum MessageType {
    Notification,
    SubscriptionConfirmation,
    UnsubscribeConfirmation,
}

impl MessageType {
    /// The `Type` value, as it goes into the string SNS signs.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::Notification => "Notification",
            MessageType::SubscriptionConfirmation => "SubscriptionConfirmation",
            MessageType::UnsubscribeConfirmation => "UnsubscribeConfirmation",
        }
    }
}

/// An SNS HTTP/S message as received. The fields every kind carries are required; the signature fields are
/// optional here so that a missing one is reported as unsigned rather than as an unreadable body.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SnsHttpMessage {
    #[serde(rename = "Type")]
    pub kind: MessageType,
    pub message_id: String,
    pub topic_arn: String,
    /// The `Message`: for a notification, the published text (SES feedback JSON); for a confirmation, SNS's
    /// human-readable explanation.
    pub message: String,
    /// As sent (RFC 3339 with milliseconds, UTC).
    pub timestamp: String,
    /// Notifications only, and only when the publisher gave one.
    #[serde(default)]
    pub subject: Option<String>,
    /// Confirmations only.
    #[serde(default)]
    pub token: Option<String>,
    /// Confirmations only: the URL that confirms the subscription.
    #[serde(default, rename = "SubscribeURL", alias = "SubscribeUrl")]
    pub subscribe_url: Option<String>,
    #[serde(default, rename = "UnsubscribeURL", alias = "UnsubscribeUrl")]
    pub unsubscribe_url: Option<String>,
    #[serde(default)]
    pub signature_version: Option<String>,
    /// Base64 of the RSA signature over [`crate::sources::https::signature::canonical_string`].
    #[serde(default)]
    pub signature: Option<String>,
    #[serde(default, rename = "SigningCertURL", alias = "SigningCertUrl")]
    pub signing_cert_url: Option<String>,
}

/// Why a body is not an SNS message. It carries where the JSON went wrong, never what it said: the body may
/// hold addresses, and this error is logged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an SNS message ({category} at line {line}, column {column})")]
pub struct NotAnSnsMessage {
    /// `syntax`, `data` (a field missing, of the wrong type, given twice, or an unknown `Type`), `eof` or `io`.
    pub category: &'static str,
    pub line: usize,
    pub column: usize,
}

impl SnsHttpMessage {
    pub fn from_json(body: &[u8]) -> Result<SnsHttpMessage, NotAnSnsMessage> {
        serde_json::from_slice(body).map_err(|error| NotAnSnsMessage {
            category: match error.classify() {
                serde_json::error::Category::Io => "io",
                serde_json::error::Category::Syntax => "syntax",
                serde_json::error::Category::Data => "data",
                serde_json::error::Category::Eof => "eof",
            },
            line: error.line(),
            column: error.column(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOTIFICATION: &str = r#"{
        "Type" : "Notification",
        "MessageId" : "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn" : "arn:aws:sns:us-west-2:123456789012:MyTopic",
        "Subject" : "My First Message",
        "Message" : "Hello world!",
        "Timestamp" : "2012-05-02T00:54:06.655Z",
        "SignatureVersion" : "1",
        "Signature" : "EXAMPLEw6JRN...",
        "SigningCertURL" : "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
        "UnsubscribeURL" : "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-west-2:123456789012:MyTopic:c9135db0-26c4-47ec-8998-413945fb5a96",
        "MessageAttributes" : {"a": {"Type": "String", "Value": "b"}}
    }"#;

    #[test]
    fn reads_a_notification_ignoring_unknown_fields() {
        let message = SnsHttpMessage::from_json(NOTIFICATION.as_bytes()).expect("parses");
        assert_eq!(message.kind, MessageType::Notification);
        assert_eq!(message.message_id, "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324");
        assert_eq!(
            message.topic_arn,
            "arn:aws:sns:us-west-2:123456789012:MyTopic"
        );
        assert_eq!(message.subject.as_deref(), Some("My First Message"));
        assert_eq!(message.message, "Hello world!");
        assert_eq!(message.timestamp, "2012-05-02T00:54:06.655Z");
        assert_eq!(message.signature_version.as_deref(), Some("1"));
        assert_eq!(message.signature.as_deref(), Some("EXAMPLEw6JRN..."));
        assert!(message
            .signing_cert_url
            .as_deref()
            .is_some_and(|url| url.ends_with(".pem")));
        assert!(message.unsubscribe_url.is_some());
        assert_eq!(message.token, None);
        assert_eq!(message.subscribe_url, None);
    }

    #[test]
    fn accepts_the_lambda_spelling_of_url_fields_and_a_null_subject() {
        let body = r#"{"Type":"SubscriptionConfirmation","MessageId":"m","TopicArn":"t","Message":"x",
            "Timestamp":"2024-01-01T00:00:00.000Z","Subject":null,"Token":"tok","SubscribeUrl":"https://s/",
            "SigningCertUrl":"https://c.pem","UnsubscribeUrl":"https://u/"}"#;
        let message = SnsHttpMessage::from_json(body.as_bytes()).expect("parses");
        assert_eq!(message.kind, MessageType::SubscriptionConfirmation);
        assert_eq!(message.subject, None);
        assert_eq!(message.subscribe_url.as_deref(), Some("https://s/"));
        assert_eq!(message.signing_cert_url.as_deref(), Some("https://c.pem"));
        assert_eq!(message.unsubscribe_url.as_deref(), Some("https://u/"));
    }

    #[test]
    fn refuses_what_is_not_an_sns_message_without_echoing_it() {
        for body in [
            "",
            "not json",
            "[]",
            r#"{"Type":"Notification"}"#,
            r#"{"Type":"Surprise","MessageId":"m","TopicArn":"t","Message":"x","Timestamp":"t"}"#,
            r#"{"Type":"Notification","MessageId":"m","TopicArn":"t","Message":"jane@example.com","Timestamp":5}"#,
            r#"{"Type":"Notification","MessageId":"m","TopicArn":"t","Message":"x","Timestamp":"t","TopicArn":"u"}"#,
            r#"{"Type":"Notification","MessageId":"m","TopicArn":"t","Message":"x","Timestamp":"t",
                "SigningCertURL":"a","SigningCertUrl":"b"}"#,
        ] {
            let error = SnsHttpMessage::from_json(body.as_bytes()).expect_err(body);
            assert!(!error.to_string().contains("example.com"), "{error}");
        }
    }

    #[test]
    fn type_names_round_trip() {
        for kind in [
            MessageType::Notification,
            MessageType::SubscriptionConfirmation,
            MessageType::UnsubscribeConfirmation,
        ] {
            let parsed: MessageType =
                serde_json::from_str(&format!("\"{}\"", kind.as_str())).expect("parses");
            assert_eq!(parsed, kind);
        }
    }
}
