//! The function's own log, set up as lambda_runtime's default subscriber sets it up (JSON when Lambda's log
//! format is JSON, without time or target; `RUST_LOG`'s directives when it has any, else the level from
//! Lambda's log-level setting, else INFO), except that `RUST_LOG`'s directives are read by tracing-subscriber's `Targets` (`level`,
//! `target=level`) rather than its `EnvFilter`, whose span and field filters bring a regular-expression engine
//! into the binary (about 0.2 MB of it, docs/performance.md) for settings nobody gives this function.

use std::str::FromStr;

use lambda_runtime::tracing::subscriber::filter::{LevelFilter, Targets};
use lambda_runtime::tracing::subscriber::fmt::{self, MakeWriter};
use lambda_runtime::tracing::subscriber::layer::SubscriberExt;
use lambda_runtime::tracing::subscriber::registry;
use lambda_runtime::tracing::subscriber::util::SubscriberInitExt;

/// Sends the function's log to `writer` (standard output for Lambda, standard error for `replay`).
pub fn init<W>(writer: W)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let env = |name| std::env::var(name).ok();
    let filter = log_filter(
        env("AWS_LAMBDA_LOG_LEVEL").as_deref(),
        env("RUST_LOG").as_deref(),
    );
    let json =
        env("AWS_LAMBDA_LOG_FORMAT").is_some_and(|format| format.eq_ignore_ascii_case("json"));
    let layer = fmt::layer()
        .with_target(false)
        .without_time()
        .with_writer(writer);
    let subscriber = registry().with(filter);
    if json {
        subscriber.with(layer.json()).init();
    } else {
        subscriber.with(layer).init();
    }
}

/// `RUST_LOG`'s directives when it has any that read (the others, and span or field filters, are skipped),
/// else the level Lambda's log-level setting gives (or `RUST_LOG`, read as a level), else INFO: what
/// lambda_runtime's `EnvFilter` makes of the same two settings.
fn log_filter(lambda_level: Option<&str>, rust_log: Option<&str>) -> Targets {
    let mut filter = Targets::new();
    let mut directives = 0;
    for directive in rust_log.unwrap_or_default().split(',').map(str::trim) {
        // Span and field filters (`[span{field}]`) are EnvFilter's alone: skipped, as unreadable ones are.
        if directive.is_empty() || directive.contains('[') {
            continue;
        }
        let Ok(read) = Targets::from_str(directive) else {
            continue;
        };
        if let Some(level) = read.default_level() {
            filter = filter.with_default(level);
            directives += 1;
        }
        for (target, level) in &read {
            filter = filter.with_target(target, level);
            directives += 1;
        }
    }
    if directives > 0 {
        return filter;
    }
    let level = lambda_level
        .or(rust_log)
        .and_then(|level| LevelFilter::from_str(level).ok())
        .unwrap_or(LevelFilter::INFO);
    Targets::new().with_default(level)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_runtime::tracing::Level;

    #[test]
    fn without_rust_log_directives_the_level_comes_from_lambda_else_info() {
        let enabled = |filter: &Targets, level| filter.would_enable("ses_feedback_logger", &level);
        let lambda_debug = log_filter(Some("DEBUG"), None);
        assert!(enabled(&lambda_debug, Level::DEBUG));
        assert!(!enabled(&lambda_debug, Level::TRACE));
        let default = log_filter(None, None);
        assert!(enabled(&default, Level::INFO));
        assert!(!enabled(&default, Level::DEBUG));
        let unreadable = log_filter(Some("loud"), None);
        assert!(enabled(&unreadable, Level::INFO) && !enabled(&unreadable, Level::DEBUG));
    }

    #[test]
    fn rust_log_directives_win_and_unreadable_ones_are_skipped() {
        let filter = log_filter(
            Some("INFO"),
            Some(
                "warn, ses_feedback_logger::pipeline=debug, x=loud, [{bad=x}]=trace, y[{f}]=trace",
            ),
        );
        assert!(filter.would_enable("ses_feedback_logger::pipeline::plan", &Level::DEBUG));
        assert!(!filter.would_enable("ses_feedback_logger::app", &Level::INFO));
        assert!(filter.would_enable("aws_smithy_runtime", &Level::WARN));
        assert!(
            !filter.would_enable("y", &Level::DEBUG),
            "a field filter is not widened"
        );
        let bare = log_filter(Some("INFO"), Some("error"));
        assert!(!bare.would_enable("ses_feedback_logger", &Level::WARN));
        let only_unreadable = log_filter(Some("DEBUG"), Some("[{x}]"));
        assert!(only_unreadable.would_enable("ses_feedback_logger", &Level::DEBUG));
    }
}
