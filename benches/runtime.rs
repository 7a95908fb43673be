//! Runtime benchmark: the release binary, started the way Lambda starts it, polling a local Lambda Runtime
//! API (`tests/support`'s emulator) and writing to moto through the recording proxy, which counts every
//! CloudWatch Logs call and times how long the endpoint took over each. Prints the one table of `make bench`,
//! with the parse + format medians criterion left in `target/criterion/parse_format` and the arm64 zip's size.
//!
//! What is measured, and how (README, "Performance"):
//! - init: process spawn → its first `GET /runtime/invocation/next`; cold start: process spawn → the first
//!   invocation's response, the event queued before the spawn; medians of `BENCH_COLD_STARTS` (20) starts;
//! - warm invocations (`BENCH_WARM_INVOCATIONS`, 1000, after `BENCH_WARMUP`, 50): latency at the Runtime API
//!   (event handed out → response received), the time the endpoint spent answering (at the proxy: request
//!   received → answer ready), and the difference, the function's own time; also the process's CPU time;
//! - the function's CPU time (all its threads, `/proc/PID/task/*/schedstat`), read whenever it waits for its
//!   next event: per warm invocation (SNS, one bounce), per notification in SQS batches of 100 and of 1,000
//!   (SNS envelopes, and raw delivery), and from spawn to the first response; medians;
//! - peak RSS: `VmHWM` of the process after all its invocations;
//! - CloudWatch Logs calls, counted at the proxy: cold with no group yet, cold with group and stream in
//!   place, warm for every `events/` fixture (against the streams the invocation touched).
//!
//! `BENCH_BINARY` runs another build of the function (an earlier commit's, to compare), `BENCH_WRAPPER` a
//! command it runs under (`valgrind --tool=callgrind …`, for profiles); with `BENCH_CALLGRIND_DUMPS=1` the
//! profile is dumped after each phase (`callgrind_control --dump=<phase>`), one file per phase.
//!
//! Needs moto: `make bench` (or `scripts/with-moto.sh cargo bench --bench runtime`). Under `cargo test` (no
//! `--bench` argument) it does nothing, so `make test` stays quick and free of timing.

// The benchmark uses part of the moto harness the tests share.
#[allow(dead_code, unused_imports)]
#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::task::Poll;
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;
use support::{
    moto_endpoint, spawn_command, unique_name, FunctionProcess, Outcome, RecordingProxy,
    RuntimeApi, Timing,
};

/// Upper bound for one invocation; the function's own write deadline is 25 s.
const INVOCATION_TIMEOUT: Duration = Duration::from_secs(60);
/// The typical notification: one bounced recipient, one stream.
const TYPICAL_EVENT: &str = "bounce-notification";
/// The criterion bench of a bounce with 50 recipients (benches/parse_format.rs).
const LARGE_BOUNCE: &str = "bounce-50-recipients";
const PUT: &str = "PutLogEvents";
/// The topic every fixture comes from, allowed as the template allows its own topic.
const TOPIC_ARN: &str = "arn:aws:sns:us-east-1:123456789012:ses-feedback";
const QUEUE_ARN: &str = "arn:aws:sqs:us-east-1:123456789012:ses-feedback-queue";
/// What issue 15 measured before its work (same harness, same machine), shown beside today's figures.
const ISSUE_WARM_CPU: &str = "0.67 ms";
const ISSUE_SQS_100_CPU: &str = "43 µs";
const ISSUE_COLD_START: &str = "11–16 ms";

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    // cargo bench passes --bench to bench executables; cargo test does not.
    if !std::env::args().skip(1).any(|arg| arg == "--bench") {
        println!("runtime benchmark: skipped (not run by `cargo bench`); run `make bench`");
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(run());
}

/// The `events/` fixtures, by file stem, in name order.
fn fixtures() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("events");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let stem = path.file_stem().expect("file name").to_string_lossy();
            let payload = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
            (stem.into_owned(), payload)
        })
        .collect()
}

/// Where the function runs: the proxy in front of moto, the command line and the environment it is started
/// with.
struct Bench {
    proxy: RecordingProxy,
    command: Vec<String>,
    envs: Vec<(String, String)>,
    next_id: usize,
}

/// An SQS batch's bodies: SNS envelopes (raw message delivery off, the default), or the SES notifications
/// themselves (raw message delivery on).
#[derive(Clone, Copy)]
enum Bodies {
    Envelopes,
    Raw,
}

impl Bench {
    fn request_id(&mut self) -> String {
        self.next_id += 1;
        format!("be4c0000-0000-4000-8000-{:012x}", self.next_id)
    }

