//! Configuration, read from the environment once when the execution environment starts.

use crate::feedback::region::is_region_name;
use crate::log_events::LogFormat;
use crate::operations::suppression::SuppressMode;

pub(crate) const DEFAULT_LOG_GROUP: &str = "ses-feedback";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `LOG_GROUP_NAME`: the log group that holds one stream per SES type.
    pub log_group: String,
    /// `LOG_FORMAT`: `json` (default) or `plain`.
    pub log_format: LogFormat,
    /// `ALLOWED_TOPIC_ARNS`: when set, records from any other topic are not stored.
    pub allowed_topic_arns: Option<Vec<String>>,
    /// `ALLOWED_SENDING_ACCOUNTS`: when set, feedback about mail other accounts sent is not stored.
    pub allowed_sending_accounts: Option<Vec<String>>,
    /// `ADDRESS_HASH_KEY` or `ADDRESS_HASH_KEY_PARAMETER`: when set, addresses are written as their HMAC.
    pub address_hash_key: Option<AddressHashKey>,
    /// `SUPPRESS`: `off` (default), `hard` or `hard-and-complaints`.
    pub suppress: SuppressMode,
    /// `METRICS_NAMESPACE`: the CloudWatch namespace of the function's embedded metrics.
    pub metrics_namespace: String,
    /// `SUPPRESS_REGIONS`: the regions whose account-level suppression lists get every suppression, in
    /// order and without repeats; None: the function's own region.
    pub suppress_regions: Option<Vec<String>>,
    /// `LOG_GROUP_REGION`: the region of the feedback log group; None: the function's own region.
    pub log_group_region: Option<String>,
}

pub(crate) const DEFAULT_METRICS_NAMESPACE: &str = "SesFeedbackLogger";

/// Where the address hashing key comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum AddressHashKey {
    /// The key itself, from `ADDRESS_HASH_KEY`.
    Inline(String),
    /// The name of an SSM SecureString parameter holding it, from `ADDRESS_HASH_KEY_PARAMETER`.
    Parameter(String),
}

