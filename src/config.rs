//! Configuration, read from the environment once when the execution environment starts.

use crate::record::LogFormat;

pub const DEFAULT_LOG_GROUP: &str = "ses-feedback";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `LOG_GROUP_NAME`: the log group that holds one stream per SES type.
    pub log_group: String,
    /// `LOG_FORMAT`: `json` (default) or `plain`.
    pub log_format: LogFormat,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("LOG_GROUP_NAME={value:?} is not a valid CloudWatch Logs group name: {why}")]
    InvalidLogGroup { value: String, why: &'static str },
    #[error("LOG_FORMAT={0:?} is not supported: use json or plain")]
    InvalidLogFormat(String),
}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup`; an empty value counts as unset, as CloudFormation cannot unset one.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
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
        Ok(Config {
            log_group,
            log_format,
        })
    }
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
        assert_eq!(
            config(&[]),
            Ok(Config {
                log_group: "ses-feedback".into(),
                log_format: LogFormat::Json
            })
        );
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
        assert_eq!(
            read,
            Ok(Config {
                log_group: "/ses/feedback_prod-1.#a".into(),
                log_format: LogFormat::Plain
            })
        );
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
    fn rejects_an_unknown_format_naming_the_variable() {
        let error = config(&[("LOG_FORMAT", "yaml")]).unwrap_err();
        assert_eq!(error, ConfigError::InvalidLogFormat("yaml".into()));
        assert_eq!(
            error.to_string(),
            "LOG_FORMAT=\"yaml\" is not supported: use json or plain"
        );
    }
}
