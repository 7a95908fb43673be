//! The AWS SDK's configuration and the system CA bundle its HTTPS client reads.

use std::path::Path;

use aws_config::environment::{
    EnvironmentVariableCredentialsProvider, EnvironmentVariableRegionProvider,
};
use aws_config::stalled_stream_protection::StalledStreamProtectionConfig;
use aws_config::{BehaviorVersion, SdkConfig};

use crate::storage::cloudwatch::{retry_config, timeout_config};

/// The AWS SDK's configuration. Lambda puts the region and the function role's credentials in the
/// environment; taking them from there skips building the SDK's default provider chains (profile files,
/// SSO, web identity — which builds a whole STS client —, container and instance metadata), about a third
/// of the SDK's share of the cold start (docs/performance.md). Without them in the environment (a developer
/// with a profile) the default chains apply.
pub async fn sdk_config() -> SdkConfig {
    let set = |name| std::env::var_os(name).is_some_and(|value| !value.is_empty());
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(retry_config())
        .timeout_config(timeout_config())
        // Stalled-stream protection fails a body that moves nothing for 5 s; every attempt times out at 4 s
        // first, so it never acts here, and without it no request pays its throughput bookkeeping.
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled());
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

/// The bundle to point `SSL_CERT_FILE` at: none when `SSL_CERT_FILE` or `SSL_CERT_DIR` is set already
/// (`is_set`), else the first of [`CA_BUNDLES`] that `is_file`.
fn ca_bundle_choice(
    is_set: impl Fn(&str) -> bool,
    is_file: impl Fn(&str) -> bool,
) -> Option<&'static str> {
    if is_set("SSL_CERT_FILE") || is_set("SSL_CERT_DIR") {
        return None;
    }
    CA_BUNDLES.into_iter().find(|path| is_file(path))
}

/// The SDK's HTTPS client trusts the system's CA certificates (rustls-native-certs), loaded when the client is
/// built. Left to probe, it reads the CA bundle *and* every file of the certificate directories, which on
/// Amazon Linux 2023 and Debian hold the same certificates again: about 2 ms of CPU per cold start on the
/// benchmark machine (docs/performance.md). Pointing `SSL_CERT_FILE` (its documented setting) at the bundle
/// it would find first has it read that bundle once: the same certificates. rustls-native-certs reads only
/// the environment, hence setting it; call this before any client is built, while single-threaded.
pub(crate) fn read_ca_bundle_only() {
    let chosen = ca_bundle_choice(
        |name| std::env::var_os(name).is_some(),
        |path| Path::new(path).is_file(),
    );
    if let Some(bundle) = chosen {
        std::env::set_var("SSL_CERT_FILE", bundle);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_bundle_present_is_chosen_in_probe_order() {
        let present = ["/etc/ssl/cert.pem", "/etc/pki/tls/certs/ca-bundle.crt"];
        assert_eq!(
            ca_bundle_choice(|_| false, |path| present.contains(&path)),
            Some("/etc/pki/tls/certs/ca-bundle.crt")
        );
        assert_eq!(
            ca_bundle_choice(|_| false, |path| path.contains("tls-ca-bundle")),
            Some("/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"),
            "Amazon Linux 2023's"
        );
    }

    #[test]
    fn a_setting_already_made_is_left_alone_and_no_bundle_means_no_setting() {
        assert_eq!(
            ca_bundle_choice(|name| name == "SSL_CERT_FILE", |_| true),
            None
        );
        assert_eq!(
            ca_bundle_choice(|name| name == "SSL_CERT_DIR", |_| true),
            None
        );
        assert_eq!(ca_bundle_choice(|_| false, |_| false), None);
    }
}
