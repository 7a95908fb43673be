//! Why a recipient bounced: a `reason` in the vocabulary of the Sisimai library (reference §4),
//! and the `effectiveBounceType` that follows from it. Sisimai is the judge: its own corpus,
//! decoded by Sisimai, is a test (`tests/offline/sisimai_corpus.rs`, docs/reasons.md).
//!
//! SES labels a bounce `Transient` whenever it does not recognise the remote server's wording,
//! even for `smtp;550 5.1.1 RESOLVER.ADR.RecipNotFound; not found`. This module reads the same
//! fields a human would — SES's subtype, the enhanced status code, the text of `diagnosticCode` —
//! and says what really happened. It is pure: no I/O, no state, at most one allocation per call
//! (the normalised copy of `diagnosticCode`).
//!
//! # Order of evidence
//!
//! 1. **SES's subtype**, where it is decisive: `MailboxFull` → `mailboxfull`, `MessageTooLarge` →
//!    `mesgtoobig`, `NoEmail` → `userunknown`, `CustomTimeoutExceeded` → `expired`, and every
//!    suppression subtype (`Suppressed`, `OnAccountSuppressionList`, `OnTenantSuppressionList`,
//!    `EmailValidationSuppressed`, `UnsubscribedRecipient`) → `suppressed` (the message was never
//!    offered to the receiver). `ContentRejected` and `AttachmentRejected` are fallbacks
//!    (`contenterror`, `securityerror`): taken when the text decides nothing. Any other subtype
//!    (`General`, `Undetermined`, one SES adds tomorrow) says nothing: the text decides.
//! 2. **A receiver's documented reply** ([`RECEIVERS`]: Gmail, Microsoft, Yahoo, iCloud, Mimecast,
//!    qmail, Domino, …) decides at once, as Sisimai's per-receiver tables do.
//! 3. **Sisimai's order of decision** ([`judge`]) over the status code's meaning
//!    ([`code_reason`]: RFC 3463 codes named as Sisimai names them), the reasons whose phrases
//!    occur in the text ([`GENERIC`], [`LANGUAGES`]: every match, not just the first), and the
//!    SMTP step the text names (`in reply to RCPT TO command`) or the reply's form shows
//!    (`<address>: User unknown` answers RCPT; `550 : User unknown` and a later "503 need RCPT"
//!    answer DATA). The rules that matter most:
//!    a "user unknown" is `userunknown` only under a 5.1.x code whose text names no other cause,
//!    or when refused at `RCPT`; at an unknown step or after `DATA` it is a filter's answer
//!    (`filtered`); at `MAIL` an address status is the sender's (`rejected`); a soft cause in the
//!    text (a full mailbox, a block, a relay refusal) outranks a hard-looking code; a code whose
//!    reason the text does not confirm still names the reason.
//! 4. Nothing decides: `onhold` when there was a text, `undefined` when there was none.
//!
//! # Effective bounce type
//!
//! `Permanent` when the reason is `userunknown`, `hostunknown` or `hasmoved`, or `notaccept`
//! when permanent (the first status or reply code is 5xx; with none, unless the text says
//! "temporary" or "persistent"), as Sisimai decides `hardbounce`; otherwise SES's own label,
//! unchanged (`Transient`, `Undetermined`, `Permanent` for SES's soft-but-permanent decisions
//! such as suppressions, or `None` if SES gave none). This never *downgrades* SES.
//!
//! # Delivery delays
//!
//! [`classify_delay`] does the same for `DeliveryDelay` recipients, with SES's `delayType` in the
//! place of the subtype: `MailboxFull`, `SpamDetected`, `IPFailure` (→ `blocked`),
//! `InternalFailure` and `BYOIPHostNameLookupUnavailable` (→ `systemerror`, SES's side) are
//! decisive; `TransientCommunicationFailure` (→ `networkerror`), `RecipientServerError` and
//! `SendingDeferral` (→ `systemerror`) are fallbacks; `General` and `Undetermined` say nothing.
//! A delay has no bounce type, so it returns only the reason.
//!
//! # Normalisation and cost
//!
//! The diagnostic is copied once: lowercased (`char::to_lowercase`, so Cyrillic and accented
//! letters too), runs of whitespace (SES keeps the `\n` of multi-line replies) collapsed to one
//! space, typographic apostrophes turned into `'`, and Latin accents folded (`é` → `e`, `ü` → `u`),
//! so one table entry matches `boîte pleine` and `boite pleine`. Table entries are written in
//! that normal form (a unit test checks it); `*` in an entry matches up to [`MAX_GAP`] bytes.
//! Every entry is tried (the first pass needs all the reasons the text names): one pass over the
//! text finds which literal parts of the entries occur ([`literals`]), and only the entries whose
//! parts all did are checked further; docs/performance.md and docs/reasons.md give the measured cost.

use std::fmt;

use literals::Literals;

mod literals;

/// A bounce reason, named as in Sisimai (`as_str`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    // --- hard: the address itself is bad -------------------------------------------------
    /// The local part does not exist.
    UserUnknown,
    /// The domain does not exist or has no usable mail host.
    HostUnknown,
    /// The mailbox moved and mail is not forwarded.
    HasMoved,
    /// The destination accepts no mail at all (null MX); hard only with a 5xx.
    NotAccept,
    // --- soft: the recipient's mailbox -----------------------------------------------------
    /// The mailbox is full or over quota.
    MailboxFull,
    /// The message is too big for the recipient or the system.
    MesgTooBig,
    /// The message exceeds a limit the recipient set (RFC 3463's x.2.3: message length exceeds
    /// administrative limit).
    ExceedLimit,
    /// The account exists but is disabled, suspended, locked or inactive.
    Suspend,
    /// The recipient (or its rules) refused mail from this sender.
    Filtered,
    // --- soft: the sender, its IP, its domain or its content -------------------------------
    /// The sending IP or network is blocked (blocklists, bans, HELO checks).
    Blocked,
    /// The sending IP or domain has a poor reputation.
    BadReputation,
    /// The sending IP has no (matching) reverse DNS.
    RequirePtr,
    /// The content was judged to be spam.
    SpamDetected,
    /// The content carried a virus or malware.
    VirusDetected,
    /// A local policy of the receiver refused the message.
    PolicyViolation,
    /// SPF, DKIM or DMARC failed.
    AuthFailure,
    /// Another security requirement failed (authentication, TLS, …).
    SecurityError,
    /// The receiver refused to relay.
    NoRelaying,
    /// The envelope sender was refused.
    Rejected,
    /// The message does not comply with RFC 5322.
    NotCompliantRfc,
    /// The message content or headers are malformed.
    ContentError,
    /// The sender is going too fast for the recipient.
    Speeding,
    /// Too many connections or recipients at once.
    TooManyConn,
    // --- soft: transport and systems -------------------------------------------------------
    /// Delivery was retried until the message expired.
    Expired,
    /// A network, DNS or routing problem.
    NetworkError,
    /// A problem on the receiving (or SES's) system.
    SystemError,
    /// The receiving system is out of resources.
    SystemFull,
    /// An SMTP protocol error.
    SyntaxError,
    /// STARTTLS was required and failed.
    FailedStartTls,
    /// A local delivery program failed.
    MailerError,
    // --- not a verdict on the address --------------------------------------------------------
    /// An auto-reply, not a bounce.
    Vacation,
    /// SES did not send: the address is on a suppression list.
    Suppressed,
    /// The diagnostic says something, but nothing that decides a reason (Sisimai's "on hold").
    OnHold,
    /// Nothing to go on: no status and no diagnostic.
    Undefined,
}

impl Reason {
    /// Every reason, in declaration order (for metrics dimensions and tests).
    pub const ALL: [Reason; 34] = [
        Reason::UserUnknown,
        Reason::HostUnknown,
        Reason::HasMoved,
        Reason::NotAccept,
        Reason::MailboxFull,
        Reason::MesgTooBig,
        Reason::ExceedLimit,
        Reason::Suspend,
        Reason::Filtered,
        Reason::Blocked,
        Reason::BadReputation,
        Reason::RequirePtr,
        Reason::SpamDetected,
        Reason::VirusDetected,
        Reason::PolicyViolation,
        Reason::AuthFailure,
        Reason::SecurityError,
        Reason::NoRelaying,
        Reason::Rejected,
        Reason::NotCompliantRfc,
        Reason::ContentError,
        Reason::Speeding,
        Reason::TooManyConn,
        Reason::Expired,
        Reason::NetworkError,
        Reason::SystemError,
        Reason::SystemFull,
        Reason::SyntaxError,
        Reason::FailedStartTls,
        Reason::MailerError,
        Reason::Vacation,
        Reason::Suppressed,
        Reason::OnHold,
        Reason::Undefined,
    ];

    /// The Sisimai name: lowercase, no separators (`"userunknown"`, `"mesgtoobig"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::UserUnknown => "userunknown",
            Reason::HostUnknown => "hostunknown",
            Reason::HasMoved => "hasmoved",
            Reason::NotAccept => "notaccept",
            Reason::MailboxFull => "mailboxfull",
            Reason::MesgTooBig => "mesgtoobig",
            Reason::ExceedLimit => "exceedlimit",
            Reason::Suspend => "suspend",
            Reason::Filtered => "filtered",
            Reason::Blocked => "blocked",
            Reason::BadReputation => "badreputation",
            Reason::RequirePtr => "requireptr",
            Reason::SpamDetected => "spamdetected",
            Reason::VirusDetected => "virusdetected",
            Reason::PolicyViolation => "policyviolation",
            Reason::AuthFailure => "authfailure",
            Reason::SecurityError => "securityerror",
            Reason::NoRelaying => "norelaying",
            Reason::Rejected => "rejected",
            Reason::NotCompliantRfc => "notcompliantrfc",
            Reason::ContentError => "contenterror",
            Reason::Speeding => "speeding",
            Reason::TooManyConn => "toomanyconn",
            Reason::Expired => "expired",
            Reason::NetworkError => "networkerror",
            Reason::SystemError => "systemerror",
            Reason::SystemFull => "systemfull",
            Reason::SyntaxError => "syntaxerror",
            Reason::FailedStartTls => "failedstarttls",
            Reason::MailerError => "mailererror",
            Reason::Vacation => "vacation",
            Reason::Suppressed => "suppressed",
            Reason::OnHold => "onhold",
            Reason::Undefined => "undefined",
        }
    }

    /// Whether the reason condemns the address: `userunknown`, `hostunknown`, `hasmoved`, and
    /// `notaccept` (which [`classify`] only treats as hard with a 5xx).
    pub(crate) fn is_hard(self) -> bool {
        matches!(
            self,
            Reason::UserUnknown | Reason::HostUnknown | Reason::HasMoved | Reason::NotAccept
        )
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Reason {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The label [`Classification::effective_bounce_type`] carries for hard reasons.
pub const PERMANENT: &str = "Permanent";

/// What [`classify`] found for one bounced recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classification<'a> {
    /// Why the recipient bounced.
    pub reason: Reason,
    /// [`PERMANENT`] when the reason is hard, otherwise SES's own `bounceType` as given.
    pub effective_bounce_type: Option<&'a str>,
    /// The enhanced status code the decision used (`"5.1.1"`), borrowed from `status` or from
    /// `diagnosticCode`; `None` when neither carries one.
    pub status_code: Option<&'a str>,
}

/// Classifies one bounced recipient from SES's `bounceType`, `bounceSubType`, the recipient's
/// `status` (`"5.1.1"`, with or without text around it) and `diagnosticCode`
/// (`"smtp; 550 5.1.1 <x@y>: Recipient address rejected: User unknown"`).
pub fn classify<'a>(
    bounce_type: Option<&'a str>,
    bounce_sub_type: Option<&str>,
    status: Option<&'a str>,
    diagnostic_code: Option<&'a str>,
) -> Classification<'a> {
    let hint = bounce_sub_type.map_or(Hint::Nothing, subtype_hint);
    let found = evaluate(hint, status, diagnostic_code);
    let hard = match found.reason {
        Reason::NotAccept => found.permanent,
        reason => reason.is_hard(),
    };
    Classification {
        reason: found.reason,
        effective_bounce_type: if hard { Some(PERMANENT) } else { bounce_type },
        status_code: found.code,
    }
}

/// Classifies one delayed recipient of a `DeliveryDelay` event from SES's `delayType` and the
/// recipient's `status` and `diagnosticCode` (see the module documentation for the delay types).
pub(crate) fn classify_delay(
    delay_type: Option<&str>,
    status: Option<&str>,
    diagnostic_code: Option<&str>,
) -> Reason {
    let hint = delay_type.map_or(Hint::Nothing, delay_hint);
    evaluate(hint, status, diagnostic_code).reason
}

// ------------------------------------------------------------------------------------------
// Evidence
// ------------------------------------------------------------------------------------------

/// What SES's own subtype or delay type says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hint {
    /// Take it, whatever else says.
    Decisive(Reason),
    /// Take it when neither the code nor the text decides.
    Fallback(Reason),
    Nothing,
}

/// SES's bounce subtypes (SES Developer Guide, "Amazon SES notification contents" and "Contents of
/// event data"); an unknown one says nothing, so the text decides.
fn subtype_hint(sub_type: &str) -> Hint {
    match sub_type {
        "MailboxFull" => Hint::Decisive(Reason::MailboxFull),
        "MessageTooLarge" => Hint::Decisive(Reason::MesgTooBig),
        "NoEmail" => Hint::Decisive(Reason::UserUnknown),
        "CustomTimeoutExceeded" => Hint::Decisive(Reason::Expired),
        "Suppressed"
        | "OnAccountSuppressionList"
        | "OnTenantSuppressionList"
        | "EmailValidationSuppressed"
        | "UnsubscribedRecipient" => Hint::Decisive(Reason::Suppressed),
        "ContentRejected" => Hint::Fallback(Reason::ContentError),
        "AttachmentRejected" => Hint::Fallback(Reason::SecurityError),
        _ => Hint::Nothing,
    }
}

fn delay_hint(delay_type: &str) -> Hint {
    match delay_type {
        "MailboxFull" => Hint::Decisive(Reason::MailboxFull),
        "SpamDetected" => Hint::Decisive(Reason::SpamDetected),
        "IPFailure" => Hint::Decisive(Reason::Blocked),
        "InternalFailure" | "BYOIPHostNameLookupUnavailable" => Hint::Decisive(Reason::SystemError),
        "TransientCommunicationFailure" => Hint::Fallback(Reason::NetworkError),
        "RecipientServerError" | "SendingDeferral" => Hint::Fallback(Reason::SystemError),
        _ => Hint::Nothing,
    }
}

struct Evidence<'a> {
    reason: Reason,
    code: Option<&'a str>,
    /// Whether the failure is permanent: the first status or reply code is 5xx, or, with none,
    /// the text does not call it temporary (Sisimai's test for a hard `notaccept`).
    permanent: bool,
}

