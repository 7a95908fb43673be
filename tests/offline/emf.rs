//! The metrics' EMF lines, checked against the CloudWatch embedded metric format specification
//! with a validator written here, independently of `src/operations/metrics.rs`.
//!
//! Rules checked (AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification):
//! - the log event is one JSON object, nothing before or after it;
//! - `_aws` is an object with an integer `Timestamp` (epoch milliseconds) and a non-empty array
//!   `CloudWatchMetrics` of MetricDirectives;
//! - a MetricDirective has `Namespace` (1–255 characters, CloudWatch's namespace limit, no leading
//!   colon), `Dimensions` (a non-empty array of DimensionSets, each an array of at most 30 keys, each
//!   key naming a top-level member whose value is a string of 1–1024 characters) and `Metrics`
//!   (1–100 MetricDefinitions);
//! - a MetricDefinition has a `Name` (1–1024 characters) naming a top-level member that is a number
//!   or an array of at most 100 numbers, and a `Unit` from CloudWatch's StandardUnit list;
//!   `StorageResolution`, if present, is 1 or 60; no other members.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};
use ses_feedback_logger::operations::metrics::{is_valid_namespace, Metrics};

const NAMESPACE: &str = "SesFeedback";
const TIMESTAMP: i64 = 1_717_171_717_171;

