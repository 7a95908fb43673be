//! The HTTP request and response of a Lambda function URL, or of an API Gateway HTTP API with payload format
//! 2.0 (the same shape), as far as the SNS HTTPS path needs them.
//!
//! Request: `requestContext.http.method`, `headers` (lower-case names, repeated values joined by commas),
//! `body` and `isBase64Encoded`. Other fields are ignored, and the format 1.0 `httpMethod` is read too.
//! Response: `{"statusCode", "headers", "body", "isBase64Encoded"}`, which Lambda turns into the HTTP answer.

use std::borrow::Cow;
use std::collections::BTreeMap;

use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRequest {
    #[serde(default, deserialize_with = "null_as_default")]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub is_base64_encoded: bool,
    #[serde(default, deserialize_with = "null_as_default")]
    pub request_context: RequestContext,
    /// Payload format 1.0 (API Gateway REST APIs) has the method here.
    #[serde(default)]
    pub http_method: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RequestContext {
    #[serde(default)]
    pub http: Option<HttpContext>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct HttpContext {
    #[serde(default)]
    pub method: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the request body is flagged as base64 but is not")]
pub struct BodyNotBase64;

impl HttpRequest {
    /// Whether a Lambda event looks like an HTTP request (function URL, API Gateway) rather than another
    /// event source's (SNS's has `Records`).
    pub fn is_http_event(event: &serde_json::Value) -> bool {
        event.get("Records").is_none()
            && (event
                .pointer("/requestContext/http/method")
                .is_some_and(serde_json::Value::is_string)
                || event
                    .get("httpMethod")
                    .is_some_and(serde_json::Value::is_string))
    }

    /// The HTTP method, upper case as Lambda gives it.
    pub fn method(&self) -> Option<&str> {
        self.request_context
            .http
            .as_ref()
            .map(|http| http.method.as_str())
            .or(self.http_method.as_deref())
    }

    /// A header by name, in any case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body as sent: base64-decoded when Lambda flagged it so; empty when there is none.
    pub fn body_bytes(&self) -> Result<Cow<'_, [u8]>, BodyNotBase64> {
        let body = self.body.as_deref().unwrap_or("");
        if self.is_base64_encoded {
            base64::engine::general_purpose::STANDARD
                .decode(body)
                .map(Cow::Owned)
                .map_err(|_| BodyNotBase64)
        } else {
            Ok(Cow::Borrowed(body.as_bytes()))
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpResponse {
    pub status_code: u16,
    pub headers: BTreeMap<String, String>,
    pub body: String,
    pub is_base64_encoded: bool,
}

impl HttpResponse {
    /// A plain-text response.
    pub fn text(status_code: u16, body: impl Into<String>) -> HttpResponse {
        let mut headers = BTreeMap::new();
        headers.insert(
            "content-type".to_owned(),
            "text/plain; charset=utf-8".to_owned(),
        );
        HttpResponse {
            status_code,
            headers,
            body: body.into(),
            is_base64_encoded: false,
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> HttpResponse {
        self.headers.insert(name.to_owned(), value.to_owned());
        self
    }
}

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A function URL request as Lambda delivers it (Lambda Developer Guide, "Request payload format").
    fn function_url_event(body: &str, base64: bool) -> serde_json::Value {
        json!({
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": "/",
            "rawQueryString": "",
            "headers": {
                "content-type": "text/plain; charset=UTF-8",
                "x-amz-sns-message-type": "Notification",
                "x-amz-sns-topic-arn": "arn:aws:sns:us-east-1:123456789012:t",
                "host": "abc.lambda-url.us-east-1.on.aws"
            },
            "requestContext": {
                "accountId": "anonymous",
                "apiId": "abc",
                "domainName": "abc.lambda-url.us-east-1.on.aws",
                "http": {
                    "method": "POST",
                    "path": "/",
                    "protocol": "HTTP/1.1",
                    "sourceIp": "203.0.113.1",
                    "userAgent": "Amazon Simple Notification Service Agent"
                },
                "requestId": "id",
                "routeKey": "$default",
                "stage": "$default",
                "time": "02/Jan/2026:03:04:05 +0000",
                "timeEpoch": 1767323045000u64
            },
            "body": body,
            "isBase64Encoded": base64
        })
    }

    #[test]
    fn reads_a_function_url_request() {
        let event = function_url_event("{\"a\":1}", false);
        assert!(HttpRequest::is_http_event(&event));
        let request: HttpRequest = serde_json::from_value(event).expect("parses");
        assert_eq!(request.method(), Some("POST"));
        assert_eq!(
            request.header("X-Amz-Sns-Message-Type"),
            Some("Notification")
        );
        assert_eq!(request.header("x-missing"), None);
        assert_eq!(request.body_bytes().expect("body").as_ref(), b"{\"a\":1}");
    }

    #[test]
    fn decodes_a_base64_body() {
        let encoded = base64::engine::general_purpose::STANDARD.encode("{\"a\":\"é\"}");
        let request: HttpRequest =
            serde_json::from_value(function_url_event(&encoded, true)).expect("parses");
        assert_eq!(
            request.body_bytes().expect("body").as_ref(),
            "{\"a\":\"é\"}".as_bytes()
        );
        let bad: HttpRequest =
            serde_json::from_value(function_url_event("%%%", true)).expect("parses");
        assert_eq!(bad.body_bytes(), Err(BodyNotBase64));
    }

    #[test]
    fn missing_or_null_parts_are_empty() {
        let request: HttpRequest = serde_json::from_value(json!({
            "headers": null, "body": null, "isBase64Encoded": null, "requestContext": null
        }))
        .expect("parses");
        assert_eq!(request.method(), None);
        assert_eq!(request.body_bytes().expect("body").as_ref(), b"");
        let request: HttpRequest = serde_json::from_value(json!({})).expect("parses");
        assert_eq!(request, HttpRequest::default());
    }

    #[test]
    fn reads_the_format_1_method() {
        let event = json!({"httpMethod": "GET", "path": "/", "body": null});
        assert!(HttpRequest::is_http_event(&event));
        let request: HttpRequest = serde_json::from_value(event).expect("parses");
        assert_eq!(request.method(), Some("GET"));
    }

    #[test]
    fn an_sns_event_is_not_an_http_request() {
        let sns = json!({"Records": [{"EventSource": "aws:sns", "Sns": {"Type": "Notification"}}]});
        assert!(!HttpRequest::is_http_event(&sns));
        assert!(!HttpRequest::is_http_event(&json!({"body": "x"})));
    }

    #[test]
    fn response_serialises_as_lambda_expects() {
        let response = HttpResponse::text(403, "forbidden").with_header("allow", "POST");
        assert_eq!(
            serde_json::to_value(&response).expect("serialises"),
            json!({
                "statusCode": 403,
                "headers": {"content-type": "text/plain; charset=utf-8", "allow": "POST"},
                "body": "forbidden",
                "isBase64Encoded": false
            })
        );
    }
}
