//! Start-up wiring and the two commands: the configuration, the SDK and its clients, the address hashing
//! key, then the Lambda function ([`App::run`]) or `replay` ([`App::replay`]).

mod aws;
pub mod config;
mod event_body;
pub mod logging;
pub mod replay;
pub mod secrets;

pub use self::aws::sdk_config;

use aws_config::{Region, SdkConfig};
use chrono::Utc;
use lambda_runtime::layers::TracingLayer;
use lambda_runtime::{service_fn, LambdaEvent, Runtime};
use tracing::info;

use self::config::{AddressHashKey, Config, ConfigError};
use self::event_body::EventBody;
use self::secrets::SecretError;
use crate::log_events::privacy::{AddressHasher, EmptyKey};
use crate::log_events::Formatting;
use crate::operations::metrics::Metrics;
use crate::operations::suppression::{SesSuppressor, SuppressMode};
use crate::pipeline::{AccessPolicy, InvocationError, Pipeline};
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
    #[error(
        "SUPPRESS is on but no region is known to suppress in: set AWS_REGION or SUPPRESS_REGIONS"
    )]
    NoSuppressionRegion,
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
        let suppressor = suppressor(&config, &sdk_config)?;
        let sink = CloudWatchSink::new(
            logs_client(&sdk_config, config.log_group_region.as_deref()),
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
        let pipeline = Pipeline::new(sink, formatting)
            .with_access_policy(access)
            .with_suppression(suppressor, config.suppress);
        Ok(App {
            pipeline,
            metrics_namespace: config.metrics_namespace,
        })
    }

    /// The Lambda function: every invocation's event, as Lambda sent it ([`EventBody`]), through the
    /// pipeline, its metrics printed after it; traced as `lambda_runtime::run` traces it.
    pub async fn run(&self) -> Result<(), lambda_runtime::Error> {
        let handler = service_fn(|_: LambdaEvent<()>| async move {
            let Some(event) = EventBody::current() else {
                return Err(InvocationError::EventNotHandedOver);
            };
            let Ok(event) = std::str::from_utf8(&event) else {
                return Err(InvocationError::UnsupportedEvent(
                    "the event is not UTF-8 text".to_owned(),
                ));
            };
            let (result, metrics) = self.pipeline.invoke(event).await;
            self.print_metrics(&metrics);
            result
        });
        Runtime::new(handler)
            .layer(EventBody)
            .layer(TracingLayer::new())
            .run()
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

/// The CloudWatch Logs client for the feedback log group: the function's own region's, or, with
/// `LOG_GROUP_REGION`, one signed for and sent to that region (the same credentials, retries and timeouts).
fn logs_client(sdk_config: &SdkConfig, region: Option<&str>) -> aws_sdk_cloudwatchlogs::Client {
    match region {
        None => aws_sdk_cloudwatchlogs::Client::new(sdk_config),
        Some(region) => aws_sdk_cloudwatchlogs::Client::from_conf(
            aws_sdk_cloudwatchlogs::config::Builder::from(sdk_config)
                .region(Region::new(region.to_owned()))
                .build(),
        ),
    }
}

/// The suppression lists to add to: with `SUPPRESS=off` none, and no client is built; else those of
/// `SUPPRESS_REGIONS`, by default the function's own region's, one client per region.
fn suppressor(config: &Config, sdk_config: &SdkConfig) -> Result<SesSuppressor, StartError> {
    if config.suppress == SuppressMode::Off {
        return Ok(SesSuppressor::with_clients([]));
    }
    let regions = match (&config.suppress_regions, sdk_config.region()) {
        (Some(regions), _) => regions.clone(),
        (None, Some(own)) => vec![own.to_string()],
        (None, None) => return Err(StartError::NoSuppressionRegion),
    };
    info!(regions = ?regions, "suppressing into the account-level suppression lists of these regions");
    Ok(SesSuppressor::in_regions(sdk_config, &regions))
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

    fn sdk_config_in(region: Option<&'static str>) -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(region.map(Region::new))
            .build()
    }

    fn settings(vars: &[(&str, &str)]) -> Config {
        Config::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
        .unwrap()
    }

    fn regions(suppressor: &SesSuppressor) -> Vec<&str> {
        suppressor.regions().collect()
    }

    #[tokio::test]
    async fn suppression_gets_one_client_per_listed_region_and_none_when_off() {
        let own = sdk_config_in(Some("eu-west-1"));
        let off = settings(&[("SUPPRESS_REGIONS", "us-east-1,eu-west-1")]);
        assert!(regions(&suppressor(&off, &own).unwrap()).is_empty());
        let default = settings(&[("SUPPRESS", "hard")]);
        assert_eq!(regions(&suppressor(&default, &own).unwrap()), ["eu-west-1"]);
        let listed = settings(&[
            ("SUPPRESS", "hard-and-complaints"),
            ("SUPPRESS_REGIONS", "us-east-1,ap-southeast-2"),
        ]);
        assert_eq!(
            regions(&suppressor(&listed, &own).unwrap()),
            ["us-east-1", "ap-southeast-2"]
        );
        assert!(matches!(
            suppressor(&default, &sdk_config_in(None)),
            Err(StartError::NoSuppressionRegion)
        ));
    }

    #[tokio::test]
    async fn the_log_group_client_is_the_functions_region_unless_another_is_set() {
        let own = sdk_config_in(Some("eu-west-1"));
        let region = |client: aws_sdk_cloudwatchlogs::Client| {
            client.config().region().map(ToString::to_string)
        };
        assert_eq!(
            region(logs_client(&own, None)).as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(
            region(logs_client(&own, Some("us-east-1"))).as_deref(),
            Some("us-east-1")
        );
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
