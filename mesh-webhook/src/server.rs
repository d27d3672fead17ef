//! The TLS server: accepts TCP connections, runs the TLS handshake under a timeout, serves
//! HTTP/1.1 and HTTP/2 with the router, and drains in-flight requests on shutdown (the drain:
//! stop accepting, let each connection finish its request, give up after the drain timeout).

use crate::error::WebhookError;
use crate::metrics::Metrics;
use crate::tls;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use rustls::server::ResolvesServerCert;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

/// Connection-level timeouts and the drain budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// Time allowed for the TLS handshake.
    pub handshake_timeout: Duration,
    /// How long an HTTP/1.1 connection may wait for the next request's headers, idle or
    /// partly sent (hyper runs one timer for both); also the HTTP/2 keep-alive ping interval.
    pub idle_timeout: Duration,
    /// Time allowed for in-flight requests to finish after a shutdown signal.
    pub drain_timeout: Duration,
}

impl ServerLimits {
    /// The defaults: 10 s handshake, 120 s idle (above the 90 s of Go clients), 25 s drain.
    pub const DEFAULT: ServerLimits = ServerLimits {
        handshake_timeout: Duration::from_secs(10),
        idle_timeout: Duration::from_secs(120),
        drain_timeout: Duration::from_secs(25),
    };
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits::DEFAULT
    }
}

/// How the server stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drained {
    /// Every connection finished its requests and closed.
    Clean,
    /// The drain timeout passed with connections still open; they were dropped.
    TimedOut,
}

/// Serves `app` over TLS (HTTP/1.1 and HTTP/2, certificate from `certs` at each handshake) on
/// `listener` until `shutdown` completes, then stops accepting and waits (up to the drain
/// timeout) for open connections to finish their requests. `metrics` receives the connection
/// counters (pass the state's, [`crate::AppState::metrics`]). Fails only when rustls refuses
/// the TLS configuration, before accepting anything.
pub async fn serve(
    listener: TcpListener,
    certs: Arc<dyn ResolvesServerCert>,
    app: Router,
    metrics: Arc<Metrics>,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()>,
) -> Result<Drained, WebhookError> {
    let acceptor = TlsAcceptor::from(Arc::new(tls::server_config(certs)?));
    let graceful = GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.idle_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(limits.idle_timeout))
        .keep_alive_timeout(limits.handshake_timeout);
    let service = TowerToHyperService::new(app);
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (tcp, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Typically EMFILE: back off instead of spinning, then keep serving.
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let connection = Connection {
            acceptor: acceptor.clone(),
            builder: builder.clone(),
            service: service.clone(),
            metrics: metrics.clone(),
            handshake_timeout: limits.handshake_timeout,
        };
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let _open = OpenConnection::new(connection.metrics.clone());
            connection.run(tcp, peer, watcher).await;
        });
    }
    drop(listener);
    tracing::info!(timeout = ?limits.drain_timeout, "stopped accepting; draining connections");
    Ok(
        match tokio::time::timeout(limits.drain_timeout, graceful.shutdown()).await {
            Ok(()) => Drained::Clean,
            Err(_) => Drained::TimedOut,
        },
    )
}

/// Everything one connection task needs.
struct Connection {
    acceptor: TlsAcceptor,
    builder: auto::Builder<TokioExecutor>,
    service: TowerToHyperService<Router>,
    metrics: Arc<Metrics>,
    handshake_timeout: Duration,
}

impl Connection {
    async fn run(
        self,
        tcp: TcpStream,
        peer: SocketAddr,
        watcher: hyper_util::server::graceful::Watcher,
    ) {
        // Small admission reviews and responses: send them now rather than wait for Nagle.
        let _ = tcp.set_nodelay(true);
        let tls =
            match tokio::time::timeout(self.handshake_timeout, self.acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => tls,
                Ok(Err(error)) => {
                    self.metrics.handshake_failed();
                    tracing::debug!(%peer, %error, "TLS handshake failed");
                    return;
                }
                Err(_) => {
                    self.metrics.handshake_failed();
                    tracing::debug!(%peer, "TLS handshake timed out");
                    return;
                }
            };
        let conn = self
            .builder
            .serve_connection(TokioIo::new(tls), self.service);
        if let Err(error) = watcher.watch(conn).await {
            tracing::debug!(%peer, %error, "connection closed with an error");
        }
    }
}

/// Keeps the open-connections gauge right however the task ends.
struct OpenConnection(Arc<Metrics>);

impl OpenConnection {
    fn new(metrics: Arc<Metrics>) -> Self {
        metrics.connection_delta(1);
        OpenConnection(metrics)
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.connection_delta(-1);
    }
}
