//! mesh-webhook reloads: a rotated certificate is served on new connections while open ones keep
//! working, and a changed injector config applies to the next request (a broken one is ignored).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod webhook_common;

use std::time::Duration;
use webhook_common::{Server, app_pod, new_cert, review, write_atomically};

const V1: &str = "admission.k8s.io/v1";

#[tokio::test]
async fn rotated_certificate_is_served_to_new_connections() {
    let server = Server::start("rotate", &[]);
    let next = new_cert();
    let client = server.client(&[&next.der]);

    let mut old_conn = client.connect().await.unwrap();
    assert_eq!(old_conn.peer_cert(), server.cert.der.to_vec());
    let body = review(V1, "before", &app_pod());
    let res = old_conn
        .send("POST", "/inject", "application/json", &body)
        .await;
    assert_eq!(res.status, 200);

    // Key first, then certificate: the watcher may see a mismatched pair in between and must
    // keep serving the old certificate until both files agree.
    write_atomically(&server.dir.path("tls.key"), &next.key_pem);
    write_atomically(&server.dir.path("tls.crt"), &next.cert_pem);

    let rotated = webhook_common::eventually(Duration::from_secs(10), || async {
        let conn = client.connect().await.unwrap();
        conn.peer_cert() == next.der.to_vec()
    })
    .await;
    assert!(rotated, "new connections never saw the new certificate");

    // The connection opened before the rotation is still served, on its original session.
    let res = old_conn
        .send("POST", "/inject", "application/json", &body)
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(old_conn.peer_cert(), server.cert.der.to_vec());

    let metrics = client
        .send("GET", "/metrics", "text/plain", b"")
        .await
        .text();
    assert!(
        metrics.contains("mesh_webhook_reloads_total{kind=\"certificate\",result=\"success\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn injector_config_changes_apply_and_broken_ones_are_ignored() {
    let server = Server::start("config", &[]);
    let client = server.client(&[]);
    let body = review(V1, "u", &app_pod());
    let injected = |res: &webhook_common::Response| res.json()["response"].get("patch").is_some();
    assert!(injected(&client.post_json("/inject", &body).await));

    // A broken injector config is reported and the previous one stays in service.
    let config_path = server.dir.path("inject-config.yaml");
    let original = std::fs::read_to_string(&config_path).unwrap();
    write_atomically(&config_path, "policy: [not, a, policy\n");
    let reported = webhook_common::eventually(Duration::from_secs(10), || async {
        client
            .send("GET", "/metrics", "text/plain", b"")
            .await
            .text()
            .contains("mesh_webhook_reloads_total{kind=\"injector\",result=\"error\"} 1")
    })
    .await;
    assert!(
        reported,
        "broken config not reported: {}",
        server.log_text()
    );
    assert!(injected(&client.post_json("/inject", &body).await));

    // Policy disabled: a pod that does not opt in is now skipped.
    assert!(original.contains("policy: enabled"), "{original}");
    write_atomically(
        &config_path,
        &original.replacen("policy: enabled", "policy: disabled", 1),
    );
    let skipped = webhook_common::eventually(Duration::from_secs(10), || async {
        !injected(&client.post_json("/inject", &body).await)
    })
    .await;
    assert!(skipped, "policy change not applied: {}", server.log_text());
}
