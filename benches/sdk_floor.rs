//! The floor under the function's CPU: what the SDK's PutLogEvents alone costs, through the function's own
//! CloudWatch writer (`CloudWatchSink`, on a client configured by `app::sdk_config` as the function's is),
//! against moto, on one current-thread runtime as in the function. The log events are those the function
//! writes for the typical bounce (the pipeline run on `events/bounce-notification.json` into a recorder):
//! one per put, as a warm SNS invocation writes, and 100 per put, as an SQS batch of 100 writes.
//!
//! CPU is this thread's time on CPU (`/proc/thread-self/schedstat`, nanoseconds, kernel time of its
//! system calls included), read before and after each put, less what the two reads cost on their own.
//!
//! Needs moto: `make bench`, or `scripts/with-moto.sh cargo bench --bench sdk_floor`. Under `cargo test` it
//! does nothing.

use std::sync::Mutex;
use std::time::Duration;

use ses_feedback_logger::log_events::LogFormat;
use ses_feedback_logger::pipeline::Pipeline;
use ses_feedback_logger::storage::cloudwatch::CloudWatchSink;
use ses_feedback_logger::storage::{LogEvent, LogSink, WriteError};

const TYPICAL: &str = include_str!("../events/bounce-notification.json");
const SINGLE_PUTS: usize = 1_000;
const BATCH: usize = 100;
const BATCH_PUTS: usize = 21;
const WARMUP_PUTS: usize = 20;

/// Keeps what the pipeline writes.
#[derive(Default)]
struct Recorder(Mutex<Vec<LogEvent>>);

impl LogSink for Recorder {
    async fn write(&self, _stream: &str, entries: Vec<LogEvent>) -> Result<(), WriteError> {
        self.0.lock().expect("recorder").extend(entries);
        Ok(())
    }
}

/// This thread's CPU time so far.
fn thread_cpu() -> Duration {
    let schedstat = std::fs::read_to_string("/proc/thread-self/schedstat").expect("schedstat");
    let ns = schedstat
        .split_whitespace()
        .next()
        .and_then(|ns| ns.parse().ok())
        .expect("schedstat's first field");
    Duration::from_nanos(ns)
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort_unstable();
    values[values.len() / 2]
}

fn main() {
    // cargo bench passes --bench to bench executables; cargo test does not.
    if !std::env::args().skip(1).any(|arg| arg == "--bench") {
        println!("sdk_floor benchmark: skipped (not run by `cargo bench`); run `make bench`");
        return;
    }
    let endpoint = std::env::var("MOTO_ENDPOINT").expect("MOTO_ENDPOINT (scripts/with-moto.sh)");
    std::env::set_var("AWS_ENDPOINT_URL", endpoint);
    std::env::set_var("AWS_REGION", "us-east-1");
    std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
    // The function's runtime: one thread, everything on it.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(run());
}

/// The log event the function writes for the typical bounce.
async fn typical_event() -> LogEvent {
    let pipeline = Pipeline::new(Recorder::default(), LogFormat::Json);
    let (result, _) = pipeline.invoke(TYPICAL).await;
    result.expect("the typical bounce is stored");
    let mut events = pipeline.sink().0.lock().expect("recorder").clone();
    assert_eq!(events.len(), 1, "the typical bounce has one recipient");
    events.remove(0)
}

/// Puts `batch` copies of `event` (stamped now) `puts` times after the warm-up; the CPU of each put.
async fn put_cpu(
    sink: &CloudWatchSink,
    event: &LogEvent,
    batch: usize,
    puts: usize,
) -> Vec<Duration> {
    let mut cpu = Vec::with_capacity(puts);
    for i in 0..WARMUP_PUTS + puts {
        let now = chrono::Utc::now().timestamp_millis();
        let events = vec![LogEvent::new(now, event.message.clone()); batch];
        let before = thread_cpu();
        sink.write("Bounce", events).await.expect("put");
        let after = thread_cpu();
        if i >= WARMUP_PUTS {
            cpu.push(after - before);
        }
    }
    cpu
}

async fn run() {
    let event = typical_event().await;
    let config = ses_feedback_logger::app::sdk_config().await;
    let group = format!("/bench/sdk-floor/{}", std::process::id());
    let sink = CloudWatchSink::new(aws_sdk_cloudwatchlogs::Client::new(&config), group);
    // What reading the clock twice costs, taken off every put.
    let reads: Vec<Duration> = (0..1_000)
        .map(|_| {
            let before = thread_cpu();
            thread_cpu() - before
        })
        .collect();
    let read_cost = median(reads);
    let net = |cpu: Vec<Duration>| median(cpu).saturating_sub(read_cost);
    let single = net(put_cpu(&sink, &event, 1, SINGLE_PUTS).await);
    let batched = net(put_cpu(&sink, &event, BATCH, BATCH_PUTS).await);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!();
    println!(
        "The SDK's PutLogEvents alone, through the function's CloudWatch writer, against moto (load average {})",
        load.split_whitespace().next().unwrap_or("?")
    );
    println!();
    println!("| Put | CPU per put, median | Per log event |");
    println!("|---|---|---|");
    println!(
        "| 1 log event (a warm SNS invocation's put), {SINGLE_PUTS} puts | {:.3} ms | {:.3} ms |",
        single.as_secs_f64() * 1e3,
        single.as_secs_f64() * 1e3
    );
    println!(
        "| {BATCH} log events (an SQS batch of {BATCH}'s put), {BATCH_PUTS} puts | {:.3} ms | {:.1} µs |",
        batched.as_secs_f64() * 1e3,
        batched.as_secs_f64() * 1e6 / BATCH as f64
    );
}