    /// `payload` with a new `Sns.MessageId` in every record, or a new `id` for an EventBridge event: the
    /// function skips a delivery it has already stored (redelivery), so every benchmarked invocation must
    /// carry new ones to do the full work.
    fn fresh(&mut self, payload: &str) -> String {
        let mut event: Value = serde_json::from_str(payload).expect("fixture is JSON");
        if let Some(records) = event.get_mut("Records").and_then(Value::as_array_mut) {
            for record in records {
                self.next_id += 1;
                record["Sns"]["MessageId"] =
                    Value::String(format!("5e55a9e0-0000-4000-8000-{:012x}", self.next_id));
            }
        } else {
            assert!(
                event.get("detail-type").is_some(),
                "an SNS, SQS or EventBridge event"
            );
            self.next_id += 1;
            event["id"] = Value::String(format!("e7e0b000-0000-4000-8000-{:012x}", self.next_id));
        }
        event.to_string()
    }

    /// An SQS event of `count` messages each carrying `sns`'s notification, as SNS writes it into a queue:
    /// every message with new SQS and SNS message ids (so none is a redelivery).
    fn sqs_batch(&mut self, sns: &Value, count: usize, bodies: Bodies) -> String {
        let sent_ms = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis())
            .to_string();
        let records: Vec<Value> = (0..count)
            .map(|_| {
                self.next_id += 1;
                let id = self.next_id;
                let body = match bodies {
                    Bodies::Raw => sns["Message"].as_str().expect("Sns.Message").to_owned(),
                    // The queue's spelling of the envelope (SigningCertURL, UnsubscribeURL).
                    Bodies::Envelopes => serde_json::json!({
                        "Type": "Notification",
                        "MessageId": format!("5e55a9e0-0000-4000-8000-{id:012x}"),
                        "TopicArn": sns["TopicArn"],
                        "Message": sns["Message"],
                        "Timestamp": sns["Timestamp"],
                        "SignatureVersion": sns["SignatureVersion"],
                        "Signature": sns["Signature"],
                        "SigningCertURL": sns["SigningCertUrl"],
                        "UnsubscribeURL": sns["UnsubscribeUrl"],
                    })
                    .to_string(),
                };
                serde_json::json!({
                    "messageId": format!("5e550000-0000-4000-8000-{id:012x}"),
                    "receiptHandle": format!("AQEB{id:040x}"),
                    "body": body,
                    "attributes": {
                        "ApproximateReceiveCount": "1",
                        "SentTimestamp": sent_ms,
                        "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                        "ApproximateFirstReceiveTimestamp": sent_ms,
                    },
                    "messageAttributes": {},
                    "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
                    "eventSource": "aws:sqs",
                    "eventSourceARN": QUEUE_ARN,
                    "awsRegion": "us-east-1",
                })
            })
            .collect();
        serde_json::json!({ "Records": records }).to_string()
    }

    fn spawn(&self, api: &RuntimeApi) -> FunctionProcess {
        let envs: Vec<(&str, &str)> = self
            .envs
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let command: Vec<&str> = self.command.iter().map(String::as_str).collect();
        spawn_command(&command, &api.addr(), &envs)
    }
}

/// One invocation, as seen from outside the function.
struct Invocation {
    response: Value,
    /// Event handed out → response received, at the Runtime API.
    latency: Duration,
    /// Time within `latency` in which the endpoint (proxy + moto) had a request of this invocation.
    endpoint: Duration,
    /// CloudWatch Logs operations, in the order the proxy received them.
    calls: Vec<String>,
    /// The function's CPU time for it: from its request for this event to its request for the next.
    cpu: Option<Duration>,
}

impl Invocation {
    /// The function's own time: latency less the time the endpoint spent answering.
    fn own(&self) -> Duration {
        self.latency.saturating_sub(self.endpoint)
    }

    fn streams_written(&self) -> usize {
        self.response["written"].as_object().map_or(0, |w| w.len())
    }
}

/// What N invocations of one payload on a warm process cost.
#[derive(Default)]
struct Run {
    invocations: Vec<Invocation>,
    /// Calls per CloudWatch Logs operation, over all invocations.
    calls: BTreeMap<String, usize>,
}

impl Run {
    fn count(&self, operation: &str) -> usize {
        self.calls.get(operation).copied().unwrap_or(0)
    }

    fn other_calls(&self) -> usize {
        self.calls.values().sum::<usize>() - self.count(PUT)
    }

    fn streams_written(&self) -> usize {
        self.invocations
            .iter()
            .map(Invocation::streams_written)
            .sum()
    }

    /// Notifications handled: the records the responses report.
    fn notifications(&self) -> u64 {
        self.invocations
            .iter()
            .map(|i| i.response["records"].as_u64().unwrap_or(0))
            .sum()
    }

