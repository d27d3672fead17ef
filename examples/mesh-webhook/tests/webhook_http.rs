//! mesh-webhook over real TLS on 127.0.0.1: injection, skips, HTTP errors, review versions,
//! URL overrides, health and metrics.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod webhook_common;

use serde_json::{Value, json};
use webhook_common::{Server, app_pod, apply_response_patch, proxy_container, review};

const V1: &str = "admission.k8s.io/v1";
const V1BETA1: &str = "admission.k8s.io/v1beta1";

fn env_value<'a>(container: &'a Value, name: &str) -> Option<&'a Value> {
    container["env"]
        .as_array()?
        .iter()
        .find(|e| e["name"] == name)
        .map(|e| &e["value"])
}

#[tokio::test]
async fn injects_a_pod_and_the_patch_applies() {
    let server = Server::start("inject", &[]);
    let client = server.client(&[]);
    let pod = app_pod();
    let res = client
        .post_json("/inject", &review(V1, "uid-1", &pod))
        .await;
    assert_eq!(res.status, 200);
    let body = res.json();
    assert_eq!(body["apiVersion"], V1);
    assert_eq!(body["kind"], "AdmissionReview");
    let response = &body["response"];
    assert_eq!(response["uid"], "uid-1");
    assert_eq!(response["allowed"], true);
    assert_eq!(response["patchType"], "JSONPatch");
    let injected = apply_response_patch(&pod, response);
    let proxy = proxy_container(&injected).expect("istio-proxy injected");
    assert!(proxy["image"].as_str().unwrap().contains("proxyv2"));
    assert!(
        injected["metadata"]["annotations"]["sidecar.istio.io/status"].is_string(),
        "{injected}"
    );
    // The application container is still there, first.
    assert_eq!(injected["spec"]["containers"][0]["name"], "web");

    // Re-reviewing the injected pod changes nothing more.
    let again = client
        .post_json("/inject", &review(V1, "uid-2", &injected))
        .await;
    let again = again.json();
    assert_eq!(again["response"]["allowed"], true);
    if again["response"].get("patch").is_some() {
        assert_eq!(
            apply_response_patch(&injected, &again["response"]),
            injected
        );
    }

    assert!(
        server.wait_log(&[
            "pod injected",
            "namespace=\"shop\"",
            "pod=\"web-5d8c7-***\"",
            "injected=true"
        ]),
        "{}",
        server.log_text()
    );
}

