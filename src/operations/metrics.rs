//! Counts for one invocation, written as CloudWatch Embedded Metric Format (EMF) documents.
//!
//! Pure: [`Metrics`] only counts, and [`Metrics::emf_lines`] returns one JSON document per line for
//! the caller (`App`) to print to stdout (Lambda sends stdout to the function's log group, where CloudWatch
//! Logs extracts the metrics). Nothing here does I/O.
//!
//! Documents, all metrics with unit `Count`:
//! - invocation totals, no dimensions (`"Dimensions": [[]]`): `Records`, `Unrecognized`, `Refused`,
//!   `Duplicates`, `SetupMessages`, `AccountEvents`, `SuppressionsMade`, `SuppressionFailures`,
//!   `WriteFailures` — all nine, zeros included, so alarms and ratios always have a datapoint when the
//!   function ran;
//! - `Events` by `NotificationType`, one document per type;
//! - `Bounces` by `EffectiveBounceType` and, separately, by `Reason` (dimension sets
//!   `[["EffectiveBounceType"], ["Reason"]]`), one document per pair;
//! - `Complaints` by `ComplaintFeedbackType`; `Delays` by `DelayType`;
//! - `SuppressionsMade` and `SuppressionFailures` by `Region`, one document per region suppressed into
//!   (`SUPPRESS_REGIONS`), so a region whose list keeps failing stands out.
//!
//! Dimension values partly come from SES, so from whoever can publish to the topic: each is kept
//! only when it is one of a fixed set of known values, anything else becomes [`OTHER`] and an absent
//! value [`NONE`]. The number of metrics CloudWatch can be made to create is therefore bounded, and
//! no dimension value ever carries text from a message (such as an address). `Region` values come from
//! the configuration, never from a message.

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};

use crate::feedback::reason::Reason;
use crate::feedback::EventType;

/// The dimension value for a value outside the known set.
pub(crate) const OTHER: &str = "Other";
/// The dimension value for an absent value.
pub(crate) const NONE: &str = "None";
/// The `NotificationType` of messages that were not SES feedback.
pub(crate) const UNRECOGNIZED: &str = "Unrecognized";
/// The `NotificationType` of SES account-level EventBridge events (the `AccountEvent` stream).
pub(crate) const ACCOUNT_EVENT: &str = "AccountEvent";

/// EMF: a MetricDirective carries at most 100 MetricDefinitions.
const MAX_METRICS_PER_DIRECTIVE: usize = 100;
/// EMF: a DimensionSet names at most 30 dimension keys.
const MAX_DIMENSIONS_PER_SET: usize = 30;
/// The only unit used; one of CloudWatch's StandardUnit values.
const UNIT: &str = "Count";
/// Longest `Reason` dimension value accepted.
const MAX_REASON_LEN: usize = 32;

const EFFECTIVE_BOUNCE_TYPES: [&str; 3] = ["Permanent", "Transient", "Undetermined"];
/// The ARF feedback types SES reports (RFC 5965 plus `virus`); SES writes them in lowercase.
const COMPLAINT_FEEDBACK_TYPES: [&str; 6] = [
    "abuse",
    "auth-failure",
    "fraud",
    "not-spam",
    "other",
    "virus",
];
const DELAY_TYPES: [&str; 10] = [
    "InternalFailure",
    "General",
    "MailboxFull",
    "SpamDetected",
    "RecipientServerError",
    "IPFailure",
    "TransientCommunicationFailure",
    "BYOIPHostNameLookupUnavailable",
    "Undetermined",
    "SendingDeferral",
];

