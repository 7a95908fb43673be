//! `ses-feedback-logger replay FILE…`: pushes old or dead-lettered events through the same pipeline, from
//! JSON lines (SNS or SQS events, failure-queue records, SQS messages, envelopes, bare notifications).

use chrono::Utc;
use std::collections::BTreeMap;
use std::io::BufRead;

use serde::Serialize;

use crate::operations::suppression::Suppressor;
use crate::pipeline::Pipeline;
use crate::sources::{read_replay_line, InboundMessage, UnusableLine};
use crate::storage::LogSink;

/// Messages handed to the pipeline at once: one PutLogEvents per stream per chunk (split further only by
/// CloudWatch's limits), and a bounded amount held in memory.
pub(crate) const CHUNK_MESSAGES: usize = 1_000;

/// What a replay did, per line and per stream. Line numbers count from 1.
#[derive(Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplayReport {
    pub lines: usize,
    pub messages: usize,
    /// Log events written, per stream.
    pub written: BTreeMap<&'static str, u64>,
    /// Lines whose every message is stored (or needed no storing: duplicates, setup messages, refused).
    pub done_lines: Vec<usize>,
    /// Lines with a message that could not be stored (CloudWatch failed); replaying them again is safe.
    pub failed_lines: Vec<usize>,
    /// Lines that hold nothing this tool can read, with why.
    pub unusable_lines: Vec<UnusableLineReport>,
    pub duplicates: u64,
    pub setup_messages: u64,
    pub unrecognized: u64,
    pub refused: u64,
}

#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct UnusableLineReport {
    pub line: usize,
    pub reason: String,
}

impl ReplayReport {
    /// Whether everything read was stored and every line was usable.
    pub fn is_complete(&self) -> bool {
        self.failed_lines.is_empty() && self.unusable_lines.is_empty()
    }

    /// A few lines for a person: counts, never addresses.
    pub fn describe(&self) -> String {
        let mut text = format!(
            "replayed {} lines holding {} messages\n",
            self.lines, self.messages
        );
        for (stream, events) in &self.written {
            text.push_str(&format!("  {stream}: {events} log events written\n"));
        }
        text.push_str(&format!(
            "  duplicates skipped: {}, setup messages: {}, kept verbatim as unrecognized: {}, refused: {}\n",
            self.duplicates, self.setup_messages, self.unrecognized, self.refused
        ));
        if !self.failed_lines.is_empty() {
            text.push_str(&format!(
                "  NOT STORED (CloudWatch failed), lines: {}\n",
                join(&self.failed_lines)
            ));
        }
        for unusable in &self.unusable_lines {
            text.push_str(&format!(
                "  line {} not used: {}\n",
                unusable.line, unusable.reason
            ));
        }
        text
    }
}

fn join(lines: &[usize]) -> String {
    lines
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Debug, thiserror::Error)]
#[error("cannot read {source_name}: {error}")]
pub struct ReadError {
    pub source_name: String,
    pub error: std::io::Error,
}

/// Replays every line of `input` through `pipeline`, adding to `report`. Blank lines are skipped.
pub async fn replay<S: LogSink, P: Suppressor>(
    pipeline: &Pipeline<S, P>,
    source_name: &str,
    input: impl BufRead,
    report: &mut ReplayReport,
) -> Result<(), ReadError> {
    let mut chunk = Chunk::default();
    for line in input.lines() {
        let line = line.map_err(|error| ReadError {
            source_name: source_name.to_owned(),
            error,
        })?;
        report.lines += 1;
        let number = report.lines;
        if line.trim().is_empty() {
            continue;
        }
        match read_replay_line(&line, Utc::now().timestamp_millis()) {
            Ok(messages) => chunk.add(number, messages),
            Err(reason) => report.unusable_lines.push(unusable(number, &reason)),
        }
        if chunk.messages.len() >= CHUNK_MESSAGES {
            chunk.store(pipeline, report).await;
        }
    }
    chunk.store(pipeline, report).await;
    Ok(())
}