#[tokio::test]
async fn injects_with_the_embedded_settings() {
    let server = Server::start_embedded("embedded", &["--native-sidecars", "true"]);
    let pod = app_pod();
    let res = server
        .client(&[])
        .post_json("/inject", &review(V1, "e", &pod))
        .await;
    assert_eq!(res.status, 200);
    let injected = apply_response_patch(&pod, &res.json()["response"]);
    let native = injected["spec"]["initContainers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "istio-proxy")
        .expect("istio-proxy is a native sidecar");
    assert_eq!(native["restartPolicy"], "Always");
}

#[tokio::test]
async fn cluster_and_network_from_the_path_reach_the_proxy() {
    let server = Server::start("path", &[]);
    let client = server.client(&[]);
    let pod = app_pod();
    let res = client
        .post_json("/inject/cluster/east/net/net-east", &review(V1, "u", &pod))
        .await;
    assert_eq!(res.status, 200);
    let injected = apply_response_patch(&pod, &res.json()["response"]);
    let proxy = proxy_container(&injected).unwrap();
    assert_eq!(
        env_value(proxy, "ISTIO_META_CLUSTER_ID"),
        Some(&json!("east"))
    );
    assert_eq!(
        env_value(proxy, "ISTIO_META_NETWORK"),
        Some(&json!("net-east"))
    );
}

#[tokio::test]
async fn skips_a_pod_that_opts_out() {
    let server = Server::start("skip", &[]);
    let client = server.client(&[]);
    let mut pod = app_pod();
    pod["metadata"]["annotations"] = json!({"sidecar.istio.io/inject": "false"});
    let res = client
        .post_json("/inject", &review(V1, "u-skip", &pod))
        .await;
    assert_eq!(res.status, 200);
    let response = &res.json()["response"];
    assert_eq!(response["allowed"], true);
    assert_eq!(response["uid"], "u-skip");
    assert!(response.get("patch").is_none(), "{response}");
    assert!(
        server.wait_log(&["injection skipped", "injected=false", "reason="]),
        "{}",
        server.log_text()
    );
}

#[tokio::test]
async fn answers_v1beta1_in_v1beta1() {
    let server = Server::start("v1beta1", &[]);
    let client = server.client(&[]);
    let pod = app_pod();
    let res = client
        .post_json("/inject", &review(V1BETA1, "old", &pod))
        .await;
    assert_eq!(res.status, 200);
    let body = res.json();
    assert_eq!(body["apiVersion"], V1BETA1);
    assert_eq!(body["response"]["uid"], "old");
    assert_eq!(body["response"]["allowed"], true);
    assert!(proxy_container(&apply_response_patch(&pod, &body["response"])).is_some());
}

#[tokio::test]
async fn rejects_other_content_types_with_415() {
    let server = Server::start("415", &[]);
    let client = server.client(&[]);
    let body = review(V1, "u", &app_pod());
    let res = client.send("POST", "/inject", "text/yaml", &body).await;
    assert_eq!(res.status, 415, "{}", res.text());
    let res = client
        .send("POST", "/inject", "application/json; charset=utf-8", &body)
        .await;
    assert_eq!(res.status, 200);
}

#[tokio::test]
async fn rejects_an_empty_body_with_400() {
    let server = Server::start("400", &[]);
    let res = server.client(&[]).post_json("/inject", b"").await;
    assert_eq!(res.status, 400, "{}", res.text());
}

#[tokio::test]
async fn denies_an_unreadable_review_with_200() {
    let server = Server::start("badjson", &[]);
    let client = server.client(&[]);
    for bad in [
        &b"{not json"[..],
        b"[]",
        br#"{"apiVersion":"v1","kind":"Pod"}"#,
    ] {
        let res = client.post_json("/inject", bad).await;
        assert_eq!(res.status, 200);
        let body = res.json();
        assert_eq!(body["response"]["allowed"], false, "{body}");
        assert!(
            !body["response"]["status"]["message"]
                .as_str()
                .unwrap()
                .is_empty()
        );
    }
    let metrics = client
        .send("GET", "/metrics", "text/plain", b"")
        .await
        .text();
    assert!(
        metrics.contains("sidecar_injection_failure_total{reason=\"invalid_review\"} 3"),
        "{metrics}"
    );
}

#[tokio::test]
async fn rejects_bodies_over_the_limit_with_413() {
    let server = Server::start("413", &["--max-body-bytes", "2048"]);
    let client = server.client(&[]);
    let mut pod = app_pod();
    pod["metadata"]["annotations"] = json!({"filler": "x".repeat(4096)});
    let res = client.post_json("/inject", &review(V1, "big", &pod)).await;
    assert_eq!(res.status, 413, "{}", res.text());
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let server = Server::start("health", &[]);
    let client = server.client(&[]);
    assert_eq!(
        client
            .send("GET", "/healthz", "text/plain", b"")
            .await
            .status,
        200
    );
    assert_eq!(
        client
            .send("GET", "/readyz", "text/plain", b"")
            .await
            .status,
        200
    );
    let pod = app_pod();
    client.post_json("/inject", &review(V1, "a", &pod)).await;
    let mut skipped = pod.clone();
    skipped["metadata"]["labels"]["sidecar.istio.io/inject"] = json!("false");
    client
        .post_json("/inject", &review(V1, "b", &skipped))
        .await;
    client.send("POST", "/inject", "text/plain", b"x").await;
    let res = client.send("GET", "/metrics", "text/plain", b"").await;
    assert_eq!(res.status, 200);
    let text = res.text();
    for line in [
        "sidecar_injection_requests_total 3",
        "sidecar_injection_success_total 1",
        "sidecar_injection_skip_total 1",
        "sidecar_injection_failure_total{reason=\"content_type\"} 1",
        "sidecar_injection_time_seconds_count 3",
        "# TYPE sidecar_injection_time_seconds histogram",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    assert_eq!(
        client
            .send("GET", "/nowhere", "text/plain", b"")
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn a_body_that_stalls_gets_408() {
    let server = Server::start("408", &["--read-timeout", "0.3"]);
    let client = server.client(&[]);
    let body = review(V1, "slow", &app_pod());
    let mut conn = client.connect().await.unwrap();
    conn.write_head("POST", "/inject", "application/json", body.len())
        .await;
    conn.write_raw(&body[..10]).await;
    let res = conn.read_response().await;
    assert_eq!(res.status, 408, "{}", res.text());
    // The server is unharmed.
    let res = client.post_json("/inject", &body).await;
    assert_eq!(res.status, 200);
}
