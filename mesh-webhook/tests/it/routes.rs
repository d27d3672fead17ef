//! The routes in-process: injection, skips, HTTP errors, review versions, URL overrides, health,
//! readiness, metrics and the decision log lines.

use crate::support::{
    self, Response, V1, V1BETA1, app_pod, apply_response_patch, env_value, native_proxy,
    proxy_container, review,
};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use mesh_inject::NativeSidecars;
use mesh_test_support::TempDir;
use mesh_webhook::{AppState, ConfigFiles, Limits};
use serde_json::{Value, json};
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use tower::ServiceExt;

/// The router over the settings `write_settings` lays out, and its state.
struct App {
    _dir: TempDir,
    state: Arc<AppState>,
    router: Router,
}

impl App {
    /// The reference settings (or the embedded ones when absent), default limits, ready.
    fn new(name: &str) -> App {
        App::with(name, false, |_, _| {})
    }

    /// Lets `configure` change the files' settings and the limits first.
    fn with(
        name: &str,
        embedded: bool,
        configure: impl FnOnce(&mut ConfigFiles, &mut Limits),
    ) -> App {
        let dir = TempDir::new(name);
        support::write_settings(&dir, embedded);
        let mut files = ConfigFiles::new(dir.join("values.json"), dir.join("inject-config.yaml"));
        files.mesh_config = Some(dir.join("mesh.yaml"));
        let mut limits = Limits::default();
        configure(&mut files, &mut limits);
        let state = Arc::new(AppState::load(&files, limits, false).unwrap());
        state.set_ready(true);
        let router = mesh_webhook::router(state.clone());
        App {
            _dir: dir,
            state,
            router,
        }
    }

    /// One request; `Content-Length` is sent unless `declare_length` is false.
    async fn request(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: &[u8],
        declare_length: bool,
    ) -> Response {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, content_type);
        if declare_length {
            request = request.header(header::CONTENT_LENGTH, body.len());
        }
        let request = request.body(Body::from(body.to_vec())).unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap().to_string()))
            .collect();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        Response {
            status,
            headers,
            body,
        }
    }

    async fn send(&self, method: &str, path: &str, content_type: &str, body: &[u8]) -> Response {
        self.request(method, path, content_type, body, true).await
    }

    async fn post_json(&self, path: &str, body: &[u8]) -> Response {
        self.send("POST", path, "application/json", body).await
    }

    /// Posts a v1 review of `pod` to `path` and returns the pod with the answer's patch applied.
    async fn injected(&self, path: &str, pod: &Value) -> Value {
        let res = self.post_json(path, &review(V1, "u", pod)).await;
        assert_eq!(res.status, 200, "{}", res.text());
        apply_response_patch(pod, &res.json()["response"])
    }

    async fn get(&self, path: &str) -> Response {
        self.send("GET", path, "text/plain", b"").await
    }
}

/// Every log line of this test binary, formatted as the binary formats text logs. One global
/// subscriber (a scoped one misses events when tests on other threads register the callsites
/// first), so tests look for lines naming their own request.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn capture() -> &'static Logs {
        static LOGS: OnceLock<Logs> = OnceLock::new();
        LOGS.get_or_init(|| {
            let logs = Logs::default();
            let writer = logs.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_writer(move || writer.clone())
                .with_target(false)
                .with_ansi(false)
                .finish();
            tracing::subscriber::set_global_default(subscriber).unwrap();
            logs
        })
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// Whether one line contains every one of `needles`.
    fn has_line(&self, needles: &[&str]) -> bool {
        self.text()
            .lines()
            .any(|line| needles.iter().all(|n| line.contains(n)))
    }
}

#[tokio::test]
async fn injects_a_pod_and_the_patch_applies() {
    let logs = Logs::capture();
    let app = App::new("inject");
    let pod = app_pod();
    let res = app.post_json("/inject", &review(V1, "uid-1", &pod)).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("application/json"));
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
    let again = app
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
        logs.has_line(&[
            "INFO",
            "pod injected",
            "namespace=\"shop\"",
            "pod=\"web-5d8c7-***\"",
            "uid=\"uid-1\"",
            "path=\"/inject\"",
            "injected=true"
        ]),
        "{}",
        logs.text()
    );
}

#[tokio::test]
async fn injects_with_the_embedded_settings() {
    let app = App::with("embedded", true, |files, _| {
        files.native_sidecars = NativeSidecars::Enabled;
    });
    native_proxy(&app.injected("/inject", &app_pod()).await);
}

