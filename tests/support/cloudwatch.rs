//! moto and CloudWatch Logs helpers.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_config::BehaviorVersion;
use aws_sdk_cloudwatchlogs::config::{Credentials, Region};
use aws_sdk_cloudwatchlogs::Client;

/// The moto server's URL, exported by `scripts/with-moto.sh`.
pub fn moto_endpoint() -> String {
    let endpoint = std::env::var("MOTO_ENDPOINT")
        .ok()
        .filter(|e| !e.is_empty());
    endpoint.unwrap_or_else(|| {
        panic!("MOTO_ENDPOINT is not set: run the tests with `make test` (scripts/with-moto.sh starts moto)")
    })
}

/// A CloudWatch Logs client for `endpoint` (moto, or a [`super::RecordingProxy`] in front of it) with test
/// credentials and us-east-1. Built through aws-config like the function's own client, so it has the same
/// default retry and timeout behaviour.
pub async fn cloudwatch_client(endpoint: &str) -> Client {
    cloudwatch_client_in(endpoint, "us-east-1").await
}

/// [`cloudwatch_client`] for `region`: moto keeps each region's log groups apart, by the region a request is
/// signed for.
pub async fn cloudwatch_client_in(endpoint: &str, region: &'static str) -> Client {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region))
        .credentials_provider(Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "tests-support",
        ))
        .endpoint_url(endpoint)
        .load()
        .await;
    Client::new(&config)
}

/// A name no other test (or earlier run against the same moto) uses: tests share one moto server and never
/// reset it. The result is valid as a log group or stream name if `prefix` is.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_nanos();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{}-{nanos}-{n}", std::process::id())
}

/// Every event of a stream, oldest first, as (timestamp ms, message).
pub async fn read_stream(client: &Client, group: &str, stream: &str) -> Vec<(i64, String)> {
    let mut events = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .get_log_events()
            .log_group_name(group)
            .log_stream_name(stream)
            .start_from_head(true)
            .set_next_token(token.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("GetLogEvents {group}/{stream}: {e:?}"));
        events.extend(page.events().iter().map(|e| {
            (
                e.timestamp().unwrap_or_default(),
                e.message().unwrap_or_default().to_owned(),
            )
        }));
        // GetLogEvents signals the end by handing back the token it was given.
        let next = page.next_forward_token().map(str::to_owned);
        if next.is_none() || next == token {
            return events;
        }
        token = next;
    }
}

/// The names of a group's streams (DescribeLogStreams, all pages), in the order the API lists them (by name).
pub async fn stream_names(client: &Client, group: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .describe_log_streams()
            .log_group_name(group)
            .set_next_token(token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("DescribeLogStreams {group}: {e:?}"));
        names.extend(
            page.log_streams()
                .iter()
                .filter_map(|s| s.log_stream_name().map(str::to_owned)),
        );
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            return names;
        }
    }
}
