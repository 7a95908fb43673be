//! The HTTP request and response of a Lambda function URL (or of an API Gateway HTTP API with payload format
//! 2.0, the same shape): aws_lambda_events's types, and what the SNS HTTPS path reads of them.
//!
//! Request: `requestContext.http.method`, `headers` (lower-case names, repeated values joined by commas),
//! `body` and `isBase64Encoded`; [`read_request`] also reads an API Gateway payload 1.0 request.
//! Response: `{"statusCode", "headers", "body", "isBase64Encoded", "cookies"}`, which Lambda turns into the
//! HTTP answer.

use std::borrow::Cow;

use aws_lambda_events::http::header::{HeaderName, HeaderValue, ALLOW, CONTENT_TYPE};
use aws_lambda_events::lambda_function_urls::{
    LambdaFunctionUrlRequest, LambdaFunctionUrlResponse,
};
use base64::Engine as _;
use serde_json::{Map, Value};

pub type HttpRequest = LambdaFunctionUrlRequest;
pub type HttpResponse = LambdaFunctionUrlResponse;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the request body is flagged as base64 but is not")]
pub(crate) struct BodyNotBase64;

/// Reads a Lambda event already known to be an HTTP request ([`crate::sources::read_invocation`] tells).
///
/// The library type requires what a function URL always sends: `requestContext` with `http` and `timeEpoch`,
/// `isBase64Encoded`, and `headers` as a map when present. A missing or null one of these is read as empty
/// here, and a payload 1.0 request's `httpMethod` as `requestContext.http.method`, so that such requests
/// are answered (405 or 403) rather than failing the invocation.
pub fn read_request(mut event: Value) -> Result<HttpRequest, serde_json::Error> {
    if let Value::Object(fields) = &mut event {
        default_if_null(fields, "headers", || Value::Object(Map::new()));
        // Nothing here reads a header: one no HTTP header can be (a control character, a bad name, not
        // text) is left out rather than failing the request, which is then answered like any other.
        if let Some(Value::Object(headers)) = fields.get_mut("headers") {
            headers.retain(|name, value| {
                HeaderName::from_bytes(name.as_bytes()).is_ok()
                    && value
                        .as_str()
                        .is_some_and(|v| HeaderValue::from_str(v).is_ok())
            });
        }
        default_if_null(fields, "isBase64Encoded", || Value::Bool(false));
        default_if_null(fields, "requestContext", || Value::Object(Map::new()));
        let format_1_method = fields.get("httpMethod").cloned();
        if let Some(Value::Object(context)) = fields.get_mut("requestContext") {
            default_if_null(context, "timeEpoch", || Value::from(0));
            default_if_null(context, "http", || Value::Object(Map::new()));
            if let (Some(Value::Object(http)), Some(method)) =
                (context.get_mut("http"), format_1_method)
            {
                if http.get("method").is_none_or(Value::is_null) {
                    http.insert("method".to_owned(), method);
                }
            }
        }
    }
    serde_json::from_value(event)
}

fn default_if_null(fields: &mut Map<String, Value>, key: &str, default: impl FnOnce() -> Value) {
    let field = fields.entry(key).or_insert(Value::Null);
    if field.is_null() {
        *field = default();
    }
}

/// The HTTP method, upper case as Lambda gives it.
pub fn method(request: &HttpRequest) -> Option<&str> {
    request.request_context.http.method.as_deref()
}

/// The body as sent: base64-decoded when Lambda flagged it so; empty when there is none.
pub(crate) fn body_bytes(request: &HttpRequest) -> Result<Cow<'_, [u8]>, BodyNotBase64> {
    let body = request.body.as_deref().unwrap_or("");
    if request.is_base64_encoded {
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .map(Cow::Owned)
            .map_err(|_| BodyNotBase64)
    } else {
        Ok(Cow::Borrowed(body.as_bytes()))
    }
}

