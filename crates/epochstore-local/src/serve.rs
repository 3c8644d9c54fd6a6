//! An HTTP/1.1 listener with graceful shutdown (hyper 1): stops accepting
//! when told, lets requests in flight finish, closes idle keep-alive
//! connections, and gives up on stragglers after a drain timeout.

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

pub type HttpResponse = hyper::Response<Full<Bytes>>;

/// Resolves once `shutdown` turns true (or its sender is gone).
pub async fn stopped(mut shutdown: watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

/// Serves `handler` on `listener` until `shutdown`, then drains.
pub async fn serve<H, F>(
    name: String,
    listener: TcpListener,
    handler: H,
    shutdown: watch::Receiver<bool>,
    drain: Duration,
) where
    H: Fn(hyper::Request<Incoming>) -> F + Clone + Send + 'static,
    F: Future<Output = HttpResponse> + Send + 'static,
{
    let mut connections = JoinSet::new();
    let stop = stopped(shutdown.clone());
    tokio::pin!(stop);
    loop {
        let (stream, _peer) = tokio::select! {
            () = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors, say: back off instead of spinning.
                    tracing::warn!(listener = %name, error = %err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let handler = handler.clone();
        let shutdown = shutdown.clone();
        connections.spawn(async move {
            let service = service_fn(move |request| {
                let handler = handler.clone();
                async move { Ok::<_, Infallible>(handler(request).await) }
            });
            let connection = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(err) = result {
                        tracing::debug!(error = %err, "connection ended with an error");
                    }
                }
                () = stopped(shutdown) => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
        // Reap finished connections so the set does not grow without bound.
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let open = connections.len();
    let drained = tokio::time::timeout(drain, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(listener = %name, open, "connections still open after the drain timeout; closing them");
        connections.abort_all();
    }
    tracing::info!(listener = %name, "stopped");
}
