//! Test harness shared by the mesh-webhook tests and the mesh-webhook binary's tests (which
//! include this file by path): injector settings files, AdmissionReview fixtures, and a minimal
//! HTTP/1.1 client over rustls.

// Each test binary uses part of the harness.
#![allow(dead_code)]

use mesh_test_support::TempDir;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// `admission.k8s.io/v1`.
pub const V1: &str = "admission.k8s.io/v1";
/// `admission.k8s.io/v1beta1`.
pub const V1BETA1: &str = "admission.k8s.io/v1beta1";

/// The settings files `write_settings` creates, in the order the flags take them.
pub const SETTINGS_FILES: [&str; 3] = ["values.json", "mesh.yaml", "inject-config.yaml"];

/// Small settings used when the reference corpus is absent: the built-in sidecar template,
/// policy enabled, and just enough values for the proxy image.
const EMBEDDED_VALUES: &str = r#"{"global": {"hub": "docker.io/istio", "tag": "1.30.3",
  "proxy": {"image": "proxyv2", "statusPort": 15020}, "istioNamespace": "istio-system"}}"#;
const EMBEDDED_INJECT_CONFIG: &str =
    "policy: enabled\ndefaultTemplates: [sidecar]\ntemplates:\n  sidecar: built-in\n";

/// Copies the injector settings into `dir` (tests rewrite them to exercise reloads): the
/// reference `settings/default`, or the embedded ones when `embedded` is set or it is absent.
pub fn write_settings(dir: &TempDir, embedded: bool) {
    let reference = if embedded {
        None
    } else {
        mesh_test_support::reference_path("settings/default")
    };
    match reference {
        Some(src) => {
            for file in SETTINGS_FILES {
                dir.write(file, &mesh_test_support::read(&src.join(file)));
            }
        }
        None => {
            dir.write("values.json", EMBEDDED_VALUES);
            dir.write("mesh.yaml", "");
            dir.write("inject-config.yaml", EMBEDDED_INJECT_CONFIG);
        }
    }
}

/// Writes a file through a temporary name and a rename, as a volume update replaces it.
pub fn write_atomically(path: &Path, contents: &str) {
    let tmp = path.with_extension("tmp-write");
    std::fs::write(&tmp, contents).unwrap();
    std::fs::rename(&tmp, path).unwrap();
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

/// Applies the base64 JSON patch of an AdmissionResponse to `pod`, as the API server does.
pub fn apply_response_patch(pod: &Value, response: &Value) -> Value {
    let text = response["patch"].as_str().expect("response has a patch");
    let bytes = mesh_core::base64::decode(text).expect("the patch is base64");
    let patch: json_patch::Patch = serde_json::from_slice(&bytes).unwrap();
    let mut patched = pod.clone();
    json_patch::patch(&mut patched, &patch).unwrap();
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

/// The `istio-proxy` container of a pod injected with native sidecars: an init container that
/// restarts always.
pub fn native_proxy(pod: &Value) -> &Value {
    let native = pod["spec"]["initContainers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "istio-proxy")
        .expect("istio-proxy is a native sidecar");
    assert_eq!(native["restartPolicy"], "Always");
    native
}

/// The value of the environment variable `name` of a container.
pub fn env_value<'a>(container: &'a Value, name: &str) -> Option<&'a Value> {
    container["env"]
        .as_array()?
        .iter()
        .find(|e| e["name"] == name)
        .map(|e| &e["value"])
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

/// An injection request in flight: its headers and the first `sent` bytes of its body are on
/// the wire, the rest is held back.
pub struct InFlight {
    conn: Conn,
    pod: Value,
    body: Vec<u8>,
    sent: usize,
}

impl InFlight {
    /// Opens a connection and sends the headers and `part` (`sent = body.len() * part`) of a
    /// review of [`app_pod`] with UID `in-flight`.
    pub async fn start(client: &Client, part: f64) -> InFlight {
        let pod = app_pod();
        let body = review(V1, "in-flight", &pod);
        let sent = (body.len() as f64 * part) as usize;
        let mut conn = client.connect().await.unwrap();
        conn.write_head("POST", "/inject", "application/json", body.len())
            .await;
        conn.write_raw(&body[..sent]).await;
        InFlight {
            conn,
            pod,
            body,
            sent,
        }
    }

    /// Reads the answer to the part sent (the server gave up on the rest).
    pub async fn answer(mut self) -> Response {
        self.conn.read_response().await
    }

    /// Sends the rest of the body and checks that the answer is a full injection.
    pub async fn finish(mut self) {
        self.conn.write_raw(&self.body[self.sent..]).await;
        let res = self.conn.read_response().await;
        assert_eq!(res.status, 200);
        let response = &res.json()["response"];
        assert_eq!(response["uid"], "in-flight");
        assert!(proxy_container(&apply_response_patch(&self.pod, response)).is_some());
    }
}

/// Whether the server refuses new connections within a few seconds (after a shutdown).
pub async fn stops_accepting(client: &Client) -> bool {
    eventually(Duration::from_secs(5), || async {
        client.connect().await.is_err()
    })
    .await
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

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Connects to a server over TLS (HTTP/1.1).
pub struct Client {
    addr: SocketAddr,
    connector: TlsConnector,
}

impl Client {
    /// A client for `addr` that trusts exactly the DER certificates `trusted`.
    pub fn new(addr: SocketAddr, trusted: &[&[u8]]) -> Client {
        let mut roots = rustls::RootCertStore::empty();
        for cert in trusted {
            roots.add(CertificateDer::from(cert.to_vec())).unwrap();
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

    /// `GET /metrics` on a new connection, as text.
    pub async fn metrics(&self) -> String {
        self.send("GET", "/metrics", "text/plain", b"").await.text()
    }
}

/// One TLS connection; requests on it reuse it (keep-alive).
pub struct Conn {
    /// The TLS stream.
    pub stream: TlsStream<TcpStream>,
}

impl Conn {
    /// The server's leaf certificate as negotiated on this connection, DER.
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
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
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
        let mut response = Response {
            status,
            headers,
            body: buf[head_end + 4..].to_vec(),
        };
        match response
            .header("content-length")
            .map(|v| v.parse::<usize>().unwrap())
        {
            Some(len) => {
                while response.body.len() < len {
                    let n = self.stream.read(&mut chunk).await.unwrap();
                    assert!(n > 0, "connection closed mid-body");
                    response.body.extend_from_slice(&chunk[..n]);
                }
                response.body.truncate(len);
            }
            None => {
                let _ = self.stream.read_to_end(&mut response.body).await;
            }
        }
        response
    }
}