/// A plain-text response.
pub fn text(status_code: u16, body: impl Into<String>) -> HttpResponse {
    let mut response = HttpResponse::default();
    response.status_code = status_code.into();
    response.headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response.body = Some(body.into());
    response
}

/// The 405 answer: SNS delivers by POST only.
pub(crate) fn method_not_allowed() -> HttpResponse {
    let mut response = text(405, "method not allowed: SNS delivers by POST");
    response
        .headers
        .insert(ALLOW, HeaderValue::from_static("POST"));
    response
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

    /// The one detector, [`crate::sources::read_invocation`], says whether `event` is an HTTP request.
    fn is_http_event(event: &serde_json::Value) -> bool {
        matches!(
            crate::sources::read_invocation(&event.to_string()),
            Ok(crate::sources::Invocation::Http(_))
        )
    }

    #[test]
    fn reads_a_function_url_request() {
        let event = function_url_event("{\"a\":1}", false);
        assert!(is_http_event(&event));
        let request = read_request(event).expect("parses");
        assert_eq!(method(&request), Some("POST"));
        let header = |name: &str| request.headers.get(name).and_then(|v| v.to_str().ok());
        assert_eq!(header("X-Amz-Sns-Message-Type"), Some("Notification"));
        assert_eq!(header("x-missing"), None);
        assert_eq!(body_bytes(&request).expect("body").as_ref(), b"{\"a\":1}");
    }

    #[test]
    fn decodes_a_base64_body() {
        let encoded = base64::engine::general_purpose::STANDARD.encode("{\"a\":\"é\"}");
        let request = read_request(function_url_event(&encoded, true)).expect("parses");
        assert_eq!(
            body_bytes(&request).expect("body").as_ref(),
            "{\"a\":\"é\"}".as_bytes()
        );
        let bad = read_request(function_url_event("%%%", true)).expect("parses");
        assert_eq!(body_bytes(&bad), Err(BodyNotBase64));
    }

    #[test]
    fn missing_or_null_parts_are_empty() {
        let request = read_request(json!({
            "headers": null, "body": null, "isBase64Encoded": null, "requestContext": null
        }))
        .expect("parses");
        assert_eq!(method(&request), None);
        assert_eq!(body_bytes(&request).expect("body").as_ref(), b"");
        let request = read_request(json!({})).expect("parses");
        assert_eq!(request, HttpRequest::default());
    }

    #[test]
    fn headers_no_http_header_can_be_are_left_out_and_the_request_is_read() {
        let mut event = function_url_event("{}", false);
        event["headers"] = json!({"x-bad": "a\u{1}b", "bad name": "v", "x-null": null,
            "x-number": 7, "content-type": "text/plain"});
        let request = read_request(event).expect("parses");
        assert_eq!(method(&request), Some("POST"));
        let names: Vec<&str> = request.headers.keys().map(|name| name.as_str()).collect();
        assert_eq!(names, ["content-type"]);
    }

    #[test]
    fn reads_the_format_1_method() {
        let event = json!({"httpMethod": "GET", "path": "/", "body": null});
        assert!(is_http_event(&event));
        let request = read_request(event).expect("parses");
        assert_eq!(method(&request), Some("GET"));
    }

    #[test]
    fn an_sns_event_is_not_an_http_request() {
        let sns = json!({"Records": [{"EventSource": "aws:sns", "Sns": {"Type": "Notification"}}]});
        assert!(!is_http_event(&sns));
        assert!(!is_http_event(&json!({"body": "x"})));
    }

    #[test]
    fn response_serialises_as_lambda_expects() {
        let mut response = text(403, "forbidden");
        response
            .headers
            .insert(ALLOW, HeaderValue::from_static("POST"));
        // The library's response always has `cookies`: an empty list sets none.
        assert_eq!(
            serde_json::to_value(&response).expect("serialises"),
            json!({
                "statusCode": 403,
                "headers": {"content-type": "text/plain; charset=utf-8", "allow": "POST"},
                "body": "forbidden",
                "isBase64Encoded": false,
                "cookies": []
            })
        );
    }
}
