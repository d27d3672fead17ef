//! Shared harness of the mesh-webhook tests: certificates made with rcgen, the injector settings
//! (the reference `settings/default` when present, else a small embedded set), the server
//! binary run on 127.0.0.1 with its logs captured, and a minimal HTTP/1.1 client over rustls.

#![allow(dead_code)] // each test file uses part of the harness
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// A self-signed certificate for `localhost` and 127.0.0.1.
pub struct TestCert {
    /// The certificate, PEM.
    pub cert_pem: String,
    /// Its private key, PEM (PKCS#8).
    pub key_pem: String,
    /// The certificate, DER (what a client sees as the peer certificate).
    pub der: CertificateDer<'static>,
}

/// Generates a fresh self-signed certificate.
pub fn new_cert() -> TestCert {
    let generated =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    TestCert {
        cert_pem: generated.cert.pem(),
        key_pem: generated.signing_key.serialize_pem(),
        der: generated.cert.der().clone(),
    }
}

/// A scratch folder removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A new empty folder under the system temp dir, unique to this process and call.
    pub fn new(name: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "mesh-webhook-test-{}-{name}-{n}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// A file inside the folder.
    pub fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes a file through a temporary name and a rename, as a volume update replaces it.
pub fn write_atomically(path: &Path, contents: &str) {
    let tmp = path.with_extension("tmp-write");
    std::fs::write(&tmp, contents).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

fn reference_settings() -> Option<PathBuf> {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/settings/default");
    dir.join("values.json").exists().then_some(dir)
}

/// Small settings used when the reference corpus is absent: the built-in sidecar template,
/// policy enabled, and just enough values for the proxy image.
const EMBEDDED_VALUES: &str = r#"{"global": {"hub": "docker.io/istio", "tag": "1.30.3",
  "proxy": {"image": "proxyv2", "statusPort": 15020}, "istioNamespace": "istio-system"}}"#;
const EMBEDDED_INJECT_CONFIG: &str =
    "policy: enabled\ndefaultTemplates: [sidecar]\ntemplates:\n  sidecar: built-in\n";

/// Copies the injector settings into `dir` (tests rewrite them to exercise reloads); the
/// embedded ones when `embedded` is set or the reference is absent.
pub fn write_settings(dir: &TempDir, embedded: bool) {
    match reference_settings().filter(|_| !embedded) {
        Some(src) => {
            for file in ["values.json", "mesh.yaml", "inject-config.yaml"] {
                std::fs::copy(src.join(file), dir.path(file)).unwrap();
            }
        }
        None => {
            if !embedded {
                eprintln!("reference settings not found; using the embedded injector settings");
            }
            std::fs::write(dir.path("values.json"), EMBEDDED_VALUES).unwrap();
            std::fs::write(dir.path("mesh.yaml"), "").unwrap();
            std::fs::write(dir.path("inject-config.yaml"), EMBEDDED_INJECT_CONFIG).unwrap();
        }
    }
}

/// A running mesh-webhook process.
pub struct Server {
    /// The process.
    pub child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its stderr lines so far.
    pub logs: Arc<Mutex<Vec<String>>>,
    /// Its certificate and settings files.
    pub dir: TempDir,
    /// The certificate it started with.
    pub cert: TestCert,
}

impl Server {
    /// Starts the server with fresh certificates and settings, plus `extra` flags.
    pub fn start(name: &str, extra: &[&str]) -> Server {
        Server::start_with(name, extra, false)
    }

    /// Like [`Server::start`], always with the embedded settings.
    pub fn start_embedded(name: &str, extra: &[&str]) -> Server {
        Server::start_with(name, extra, true)
    }

