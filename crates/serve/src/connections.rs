//! The connection loop: every connection is served by hyper's HTTP/1.1
//! server with two bounds that `axum::serve` does not set, so that a client
//! cannot hold the server's resources for ever:
//!
//! - a header-read timeout: a request whose headers are not all in within
//!   [`Limits::header_read_timeout`] closes the connection (a slowloris
//!   client trickling header bytes, or a kept-alive connection left idle);
//! - a connection cap: past [`Limits::max_connections`] open connections,
//!   a new one is answered `503` and closed at once, without a task or a
//!   buffer of its own beyond that answer.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};

use crate::security;

/// How many connections, and how slow a client, the server bears.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections open at once. A browser opens about six per server.
    pub max_connections: usize,
    /// The time a client has to send a request's headers, counted from the
    /// first read of the request (for a kept-alive connection, from the end
    /// of the previous answer).
    pub header_read_timeout: Duration,
}

impl Limits {
    /// The limits of `kubereach serve`: one reader's browser, with room for
    /// a few tabs and scripts.
    pub const DEFAULT: Limits = Limits { max_connections: 64, header_read_timeout: Duration::from_secs(10) };
}

/// How long a refused connection gets to take its `503`.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(1);

/// Serves `router` on `listener` until the process ends.
pub(crate) async fn serve(listener: TcpListener, router: Router, limits: Limits) -> io::Result<()> {
    let open = Arc::new(AtomicUsize::new(0));
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // A connection reset before it was accepted concerns that
            // connection only; out of file descriptors, wait for some to close.
            Err(error) if is_connection_error(&error) => continue,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Some(slot) = Slot::take(&open, limits.max_connections) else {
            tokio::spawn(refuse(stream));
            continue;
        };
        let service = TowerToHyperService::new(router.clone());
        tokio::spawn(async move {
            let _slot = slot;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
            // A connection that fails (a timeout, a malformed request) ends
            // here; hyper has already answered what it could.
            let _ = builder.serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    )
}

/// One of the open connections the cap allows, given back when dropped.
struct Slot(Arc<AtomicUsize>);

impl Slot {
    fn take(open: &Arc<AtomicUsize>, max: usize) -> Option<Slot> {
        open.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| (n < max).then_some(n + 1)).ok()?;
        Some(Slot(Arc::clone(open)))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Answers `503` on a connection over the cap and closes it. The answer
/// fits in the socket's send buffer; the client's request is read and
/// dropped (at most a buffer's worth, for [`REFUSAL_TIMEOUT`]) so that
/// closing does not reset the connection before the client reads it.
async fn refuse(stream: TcpStream) {
    let body = "too many connections: try again\n";
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n\
         Content-Security-Policy: {}\r\nX-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n\r\n{body}",
        body.len(),
        security::CONTENT_SECURITY_POLICY,
    );
    let _ = tokio::time::timeout(REFUSAL_TIMEOUT, async {
        if stream.writable().await.is_err() || stream.try_write(answer.as_bytes()).is_err() {
            return;
        }
        let mut buffer = [0u8; 4096];
        loop {
            if stream.readable().await.is_err() {
                return;
            }
            match stream.try_read(&mut buffer) {
                Ok(0) => return,
                Ok(_) => {}
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => return,
            }
        }
    })
    .await;
}