fn evaluate<'a>(hint: Hint, status: Option<&'a str>, diagnostic: Option<&'a str>) -> Evidence<'a> {
    let status_code = status.and_then(find_status_code);
    let diag_code = diagnostic.and_then(find_status_code);
    let code = match status_code {
        Some(c) if !is_generic(c) => Some(c),
        _ => diag_code
            .filter(|c| !is_generic(c))
            .or(status_code)
            .or(diag_code),
    };
    let reply = diagnostic.and_then(find_reply_code);
    let text = diagnostic.map(normalize).unwrap_or_default();
    let permanent = match status_code.or(diag_code).or(reply) {
        Some(c) => c.starts_with('5'),
        None => !(text.contains(" temporar") || text.contains(" persistent")),
    };
    let reason = match hint {
        Hint::Decisive(r) => r,
        _ => {
            let clues = Clues {
                named: code.and_then(code_reason),
                code,
                reply,
                text: &text,
            };
            let fallback = match hint {
                Hint::Fallback(r) => Some(r),
                _ => None,
            };
            judge(&clues, fallback).unwrap_or(if text.is_empty() {
                Reason::Undefined
            } else {
                Reason::OnHold
            })
        }
    };
    Evidence {
        reason,
        code,
        permanent,
    }
}

/// What one recipient's `status` and `diagnosticCode` say, ready for [`judge`].
struct Clues<'a> {
    /// The reason the status code stands for ([`code_reason`]).
    named: Option<Reason>,
    code: Option<&'a str>,
    reply: Option<&'a str>,
    /// The normalised diagnostic.
    text: &'a str,
}

/// Sisimai's order of decision (`Sisimai::Reason->get`, v5.1), re-stated over our own tables:
/// a receiver's documented reply decides at once; then each reason of [`FIRST_PASS`] in turn is
/// taken if its own test holds (mostly: the code names it or the text has one of its phrases,
/// with the exceptions in [`holds`]); then, when the code names no reason or one Sisimai checks
/// again, the first reason of [`SECOND_PASS`] the text names; then the code's class (x.6 →
/// `contenterror`, x.7 → `securityerror`), a local mailer (`x-unix;`), a protocol reply code
/// (x01–x07 → `syntaxerror`), a refusal at connection or `EHLO`/`HELO` (→ `blocked`). `None`: nothing decides.
fn judge(clues: &Clues, fallback: Option<Reason>) -> Option<Reason> {
    let (receiver, found) = match_phrases(clues.text);
    if receiver.is_some() {
        return receiver;
    }
    let command = Command::named_in(clues.text);
    // An address status in answer to MAIL FROM speaks of the sender's address: a refused sender.
    let clues = &Clues {
        named: match clues.named {
            Some(Reason::UserUnknown) if command == Some(Command::Mail) => Some(Reason::Rejected),
            named => named,
        },
        ..*clues
    };
    let kind = diagnostic_type(clues.text);
    // A local delivery program failed; a full mailbox is still a full mailbox.
    if kind.is_some_and(|k| k.starts_with("x-unix")) {
        return Some(if found.has(Reason::MailboxFull) {
            Reason::MailboxFull
        } else {
            Reason::MailerError
        });
    }
    if let Some(r) = FIRST_PASS
        .iter()
        .copied()
        .find(|&r| holds(r, clues, found, command))
    {
        return Some(r);
    }
    let check_again =
        clues.named.is_none_or(|r| CHECKED_AGAIN.contains(&r)) || kind.is_some_and(|k| k != "smtp");
    if !check_again {
        return clues.named;
    }
    if let Some(r) = SECOND_PASS.iter().copied().find(|&r| found.has(r)) {
        return Some(r);
    }
    // SES's own subtype or delay type says more than a code the text did not confirm.
    if fallback.is_some() {
        return fallback;
    }
    if let Some(named) = clues.named {
        // A user-unknown code whose text names another cause (why the first pass refused it):
        // the sender's address, a block, a relay refusal is not the recipient's fault.
        if named == Reason::UserUnknown {
            if let Some(r) = OVERRIDE_USER_UNKNOWN.into_iter().find(|&r| found.has(r)) {
                return Some(r);
            }
        }
        return Some(named);
    }
    let class = clues.code.and_then(|c| c.get(1..3));
    if class == Some(".6") {
        return Some(Reason::ContentError);
    }
    if class == Some(".7") {
        return Some(Reason::SecurityError);
    }
    let reply: u16 = clues.reply.and_then(|r| r.parse().ok()).unwrap_or(0);
    if (401..=407).contains(&reply) || (501..=507).contains(&reply) {
        return Some(Reason::SyntaxError);
    }
    // Refused before any envelope: the server refuses the sending host.
    if matches!(command, Some(Command::Connect | Command::Helo)) {
        return Some(Reason::Blocked);
    }
    [Reason::SyntaxError, Reason::Vacation]
        .into_iter()
        .find(|&r| found.has(r))
}

/// The reasons Sisimai tests first, in its order: each by [`holds`].
const FIRST_PASS: [Reason; 18] = [
    Reason::MailboxFull,
    Reason::MesgTooBig,
    Reason::ExceedLimit,
    Reason::Suspend,
    Reason::HasMoved,
    Reason::NoRelaying,
    Reason::AuthFailure,
    Reason::UserUnknown,
    Reason::Filtered,
    Reason::RequirePtr,
    Reason::NotCompliantRfc,
    Reason::BadReputation,
    Reason::Rejected,
    Reason::HostUnknown,
    Reason::SpamDetected,
    Reason::Speeding,
    Reason::TooManyConn,
    Reason::Blocked,
];

/// The reasons whose code Sisimai does not take as final: the text is read again.
const CHECKED_AGAIN: [Reason; 8] = [
    Reason::OnHold,
    Reason::SystemError,
    Reason::SecurityError,
    Reason::Expired,
    Reason::Suspend,
    Reason::NetworkError,
    Reason::HostUnknown,
    Reason::UserUnknown,
];

/// The reasons the text alone may give when the first pass found none, in Sisimai's order
/// (`failedstarttls`, ours, just before the `securityerror` Sisimai v5.1 would say instead).
const SECOND_PASS: [Reason; 18] = [
    Reason::MailboxFull,
    Reason::AuthFailure,
    Reason::BadReputation,
    Reason::Speeding,
    Reason::SpamDetected,
    Reason::VirusDetected,
    Reason::PolicyViolation,
    Reason::NoRelaying,
    Reason::SystemError,
    Reason::NetworkError,
    Reason::Suspend,
    Reason::ContentError,
    Reason::SystemFull,
    Reason::NotAccept,
    Reason::Expired,
    Reason::FailedStartTls,
    Reason::SecurityError,
    Reason::MailerError,
];

/// The causes that, named in the text, outrank a user-unknown status code (Sisimai's list).
const OVERRIDE_USER_UNKNOWN: [Reason; 6] = [
    Reason::NoRelaying,
    Reason::Blocked,
    Reason::MailboxFull,
    Reason::HasMoved,
    Reason::Rejected,
    Reason::NotAccept,
];

/// Whether `reason` holds in the first pass (Sisimai's `true` test of each reason).
fn holds(reason: Reason, clues: &Clues, found: ReasonSet, command: Option<Command>) -> bool {
    use Reason::*;
    let named = clues.named;
    let says = |r: Reason| found.has(r);
    let before_data = matches!(
        command,
        Some(Command::Connect | Command::Helo | Command::Mail | Command::Rcpt)
    );
    match reason {
        // "User unknown" is only the address's fault when the code says so (and the text names
        // no other cause) or the server refused it at RCPT; after DATA, or at an unknown step,
        // it is a filter's answer.
        UserUnknown => match named {
            Some(Suspend) => false,
            Some(UserUnknown) => !OVERRIDE_USER_UNKNOWN.into_iter().any(says),
            _ => command == Some(Command::Rcpt) && says(UserUnknown),
        },
        Filtered => match named {
            Some(Suspend) => false,
            Some(Filtered) => says(UserUnknown) || says(Filtered),
            _ => !before_data && (says(Filtered) || says(UserUnknown)),
        },
        MesgTooBig => {
            named == Some(MesgTooBig)
                || (named != Some(ExceedLimit) && clues.code != Some("5.2.3") && says(MesgTooBig))
        }
        Suspend => clues.reply == Some("525") || says(Suspend),
        NoRelaying => {
            !matches!(command, Some(Command::Connect | Command::Helo)) && says(NoRelaying)
        }
        Rejected => {
            named == Some(Rejected)
                || (says(Rejected)
                    && match command {
                        Some(Command::Mail) => true,
                        Some(Command::Data) => named != Some(UserUnknown),
                        _ => matches!(named, None | Some(OnHold | SecurityError | SystemError)),
                    })
        }
        HostUnknown => match named {
            Some(HostUnknown) => !says(NetworkError),
            _ => says(HostUnknown),
        },
        SpamDetected => named == Some(SpamDetected) || (!before_data && says(SpamDetected)),
        HasMoved | NotCompliantRfc | BadReputation | Speeding => says(reason),
        _ => named == Some(reason) || says(reason),
    }
}

/// The SMTP command a diagnostic says the server answered (Postfix's "in reply to RCPT TO
/// command", Exim's "after RCPT TO:", Sendmail's ">>> DATA"), as far as the text tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    Connect,
    Helo,
    Mail,
    Rcpt,
    Data,
}

impl Command {
    fn named_in(text: &str) -> Option<Command> {
        // In order of weight: the first sign in this list that the text contains decides.
        const SIGNS: [(&str, Command); 30] = [
            // The step named outright (Postfix, Exim, Sendmail and qmail transcripts, wrappers).
            ("end of data", Command::Data),
            ("data command", Command::Data),
            (">>> data", Command::Data),
            ("rcpt to", Command::Rcpt),
            (">>> rcpt", Command::Rcpt),
            ("smtp:rcpt", Command::Rcpt),
            ("[rcpt_to]", Command::Rcpt),
            ("does not like recipient", Command::Rcpt),
            (
                "recipients was rejected by a remote mail server",
                Command::Rcpt,
            ),
            ("after ehlo", Command::Helo),
            ("mail from command", Command::Mail),
            ("after mail from", Command::Mail),
            (">>> mail from", Command::Mail),
            ("ehlo command", Command::Helo),
            ("helo command", Command::Helo),
            ("initial greeting", Command::Connect),
            ("after initial connection", Command::Connect),
            ("in reply to connect", Command::Connect),
            // A reply only DATA gets: the session went on with no recipient accepted ("503 need
            // RCPT", "no valid recipients"), or a refusal that names no recipient ("550 : User
            // unknown").
            ("need rcpt", Command::Data),
            ("rcpt first", Command::Data),
            ("rcpt commands were rejected", Command::Data),
            ("must precede data", Command::Data),
            ("no recipients specified", Command::Data),
            ("no valid recipients", Command::Data),
            (" : user unknown", Command::Data),
            // A reply's own form: Postfix's sender and recipient restrictions, Sendmail's
            // "<address>... User unknown", a refusal naming the recipient, Gmail's relay of one.
            ("sender address rejected", Command::Mail),
            (">... ", Command::Rcpt),
            ("recipient address rejected", Command::Rcpt),
            (">: user unknown", Command::Rcpt),
            ("the address couldn't be found", Command::Rcpt),
        ];
        // Ids count up in the order of the list.
        static FOUND_BY: std::sync::LazyLock<(Literals, Vec<Command>)> =
            std::sync::LazyLock::new(|| {
                let mut signs = Literals::with_capacity(SIGNS.len());
                let mut commands = Vec::with_capacity(SIGNS.len());
                for (sign, command) in SIGNS {
                    if signs.add(sign) == commands.len() {
                        commands.push(command);
                    }
                }
                (signs, commands)
            });
        let (signs, commands) = &*FOUND_BY;
        let mut first = usize::MAX;
        signs.find_all(text, |id| first = first.min(id));
        commands.get(first).copied()
    }
}

/// The diagnostic type of RFC 3464 (`smtp`, `x-unix`, `x-postfix`), lowercase, when the
/// diagnostic starts with one (`smtp; 550 …`).
fn diagnostic_type(text: &str) -> Option<&str> {
    let (kind, _) = text.split_once(';')?;
    let kind = kind.trim();
    (!kind.is_empty()
        && kind
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_')))
    .then_some(kind)
}

/// A set of reasons, one bit each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct ReasonSet(u64);

impl ReasonSet {
    fn has(self, reason: Reason) -> bool {
        self.0 & (1 << reason as u32) != 0
    }

    fn insert(&mut self, reason: Reason) {
        self.0 |= 1 << reason as u32;
    }
}

// ------------------------------------------------------------------------------------------
// Status codes
// ------------------------------------------------------------------------------------------

/// `x.0.0`: says only "permanent" or "temporary".
fn is_generic(code: &str) -> bool {
    code.get(1..) == Some(".0.0")
}

/// The reason an RFC 3463 enhanced status code stands for: the IANA registry's meaning of each
/// code, named as Sisimai names it (`Sisimai::SMTP::Status`); codes it names no reason for give
/// `None`, and then the text decides.
fn code_reason(code: &str) -> Option<Reason> {
    use Reason::*;
    let mut parts = code.split('.').map(|p| p.parse::<u16>().ok());
    let (class, subject, detail) = match (parts.next(), parts.next(), parts.next()) {
        (Some(Some(c)), Some(Some(s)), Some(Some(d))) => (c, s, d),
        _ => return None,
    };
    let five = class == 5;
    Some(match (subject, detail) {
        (1, 0 | 1 | 3) if five => UserUnknown,
        (1, 2) if five => HostUnknown,
        (1, 4) if five => Filtered,
        (1, 6) => HasMoved,
        (1, 7 | 8) => Rejected,
        (1, 9) => SystemError,
        (1, 10) if five => NotAccept,
        (2, 0) if five => Filtered,
        (2, 1) if five => Filtered,
        (2, 1) => Suspend,
        (2, 2) => MailboxFull,
        (2, 3) => ExceedLimit,
        (2, 4) => Filtered,
        (3, 0 | 3 | 5) if five => SystemError,
        (3, 3 | 5) => SystemError,
        (3, 1) => SystemFull,
        (3, 2) => NotAccept,
        (3, 4) if five => MesgTooBig,
        (4, 0) if five => NetworkError,
        (4, 1 | 7) if !five => Expired,
        (4, 2 | 4 | 6 | 8) if !five => NetworkError,
        (4, 3) => SystemError,
        (4, 4) if five => HostUnknown,
        (4, 5) if !five => SystemFull,
        (5, 3 | 5) if !five => SystemError,
        (5, 2 | 6) if five => SyntaxError,
        (5, 3) => TooManyConn,
        (5, 4 | 5) => SystemError,
        (6, 0 | 2 | 5) => ContentError,
        (6, 1 | 3 | 6..=9) if five => ContentError,
        (7, 1 | 2) if !five => Blocked,
        (7, 0..=11 | 14 | 15 | 19 | 30) if five => SecurityError,
        (7, 5..=7 | 12 | 15) => SecurityError,
        (7, 13) if five => Suspend,
        (7, 16) => MesgTooBig,
        (7, 17 | 18) if five => HasMoved,
        (7, 20..=24 | 26 | 29) if five => AuthFailure,
        (7, 24 | 26) => AuthFailure,
        (7, 25) => RequirePtr,
        (7, 27) if five => NotAccept,
        (7, 28) if five => SpamDetected,
        _ => return None,
    })
}

/// Finds an RFC 3463 code (`5.1.1`, `4.4.7`, `5.7.606`) in `s`: preferably one right after an
/// SMTP reply code (`550 5.1.1`, `550-5.1.1`, `550-'5.7.1`), else the first one standing alone.
fn find_status_code(s: &str) -> Option<&str> {
    let bytes = s.as_bytes();
    let mut first = None;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(end) = status_code_at(bytes, i) {
            if follows_reply_code(bytes, i) {
                return s.get(i..end);
            }
            if first.is_none() {
                first = Some((i, end));
            }
            i = end;
        } else {
            i += 1;
        }
    }
    first.and_then(|(a, b)| s.get(a..b))
}