// Metric names and the dimension keys of the documents.
const RECORDS: &str = "Records";
const UNRECOGNIZED_METRIC: &str = "Unrecognized";
const REFUSED: &str = "Refused";
const DUPLICATES: &str = "Duplicates";
const SETUP_MESSAGES: &str = "SetupMessages";
const ACCOUNT_EVENTS: &str = "AccountEvents";
const SUPPRESSIONS_MADE: &str = "SuppressionsMade";
const SUPPRESSION_FAILURES: &str = "SuppressionFailures";
const WRITE_FAILURES: &str = "WriteFailures";
const EVENTS: &str = "Events";
const BOUNCES: &str = "Bounces";
const COMPLAINTS: &str = "Complaints";
const DELAYS: &str = "Delays";
const NOTIFICATION_TYPE: &str = "NotificationType";
const EFFECTIVE_BOUNCE_TYPE: &str = "EffectiveBounceType";
const REASON: &str = "Reason";
const COMPLAINT_FEEDBACK_TYPE: &str = "ComplaintFeedbackType";
const DELAY_TYPE: &str = "DelayType";
const REGION: &str = "Region";

/// How many metrics the totals document carries.
const TOTALS: usize = 9;
// The limits hold by construction: the largest directive has the nine totals, and the largest
// dimension set one key.
const _: () = assert!(TOTALS <= MAX_METRICS_PER_DIRECTIVE);
const _: () = assert!(1 <= MAX_DIMENSIONS_PER_SET);

/// Counts for one invocation.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Metrics {
    records: u64,
    unrecognized: u64,
    refused: u64,
    duplicates: u64,
    setup_messages: u64,
    account_events: u64,
    suppressions_made: u64,
    suppression_failures: u64,
    write_failures: u64,
    /// By `NotificationType`.
    events: BTreeMap<&'static str, u64>,
    /// By (`EffectiveBounceType`, `Reason`).
    bounces: BTreeMap<(&'static str, &'static str), u64>,
    /// By `ComplaintFeedbackType`.
    complaints: BTreeMap<&'static str, u64>,
    /// By `DelayType`.
    delays: BTreeMap<&'static str, u64>,
    /// (`SuppressionsMade`, `SuppressionFailures`) by `Region`.
    suppressions_by_region: BTreeMap<String, (u64, u64)>,
}

impl Metrics {
    pub fn new() -> Self {
        Self::default()
    }

    /// One SNS record received (`Records`).
    pub fn count_record(&mut self) {
        bump(&mut self.records, 1);
    }

    /// `n` log events of one notification type (`Events` by `NotificationType`): an SES type
    /// (`Bounce`, `Complaint`, …, `Rendering Failure`, `Subscription`), [`UNRECOGNIZED`] or [`ACCOUNT_EVENT`];
    /// anything else counts under [`OTHER`]. `n == 0` counts nothing.
    pub fn count_events(&mut self, notification_type: &str, n: usize) {
        if n == 0 {
            return;
        }
        let key = notification_type_value(notification_type);
        bump(self.events.entry(key).or_default(), to_u64(n));
    }

    /// One bounced recipient (`Bounces` by `EffectiveBounceType` and by `Reason`). `reason` is a
    /// reason name (`userunknown`, `mailboxfull`, …); an unknown one counts under [`OTHER`].
    pub fn count_bounce(&mut self, effective_bounce_type: Option<&str>, reason: &str) {
        let key = (
            known_or_other(effective_bounce_type, &EFFECTIVE_BOUNCE_TYPES),
            reason_value(reason),
        );
        bump(self.bounces.entry(key).or_default(), 1);
    }

    /// One complained recipient (`Complaints` by `ComplaintFeedbackType`).
    pub fn count_complaint(&mut self, feedback_type: Option<&str>) {
        let key = known_or_other(feedback_type, &COMPLAINT_FEEDBACK_TYPES);
        bump(self.complaints.entry(key).or_default(), 1);
    }

    /// One delayed recipient (`Delays` by `DelayType`).
    pub fn count_delay(&mut self, delay_type: Option<&str>) {
        let key = known_or_other(delay_type, &DELAY_TYPES);
        bump(self.delays.entry(key).or_default(), 1);
    }

    /// One message that was not SES feedback (`Unrecognized`).
    pub fn count_unrecognized(&mut self) {
        bump(&mut self.unrecognized, 1);
    }

