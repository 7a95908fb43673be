use aws_config::environment::{
    EnvironmentVariableCredentialsProvider, EnvironmentVariableRegionProvider,
};
use aws_config::{BehaviorVersion, SdkConfig};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::value::RawValue;
use ses_feedback_logger::app::config::{AddressHashKey, Config};
use ses_feedback_logger::app::replay;
use ses_feedback_logger::log_events::privacy::AddressHasher;
use ses_feedback_logger::log_events::Formatting;
use ses_feedback_logger::operations::suppression::SesSuppressor;
use ses_feedback_logger::pipeline::{AccessPolicy, Handler};
use ses_feedback_logger::storage::cloudwatch::{retry_config, timeout_config, CloudWatchSink};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    // `ses-feedback-logger replay …` replays files; with no arguments it is the Lambda function.
    let mut args = std::env::args().skip(1);
    let replaying = args.next().is_some_and(|command| command == "replay");
    if replaying {
        // Standard output is the replay's report.
        lambda_runtime::tracing::init_default_subscriber_with_writer(std::io::stderr);
    } else {
        lambda_runtime::tracing::init_default_subscriber();
    }
    let config = Config::from_env().unwrap_or_else(|error| stop_start(error));
    read_ca_bundle_only();
    let sdk_config = sdk_config().await;
    let address_hasher = match &config.address_hash_key {
        None => None,
        Some(AddressHashKey::Inline(key)) => {
            Some(AddressHasher::new(key.as_bytes()).unwrap_or_else(|e| stop_start(e)))
        }
        Some(AddressHashKey::Parameter(name)) => {
            let key = ses_feedback_logger::app::secrets::read_secure_string(
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
    let handler = Handler::new(sink, formatting)
        .with_access_policy(access)
        .with_suppression(suppressor, config.suppress);
    if replaying {
        std::process::exit(replay::run_cli(&handler, args).await);
    }
    let handler = &handler.with_metrics(config.metrics_namespace);
    lambda_runtime::run(service_fn(|event: LambdaEvent<Box<RawValue>>| async move {
        handler.invoke(event.payload.get()).await
    }))
    .await
}

/// The AWS SDK's configuration. Lambda puts the region and the function role's credentials in the
/// environment; taking them from there skips building the SDK's default provider chains (profile files,
/// SSO, web identity — which builds a whole STS client —, container and instance metadata), about a third
/// of the SDK's share of the cold start (docs/performance.md). Without them in the environment (a developer
/// with a profile) the default chains apply.
async fn sdk_config() -> SdkConfig {
    let set = |name| std::env::var_os(name).is_some_and(|value| !value.is_empty());
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(retry_config())
        .timeout_config(timeout_config());
    if set("AWS_REGION") || set("AWS_DEFAULT_REGION") {
        loader = loader.region(EnvironmentVariableRegionProvider::new());
    }
    if set("AWS_ACCESS_KEY_ID") && set("AWS_SECRET_ACCESS_KEY") {
        loader = loader.credentials_provider(EnvironmentVariableCredentialsProvider::new());
    }
    loader.load().await
}

/// The system CA bundles, in the order rustls-native-certs (through openssl-probe) looks for one on Linux.
const CA_BUNDLES: [&str; 8] = [
    "/etc/ssl/certs/ca-certificates.crt", // Debian, Ubuntu, Gentoo
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // Amazon Linux 2023 (provided.al2023), RHEL
    "/etc/pki/tls/certs/ca-bundle.crt",                  // Fedora, RHEL 6
    "/etc/ssl/ca-bundle.pem",                            // OpenSUSE
    "/etc/pki/tls/cacert.pem",                           // OpenELEC
    "/etc/ssl/cert.pem",                                 // Alpine
    "/opt/etc/ssl/certs/ca-certificates.crt",            // Entware
    "/etc/ssl/certs/cacert.pem",                         // OpenHarmony
];

/// The SDK's HTTPS client trusts the system's CA certificates (rustls-native-certs), loaded when the client is
/// built. Left to probe, it reads the CA bundle *and* every file of the certificate directories, which on
/// Amazon Linux 2023 and Debian hold the same certificates again: about 2 ms of CPU per cold start on the
/// benchmark machine (docs/performance.md). Pointing `SSL_CERT_FILE` (its documented setting) at the bundle
/// it would find first has it read that bundle once: the same certificates. A `SSL_CERT_FILE` or
/// `SSL_CERT_DIR` already set is left alone.
fn read_ca_bundle_only() {
    if std::env::var_os("SSL_CERT_FILE").is_some() || std::env::var_os("SSL_CERT_DIR").is_some() {
        return;
    }
    if let Some(bundle) = CA_BUNDLES
        .iter()
        .find(|path| std::path::Path::new(path).is_file())
    {
        // Still single-threaded here: nothing else reads the environment concurrently.
        std::env::set_var("SSL_CERT_FILE", bundle);
    }
}

/// Stops the start: Lambda reports the init failure, and this line says what is wrong.
fn stop_start(error: impl std::fmt::Display) -> ! {
    tracing::error!("cannot start: {error}");
    std::process::exit(1);
}
