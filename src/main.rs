use aws_config::BehaviorVersion;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::value::RawValue;
use ses_feedback_logger::cloudwatch::{retry_config, timeout_config, CloudWatchSink};
use ses_feedback_logger::config::Config;
use ses_feedback_logger::handler::Handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            // Stop the start: Lambda reports the init failure, and this line says which variable is wrong.
            tracing::error!("invalid configuration: {error}");
            std::process::exit(1);
        }
    };
    let sdk_config = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(retry_config())
        .timeout_config(timeout_config())
        .load()
        .await;
    let sink = CloudWatchSink::new(
        aws_sdk_cloudwatchlogs::Client::new(&sdk_config),
        config.log_group,
    );
    let handler = &Handler::new(sink, config.log_format);
    lambda_runtime::run(service_fn(|event: LambdaEvent<Box<RawValue>>| async move {
        handler.handle(event.payload.get()).await
    }))
    .await
}