    /// One record refused by the access policy (`Refused`).
    pub fn count_refused(&mut self) {
        bump(&mut self.refused, 1);
    }

    /// One record already seen (`Duplicates`).
    pub fn count_duplicate(&mut self) {
        bump(&mut self.duplicates, 1);
    }

    /// One message SES sends while being set up (`SetupMessages`).
    pub fn count_setup_message(&mut self) {
        bump(&mut self.setup_messages, 1);
    }

    /// One SES account-level EventBridge event (`AccountEvents`).
    pub fn count_account_event(&mut self) {
        bump(&mut self.account_events, 1);
    }

    /// One address put on the suppression list (`SuppressionsMade`) or not (`SuppressionFailures`).
    pub fn count_suppression(&mut self, ok: bool) {
        if ok {
            bump(&mut self.suppressions_made, 1);
        } else {
            bump(&mut self.suppression_failures, 1);
        }
    }

    /// One suppression into `region`'s list, made or failed (`SuppressionsMade` or `SuppressionFailures`
    /// by `Region`); the totals are [`Metrics::count_suppression`]'s. Allocates the region's name once per
    /// invocation that suppresses into it.
    pub fn count_regional_suppression(&mut self, region: &str, ok: bool) {
        let counts = match self.suppressions_by_region.get_mut(region) {
            Some(counts) => counts,
            None => self
                .suppressions_by_region
                .entry(region.to_owned())
                .or_default(),
        };
        bump(if ok { &mut counts.0 } else { &mut counts.1 }, 1);
    }

    /// (`SuppressionsMade`, `SuppressionFailures`) by region.
    pub fn suppressions_by_region(&self) -> &BTreeMap<String, (u64, u64)> {
        &self.suppressions_by_region
    }

    /// `events` log events not stored by a failed invocation (`WriteFailures`).
    pub fn count_write_failure(&mut self, events: usize) {
        bump(&mut self.write_failures, to_u64(events));
    }

    /// Records received (`Records`), duplicates included.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Log events stored, by notification type (`Events`): the streams written.
    pub fn events(&self) -> &BTreeMap<&'static str, u64> {
        &self.events
    }

    pub fn unrecognized(&self) -> u64 {
        self.unrecognized
    }

    pub fn refused(&self) -> u64 {
        self.refused
    }

    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    pub fn setup_messages(&self) -> u64 {
        self.setup_messages
    }

    pub fn account_events(&self) -> u64 {
        self.account_events
    }

    pub fn suppressions_made(&self) -> u64 {
        self.suppressions_made
    }

    pub fn suppression_failures(&self) -> u64 {
        self.suppression_failures
    }

    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.totals().iter().all(|&(_, value)| value == 0)
            && self.events.is_empty()
            && self.bounces.is_empty()
            && self.complaints.is_empty()
            && self.delays.is_empty()
            && self.suppressions_by_region.is_empty()
    }

    /// EMF documents, one JSON line each; empty when nothing was counted. The totals come first,
    /// then `Events`, `Bounces`, `Complaints`, `Delays` and the suppressions by region, each in dimension-value order.
    ///
    /// `namespace` goes into every document as given (JSON-escaped); check it with
    /// [`is_valid_namespace`] when reading the configuration. `timestamp_ms` is the time of the
    /// metrics in milliseconds since the Unix epoch.
    pub fn emf_lines(&self, namespace: &str, timestamp_ms: i64) -> Vec<String> {
        if self.is_empty() {
            return Vec::new();
        }
        let mut lines = Vec::with_capacity(
            1 + self.events.len()
                + self.bounces.len()
                + self.complaints.len()
                + self.delays.len()
                + self.suppressions_by_region.len(),
        );
        lines.push(document(
            namespace,
            timestamp_ms,
            &[&[]],
            &[],
            &self.totals(),
        ));
        for (&notification_type, &count) in &self.events {
            lines.push(document(
                namespace,
                timestamp_ms,
                &[&[NOTIFICATION_TYPE]],
                &[(NOTIFICATION_TYPE, notification_type)],
                &[(EVENTS, count)],
            ));
        }
        for (&(effective_bounce_type, reason), &count) in &self.bounces {
            lines.push(document(
                namespace,
                timestamp_ms,
                &[&[EFFECTIVE_BOUNCE_TYPE], &[REASON]],
                &[
                    (EFFECTIVE_BOUNCE_TYPE, effective_bounce_type),
                    (REASON, reason),
                ],
                &[(BOUNCES, count)],
            ));
        }
        for (&feedback_type, &count) in &self.complaints {
            lines.push(document(
                namespace,
                timestamp_ms,
                &[&[COMPLAINT_FEEDBACK_TYPE]],
                &[(COMPLAINT_FEEDBACK_TYPE, feedback_type)],
                &[(COMPLAINTS, count)],
            ));
        }
        for (&delay_type, &count) in &self.delays {
            lines.push(document(
                namespace,
                timestamp_ms,
                &[&[DELAY_TYPE]],
                &[(DELAY_TYPE, delay_type)],
                &[(DELAYS, count)],
            ));
        }
        for (region, &(made, failed)) in &self.suppressions_by_region {
            lines.push(document(
                namespace,
                timestamp_ms,
                &[&[REGION]],
                &[(REGION, region)],
                &[(SUPPRESSIONS_MADE, made), (SUPPRESSION_FAILURES, failed)],
            ));
        }
        lines
    }

    fn totals(&self) -> [(&'static str, u64); TOTALS] {
        [
            (RECORDS, self.records),
            (UNRECOGNIZED_METRIC, self.unrecognized),
            (REFUSED, self.refused),
            (DUPLICATES, self.duplicates),
            (SETUP_MESSAGES, self.setup_messages),
            (ACCOUNT_EVENTS, self.account_events),
            (SUPPRESSIONS_MADE, self.suppressions_made),
            (SUPPRESSION_FAILURES, self.suppression_failures),
            (WRITE_FAILURES, self.write_failures),
        ]
    }
}

