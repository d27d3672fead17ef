//! The library's one error type: why the webhook could not load its files or start serving.

use mesh_inject::InjectError;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Why the webhook could not start (or why a reload was refused; the previous configuration then
/// stays in service).
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// A configuration, certificate or key file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// A configuration file is not valid UTF-8 YAML/JSON of the expected shape.
    #[error("{}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the path inside the file when known.
        message: String,
    },
    /// The injector rejected the configuration (the message names the file and path).
    #[error("{0}")]
    Inject(#[from] InjectError),
    /// The certificate file holds no PEM certificate.
    #[error("{}: no PEM certificate found ({message})", path.display())]
    NoCertificate {
        /// The certificate file.
        path: PathBuf,
        /// What the PEM reader said.
        message: String,
    },
    /// The key file holds no usable PEM private key.
    #[error("{}: no usable PEM private key ({message})", path.display())]
    BadKey {
        /// The key file.
        path: PathBuf,
        /// What the PEM reader or the crypto provider said.
        message: String,
    },
    /// The key does not belong to the certificate (for example read halfway through a rotation).
    #[error("{}: the key does not match the certificate {} ({source})", key.display(), cert.display())]
    Mismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// What rustls said.
        #[source]
        source: rustls::Error,
    },
    /// rustls refused the server configuration.
    #[error("TLS configuration: {0}")]
    TlsConfig(#[source] rustls::Error),
    /// The listen address could not be bound.
    #[error("--listen {address}: cannot bind: {source}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// The reload watcher thread could not be started.
    #[error("cannot start the reload watcher: {0}")]
    Watcher(#[source] std::io::Error),
}
