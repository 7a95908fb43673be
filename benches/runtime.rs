//! Runtime benchmark: the release binary, started as Lambda starts it, polling a local Lambda Runtime API
//! (`tests/support`'s emulator) and writing to moto through the recording proxy, which counts every
//! CloudWatch Logs call and times how long the endpoint took over each.
//!
//! Measured (the table `make bench` prints):
//! - init: process start → its first `GET /runtime/invocation/next`; cold start: process start → the first
//!   invocation's response, the event already queued; medians of `BENCH_COLD_STARTS` starts (default 20);
//! - warm invocations (`BENCH_WARM_INVOCATIONS`, default 1000, after `BENCH_WARMUP` = 50): latency as Lambda
//!   bills it (event handed out → response received, at the Runtime API), the time the CloudWatch endpoint
//!   spent answering (at the proxy), and the difference, the function's own time;
//! - peak RSS (`VmHWM`) of the warm process, read before it is killed;
//! - CloudWatch Logs calls per invocation: cold with a new group, cold with the stream in place, warm over
//!   every `events/` fixture (per stream touched);
//! - the arm64 zip's size (`LAMBDA_ZIP`, default `target/lambda/ses-feedback-logger/bootstrap.zip`) and the
//!   parse + format medians of the criterion bench (`target/criterion/parse_format`), if they exist.
//!
//! Needs moto: `make bench`, or `scripts/with-moto.sh cargo bench --bench runtime`. Under `cargo test` (no
//! `--bench` argument) it does nothing, so `make test` stays quick and free of timing.

#[path = "../tests/support/mod.rs"]
mod support;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{
    moto_endpoint, spawn_function, unique_name, FunctionProcess, Outcome, RecordingProxy,
    RuntimeApi, Timing,
};

/// Upper bound for one invocation; the function's own write deadline is 25 s.
const INVOCATION_TIMEOUT: Duration = Duration::from_secs(60);
/// The typical notification: one bounced recipient, one stream.
const TYPICAL_EVENT: &str = "bounce-notification.json";

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

/// One `events/` file.
struct Fixture {
    name: String,
    payload: String,
}

fn fixtures() -> Vec<Fixture> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("events");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| Fixture {
            name: path
                .file_name()
                .expect("file name")
                .to_string_lossy()
                .into_owned(),
            payload: std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("read {}: {e}", path.display())),
        })
        .collect()
}

/// Fresh SNS MessageIds and request ids: the function skips a MessageId it has already stored (redelivery),
/// so every benchmarked invocation must carry new ones to do the full work.
struct Ids {
    next: usize,
}

impl Ids {
    fn request_id(&mut self) -> String {
        self.next += 1;
        format!("be4c0000-0000-4000-8000-{:012x}", self.next)
    }

