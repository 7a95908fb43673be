//! The invocation's event handed to the handler as Lambda sent it. lambda_runtime reads the event into the
//! handler's payload type before calling it (the whole event once more, through serde_path_to_error, and
//! its own error for what does not read); the pipeline tells the event sources apart while reading the
//! event, once, with its own errors. This layer, outside the runtime's reading, takes the body and leaves
//! `null` in its place (read as the handler's `()`); the handler finds the body in [`EventBody::current`].

use std::task::{Context, Poll};

use bytes::Bytes;
use lambda_runtime::tower::{Layer, Service};
use lambda_runtime::LambdaInvocation;
use tokio::task::futures::TaskLocalFuture;

tokio::task_local! {
    /// The body of the invocation being handled (an invocation is handled within its own scope).
    static EVENT_BODY: Bytes;
}

/// What the runtime reads in place of the event: `null`, which is `()`.
const NOTHING: &[u8] = b"null";

/// The [`Layer`] that takes each invocation's event body for the handler.
pub(crate) struct EventBody;

impl EventBody {
    /// The event of the invocation being handled, as Lambda sent it; `None` outside an invocation. Call it
    /// inside the handler's future: the body is in scope while that future runs, not when it is made.
    pub(crate) fn current() -> Option<Bytes> {
        EVENT_BODY.try_with(Bytes::clone).ok()
    }
}

impl<S> Layer<S> for EventBody {
    type Service = EventBodyService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        EventBodyService { inner }
    }
}

pub(crate) struct EventBodyService<S> {
    inner: S,
}

impl<S: Service<LambdaInvocation>> Service<LambdaInvocation> for EventBodyService<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = TaskLocalFuture<Bytes, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut invocation: LambdaInvocation) -> Self::Future {
        let body = std::mem::replace(&mut invocation.body, Bytes::from_static(NOTHING));
        EVENT_BODY.scope(body, self.inner.call(invocation))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_runtime::{service_fn, Context};

    #[tokio::test]
    async fn the_handler_finds_the_body_the_runtime_reads_null_and_nothing_is_found_outside() {
        assert!(EventBody::current().is_none());
        let handler = service_fn(|invocation: LambdaInvocation| async move {
            Ok::<_, std::convert::Infallible>((invocation.body, EventBody::current()))
        });
        let mut service = EventBody.layer(handler);
        let (parts, ()) = hyper::Response::new(()).into_parts();
        let event = Bytes::from_static(br#"{"Records":[]}"#);
        let invocation = LambdaInvocation {
            parts,
            body: event.clone(),
            context: Context::default(),
        };
        let Ok((read_by_the_runtime, found_by_the_handler)) = service.call(invocation).await;
        assert_eq!(read_by_the_runtime, Bytes::from_static(NOTHING));
        assert_eq!(found_by_the_handler, Some(event));
        assert!(EventBody::current().is_none());
    }
}
