//! Beside the pipeline: the metrics it counts and the suppressions it makes.

pub mod metrics;
pub mod suppression;
