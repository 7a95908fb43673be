//! The support the tests against moto use (tests/moto/ includes this file; so do the benchmarks, for the
//! harness). The tests that need nothing running (tests/offline/) include the part they use, listed there.
//!
//! - [`cloudwatch`]: the moto endpoint, an SDK client for it, unique names, reading streams back.
//! - [`proxy`]: [`RecordingProxy`], an HTTP proxy in front of moto that records operations and injects faults.
//! - [`runtime_api`]: [`RuntimeApi`], a local Lambda Runtime API that real function processes poll.
//! - [`function`]: [`spawn_function`], the built `ses-feedback-logger` binary as a child process.
//! - [`http`]: [`http::serve`], the small HTTP/1.1 server the others are built on, and [`http::reply`].
//! - [`invoke`]: [`Invoke`], the pipeline's answer to a Lambda payload as each test reads it.
//! - [`events`]: the sample events, by listing `events/`.
//! - [`privacy`]: [`hmac_sha256_hex`], to check hashed addresses.
//! - [`ses_stand_in`]: [`SesStandIn`], SES v2's PutSuppressedDestination (not in moto), by signing region.
//!
//! Also in this folder, for tests/offline/: `recording_sink.rs` (`RecordingSink`, a fake of
//! the CloudWatch seam for handler tests) and `sns_stand_in.rs` (SNS's hosts, keys and signer for the HTTPS
//! tests).

pub mod cloudwatch;
pub mod events;
pub mod function;
pub mod http;
pub mod invoke;
pub mod privacy;
pub mod proxy;
pub mod runtime_api;
pub mod ses_stand_in;

pub use cloudwatch::{
    cloudwatch_client, cloudwatch_client_in, moto_endpoint, read_stream, stream_names, unique_name,
};
pub use function::{spawn_function, FunctionProcess};
// Only the runtime benchmark (benches/runtime.rs) starts another command line.
#[allow(unused_imports)]
pub use function::spawn_command;
pub use invoke::Invoke;
pub use privacy::hmac_sha256_hex;
pub use proxy::{Fault, RecordingProxy};
// Only the runtime benchmark (benches/runtime.rs) reads the proxy's timings.
#[allow(unused_imports)]
pub use proxy::Timing;
pub use runtime_api::{Outcome, RuntimeApi};
pub use ses_stand_in::SesStandIn;