/// Whether `namespace` is a CloudWatch namespace a function may publish to: 1–255 characters from
/// `0-9A-Za-z . - _ / # :` and space, at least one not a space, not starting with `:`, and not in the
/// `AWS/` namespaces reserved for AWS services.
pub fn is_valid_namespace(namespace: &str) -> bool {
    (1..=255).contains(&namespace.len())
        && namespace
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-_/#: ".contains(&b))
        && namespace.bytes().any(|b| b != b' ')
        && !namespace.starts_with(':')
        && !namespace.starts_with("AWS/")
}

/// One EMF document with a single MetricDirective: `dimension_sets` name keys of `dimensions`,
/// each metric is a `Count` whose value is a top-level member.
///
/// Serialized straight into the line: building a `serde_json::Value` first cost about a tenth of a
/// warm invocation's instructions (docs/performance.md).
fn document(
    namespace: &str,
    timestamp_ms: i64,
    dimension_sets: &[&[&str]],
    dimensions: &[(&str, &str)],
    metrics: &[(&str, u64)],
) -> String {
    debug_assert!(!metrics.is_empty() && metrics.len() <= MAX_METRICS_PER_DIRECTIVE);
    debug_assert!(dimension_sets
        .iter()
        .all(|set| set.len() <= MAX_DIMENSIONS_PER_SET
            && set
                .iter()
                .all(|key| dimensions.iter().any(|(k, _)| k == key))));
    let document = Document {
        aws: Metadata {
            timestamp: timestamp_ms,
            cloud_watch_metrics: [Directive {
                namespace,
                dimensions: dimension_sets,
                metrics: metrics
                    .iter()
                    .map(|&(name, _)| MetricDefinition { name, unit: UNIT })
                    .collect(),
            }],
        },
        dimensions: Members(dimensions),
        metrics: Members(metrics),
    };
    // Cannot fail: every key is a string and every value a string or a number.
    serde_json::to_string(&document).expect("an EMF document serializes")
}

