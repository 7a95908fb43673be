//! The classifier against Sisimai's own verdicts on Sisimai's own corpus (tests/data/sisimai/README.md).
//!
//! Every entry of `bounces.jsonl` is one bounced recipient as Sisimai decoded it. It is fed to
//! [`classify`] the way SES would deliver it, with no help from SES: `bounceType` `Transient`,
//! `bounceSubType` `General`, the entry's status, and `diagnosticCode` as `<type>; <text>` (the diagnostic type
//! Sisimai found, `smtp` when it found none). Our `reason` must equal Sisimai's and our `effectiveBounceType`
//! must be `Permanent` exactly when Sisimai calls the bounce hard, on at least [`REASON_FLOOR`] and
//! [`HARD_SOFT_FLOOR`] of the entries; every entry where we differ must be listed, with why, in
//! `disagreements.txt`, and every listed entry must still differ (so the list stays true).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Deserialize;
use ses_feedback_logger::feedback::reason::{classify, PERMANENT};

const BOUNCES: &str = include_str!("../data/sisimai/bounces.jsonl");
const DISAGREEMENTS: &str = include_str!("../data/sisimai/disagreements.txt");

/// The share of entries where we must agree with Sisimai. Issue 14 aims at 97% (hard/soft) and 90% (reason);
/// reached so far: 95.8% and 91.7% (docs/reasons.md says what stands in the way: mostly the SMTP step of a
/// "user unknown", which Sisimai reads from the whole bounce and SES does not report). These floors sit
/// just under what is reached, so any slide fails; raise them as the classifier improves.
const HARD_SOFT_FLOOR: f64 = 0.957;
const REASON_FLOOR: f64 = 0.915;

/// One bounced recipient as Sisimai decoded it (fields named as `scripts/sisimai_corpus.pl` writes them).
#[derive(Debug, Deserialize)]
struct Entry {
    file: String,
    status: String,
    diagnostictype: String,
    diagnostic: String,
    reason: String,
    hardbounce: bool,
}

impl Entry {
    /// The `diagnosticCode` SES would carry: RFC 3464's `type; text`.
    fn diagnostic_code(&self) -> String {
        let kind = match self.diagnostictype.as_str() {
            "" => "smtp".to_owned(),
            kind => kind.to_ascii_lowercase(),
        };
        format!("{kind}; {}", self.diagnostic)
    }
}

/// Where we differ from Sisimai on one entry, in the form `disagreements.txt` lists it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Disagreement {
    /// `<corpus file>#<n>`: the n-th entry (from 1) taken from that file.
    key: String,
    /// `sisimai>ours` for the reason, with `!` after ours when the hard/soft verdict differs too.
    verdict: String,
}

struct Outcome {
    entries: usize,
    reason_agreed: usize,
    hard_soft_agreed: usize,
    disagreements: Vec<Disagreement>,
}

fn judge_corpus() -> Outcome {
    let mut per_file: BTreeMap<String, usize> = BTreeMap::new();
    let mut outcome = Outcome {
        entries: 0,
        reason_agreed: 0,
        hard_soft_agreed: 0,
        disagreements: Vec::new(),
    };
    for line in BOUNCES.lines().filter(|line| !line.trim().is_empty()) {
        let entry: Entry =
            serde_json::from_str(line).expect("bounces.jsonl: one JSON entry a line");
        let n = per_file.entry(entry.file.clone()).or_default();
        *n += 1;
        let diagnostic_code = entry.diagnostic_code();
        let ours = classify(
            Some("Transient"),
            Some("General"),
            Some(&entry.status),
            Some(&diagnostic_code),
        );
        let our_hard = ours.effective_bounce_type == Some(PERMANENT);
        let reason_agrees = ours.reason.as_str() == entry.reason;
        let hard_soft_agrees = our_hard == entry.hardbounce;
        outcome.entries += 1;
        outcome.reason_agreed += usize::from(reason_agrees);
        outcome.hard_soft_agreed += usize::from(hard_soft_agrees);
        if !(reason_agrees && hard_soft_agrees) {
            outcome.disagreements.push(Disagreement {
                key: format!("{}#{n}", entry.file),
                verdict: format!(
                    "{}>{}{}",
                    entry.reason,
                    ours.reason,
                    if hard_soft_agrees { "" } else { "!" }
                ),
            });
        }
    }
    outcome
}

/// The entries of `disagreements.txt`: `<key> <verdict> <why>` a line; `#` starts a comment line.
fn listed_disagreements() -> BTreeMap<Disagreement, String> {
    let mut listed = BTreeMap::new();
    for line in DISAGREEMENTS.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.splitn(3, char::is_whitespace);
        let (Some(key), Some(verdict), Some(why)) = (fields.next(), fields.next(), fields.next())
        else {
            panic!("disagreements.txt: {line:?} is not `<file>#<n> <sisimai>ours[!]> <why>`");
        };
        let why = why.trim();
        assert!(!why.is_empty(), "disagreements.txt: {key} says not why");
        let previous = listed.insert(
            Disagreement {
                key: key.to_owned(),
                verdict: verdict.to_owned(),
            },
            why.to_owned(),
        );
        assert!(previous.is_none(), "disagreements.txt lists {key} twice");
    }
    listed
}

fn share(agreed: usize, of: usize) -> f64 {
    agreed as f64 / of as f64
}

#[test]
fn agrees_with_sisimai_on_its_own_corpus() {
    let outcome = judge_corpus();
    let reason = share(outcome.reason_agreed, outcome.entries);
    let hard_soft = share(outcome.hard_soft_agreed, outcome.entries);
    eprintln!(
        "Sisimai corpus: {} entries; reason agrees on {} ({:.1}%), hard/soft on {} ({:.1}%)",
        outcome.entries,
        outcome.reason_agreed,
        100.0 * reason,
        outcome.hard_soft_agreed,
        100.0 * hard_soft,
    );
    let mut by_verdict: BTreeMap<&str, usize> = BTreeMap::new();
    for d in &outcome.disagreements {
        *by_verdict.entry(d.verdict.as_str()).or_default() += 1;
    }
    eprintln!("disagreements (sisimai>ours, ! = hard/soft differs too): {by_verdict:?}");
    assert!(outcome.entries >= 500, "the corpus lost entries");

    let listed = listed_disagreements();
    let found: BTreeSet<&Disagreement> = outcome.disagreements.iter().collect();
    let mut unlisted = String::new();
    for d in found.iter().filter(|d| !listed.contains_key(d)) {
        let _ = writeln!(unlisted, "{} {} <why>", d.key, d.verdict);
    }
    let stale: Vec<&Disagreement> = listed.keys().filter(|d| !found.contains(d)).collect();
    assert!(
        unlisted.is_empty(),
        "disagreements with Sisimai not in tests/data/sisimai/disagreements.txt:\n{unlisted}"
    );
    assert!(
        stale.is_empty(),
        "disagreements.txt lists entries that now agree or differ otherwise: {stale:?}"
    );
    assert!(
        hard_soft >= HARD_SOFT_FLOOR,
        "hard/soft agrees on {:.1}%, below the {:.1}% floor",
        100.0 * hard_soft,
        100.0 * HARD_SOFT_FLOOR
    );
    assert!(
        reason >= REASON_FLOOR,
        "reason agrees on {:.1}%, below the {:.1}% floor",
        100.0 * reason,
        100.0 * REASON_FLOOR
    );
}
