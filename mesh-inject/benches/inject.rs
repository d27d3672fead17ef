//! Injection throughput: the `hello` Deployment injected in-process (target: <= 50 µs per pod).

use criterion::{Criterion, criterion_group, criterion_main};
use mesh_core::Value;
use mesh_inject::{InjectConfig, Injector, MeshConfig, NativeSidecars};
use serde_json::json;
use std::hint::black_box;

/// Injector values: the reference `default` settings when the corpus is present, else an
/// equivalent inline set.
fn values() -> Value {
    let path = mesh_test_support::reference().map(|r| r.join("settings/default/values.json"));
    if let Some(path) = path
        && let Ok(text) = std::fs::read_to_string(path)
        && let Ok(v) = serde_json::from_str(&text)
    {
        return v;
    }
    json!({
        "global": {
            "hub": "docker.io/istio", "tag": "1.30.3", "istioNamespace": "istio-system",
            "pilotCertProvider": "istiod", "logging": {"level": "default:info"},
            "sds": {"token": {"aud": "istio-ca"}}, "multiCluster": {"clusterName": ""},
            "proxy": {
                "image": "proxyv2", "clusterDomain": "cluster.local", "logLevel": "warning",
                "componentLogLevel": "misc:error", "includeIPRanges": "*", "excludeIPRanges": "",
                "includeInboundPorts": "*", "excludeInboundPorts": "", "excludeOutboundPorts": "",
                "statusPort": 15020, "privileged": false, "readinessFailureThreshold": 4,
                "readinessInitialDelaySeconds": 0, "readinessPeriodSeconds": 15,
                "startupProbe": {"enabled": true, "failureThreshold": 600},
                "resources": {"limits": {"cpu": "2000m", "memory": "1024Mi"},
                              "requests": {"cpu": "100m", "memory": "128Mi"}}
            },
            "proxy_init": {"image": "proxyv2"}
        },
        "pilot": {"cni": {"enabled": false}},
        "sidecarInjectorWebhook": {"rewriteAppHTTPProbe": true}
    })
}

fn hello() -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "hello"},
        "spec": {
            "replicas": 7,
            "selector": {"matchLabels": {"app": "hello", "tier": "backend", "track": "stable"}},
            "template": {
                "metadata": {"labels": {"app": "hello", "tier": "backend", "track": "stable"}},
                "spec": {"containers": [{
                    "name": "hello", "image": "fake.docker.io/google-samples/hello-go-gke:1.0",
                    "ports": [{"name": "http", "containerPort": 80}]
                }]}
            }
        }
    })
}

fn bench(c: &mut Criterion) {
    let mesh = MeshConfig::from_yaml(
        "defaultConfig:\n  discoveryAddress: istiod.istio-system.svc:15012\ntrustDomain: cluster.local\n",
        "mesh",
    )
    .expect("mesh config");
    let injector = Injector::new(
        InjectConfig::default(),
        values(),
        mesh,
        "",
        NativeSidecars::Enabled,
    )
    .expect("injector");
    let deployment = hello();
    let pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": deployment["spec"]["template"]["metadata"].clone(),
        "spec": deployment["spec"]["template"]["spec"].clone(),
    });
    c.bench_function("kube_inject hello Deployment", |b| {
        b.iter(|| {
            let mut warnings = Vec::new();
            injector
                .kube_inject_object(black_box(&deployment), &mut warnings)
                .expect("inject")
        })
    });
    c.bench_function("inject_pod hello", |b| {
        b.iter(|| injector.inject_pod(black_box(&pod)).expect("inject"))
    });

    // Admission round trip: AdmissionReview bytes in, response bytes (with the base64 patch)
    // out. Baseline in the same run: parsing and printing the same review JSON, the floor any
    // webhook pays.
    let review = serde_json::to_vec(&json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {"uid": "0df28fbd-5f5f-11e8-bc74-36e6bb280816", "namespace": "default",
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "operation": "CREATE", "object": pod}
    }))
    .expect("review json");
    let mut g = c.benchmark_group("admission_round_trip");
    g.bench_function("baseline_json_parse_print", |b| {
        b.iter(|| {
            let v: Value = serde_json::from_slice(black_box(&review)).expect("json");
            serde_json::to_vec(&v).expect("json")
        })
    });
    g.bench_function("review_hello_pod", |b| {
        b.iter(|| mesh_inject::admission::review(black_box(&review), &injector).to_bytes())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