fn unusable(line: usize, reason: &UnusableLine) -> UnusableLineReport {
    UnusableLineReport {
        line,
        reason: reason.to_string(),
    }
}

/// Lines read but not yet stored.
#[derive(Default)]
struct Chunk {
    messages: Vec<InboundMessage>,
    /// The line of each message.
    lines: Vec<usize>,
    /// Lines in order, each once (a line can hold no message: an empty Records list).
    line_numbers: Vec<usize>,
}

impl Chunk {
    fn add(&mut self, line: usize, messages: Vec<InboundMessage>) {
        self.line_numbers.push(line);
        self.lines.extend(std::iter::repeat_n(line, messages.len()));
        self.messages.extend(messages);
    }

    async fn store<S: LogSink, P: Suppressor>(
        &mut self,
        pipeline: &Pipeline<S, P>,
        report: &mut ReplayReport,
    ) {
        if self.line_numbers.is_empty() {
            return;
        }
        let (counts, stored) = pipeline.store(&self.messages).await;
        report.messages += self.messages.len();
        for (&stream, &events) in counts.events() {
            *report.written.entry(stream).or_default() += events;
        }
        report.duplicates += counts.duplicates();
        report.setup_messages += counts.setup_messages();
        report.unrecognized += counts.unrecognized();
        report.refused += counts.refused();
        let mut failed: Vec<usize> = stored.not_stored.iter().map(|&i| self.lines[i]).collect();
        failed.dedup();
        for &line in &self.line_numbers {
            if failed.binary_search(&line).is_err() {
                report.done_lines.push(line);
            }
        }
        report.failed_lines.extend(failed);
        *self = Chunk::default();
    }
}

/// `replay [--json] [FILE…]` (no FILE, or `-`: standard input): replays, prints the report (JSON on
/// standard output with `--json`, else text on standard error), and returns the exit status: 0 when
/// everything was stored, 1 when a line was unusable or not stored, 2 when an argument or file is bad.
pub(crate) async fn run_cli<S: LogSink, P: Suppressor>(
    pipeline: &Pipeline<S, P>,
    args: impl IntoIterator<Item = String>,
) -> i32 {
    let mut json = false;
    let mut files = Vec::new();
    for arg in args {
        match arg.as_str() {
            "--json" => json = true,
            "-h" | "--help" => {
                eprintln!("{USAGE}");
                return 0;
            }
            flag if flag.starts_with("--") => {
                eprintln!("replay: unknown option {flag}\n{USAGE}");
                return 2;
            }
            _ => files.push(arg),
        }
    }
    if files.is_empty() {
        files.push("-".to_owned());
    }
    let mut report = ReplayReport::default();
    for file in &files {
        let result = if file == "-" {
            replay(
                pipeline,
                "standard input",
                std::io::stdin().lock(),
                &mut report,
            )
            .await
        } else {
            match std::fs::File::open(file) {
                Ok(opened) => {
                    replay(pipeline, file, std::io::BufReader::new(opened), &mut report).await
                }
                Err(error) => Err(ReadError {
                    source_name: file.clone(),
                    error,
                }),
            }
        };
        if let Err(error) = result {
            eprintln!("replay: {error}");
            print_report(&report, json);
            return 2;
        }
    }
    print_report(&report, json);
    if report.is_complete() {
        0
    } else {
        1
    }
}

const USAGE: &str = "usage: ses-feedback-logger replay [--json] [FILE…]
Writes JSON lines of SNS events, SQS events or messages, Lambda failure records, SNS envelopes or bare
SES notifications (FILE or standard input) to CloudWatch Logs, as the function would. The environment
configures it as it configures the function (LOG_GROUP_NAME, LOG_FORMAT, AWS credentials …).";

fn print_report(report: &ReplayReport, json: bool) {
    if json {
        match serde_json::to_string(report) {
            Ok(text) => println!("{text}"),
            Err(error) => eprintln!("replay: cannot write the report: {error}"),
        }
    } else {
        eprint!("{}", report.describe());
    }
}
