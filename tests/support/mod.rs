//! Shared helpers for the integration tests (`mod support;`).
//!
//! - [`cloudwatch`]: the moto endpoint, an SDK client for it, unique names, reading streams back.
//! - [`proxy`]: [`RecordingProxy`], an HTTP proxy in front of moto that records operations and injects faults.
//! - [`runtime_api`]: [`RuntimeApi`], a local Lambda Runtime API that real function processes poll.
//! - [`invoke`]: [`Invoke`], the pipeline's answer to a Lambda payload as each test reads it.
//! - [`recording_sink`]: [`RecordingSink`], a fake of the CloudWatch seam for handler tests.
//! - [`function`]: [`spawn_function`], the built `ses-feedback-logger` binary as a child process.
//! - [`http`]: [`http::serve`], the small HTTP/1.1 server the others are built on, and [`http::reply`].
//!
//! Every test binary compiles this module but uses only part of it, hence the allows.
#![allow(dead_code, unused_imports)]

pub mod cloudwatch;
pub mod function;
pub mod http;
pub mod invoke;
pub mod proxy;
pub mod recording_sink;
pub mod runtime_api;

pub use cloudwatch::{cloudwatch_client, moto_endpoint, read_stream, stream_names, unique_name};
pub use function::{spawn_function, FunctionOutput, FunctionProcess};
pub use invoke::Invoke;
pub use proxy::{Call, Fault, RecordingProxy, Timing};
pub use recording_sink::RecordingSink;
pub use runtime_api::{InitError, InvocationTiming, Outcome, RuntimeApi};

/// HMAC-SHA256 of `message` under `key`, in hex: computed here, independently of the function's own code,
/// to check the hashes it writes.
pub fn hmac_sha256_hex(key: &[u8], message: &str) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).expect("any key length");
    mac.update(message.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