/// The end of a status code starting at `i`, if one does.
fn status_code_at(b: &[u8], i: usize) -> Option<usize> {
    if !matches!(b.get(i), Some(b'2' | b'4' | b'5')) {
        return None;
    }
    if i > 0 && (b[i - 1].is_ascii_alphanumeric() || matches!(b[i - 1], b'.' | b'_')) {
        return None;
    }
    let mut j = i + 1;
    for _ in 0..2 {
        if b.get(j) != Some(&b'.') {
            return None;
        }
        j += 1;
        let start = j;
        while j < b.len() && b[j].is_ascii_digit() && j - start < 3 {
            j += 1;
        }
        if j == start {
            return None;
        }
    }
    // Not followed by more digits or by ".<digit>" (an IPv4 address, a version number).
    match b.get(j) {
        Some(c) if c.is_ascii_digit() => None,
        Some(b'.') if b.get(j + 1).is_some_and(u8::is_ascii_digit) => None,
        _ => Some(j),
    }
}

/// Whether the code at `i` comes right after a reply code: `550 `, `550-`, `550-'`.
fn follows_reply_code(b: &[u8], i: usize) -> bool {
    let mut k = i;
    if k > 0 && b[k - 1] == b'\'' {
        k -= 1;
    }
    if k == 0 || !matches!(b[k - 1], b' ' | b'-') {
        return false;
    }
    k -= 1;
    k >= 3 && reply_code_at(b, k - 3) == Some(k)
}

/// Finds the first SMTP reply code (`550`, `421`) in `s`.
fn find_reply_code(s: &str) -> Option<&str> {
    let bytes = s.as_bytes();
    (0..bytes.len()).find_map(|i| reply_code_at(bytes, i).and_then(|end| s.get(i..end)))
}

/// The end of a three-digit reply code starting at `i`, if one does: `[245]xx` not glued to
/// letters, digits or dots, followed by a space, a `-`, or the end.
fn reply_code_at(b: &[u8], i: usize) -> Option<usize> {
    if !matches!(b.get(i), Some(b'2' | b'4' | b'5')) {
        return None;
    }
    if i > 0 && (b[i - 1].is_ascii_alphanumeric() || matches!(b[i - 1], b'.' | b'_' | b'#' | b'['))
    {
        return None;
    }
    if !(b.get(i + 1)?.is_ascii_digit() && b.get(i + 2)?.is_ascii_digit()) {
        return None;
    }
    match b.get(i + 3) {
        None | Some(b' ' | b'-' | b'\t' | b'\n' | b'\r') => Some(i + 3),
        _ => None,
    }
}

// ------------------------------------------------------------------------------------------
// Text
// ------------------------------------------------------------------------------------------

/// The one copy of the diagnostic: lowercase, single spaces, ASCII apostrophes, Latin accents
/// folded (see the module docs).
fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = true; // also drops leading whitespace
    for c in s.chars() {
        if c.is_whitespace() {
            if !space {
                out.push(' ');
                space = true;
            }
            continue;
        }
        space = false;
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            for l in c.to_lowercase() {
                out.push(fold(l));
            }
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

fn fold(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ý' | 'ÿ' => 'y',
        'ё' => 'е',
        '\u{2018}' | '\u{2019}' | '\u{02bc}' => '\'',
        other => other,
    }
}

/// The longest stretch `*` in a table entry may span.
pub(crate) const MAX_GAP: usize = 80;

/// Whether `haystack` contains `pattern`, where each `*` stands for at most [`MAX_GAP`] bytes.
fn contains_pattern(haystack: &str, pattern: &str) -> bool {
    let mut parts = pattern.split('*');
    let head = parts.next().unwrap_or_default();
    if head.is_empty() {
        return parts_follow(haystack, 0, parts);
    }
    let Some(second) = parts.clone().find(|part| !part.is_empty()) else {
        return haystack.contains(head);
    };
    // Every occurrence of the head is a candidate, not only the first: a later one may be the one
    // the rest follows closely enough. The heads are taken in order, and the search for the next
    // one jumps to where the next occurrence of the second part comes into reach, so a text full
    // of heads costs one pass, not one window per head.
    let mut start = 0;
    let mut second_at = 0;
    while let Some(found) = haystack.get(start..).and_then(|rest| rest.find(head)) {
        let end = start + found + head.len();
        if second_at < end {
            match haystack[end..].find(second) {
                Some(at) => second_at = end + at,
                None => return false,
            }
        }
        // (the window reaches up to 3 bytes further, to the end of a character)
        let reach = MAX_GAP + 3;
        if second_at <= end + reach && parts_follow(haystack, end, parts.clone()) {
            return true;
        }
        // the next head to try ends at least one character later, and within reach of `second_at`
        let mut next = (start + found + 1).max(second_at.saturating_sub(reach + head.len()));
        while !haystack.is_char_boundary(next) {
            next += 1;
        }
        start = next;
    }
    false
}

/// Whether each of `parts` occurs within [`MAX_GAP`] bytes after the previous one, the first after
/// byte `from`; every occurrence in the window is tried, so a near one cannot hide a good one.
fn parts_follow(haystack: &str, from: usize, mut parts: std::str::Split<'_, char>) -> bool {
    let Some(part) = parts.find(|part| !part.is_empty()) else {
        return true;
    };
    let rest = &haystack[from..];
    let mut end = rest.len().min(MAX_GAP + part.len());
    while !rest.is_char_boundary(end) {
        end += 1;
    }
    occurrences(&rest[..end], part).any(|at| parts_follow(haystack, from + at, parts.clone()))
}

/// The end of every occurrence of `needle` in `haystack`, overlapping ones included.
fn occurrences<'h>(haystack: &'h str, needle: &'h str) -> impl Iterator<Item = usize> + 'h {
    let mut start = 0;
    std::iter::from_fn(move || {
        let found = start + haystack.get(start..)?.find(needle)?;
        // the next search starts one character later (`needle` is never empty here)
        start = found + needle.chars().next().map_or(1, char::len_utf8);
        Some(found + needle.len())
    })
}

/// What the tables find in the normalised text: the first receiver's reply in table order
/// (decisive), and every reason one of whose generic or foreign phrases occurs.
fn match_phrases(text: &str) -> (Option<Reason>, ReasonSet) {
    let mut found = ReasonSet::default();
    let phrases = &*PHRASES;
    let mut seen = [0u64; MAX_PARTS / 64];
    phrases
        .parts
        .find_all(text, |id| seen[id / 64] |= 1 << (id % 64));
    let has = |id: u16| seen[usize::from(id) / 64] & (1 << (id % 64)) != 0;
    let mut receiver: Option<u16> = None;
    for (word, bits) in seen.iter().enumerate() {
        let mut bits = *bits;
        while bits != 0 {
            let id = word * 64 + bits.trailing_zeros() as usize;
            bits &= bits - 1;
            for &index in phrases.with_first_part(id) {
                let phrase = &phrases.entries[usize::from(index)];
                let wanted = if phrase.receiver {
                    receiver.is_none_or(|first| index < first)
                } else {
                    !found.has(phrase.reason)
                };
                if wanted
                    && phrases.parts_of(phrase).iter().all(|&p| has(p))
                    && contains_pattern(text, phrase.pattern)
                {
                    if phrase.receiver {
                        receiver = Some(index);
                    } else {
                        found.insert(phrase.reason);
                    }
                }
            }
        }
    }
    let receiver = receiver.map(|index| phrases.entries[usize::from(index)].reason);
    (receiver, found)
}

/// The most distinct literal parts the tables may have (a unit test checks it): the set of parts
/// seen in a text lives on the stack.
const MAX_PARTS: usize = 2048;

/// The tables, compiled once. One pass over the text finds every literal part of every entry
/// (the parts between `*`s), so the cost grows with the text, not with the tables; an entry is
/// then checked only when its first part occurred and all its parts did.
struct Phrases {
    entries: Vec<Phrase>,
    parts: Literals,
    /// The parts of every entry, as ids of [`Phrases::parts`]; each entry has a range of it.
    entry_parts: Vec<u16>,
    /// The entries (by index) whose first part is a part, for every part in turn: those of part
    /// `id` are `by_first_part[first_part_starts[id]..first_part_starts[id + 1]]`.
    by_first_part: Vec<u16>,
    first_part_starts: Vec<usize>,
}

struct Phrase {
    pattern: &'static str,
    reason: Reason,
    /// From [`RECEIVERS`]: decisive, the first in table order.
    receiver: bool,
    /// Its literal parts: a range of [`Phrases::entry_parts`].
    parts: std::ops::Range<usize>,
}

impl Phrases {
    fn parts_of(&self, phrase: &Phrase) -> &[u16] {
        &self.entry_parts[phrase.parts.clone()]
    }

    fn with_first_part(&self, id: usize) -> &[u16] {
        &self.by_first_part[self.first_part_starts[id]..self.first_part_starts[id + 1]]
    }
}

/// Built on the first bounce or delay after a start, in a few microseconds: a few vectors, no
/// allocation per entry or part.
static PHRASES: std::sync::LazyLock<Phrases> = std::sync::LazyLock::new(|| {
    let patterns = || {
        TABLES
            .iter()
            .flat_map(|table| table.iter().map(move |entry| (table, entry)))
    };
    // About as many distinct parts as entries.
    let count = patterns().count();
    let mut parts = Literals::with_capacity(count);
    let mut entry_parts = Vec::with_capacity(count + count / 4);
    let mut entries = Vec::with_capacity(count);
    for (table, &(pattern, reason)) in patterns() {
        let start = entry_parts.len();
        // At most MAX_PARTS parts (a unit test checks it), so every id fits.
        entry_parts.extend(
            pattern
                .split('*')
                .filter(|part| !part.is_empty())
                .map(|part| u16::try_from(parts.add(part)).unwrap_or(u16::MAX)),
        );
        entries.push(Phrase {
            pattern,
            reason,
            receiver: std::ptr::eq(*table, RECEIVERS),
            parts: start..entry_parts.len(),
        });
    }
    // The entries grouped by first part, in table order within each group (a counting sort). An
    // entry of wildcards only has none, and is never found (a unit test keeps them out).
    let first_parts: Vec<Option<usize>> = entries
        .iter()
        .map(|phrase| {
            entry_parts[phrase.parts.clone()]
                .first()
                .map(|&id| usize::from(id))
        })
        .collect();
    let mut first_part_starts = vec![0; parts.len() + 1];
    for &first in first_parts.iter().flatten() {
        first_part_starts[first + 1] += 1;
    }
    for id in 0..parts.len() {
        first_part_starts[id + 1] += first_part_starts[id];
    }
    let mut by_first_part = vec![0; first_part_starts[parts.len()]];
    let mut next = first_part_starts.clone();
    for (index, first) in first_parts.iter().enumerate() {
        if let Some(first) = *first {
            by_first_part[next[first]] = u16::try_from(index).unwrap_or(u16::MAX);
            next[first] += 1;
        }
    }
    Phrases {
        entries,
        parts,
        entry_parts,
        by_first_part,
        first_part_starts,
    }
});

/// A phrase table: normalised patterns (see the module docs) and what they mean.
pub(crate) type PhraseTable = &'static [(&'static str, Reason)];

/// All tables, in the order they are consulted.
pub(crate) const TABLES: &[PhraseTable] = &[RECEIVERS, GENERIC, LANGUAGES];

