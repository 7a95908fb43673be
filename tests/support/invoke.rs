//! [`Invoke`]: the pipeline's Lambda entry point, read the way each test needs its answer.

use ses_feedback_logger::operations::metrics::Metrics;
use ses_feedback_logger::operations::suppression::Suppressor;
use ses_feedback_logger::pipeline::{InvocationError, Pipeline, Response, Summary};
use ses_feedback_logger::storage::LogSink;

// Test-only, with no Send bound needed on the futures: async fn in a trait is what reads best.
#[allow(async_fn_in_trait)]
pub trait Invoke {
    /// The summary of an SNS event; panics on another kind of answer.
    async fn handle(&self, payload: &str) -> Result<Summary, InvocationError>;
    /// [`Invoke::handle`] with the invocation's metrics.
    async fn handle_measured(&self, payload: &str) -> (Result<Summary, InvocationError>, Metrics);
}

impl<S: LogSink, P: Suppressor> Invoke for Pipeline<S, P> {
    async fn handle(&self, payload: &str) -> Result<Summary, InvocationError> {
        self.handle_measured(payload).await.0
    }

    async fn handle_measured(&self, payload: &str) -> (Result<Summary, InvocationError>, Metrics) {
        let (result, metrics) = self.invoke(payload).await;
        let summary = result.map(|response| match response {
            Response::Sns(summary) => summary,
            other => panic!("not an SNS event's answer: {other:?}"),
        });
        (summary, metrics)
    }
}
