//! The strict reading of an SNS message POSTed to an HTTP/S subscription (pure parsing, nothing verified yet).
//!
//! The body must be an [`SnsEnvelope`] of one of the three types SNS sends (`Notification`,
//! `SubscriptionConfirmation`, `UnsubscribeConfirmation`) with the fields every type carries: `MessageId`,
//! `TopicArn`, `Message`, `Timestamp`. A field of the wrong type or given twice is refused by the envelope's
//! own reading. The signature fields may be missing here, so that a message without them is refused as
//! unsigned rather than as unreadable.

use crate::sources::sns::SnsEnvelope;

/// What an SNS HTTP/S message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MessageType {
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

    /// The type a `Type` value names, exactly as SNS spells it.
    pub fn from_name(name: &str) -> Option<MessageType> {
        [
            MessageType::Notification,
            MessageType::SubscriptionConfirmation,
            MessageType::UnsubscribeConfirmation,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == name)
    }

    /// The type of `envelope`, when it has a known one.
    pub fn of(envelope: &SnsEnvelope) -> Option<MessageType> {
        envelope
            .sns_type
            .as_deref()
            .and_then(MessageType::from_name)
    }
}

/// Why a body is not an SNS message. It says where the JSON went wrong or which field is missing, never what
/// the body said: it may hold addresses, and this error is logged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NotAnSnsMessage {
    /// `category` is `syntax`, `data` (a field of the wrong type or given twice), `eof` or `io`.
    #[error("not an SNS message ({category} at line {line}, column {column})")]
    Json {
        category: &'static str,
        line: usize,
        column: usize,
    },
    #[error("not an SNS message (no {0})")]
    Missing(&'static str),
    #[error("not an SNS message (unknown Type)")]
    UnknownType,
}

/// `body` as an SNS message, with its type.
pub(crate) fn read_strict(body: &[u8]) -> Result<(MessageType, SnsEnvelope), NotAnSnsMessage> {
    let envelope: SnsEnvelope =
        serde_json::from_slice(body).map_err(|error| NotAnSnsMessage::Json {
            category: match error.classify() {
                serde_json::error::Category::Io => "io",
                serde_json::error::Category::Syntax => "syntax",
                serde_json::error::Category::Data => "data",
                serde_json::error::Category::Eof => "eof",
            },
            line: error.line(),
            column: error.column(),
        })?;
    for (name, field) in [
        ("Type", &envelope.sns_type),
        ("MessageId", &envelope.message_id),
        ("TopicArn", &envelope.topic_arn),
        ("Message", &envelope.message),
        ("Timestamp", &envelope.timestamp),
    ] {
        if field.is_none() {
            return Err(NotAnSnsMessage::Missing(name));
        }
    }
    let kind = MessageType::of(&envelope).ok_or(NotAnSnsMessage::UnknownType)?;
    Ok((kind, envelope))
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
        let (kind, message) = read_strict(NOTIFICATION.as_bytes()).expect("parses");
        assert_eq!(kind, MessageType::Notification);
        assert_eq!(
            message.message_id.as_deref(),
            Some("22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324")
        );
        assert_eq!(
            message.topic_arn.as_deref(),
            Some("arn:aws:sns:us-west-2:123456789012:MyTopic")
        );
        assert_eq!(message.subject.as_deref(), Some("My First Message"));
        assert_eq!(message.message.as_deref(), Some("Hello world!"));
        assert_eq!(
            message.timestamp.as_deref(),
            Some("2012-05-02T00:54:06.655Z")
        );
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
        let (kind, message) = read_strict(body.as_bytes()).expect("parses");
        assert_eq!(kind, MessageType::SubscriptionConfirmation);
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
            r#"{"Type":"notification","MessageId":"m","TopicArn":"t","Message":"x","Timestamp":"t"}"#,
            r#"{"Type":"Notification","MessageId":"m","TopicArn":"t","Message":null,"Timestamp":"t"}"#,
            r#"{"Type":"Notification","MessageId":"m","TopicArn":"t","Message":"jane@example.com","Timestamp":5}"#,
            r#"{"Type":"Notification","MessageId":"m","TopicArn":"t","Message":"x","Timestamp":"t","TopicArn":"u"}"#,
            r#"{"Type":"Notification","MessageId":"m","TopicArn":"t","Message":"x","Timestamp":"t",
                "SigningCertURL":"a","SigningCertUrl":"b"}"#,
        ] {
            let error = read_strict(body.as_bytes()).expect_err(body);
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
            assert_eq!(MessageType::from_name(kind.as_str()), Some(kind));
        }
    }
}