    /// CloudWatch Logs calls of every kind per 1,000 notifications.
    fn calls_per_thousand(&self) -> f64 {
        self.calls.values().sum::<usize>() as f64 * 1000.0 / self.notifications().max(1) as f64
    }
}

/// Invokes the warm process behind `api` `count` times with `payload` (new MessageIds each time), one after
/// the other, and returns what that cost.
async fn run_invocations(
    bench: &mut Bench,
    api: &RuntimeApi,
    process: &FunctionProcess,
    payload: &str,
    count: usize,
) -> Run {
    run_events(bench, api, process, count, |bench| bench.fresh(payload)).await
}

/// Invokes the warm process behind `api` `count` times with the events `event` makes, one after the other,
/// and returns what that cost, with the function's CPU time per invocation.
async fn run_events(
    bench: &mut Bench,
    api: &RuntimeApi,
    process: &FunctionProcess,
    count: usize,
    mut event: impl FnMut(&mut Bench) -> String,
) -> Run {
    let mut run = Run::default();
    let mut cpu = settled_cpu(api, process, api.invocation_timings().len() + 1).await;
    for _ in 0..count {
        bench.proxy.reset();
        let request_id = bench.request_id();
        let event = event(bench);
        let outcome = tokio::time::timeout(
            INVOCATION_TIMEOUT,
            api.invoke_with_request_id(&request_id, event),
        )
        .await
        .expect("the function answered in time");
        let mut invocation = observe(bench, api, &request_id, outcome);
        let after = settled_cpu(api, process, api.invocation_timings().len() + 1).await;
        invocation.cpu = after.zip(cpu).map(|(after, before)| after - before);
        cpu = after;
        for call in &invocation.calls {
            *run.calls.entry(call.clone()).or_default() += 1;
        }
        run.invocations.push(invocation);
    }
    run
}

/// The invocation `request_id`, once answered: its response, its timings and its calls.
fn observe(bench: &Bench, api: &RuntimeApi, request_id: &str, outcome: Outcome) -> Invocation {
    let response = serde_json::from_str(&outcome.expect_response()).expect("response is JSON");
    let timing = api
        .invocation_timings()
        .into_iter()
        .rfind(|t| t.request_id == request_id)
        .expect("the Runtime API timed the invocation");
    let answered = timing.answered.expect("answered");
    Invocation {
        response,
        latency: answered - timing.delivered,
        endpoint: endpoint_busy(&bench.proxy.timings(), timing.delivered, answered),
        calls: bench.proxy.calls(),
        cpu: None,
    }
}