/// Documented responses of specific receivers. Consulted first: they are exact, and some of
/// them would be misread by the generic phrases below.
#[rustfmt::skip]
pub(crate) const RECEIVERS: PhraseTable = &[
    // Amazon SES itself (SES Developer Guide, notification examples).
    ("amazon ses has suppressed sending to this address", Reason::Suppressed),
    ("on the suppression list for your account", Reason::Suppressed),
    // SES refusing to send for an unverified identity: it will not relay for this sender.
    ("email address is not verified", Reason::NoRelaying),
    ("transaction failed: duplicate header", Reason::ContentError),
    // Gmail / Google Workspace (Google Workspace "SMTP error reference"; Sisimai rhost/google).
    ("?p=nosuchuser", Reason::UserUnknown),
    ("we weren't able to find the recipient domain", Reason::HostUnknown),
    ("account that you tried to reach is disabled", Reason::Suspend),
    ("account that you tried to reach is inactive", Reason::Suspend),
    ("?p=disableduser", Reason::Suspend),
    ("inbox is out of storage space", Reason::MailboxFull),
    ("account that you tried to reach is over quota", Reason::MailboxFull),
    ("?p=overquota", Reason::MailboxFull),
    ("is receiving mail at a rate that", Reason::Speeding),
    ("is receiving mail too quickly", Reason::Speeding),
    ("?p=receivingrate", Reason::Speeding),
    ("an unusual rate of unsolicited mail", Reason::Blocked),
    ("an unusual rate of mail", Reason::Blocked),
    ("unsolicited mail originating from your ip", Reason::Blocked),
    ("?p=unsolicitedrate", Reason::Blocked),
    ("likely suspicious due to the very low reputation", Reason::BadReputation),
    ("very low reputation of the sending", Reason::BadReputation),
    ("this message is likely unsolicited mail", Reason::SpamDetected),
    ("?p=unsolicitedmessageerror", Reason::SpamDetected),
    ("rejected due to spam classification", Reason::SpamDetected),
    ("?p=rfcmessagenoncompliant", Reason::NotCompliantRfc),
    ("its content presents a potential", Reason::PolicyViolation),
    ("?p=blockedmessage", Reason::PolicyViolation),
    ("exceeded google's message size limits", Reason::MesgTooBig),
    ("?p=maxsizeerror", Reason::MesgTooBig),
    ("did not accept our requests to connect", Reason::Expired),
    // Google Groups refusing a post (not a member, no permission), in every language it writes.
    ("https://groups.google.com/support", Reason::Rejected),
    // Gmail relaying a DNS answer: temporary unless the domain publishes a null MX.
    ("returned null mx", Reason::NotAccept),
    ("doesn't receive email according to the administrator", Reason::NotAccept),
    ("dns type 'mx' lookup of", Reason::NetworkError),
    // Microsoft 365, Exchange Online, Exchange Server, Outlook.com ("Email non-delivery reports
    // and SMTP errors in Exchange Online"; Sisimai rhost/microsoft).
    ("recipnotfound", Reason::UserUnknown),
    ("recipientnotfound", Reason::UserUnknown),
    ("recipient not found by smtp address lookup", Reason::UserUnknown),
    ("as(201806281)", Reason::UserUnknown),
    ("storedrv.submit; invalid recipient address", Reason::UserUnknown),
    ("smtpsend.dns.nonexistentdomain", Reason::HostUnknown),
    ("hosted tenant which has no mail-enabled subscriptions", Reason::NotAccept),
    ("recipsizelimit", Reason::MesgTooBig),
    ("resolver.adr.reciplimit", Reason::TooManyConn),
    ("recipient thread limit exceeded", Reason::Speeding),
    ("message receive limit", Reason::Speeding),
    ("resolver.rst.notauthorized", Reason::Filtered),
    ("resolver.rst.authrequired", Reason::SecurityError),
    ("access denied, banned sending ip", Reason::Blocked),
    ("access denied, banned sender", Reason::Blocked),
    ("access denied, rejected by recipient", Reason::Blocked),
    ("access denied, please try again later", Reason::Blocked),
    ("traffic not accepted from this ip", Reason::Blocked),
    ("using customer block list", Reason::Blocked),
    ("part of their network is on our block list", Reason::Blocked),
    ("(s3150)", Reason::Blocked),
    ("(s3140)", Reason::Blocked),
    ("rate limited due to ip reputation", Reason::BadReputation),
    ("does not pass dmarc verification", Reason::AuthFailure),
    ("must pass either spf or dkim", Reason::AuthFailure),
    ("section 3.6.2 compliant", Reason::NotCompliantRfc),
    ("the domain is not reachable", Reason::HostUnknown),
    ("storedrv.deliver: mailbox full", Reason::MailboxFull),
    ("queue.expired", Reason::Expired),
    // Yahoo, AOL, Verizon Media ("SMTP error codes", senders.yahooinc.com; Sisimai rhost/yahooinc).
    ("delivery error: dd * is no longer valid", Reason::Suspend),
    ("this account has been disabled or discontinued", Reason::Suspend),
    ("this mailbox is disabled", Reason::Suspend),
    ("temporarily deferred due to unexpected volume or user complaints", Reason::BadReputation),
    ("temporarily deferred due to user complaints", Reason::Blocked),
    ("will be permanently deferred", Reason::Blocked),
    ("because the ip is in spamhaus's list", Reason::Blocked),
    ("yahoo requires all senders to authenticate", Reason::AuthFailure),
    ("requested mail action aborted, mailbox not found", Reason::UserUnknown),
    // iCloud ("Mail server errors", support.apple.com/102322; Sisimai rhost/apple).
    ("inactive email address", Reason::UserUnknown),
    ("unknown or illegal alias", Reason::UserUnknown),
    ("recipient no longer on server", Reason::HasMoved),
    ("host/domain does not accept mail", Reason::NotAccept),
    ("deferred due to excessive volume", Reason::Speeding),
    ("blocked for failing both spf and dkim", Reason::AuthFailure),
    ("esmtp not accepting connections", Reason::Blocked),
    // Mimecast ("Mimecast SMTP Error Codes"; Sisimai rhost/mimecast).
    ("internal resource temporarily unavailable", Reason::BadReputation),
    ("internal resources are temporarily unavailable", Reason::BadReputation),
    ("local ct ip reputation", Reason::BadReputation),
    ("email rejected due to security policies", Reason::SpamDetected),
    ("host network not allowed", Reason::PolicyViolation),
    ("host network, not allowed", Reason::PolicyViolation),
    ("anti-spoofing policy", Reason::PolicyViolation),
    ("content examination policy", Reason::PolicyViolation),
    ("administrative prohibition", Reason::Rejected),
    ("envelope blocked", Reason::Rejected),
    ("spf sender invalid", Reason::AuthFailure),
    ("dkim sender invalid", Reason::AuthFailure),
    ("dmarc sender invalid", Reason::AuthFailure),
    ("maximum email size exceeded", Reason::MesgTooBig),
    ("ip temporarily blacklisted", Reason::Blocked),
    ("sender address blocked", Reason::Blocked),
    ("recipient temporarily unavailable", Reason::Blocked),
    // Proofpoint (Proofpoint postmaster pages; bounces quoting its lookup URLs).
    ("proofpoint.com/dnsbl-lookup", Reason::Blocked),
    ("ipcheck.proofpoint.com", Reason::Blocked),
    ("blocked by proofpoint", Reason::Blocked),
    ("sender's spf policy", Reason::AuthFailure),
    // Orange / La Poste (Sisimai rhost/franceptt).
    // Numbered refusals (`LPN000_630`, `OFR005_505`), before the wordings: the digits name the cause.
    ("lpn*_630", Reason::PolicyViolation),
    ("ofr*_630", Reason::PolicyViolation),
    ("ouk*_630", Reason::PolicyViolation),
    ("lpn*-630", Reason::PolicyViolation),
    ("ofr*-630", Reason::PolicyViolation),
    ("lpn*_505", Reason::SystemError),
    ("ofr*_505", Reason::SystemError),
    ("ouk*_505", Reason::SystemError),
    ("lpn*-505", Reason::SystemError),
    ("ofr*-505", Reason::SystemError),
    ("adresse ip source bloquee", Reason::Blocked),
    ("le compte du destinataire est bloque", Reason::Suspend),
    ("destinataire invalide", Reason::UserUnknown),
    ("service refuse. veuillez essayer plus tard", Reason::Blocked),
    // Spectrum ("Understanding email error codes"): AUP#I (AUP#In-, AUP#I-) 1300 to 1340 limit concurrent
    // connections.
    ("aup#in-130", Reason::TooManyConn),
    ("aup#in-131", Reason::TooManyConn),
    ("aup#in-132", Reason::TooManyConn),
    ("aup#in-133", Reason::TooManyConn),
    ("aup#in-1340", Reason::TooManyConn),
    ("aup#i-130", Reason::TooManyConn),
    ("aup#i-131", Reason::TooManyConn),
    ("aup#i-132", Reason::TooManyConn),
    ("aup#i-133", Reason::TooManyConn),
    ("aup#i-1340", Reason::TooManyConn),
    // Cox ("Cox email error codes"): AUP#CDRBL is its blocklist.
    ("aup#cdrbl", Reason::Blocked),
    // GoDaddy (GoDaddy "Fix rejected email with a bounce error").
    ("has sent to too many recipients", Reason::Speeding),
    // Facebook, Tencent QQ, i.ua (Sisimai rhost/facebook, rhost/tencent, rhost/iua).
    ("refused due to recipient preferences", Reason::Filtered),
    ("frequency limited", Reason::TooManyConn),
    ("mailbox is frozen", Reason::Suspend),
    // qmail and vpopmail/chkuser (qmail-local.c, qmail-remote.c, chkuser).
    ("no mailbox here by that name", Reason::UserUnknown),
    ("that domain or user isn't in my list of allowed rcpthosts", Reason::UserUnknown),
    ("i couldn't find any host", Reason::HostUnknown),
    ("i couldn't find a mail exchanger or ip address", Reason::NotAccept),
    ("although i'm listed as a best-preference mx or a for that host", Reason::NetworkError),
    ("i wasn't able to establish an smtp connection", Reason::NetworkError),
    ("vdelivermail: account is locked", Reason::Suspend),
    // Mail systems that answer for their own directory (Sisimai decides these by the product):
    // Lotus Notes/Domino, Ipswitch IMail, Verizon, Trend Micro, Sendmail's mail.local, Gmail's
    // relayed "Address not found".
    ("not listed in domino directory", Reason::UserUnknown),
    ("domino ディレクトリには見つかりません", Reason::UserUnknown),
    ("not listed in public name & address book", Reason::UserUnknown),
    ("invalid final delivery userid", Reason::UserUnknown),
    ("no valid recipients for this mm", Reason::UserUnknown),
    ("and other recipients in the same domain", Reason::UserUnknown),
    ("mail.local: unknown user", Reason::UserUnknown),
    ("ディレクトリのリストにありません", Reason::UserUnknown),
    // Orange: OFR_506 is its spam refusal ("Mail rejete").
    ("mail rejete", Reason::SpamDetected),
    // Exim (routers/dnslookup.c, route.c, transports/smtp.c).
    ("all relevant mx records point to non-existent hosts", Reason::HostUnknown),
    ("all host address lookups failed permanently", Reason::HostUnknown),
    ("an mx or srv record indicated no smtp service", Reason::NotAccept),
    ("the account or domain may not exist", Reason::HostUnknown),
];