/// CloudWatch's StandardUnit values (MetricDatum), as the specification's JSON schema lists them.
const STANDARD_UNITS: [&str; 27] = [
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

/// One extracted datapoint: namespace, metric name, dimensions (name → value), value.
type Datapoint = (String, String, BTreeMap<String, String>, f64);

/// Checks one line against the specification; returns the datapoints CloudWatch would extract.
fn validate(line: &str) -> Result<Vec<Datapoint>, String> {
    if line.contains('\n') || line.contains('\r') {
        return Err("a line break inside the line".into());
    }
    if line.trim() != line {
        return Err("data before or after the JSON object".into());
    }
    let root: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let root = root.as_object().ok_or("the root is not an object")?;
    let aws = root
        .get("_aws")
        .and_then(Value::as_object)
        .ok_or("no _aws object")?;
    only_members(
        aws,
        &["Timestamp", "CloudWatchMetrics", "LogGroupName"],
        "_aws",
    )?;
    let timestamp = aws.get("Timestamp").ok_or("no _aws.Timestamp")?;
    if !(timestamp.is_i64() || timestamp.is_u64()) {
        return Err(format!("_aws.Timestamp is not an integer: {timestamp}"));
    }
    let directives = aws
        .get("CloudWatchMetrics")
        .and_then(Value::as_array)
        .ok_or("_aws.CloudWatchMetrics is not an array")?;
    if directives.is_empty() {
        return Err("_aws.CloudWatchMetrics is empty".into());
    }
    let mut datapoints = Vec::new();
    for directive in directives {
        let directive = directive
            .as_object()
            .ok_or("a directive is not an object")?;
        only_members(
            directive,
            &["Namespace", "Dimensions", "Metrics"],
            "directive",
        )?;
        let namespace = directive
            .get("Namespace")
            .and_then(Value::as_str)
            .ok_or("no Namespace string")?;
        let namespace_len = namespace.chars().count();
        if !(1..=255).contains(&namespace_len) || namespace.starts_with(':') {
            return Err(format!("bad Namespace {namespace:?}"));
        }
        let sets = directive
            .get("Dimensions")
            .and_then(Value::as_array)
            .ok_or("Dimensions is not an array")?;
        if sets.is_empty() {
            return Err("Dimensions is empty".into());
        }
        let mut dimension_sets = Vec::new();
        for set in sets {
            let set = set.as_array().ok_or("a DimensionSet is not an array")?;
            if set.len() > 30 {
                return Err(format!("a DimensionSet has {} keys", set.len()));
            }
            let mut dimensions = BTreeMap::new();
            for key in set {
                let key = key.as_str().ok_or("a dimension key is not a string")?;
                if !(1..=250).contains(&key.chars().count()) {
                    return Err(format!("bad dimension key {key:?}"));
                }
                let value = root
                    .get(key)
                    .ok_or(format!("dimension {key:?} is not a top-level member"))?
                    .as_str()
                    .ok_or(format!("dimension {key:?} is not a string"))?;
                if !(1..=1024).contains(&value.chars().count()) {
                    return Err(format!("dimension {key:?} has a bad value {value:?}"));
                }
                if !value.is_ascii() || value.chars().any(|c| c.is_ascii_control()) {
                    return Err(format!(
                        "dimension {key:?} value {value:?} is not printable ASCII"
                    ));
                }
                dimensions.insert(key.to_owned(), value.to_owned());
            }
            dimension_sets.push(dimensions);
        }
        let definitions = directive
            .get("Metrics")
            .and_then(Value::as_array)
            .ok_or("Metrics is not an array")?;
        if definitions.is_empty() || definitions.len() > 100 {
            return Err(format!("{} MetricDefinitions", definitions.len()));
        }
        for definition in definitions {
            let definition = definition
                .as_object()
                .ok_or("a MetricDefinition is not an object")?;
            only_members(
                definition,
                &["Name", "Unit", "StorageResolution"],
                "definition",
            )?;
            let name = definition
                .get("Name")
                .and_then(Value::as_str)
                .ok_or("a MetricDefinition has no Name")?;
            if !(1..=1024).contains(&name.chars().count()) {
                return Err(format!("bad metric name {name:?}"));
            }
            if let Some(unit) = definition.get("Unit") {
                let unit = unit.as_str().ok_or("Unit is not a string")?;
                if !STANDARD_UNITS.contains(&unit) {
                    return Err(format!("{unit:?} is not a StandardUnit"));
                }
            }
            if let Some(resolution) = definition.get("StorageResolution") {
                if resolution.as_i64() != Some(1) && resolution.as_i64() != Some(60) {
                    return Err(format!("bad StorageResolution {resolution}"));
                }
            }
            let target = root
                .get(name)
                .ok_or(format!("metric {name:?} is not a top-level member"))?;
            let values: Vec<f64> = match target {
                Value::Number(number) => vec![number.as_f64().ok_or("not a finite number")?],
                Value::Array(items) if !items.is_empty() && items.len() <= 100 => items
                    .iter()
                    .map(|item| item.as_f64().ok_or(format!("{name:?} has a non-number")))
                    .collect::<Result<_, _>>()?,
                other => {
                    return Err(format!(
                        "metric {name:?} is neither a number nor ≤ 100 numbers: {other}"
                    ))
                }
            };
            for dimensions in &dimension_sets {
                for &value in &values {
                    datapoints.push((
                        namespace.to_owned(),
                        name.to_owned(),
                        dimensions.clone(),
                        value,
                    ));
                }
            }
        }
    }
    Ok(datapoints)
}

fn only_members(object: &Map<String, Value>, allowed: &[&str], what: &str) -> Result<(), String> {
    match object.keys().find(|key| !allowed.contains(&key.as_str())) {
        Some(key) => Err(format!("{what} has an unexpected member {key:?}")),
        None => Ok(()),
    }
}

/// Validates every line (panicking with the line on failure) and returns all datapoints.
fn datapoints(metrics: &Metrics) -> Vec<Datapoint> {
    let lines = metrics.emf_lines(NAMESPACE, TIMESTAMP);
    let mut all = Vec::new();
    for line in &lines {
        match validate(line) {
            Ok(points) => all.extend(points),
            Err(problem) => panic!("invalid EMF ({problem}): {line}"),
        }
        let doc: Value = serde_json::from_str(line).expect("validated");
        assert_eq!(doc["_aws"]["Timestamp"], TIMESTAMP);
    }
    all
}

/// The summed value of `metric` under exactly `dimensions`.
fn sum(points: &[Datapoint], metric: &str, dimensions: &[(&str, &str)]) -> f64 {
    let wanted: BTreeMap<String, String> = dimensions
        .iter()
        .map(|&(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    points
        .iter()
        .filter(|(_, name, dims, _)| name == metric && *dims == wanted)
        .map(|(_, _, _, value)| value)
        .sum()
}

/// Every dimension value that occurs for `key`.
fn values_of(points: &[Datapoint], key: &str) -> BTreeSet<String> {
    points
        .iter()
        .filter_map(|(_, _, dims, _)| dims.get(key).cloned())
        .collect()
}

/// A realistic invocation: several records of every kind.
fn busy_invocation() -> Metrics {
    let mut m = Metrics::new();
    for _ in 0..7 {
        m.count_record();
    }
    m.count_events("Bounce", 3);
    m.count_events("Complaint", 1);
    m.count_events("DeliveryDelay", 2);
    m.count_events("Delivery", 5);
    m.count_events("Rendering Failure", 1);
    m.count_events("Unrecognized", 1);
    m.count_bounce(Some("Permanent"), "userunknown");
    m.count_bounce(Some("Permanent"), "userunknown");
    m.count_bounce(Some("Transient"), "mailboxfull");
    m.count_complaint(Some("abuse"));
    m.count_complaint(None);
    m.count_delay(Some("MailboxFull"));
    m.count_delay(Some("TransientCommunicationFailure"));
    m.count_unrecognized();
    m.count_refused();
    m.count_duplicate();
    m.count_setup_message();
    m.count_suppression(true);
    m.count_suppression(true);
    m.count_suppression(false);
    m
}

#[test]
fn the_validator_rejects_what_the_specification_forbids() {
    let valid = r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[["D"]],"Metrics":[{"Name":"M","Unit":"Count"}]}]},"D":"x","M":1}"#;
    assert!(validate(valid).is_ok(), "{:?}", validate(valid));
    let invalid = [
        // no _aws, no timestamp, timestamp not an integer
        r#"{"M":1}"#,
        r#"{"_aws":{"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],"Metrics":[{"Name":"M"}]}]},"M":1}"#,
        r#"{"_aws":{"Timestamp":"1","CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],"Metrics":[{"Name":"M"}]}]},"M":1}"#,
        r#"{"_aws":{"Timestamp":1.5,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],"Metrics":[{"Name":"M"}]}]},"M":1}"#,
        // empty directives, empty namespace, colon namespace
        r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[]},"M":1}"#,
        r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"","Dimensions":[[]],"Metrics":[{"Name":"M"}]}]},"M":1}"#,
        r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":":N","Dimensions":[[]],"Metrics":[{"Name":"M"}]}]},"M":1}"#,
        // dimension not a top-level string
        r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[["D"]],"Metrics":[{"Name":"M"}]}]},"M":1}"#,
        r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[["D"]],"Metrics":[{"Name":"M"}]}]},"D":3,"M":1}"#,
        // Dimensions not an array of arrays
        r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":["D"],"Metrics":[{"Name":"M"}]}]},"D":"x","M":1}"#,
        // metric missing, a string, a too long array; no metrics; unknown unit
        r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],"Metrics":[{"Name":"M"}]}]}}"#,
        r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],"Metrics":[{"Name":"M"}]}]},"M":"1"}"#,
        r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],"Metrics":[]}]}}"#,
        r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],"Metrics":[{"Name":"M","Unit":"Counts"}]}]},"M":1}"#,
        // text around the object
        r#"INFO {"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],"Metrics":[{"Name":"M"}]}]},"M":1}"#,
    ];
    for line in invalid {
        assert!(validate(line).is_err(), "accepted: {line}");
    }
    // 31 dimension keys, 101 metrics, an array of 101 values
    let keys: Vec<String> = (0..31).map(|i| format!("D{i}")).collect();
    let mut doc = serde_json::json!({"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[keys],"Metrics":[{"Name":"M"}]}]},"M":1});
    for key in &keys {
        doc[key] = Value::from("x");
    }
    assert!(validate(&doc.to_string()).is_err());
    let definitions: Vec<Value> = (0..101)
        .map(|i| serde_json::json!({"Name": format!("M{i}")}))
        .collect();
    let mut doc = serde_json::json!({"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],"Metrics":definitions}]}});
    for i in 0..101 {
        doc[format!("M{i}")] = Value::from(1);
    }
    assert!(validate(&doc.to_string()).is_err());
    let doc = serde_json::json!({"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],"Metrics":[{"Name":"M"}]}]},"M":vec![1; 101]});
    assert!(validate(&doc.to_string()).is_err());
}

#[test]
fn every_line_of_a_busy_invocation_is_valid_emf() {
    let metrics = busy_invocation();
    let lines = metrics.emf_lines(NAMESPACE, TIMESTAMP);
    // totals + 6 types + 2 bounce pairs + 2 complaint types + 2 delay types
    assert_eq!(lines.len(), 1 + 6 + 2 + 2 + 2);
    for line in &lines {
        if let Err(problem) = validate(line) {
            panic!("invalid EMF ({problem}): {line}");
        }
        let doc: Value = serde_json::from_str(line).expect("validated");
        for directive in doc["_aws"]["CloudWatchMetrics"]
            .as_array()
            .expect("validated")
        {
            assert_eq!(directive["Namespace"], NAMESPACE);
            assert!(directive["Metrics"].as_array().expect("validated").len() <= 100);
            for set in directive["Dimensions"].as_array().expect("validated") {
                assert!(set.as_array().expect("validated").len() <= 30);
            }
            for definition in directive["Metrics"].as_array().expect("validated") {
                assert_eq!(definition["Unit"], "Count");
            }
        }
    }
}

#[test]
fn totals_add_up_without_dimensions() {
    let points = datapoints(&busy_invocation());
    let none: &[(&str, &str)] = &[];
    assert_eq!(sum(&points, "Records", none), 7.0);
    assert_eq!(sum(&points, "Unrecognized", none), 1.0);
    assert_eq!(sum(&points, "Refused", none), 1.0);
    assert_eq!(sum(&points, "Duplicates", none), 1.0);
    assert_eq!(sum(&points, "SetupMessages", none), 1.0);
    assert_eq!(sum(&points, "AccountEvents", none), 0.0);
    assert_eq!(sum(&points, "SuppressionsMade", none), 2.0);
    assert_eq!(sum(&points, "SuppressionFailures", none), 1.0);
    // counted as zero rather than left out, so alarms and ratios have a datapoint
    assert_eq!(sum(&points, "WriteFailures", none), 0.0);
    let totals: Vec<_> = points
        .iter()
        .filter(|(_, _, dims, _)| dims.is_empty())
        .collect();
    assert_eq!(totals.len(), 9);
}

#[test]
fn events_add_up_per_notification_type() {
    let mut metrics = busy_invocation();
    metrics.count_events("Bounce", 4);
    let points = datapoints(&metrics);
    assert_eq!(
        sum(&points, "Events", &[("NotificationType", "Bounce")]),
        7.0
    );
    assert_eq!(
        sum(&points, "Events", &[("NotificationType", "Delivery")]),
        5.0
    );
    assert_eq!(
        sum(
            &points,
            "Events",
            &[("NotificationType", "Rendering Failure")]
        ),
        1.0
    );
    assert_eq!(
        sum(&points, "Events", &[("NotificationType", "Unrecognized")]),
        1.0
    );
    assert_eq!(sum(&points, "Events", &[("NotificationType", "Send")]), 0.0);
}

#[test]
fn bounces_add_up_by_effective_bounce_type_and_by_reason() {
    let mut metrics = Metrics::new();
    metrics.count_bounce(Some("Permanent"), "userunknown");
    metrics.count_bounce(Some("Permanent"), "userunknown");
    metrics.count_bounce(Some("Transient"), "mailboxfull");
    let lines = metrics.emf_lines(NAMESPACE, TIMESTAMP);
    // totals (all zero: no record counted) and one document per (type, reason) pair
    assert_eq!(lines.len(), 3);
    let points = datapoints(&metrics);
    assert_eq!(
        sum(&points, "Bounces", &[("EffectiveBounceType", "Permanent")]),
        2.0
    );
    assert_eq!(
        sum(&points, "Bounces", &[("EffectiveBounceType", "Transient")]),
        1.0
    );
    assert_eq!(sum(&points, "Bounces", &[("Reason", "userunknown")]), 2.0);
    assert_eq!(sum(&points, "Bounces", &[("Reason", "mailboxfull")]), 1.0);
    // each pair is published once per dimension set, never under both keys together
    assert_eq!(
        sum(
            &points,
            "Bounces",
            &[
                ("EffectiveBounceType", "Permanent"),
                ("Reason", "userunknown")
            ]
        ),
        0.0
    );
    let bounce_points = points
        .iter()
        .filter(|(_, name, _, _)| name == "Bounces")
        .count();
    assert_eq!(bounce_points, 4);
}

#[test]
fn the_same_type_with_different_reasons_sums_per_type() {
    let mut metrics = Metrics::new();
    metrics.count_bounce(Some("Transient"), "mailboxfull");
    metrics.count_bounce(Some("Transient"), "blocked");
    metrics.count_bounce(Some("Transient"), "blocked");
    metrics.count_bounce(None, "undefined");
    let points = datapoints(&metrics);
    assert_eq!(
        sum(&points, "Bounces", &[("EffectiveBounceType", "Transient")]),
        3.0
    );
    assert_eq!(
        sum(&points, "Bounces", &[("EffectiveBounceType", "None")]),
        1.0
    );
    assert_eq!(sum(&points, "Bounces", &[("Reason", "blocked")]), 2.0);
    assert_eq!(sum(&points, "Bounces", &[("Reason", "undefined")]), 1.0);
}

#[test]
fn complaints_and_delays_add_up() {
    let mut metrics = Metrics::new();
    for feedback in [Some("abuse"), Some("abuse"), Some("not-spam"), None] {
        metrics.count_complaint(feedback);
    }
    for delay in [
        Some("MailboxFull"),
        Some("IPFailure"),
        Some("MailboxFull"),
        None,
    ] {
        metrics.count_delay(delay);
    }
    let points = datapoints(&metrics);
    assert_eq!(
        sum(&points, "Complaints", &[("ComplaintFeedbackType", "abuse")]),
        2.0
    );
    assert_eq!(
        sum(
            &points,
            "Complaints",
            &[("ComplaintFeedbackType", "not-spam")]
        ),
        1.0
    );
    assert_eq!(
        sum(&points, "Complaints", &[("ComplaintFeedbackType", "None")]),
        1.0
    );
    assert_eq!(sum(&points, "Delays", &[("DelayType", "MailboxFull")]), 2.0);
    assert_eq!(sum(&points, "Delays", &[("DelayType", "IPFailure")]), 1.0);
    assert_eq!(sum(&points, "Delays", &[("DelayType", "None")]), 1.0);
}

#[test]
fn every_known_value_passes_through() {
    let mut metrics = Metrics::new();
    let types = [
        "Bounce",
        "Complaint",
        "Delivery",
        "Send",
        "Reject",
        "Open",
        "Click",
        "Rendering Failure",
        "DeliveryDelay",
        "Subscription",
        "Unrecognized",
    ];
    for kind in types {
        metrics.count_events(kind, 1);
    }
    for bounce_type in ["Permanent", "Transient", "Undetermined"] {
        metrics.count_bounce(Some(bounce_type), "undefined");
    }
    let feedback_types = [
        "abuse",
        "auth-failure",
        "fraud",
        "not-spam",
        "other",
        "virus",
    ];
    for feedback in feedback_types {
        metrics.count_complaint(Some(feedback));
    }
    let delay_types = [
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
    for delay in delay_types {
        metrics.count_delay(Some(delay));
    }
    let points = datapoints(&metrics);
    let set = |values: &[&str]| {
        values
            .iter()
            .map(|v| v.to_string())
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(values_of(&points, "NotificationType"), set(&types));
    assert_eq!(
        values_of(&points, "EffectiveBounceType"),
        set(&["Permanent", "Transient", "Undetermined"])
    );
    assert_eq!(
        values_of(&points, "ComplaintFeedbackType"),
        set(&feedback_types)
    );
    assert_eq!(values_of(&points, "DelayType"), set(&delay_types));
}

#[test]
fn every_reason_of_the_vocabulary_is_kept() {
    let reasons = [
        "userunknown",
        "hostunknown",
        "hasmoved",
        "notaccept",
        "mailboxfull",
        "mesgtoobig",
        "blocked",
        "spamdetected",
        "policyviolation",
        "securityerror",
        "authfailure",
        "expired",
        "suspend",
        "filtered",
        "rejected",
        "systemerror",
        "networkerror",
        "toomanyconn",
        "contenterror",
        "virusdetected",
        "vacation",
        "undefined",
    ];
    let mut metrics = Metrics::new();
    for reason in reasons {
        metrics.count_bounce(Some("Permanent"), reason);
    }
    let points = datapoints(&metrics);
    let expected: BTreeSet<String> = reasons.iter().map(|r| r.to_string()).collect();
    assert_eq!(values_of(&points, "Reason"), expected);
}

#[test]
fn unknown_and_hostile_values_collapse_to_other() {
    let hostile = [
        "Permanent ",
        "permanent",
        "PERMANENT",
        "",
        "Transient\n{\"_aws\":1}",
        "victim@example.com",
        "\u{202e}Permanent",
        "\"},\"Records\":999,\"x\":{\"",
        "../../etc/passwd",
    ];
    let mut metrics = Metrics::new();
    for value in hostile {
        metrics.count_events(value, 1);
        metrics.count_bounce(Some(value), value);
        metrics.count_complaint(Some(value));
        metrics.count_delay(Some(value));
    }
    // reasons that look right but are not in the vocabulary, or are too long
    metrics.count_bounce(Some("Permanent"), "userunknownx");
    metrics.count_bounce(Some("Permanent"), &"a".repeat(33));
    metrics.count_bounce(Some("Permanent"), "UserUnknown");
    metrics.count_bounce(Some("Permanent"), "user unknown");
    metrics.count_complaint(Some("Abuse"));
    metrics.count_delay(Some("mailboxfull"));
    let points = datapoints(&metrics);
    let other: BTreeSet<String> = ["Other".to_string()].into();
    assert_eq!(values_of(&points, "NotificationType"), other);
    assert_eq!(values_of(&points, "ComplaintFeedbackType"), other);
    assert_eq!(values_of(&points, "DelayType"), other);
    assert_eq!(
        values_of(&points, "EffectiveBounceType"),
        ["Other".to_string(), "Permanent".to_string()].into()
    );
    assert_eq!(values_of(&points, "Reason"), other);
    let n = hostile.len() as f64;
    assert_eq!(sum(&points, "Events", &[("NotificationType", "Other")]), n);
    assert_eq!(sum(&points, "Bounces", &[("Reason", "Other")]), n + 4.0);
    assert_eq!(
        sum(&points, "Complaints", &[("ComplaintFeedbackType", "Other")]),
        n + 1.0
    );
    assert_eq!(sum(&points, "Delays", &[("DelayType", "Other")]), n + 1.0);
    // the injected "Records" never reaches the totals
    assert_eq!(sum(&points, "Records", &[]), 0.0);
}

#[test]
fn cardinality_is_bounded_whatever_the_input() {
    let mut metrics = Metrics::new();
    for i in 0..5_000 {
        let junk = format!("value{i}");
        metrics.count_events(&junk, 1);
        metrics.count_bounce(Some(&junk), &junk);
        metrics.count_complaint(Some(&junk));
        metrics.count_delay(Some(&junk));
    }
    let lines = metrics.emf_lines(NAMESPACE, TIMESTAMP);
    // totals, Events/Other, Bounces/(Other, Other), Complaints/Other, Delays/Other
    assert_eq!(lines.len(), 5);
    let points = datapoints(&metrics);
    assert_eq!(
        sum(&points, "Events", &[("NotificationType", "Other")]),
        5000.0
    );
}

#[test]
fn nothing_is_emitted_when_nothing_was_counted() {
    assert!(Metrics::new().emf_lines(NAMESPACE, TIMESTAMP).is_empty());
    assert!(Metrics::default().is_empty());
    let mut metrics = Metrics::new();
    metrics.count_events("Bounce", 0);
    metrics.count_write_failure(0);
    assert!(metrics.emf_lines(NAMESPACE, TIMESTAMP).is_empty());
}

#[test]
fn a_single_count_emits_the_totals() {
    for count in [
        Metrics::count_record as fn(&mut Metrics),
        Metrics::count_unrecognized,
        Metrics::count_refused,
        Metrics::count_duplicate,
        Metrics::count_setup_message,
    ] {
        let mut metrics = Metrics::new();
        count(&mut metrics);
        let lines = metrics.emf_lines(NAMESPACE, TIMESTAMP);
        assert_eq!(lines.len(), 1);
        let points = datapoints(&metrics);
        assert_eq!(points.iter().map(|p| p.3).sum::<f64>(), 1.0);
    }
    let mut metrics = Metrics::new();
    metrics.count_write_failure(12);
    assert_eq!(sum(&datapoints(&metrics), "WriteFailures", &[]), 12.0);
}

#[test]
fn write_failures_accumulate() {
    let mut metrics = Metrics::new();
    metrics.count_write_failure(3);
    metrics.count_write_failure(4);
    assert_eq!(sum(&datapoints(&metrics), "WriteFailures", &[]), 7.0);
}

#[test]
fn output_is_deterministic() {
    let first = busy_invocation().emf_lines(NAMESPACE, TIMESTAMP);
    // the same counts in another order
    let mut m = Metrics::new();
    m.count_suppression(false);
    m.count_delay(Some("TransientCommunicationFailure"));
    m.count_bounce(Some("Transient"), "mailboxfull");
    m.count_complaint(None);
    m.count_events("Unrecognized", 1);
    m.count_events("Rendering Failure", 1);
    m.count_events("Delivery", 5);
    m.count_events("DeliveryDelay", 2);
    m.count_events("Complaint", 1);
    m.count_events("Bounce", 3);
    m.count_bounce(Some("Permanent"), "userunknown");
    m.count_bounce(Some("Permanent"), "userunknown");
    m.count_complaint(Some("abuse"));
    m.count_delay(Some("MailboxFull"));
    m.count_setup_message();
    m.count_duplicate();
    m.count_refused();
    m.count_unrecognized();
    m.count_suppression(true);
    m.count_suppression(true);
    for _ in 0..7 {
        m.count_record();
    }
    assert_eq!(m.emf_lines(NAMESPACE, TIMESTAMP), first);
    assert_eq!(busy_invocation().emf_lines(NAMESPACE, TIMESTAMP), first);
    // the totals first, then Events, Bounces, Complaints, Delays
    let kinds: Vec<String> = first
        .iter()
        .map(|line| {
            let doc: Value = serde_json::from_str(line).expect("valid");
            doc["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"]
                .as_str()
                .expect("valid")
                .to_owned()
        })
        .collect();
    let mut expected = vec!["Records".to_string()];
    expected.extend(std::iter::repeat_n("Events".to_string(), 6));
    expected.extend(std::iter::repeat_n("Bounces".to_string(), 2));
    expected.extend(std::iter::repeat_n("Complaints".to_string(), 2));
    expected.extend(std::iter::repeat_n("Delays".to_string(), 2));
    assert_eq!(kinds, expected);
}

#[test]
fn no_line_carries_an_address() {
    // Realistic input, with the addresses and the free text a handler has at hand while counting:
    // none of it may reach a metric.
    let recipients = [
        "bounce@simulator.amazonses.com",
        "jane.doe+news@example.com",
        "\"quoted local\"@example.org",
    ];
    let mut metrics = busy_invocation();
    for recipient in recipients {
        metrics.count_events(recipient, 1);
        metrics.count_bounce(Some(recipient), recipient);
        metrics.count_complaint(Some(recipient));
        metrics.count_delay(Some(recipient));
    }
    metrics.count_bounce(
        Some("Permanent"),
        "smtp;550 5.1.1 <jane@example.com>: user unknown",
    );
    for line in metrics.emf_lines(NAMESPACE, TIMESTAMP) {
        assert!(!line.contains('@'), "an address in a metric: {line}");
        assert!(validate(&line).is_ok(), "{line}");
    }
}

#[test]
fn the_namespace_is_escaped_not_trusted() {
    // is_valid_namespace would refuse these; emf_lines still writes valid JSON that names them.
    for namespace in [
        "Ses \"Feedback\"",
        "back\\slash",
        "line\nbreak",
        "ünïcode",
        "</script>",
    ] {
        let lines = busy_invocation().emf_lines(namespace, TIMESTAMP);
        assert!(!lines.is_empty());
        for line in lines {
            assert!(!line.contains('\n'), "{line}");
            let doc: Value = serde_json::from_str(&line).expect("valid JSON");
            assert_eq!(doc["_aws"]["CloudWatchMetrics"][0]["Namespace"], namespace);
            let root = doc.as_object().expect("object");
            // nothing injected at the top level
            assert!(root.keys().all(|k| k == "_aws"
                || [
                    "Records",
                    "Unrecognized",
                    "Refused",
                    "Duplicates",
                    "SetupMessages",
                    "AccountEvents",
                    "SuppressionsMade",
                    "SuppressionFailures",
                    "WriteFailures",
                    "Events",
                    "Bounces",
                    "Complaints",
                    "Delays",
                    "NotificationType",
                    "EffectiveBounceType",
                    "Reason",
                    "ComplaintFeedbackType",
                    "DelayType",
                ]
                .contains(&k.as_str())));
        }
        assert!(!is_valid_namespace(namespace), "{namespace:?}");
    }
}

#[test]
fn valid_namespaces_pass_the_validator() {
    for namespace in ["SesFeedback", "ses-feedback/prod", "Company/Mail #2", "a"] {
        assert!(is_valid_namespace(namespace));
        for line in busy_invocation().emf_lines(namespace, TIMESTAMP) {
            assert!(validate(&line).is_ok(), "{line}");
        }
    }
    let longest = "N".repeat(255);
    assert!(is_valid_namespace(&longest));
    for line in busy_invocation().emf_lines(&longest, TIMESTAMP) {
        assert!(validate(&line).is_ok());
    }
    assert!(!is_valid_namespace(&"N".repeat(256)));
    assert!(!is_valid_namespace(":Leading"));
    assert!(!is_valid_namespace("AWS/Lambda"));
}

#[test]
fn timestamps_are_written_as_given() {
    let mut metrics = Metrics::new();
    metrics.count_record();
    for timestamp in [0_i64, 1, TIMESTAMP, i64::MAX] {
        for line in metrics.emf_lines(NAMESPACE, timestamp) {
            let doc: Value = serde_json::from_str(&line).expect("valid");
            assert_eq!(doc["_aws"]["Timestamp"].as_i64(), Some(timestamp));
        }
    }
}