/// The function's CPU time once it has asked for event number `nexts` (counting from 1): then it is idle,
/// waiting, and the figure is complete. None when the process is gone.
async fn settled_cpu(
    api: &RuntimeApi,
    process: &FunctionProcess,
    nexts: usize,
) -> Option<Duration> {
    let waited = Instant::now();
    while api.next_requests() < nexts && waited.elapsed() < INVOCATION_TIMEOUT {
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    cpu_time(process)
}

/// Time during [from, to] in which at least one request was at the endpoint (overlapping requests, e.g.
/// streams written concurrently, count once).
fn endpoint_busy(timings: &[Timing], from: Instant, to: Instant) -> Duration {
    let mut spans: Vec<(Instant, Instant)> = timings
        .iter()
        .map(|t| (t.received.max(from), t.answered.min(to)))
        .filter(|(start, end)| start < end)
        .collect();
    spans.sort();
    let mut busy = Duration::ZERO;
    let mut current: Option<(Instant, Instant)> = None;
    for (start, end) in spans {
        current = match current {
            Some((s, e)) if start <= e => Some((s, e.max(end))),
            Some((s, e)) => {
                busy += e - s;
                Some((start, end))
            }
            None => Some((start, end)),
        };
    }
    if let Some((s, e)) = current {
        busy += e - s;
    }
    busy
}

struct ColdSample {
    /// Spawn → first `GET /next`.
    init: Duration,
    /// Spawn → first response.
    first_response: Duration,
    /// The process's CPU time from spawn to its request for the second event.
    cpu: Option<Duration>,
    invocation: Invocation,
}

struct ColdStart {
    sample: ColdSample,
    /// The process, still running, and the Runtime API it polls.
    api: RuntimeApi,
    process: FunctionProcess,
}

/// Starts a new function process with `payload` already queued, as Lambda does for a cold start.
async fn cold_start(bench: &mut Bench, payload: &str) -> ColdStart {
    let api = RuntimeApi::start().await;
    bench.proxy.reset();
    let request_id = bench.request_id();
    let event = bench.fresh(payload);
    let (spawned, process, outcome) = {
        let mut invocation = pin!(api.invoke_with_request_id(&request_id, event));
        // Polling once queues the event (nothing can answer it yet); the process finds it at its first
        // request.
        std::future::poll_fn(|cx| {
            assert!(invocation.as_mut().poll(cx).is_pending(), "no process yet");
            Poll::Ready(())
        })
        .await;
        let spawned = Instant::now();
        let process = bench.spawn(&api);
        let outcome = tokio::time::timeout(INVOCATION_TIMEOUT, invocation)
            .await
            .expect("the cold function answered in time");
        (spawned, process, outcome)
    };
    let invocation = observe(bench, &api, &request_id, outcome);
    let cpu = settled_cpu(&api, &process, 2).await;
    let first_next = api.next_request_times()[0];
    let answered = api.invocation_timings()[0]
        .answered
        .expect("first invocation answered");
    ColdStart {
        sample: ColdSample {
            init: first_next - spawned,
            first_response: answered - spawned,
            cpu,
            invocation,
        },
        api,
        process,
    }
}

/// `VmHWM` (peak resident set) of a live process, in bytes.
fn peak_rss(process: &FunctionProcess) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", process.id()?)).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// CPU time the process has used so far, all threads (`/proc/PID/task/*/schedstat`: nanoseconds on CPU).
fn cpu_time(process: &FunctionProcess) -> Option<Duration> {
    let tasks = std::fs::read_dir(format!("/proc/{}/task", process.id()?)).ok()?;
    let mut total = 0u64;
    for task in tasks.flatten() {
        let schedstat = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
        total += schedstat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(Duration::from_nanos(total))
}

/// The `p`th percentile (nearest rank) of `values`.
fn percentile(values: &[Duration], p: f64) -> Duration {
    let mut sorted = values.to_vec();
    sorted.sort();
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn median(values: &[Duration]) -> Duration {
    percentile(values, 50.0)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn mb(bytes: u64) -> String {
    format!(
        "{:.2} MB ({:.2} MiB)",
        bytes as f64 / 1e6,
        bytes as f64 / 1_048_576.0
    )
}

/// `PutLogEvents ×2, CreateLogStream ×1`-style summary of calls in the order first seen.
fn call_summary(calls: &[String]) -> String {
    let mut counted: Vec<(&str, usize)> = Vec::new();
    for call in calls {
        match counted.iter_mut().find(|(op, _)| op == call) {
            Some((_, n)) => *n += 1,
            None => counted.push((call, 1)),
        }
    }
    if counted.is_empty() {
        return "none".to_owned();
    }
    counted
        .iter()
        .map(|(op, n)| format!("{op} ×{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Criterion's medians for one group of benches/parse_format.rs, by bench id (`bounce-notification`,
/// `two-records#1`, ...), in ns. Only results written since `BENCH_SINCE` (Unix seconds, set by `make bench`),
/// so a table never quotes an earlier run's numbers.
fn criterion_medians(target_dir: &Path, group: &str) -> BTreeMap<String, f64> {
    let since = std::env::var("BENCH_SINCE")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s));
    let mut medians = BTreeMap::new();
    let mut dirs = vec![target_dir.join("criterion").join(group)];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if !path.is_dir() || path.file_name().is_some_and(|n| n == "report") {
                continue;
            }
            let new = path.join("new");
            let (Ok(benchmark), Ok(estimates)) = (
                std::fs::read_to_string(new.join("benchmark.json")),
                std::fs::read_to_string(new.join("estimates.json")),
            ) else {
                dirs.push(path);
                continue;
            };
            let fresh = std::fs::metadata(new.join("estimates.json"))
                .and_then(|m| m.modified())
                .is_ok_and(|modified| since.is_none_or(|since| modified >= since));
            let benchmark: Value = serde_json::from_str(&benchmark).unwrap_or_default();
            let estimates: Value = serde_json::from_str(&estimates).unwrap_or_default();
            if let (true, Some(id), Some(ns)) = (
                fresh,
                benchmark["value_str"].as_str(),
                estimates["median"]["point_estimate"].as_f64(),
            ) {
                medians.insert(id.to_owned(), ns);
            }
        }
    }
    medians
}

/// `<target>`: the bench runs the binary cargo built for it, `<target>/release/ses-feedback-logger`.
fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_ses-feedback-logger"))
        .ancestors()
        .nth(2)
        .expect("binary under <target>/<profile>/")
        .to_path_buf()
}

/// The 1-minute load average: how busy the shared machine was.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{} {cpus} CPUs ({model}), Linux {}",
        std::env::consts::ARCH,
        kernel.trim()
    )
}

/// The table: metric, issue 15's figure, target, measured, verdict.
#[derive(Default)]
struct Table(Vec<[String; 5]>);

