//! The small HTTP/1.1 server both test servers (proxy, Runtime API) are built on.

use std::future::Future;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What a handler returns. An `Err` makes hyper drop the connection without writing a response.
pub type HandlerResult = Result<Response<Full<Bytes>>, BoxError>;

/// Serves `handler` on a fresh 127.0.0.1 port from a task on the caller's tokio runtime (current-thread or
/// multi-thread). Each connection gets its own task, so one slow request does not hold up the others.
/// Returns the bound address and the accept task (abort it to stop accepting).
pub async fn serve<F, Fut>(handler: F) -> (SocketAddr, JoinHandle<()>)
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = HandlerResult> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a 127.0.0.1 port");
    let addr = listener.local_addr().expect("local address");
    let accept_task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                // Out of file descriptors or similar: wait rather than spin.
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            };
            let handler = handler.clone();
            tokio::spawn(async move {
                // Errors here are peers going away or handlers asking for a dropped connection: both expected.
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service_fn(handler))
                    .await;
            });
        }
    });
    (addr, accept_task)
}

/// A response with a body and a content type.
pub fn reply(status: u16, content_type: &str, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header(hyper::header::CONTENT_TYPE, content_type)
        .body(Full::new(body.into()))
        .expect("valid response")
}
