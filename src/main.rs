use aws_config::BehaviorVersion;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::value::RawValue;
use ses_feedback_logger::cloudwatch::{retry_config, timeout_config, CloudWatchSink};
use ses_feedback_logger::config::{AddressHashKey, Config};
use ses_feedback_logger::handler::{AccessPolicy, Handler};
use ses_feedback_logger::privacy::AddressHasher;
use ses_feedback_logger::record::Formatting;
use ses_feedback_logger::suppression::SesSuppressor;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = Config::from_env().unwrap_or_else(|error| stop_start(error));
    let sdk_config = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(retry_config())
        .timeout_config(timeout_config())
        .load()
        .await;
    let address_hasher = match &config.address_hash_key {
        None => None,
        Some(AddressHashKey::Inline(key)) => {
            Some(AddressHasher::new(key.as_bytes()).unwrap_or_else(|e| stop_start(e)))
        }
        Some(AddressHashKey::Parameter(name)) => {
            let key = ses_feedback_logger::secrets::read_secure_string(
                &aws_sdk_ssm::Client::new(&sdk_config),
                name,
            )
            .await
            .unwrap_or_else(|error| stop_start(error));
            Some(AddressHasher::new(key.as_bytes()).unwrap_or_else(|e| stop_start(e)))
        }
    };
    let sink = CloudWatchSink::new(
        aws_sdk_cloudwatchlogs::Client::new(&sdk_config),
        config.log_group,
    );
    let formatting = Formatting {
        layout: config.log_format,
        address_hasher,
    };
    let access = AccessPolicy {
        allowed_topic_arns: config.allowed_topic_arns,
        allowed_sending_accounts: config.allowed_sending_accounts,
    };
    // With SUPPRESS=off nothing is selected, so this client is never called.
    let suppressor = SesSuppressor::new(aws_sdk_sesv2::Client::new(&sdk_config));
    let handler = &Handler::new(sink, formatting)
        .with_access_policy(access)
        .with_suppression(suppressor, config.suppress)
        .with_metrics(config.metrics_namespace);
    lambda_runtime::run(service_fn(|event: LambdaEvent<Box<RawValue>>| async move {
        handler.handle(event.payload.get()).await
    }))
    .await
}

/// Stops the start: Lambda reports the init failure, and this line says what is wrong.
fn stop_start(error: impl std::fmt::Display) -> ! {
    tracing::error!("cannot start: {error}");
    std::process::exit(1);
}
