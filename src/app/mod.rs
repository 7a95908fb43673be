//! Start-up wiring and the commands: the configuration, the AWS clients and secrets, and `replay`.

pub mod config;
pub mod replay;
pub mod secrets;
