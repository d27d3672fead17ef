//! Wiring: loads the configuration and certificate, starts the reload watcher, binds the
//! listener and serves until the shutdown future completes, then drains.

use crate::config::{self, ConfigFiles, Snapshot};
use crate::error::WebhookError;
use crate::reload::{CertSource, InjectorSource, Source, Watcher};
use crate::routes::{self, AppState, Limits};
use crate::server::{self, Drained, ServerLimits};
use crate::tls::{CertFiles, CertResolver};
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// Everything the server needs (what the binary's flags fill in).
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

impl Settings {
    /// The default listen address, `0.0.0.0:9443`.
    pub const DEFAULT_LISTEN: SocketAddr =
        SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 9443));
    /// The default interval between checks of the files, 1 s.
    pub const DEFAULT_RELOAD_INTERVAL: Duration = Duration::from_secs(1);

    /// Settings for these files with every default: listen on `0.0.0.0:9443`, default limits,
    /// files checked every second, not OpenShift.
    pub fn new(cert: CertFiles, config: ConfigFiles) -> Self {
        Settings {
            listen: Settings::DEFAULT_LISTEN,
            cert,
            config,
            limits: Limits::DEFAULT,
            server: ServerLimits::DEFAULT,
            reload_interval: Settings::DEFAULT_RELOAD_INTERVAL,
            openshift: false,
        }
    }
}

/// Runs the webhook on `settings.listen` until `shutdown` completes; returns how the drain went.
/// Fails before serving when a file is unusable or the address cannot be bound.
pub async fn run(
    settings: Settings,
    shutdown: impl Future<Output = ()>,
) -> Result<Drained, WebhookError> {
    let loaded = Loaded::load(&settings)?;
    let listener =
        TcpListener::bind(settings.listen)
            .await
            .map_err(|source| WebhookError::Bind {
                address: settings.listen,
                source,
            })?;
    loaded.serve(listener, settings, shutdown).await
}

/// Like [`run`] on a listener already bound (`settings.listen` is then unused): for tests on
/// `127.0.0.1:0`, or a socket handed over by a supervisor.
pub async fn run_on(
    listener: TcpListener,
    settings: Settings,
    shutdown: impl Future<Output = ()>,
) -> Result<Drained, WebhookError> {
    Loaded::load(&settings)?
        .serve(listener, settings, shutdown)
        .await
}

/// The files read at startup, before the listener is bound.
struct Loaded {
    /// What the injector in service was built from.
    config_seen: Snapshot,
    state: Arc<AppState>,
    resolver: Arc<CertResolver>,
}

impl Loaded {
    fn load(settings: &Settings) -> Result<Self, WebhookError> {
        let (config_seen, injector) = config::load(&settings.config)?;
        let resolver = Arc::new(CertResolver::load(settings.cert.clone())?);
        let state = Arc::new(AppState::new(injector, settings.limits, settings.openshift));
        Ok(Loaded {
            config_seen,
            state,
            resolver,
        })
    }

    async fn serve(
        self,
        listener: TcpListener,
        settings: Settings,
        shutdown: impl Future<Output = ()>,
    ) -> Result<Drained, WebhookError> {
        let Loaded {
            config_seen,
            state,
            resolver,
        } = self;
        let address = listener.local_addr().unwrap_or(settings.listen);
        let metrics = state.metrics().clone();
        let sources: Vec<Box<dyn Source>> = vec![
            Box::new(InjectorSource::new(
                settings.config.clone(),
                config_seen,
                state.injector.clone(),
            )),
            Box::new(CertSource::new(resolver.clone())),
        ];
        let watcher = Watcher::spawn(sources, settings.reload_interval, metrics.clone())
            .map_err(WebhookError::Watcher)?;

        let app = routes::router(state.clone());
        state.set_ready(true);
        tracing::info!(
            %address,
            watched = ?settings.config.paths(),
            revision = settings.config.revision.as_str(),
            "listening"
        );
        let stop = async move {
            shutdown.await;
            state.set_ready(false);
        };
        let drained =
            server::serve(listener, resolver, app, metrics, settings.server, stop).await?;
        watcher.stop();
        match drained {
            Drained::Clean => tracing::info!("all connections drained; exiting"),
            Drained::TimedOut => {
                tracing::warn!("drain timeout reached; closing remaining connections")
            }
        }
        Ok(drained)
    }
}