/// Generic English phrases, grouped by reason. Order matters: the first match wins, so
/// specific sender-side causes come before the recipient-side ones whose words they reuse
/// ("Sender address rejected: Domain not found" is not `hostunknown`).
#[rustfmt::skip]
pub(crate) const GENERIC: PhraseTable = &[
    // vacation: auto-replies that reach SES as bounces
    ("i am out of the office", Reason::Vacation),
    ("i am currently out of the office", Reason::Vacation),
    ("i will be out of the office", Reason::Vacation),
    ("i am away on vacation", Reason::Vacation),
    ("i am on vacation", Reason::Vacation),
    ("i am away until", Reason::Vacation),
    // virusdetected
    ("virus detected", Reason::VirusDetected),
    ("virus found", Reason::VirusDetected),
    ("infected with a virus", Reason::VirusDetected),
    ("contains a virus", Reason::VirusDetected),
    ("potentially executable attachment", Reason::VirusDetected),
    ("used by recent viruses", Reason::VirusDetected),
    ("prohibited virus or spam content", Reason::VirusDetected),
    ("malware detected", Reason::VirusDetected),
    ("malicious_url", Reason::VirusDetected),
    ("message contained unsafe content", Reason::VirusDetected),
    // authfailure
    ("dmarc policy", Reason::AuthFailure),
    ("dmarc check", Reason::AuthFailure),
    ("dmarc verification", Reason::AuthFailure),
    ("dmarc validation", Reason::AuthFailure),
    ("failed dmarc", Reason::AuthFailure),
    ("fails dmarc", Reason::AuthFailure),
    ("dmarc fail", Reason::AuthFailure),
    ("sender policy framework", Reason::AuthFailure),
    ("spf record with a hard fail", Reason::AuthFailure),
    ("fails to pass spf", Reason::AuthFailure),
    ("spf check: fail", Reason::AuthFailure),
    ("spf check failed", Reason::AuthFailure),
    ("spf validation", Reason::AuthFailure),
    ("spf fail", Reason::AuthFailure),
    ("spf settings", Reason::AuthFailure),
    ("bad spf records", Reason::AuthFailure),
    ("//spf.pobox.com", Reason::AuthFailure),
    ("per it's spf record", Reason::AuthFailure),
    ("per its spf record", Reason::AuthFailure),
    ("[spf]", Reason::AuthFailure),
    ("dkim signature", Reason::AuthFailure),
    ("dkim validation", Reason::AuthFailure),
    ("authenticate with either spf or dkim", Reason::AuthFailure),
    ("senders to authenticate", Reason::AuthFailure),
    ("sender is unauthenticated", Reason::AuthFailure),
    ("unauthenticated email from * is not accepted", Reason::AuthFailure),
    ("fails to pass authentication checks", Reason::AuthFailure),
    ("does not have authentication information", Reason::AuthFailure),
    // requireptr
    ("ptr record", Reason::RequirePtr),
    ("ptr resource record", Reason::RequirePtr),
    ("reverse dns", Reason::RequirePtr),
    ("rdns", Reason::RequirePtr),
    ("reverse lookup", Reason::RequirePtr),
    ("ip name lookup failed", Reason::RequirePtr),
    ("cannot find your hostname", Reason::RequirePtr),
    ("cannot find your reverse hostname", Reason::RequirePtr),
    ("unresolvable relay host name", Reason::RequirePtr),
    ("mismatches client ip", Reason::RequirePtr),
    // badreputation
    ("low reputation", Reason::BadReputation),
    ("poor reputation", Reason::BadReputation),
    ("bad reputation", Reason::BadReputation),
    ("ip reputation", Reason::BadReputation),
    ("domain reputation", Reason::BadReputation),
    ("reputation score", Reason::BadReputation),
    // speeding
    ("too many recipients this hour", Reason::Speeding),
    ("excessive volume", Reason::Speeding),
    ("please try again slower", Reason::Speeding),
    ("rate limited", Reason::Speeding),
    ("too many messages from", Reason::Speeding),
    ("max emails per hour", Reason::Speeding),
    // toomanyconn
    ("too many connections", Reason::TooManyConn),
    ("too many concurrent", Reason::TooManyConn),
    ("connection limit", Reason::TooManyConn),
    ("connection rate limit", Reason::TooManyConn),
    ("too many recipients", Reason::TooManyConn),
    ("max message per connection", Reason::TooManyConn),
    ("too many smtp sessions", Reason::TooManyConn),
    ("trop de connexions", Reason::TooManyConn),
    // norelaying
    ("relay access denied", Reason::NoRelaying),
    ("relaying denied", Reason::NoRelaying),
    ("relay denied", Reason::NoRelaying),
    ("relay not permitted", Reason::NoRelaying),
    ("relaying not allowed", Reason::NoRelaying),
    ("relay not allowed", Reason::NoRelaying),
    ("no relaying", Reason::NoRelaying),
    ("unable to relay", Reason::NoRelaying),
    ("not permitted to relay", Reason::NoRelaying),
    ("not allowed to relay", Reason::NoRelaying),
    ("not configured to relay", Reason::NoRelaying),
    ("open relay", Reason::NoRelaying),
    ("we do not relay", Reason::NoRelaying),
    ("isn't in my list of allowed rcpthosts", Reason::NoRelaying),
    // notcompliantrfc
    ("rfc 5322 compliant", Reason::NotCompliantRfc),
    ("rfc5322 compliant", Reason::NotCompliantRfc),
    ("not rfc compliant", Reason::NotCompliantRfc),
    ("headers are not rfc compliant", Reason::NotCompliantRfc),
    ("multiple addresses in from:", Reason::NotCompliantRfc),
    ("multiple * addresses in from:", Reason::NotCompliantRfc),
    ("missing a valid message-id", Reason::NotCompliantRfc),
    ("missing a valid address in the from: header", Reason::NotCompliantRfc),
    ("message is malformed", Reason::NotCompliantRfc),
    // rejected: the envelope sender
    ("sender address rejected", Reason::Rejected),
    ("sender rejected", Reason::Rejected),
    ("sender was rejected", Reason::Rejected),
    ("sender verify failed", Reason::Rejected),
    ("sender verification failed", Reason::Rejected),
    ("domain of sender address", Reason::Rejected),
    ("unroutable sender address", Reason::Rejected),
    ("invalid sender", Reason::Rejected),
    ("sender address has been blacklisted", Reason::Rejected),
    ("email address has been blacklisted", Reason::Rejected),
    ("address that has been blacklisted", Reason::Rejected),
    ("sender is on domain's blacklist", Reason::Rejected),
    ("sender is in my black list", Reason::Rejected),
    ("sender blacklisted", Reason::Rejected),
    ("blocked senders", Reason::Rejected),
    ("purported responsible address", Reason::Rejected),
    ("null sender", Reason::Rejected),
    ("empty envelope sender", Reason::Rejected),
    ("returned mail not accepted", Reason::Rejected),
    ("batv", Reason::Rejected),
    // blocked: the sending IP or network
    ("blocked using", Reason::Blocked),
    ("blacklisted", Reason::Blocked),
    ("blacklist", Reason::Blocked),
    ("black list", Reason::Blocked),
    ("blocklist", Reason::Blocked),
    ("block list", Reason::Blocked),
    ("dnsbl", Reason::Blocked),
    ("spamhaus", Reason::Blocked),
    ("spamcop", Reason::Blocked),
    ("barracudacentral", Reason::Blocked),
    ("client host blocked", Reason::Blocked),
    ("client host rejected: blocked", Reason::Blocked),
    ("client host rejected: may not be mail exchanger", Reason::Blocked),
    ("helo command rejected", Reason::Blocked),
    ("bad helo", Reason::Blocked),
    ("ip address blocked", Reason::Blocked),
    ("blocked ip", Reason::Blocked),
    ("ip blocked", Reason::Blocked),
    ("your ip address is listed", Reason::Blocked),
    ("connections not accepted from", Reason::Blocked),
    ("connections will not be accepted from", Reason::Blocked),
    ("not currently accepting mail from your ip", Reason::Blocked),
    ("please use the smtp server of your isp", Reason::Blocked),
    ("dynamic ip", Reason::Blocked),
    ("blocked by ldap", Reason::Blocked),
    ("you are not allowed to connect", Reason::Blocked),
    ("not accepting connections", Reason::Blocked),
    ("service unavailable; client host", Reason::Blocked),
    ("service unavailable, client host", Reason::Blocked),
    // mailboxfull
    ("mailbox full", Reason::MailboxFull),
    ("mailbox is full", Reason::MailboxFull),
    ("mailbox has exceeded", Reason::MailboxFull),
    ("mailbox size limit", Reason::MailboxFull),
    ("mailbox quota", Reason::MailboxFull),
    ("mailbox would exceed", Reason::MailboxFull),
    ("mailfolder is full", Reason::MailboxFull),
    ("mail folder is full", Reason::MailboxFull),
    ("over quota", Reason::MailboxFull),
    ("quota exceeded", Reason::MailboxFull),
    ("exceeded quota", Reason::MailboxFull),
    ("exceeds quota", Reason::MailboxFull),
    ("quota exceed", Reason::MailboxFull),
    ("over the allowed quota", Reason::MailboxFull),
    ("over storage quota", Reason::MailboxFull),
    ("exceeded storage allocation", Reason::MailboxFull),
    ("exhausted allowed storage", Reason::MailboxFull),
    ("not enough storage", Reason::MailboxFull),
    ("insufficient storage", Reason::MailboxFull),
    ("out of storage", Reason::MailboxFull),
    ("too many messages on the server", Reason::MailboxFull),
    ("no space left on device", Reason::MailboxFull),
    ("out of disk space", Reason::MailboxFull),
    ("ran out of space", Reason::MailboxFull),
    // mesgtoobig
    ("message too large", Reason::MesgTooBig),
    ("message too big", Reason::MesgTooBig),
    ("message is too large", Reason::MesgTooBig),
    ("message size exceeds", Reason::MesgTooBig),
    ("message length exceeds", Reason::MesgTooBig),
    ("exceeds my databytes limit", Reason::MesgTooBig),
    ("size limit", Reason::MesgTooBig),
    ("max message size", Reason::MesgTooBig),
    ("line limit exceeded", Reason::MesgTooBig),
    // suspend
    ("account is disabled", Reason::Suspend),
    ("account has been disabled", Reason::Suspend),
    ("account disabled", Reason::Suspend),
    ("mailbox disabled", Reason::Suspend),
    ("mailbox is disabled", Reason::Suspend),
    ("disabled recipient", Reason::Suspend),
    ("account is suspended", Reason::Suspend),
    ("account has been suspended", Reason::Suspend),
    ("is currently suspended", Reason::Suspend),
    ("user suspended", Reason::Suspend),
    ("recipient suspend", Reason::Suspend),
    ("account is inactive", Reason::Suspend),
    ("user is inactive", Reason::Suspend),
    ("inactive account", Reason::Suspend),
    ("account is locked", Reason::Suspend),
    ("account has been locked", Reason::Suspend),
    ("temporary locked", Reason::Suspend),
    ("temporarily locked", Reason::Suspend),
    ("recipient account is blocked", Reason::Suspend),
    ("archived recipient", Reason::Suspend),
    ("due to extended inactivity", Reason::Suspend),
    // hasmoved
    (" has been replaced by ", Reason::HasMoved),
    ("mailbox has moved", Reason::HasMoved),
    ("user not local; please try", Reason::HasMoved),
    // filtered: the recipient does not want this sender
    ("blocked by the recipient", Reason::Filtered),
    ("user refuses to receive", Reason::Filtered),
    ("recipient doesn't want your mail", Reason::Filtered),
    ("message rejected due to user rules", Reason::Filtered),
    ("only accepting mail from specific email addresses", Reason::Filtered),
    ("is not accepting any mail", Reason::Filtered),
    ("recipient's list of senders to accept mail from", Reason::Filtered),
    // mailererror: a local delivery program failed
    ("procmail:", Reason::MailerError),
    ("command died with status", Reason::MailerError),
    ("pipe to |", Reason::MailerError),
    ("mailer error", Reason::MailerError),
    // userunknown
    ("user unknown", Reason::UserUnknown),
    ("the address couldn't be found", Reason::UserUnknown),
    ("unknown user", Reason::UserUnknown),
    ("user is unknown", Reason::UserUnknown),
    ("unknown recipient", Reason::UserUnknown),
    ("recipient unknown", Reason::UserUnknown),
    ("unknown or illegal user", Reason::UserUnknown),
    ("unknown mailbox", Reason::UserUnknown),
    ("unknown local part", Reason::UserUnknown),
    ("unknown local-part", Reason::UserUnknown),
    ("unknown email address", Reason::UserUnknown),
    ("unknown e-mail address", Reason::UserUnknown),
    ("no such user", Reason::UserUnknown),
    ("no such recipient", Reason::UserUnknown),
    ("no such mailbox", Reason::UserUnknown),
    ("no such account", Reason::UserUnknown),
    ("no such person", Reason::UserUnknown),
    ("no such address", Reason::UserUnknown),
    ("user not found", Reason::UserUnknown),
    ("user does not exist", Reason::UserUnknown),
    ("user doesn't exist", Reason::UserUnknown),
    ("user not exist", Reason::UserUnknown),
    ("user not known", Reason::UserUnknown),
    ("recipient not found", Reason::UserUnknown),
    ("recipient does not exist", Reason::UserUnknown),
    ("recipient address does not exist", Reason::UserUnknown),
    ("address does not exist", Reason::UserUnknown),
    ("account does not exist", Reason::UserUnknown),
    ("account not found", Reason::UserUnknown),
    ("mailbox not found", Reason::UserUnknown),
    ("mailbox does not exist", Reason::UserUnknown),
    ("mailbox not present", Reason::UserUnknown),
    ("mailbox unknown", Reason::UserUnknown),
    ("no mailbox by that name", Reason::UserUnknown),
    ("no mailbox found", Reason::UserUnknown),
    ("invalid recipient", Reason::UserUnknown),
    ("invalid mailbox", Reason::UserUnknown),
    ("invalid address", Reason::UserUnknown),
    ("invalid user", Reason::UserUnknown),
    ("not a valid mailbox", Reason::UserUnknown),
    ("not a valid recipient", Reason::UserUnknown),
    ("not a valid user", Reason::UserUnknown),
    ("not a known user", Reason::UserUnknown),
    ("bad destination mailbox", Reason::UserUnknown),
    ("requested action not taken: mailbox unavailable", Reason::UserUnknown),
    ("recipient address rejected: access denied", Reason::UserUnknown),
    ("there is no one at this address", Reason::UserUnknown),
    ("address not present in directory", Reason::UserUnknown),
    ("not listed in domino directory", Reason::UserUnknown),
    ("wrong or no longer valid", Reason::UserUnknown),
    ("no longer accepts mail", Reason::UserUnknown),
    ("user * does not exist", Reason::UserUnknown),
    ("mailbox * does not exist", Reason::UserUnknown),
    ("recipient * was not found", Reason::UserUnknown),
    // networkerror: transient DNS failures, before the permanent ones below
    ("host not found, try again", Reason::NetworkError),
    ("temporary failure in name resolution", Reason::NetworkError),
    ("malformed or unexpected name server reply", Reason::NetworkError),
    ("malformed name server reply", Reason::NetworkError),
    // hostunknown
    ("host or domain name not found", Reason::HostUnknown),
    ("domain name not found", Reason::HostUnknown),
    ("nxdomain", Reason::HostUnknown),
    ("had no relevant answers", Reason::HostUnknown),
    ("host unknown", Reason::HostUnknown),
    ("unknown host", Reason::HostUnknown),
    ("no such domain", Reason::HostUnknown),
    ("domain does not exist", Reason::HostUnknown),
    ("domain not found", Reason::HostUnknown),
    ("domain must exist", Reason::HostUnknown),
    ("unrouteable address", Reason::HostUnknown),
    ("unroutable address", Reason::HostUnknown),
    ("mail domain mentioned in email address is unknown", Reason::HostUnknown),
    ("name or service not known", Reason::HostUnknown),
    ("type=mx: host not found", Reason::HostUnknown),
    ("type=a: host not found", Reason::HostUnknown),
    ("type=aaaa: host not found", Reason::HostUnknown),
    // notaccept
    ("null mx", Reason::NotAccept),
    ("nullmx", Reason::NotAccept),
    ("host does not accept mail", Reason::NotAccept),
    ("does not accept mail", Reason::NotAccept),
    ("doesn't receive email", Reason::NotAccept),
    ("mail receiving disabled", Reason::NotAccept),
    ("no mx record found", Reason::NotAccept),
    // spamdetected
    ("spam detected", Reason::SpamDetected),
    ("detected as spam", Reason::SpamDetected),
    ("identified as spam", Reason::SpamDetected),
    ("classified as spam", Reason::SpamDetected),
    ("considered spam", Reason::SpamDetected),
    ("considered as spam", Reason::SpamDetected),
    ("flagged as spam", Reason::SpamDetected),
    ("scored as spam", Reason::SpamDetected),
    ("rejected as spam", Reason::SpamDetected),
    ("looks like spam", Reason::SpamDetected),
    ("appears to be spam", Reason::SpamDetected),
    ("suspected spam", Reason::SpamDetected),
    ("probable spam", Reason::SpamDetected),
    ("probability of spam", Reason::SpamDetected),
    ("rejected due to spam", Reason::SpamDetected),
    ("due to spam content", Reason::SpamDetected),
    ("spam content", Reason::SpamDetected),
    ("spam message", Reason::SpamDetected),
    ("spam score", Reason::SpamDetected),
    ("spamassassin", Reason::SpamDetected),
    ("spam-like", Reason::SpamDetected),
    ("unsolicited", Reason::SpamDetected),
    ("bulk mail", Reason::SpamDetected),
    ("bulk email", Reason::SpamDetected),
    ("message content rejected", Reason::SpamDetected),
    ("content filter", Reason::SpamDetected),
    (" - spam", Reason::SpamDetected),
    // policyviolation
    ("violates our policy", Reason::PolicyViolation),
    ("local policy violation", Reason::PolicyViolation),
    ("due to local policy", Reason::PolicyViolation),
    ("denied by policy", Reason::PolicyViolation),
    ("rejected by policy", Reason::PolicyViolation),
    ("for policy reasons", Reason::PolicyViolation),
    ("recipient's policy", Reason::PolicyViolation),
    ("organization policy", Reason::PolicyViolation),
    ("organizational settings", Reason::PolicyViolation),
    ("illegal attachment", Reason::PolicyViolation),
    ("attachments are not allowed", Reason::PolicyViolation),
    ("images or other attachments", Reason::PolicyViolation),
    ("banned content", Reason::PolicyViolation),
    ("protocol violation", Reason::PolicyViolation),
    ("members-only list", Reason::PolicyViolation),
    ("closed mailing list", Reason::PolicyViolation),
    ("not subscribed to this group", Reason::PolicyViolation),
    // failedstarttls / securityerror
    ("starttls is required", Reason::FailedStartTls),
    ("tls required but not supported", Reason::FailedStartTls),
    ("must support tls", Reason::FailedStartTls),
    ("must issue a starttls command first", Reason::SecurityError),
    ("tls required", Reason::SecurityError),
    ("encryption required", Reason::SecurityError),
    ("authentication required", Reason::SecurityError),
    ("authentication is required", Reason::SecurityError),
    ("smtp authentication", Reason::SecurityError),
    ("unauthenticated senders not allowed", Reason::SecurityError),
    ("authentication credentials invalid", Reason::SecurityError),
    ("authentication failure", Reason::SecurityError),
    // contenterror
    ("duplicate header", Reason::ContentError),
    ("header error", Reason::ContentError),
    ("headers too large", Reason::ContentError),
    ("header size exceeds", Reason::ContentError),
    ("improper use of 8-bit data", Reason::ContentError),
    ("invalid mime", Reason::ContentError),
    ("mime complexity", Reason::ContentError),
    ("improperly-formatted binary content", Reason::ContentError),
    ("invalid characters", Reason::ContentError),
    // expired
    ("message expired", Reason::Expired),
    ("queue expired", Reason::Expired),
    ("delivery expired", Reason::Expired),
    ("delivery time expired", Reason::Expired),
    ("retry timeout exceeded", Reason::Expired),
    ("retry time not reached", Reason::Expired),
    ("have been failing for a long time", Reason::Expired),
    ("could not be delivered for * days", Reason::Expired),
    ("cannot send message for * days", Reason::Expired),
    ("too long in the queue", Reason::Expired),
    ("unable to deliver message after multiple retries", Reason::Expired),
    ("message timed out", Reason::Expired),
    ("connection timed out", Reason::Expired),
    ("timeout - closing connection", Reason::Expired),
    ("giving up on", Reason::Expired),
    // networkerror
    ("no route to host", Reason::NetworkError),
    ("host is unreachable", Reason::NetworkError),
    ("network is unreachable", Reason::NetworkError),
    ("connection refused", Reason::NetworkError),
    ("connection reset", Reason::NetworkError),
    ("lost connection", Reason::NetworkError),
    ("connection dropped", Reason::NetworkError),
    ("could not connect", Reason::NetworkError),
    ("too many hops", Reason::NetworkError),
    ("hop count exceeded", Reason::NetworkError),
    ("routing loop", Reason::NetworkError),
    ("mail loop", Reason::NetworkError),
    ("message is looping", Reason::NetworkError),
    ("dns query failed", Reason::NetworkError),
    ("host name lookup failure", Reason::NetworkError),
    // systemfull
    ("mail system full", Reason::SystemFull),
    ("insufficient system resources", Reason::SystemFull),
    ("insufficient disk space", Reason::SystemFull),
    // systemerror
    ("system config error", Reason::SystemError),
    ("configuration error", Reason::SystemError),
    ("system error", Reason::SystemError),
    ("internal error", Reason::SystemError),
    ("temporary server error", Reason::SystemError),
    ("local error in processing", Reason::SystemError),
    ("temporary local problem", Reason::SystemError),
    ("service currently unavailable", Reason::SystemError),
    ("service not available", Reason::SystemError),
    ("server busy", Reason::SystemError),
    ("unable to process", Reason::SystemError),
    ("could not load drd", Reason::SystemError),
    ("transaction failed", Reason::SystemError),
    // syntaxerror
    ("syntax error", Reason::SyntaxError),
    ("unrecognized command", Reason::SyntaxError),
    ("command not recognized", Reason::SyntaxError),
    ("command not implemented", Reason::SyntaxError),
    ("command parameter not implemented", Reason::SyntaxError),
    ("bad sequence of commands", Reason::SyntaxError),
    ("improper sequence of commands", Reason::SyntaxError),
    // last resort: a bare refusal of service is a block of the sender
    ("service unavailable", Reason::Blocked),
    // Gated like any "user unknown" (Gmail, Yahoo, Exchange wordings): hard only with a 5.1.x
    // status or at RCPT, as Sisimai decides.
    ("the email account that you tried to reach does not exist", Reason::UserUnknown),
    ("returned unknown recipient or mailbox unavailable", Reason::UserUnknown),
    ("this user doesn't have a * account", Reason::UserUnknown),
    // Wordings of Sisimai's corpus (tests/data/sisimai) the phrases above missed, by reason.
    ("recipient address rejected. (in reply to rcpt", Reason::UserUnknown),
    ("is not a registered gateway user", Reason::Rejected),
    ("you're sending this from a different address or alias", Reason::Rejected),
    ("you are not a member of this mailing list", Reason::Rejected),
    ("all recipient addresses rejected : access denied", Reason::Rejected),
    ("no such domain", Reason::HostUnknown),
    ("dns lookup failure: host * not found", Reason::HostUnknown),
    ("no mx found for domain", Reason::NotAccept),
    ("malformed or unexpected name server reply", Reason::NotAccept),
    ("network error on destination mxs", Reason::NetworkError),
    ("host not reachable", Reason::Expired),
    ("has been delayed", Reason::Expired),
    ("could not be delivered for too long", Reason::Expired),
    ("unable to connect successfully to the destination mail server", Reason::Expired),
    ("unable to deliver this message after", Reason::Expired),
    ("could not deliver for the last * seconds", Reason::Expired),
    ("could not find a gateway for", Reason::Expired),
    ("delivery failed * attempts", Reason::Expired),
    ("envelope expired", Reason::Expired),
    ("was not delivered within", Reason::Expired),
    ("failed to connect. winsock error code", Reason::Expired),
    ("in the queue too long", Reason::Expired),
    ("number of messages in recipient's mailbox exceeded", Reason::MailboxFull),
    ("mailbox exceeds allowed size", Reason::MailboxFull),
    ("not enough disk space", Reason::MailboxFull),
    ("insecure mail relay", Reason::NoRelaying),
    ("refused to talk to me", Reason::Blocked),
    ("invalid ip for sending mail of domain", Reason::Blocked),
    ("you've reached your daily relay quota", Reason::Blocked),
    ("badrcptto list", Reason::Filtered),
    ("messages from * weren't sent", Reason::Blocked),
    ("unverifyable sending ips", Reason::RequirePtr),
    ("malformed address", Reason::SyntaxError),
    ("duplicated message-id", Reason::SystemError),
    ("unable to contact ldap server", Reason::SystemError),
    ("queue file write error", Reason::SystemError),
    ("header error", Reason::PolicyViolation),
    ("blacklisted url in message", Reason::SpamDetected),
];

