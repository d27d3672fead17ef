//! Self-signed serving certificates for TLS tests (rcgen).

/// A serving certificate and its private key, PEM, valid for `localhost` and `127.0.0.1`.
pub struct TestCert {
    /// The certificate, PEM. Self-signed: it is also the CA to trust.
    pub cert_pem: String,
    /// The private key, PEM (PKCS#8).
    pub key_pem: String,
    /// The certificate, DER (to add to a client's root store).
    pub cert_der: Vec<u8>,
}

/// A new self-signed certificate for `localhost` and `127.0.0.1` (each call a new key).
pub fn localhost() -> TestCert {
    with_names(&["localhost", "127.0.0.1"])
}

/// A new self-signed certificate for the given DNS names or IP addresses.
pub fn with_names(names: &[&str]) -> TestCert {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let certified =
        rcgen::generate_simple_self_signed(names).expect("rcgen self-signed certificate");
    TestCert {
        cert_pem: certified.cert.pem(),
        key_pem: certified.signing_key.serialize_pem(),
        cert_der: certified.cert.der().to_vec(),
    }
}