/// An EMF document: the metadata under `_aws`, then the dimension values and the metric values as
/// top-level members.
#[derive(Serialize)]
struct Document<'a> {
    #[serde(rename = "_aws")]
    aws: Metadata<'a>,
    #[serde(flatten)]
    dimensions: Members<'a, &'a str>,
    #[serde(flatten)]
    metrics: Members<'a, u64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Metadata<'a> {
    timestamp: i64,
    cloud_watch_metrics: [Directive<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Directive<'a> {
    namespace: &'a str,
    dimensions: &'a [&'a [&'a str]],
    metrics: Vec<MetricDefinition<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct MetricDefinition<'a> {
    name: &'a str,
    unit: &'static str,
}

/// Name–value pairs written as members of an object, in order.
struct Members<'a, V>(&'a [(&'a str, V)]);

impl<V: Serialize> Serialize for Members<'_, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(name, value)| (name, value)))
    }
}

fn bump(counter: &mut u64, n: u64) {
    *counter = counter.saturating_add(n);
}

fn to_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// `value` when it is one of `known` (exact match), [`OTHER`] otherwise, [`NONE`] when absent.
fn known_or_other(value: Option<&str>, known: &[&'static str]) -> &'static str {
    match value {
        None => NONE,
        Some(value) => known
            .iter()
            .copied()
            .find(|&candidate| candidate == value)
            .unwrap_or(OTHER),
    }
}

fn notification_type_value(notification_type: &str) -> &'static str {
    if notification_type == UNRECOGNIZED {
        return UNRECOGNIZED;
    }
    if notification_type == ACCOUNT_EVENT {
        return ACCOUNT_EVENT;
    }
    EventType::from_name(notification_type).map_or(OTHER, EventType::name)
}

/// A reason name of the fixed vocabulary (`[a-z]{1,32}` and one of [`Reason::ALL`]), or [`OTHER`].
fn reason_value(reason: &str) -> &'static str {
    let well_formed = (1..=MAX_REASON_LEN).contains(&reason.len())
        && reason.bytes().all(|b| b.is_ascii_lowercase());
    if !well_formed {
        return OTHER;
    }
    Reason::ALL
        .iter()
        .map(|known| known.as_str())
        .find(|&name| name == reason)
        .unwrap_or(OTHER)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn parse(line: &str) -> Value {
        serde_json::from_str(line).expect("each line is one JSON document")
    }

    #[test]
    fn nothing_counted_nothing_emitted() {
        let metrics = Metrics::new();
        assert!(metrics.is_empty());
        assert!(metrics.emf_lines("SesFeedback", 1).is_empty());
    }

    #[test]
    fn zero_sized_counts_count_nothing() {
        let mut metrics = Metrics::new();
        metrics.count_events("Bounce", 0);
        metrics.count_write_failure(0);
        assert!(metrics.is_empty());
        assert!(metrics.emf_lines("SesFeedback", 1).is_empty());
    }

    #[test]
    fn totals_carry_all_nine_metrics_with_zeros() {
        let mut metrics = Metrics::new();
        metrics.count_record();
        let lines = metrics.emf_lines("SesFeedback", 1_700_000_000_000);
        assert_eq!(lines.len(), 1);
        let doc = parse(&lines[0]);
        assert_eq!(doc["Records"], 1);
        for name in [
            "Unrecognized",
            "Refused",
            "Duplicates",
            "SetupMessages",
            "AccountEvents",
            "SuppressionsMade",
            "SuppressionFailures",
            "WriteFailures",
        ] {
            assert_eq!(doc[name], 0, "{name}");
        }
        let directive = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Dimensions"], json!([[]]));
        assert_eq!(directive["Metrics"].as_array().map(Vec::len), Some(TOTALS));
        assert_eq!(doc["_aws"]["Timestamp"], 1_700_000_000_000_i64);
    }

    #[test]
    fn suppressions_are_counted_per_region_in_a_document_each() {
        let mut metrics = Metrics::new();
        metrics.count_regional_suppression("us-east-1", true);
        metrics.count_regional_suppression("eu-west-1", true);
        metrics.count_regional_suppression("eu-west-1", false);
        metrics.count_regional_suppression("eu-west-1", false);
        assert!(!metrics.is_empty());
        let lines = metrics.emf_lines("SesFeedback", 1);
        let regional: Vec<Value> = lines.iter().map(|l| parse(l)).skip(1).collect();
        assert_eq!(regional.len(), 2, "{lines:?}");
        assert_eq!(
            (
                &regional[0]["Region"],
                &regional[0]["SuppressionsMade"],
                &regional[0]["SuppressionFailures"]
            ),
            (&json!("eu-west-1"), &json!(1), &json!(2))
        );
        assert_eq!(
            (&regional[1]["Region"], &regional[1]["SuppressionsMade"]),
            (&json!("us-east-1"), &json!(1))
        );
        let directive = &regional[1]["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Dimensions"], json!([["Region"]]));
    }

    #[test]
    fn known_values_are_kept_and_others_collapse() {
        assert_eq!(
            known_or_other(Some("Permanent"), &EFFECTIVE_BOUNCE_TYPES),
            "Permanent"
        );
        assert_eq!(
            known_or_other(Some("permanent"), &EFFECTIVE_BOUNCE_TYPES),
            OTHER
        );
        assert_eq!(known_or_other(None, &EFFECTIVE_BOUNCE_TYPES), NONE);
        assert_eq!(
            known_or_other(Some("not-spam"), &COMPLAINT_FEEDBACK_TYPES),
            "not-spam"
        );
        assert_eq!(
            known_or_other(Some("MailboxFull"), &DELAY_TYPES),
            "MailboxFull"
        );
        assert_eq!(
            notification_type_value("Rendering Failure"),
            "Rendering Failure"
        );
        assert_eq!(notification_type_value("Unrecognized"), UNRECOGNIZED);
        assert_eq!(notification_type_value("AccountEvent"), ACCOUNT_EVENT);
        assert_eq!(notification_type_value("bounce"), OTHER);
        assert_eq!(reason_value("userunknown"), "userunknown");
        assert_eq!(reason_value("UserUnknown"), OTHER);
        assert_eq!(reason_value(""), OTHER);
        assert_eq!(reason_value("zzzzzz"), OTHER);
        assert_eq!(reason_value(&"a".repeat(33)), OTHER);
    }

    #[test]
    fn every_reason_name_is_a_dimension_value() {
        for reason in Reason::ALL {
            assert_eq!(reason_value(reason.as_str()), reason.as_str());
        }
    }

    #[test]
    fn every_ses_type_is_a_notification_type() {
        for kind in EventType::ALL {
            assert_eq!(notification_type_value(kind.name()), kind.name());
        }
    }

    #[test]
    fn counts_saturate() {
        let mut metrics = Metrics::new();
        metrics.count_write_failure(usize::MAX);
        metrics.count_write_failure(usize::MAX);
        metrics.count_events("Send", usize::MAX);
        metrics.count_events("Send", usize::MAX);
        let lines = metrics.emf_lines("SesFeedback", 0);
        assert_eq!(parse(&lines[0])["WriteFailures"], u64::MAX);
        assert_eq!(parse(&lines[1])["Events"], u64::MAX);
    }

    #[test]
    fn namespaces() {
        for good in [
            "SesFeedback",
            "ses-feedback/prod",
            "My App #1",
            "a:b",
            "_x.y",
        ] {
            assert!(is_valid_namespace(good), "{good}");
        }
        let long = "n".repeat(256);
        for bad in [
            "",
            " ",
            ":lead",
            "AWS/SES",
            "quote\"",
            "ctl\n",
            "é",
            long.as_str(),
        ] {
            assert!(!is_valid_namespace(bad), "{bad:?}");
        }
        assert!(is_valid_namespace(&"n".repeat(255)));
    }
}
