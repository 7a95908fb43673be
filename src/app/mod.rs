//! Start-up wiring and the two commands: the configuration, the SDK and its clients, the address hashing
//! key, then the Lambda function ([`App::run`]) or `replay` ([`App::replay`]).

mod aws;
pub mod config;
pub mod replay;
pub mod secrets;

use chrono::Utc;
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::value::RawValue;

use self::config::{AddressHashKey, Config, ConfigError};
use self::secrets::SecretError;
use crate::log_events::privacy::{AddressHasher, EmptyKey};
use crate::log_events::Formatting;
use crate::operations::metrics::Metrics;
use crate::operations::suppression::SesSuppressor;
use crate::pipeline::{AccessPolicy, Pipeline};
use crate::storage::cloudwatch::CloudWatchSink;

/// Why the function cannot start; Lambda reports it as an init failure.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    EmptyHashKey(#[from] EmptyKey),
}

/// The function as configured: built once per execution environment.
pub struct App {
    pipeline: Pipeline<CloudWatchSink, SesSuppressor>,
    metrics_namespace: String,
}

impl App {
    /// Reads the configuration, the AWS clients and the hashing key from the environment.
    pub async fn from_env() -> Result<App, StartError> {
        let config = Config::from_env()?;
        aws::read_ca_bundle_only();
        let sdk_config = aws::sdk_config().await;
        let address_hasher = address_hasher(config.address_hash_key.as_ref(), || {
            aws_sdk_ssm::Client::new(&sdk_config)
        })
        .await?;
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
        let pipeline = Pipeline::new(sink, formatting)
            .with_access_policy(access)
            .with_suppression(suppressor, config.suppress);
        Ok(App {
            pipeline,
            metrics_namespace: config.metrics_namespace,
        })
    }

    /// The Lambda function: every invocation through the pipeline, its metrics printed after it.
    pub async fn run(&self) -> Result<(), lambda_runtime::Error> {
        lambda_runtime::run(service_fn(|event: LambdaEvent<Box<RawValue>>| async move {
            let (result, metrics) = self.pipeline.invoke(event.payload.get()).await;
            self.print_metrics(&metrics);
            result
        }))
        .await
    }

    /// `replay [--json] [FILE…]`; returns the exit status.
    pub async fn replay(&self, args: impl IntoIterator<Item = String>) -> i32 {
        replay::run_cli(&self.pipeline, args).await
    }

    /// Embedded metric format lines on stdout (not through tracing, whose JSON would hide them from
    /// CloudWatch's extraction), in one write rather than one per line.
    fn print_metrics(&self, metrics: &Metrics) {
        let mut lines = metrics
            .emf_lines(&self.metrics_namespace, Utc::now().timestamp_millis())
            .join("\n");
        if !lines.is_empty() {
            lines.push('\n');
            print!("{lines}");
        }
    }
}

/// The hasher for `key`: the key itself, or read from SSM through the client `ssm` makes (only then).
async fn address_hasher(
    key: Option<&AddressHashKey>,
    ssm: impl FnOnce() -> aws_sdk_ssm::Client,
) -> Result<Option<AddressHasher>, StartError> {
    let key = match key {
        None => return Ok(None),
        Some(AddressHashKey::Inline(key)) => key.clone(),
        Some(AddressHashKey::Parameter(name)) => secrets::read_secure_string(&ssm(), name).await?,
    };
    Ok(Some(AddressHasher::new(key.as_bytes())?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ssm::operation::get_parameter::{GetParameterError, GetParameterOutput};
    use aws_sdk_ssm::types::error::ParameterNotFound;
    use aws_sdk_ssm::types::Parameter;
    use aws_smithy_mocks::{mock, mock_client};

    fn unused_ssm() -> aws_sdk_ssm::Client {
        panic!("SSM must not be called for this key")
    }

    fn ssm_answering(value: &'static str) -> aws_sdk_ssm::Client {
        let rule = mock!(aws_sdk_ssm::Client::get_parameter)
            .match_requests(|request| {
                request.name() == Some("/ses/hash-key") && request.with_decryption() == Some(true)
            })
            .then_output(move || {
                GetParameterOutput::builder()
                    .parameter(Parameter::builder().value(value).build())
                    .build()
            });
        mock_client!(aws_sdk_ssm, [&rule])
    }

    #[tokio::test]
    async fn an_inline_key_hashes_as_the_parameters_value_does_and_none_means_no_hashing() {
        let inline = AddressHashKey::Inline("k3y".to_owned());
        let parameter = AddressHashKey::Parameter("/ses/hash-key".to_owned());
        let from_inline = address_hasher(Some(&inline), unused_ssm).await.unwrap();
        let from_ssm = address_hasher(Some(&parameter), || ssm_answering("k3y"))
            .await
            .unwrap();
        assert_eq!(
            from_inline.unwrap().hash("a@example.com"),
            from_ssm.unwrap().hash("a@example.com")
        );
        assert!(address_hasher(None, unused_ssm).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn an_unreadable_or_empty_key_stops_the_start_naming_the_parameter() {
        let parameter = AddressHashKey::Parameter("/ses/hash-key".to_owned());
        let missing = mock!(aws_sdk_ssm::Client::get_parameter).then_error(|| {
            GetParameterError::ParameterNotFound(ParameterNotFound::builder().build())
        });
        let Err(error) =
            address_hasher(Some(&parameter), || mock_client!(aws_sdk_ssm, [&missing])).await
        else {
            panic!("a missing parameter must stop the start");
        };
        assert!(matches!(error, StartError::Secret(_)), "{error}");
        assert!(error.to_string().contains("/ses/hash-key"), "{error}");
        let empty = AddressHashKey::Inline(String::new());
        assert!(matches!(
            address_hasher(Some(&empty), unused_ssm).await,
            Err(StartError::EmptyHashKey(_))
        ));
    }
}