/// Phrases of localised receivers and DSN generators, normalised (accents folded).
#[rustfmt::skip]
pub(crate) const LANGUAGES: PhraseTable = &[
    // German (web.de, GMX, T-Online, Exchange and Postfix localisations)
    ("benutzer unbekannt", Reason::UserUnknown),
    ("benutzer nicht bekannt", Reason::UserUnknown),
    ("unbekannter benutzer", Reason::UserUnknown),
    ("empfanger unbekannt", Reason::UserUnknown),
    ("empfaenger unbekannt", Reason::UserUnknown),
    ("unbekannter empfanger", Reason::UserUnknown),
    ("existiert nicht", Reason::UserUnknown),
    ("postfach voll", Reason::MailboxFull),
    ("postfach ist voll", Reason::MailboxFull),
    ("speicherplatz", Reason::MailboxFull),
    ("speichervolumen", Reason::MailboxFull),
    ("zu viele mails auf dem server", Reason::MailboxFull),
    ("zuviele mails auf dem server", Reason::MailboxFull),
    ("konto gesperrt", Reason::Suspend),
    ("konto deaktiviert", Reason::Suspend),
    ("postfach deaktiviert", Reason::Suspend),
    ("nachricht zu gross", Reason::MesgTooBig),
    ("als spam erkannt", Reason::SpamDetected),
    // French (Orange, SFR, La Poste, Free)
    ("utilisateur inconnu", Reason::UserUnknown),
    ("destinataire inconnu", Reason::UserUnknown),
    ("adresse inexistante", Reason::UserUnknown),
    ("adresse d au moins un destinataire invalide", Reason::UserUnknown),
    ("boite pleine", Reason::MailboxFull),
    ("boite aux lettres pleine", Reason::MailboxFull),
    ("boite du destinataire pleine", Reason::MailboxFull),
    ("quota depasse", Reason::MailboxFull),
    ("taille limite du message atteinte", Reason::MesgTooBig),
    ("boite du destinataire archivee", Reason::Suspend),
    ("compte desactive", Reason::Suspend),
    // Spanish
    ("usuario desconocido", Reason::UserUnknown),
    ("usuario no existe", Reason::UserUnknown),
    ("no existe ese usuario", Reason::UserUnknown),
    ("no existe dicha persona", Reason::UserUnknown),
    ("la cuenta no existe", Reason::UserUnknown),
    ("buzon lleno", Reason::MailboxFull),
    ("buzon de correo lleno", Reason::MailboxFull),
    ("cuenta deshabilitada", Reason::Suspend),
    ("cuenta desactivada", Reason::Suspend),
    // Portuguese
    ("usuario desconhecido", Reason::UserUnknown),
    ("usuario inexistente", Reason::UserUnknown),
    ("conta inexistente", Reason::UserUnknown),
    ("caixa postal cheia", Reason::MailboxFull),
    ("caixa de correio cheia", Reason::MailboxFull),
    ("caixa cheia", Reason::MailboxFull),
    ("conta desativada", Reason::Suspend),
    // Italian
    ("utente sconosciuto", Reason::UserUnknown),
    ("utente inesistente", Reason::UserUnknown),
    ("nessun utente simile", Reason::UserUnknown),
    ("indirizzo inesistente", Reason::UserUnknown),
    ("casella piena", Reason::MailboxFull),
    ("casella di posta piena", Reason::MailboxFull),
    ("casella e piena", Reason::MailboxFull),
    ("utente disabilitato", Reason::Suspend),
    // Dutch
    ("onbekende gebruiker", Reason::UserUnknown),
    ("gebruiker onbekend", Reason::UserUnknown),
    ("mailbox vol", Reason::MailboxFull),
    ("postvak vol", Reason::MailboxFull),
    // Russian (Mail.ru, Yandex, Rambler localisations)
    ("пользователь не найден", Reason::UserUnknown),
    ("нет такого пользователя", Reason::UserUnknown),
    ("пользователь не существует", Reason::UserUnknown),
    ("адрес не существует", Reason::UserUnknown),
    ("ящик переполнен", Reason::MailboxFull),
    ("ящик заполнен", Reason::MailboxFull),
    ("ящик заблокирован", Reason::Suspend),
    // Japanese (Domino, carrier DSNs)
    ("ディレクトリには見つかりません", Reason::UserUnknown),
    ("ユーザーが見つかりません", Reason::UserUnknown),
    ("宛先が見つかりません", Reason::UserUnknown),
    ("存在しないユーザ", Reason::UserUnknown),
    ("メールボックスがいっぱい", Reason::MailboxFull),
    ("容量超過", Reason::MailboxFull),
    // Chinese (QQ/Tencent, NetEase, Sina localisations; simplified and traditional)
    ("用户不存在", Reason::UserUnknown),
    ("收件人不存在", Reason::UserUnknown),
    ("邮箱不存在", Reason::UserUnknown),
    ("使用者不存在", Reason::UserUnknown),
    ("邮箱已满", Reason::MailboxFull),
    ("邮箱空间不足", Reason::MailboxFull),
    ("信箱已滿", Reason::MailboxFull),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(sub: Option<&str>, status: Option<&str>, diag: &str) -> Reason {
        classify(Some("Transient"), sub, status, Some(diag)).reason
    }

    // --- tables ----------------------------------------------------------------------------

    #[test]
    fn table_entries_are_in_normal_form() {
        for table in TABLES {
            for (pattern, r) in *table {
                assert!(!pattern.trim().is_empty(), "empty pattern for {r}");
                assert!(
                    pattern.split('*').any(|p| !p.trim().is_empty()),
                    "pattern {pattern:?} is only wildcards"
                );
                // normalize() trims the ends, so compare the inside.
                let inner = pattern.trim();
                assert_eq!(
                    normalize(inner),
                    inner,
                    "pattern {pattern:?} is not normalised"
                );
            }
        }
    }

    #[test]
    fn every_reason_has_a_distinct_name() {
        let mut names: Vec<&str> = Reason::ALL.iter().map(|r| r.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Reason::ALL.len());
        assert!(names
            .iter()
            .all(|n| n.bytes().all(|b| b.is_ascii_lowercase())));
        assert_eq!(Reason::MesgTooBig.to_string(), "mesgtoobig");
        assert_eq!(
            serde_json::to_string(&Reason::UserUnknown).ok().as_deref(),
            Some("\"userunknown\"")
        );
    }

    #[test]
    fn hard_reasons() {
        let hard: Vec<Reason> = Reason::ALL.into_iter().filter(|r| r.is_hard()).collect();
        assert_eq!(
            hard,
            [
                Reason::UserUnknown,
                Reason::HostUnknown,
                Reason::HasMoved,
                Reason::NotAccept
            ]
        );
    }

    // --- status codes ----------------------------------------------------------------------

    #[test]
    fn finds_status_codes() {
        let cases: &[(&str, Option<&str>)] = &[
            ("5.1.1", Some("5.1.1")),
            ("5.0.0 (permanent failure)", Some("5.0.0")),
            ("smtp; 550 5.1.1 <x@y>: User unknown", Some("5.1.1")),
            ("smtp; 550-5.7.26 This mail", Some("5.7.26")),
            (
                "smtp; 550 5.1.10 RESOLVER.ADR.RecipientNotFound",
                Some("5.1.10"),
            ),
            ("SMTP; 550 5.7.606 Access denied", Some("5.7.606")),
            (
                "Sorry, no mailbox here by that name. (#5.1.1)",
                Some("5.1.1"),
            ),
            // the code after a reply code wins over an earlier lone one
            (
                "smtp; 5.1.0 - Unknown address error 550-'5.2.2 <x>... Mailbox Full'",
                Some("5.2.2"),
            ),
            (
                "smtp; 554 4.4.7 Message expired <421 4.4.2 Connection timed out>",
                Some("4.4.7"),
            ),
            // IPv4 addresses, versions and Yahoo's trailing ids are not codes
            ("blocked [192.0.2.4] and 10.5.1.1", None),
            ("deferred - 4.16.55.1; see", None),
            ("Exim 4.96", None),
            (
                "smtp; 552 1 Requested mail action aborted, mailbox not found",
                None,
            ),
        ];
        for (input, want) in cases {
            assert_eq!(find_status_code(input), *want, "{input}");
        }
    }

    #[test]
    fn finds_reply_codes() {
        assert_eq!(find_reply_code("smtp; 550 5.1.1 x"), Some("550"));
        assert_eq!(find_reply_code("smtp;550-5.1.1 x"), Some("550"));
        assert_eq!(find_reply_code("SMTP; 552 1 Requested"), Some("552"));
        assert_eq!(find_reply_code("host [192.0.2.250] said"), None);
        assert_eq!(find_reply_code("unable to deliver in 840 minutes"), None);
        assert_eq!(find_reply_code("id=20025-09 - SPAM"), None);
        assert_eq!(find_reply_code("OFR_416 [416]"), None);
    }

    #[test]
    fn status_extracted_from_diagnostic_when_missing_or_generic() {
        let diag = "smtp; 550 5.1.1 <x@example.com>: Recipient address rejected";
        for status in [None, Some("5.0.0"), Some("4.0.0")] {
            let c = classify(Some("Transient"), Some("General"), status, Some(diag));
            assert_eq!(c.status_code, Some("5.1.1"), "{status:?}");
            assert_eq!(c.reason, Reason::UserUnknown, "{status:?}");
            assert_eq!(c.effective_bounce_type, Some(PERMANENT), "{status:?}");
        }
        // a specific status is taken as given
        let c = classify(Some("Transient"), None, Some("5.2.2"), Some(diag));
        assert_eq!(c.status_code, Some("5.2.2"));
        assert_eq!(c.reason, Reason::MailboxFull);
        // a generic status with nothing better stays
        let c = classify(
            Some("Transient"),
            None,
            Some("5.0.0"),
            Some("smtp; 550 Rejected"),
        );
        assert_eq!(c.status_code, Some("5.0.0"));
        // the status with and without text around it
        let c = classify(None, None, Some("5.1.1 (bad destination mailbox)"), None);
        assert_eq!(
            (c.reason, c.status_code),
            (Reason::UserUnknown, Some("5.1.1"))
        );
    }

    // --- precedence ------------------------------------------------------------------------

    #[test]
    fn subtype_beats_status_and_text() {
        let diag = "smtp; 550 5.1.1 user unknown";
        assert_eq!(
            reason(Some("MailboxFull"), Some("5.1.1"), diag),
            Reason::MailboxFull
        );
        assert_eq!(
            reason(Some("MessageTooLarge"), Some("5.1.1"), diag),
            Reason::MesgTooBig
        );
        let c = classify(
            Some("Permanent"),
            Some("OnAccountSuppressionList"),
            Some("5.1.1"),
            Some(diag),
        );
        assert_eq!(c.reason, Reason::Suppressed);
        assert_eq!(c.effective_bounce_type, Some("Permanent"));
        assert_eq!(
            reason(
                Some("NoEmail"),
                None,
                "smtp; 550 5.7.1 blocked using spamhaus"
            ),
            Reason::UserUnknown
        );
        assert_eq!(
            reason(Some("CustomTimeoutExceeded"), Some("4.4.1"), ""),
            Reason::Expired
        );
    }

    #[test]
    fn non_decisive_subtypes_are_fallbacks() {
        // ContentRejected: the text says more than the subtype
        assert_eq!(
            reason(
                Some("ContentRejected"),
                Some("5.7.1"),
                "smtp; 554 5.7.1 Spam detected"
            ),
            Reason::SpamDetected
        );
        // ... the subtype says more than a code the text does not confirm
        assert_eq!(
            reason(Some("ContentRejected"), Some("5.0.0"), "smtp; 554 Rejected"),
            Reason::ContentError
        );
        assert_eq!(
            reason(
                Some("ContentRejected"),
                Some("5.7.1"),
                "smtp; 554 5.7.1 Rejected"
            ),
            Reason::ContentError
        );
        assert_eq!(
            reason(
                Some("AttachmentRejected"),
                Some("5.7.0"),
                "smtp; 552 5.7.0 Rejected"
            ),
            Reason::SecurityError
        );
        // ... but not more than a firm one
        assert_eq!(
            reason(
                Some("ContentRejected"),
                Some("5.3.4"),
                "smtp; 552 5.3.4 Rejected"
            ),
            Reason::MesgTooBig
        );
        // General / Undetermined say nothing
        assert_eq!(
            reason(Some("General"), Some("5.1.1"), "smtp; 550 5.1.1 Rejected"),
            Reason::UserUnknown
        );
    }

    #[test]
    fn firm_status_beats_text() {
        // 5.2.2 is mailboxfull whatever the words
        assert_eq!(
            reason(None, Some("5.2.2"), "smtp; 552 5.2.2 <x>... user unknown"),
            Reason::MailboxFull
        );
        // a sender-side 5.1.8 stays rejected although the text says "does not exist"
        assert_eq!(
            reason(
                None,
                Some("5.1.8"),
                "smtp; 553 5.1.8 <a@b>... Domain of sender address a@b does not exist"
            ),
            Reason::Rejected
        );
        // 5.7.26 stays authfailure although the text says "blocked"
        assert_eq!(
            reason(
                None,
                Some("5.7.26"),
                "smtp; 550-5.7.26 This mail has been blocked"
            ),
            Reason::AuthFailure
        );
    }

    #[test]
    fn firm_hard_status_yields_to_a_soft_cause() {
        assert_eq!(
            reason(
                None,
                Some("5.1.1"),
                "smtp; 550 5.1.1 <x@example.com> - 203.0.113.2 has sent to too many recipients this hour. IB607"
            ),
            Reason::Speeding
        );
        assert_eq!(
            reason(
                None,
                Some("5.1.1"),
                "smtp; 550 5.7.1 IP address blacklisted by recipient"
            ),
            Reason::Blocked
        );
        // ... but not to another hard one, nor when the text agrees
        assert_eq!(
            reason(None, Some("5.1.1"), "smtp; 550 5.1.1 Unrouteable address"),
            Reason::UserUnknown
        );
        assert_eq!(
            reason(None, Some("5.1.1"), "smtp; 550 5.1.1 Rejected"),
            Reason::UserUnknown
        );
    }

    #[test]
    fn weak_status_is_refined_by_text() {
        // 5.7.1: securityerror by default, refined to what the text says
        let cases = [
            ("smtp; 550 5.7.1 Access denied", Reason::SecurityError),
            (
                "smtp; 550 5.7.1 Service unavailable, Client host [192.0.2.1] blocked using Spamhaus",
                Reason::Blocked,
            ),
            ("smtp; 554 5.7.1 Message blocked due to spam content", Reason::SpamDetected),
            ("smtp; 554 5.7.1 [CS01] Message rejected due to local policy", Reason::PolicyViolation),
            ("smtp; 554 5.7.1 <x@y>: Relay access denied", Reason::NoRelaying),
            ("smtp; 550 5.7.1 <x@y>: Recipient address rejected: User unknown", Reason::UserUnknown),
            ("smtp; 550 5.7.1 Email rejected per DMARC policy for example.org", Reason::AuthFailure),
        ];
        for (diag, want) in cases {
            assert_eq!(reason(None, Some("5.7.1"), diag), want, "{diag}");
            // the same without a status field: the code comes from the text
            assert_eq!(reason(None, None, diag), want, "{diag}");
        }
        // 5.2.1: filtered by default (Sisimai's name for it); the text refines it
        assert_eq!(
            reason(None, Some("5.2.1"), "smtp; 550 5.2.1 Rejected"),
            Reason::Filtered
        );
        assert_eq!(
            reason(None, Some("5.2.1"), "smtp; 550 5.2.1 <x@y>... User Unknown"),
            Reason::UserUnknown
        );
    }

    #[test]
    fn examples_from_the_issue() {
        let cases = [
            ("smtp; 550 5.5.3 RESOLVER.ADR.RecipLimit", Reason::TooManyConn),
            ("smtp; 550 5.7.1 Blocked by Proofpoint", Reason::Blocked),
            ("smtp; 552 5.2.2 Mailbox quota exceeded", Reason::MailboxFull),
            ("smtp; 550 This message has been rejected because it has an illegal attachment", Reason::PolicyViolation),
            ("smtp; 554 Service unavailable", Reason::Blocked),
            ("smtp; 552 The recipient ran out of space", Reason::MailboxFull),
            ("smtp; 550 Message rejected by recipient's policy", Reason::PolicyViolation),
            ("Deferred: Connection timed out with mx.example.org.", Reason::Expired),
            ("SMTP; 550-5.7.1 [192.0.2.222 13] Messages with multiple addresses in From:", Reason::NotCompliantRfc),
            ("SMTP; 550-5.7.1 Unauthenticated email from example.com is not accepted due to domain's", Reason::AuthFailure),
            ("SMTP; 552-5.7.0 This message was blocked because its content presents a potential", Reason::PolicyViolation),
            ("smtp; 550-5.7.26 This mail is unauthenticated, which poses a security risk", Reason::AuthFailure),
        ];
        for (diag, want) in cases {
            assert_eq!(reason(None, None, diag), want, "{diag}");
        }
    }

    #[test]
    fn receivers_numbered_codes_name_the_cause() {
        let cases = [
            // Orange: the code's last digits decide, not the wording around them.
            (
                "smtp; 554 5.7.1 Client host rejected LPN000_630",
                Reason::PolicyViolation,
            ),
            (
                "smtp; 550 5.5.0 Service refuse. Veuillez essayer plus tard. OFR005_505 [505]",
                Reason::SystemError,
            ),
            (
                "smtp; 550 5.5.0 Service refuse. Veuillez essayer plus tard. LPN005_510",
                Reason::Blocked,
            ),
            // Spectrum: AUP#In-1300..1340 are its connection limits, whatever the text says.
            (
                "smtp; 554 5.7.1 sender rejected AUP#In-1310 https://www.spectrum.net/support",
                Reason::TooManyConn,
            ),
            (
                "smtp; 554 5.7.1 sender rejected AUP#In-1340",
                Reason::TooManyConn,
            ),
            (
                "smtp; 554 5.7.1 sender rejected AUP#I-1300",
                Reason::TooManyConn,
            ),
            (
                "smtp; 550 5.7.1 Client host rejected LPN105-630",
                Reason::PolicyViolation,
            ),
            ("smtp; 550 5.5.0 Mail rejected OUK_505", Reason::SystemError),
        ];
        for (diag, want) in cases {
            assert_eq!(reason(None, None, diag), want, "{diag}");
        }
        // 1350 and up are Spectrum's volume limits, not connection limits.
        let volume = "smtp; 554 5.7.1 sender rejected AUP#In-1350";
        assert_ne!(reason(None, None, volume), Reason::TooManyConn);
    }

    /// The reason of a `Transient`/`General` bounce, and whether it comes out `Permanent`.
    fn verdict(status: &str, diag: &str) -> (Reason, bool) {
        let c = classify(Some("Transient"), Some("General"), Some(status), Some(diag));
        (c.reason, c.effective_bounce_type == Some(PERMANENT))
    }

    const HARD: bool = true;
    const SOFT: bool = false;

    #[test]
    fn a_recipient_refused_at_rcpt_is_unknown_not_filtered() {
        // At an unknown step Sisimai calls "user unknown" a filter's answer; a wrapper that says the
        // recipient was refused names the step (RCPT), and then the address does not exist.
        let at_rcpt =
            "smtp; Each of the following recipients was rejected by a remote mail server. \
                       <<< 550 User unknown";
        assert_eq!(verdict("5.0.0", at_rcpt), (Reason::UserUnknown, HARD));
        assert_eq!(
            verdict("5.0.0", "smtp; 550 User unknown"),
            (Reason::Filtered, SOFT)
        );
    }

    #[test]
    fn the_form_of_a_user_unknown_reply_shows_its_step() {
        // A refusal naming the recipient answers RCPT; the same refusal naming nobody answers DATA,
        // where no one recipient is in question (au's servers answer both ways).
        let cases = [
            (
                "smtp; 550 <nobody@example.jp>: User unknown",
                (Reason::UserUnknown, HARD),
            ),
            (
                "smtp; 550: <nobody@example.jp>: User unknown",
                (Reason::UserUnknown, HARD),
            ),
            ("smtp; 550 : User unknown", (Reason::Filtered, SOFT)),
            ("smtp; 550: : User unknown", (Reason::Filtered, SOFT)),
            // ... also inside Gmail's "Address not found", which relays the receiver's reply
            (
                "smtp; ** Address not found ** Your message wasn't delivered to nobody@example.jp \
                 because the address couldn't be found, or is unable to receive mail. \
                 The response was: 550 : User unknown",
                (Reason::Filtered, SOFT),
            ),
            (
                "smtp; ** Address not found ** Your message wasn't delivered to nobody@example.jp \
                 because the address couldn't be found, or is unable to receive mail. \
                 The response was: 550 <nobody@example.jp>: User unknown",
                (Reason::UserUnknown, HARD),
            ),
            // a number that happens to be 503 is not a DATA reply
            (
                "smtp; 550 <nobody@example.jp>... User unknown [Ref: 503 ]",
                (Reason::UserUnknown, HARD),
            ),
        ];
        for (diag, want) in cases {
            assert_eq!(verdict("5.0.0", diag), want, "{diag}");
        }
    }

    #[test]
    fn a_transcript_that_goes_on_to_data_is_judged_at_data() {
        // Sendmail's transcript of a refused RCPT followed by the DATA reply: Sisimai judges the
        // last step, DATA, so the user unknown is a filter's answer ...
        let cases = [
            (
                "5.0.0",
                "smtp; 550 5.0.0 <nobody@example.jp>... User unknown 503 5.0.0 Need RCPT (recipient)",
            ),
            (
                "5.7.1",
                "smtp; 550 5.7.1 <nobody@example.fr>: Recipient address rejected: User unknown \
                 554 5.5.1 Error: no valid recipients",
            ),
        ];
        for (status, diag) in cases {
            assert_eq!(verdict(status, diag), (Reason::Filtered, SOFT), "{diag}");
        }
        // ... and the same refusal alone answers RCPT
        assert_eq!(
            verdict(
                "5.0.0",
                "smtp; 550 5.0.0 <nobody@example.jp>... User unknown"
            ),
            (Reason::UserUnknown, HARD)
        );
    }

    #[test]
    fn an_address_refused_at_mail_from_is_the_senders() {
        // An address status in answer to MAIL FROM speaks of the sender: rejected, and soft.
        let cases = [
            (
                "5.1.0",
                "smtp; SMTP error from remote mail server after MAIL FROM:<s@example.com> \
                 SIZE=1022: 553 5.1.0 s example.com does not exist",
            ),
            (
                "5.1.8",
                "smtp; ** Address not found ** Your message wasn't delivered to nobody@example.jp \
                 because the address couldn't be found, or is unable to receive mail. The response \
                 from the remote server was: 501 5.1.8 Sender address rejected",
            ),
        ];
        for (status, diag) in cases {
            assert_eq!(verdict(status, diag), (Reason::Rejected, SOFT), "{diag}");
        }
        // Postfix's reject_unlisted_sender: the user unknown is the sender, whatever the code
        let unlisted = "smtp; 550 5.1.1 <s@example.com>: Sender address rejected: \
                        User unknown in local recipient table";
        assert_eq!(
            verdict("5.1.1", unlisted),
            (Reason::Rejected, SOFT),
            "{unlisted}"
        );
        // a 553 refusing the sender does not condemn the recipient
        let sender = "smtp; 553 5.7.1 Sender address does not exist";
        assert_eq!(verdict("5.7.1", sender).1, SOFT, "{sender}");
        // the same status at RCPT is the recipient's
        assert_eq!(
            verdict(
                "5.1.0",
                "smtp; 553 5.1.0 nobody does not exist (in reply to RCPT TO command)"
            ),
            (Reason::UserUnknown, HARD)
        );
    }

    #[test]
    fn sisimai_vocabulary_is_produced() {
        // Each from a wording of Sisimai's corpus (tests/data/sisimai), as SES would carry it.
        let cases = [
            ("5.2.3", "smtp; 552 5.2.3 Message size exceeds fixed maximum message size", Reason::ExceedLimit),
            ("5.0.0", "smtp; 501 Syntax error in parameters or arguments", Reason::SyntaxError),
            ("4.0.0", "smtp; 450 service permits 2 unverifyable sending IPs", Reason::RequirePtr),
            ("5.7.1", "smtp; 550-5.7.1 [192.0.2.222 13] Messages with multiple addresses in From: header are not accepted", Reason::NotCompliantRfc),
            ("5.0.0", "smtp; 550 Insecure Mail Relay", Reason::NoRelaying),
            ("5.7.1", "smtp; 554 5.7.1 <x@y>: Relay access denied", Reason::NoRelaying),
            ("4.2.1", "smtp; 450-4.2.1 The user you are trying to contact is receiving mail too quickly.", Reason::Speeding),
            ("4.7.0", "smtp; 421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints", Reason::BadReputation),
            ("5.0.0", "x-unix; procmail: couldn't create \"/var/spool/mail/neko\"", Reason::MailerError),
            ("4.3.1", "smtp; 452 4.3.1 Insufficient system storage", Reason::SystemFull),
            ("5.0.0", "smtp; 554 Transaction failed: Duplicate header 'DKIM-Signature'.", Reason::ContentError),
            ("5.0.0", "smtp; 550 Totally novel wording", Reason::OnHold),
            ("5.7.10", "smtp; 530 5.7.10 STARTTLS is required to send mail", Reason::FailedStartTls),
        ];
        for (status, diag, want) in cases {
            assert_eq!(reason(Some("General"), Some(status), diag), want, "{diag}");
        }
    }

    #[test]
    fn only_sisimais_hard_reasons_are_permanent() {
        // exceedlimit under 5.2.3 is soft; a full mailbox under 5.1.1 is soft (the text outranks the code)
        for (status, diag) in [
            (
                "5.2.3",
                "smtp; 552 5.2.3 Message size exceeds fixed maximum message size",
            ),
            ("5.1.1", "smtp; 550 5.1.1 Not enough disk space"),
            (
                "5.0.0",
                "smtp; 550 Unknown user (in reply to end of DATA command)",
            ),
        ] {
            let c = classify(Some("Transient"), Some("General"), Some(status), Some(diag));
            assert_eq!(c.effective_bounce_type, Some("Transient"), "{diag}: {c:?}");
        }
        // ... and a user unknown refused at RCPT is hard
        let c = classify(
            Some("Transient"),
            Some("General"),
            Some("5.0.0"),
            Some("smtp; 550 Unknown user (in reply to RCPT TO command)"),
        );
        assert_eq!(
            (c.reason, c.effective_bounce_type),
            (Reason::UserUnknown, Some(PERMANENT))
        );
    }

    #[test]
    fn every_suppression_subtype_is_decisive_and_an_unknown_subtype_is_not() {
        let diag = "smtp; 550 5.1.1 user unknown";
        for sub in [
            "Suppressed",
            "OnAccountSuppressionList",
            "OnTenantSuppressionList",
            "EmailValidationSuppressed",
            "UnsubscribedRecipient",
        ] {
            let c = classify(Some("Permanent"), Some(sub), Some("5.1.1"), Some(diag));
            assert_eq!(
                (c.reason, c.effective_bounce_type),
                (Reason::Suppressed, Some("Permanent")),
                "{sub}"
            );
        }
        let c = classify(
            Some("Transient"),
            Some("CustomTimeoutExceeded"),
            Some("4.4.7"),
            Some("smtp; 550 5.1.1 user unknown"),
        );
        assert_eq!(c.reason, Reason::Expired);
        // a subtype SES adds tomorrow says nothing: the code and the text decide
        let c = classify(
            Some("Transient"),
            Some("QuantumBounce"),
            Some("5.1.1"),
            Some(diag),
        );
        assert_eq!(
            (c.reason, c.effective_bounce_type),
            (Reason::UserUnknown, Some(PERMANENT))
        );
        let c = classify(
            Some("Transient"),
            Some("QuantumBounce"),
            Some("5.2.2"),
            Some("smtp; 552 5.2.2 Mailbox full"),
        );
        assert_eq!(
            (c.reason, c.effective_bounce_type),
            (Reason::MailboxFull, Some("Transient"))
        );
    }

    #[test]
    fn auto_replies_are_vacation() {
        let c = classify(
            Some("Transient"),
            Some("General"),
            None,
            Some("I am out of the office until Monday, with limited access to email."),
        );
        assert_eq!(
            (c.reason, c.effective_bounce_type),
            (Reason::Vacation, Some("Transient"))
        );
    }

    #[test]
    fn text_alone_and_nothing_at_all() {
        // a user unknown at RCPT is the address's fault; at an unknown step, a filter's (Sisimai)
        assert_eq!(
            reason(
                None,
                None,
                "smtp; 550 No such user here (in reply to RCPT TO command)"
            ),
            Reason::UserUnknown
        );
        assert_eq!(
            reason(None, None, "smtp; 550 No such user here"),
            Reason::Filtered
        );
        // text that decides nothing is on hold; no text at all is undefined
        assert_eq!(reason(None, None, "smtp; 550 Rejected"), Reason::OnHold);
        assert_eq!(reason(None, None, ""), Reason::Undefined);
        let c = classify(Some("Undetermined"), Some("Undetermined"), None, None);
        assert_eq!(c.reason, Reason::Undefined);
        assert_eq!(c.effective_bounce_type, Some("Undetermined"));
        assert_eq!(c.status_code, None);
        let c = classify(None, None, None, None);
        assert_eq!(
            (c.reason, c.effective_bounce_type),
            (Reason::Undefined, None)
        );
    }

    // --- effective bounce type -------------------------------------------------------------

    #[test]
    fn hard_reasons_make_the_bounce_permanent() {
        let c = classify(
            Some("Transient"),
            Some("General"),
            Some("5.1.1"),
            Some("smtp;550 5.1.1 RESOLVER.ADR.RecipNotFound; not found"),
        );
        assert_eq!(c.reason, Reason::UserUnknown);
        assert_eq!(c.effective_bounce_type, Some("Permanent"));
        let c = classify(
            None,
            None,
            Some("5.4.4"),
            Some("smtp; 550 5.4.4 Invalid domain"),
        );
        assert_eq!(
            (c.reason, c.effective_bounce_type),
            (Reason::HostUnknown, Some(PERMANENT))
        );
    }

    #[test]
    fn soft_reasons_keep_ses_label() {
        for label in ["Transient", "Undetermined", "Permanent", "SomethingNew"] {
            let c = classify(
                Some(label),
                Some("General"),
                Some("5.7.1"),
                Some("smtp; 550 5.7.1 blocked using Spamhaus"),
            );
            assert_eq!(c.reason, Reason::Blocked);
            assert_eq!(c.effective_bounce_type, Some(label));
        }
    }

    #[test]
    fn notaccept_is_hard_only_with_5xx() {
        let null_mx = "DNS Error: DNS type 'mx' lookup of example.org responded with code NOERROR \
                       The domain example.org doesn't receive email according to the administrator: \
                       returned Null MX";
        let c = classify(Some("Transient"), None, Some("4.0.0"), Some(null_mx));
        assert_eq!(c.reason, Reason::NotAccept);
        assert_eq!(c.effective_bounce_type, Some("Transient"));
        let c = classify(Some("Transient"), None, Some("5.1.10"), Some(null_mx));
        assert_eq!(c.reason, Reason::NotAccept);
        assert_eq!(c.effective_bounce_type, Some(PERMANENT));
        // a 5xx reply code is enough
        let c = classify(
            Some("Transient"),
            None,
            None,
            Some("smtp; 556 host does not accept mail"),
        );
        assert_eq!(
            (c.reason, c.effective_bounce_type),
            (Reason::NotAccept, Some(PERMANENT))
        );
        let c = classify(
            Some("Transient"),
            None,
            None,
            Some("smtp; 421 host does not accept mail"),
        );
        assert_eq!(
            (c.reason, c.effective_bounce_type),
            (Reason::NotAccept, Some("Transient"))
        );
    }

    // --- delays ----------------------------------------------------------------------------

    #[test]
    fn delays() {
        assert_eq!(
            classify_delay(Some("MailboxFull"), None, None),
            Reason::MailboxFull
        );
        assert_eq!(
            classify_delay(
                Some("IPFailure"),
                Some("4.7.0"),
                Some("smtp; 421 4.7.0 go away")
            ),
            Reason::Blocked
        );
        assert_eq!(
            classify_delay(Some("SpamDetected"), None, None),
            Reason::SpamDetected
        );
        assert_eq!(
            classify_delay(Some("InternalFailure"), None, None),
            Reason::SystemError
        );
        assert_eq!(
            classify_delay(Some("TransientCommunicationFailure"), None, None),
            Reason::NetworkError
        );
        assert_eq!(
            classify_delay(
                Some("TransientCommunicationFailure"),
                Some("4.4.7"),
                Some("smtp; 421 4.4.2 Connection timed out")
            ),
            Reason::Expired
        );
        assert_eq!(
            classify_delay(
                Some("RecipientServerError"),
                Some("4.2.2"),
                Some("smtp; 452 4.2.2 The recipient's inbox is out of storage space.")
            ),
            Reason::MailboxFull
        );
        assert_eq!(
            classify_delay(
                Some("General"),
                None,
                Some("smtp; 421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints")
            ),
            Reason::BadReputation
        );
        assert_eq!(
            classify_delay(Some("Undetermined"), None, None),
            Reason::Undefined
        );
        assert_eq!(classify_delay(None, None, None), Reason::Undefined);
    }

    // --- text ------------------------------------------------------------------------------

    #[test]
    fn normalisation() {
        assert_eq!(normalize("  Boîte\n  PLEINE\t "), "boite pleine");
        assert_eq!(normalize("doesn’t"), "doesn't");
        assert_eq!(normalize("ЯЩИК ПЕРЕПОЛНЕН"), "ящик переполнен");
        assert_eq!(normalize("Empfänger"), "empfanger");
    }

    #[test]
    fn wildcards_are_bounded() {
        assert!(contains_pattern(
            "this user doesn't have a yahoo.com account",
            "this user doesn't have a * account"
        ));
        assert!(!contains_pattern(
            "this user doesn't have a",
            "this user doesn't have a * account"
        ));
        let far = format!("user {} does not exist", "x".repeat(MAX_GAP + 1));
        assert!(!contains_pattern(&far, "user * does not exist"));
        let near = format!("user {} does not exist", "é".repeat(MAX_GAP / 2 - 1));
        assert!(contains_pattern(&near, "user * does not exist"));
        // multi-byte text right at the window edge does not panic
        let edge = format!("user {}", "ё".repeat(MAX_GAP));
        assert!(!contains_pattern(&edge, "user * does not exist"));
    }

    #[test]
    fn a_wildcard_phrase_is_found_after_an_earlier_occurrence_of_its_first_part() {
        // the first "user" is too far from "does not exist"; the second one is near enough
        let far_then_near = format!(
            "user {} and then user nobody does not exist",
            "x".repeat(MAX_GAP + 1)
        );
        assert!(contains_pattern(&far_then_near, "user * does not exist"));
        // the same for a middle part: only the second "is" has "full" near enough after it
        let middle = format!("mailbox is {} is {} full", "x".repeat(48), "y".repeat(40));
        assert!(contains_pattern(&middle, "mailbox * is * full"));
        // and the classifier sees it
        assert_eq!(
            reason(None, Some("5.0.0"), &format!("smtp; 550 {far_then_near}")),
            Reason::Filtered
        );
    }

    #[test]
    fn every_table_entry_is_found_in_a_text_that_contains_it() {
        assert!(PHRASES.parts.len() <= MAX_PARTS);
        for table in TABLES {
            for (pattern, reason) in *table {
                let text = format!("smtp; 550 {} here", pattern.replace('*', "x.example"));
                let (receiver, found) = match_phrases(&text);
                assert!(
                    receiver.is_some() || found.has(*reason),
                    "{pattern}: {receiver:?} {found:?}"
                );
            }
        }
        assert_eq!(match_phrases(""), (None, ReasonSet::default()));
    }

    #[test]
    fn the_part_search_finds_exactly_the_parts_a_text_contains() {
        // The parts in id order: ids count up as parts are first met in the tables.
        let mut parts: Vec<&str> = Vec::new();
        for (pattern, _) in TABLES.iter().flat_map(|table| table.iter()) {
            for part in pattern.split('*').filter(|part| !part.is_empty()) {
                if !parts.contains(&part) {
                    parts.push(part);
                }
            }
        }
        assert_eq!(PHRASES.parts.len(), parts.len());
        let entries: Vec<&str> = TABLES
            .iter()
            .flat_map(|table| table.iter().map(|(pattern, _)| *pattern))
            .collect();
        // Each entry alone, and run into the next one (parts spanning the seam).
        let texts = entries
            .iter()
            .zip(entries.iter().cycle().skip(1))
            .flat_map(|(a, b)| [a.replace('*', " x "), format!("{a}{b}").replace('*', "")]);
        for text in texts {
            let mut found = vec![false; parts.len()];
            PHRASES.parts.find_all(&text, |id| found[id] = true);
            let expected: Vec<bool> = parts.iter().map(|part| text.contains(part)).collect();
            assert_eq!(found, expected, "{text}");
        }
    }

    #[test]
    fn multi_line_replies_match_across_line_breaks() {
        let diag =
            "smtp; 550-5.2.1 The user you are trying to contact is receiving mail at a rate that\n\
                    550-5.2.1 prevents additional messages from being delivered.";
        assert_eq!(reason(None, Some("5.2.1"), diag), Reason::Speeding);
    }

    #[test]
    fn languages() {
        let cases = [
            (
                "550 5.1.1 <x@example.de>: Benutzer unbekannt",
                Reason::UserUnknown,
            ),
            ("552 Postfach voll", Reason::MailboxFull),
            (
                "550 Die E-Mail-Adresse existiert nicht",
                Reason::UserUnknown,
            ),
            ("550 adresse inexistante", Reason::UserUnknown),
            ("552 Boîte pleine", Reason::MailboxFull),
            ("550 Utilisateur inconnu !", Reason::UserUnknown),
            ("550 Usuario desconocido", Reason::UserUnknown),
            ("552 Buzón lleno", Reason::MailboxFull),
            ("550 Usuário desconhecido", Reason::UserUnknown),
            ("550 Utente sconosciuto", Reason::UserUnknown),
            ("552 Casella piena", Reason::MailboxFull),
            ("550 Пользователь не найден", Reason::UserUnknown),
            ("552 Почтовый ящик переполнен", Reason::MailboxFull),
            ("550 ユーザーが見つかりません", Reason::UserUnknown),
            ("550 用户不存在", Reason::UserUnknown),
        ];
        for (diag, want) in cases {
            // a user unknown is hard when refused at RCPT (Sisimai's rule), so say where
            let diag = if want == Reason::UserUnknown {
                format!("{diag} (in reply to RCPT TO command)")
            } else {
                diag.to_owned()
            };
            assert_eq!(reason(None, None, &diag), want, "{diag}");
        }
    }

    #[test]
    fn one_allocation_at_most() {
        // Not a proof, but the normalised copy is sized for the input up front.
        let s = "SMTP; 550 5.1.1 User Unknown";
        assert!(normalize(s).capacity() >= s.len());
    }
}