impl Table {
    /// A row with a target: `met` says whether the measurement meets it.
    fn target(&mut self, metric: impl Into<String>, target: &str, measured: String, met: bool) {
        let verdict = if met { "met" } else { "**missed**" };
        self.0.push([
            metric.into(),
            String::new(),
            target.to_owned(),
            measured,
            verdict.to_owned(),
        ]);
    }

    /// A row that only informs.
    fn info(&mut self, metric: impl Into<String>, measured: String) {
        self.0.push([
            metric.into(),
            String::new(),
            String::new(),
            measured,
            String::new(),
        ]);
    }

    /// Issue 15's figure for the row added last.
    fn before(&mut self, figure: &str) {
        if let Some(row) = self.0.last_mut() {
            row[1] = figure.to_owned();
        }
    }

    fn print(&self) {
        println!("| Metric | Issue 15 | Target | Measured | |");
        println!("|---|---|---|---|---|");
        for [metric, before, target, measured, verdict] in &self.0 {
            println!("| {metric} | {before} | {target} | {measured} | {verdict} |");
        }
    }
}

/// The function's CPU time for each invocation of `run` (those it has).
fn cpu_times(run: &Run) -> Vec<Duration> {
    run.invocations.iter().filter_map(|i| i.cpu).collect()
}

/// Median and spread of CPU times, each divided by `per`.
fn cpu_spread(values: &[Duration], per: u32) -> String {
    let each = |d: Duration| d / per.max(1);
    let unit = |d: Duration| {
        if per > 1 {
            format!("{:.1} µs", d.as_secs_f64() * 1e6)
        } else {
            format!("{:.3} ms", d.as_secs_f64() * 1e3)
        }
    };
    if values.is_empty() {
        return "unavailable".to_owned();
    }
    format!(
        "{} (quartiles {} – {}, {} runs)",
        unit(each(median(values))),
        unit(each(percentile(values, 25.0))),
        unit(each(percentile(values, 75.0))),
        values.len()
    )
}

/// One SQS scenario: `batches` batches of `size` notifications (after `warmup` more), each a new set of
/// messages; every message must be stored. The function's CPU time per batch.
async fn sqs_scenario(
    bench: &mut Bench,
    api: &RuntimeApi,
    process: &FunctionProcess,
    sns: &Value,
    (size, bodies): (usize, Bodies),
    (warmup, batches): (usize, usize),
) -> Vec<Duration> {
    let mut runs = Vec::new();
    for count in [warmup, batches] {
        let run = run_events(bench, api, process, count, |bench| {
            bench.sqs_batch(sns, size, bodies)
        })
        .await;
        for invocation in &run.invocations {
            let failures = &invocation.response["batchItemFailures"];
            assert!(
                failures.as_array().is_none_or(Vec::is_empty),
                "messages of an SQS batch were not stored: {failures}"
            );
        }
        let way = match bodies {
            Bodies::Envelopes => "envelopes",
            Bodies::Raw => "raw",
        };
        let phase = if runs.is_empty() { "warmup" } else { "x" };
        phase_done(process, &format!("sqs-{size}-{way}-{phase}{count}"));
        runs.push(run);
    }
    cpu_times(&runs[1])
}

/// With `BENCH_CALLGRIND_DUMPS=1` (the function under `valgrind --tool=callgrind`), dumps its profile since
/// the last dump, named after the phase just finished.
fn phase_done(process: &FunctionProcess, phase: &str) {
    if std::env::var_os("BENCH_CALLGRIND_DUMPS").is_none() {
        return;
    }
    if let Some(pid) = process.id() {
        let dumped = std::process::Command::new("callgrind_control")
            .arg(format!("--dump={phase}"))
            .arg(pid.to_string())
            .stdout(std::process::Stdio::null())
            .status();
        eprintln!("callgrind dump {phase}: {dumped:?}");
    }
}

