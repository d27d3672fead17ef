//! mesh-webhook: Istio 1.30.3's sidecar injection webhook as a library: the routes, the TLS
//! server with certificate rotation and graceful drain, configuration reloads and metrics.
//!
//! The library never prints, exits, reads environment variables or installs signal handlers:
//! the caller passes the [`Settings`] and a shutdown future, installs a `tracing` subscriber for
//! the logs, and maps the outcome to an exit code (`examples/mesh-webhook` is such a caller).
//!
//! * [`run`] does everything: loads the files, serves over TLS, reloads changed files every
//!   [`Settings::reload_interval`], and drains when the shutdown future completes.
//! * [`router`] is the axum router alone (`POST /inject[/<key>/<value>...]`, `GET /healthz`,
//!   `GET /readyz`, `GET /metrics`) over an [`AppState`], to mount or test in-process.
//! * [`serve`] is the TLS accept loop (rustls, HTTP/1.1 and HTTP/2, graceful drain) for any
//!   router, with the certificate from a [`CertResolver`] (or any rustls resolver).
//!
//! Serve it in your own tokio program, stopping on Ctrl-C:
//!
//! ```no_run
//! use mesh_webhook::{CertFiles, ConfigFiles, Drained, Settings};
//!
//! # async fn example() -> Result<(), mesh_webhook::WebhookError> {
//! let cert = CertFiles { cert: "tls.crt".into(), key: "tls.key".into() };
//! let mut settings = Settings::new(cert, ConfigFiles::new("values.json", "inject-config.yaml"));
//! settings.listen = ([127, 0, 0, 1], 9443).into();
//! let shutdown = async {
//!     let _ = tokio::signal::ctrl_c().await;
//! };
//! match mesh_webhook::run(settings, shutdown).await? {
//!     Drained::Clean => {}
//!     Drained::TimedOut => tracing::warn!("some connections were cut"),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Or put the pieces together yourself:
//!
//! ```no_run
//! use mesh_webhook::{AppState, CertFiles, CertResolver, ConfigFiles, Limits, ServerLimits};
//! use std::sync::Arc;
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let files = ConfigFiles::new("values.json", "inject-config.yaml");
//! let state = Arc::new(AppState::load(&files, Limits::default(), false)?);
//! let certs = CertResolver::load(CertFiles { cert: "tls.crt".into(), key: "tls.key".into() })?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:9443").await?;
//! state.set_ready(true);
//! let app = mesh_webhook::router(state.clone());
//! let shutdown = std::future::pending::<()>();
//! mesh_webhook::serve(listener, Arc::new(certs), app, state.metrics().clone(),
//!     ServerLimits::default(), shutdown).await?;
//! # Ok(())
//! # }
//! ```

// Library code never unwraps what comes from input; tests may (clippy.toml allows it there).
#![warn(clippy::unwrap_used, clippy::expect_used)]

mod config;
mod decision;
mod error;
mod inject_env;
mod live;
mod metrics;
mod reload;
mod routes;
mod run;
mod server;
mod tls;

pub use config::ConfigFiles;
pub use error::WebhookError;
pub use metrics::Metrics;
pub use routes::{AppState, Limits, router};
pub use run::{Settings, run, run_on};
pub use server::{Drained, ServerLimits, serve};
pub use tls::{CertFiles, CertResolver};
