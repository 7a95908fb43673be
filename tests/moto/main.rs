//! The tests that need moto (started by scripts/with-moto.sh, which `make test` runs them under) or run the
//! built binary: the CloudWatch writer and handler against moto, the fault matrix, end to end, load, replay
//! by the binary, and the test support's own checks. One binary, so the crate and the SDK are linked once.

#[path = "../support/mod.rs"]
mod support;

mod e2e;
mod faults;
mod hostile;
mod load;
mod moto;
mod regions;
mod replay;
mod support_selftest;
