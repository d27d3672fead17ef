//! The serving certificate: PEM files turned into a rustls key, the resolver whose certificate
//! is swapped while the server runs (rotation), and the rustls server configuration.

use crate::error::WebhookError;
use crate::live::Live;
use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

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
struct CertSnapshot {
    cert: Vec<u8>,
    key: Vec<u8>,
}

/// The crypto provider the server uses (ring).
pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Reads both files.
fn read_snapshot(files: &CertFiles) -> Result<CertSnapshot, WebhookError> {
    Ok(CertSnapshot {
        cert: read(&files.cert)?,
        key: read(&files.key)?,
    })
}

/// Parses the PEM certificate chain and key and checks that they belong together.
fn certified_key(
    snapshot: &CertSnapshot,
    files: &CertFiles,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, WebhookError> {
    let chain = CertificateDer::pem_slice_iter(&snapshot.cert)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| WebhookError::NoCertificate {
            path: files.cert.clone(),
            message: e.to_string(),
        })?;
    if chain.is_empty() {
        return Err(WebhookError::NoCertificate {
            path: files.cert.clone(),
            message: "the file has no CERTIFICATE block".to_string(),
        });
    }
    let key = PrivateKeyDer::from_pem_slice(&snapshot.key).map_err(|e| WebhookError::BadKey {
        path: files.key.clone(),
        message: e.to_string(),
    })?;
    let signing_key =
        provider
            .key_provider
            .load_private_key(key)
            .map_err(|e| WebhookError::BadKey {
                path: files.key.clone(),
                message: e.to_string(),
            })?;
    let certified = CertifiedKey::new(chain, signing_key);
    certified
        .keys_match()
        .map_err(|source| WebhookError::Mismatch {
            cert: files.cert.clone(),
            key: files.key.clone(),
            source,
        })?;
    Ok(certified)
}

/// The serving certificate for rustls: hands every handshake whatever certificate is current, so
/// a rotation applies to the next handshake while established connections keep the session they
/// negotiated. [`CertResolver::reload`] re-reads the files ([`crate::run`] calls it every reload
/// interval).
#[derive(Debug)]
pub struct CertResolver {
    files: CertFiles,
    provider: Arc<CryptoProvider>,
    current: Live<CertifiedKey>,
    /// The last contents seen, usable or not, so a broken pair is parsed and reported once.
    seen: Mutex<CertSnapshot>,
}

impl CertResolver {
    /// Reads and parses the certificate files (startup); fails when they are unusable.
    pub fn load(files: CertFiles) -> Result<Self, WebhookError> {
        let provider = provider();
        let snapshot = read_snapshot(&files)?;
        let key = certified_key(&snapshot, &files, &provider)?;
        Ok(CertResolver {
            files,
            provider,
            current: Live::new(key),
            seen: Mutex::new(snapshot),
        })
    }

    /// Re-reads the files: `Ok(false)` when they did not change, `Ok(true)` when the new pair is
    /// in service, `Err` when the new files are unusable (the previous pair stays in service).
    pub fn reload(&self) -> Result<bool, WebhookError> {
        let snapshot = read_snapshot(&self.files)?;
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        if snapshot == *seen {
            return Ok(false);
        }
        *seen = snapshot;
        let key = certified_key(&seen, &self.files, &self.provider)?;
        self.current.set(key);
        Ok(true)
    }
}

impl ResolvesServerCert for CertResolver {
    fn resolve(&self, _client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.get())
    }
}

/// The server configuration: TLS 1.2 and 1.3, no client certificates, ALPN for HTTP/2 and
/// HTTP/1.1 (the API server speaks either).
pub(crate) fn server_config(
    resolver: Arc<dyn ResolvesServerCert>,
) -> Result<ServerConfig, WebhookError> {
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(WebhookError::TlsConfig)?
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

fn read(path: &Path) -> Result<Vec<u8>, WebhookError> {
    std::fs::read(path).map_err(|source| WebhookError::Read {
        path: path.to_path_buf(),
        source,
    })
}