#[tokio::test]
async fn cluster_and_network_from_the_path_reach_the_proxy() {
    let app = App::new("path");
    let injected = app
        .injected("/inject/cluster/east/net/net-east", &app_pod())
        .await;
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
    let logs = Logs::capture();
    let app = App::new("skip");
    let mut pod = app_pod();
    pod["metadata"]["annotations"] = json!({"sidecar.istio.io/inject": "false"});
    let res = app.post_json("/inject", &review(V1, "u-skip", &pod)).await;
    assert_eq!(res.status, 200);
    let response = &res.json()["response"];
    assert_eq!(response["allowed"], true);
    assert_eq!(response["uid"], "u-skip");
    assert!(response.get("patch").is_none(), "{response}");
    assert!(
        logs.has_line(&[
            "INFO",
            "injection skipped",
            "uid=\"u-skip\"",
            "injected=false",
            "reason="
        ]),
        "{}",
        logs.text()
    );
}

#[tokio::test]
async fn answers_v1beta1_in_v1beta1() {
    let app = App::new("v1beta1");
    let pod = app_pod();
    let res = app
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
    let app = App::new("415");
    let body = review(V1, "u", &app_pod());
    let res = app.send("POST", "/inject", "text/yaml", &body).await;
    assert_eq!(res.status, 415, "{}", res.text());
    let res = app
        .send("POST", "/inject", "application/json; charset=utf-8", &body)
        .await;
    assert_eq!(res.status, 200);
}

#[tokio::test]
async fn rejects_an_empty_body_with_400() {
    let app = App::new("400");
    let res = app.post_json("/inject", b"").await;
    assert_eq!(res.status, 400, "{}", res.text());
}

#[tokio::test]
async fn denies_an_unreadable_review_with_200() {
    let logs = Logs::capture();
    let app = App::new("badjson");
    for bad in [
        &b"{not json"[..],
        b"[]",
        br#"{"apiVersion":"v1","kind":"Pod"}"#,
    ] {
        let res = app.post_json("/inject", bad).await;
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
    let metrics = app.get("/metrics").await.text();
    assert!(
        metrics.contains("sidecar_injection_failure_total{reason=\"invalid_review\"} 3"),
        "{metrics}"
    );
    assert!(
        logs.has_line(&["WARN", "injection denied", "reason=\"invalid_review\""]),
        "{}",
        logs.text()
    );
}

#[tokio::test]
async fn rejects_bodies_over_the_limit_with_413() {
    let app = App::with("413", false, |_, limits| limits.max_body_bytes = 2048);
    let mut pod = app_pod();
    pod["metadata"]["annotations"] = json!({"filler": "x".repeat(4096)});
    let body = review(V1, "big", &pod);
    // Refused on the declared length, and while reading a body that does not declare it.
    for declare_length in [true, false] {
        let res = app
            .request("POST", "/inject", "application/json", &body, declare_length)
            .await;
        assert_eq!(res.status, 413, "{}", res.text());
    }
    let metrics = app.get("/metrics").await.text();
    assert!(
        metrics.contains("sidecar_injection_failure_total{reason=\"body_too_large\"} 2"),
        "{metrics}"
    );
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = App::new("health");
    let res = app.get("/healthz").await;
    assert_eq!((res.status, res.text().as_str()), (200, "ok\n"));
    let res = app.get("/readyz").await;
    assert_eq!((res.status, res.text().as_str()), (200, "ready\n"));
    let pod = app_pod();
    app.post_json("/inject", &review(V1, "a", &pod)).await;
    let mut skipped = pod.clone();
    skipped["metadata"]["labels"]["sidecar.istio.io/inject"] = json!("false");
    app.post_json("/inject", &review(V1, "b", &skipped)).await;
    app.send("POST", "/inject", "text/plain", b"x").await;
    let res = app.get("/metrics").await;
    assert_eq!(res.status, 200);
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; version=0.0.4")
    );
    let text = res.text();
    assert_eq!(text, app.state.metrics().render());
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
    assert_eq!(app.get("/nowhere").await.status, 404);

    // Draining: not ready, still alive.
    app.state.set_ready(false);
    let res = app.get("/readyz").await;
    assert_eq!((res.status, res.text().as_str()), (503, "not ready\n"));
    assert_eq!(app.get("/healthz").await.status, 200);
}
