//! The serving certificate: PEM files turned into a rustls key, and the rustls server
//! configuration whose certificate can be swapped while the server runs (rotation).

use crate::reload::Live;
use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why the serving certificate could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A certificate or key file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
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
    #[error("{}: the key does not match the certificate {} ({message})", key.display(), cert.display())]
    Mismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// What rustls said.
        message: String,
    },
    /// rustls refused the server configuration.
    #[error("TLS configuration: {0}")]
    Config(String),
}

/// Where the serving certificate chain and its private key are.
#[derive(Debug, Clone)]
pub struct CertFiles {
    /// PEM certificate chain, leaf first (`tls.crt` of a Secret).
    pub cert: PathBuf,
    /// PEM private key (`tls.key` of a Secret): PKCS#8, PKCS#1 or SEC1.
    pub key: PathBuf,
}

/// The raw certificate and key bytes, compared by the watcher to spot a rotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertSnapshot {
    cert: Vec<u8>,
    key: Vec<u8>,
}

/// The crypto provider the server uses (ring).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Reads both files.
pub fn read_snapshot(files: &CertFiles) -> Result<CertSnapshot, TlsError> {
    Ok(CertSnapshot {
        cert: read(&files.cert)?,
        key: read(&files.key)?,
    })
}

/// Parses the PEM certificate chain and key and checks that they belong together.
pub fn certified_key(
    snapshot: &CertSnapshot,
    files: &CertFiles,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, TlsError> {
    let chain = CertificateDer::pem_slice_iter(&snapshot.cert)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::NoCertificate {
            path: files.cert.clone(),
            message: e.to_string(),
        })?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate {
            path: files.cert.clone(),
            message: "the file has no CERTIFICATE block".to_string(),
        });
    }
    let key = PrivateKeyDer::from_pem_slice(&snapshot.key).map_err(|e| TlsError::BadKey {
        path: files.key.clone(),
        message: e.to_string(),
    })?;
    let signing_key =
        provider
            .key_provider
            .load_private_key(key)
            .map_err(|e| TlsError::BadKey {
                path: files.key.clone(),
                message: e.to_string(),
            })?;
    let certified = CertifiedKey::new(chain, signing_key);
    certified.keys_match().map_err(|e| TlsError::Mismatch {
        cert: files.cert.clone(),
        key: files.key.clone(),
        message: e.to_string(),
    })?;
    Ok(certified)
}

/// Reads and parses the certificate files in one step (startup).
pub fn load(
    files: &CertFiles,
    provider: &CryptoProvider,
) -> Result<(CertSnapshot, CertifiedKey), TlsError> {
    let snapshot = read_snapshot(files)?;
    let key = certified_key(&snapshot, files, provider)?;
    Ok((snapshot, key))
}

/// Hands rustls whatever certificate is current, so a rotation applies to the next handshake
/// while established connections keep the session they negotiated.
#[derive(Debug)]
pub struct CertResolver {
    current: Arc<Live<CertifiedKey>>,
}

impl CertResolver {
    /// A resolver over the live certificate.
    pub fn new(current: Arc<Live<CertifiedKey>>) -> Self {
        CertResolver { current }
    }
}

impl ResolvesServerCert for CertResolver {
    fn resolve(&self, _client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.get())
    }
}

/// The server configuration: TLS 1.2 and 1.3, no client certificates, ALPN for HTTP/2 and
/// HTTP/1.1 (the API server speaks either).
pub fn server_config(
    resolver: Arc<CertResolver>,
    provider: Arc<CryptoProvider>,
) -> Result<ServerConfig, TlsError> {
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_path_buf(),
        source,
    })
}
