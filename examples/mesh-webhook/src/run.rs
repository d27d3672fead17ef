//! Wiring: loads the configuration and certificate, starts the reload watcher, binds the
//! listener and serves until a shutdown signal, then drains.

use crate::config::{self, ConfigError, ConfigFiles};
use crate::metrics::Metrics;
use crate::reload::{CertSource, InjectorSource, Live, Source, Watcher};
use crate::routes::{self, AppState, Health, Limits};
use crate::server::{self, Drained, ServerLimits};
use crate::shutdown;
use crate::tls::{self, CertFiles, CertResolver, TlsError};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// Everything the server needs, from the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Serving certificate and key.
    pub cert: CertFiles,
    /// Injector configuration files and settings.
    pub config: ConfigFiles,
    /// Request limits.
    pub limits: Limits,
    /// Connection limits and drain budget.
    pub server: ServerLimits,
    /// How often the files are checked for changes.
    pub reload_interval: Duration,
    /// Whether the cluster is OpenShift.
    pub openshift: bool,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The injector configuration is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The certificate or key is unusable.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The listen address could not be bound.
    #[error("--listen {address}: cannot bind: {source}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// The IO error.
        source: std::io::Error,
    },
    /// The reload watcher thread could not be started.
    #[error("cannot start the reload watcher: {0}")]
    Watcher(std::io::Error),
}

/// Runs the webhook until SIGTERM/SIGINT; returns how the drain went.
pub async fn run(settings: Settings) -> Result<Drained, RunError> {
    let metrics = Arc::new(Metrics::default());
    let (config_seen, injector) = config::load(&settings.config)?;
    let provider = tls::provider();
    let (cert_seen, key) = tls::load(&settings.cert, &provider)?;
    let injector = Arc::new(Live::new(injector));
    let cert = Arc::new(Live::new(key));
    let resolver = Arc::new(CertResolver::new(cert.clone()));
    let tls_config = Arc::new(tls::server_config(resolver, provider.clone())?);

    let listener = TcpListener::bind(settings.listen)
        .await
        .map_err(|source| RunError::Bind {
            address: settings.listen,
            source,
        })?;
    let address = listener.local_addr().unwrap_or(settings.listen);

    let sources: Vec<Box<dyn Source>> = vec![
        Box::new(InjectorSource::new(
            settings.config.clone(),
            config_seen,
            injector.clone(),
        )),
        Box::new(CertSource::new(
            settings.cert.clone(),
            cert_seen,
            cert,
            provider,
        )),
    ];
    let watcher = Watcher::spawn(sources, settings.reload_interval, metrics.clone())
        .map_err(RunError::Watcher)?;

    let health = Arc::new(Health::default());
    let state = Arc::new(AppState {
        injector,
        metrics: metrics.clone(),
        health: health.clone(),
        limits: settings.limits,
        openshift: settings.openshift,
    });
    let app = routes::router(state);
    health.set_ready(true);
    tracing::info!(
        %address,
        watched = ?settings.config.paths(),
        revision = settings.config.revision.as_str(),
        "listening"
    );
    let stop = async move {
        shutdown::signal().await;
        health.set_ready(false);
    };
    let drained = server::serve(listener, tls_config, app, metrics, settings.server, stop).await;
    watcher.stop();
    match drained {
        Drained::Clean => tracing::info!("all connections drained; exiting"),
        Drained::TimedOut => tracing::warn!("drain timeout reached; closing remaining connections"),
    }
    Ok(drained)
}