    /// `payload` with every record's `Sns.MessageId` replaced by a new one.
    fn fresh(&mut self, payload: &str) -> String {
        let mut event: Value = serde_json::from_str(payload).expect("fixture is JSON");
        for record in event["Records"].as_array_mut().expect("Records") {
            self.next += 1;
            record["Sns"]["MessageId"] =
                Value::String(format!("5e55a9e0-0000-4000-8000-{:012x}", self.next));
        }
        event.to_string()
    }
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

/// `VmHWM` (peak resident set) of a live process, in bytes.
fn peak_rss(process: &FunctionProcess) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", process.id()?)).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// CPU time the process has used so far, all threads (`/proc/PID/task/*/schedstat`, nanoseconds on CPU).
fn cpu_time(process: &FunctionProcess) -> Option<Duration> {
    let tasks = std::fs::read_dir(format!("/proc/{}/task", process.id()?)).ok()?;
    let mut total = 0u64;
    for task in tasks.flatten() {
        let schedstat = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
        total += schedstat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(Duration::from_nanos(total))
}

struct Invocation {
    response: Value,
    latency: Duration,
    endpoint: Duration,
    calls: Vec<String>,
}

async fn invoke(
    api: &RuntimeApi,
    proxy: &RecordingProxy,
    ids: &mut Ids,
    event: &str,
) -> Invocation {
    proxy.reset();
    let request_id = ids.request_id();
    let outcome = tokio::time::timeout(
        INVOCATION_TIMEOUT,
        api.invoke_with_request_id(&request_id, ids.fresh(event)),
    )
    .await
    .expect("the function answered in time");
    finish(api, proxy, &request_id, outcome)
}

fn finish(
    api: &RuntimeApi,
    proxy: &RecordingProxy,
    request_id: &str,
    outcome: Outcome,
) -> Invocation {
    let response = serde_json::from_str(&outcome.expect_response()).expect("response is JSON");
    let timing = api
        .invocation_timings()
        .into_iter()
        .rev()
        .find(|t| t.request_id == request_id)
        .expect("the Runtime API timed the invocation");
    let answered = timing.answered.expect("answered");
    Invocation {
        response,
        latency: answered - timing.delivered,
        endpoint: endpoint_busy(&proxy.timings(), timing.delivered, answered),
        calls: proxy.calls(),
    }
}

struct ColdStart {
    init: Duration,
    first_response: Duration,
    invocation: Invocation,
    peak_rss: Option<u64>,
    /// Keeps the process's Runtime API alive while the process lives.
    api: RuntimeApi,
    process: FunctionProcess,
}

/// Starts a new function process with `event` already queued, as Lambda does for a cold start.
async fn cold_start(
    proxy: &RecordingProxy,
    envs: &[(&str, &str)],
    ids: &mut Ids,
    event: &str,
) -> ColdStart {
    let api = RuntimeApi::start().await;
    proxy.reset();
    let request_id = ids.request_id();
    let event = ids.fresh(event);
    let (started, process, outcome) = {
        let mut invocation = pin!(api.invoke_with_request_id(&request_id, event));
        // Polling once queues the event; the process finds it waiting at its first request.
        std::future::poll_fn(|cx| {
            assert!(invocation.as_mut().poll(cx).is_pending(), "no process yet");
            Poll::Ready(())
        })
        .await;
        let started = Instant::now();
        let process = spawn_function(&api.addr(), envs);
        let outcome = tokio::time::timeout(INVOCATION_TIMEOUT, invocation)
            .await
            .expect("the cold function answered in time");
        (started, process, outcome)
    };
    let invocation = finish(&api, proxy, &request_id, outcome);
    let first_next = api.next_request_times()[0];
    let answered = api.invocation_timings()[0]
        .answered
        .expect("first invocation answered");
    ColdStart {
        init: first_next - started,
        first_response: answered - started,
        peak_rss: peak_rss(&process),
        invocation,
        api,
        process,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn median(values: &[Duration]) -> Duration {
    let mut sorted = values.to_vec();
    sorted.sort();
    percentile(&sorted, 50.0)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn mb(bytes: u64) -> String {
    format!(
        "{:.1} MB ({:.1} MiB)",
        bytes as f64 / 1e6,
        bytes as f64 / 1_048_576.0
    )
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "**missed**"
    }
}

/// Calls grouped by operation, e.g. `PutLogEvents ×2, CreateLogStream`.
fn call_summary(calls: &[String]) -> String {
    if calls.is_empty() {
        return "none".to_owned();
    }
    calls.join(" → ")
}

/// The median of a criterion bench of `parse_format`, in ns, if it has been run.
fn criterion_median_ns(target_dir: &Path, bench: &str) -> Option<f64> {
    let path = target_dir
        .join("criterion/parse_format")
        .join(bench)
        .join("new/estimates.json");
    let estimates: Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    estimates["median"]["point_estimate"].as_f64()
}

fn target_dir() -> PathBuf {
    // The bench runs the binary cargo built for it: <target>/release/ses-feedback-logger.
    Path::new(env!("CARGO_BIN_EXE_ses-feedback-logger"))
        .ancestors()
        .nth(2)
        .expect("binary under <target>/<profile>/")
        .to_path_buf()
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
    format!("{cpus} CPUs ({model}), Linux {}", kernel.trim())
}

struct Row {
    metric: String,
    target: &'static str,
    measured: String,
    verdict: &'static str,
}

fn row(
    metric: impl Into<String>,
    target: &'static str,
    measured: String,
    verdict: &'static str,
) -> Row {
    Row {
        metric: metric.into(),
        target,
        measured,
        verdict,
    }
}

async fn run() {
    let cold_starts = setting("BENCH_COLD_STARTS", 20).max(1);
    let warmup = setting("BENCH_WARMUP", 50);
    let warm_invocations = setting("BENCH_WARM_INVOCATIONS", 1000).max(1);
    let fixtures = fixtures();
    let typical = &fixtures
        .iter()
        .find(|f| f.name == TYPICAL_EVENT)
        .expect("typical fixture")
        .payload;

    let proxy = RecordingProxy::start(&moto_endpoint()).await;
    let group = unique_name("/bench/runtime");
    let endpoint = proxy.url();
    // BENCH_FN_<NAME>=value sets <NAME> for the function, for experiments (e.g. BENCH_FN_RUST_LOG=warn).
    let extra: Vec<(String, String)> = std::env::vars()
        .filter_map(|(name, value)| Some((name.strip_prefix("BENCH_FN_")?.to_owned(), value)))
        .collect();
    let mut envs = vec![
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("LOG_GROUP_NAME", group.as_str()),
    ];
    envs.extend(extra.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    let mut ids = Ids { next: 0 };
    eprintln!(
        "runtime bench: {} against moto at {}; {cold_starts} cold starts, {warmup} + {warm_invocations} warm invocations{}",
        env!("CARGO_BIN_EXE_ses-feedback-logger"),
        moto_endpoint(),
        if extra.is_empty() { String::new() } else { format!("; function environment adds {extra:?}") }
    );

    // The first start of all finds no group: it creates the group and the stream.
    let creating = cold_start(&proxy, &envs, &mut ids, typical).await;
    let creating_calls = creating.invocation.calls.clone();
    let creating_time = creating.first_response;
    drop(creating.process.kill().await);
    drop(creating.api);

    // Cold starts as they usually are: the group and stream exist.
    let mut inits = Vec::new();
    let mut firsts = Vec::new();
    let mut cold_own = Vec::new();
    let mut cold_rss = Vec::new();
    let mut cold_calls = Vec::new();
    let mut warm = None;
    for start in 0..cold_starts {
        let cold = cold_start(&proxy, &envs, &mut ids, typical).await;
        inits.push(cold.init);
        firsts.push(cold.first_response);
        cold_own.push(cold.first_response.saturating_sub(cold.invocation.endpoint));
        cold_rss.extend(cold.peak_rss);
        cold_calls.push(cold.invocation.calls.clone());
        if start + 1 == cold_starts {
            warm = Some((cold.api, cold.process));
        } else {
            drop(cold.process.kill().await);
        }
    }
    let (api, process) = warm.expect("at least one cold start");

    // Warm invocations of the typical notification.
    for _ in 0..warmup {
        invoke(&api, &proxy, &mut ids, typical).await;
    }
    let mut latencies = Vec::new();
    let mut endpoint_times = Vec::new();
    let mut own = Vec::new();
    let mut warm_typical_calls = 0;
    let mut warm_typical_other_calls = Vec::new();
    let cpu_before = cpu_time(&process);
    for _ in 0..warm_invocations {
        let invocation = invoke(&api, &proxy, &mut ids, typical).await;
        latencies.push(invocation.latency);
        endpoint_times.push(invocation.endpoint);
        own.push(invocation.latency.saturating_sub(invocation.endpoint));
        for call in invocation.calls {
            if call == "PutLogEvents" {
                warm_typical_calls += 1;
            } else {
                warm_typical_other_calls.push(call);
            }
        }
    }

    let cpu_per_invocation = cpu_time(&process)
        .zip(cpu_before)
        .map(|(after, before)| (after - before) / warm_invocations as u32);

    // Every fixture, warm: once so every type's stream exists, then counted.
    for fixture in &fixtures {
        invoke(&api, &proxy, &mut ids, &fixture.payload).await;
    }
    let mut streams_touched = 0;
    let mut puts = 0;
    let mut others: Vec<String> = Vec::new();
    let mut mismatches: Vec<String> = Vec::new();
    for fixture in &fixtures {
        let invocation = invoke(&api, &proxy, &mut ids, &fixture.payload).await;
        let streams = invocation.response["written"]
            .as_object()
            .map_or(0, |written| written.len());
        let fixture_puts = invocation
            .calls
            .iter()
            .filter(|c| *c == "PutLogEvents")
            .count();
        streams_touched += streams;
        puts += fixture_puts;
        others.extend(
            invocation
                .calls
                .iter()
                .filter(|c| *c != "PutLogEvents")
                .cloned(),
        );
        if fixture_puts != streams {
            mismatches.push(format!(
                "{}: {fixture_puts} puts for {streams} streams",
                fixture.name
            ));
        }
    }
    let warm_rss = peak_rss(&process);
    let output = process.kill().await;
    drop(api);

    // The table.
    let mut sorted = latencies.clone();
    sorted.sort();
    let mut sorted_own = own.clone();
    sorted_own.sort();
    let target = target_dir();
    let mut rows = Vec::new();

    let criterion = |bench: &str| criterion_median_ns(&target, bench);
    match criterion("bounce-notification") {
        Some(ns) => rows.push(row(
            "Parse + format, typical notification (bounce-notification.json, 1 recipient), median",
            "≤ 5 µs",
            format!("{:.2} µs ({:.0} notifications/s)", ns / 1e3, 1e9 / ns),
            verdict(ns <= 5_000.0),
        )),
        None => rows.push(row(
            "Parse + format (criterion)",
            "≤ 5 µs",
            "not run: `cargo bench --bench parse_format`".to_owned(),
            "—",
        )),
    }
    let fixture_ns: Vec<f64> = fixtures
        .iter()
        .flat_map(|f| {
            let stem = f.name.trim_end_matches(".json").to_owned();
            [stem.clone(), format!("{stem}#1"), format!("{stem}#2")]
        })
        .filter_map(|bench| criterion(&bench))
        .collect();
    if !fixture_ns.is_empty() {
        let min = fixture_ns.iter().copied().fold(f64::INFINITY, f64::min);
        let max = fixture_ns.iter().copied().fold(0.0, f64::max);
        rows.push(row(
            format!(
                "Parse + format, each of the {} fixture notifications, medians",
                fixture_ns.len()
            ),
            "",
            format!("{:.2}–{:.2} µs", min / 1e3, max / 1e3),
            "",
        ));
    }
    if let Some(ns) = criterion("bounce-50-recipients") {
        rows.push(row(
            "Parse + format, 50-recipient bounce, median",
            "",
            format!(
                "{:.1} µs ({:.0} notifications/s, {:.2} µs per recipient)",
                ns / 1e3,
                1e9 / ns,
                ns / 50e3
            ),
            "",
        ));
    }
    let init = median(&inits);
    rows.push(row(
        format!("Init: process start → first GET /next, median of {cold_starts}"),
        "≤ 8 ms",
        format!(
            "{} (min {}, max {})",
            ms(init),
            ms(*inits.iter().min().expect("starts")),
            ms(*inits.iter().max().expect("starts"))
        ),
        verdict(init <= Duration::from_millis(8)),
    ));
    let first = median(&firsts);
    rows.push(row(
        format!(
            "Cold start: process start → first response (event queued), median of {cold_starts}"
        ),
        "≤ 15 ms",
        format!(
            "{} (min {}, max {}); own time {}",
            ms(first),
            ms(*firsts.iter().min().expect("starts")),
            ms(*firsts.iter().max().expect("starts")),
            ms(median(&cold_own))
        ),
        verdict(first <= Duration::from_millis(15)),
    ));
    rows.push(row(
        "Cold start that creates the log group and stream (first start)",
        "",
        ms(creating_time),
        "",
    ));
    rows.push(row(
        format!("Warm invocation latency, median / p99 of {warm_invocations}"),
        "",
        format!(
            "{} / {}",
            ms(percentile(&sorted, 50.0)),
            ms(percentile(&sorted, 99.0))
        ),
        "",
    ));
    rows.push(row(
        "… of which at the CloudWatch endpoint (proxy + moto), median",
        "",
        ms(median(&endpoint_times)),
        "",
    ));
    let own_median = percentile(&sorted_own, 50.0);
    rows.push(row(
        "… the function's own time, median / p99",
        "≤ 0.5 ms",
        format!("{} / {}", ms(own_median), ms(percentile(&sorted_own, 99.0))),
        verdict(own_median <= Duration::from_micros(500)),
    ));
    if let Some(cpu) = cpu_per_invocation {
        rows.push(row(
            "… the function's CPU time per warm invocation (/proc schedstat)",
            "",
            ms(cpu),
            "",
        ));
    }
    let warm_rss_ok = warm_rss.is_some_and(|b| b <= 16 * 1_000_000);
    rows.push(row(
        format!(
            "Peak RSS (VmHWM) after {} invocations",
            1 + warmup + warm_invocations + 2 * fixtures.len()
        ),
        "≤ 16 MB",
        warm_rss.map_or("unavailable".to_owned(), mb),
        verdict(warm_rss_ok),
    ));
    if let Some(&rss) = cold_rss.iter().max() {
        rows.push(row(
            "Peak RSS after the first invocation, largest of the cold starts",
            "",
            mb(rss),
            "",
        ));
    }
    rows.push(row(
        "CloudWatch Logs calls, cold start, new group",
        "",
        call_summary(&creating_calls),
        "",
    ));
    let mut distinct_cold: Vec<String> = cold_calls.iter().map(|c| call_summary(c)).collect();
    distinct_cold.sort();
    distinct_cold.dedup();
    rows.push(row(
        "CloudWatch Logs calls, cold start, group and stream exist",
        "",
        distinct_cold.join("; "),
        "",
    ));
    let warm_calls_ok = warm_typical_calls == warm_invocations
        && warm_typical_other_calls.is_empty()
        && mismatches.is_empty()
        && others.is_empty();
    rows.push(row(
        "CloudWatch Logs calls, warm",
        "1 per stream touched, no create/describe",
        format!(
            "{:.2} PutLogEvents per invocation of the typical event ({warm_invocations} invocations); \
             every fixture: {puts} PutLogEvents for {streams_touched} streams touched; other calls: {}",
            warm_typical_calls as f64 / warm_invocations as f64,
            if others.is_empty() && warm_typical_other_calls.is_empty() {
                "none".to_owned()
            } else {
                format!("{:?} {:?}", warm_typical_other_calls, others)
            }
        ),
        verdict(warm_calls_ok),
    ));
    if !mismatches.is_empty() {
        eprintln!("warm call mismatches: {mismatches:?}");
    }
    let zip = std::env::var_os("LAMBDA_ZIP")
        .map(PathBuf::from)
        .unwrap_or_else(|| target.join("lambda/ses-feedback-logger/bootstrap.zip"));
    match std::fs::metadata(&zip) {
        Ok(meta) => rows.push(row(
            "arm64 release zip (cargo lambda build --release --arm64)",
            "≤ 4 MB",
            mb(meta.len()),
            verdict(meta.len() <= 4 * 1_000_000),
        )),
        Err(_) => rows.push(row(
            "arm64 release zip",
            "≤ 4 MB",
            format!("{} not built: run `make package`", zip.display()),
            "—",
        )),
    }
    if let Ok(meta) = std::fs::metadata(env!("CARGO_BIN_EXE_ses-feedback-logger")) {
        rows.push(row(
            "x86_64 release binary (the one measured above)",
            "",
            mb(meta.len()),
            "",
        ));
    }

    println!();
    println!("Machine: {}", machine());
    println!();
    println!("| Metric | Target | Measured | |");
    println!("|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} |",
            r.metric, r.target, r.measured, r.verdict
        );
    }
    if !output.stderr.trim().is_empty() {
        eprintln!("function stderr:\n{}", output.stderr);
    }
}
