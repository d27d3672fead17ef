//! The whole server over real TLS on 127.0.0.1 ([`mesh_webhook::run_on`]): a rotated
//! certificate is served on new connections while open ones keep working, a changed injector
//! config applies to the next request (a broken one is ignored), a stalled body gets 408, and
//! shutdown drains the request in flight (or gives up after the drain timeout).

use crate::support::{self, Client, InFlight, V1, app_pod, review, write_atomically};
use mesh_test_support::TempDir;
use mesh_test_support::certs::{self, TestCert};
use mesh_webhook::{CertFiles, ConfigFiles, Drained, Settings, WebhookError};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The webhook running on 127.0.0.1 in this test's runtime.
struct Running {
    dir: TempDir,
    cert: TestCert,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<Drained, WebhookError>>,
}

impl Running {
    /// Starts with fresh certificate and settings files, checked every 0.1 s; `configure` may
    /// change the settings first.
    async fn start(name: &str, configure: impl FnOnce(&mut Settings)) -> Running {
        let dir = TempDir::new(name);
        let cert = certs::localhost();
        dir.write("tls.crt", &cert.cert_pem);
        dir.write("tls.key", &cert.key_pem);
        support::write_settings(&dir, false);
        let mut config = ConfigFiles::new(dir.join("values.json"), dir.join("inject-config.yaml"));
        config.mesh_config = Some(dir.join("mesh.yaml"));
        let files = CertFiles {
            cert: dir.join("tls.crt"),
            key: dir.join("tls.key"),
        };
        let mut settings = Settings::new(files, config);
        settings.reload_interval = Duration::from_millis(100);
        configure(&mut settings);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let shutdown = async move {
            let _ = stopped.await;
        };
        let task = tokio::spawn(mesh_webhook::run_on(listener, settings, shutdown));
        Running {
            dir,
            cert,
            addr,
            stop: Some(stop),
            task,
        }
    }

    /// A client that trusts the first certificate (and `more`).
    fn client(&self, more: &[&[u8]]) -> Client {
        let mut trusted = vec![self.cert.cert_der.as_slice()];
        trusted.extend_from_slice(more);
        Client::new(self.addr, &trusted)
    }

    /// Completes the shutdown future.
    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Waits for the server to return.
    async fn finished(self) -> Drained {
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("the server returns")
            .unwrap()
            .unwrap()
    }
}

#[tokio::test]
async fn rotated_certificate_is_served_to_new_connections() {
    let server = Running::start("rotate", |_| {}).await;
    let next = certs::localhost();
    let client = server.client(&[&next.cert_der]);

    let mut old_conn = client.connect().await.unwrap();
    assert_eq!(old_conn.peer_cert(), server.cert.cert_der);
    let body = review(V1, "before", &app_pod());
    let res = old_conn
        .send("POST", "/inject", "application/json", &body)
        .await;
    assert_eq!(res.status, 200);

    // Key first, then certificate: the watcher may see a mismatched pair in between and must
    // keep serving the old certificate until both files agree.
    write_atomically(&server.dir.join("tls.key"), &next.key_pem);
    write_atomically(&server.dir.join("tls.crt"), &next.cert_pem);

    let rotated = support::eventually(Duration::from_secs(10), || async {
        let conn = client.connect().await.unwrap();
        conn.peer_cert() == next.cert_der
    })
    .await;
    assert!(rotated, "new connections never saw the new certificate");

    // The connection opened before the rotation is still served, on its original session.
    let res = old_conn
        .send("POST", "/inject", "application/json", &body)
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(old_conn.peer_cert(), server.cert.cert_der);

    let metrics = client.metrics().await;
    assert!(
        metrics.contains("mesh_webhook_reloads_total{kind=\"certificate\",result=\"success\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn injector_config_changes_apply_and_broken_ones_are_ignored() {
    let server = Running::start("config", |_| {}).await;
    let client = server.client(&[]);
    let body = review(V1, "u", &app_pod());
    let injected = |res: &support::Response| res.json()["response"].get("patch").is_some();
    assert!(injected(&client.post_json("/inject", &body).await));

    // A broken injector config is reported and the previous one stays in service.
    let config_path = server.dir.join("inject-config.yaml");
    let original = std::fs::read_to_string(&config_path).unwrap();
    write_atomically(&config_path, "policy: [not, a, policy\n");
    let reported = support::eventually(Duration::from_secs(10), || async {
        client
            .metrics()
            .await
            .contains("mesh_webhook_reloads_total{kind=\"injector\",result=\"error\"} 1")
    })
    .await;
    assert!(reported, "broken config not reported");
    assert!(injected(&client.post_json("/inject", &body).await));

    // Policy disabled: a pod that does not opt in is now skipped.
    assert!(original.contains("policy: enabled"), "{original}");
    write_atomically(
        &config_path,
        &original.replacen("policy: enabled", "policy: disabled", 1),
    );
    let skipped = support::eventually(Duration::from_secs(10), || async {
        !injected(&client.post_json("/inject", &body).await)
    })
    .await;
    assert!(skipped, "policy change not applied");
}

#[tokio::test]
async fn a_body_that_stalls_gets_408() {
    let server = Running::start("408", |s| {
        s.limits.read_timeout = Duration::from_millis(300);
    })
    .await;
    let client = server.client(&[]);
    let res = InFlight::start(&client, 0.1).await.answer().await;
    assert_eq!(res.status, 408, "{}", res.text());
    // The server is unharmed.
    let res = client
        .post_json("/inject", &review(V1, "after", &app_pod()))
        .await;
    assert_eq!(res.status, 200);
}

#[tokio::test]
async fn shutdown_finishes_the_request_in_flight() {
    let mut server = Running::start("drain", |_| {}).await;
    let client = server.client(&[]);
    // Start a request and send only half of its body.
    let in_flight = InFlight::start(&client, 0.5).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    server.shutdown();
    assert!(
        support::stops_accepting(&client).await,
        "still accepting after shutdown"
    );
    assert!(
        !server.task.is_finished(),
        "returned with a request in flight"
    );

    // The rest of the body arrives; the answer is a full injection.
    in_flight.finish().await;
    assert_eq!(server.finished().await, Drained::Clean);
}

#[tokio::test]
async fn drain_gives_up_after_the_drain_timeout() {
    let mut server = Running::start("drain-timeout", |s| {
        s.server.drain_timeout = Duration::from_millis(300);
    })
    .await;
    let client = server.client(&[]);
    let _stuck = InFlight::start(&client, 0.1).await;
    tokio::time::sleep(Duration::from_millis(100)).await;

    server.shutdown();
    assert_eq!(server.finished().await, Drained::TimedOut);
}