async fn run() {
    let cold_starts = setting("BENCH_COLD_STARTS", 20).max(1);
    let warmup = setting("BENCH_WARMUP", 50);
    let warm_invocations = setting("BENCH_WARM_INVOCATIONS", 1000).max(1);
    let sqs_batches = setting("BENCH_SQS_BATCHES", 21).max(1);
    let sqs_large_batches = setting("BENCH_SQS_LARGE_BATCHES", 7).max(1);
    let fixtures = fixtures();
    let typical = fixtures
        .iter()
        .find(|(name, _)| name == TYPICAL_EVENT)
        .map(|(_, payload)| payload.clone())
        .expect("typical fixture");

    let proxy = RecordingProxy::start(&moto_endpoint()).await;
    let group = unique_name("/bench/runtime");
    // The environment template.yaml gives the function with its default parameters, as Lambda passes it.
    let mut envs: Vec<(String, String)> = [
        ("AWS_ENDPOINT_URL", proxy.url().as_str()),
        ("LOG_GROUP_NAME", group.as_str()),
        ("LOG_FORMAT", "json"),
        ("ALLOWED_TOPIC_ARNS", TOPIC_ARN),
        ("SUPPRESS", "off"),
        ("METRICS_NAMESPACE", "SesFeedbackLogger"),
        // LoggingConfig: JSON, INFO.
        ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
        ("AWS_LAMBDA_LOG_LEVEL", "INFO"),
        // Lambda does not set this; the tests' default (true) would hide an instance-metadata probe, which
        // here would stall the start for the SDK's timeouts.
        ("AWS_EC2_METADATA_DISABLED", "false"),
    ]
    .iter()
    .map(|(name, value)| (name.to_string(), value.to_string()))
    .collect();
    // BENCH_FN_<NAME>=value sets <NAME> for the function, for experiments (e.g. BENCH_FN_RUST_LOG=warn).
    let extra: Vec<(String, String)> = std::env::vars()
        .filter_map(|(name, value)| Some((name.strip_prefix("BENCH_FN_")?.to_owned(), value)))
        .collect();
    envs.extend(extra.iter().cloned());
    let load_at_start = load_average();
    // BENCH_WRAPPER (words) runs the function under another command; BENCH_BINARY is another build of it.
    let binary = std::env::var("BENCH_BINARY")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_ses-feedback-logger").to_owned());
    let mut command: Vec<String> = std::env::var("BENCH_WRAPPER")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    command.push(binary.clone());
    let mut bench = Bench {
        proxy,
        command,
        envs,
        next_id: 0,
    };
    eprintln!(
        "runtime bench: {} against moto at {}; {cold_starts} cold starts, {warmup} + {warm_invocations} warm invocations, SQS batches: {sqs_batches} of 100, {sqs_large_batches} of 1,000 each way{}",
        bench.command.join(" "),
        moto_endpoint(),
        if extra.is_empty() { String::new() } else { format!("; function environment adds {extra:?}") }
    );

    // The first start of all finds no group: it creates the group and the stream.
    let creating = cold_start(&mut bench, &typical).await;
    let creating_calls = creating.sample.invocation.calls.clone();
    let creating_time = creating.sample.first_response;
    drop(creating.process.kill().await);

    // Cold starts as they usually are: the group and stream exist. The last process stays for the warm runs.
    let mut starts = Vec::new();
    let mut live: Option<(RuntimeApi, FunctionProcess)> = None;
    for _ in 0..cold_starts {
        if let Some((_, process)) = live.take() {
            drop(process.kill().await);
        }
        let start = cold_start(&mut bench, &typical).await;
        starts.push(start.sample);
        live = Some((start.api, start.process));
    }
    let (api, process) = live.expect("at least one cold start");

    // Warm invocations of the typical notification.
    phase_done(&process, "cold-start");
    run_invocations(&mut bench, &api, &process, &typical, warmup).await;
    phase_done(&process, &format!("sns-warmup{warmup}"));
    let warm = run_invocations(&mut bench, &api, &process, &typical, warm_invocations).await;
    phase_done(&process, &format!("sns-x{warm_invocations}"));
    let rss_sns = peak_rss(&process);

    // SQS batches of the typical notification, both ways it can be queued.
    let typical_sns: Value = serde_json::from_str::<Value>(&typical).expect("fixture is JSON")
        ["Records"][0]["Sns"]
        .clone();
    let mut sqs = Vec::new();
    let mut rss_sqs = Vec::new();
    for (size, measured) in [(100, sqs_batches), (1_000, sqs_large_batches)] {
        for bodies in [Bodies::Envelopes, Bodies::Raw] {
            let scenario = (size, bodies);
            let runs = (2, measured);
            let cpu = sqs_scenario(&mut bench, &api, &process, &typical_sns, scenario, runs).await;
            sqs.push((size, bodies, cpu));
        }
        let payload = bench.sqs_batch(&typical_sns, size, Bodies::Envelopes).len();
        rss_sqs.push((size, payload, peak_rss(&process)));
    }

    // Every fixture, warm: once so every stream exists, then counted against the streams it wrote.
    for (_, payload) in &fixtures {
        run_invocations(&mut bench, &api, &process, payload, 1).await;
    }
    let mut fixture_puts = 0;
    let mut fixture_streams = 0;
    let mut fixture_other = BTreeMap::<String, usize>::new();
    let mut mismatches = Vec::new();
    for (name, payload) in &fixtures {
        let run = run_invocations(&mut bench, &api, &process, payload, 1).await;
        fixture_puts += run.count(PUT);
        fixture_streams += run.streams_written();
        for (op, n) in run.calls.iter().filter(|(op, _)| *op != PUT) {
            *fixture_other.entry(op.clone()).or_default() += n;
        }
        if run.count(PUT) != run.streams_written() {
            mismatches.push(format!(
                "{name}: {} PutLogEvents for {} streams",
                run.count(PUT),
                run.streams_written()
            ));
        }
    }
    let output = process.kill().await;
    drop(api);

    // The table.
    let target = target_dir();
    let mut table = Table::default();

    let criterion = criterion_medians(&target, "parse_format");
    let throughput = |ns: f64| format!("{:.2} µs, {:.0} notifications/s", ns / 1e3, 1e9 / ns);
    if criterion.is_empty() {
        table.info(
            "Parse + format (criterion)",
            "not run: `cargo bench --bench parse_format`".to_owned(),
        );
    }
    // The typical notification first, then the large bounce, the typical one's variants, every fixture.
    let mut ids: Vec<&String> = criterion.keys().collect();
    ids.sort_by_key(|id| {
        let rank = match id.as_str() {
            TYPICAL_EVENT => 0,
            LARGE_BOUNCE => 1,
            id if id.starts_with(TYPICAL_EVENT) => 2,
            _ => 3,
        };
        (rank, id.as_str())
    });
    for id in ids {
        let ns = criterion[id];
        match id.as_str() {
            TYPICAL_EVENT => table.target(
                format!("Parse + format, {id} (typical: 1 recipient), median"),
                "≤ 5 µs",
                throughput(ns),
                ns <= 5_000.0,
            ),
            LARGE_BOUNCE => table.info(
                format!("Parse + format, {id}, median"),
                format!("{}; {:.2} µs per recipient", throughput(ns), ns / 50e3),
            ),
            _ => table.info(format!("Parse + format, {id}, median"), throughput(ns)),
        }
    }

    if let Some(ns) = criterion_medians(&target, "handler_cpu").get(TYPICAL_EVENT) {
        table.info(
            format!("Pipeline CPU for a whole {TYPICAL_EVENT} payload (SNS envelope, parse, format, grouping), median"),
            throughput(*ns),
        );
    }

    let inits: Vec<Duration> = starts.iter().map(|s| s.init).collect();
    let firsts: Vec<Duration> = starts.iter().map(|s| s.first_response).collect();
    let cold_own: Vec<Duration> = starts.iter().map(|s| s.invocation.own()).collect();
    let spread = |values: &[Duration]| {
        format!(
            "{} (min {}, max {})",
            ms(median(values)),
            ms(*values.iter().min().expect("starts")),
            ms(*values.iter().max().expect("starts"))
        )
    };
    table.target(
        format!("Init: spawn → first GET /next, median of {cold_starts}"),
        "≤ 8 ms",
        spread(&inits),
        median(&inits) <= Duration::from_millis(8),
    );
    table.target(
        format!("Cold start: spawn → first response, event queued, median of {cold_starts}"),
        "≤ 10 ms",
        format!(
            "{}; of which own time {}",
            spread(&firsts),
            ms(median(&cold_own))
        ),
        median(&firsts) <= Duration::from_millis(10),
    );
    table.before(ISSUE_COLD_START);
    let cold_cpu: Vec<Duration> = starts.iter().filter_map(|s| s.cpu).collect();
    table.info(
        "… the process's CPU time, spawn → waiting for its second event, median",
        cpu_spread(&cold_cpu, 1),
    );
    table.info(
        "Cold start that creates the log group and stream (first start of the run)",
        ms(creating_time),
    );
    let latencies: Vec<Duration> = warm.invocations.iter().map(|i| i.latency).collect();
    let endpoint: Vec<Duration> = warm.invocations.iter().map(|i| i.endpoint).collect();
    let own: Vec<Duration> = warm.invocations.iter().map(Invocation::own).collect();
    let median_p99 =
        |values: &[Duration]| format!("{} / {}", ms(median(values)), ms(percentile(values, 99.0)));
    table.info(
        format!("Warm invocation latency, median / p99 of {warm_invocations}"),
        median_p99(&latencies),
    );
    table.info(
        "… spent at the CloudWatch endpoint (proxy + moto), median / p99",
        median_p99(&endpoint),
    );
    table.target(
        "… the function's own time (latency − endpoint), median / p99",
        "≤ 0.5 ms",
        median_p99(&own),
        median(&own) <= Duration::from_micros(500),
    );
    let warm_cpu = cpu_times(&warm);
    table.target(
        "CPU time per warm invocation, SNS, one bounce (all threads, /proc schedstat), median",
        "≤ 0.25 ms",
        cpu_spread(&warm_cpu, 1),
        !warm_cpu.is_empty() && median(&warm_cpu) <= Duration::from_micros(250),
    );
    table.before(ISSUE_WARM_CPU);
    for (size, bodies, cpu) in &sqs {
        let way = match bodies {
            Bodies::Envelopes => "SNS envelopes",
            Bodies::Raw => "raw delivery",
        };
        let metric =
            format!("CPU time per notification, SQS batches of {size}, {way}, median per batch");
        let per = u32::try_from(*size).unwrap_or(u32::MAX);
        if *size == 100 {
            table.target(
                metric,
                "≤ 10 µs",
                cpu_spread(cpu, per),
                !cpu.is_empty() && median(cpu) / per <= Duration::from_micros(10),
            );
            if matches!(bodies, Bodies::Envelopes) {
                table.before(ISSUE_SQS_100_CPU);
            }
        } else {
            table.info(metric, cpu_spread(cpu, per));
        }
    }
    table.target(
        format!(
            "Peak RSS (VmHWM) after {} SNS invocations",
            1 + warmup + warm_invocations
        ),
        "≤ 16 MB",
        rss_sns.map_or("unavailable".to_owned(), mb),
        rss_sns.is_some_and(|b| b <= 16_000_000),
    );
    for (size, payload, rss) in &rss_sqs {
        table.info(
            format!(
                "… after SQS batches of {size} as well (a batch of envelopes: {:.2} MB of event)",
                *payload as f64 / 1e6
            ),
            rss.map_or("unavailable".to_owned(), mb),
        );
    }

    table.info(
        "CloudWatch Logs calls, cold start, no log group yet",
        call_summary(&creating_calls),
    );
    let mut cold_calls: Vec<String> = starts
        .iter()
        .map(|s| call_summary(&s.invocation.calls))
        .collect();
    cold_calls.sort();
    cold_calls.dedup();
    let cold_ok = cold_calls == [format!("{PUT} ×1")];
    table.target(
        format!("CloudWatch Logs calls, cold start, group and stream exist ({cold_starts} starts)"),
        "1 PutLogEvents",
        cold_calls.join("; "),
        cold_ok,
    );
    let warm_per_invocation = warm.count(PUT) as f64 / warm_invocations as f64;
    table.target(
        format!("CloudWatch Logs calls, warm, typical notification ({warm_invocations} invocations)"),
        "1 per stream touched, no create/describe",
        format!(
            "{warm_per_invocation:.2} PutLogEvents per invocation, {:.2} streams touched per invocation; other calls: {}",
            warm.streams_written() as f64 / warm_invocations as f64,
            warm.other_calls()
        ),
        warm.count(PUT) == warm.streams_written() && warm.other_calls() == 0,
    );
    table.target(
        format!(
            "CloudWatch Logs calls, warm, each of the {} fixtures once",
            fixtures.len()
        ),
        "1 per stream touched, no create/describe",
        format!(
            "{fixture_puts} PutLogEvents for {fixture_streams} streams touched; other calls: {}{}",
            if fixture_other.is_empty() {
                "none".to_owned()
            } else {
                format!("{fixture_other:?}")
            },
            if mismatches.is_empty() {
                String::new()
            } else {
                format!("; mismatched: {}", mismatches.join(", "))
            }
        ),
        mismatches.is_empty() && fixture_other.is_empty(),
    );
    table.info(
        format!(
            "CloudWatch Logs calls per 1,000 notifications, SNS (one per invocation, {} notifications), warm",
            warm.notifications()
        ),
        format!("{:.0}", warm.calls_per_thousand()),
    );

    let zip = std::env::var_os("LAMBDA_ZIP")
        .map(PathBuf::from)
        .unwrap_or_else(|| target.join("lambda/ses-feedback-logger/bootstrap.zip"));
    match std::fs::metadata(&zip) {
        Ok(meta) => table.target(
            "arm64 release zip (cargo lambda build --release --arm64)",
            "≤ 3.3 MB",
            mb(meta.len()),
            meta.len() <= 3_300_000,
        ),
        Err(_) => table.info(
            "arm64 release zip",
            format!("{} not built: run `make package`", zip.display()),
        ),
    }
    if let Ok(meta) = std::fs::metadata(&binary) {
        table.info(
            format!(
                "{} release binary (the one measured above)",
                std::env::consts::ARCH
            ),
            mb(meta.len()),
        );
    }

    println!();
    println!(
        "Machine: {}; load average {load_at_start} at the start, {} at the end",
        machine(),
        load_average()
    );
    println!();
    table.print();
    if !output.stderr.trim().is_empty() {
        eprintln!("function stderr:\n{}", output.stderr);
    }
}