    fn start_with(name: &str, extra: &[&str], embedded: bool) -> Server {
        let dir = TempDir::new(name);
        let cert = new_cert();
        std::fs::write(dir.path("tls.crt"), &cert.cert_pem).unwrap();
        std::fs::write(dir.path("tls.key"), &cert.key_pem).unwrap();
        write_settings(&dir, embedded);
        let path = |f: &str| dir.path(f).display().to_string();
        let mut args: Vec<String> = ["--listen", "127.0.0.1:0", "--reload-interval", "0.1"]
            .map(String::from)
            .to_vec();
        for (flag, file) in [
            ("--tls-cert", "tls.crt"),
            ("--tls-key", "tls.key"),
            ("--values", "values.json"),
            ("--mesh-config", "mesh.yaml"),
            ("--inject-config", "inject-config.yaml"),
        ] {
            args.push(flag.to_string());
            args.push(path(file));
        }
        args.extend(["--worker-threads", "2"].map(String::from));
        args.extend(extra.iter().map(|a| a.to_string()));
        Server::spawn(&args, dir, cert)
    }

    /// Starts the binary with exactly `args` (which must make it listen on 127.0.0.1); `dir`
    /// holds its files and `cert` is the certificate it serves.
    pub fn spawn(args: &[String], dir: TempDir, cert: TestCert) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mesh-webhook"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let sink = logs.clone();
        // Keep draining stderr for the whole run so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(addr) = listening_address(&line) {
                    let _ = tx.send(addr);
                }
                sink.lock().unwrap().push(line);
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                panic!("server did not start: {:?}", logs.lock().unwrap());
            }
        };
        Server {
            child,
            addr,
            logs,
            dir,
            cert,
        }
    }

    /// A TLS client that trusts the server's first certificate (and `more`).
    pub fn client(&self, more: &[&CertificateDer<'static>]) -> Client {
        let mut all = vec![&self.cert.der];
        all.extend_from_slice(more);
        Client::new(self.addr, &all)
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "server did not exit in {timeout:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Every log line so far.
    pub fn log_text(&self) -> String {
        self.logs.lock().unwrap().join("\n")
    }

    /// Whether a log line containing every one of `needles` appears within a few seconds (the
    /// log reader thread runs behind the responses).
    pub fn wait_log(&self, needles: &[&str]) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            let found = self
                .logs
                .lock()
                .unwrap()
                .iter()
                .any(|line| needles.iter().all(|n| line.contains(n)));
            if found {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn listening_address(line: &str) -> Option<SocketAddr> {
    if !line.contains("listening") {
        return None;
    }
    // Text logs print `address=127.0.0.1:N`, JSON logs `"address":"127.0.0.1:N"`.
    let (start, end) = match line.find("address=") {
        Some(i) => (i + "address=".len(), None),
        None => (
            line.find("\"address\":\"")? + "\"address\":\"".len(),
            Some('"'),
        ),
    };
    let rest = &line[start..];
    let token = match end {
        Some(quote) => rest.split(quote).next()?,
        None => rest.split_whitespace().next()?,
    };
    token.parse().ok()
}

/// Connects to the server over TLS (HTTP/1.1).
pub struct Client {
    addr: SocketAddr,
    connector: TlsConnector,
}

impl Client {
    /// A client for `addr` that trusts exactly `trusted`.
    pub fn new(addr: SocketAddr, trusted: &[&CertificateDer<'static>]) -> Client {
        let mut roots = rustls::RootCertStore::empty();
        for cert in trusted {
            roots.add((*cert).clone()).unwrap();
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Client {
            addr,
            connector: TlsConnector::from(Arc::new(config)),
        }
    }

    /// Opens a TLS connection (server name `localhost`).
    pub async fn connect(&self) -> std::io::Result<Conn> {
        let tcp = TcpStream::connect(self.addr).await?;
        let name = ServerName::try_from("localhost").unwrap();
        let stream = self.connector.connect(name, tcp).await?;
        Ok(Conn { stream })
    }

    /// One request on a new connection.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: &[u8],
    ) -> Response {
        let mut conn = self.connect().await.unwrap();
        conn.send(method, path, content_type, body).await
    }

    /// `POST path` with a JSON body on a new connection.
    pub async fn post_json(&self, path: &str, body: &[u8]) -> Response {
        self.send("POST", path, "application/json", body).await
    }
}

/// One TLS connection; requests on it reuse it (keep-alive).
pub struct Conn {
    /// The TLS stream.
    pub stream: TlsStream<TcpStream>,
}

impl Conn {
    /// The server's leaf certificate as negotiated on this connection.
    pub fn peer_cert(&self) -> Vec<u8> {
        let (_, session) = self.stream.get_ref();
        session.peer_certificates().unwrap()[0].to_vec()
    }

    /// Writes a request line and headers announcing a body of `len` bytes.
    pub async fn write_head(&mut self, method: &str, path: &str, content_type: &str, len: usize) {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\nContent-Length: {len}\r\n\r\n"
        );
        self.stream.write_all(head.as_bytes()).await.unwrap();
    }

    /// Writes bytes and flushes them.
    pub async fn write_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
        self.stream.flush().await.unwrap();
    }

    /// Sends a whole request and reads its response.
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        content_type: &str,
        body: &[u8],
    ) -> Response {
        self.write_head(method, path, content_type, body.len())
            .await;
        self.write_raw(body).await;
        self.read_response().await
    }

    /// Reads one response: headers, then `Content-Length` bytes (or up to EOF without one).
    pub async fn read_response(&mut self) -> Response {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        let head_end = loop {
            if let Some(i) = find(&buf, b"\r\n\r\n") {
                break i;
            }
            let n = self.stream.read(&mut chunk).await.unwrap();
            assert!(n > 0, "connection closed before a response: {buf:?}");
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8(buf[..head_end].to_vec()).unwrap();
        let mut lines = head.split("\r\n");
        let status: u16 = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let mut body = buf[head_end + 4..].to_vec();
        let length = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .map(|(_, v)| v.parse::<usize>().unwrap());
        match length {
            Some(len) => {
                while body.len() < len {
                    let n = self.stream.read(&mut chunk).await.unwrap();
                    assert!(n > 0, "connection closed mid-body");
                    body.extend_from_slice(&chunk[..n]);
                }
                body.truncate(len);
            }
            None => {
                let _ = self.stream.read_to_end(&mut body).await;
            }
        }
        Response {
            status,
            headers,
            body,
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// An HTTP response.
#[derive(Debug)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// The body as JSON (panics with the body text when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A pod as a Deployment's ReplicaSet creates it.
pub fn app_pod() -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "generateName": "web-5d8c7-",
            "labels": {"app": "web", "pod-template-hash": "5d8c7"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-5d8c7",
                                 "uid": "0000", "controller": true}]
        },
        "spec": {"containers": [{"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 8080}]}]}
    })
}

/// An AdmissionReview request for `pod` in namespace `shop`.
pub fn review(api_version: &str, uid: &str, pod: &Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "apiVersion": api_version,
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "namespace": "shop",
            "operation": "CREATE",
            "object": pod
        }
    }))
    .unwrap()
}

/// Decodes the base64 JSON patch of an AdmissionResponse.
pub fn decode_patch(response: &Value) -> json_patch::Patch {
    let text = response["patch"].as_str().expect("response has a patch");
    serde_json::from_slice(&base64_decode(text)).unwrap()
}

fn base64_decode(text: &str) -> Vec<u8> {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|&c| c != b'=') {
        let v = alphabet.iter().position(|&a| a == c).unwrap() as u32;
        bits = (bits << 6) | v;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    out
}

/// Applies the response's patch to `pod`, as the API server does.
pub fn apply_response_patch(pod: &Value, response: &Value) -> Value {
    let mut patched = pod.clone();
    json_patch::patch(&mut patched, &decode_patch(response)).unwrap();
    patched
}

/// The `istio-proxy` container of an injected pod, classic or native.
pub fn proxy_container(pod: &Value) -> Option<&Value> {
    ["containers", "initContainers"]
        .iter()
        .filter_map(|list| pod["spec"][list].as_array())
        .flatten()
        .find(|c| c["name"] == "istio-proxy")
}

/// Polls `check` until it holds or `timeout` passes.
pub async fn eventually<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}