impl std::fmt::Debug for AddressHashKey {
    // The key is a secret: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AddressHashKey::Inline(_) => f.write_str("Inline(<redacted>)"),
            AddressHashKey::Parameter(name) => f.debug_tuple("Parameter").field(name).finish(),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("LOG_GROUP_NAME={value:?} is not a valid CloudWatch Logs group name: {why}")]
    InvalidLogGroup { value: String, why: &'static str },
    #[error("LOG_FORMAT={0:?} is not supported: use json or plain")]
    InvalidLogFormat(String),
    #[error("ALLOWED_TOPIC_ARNS has {0:?}, which is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)")]
    InvalidTopicArn(String),
    #[error("ALLOWED_SENDING_ACCOUNTS has {0:?}, which is not a 12-digit AWS account id")]
    InvalidAccountId(String),
    #[error("set only one of ADDRESS_HASH_KEY and ADDRESS_HASH_KEY_PARAMETER")]
    TwoHashKeys,
    #[error("SUPPRESS={0:?} is not supported: use off, hard or hard-and-complaints")]
    InvalidSuppress(String),
    #[error("METRICS_NAMESPACE={0:?} is not a valid CloudWatch namespace (1-255 characters, not starting with ':')")]
    InvalidMetricsNamespace(String),
    #[error("{variable} has {value:?}, which is not an AWS region name (such as eu-west-1)")]
    InvalidRegion {
        variable: &'static str,
        value: String,
    },
}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup`; an empty value counts as unset, as CloudFormation cannot unset one.
    pub(crate) fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let setting = |name| lookup(name).filter(|value: &String| !value.is_empty());
        let log_group = setting("LOG_GROUP_NAME").unwrap_or_else(|| DEFAULT_LOG_GROUP.to_owned());
        validate_log_group(&log_group).map_err(|why| ConfigError::InvalidLogGroup {
            value: log_group.clone(),
            why,
        })?;
        let log_format = match setting("LOG_FORMAT") {
            None => LogFormat::Json,
            Some(value) if value.eq_ignore_ascii_case("json") => LogFormat::Json,
            Some(value) if value.eq_ignore_ascii_case("plain") => LogFormat::Plain,
            Some(value) => return Err(ConfigError::InvalidLogFormat(value)),
        };
        let allowed_topic_arns = list(setting("ALLOWED_TOPIC_ARNS"));
        if let Some(bad) = allowed_topic_arns
            .iter()
            .flatten()
            .find(|arn| !is_topic_arn(arn))
        {
            return Err(ConfigError::InvalidTopicArn(bad.clone()));
        }
        let allowed_sending_accounts = list(setting("ALLOWED_SENDING_ACCOUNTS"));
        if let Some(bad) = allowed_sending_accounts
            .iter()
            .flatten()
            .find(|id| !is_account_id(id))
        {
            return Err(ConfigError::InvalidAccountId(bad.clone()));
        }
        let address_hash_key = match (
            setting("ADDRESS_HASH_KEY"),
            setting("ADDRESS_HASH_KEY_PARAMETER"),
        ) {
            (Some(_), Some(_)) => return Err(ConfigError::TwoHashKeys),
            (Some(key), None) => Some(AddressHashKey::Inline(key)),
            (None, Some(name)) => Some(AddressHashKey::Parameter(name)),
            (None, None) => None,
        };
        let suppress = match setting("SUPPRESS").as_deref() {
            None | Some("off") => SuppressMode::Off,
            Some("hard") => SuppressMode::Hard,
            Some("hard-and-complaints") => SuppressMode::HardAndComplaints,
            Some(other) => return Err(ConfigError::InvalidSuppress(other.to_owned())),
        };
        let metrics_namespace =
            setting("METRICS_NAMESPACE").unwrap_or_else(|| DEFAULT_METRICS_NAMESPACE.to_owned());
        if !crate::operations::metrics::is_valid_namespace(&metrics_namespace) {
            return Err(ConfigError::InvalidMetricsNamespace(metrics_namespace));
        }
        let mut suppress_regions = list(setting("SUPPRESS_REGIONS"));
        if let Some(regions) = &mut suppress_regions {
            check_regions("SUPPRESS_REGIONS", regions)?;
            let mut seen = std::collections::HashSet::new();
            regions.retain(|region| seen.insert(region.clone()));
        }
        let log_group_region = setting("LOG_GROUP_REGION").map(|region| region.trim().to_owned());
        if let Some(region) = &log_group_region {
            check_regions("LOG_GROUP_REGION", std::slice::from_ref(region))?;
        }
        Ok(Config {
            log_group,
            log_format,
            allowed_topic_arns,
            allowed_sending_accounts,
            address_hash_key,
            suppress,
            metrics_namespace,
            suppress_regions,
            log_group_region,
        })
    }
}

/// Every one of `regions` is a region name, or the error names `variable` and the first that is not.
fn check_regions(variable: &'static str, regions: &[String]) -> Result<(), ConfigError> {
    match regions.iter().find(|region| !is_region_name(region)) {
        None => Ok(()),
        Some(bad) => Err(ConfigError::InvalidRegion {
            variable,
            value: bad.clone(),
        }),
    }
}

/// A comma-separated list; blanks are ignored, and a list of nothing is no list.
fn list(value: Option<String>) -> Option<Vec<String>> {
    let items: Vec<String> = value?
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect();
    (!items.is_empty()).then_some(items)
}

fn is_topic_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.split(':').collect();
    matches!(parts.as_slice(), ["arn", partition, "sns", region, account, name]
        if !partition.is_empty() && !region.is_empty() && is_account_id(account) && !name.is_empty())
}

fn is_account_id(id: &str) -> bool {
    id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())
}

/// CloudWatch's rule: 1 to 512 characters of `A-Z a-z 0-9 _ - / . #`.
fn validate_log_group(name: &str) -> Result<(), &'static str> {
    if name.len() > 512 {
        return Err("longer than 512 characters");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"_-/.#".contains(&b))
    {
        return Err("only letters, digits and _ - / . # are allowed");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn defaults_to_the_ses_feedback_group_in_json() {
        let defaults = config(&[]).unwrap();
        assert_eq!(defaults.log_group, "ses-feedback");
        assert_eq!(defaults.log_format, LogFormat::Json);
        assert_eq!(defaults.allowed_topic_arns, None);
        assert_eq!(defaults.allowed_sending_accounts, None);
        assert_eq!(defaults.address_hash_key, None);
        assert_eq!(defaults.suppress, SuppressMode::Off);
        assert_eq!(defaults.metrics_namespace, "SesFeedbackLogger");
        assert_eq!(defaults.suppress_regions, None, "the function's own region");
        assert_eq!(defaults.log_group_region, None, "the function's own region");
        assert_eq!(
            config(&[("LOG_GROUP_NAME", ""), ("LOG_FORMAT", "")]),
            config(&[])
        );
    }

    #[test]
    fn reads_group_and_format() {
        let read = config(&[
            ("LOG_GROUP_NAME", "/ses/feedback_prod-1.#a"),
            ("LOG_FORMAT", "PLAIN"),
        ]);
        let read = read.unwrap();
        assert_eq!(read.log_group, "/ses/feedback_prod-1.#a");
        assert_eq!(read.log_format, LogFormat::Plain);
    }

    #[test]
    fn rejects_group_names_cloudwatch_would_refuse_naming_the_variable() {
        for bad in [
            "ses feedback",
            "ses:feedback",
            "ses*",
            "séquence",
            &"a".repeat(513),
        ] {
            let error = config(&[("LOG_GROUP_NAME", bad)]).unwrap_err();
            assert!(
                matches!(error, ConfigError::InvalidLogGroup { .. }),
                "{bad}"
            );
            assert!(error.to_string().starts_with("LOG_GROUP_NAME="), "{error}");
        }
        assert!(config(&[("LOG_GROUP_NAME", &"a".repeat(512))]).is_ok());
    }

    #[test]
    fn reads_the_allow_lists_and_checks_their_items() {
        let read = config(&[
            (
                "ALLOWED_TOPIC_ARNS",
                " arn:aws:sns:us-east-1:123456789012:a ,arn:aws-cn:sns:cn-north-1:123456789012:b,",
            ),
            ("ALLOWED_SENDING_ACCOUNTS", "123456789012, 210987654321"),
        ])
        .unwrap();
        assert_eq!(
            read.allowed_topic_arns.unwrap(),
            [
                "arn:aws:sns:us-east-1:123456789012:a",
                "arn:aws-cn:sns:cn-north-1:123456789012:b"
            ]
        );
        assert_eq!(
            read.allowed_sending_accounts.unwrap(),
            ["123456789012", "210987654321"]
        );
        assert_eq!(
            config(&[("ALLOWED_TOPIC_ARNS", " , ")])
                .unwrap()
                .allowed_topic_arns,
            None
        );
        let error =
            config(&[("ALLOWED_TOPIC_ARNS", "arn:aws:sqs:us-east-1:123456789012:q")]).unwrap_err();
        assert!(
            error.to_string().starts_with("ALLOWED_TOPIC_ARNS"),
            "{error}"
        );
        let error = config(&[("ALLOWED_SENDING_ACCOUNTS", "12345")]).unwrap_err();
        assert!(
            error.to_string().starts_with("ALLOWED_SENDING_ACCOUNTS"),
            "{error}"
        );
    }

    #[test]
    fn reads_one_hash_key_source_and_never_prints_the_key() {
        let inline = config(&[("ADDRESS_HASH_KEY", "s3cret")]).unwrap();
        assert_eq!(
            inline.address_hash_key,
            Some(AddressHashKey::Inline("s3cret".into()))
        );
        assert!(!format!("{inline:?}").contains("s3cret"));
        let parameter = config(&[("ADDRESS_HASH_KEY_PARAMETER", "/ses/hash-key")]).unwrap();
        assert_eq!(
            parameter.address_hash_key,
            Some(AddressHashKey::Parameter("/ses/hash-key".into()))
        );
        let both = config(&[
            ("ADDRESS_HASH_KEY", "k"),
            ("ADDRESS_HASH_KEY_PARAMETER", "/p"),
        ]);
        assert_eq!(both.unwrap_err(), ConfigError::TwoHashKeys);
    }

    #[test]
    fn reads_suppression_and_the_metrics_namespace() {
        assert_eq!(
            config(&[("SUPPRESS", "hard")]).unwrap().suppress,
            SuppressMode::Hard
        );
        let both = config(&[
            ("SUPPRESS", "hard-and-complaints"),
            ("METRICS_NAMESPACE", "Mail/SES Feedback"),
        ])
        .unwrap();
        assert_eq!(
            (both.suppress, both.metrics_namespace.as_str()),
            (SuppressMode::HardAndComplaints, "Mail/SES Feedback")
        );
        let error = config(&[("SUPPRESS", "yes")]).unwrap_err();
        assert!(error.to_string().starts_with("SUPPRESS="), "{error}");
        for bad in [":leading", "quote\"", "AWS/SES", "   ", &"n".repeat(256)] {
            let error = config(&[("METRICS_NAMESPACE", bad)]).unwrap_err();
            assert!(
                error.to_string().starts_with("METRICS_NAMESPACE="),
                "{error}"
            );
        }
    }

    #[test]
    fn reads_the_suppression_regions_and_the_log_groups_region() {
        let read = config(&[
            ("SUPPRESS_REGIONS", " us-east-1, eu-west-1,us-east-1 ,"),
            ("LOG_GROUP_REGION", "eu-central-1"),
        ])
        .unwrap();
        assert_eq!(
            read.suppress_regions.unwrap(),
            ["us-east-1", "eu-west-1"],
            "in order, once each"
        );
        assert_eq!(read.log_group_region.as_deref(), Some("eu-central-1"));
        assert_eq!(
            config(&[("SUPPRESS_REGIONS", ""), ("LOG_GROUP_REGION", "")]),
            config(&[]),
            "empty is the default: the function's own region"
        );
        for (variable, bad) in [
            ("SUPPRESS_REGIONS", "us-east-1,Ireland"),
            ("LOG_GROUP_REGION", "eu-west-1a"),
            ("LOG_GROUP_REGION", "arn:aws:logs:eu-west-1"),
        ] {
            let error = config(&[(variable, bad)]).unwrap_err();
            assert!(
                matches!(error, ConfigError::InvalidRegion { .. }),
                "{variable}={bad}"
            );
            assert!(error.to_string().starts_with(variable), "{error}");
        }
    }

    #[test]
    fn rejects_an_unknown_format_naming_the_variable() {
        let error = config(&[("LOG_FORMAT", "yaml")]).unwrap_err();
        assert_eq!(error, ConfigError::InvalidLogFormat("yaml".into()));
        assert_eq!(
            error.to_string(),
            "LOG_FORMAT=\"yaml\" is not supported: use json or plain"
        );
    }
}
