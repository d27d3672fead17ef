//! End-to-end checks of the public injector API with inline settings (no reference corpus
//! needed): annotation errors, probe rewriting, templates, kube-inject over kinds, idempotency.

use mesh_core::Value;
use mesh_inject::{InjectConfig, InjectError, Injector, MeshConfig, NativeSidecars, PodContext};
use serde_json::json;

fn values() -> Value {
    json!({
        "global": {
            "hub": "docker.io/istio", "tag": "1.30.3", "istioNamespace": "istio-system",
            "pilotCertProvider": "istiod", "logging": {"level": "default:info"},
            "sds": {"token": {"aud": "istio-ca"}}, "multiCluster": {"clusterName": ""},
            "network": "", "meshID": "", "imagePullPolicy": "", "imagePullSecrets": [],
            "proxy": {
                "image": "proxyv2", "clusterDomain": "cluster.local", "logLevel": "warning",
                "componentLogLevel": "misc:error", "includeIPRanges": "*", "excludeIPRanges": "",
                "includeInboundPorts": "*", "excludeInboundPorts": "", "excludeOutboundPorts": "",
                "includeOutboundPorts": "", "statusPort": 15020, "privileged": false,
                "readinessFailureThreshold": 4, "readinessInitialDelaySeconds": 0,
                "readinessPeriodSeconds": 15,
                "startupProbe": {"enabled": true, "failureThreshold": 600},
                "resources": {"limits": {"cpu": "2000m", "memory": "1024Mi"},
                              "requests": {"cpu": "100m", "memory": "128Mi"}}
            },
            "proxy_init": {"image": "proxyv2"}
        },
        "pilot": {"cni": {"enabled": false, "provider": "default"}},
        "revision": "",
        "sidecarInjectorWebhook": {"rewriteAppHTTPProbe": true}
    })
}

fn injector_with(config: InjectConfig, native: NativeSidecars) -> Injector {
    let mesh = MeshConfig::from_yaml(
        "defaultConfig:\n  discoveryAddress: istiod.istio-system.svc:15012\ntrustDomain: cluster.local\n",
        "mesh.yaml",
    )
    .unwrap();
    Injector::new(config, values(), mesh, "", native).unwrap()
}

fn injector() -> Injector {
    injector_with(InjectConfig::default(), NativeSidecars::Enabled)
}

fn pod(annotations: Value) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "hello", "namespace": "default", "annotations": annotations, "labels": {"app": "hello"}},
        "spec": {"containers": [{
            "name": "hello", "image": "hello:1.0",
            "ports": [{"name": "http", "containerPort": 8080}],
            "readinessProbe": {"httpGet": {"port": "http", "path": "/ready"}},
            "livenessProbe": {"tcpSocket": {"port": 8080}},
            "startupProbe": {"grpc": {"port": 9090}}
        }]}
    })
}

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .map(|l| l.iter().filter_map(|c| c["name"].as_str()).collect())
        .unwrap_or_default()
}

fn env<'a>(container: &'a Value, name: &str) -> Option<&'a Value> {
    container["env"]
        .as_array()?
        .iter()
        .find(|e| e["name"] == name)
        .map(|e| &e["value"])
}

#[test]
fn every_bad_traffic_annotation_is_an_error_naming_it() {
    let inj = injector();
    for (annotation, value, mentions) in [
        (
            "traffic.sidecar.istio.io/includeOutboundIPRanges",
            "bad",
            "includeipranges",
        ),
        (
            "traffic.sidecar.istio.io/excludeOutboundIPRanges",
            "*",
            "excludeipranges",
        ),
        (
            "traffic.sidecar.istio.io/includeInboundPorts",
            "http",
            "includeinboundports",
        ),
        (
            "traffic.sidecar.istio.io/excludeInboundPorts",
            "*",
            "excludeinboundports",
        ),
        (
            "traffic.sidecar.istio.io/excludeOutboundPorts",
            "bad",
            "excludeoutboundports",
        ),
        (
            "status.sidecar.istio.io/port",
            "99999",
            "status.sidecar.istio.io/port",
        ),
        (
            "sidecar.istio.io/interceptionMode",
            "SOMETIMES",
            "interceptionmode",
        ),
        (
            "readiness.status.sidecar.istio.io/periodSeconds",
            "-1",
            "periodseconds",
        ),
        (
            "prometheus.istio.io/merge-metrics",
            "maybe",
            "merge-metrics",
        ),
        (
            "proxy.istio.io/config",
            "statusPort: nope",
            "proxy.istio.io/config",
        ),
    ] {
        let err = inj
            .inject_pod(&pod(json!({annotation: value})))
            .expect_err(annotation);
        assert!(matches!(err, InjectError::InvalidAnnotations(_)), "{err:?}");
        let text = err.to_string();
        assert!(text.contains(annotation), "{text}");
        assert!(text.to_lowercase().contains(mentions), "{text}");
    }
}

#[test]
fn injects_native_sidecar_and_rewrites_probes() {
    let out = injector().inject_pod(&pod(json!({}))).unwrap();
    let spec = &out["spec"];
    assert_eq!(
        names(&spec["initContainers"]),
        ["istio-init", "istio-proxy"]
    );
    assert_eq!(names(&spec["containers"]), ["hello"]);
    let proxy = &spec["initContainers"][1];
    assert_eq!(proxy["restartPolicy"], "Always");
    assert_eq!(proxy["image"], "docker.io/istio/proxyv2:1.30.3");

    let app = &spec["containers"][0];
    assert_eq!(
        app["readinessProbe"]["httpGet"],
        json!({"path": "/app-health/hello/readyz", "port": 15020})
    );
    assert_eq!(
        app["livenessProbe"],
        json!({"httpGet": {"path": "/app-health/hello/livez", "port": 15020}})
    );
    assert_eq!(
        app["startupProbe"],
        json!({"httpGet": {"path": "/app-health/hello/startupz", "port": 15020}})
    );
    let probers: Value = serde_json::from_str(
        env(proxy, "ISTIO_KUBE_APP_PROBERS")
            .unwrap()
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        probers,
        json!({
            "/app-health/hello/readyz": {"httpGet": {"path": "/ready", "port": 8080}},
            "/app-health/hello/livez": {"tcpSocket": {"port": 8080}},
            "/app-health/hello/startupz": {"grpc": {"port": 9090}}
        })
    );
    let annotations = &out["metadata"]["annotations"];
    assert_eq!(annotations["prometheus.io/port"], "15020");
    assert_eq!(annotations["istio.io/rev"], "default");
    let status: Value =
        serde_json::from_str(annotations["sidecar.istio.io/status"].as_str().unwrap()).unwrap();
    assert_eq!(
        status["initContainers"],
        json!(["istio-init", "istio-proxy"])
    );
    assert_eq!(
        out["metadata"]["labels"]["service.istio.io/canonical-name"],
        "hello"
    );
}

#[test]
fn probe_rewrite_can_be_turned_off_per_pod() {
    let out = injector()
        .inject_pod(&pod(
            json!({"sidecar.istio.io/rewriteAppHTTPProbers": "false"}),
        ))
        .unwrap();
    let app = &out["spec"]["containers"][0];
    assert_eq!(app["readinessProbe"]["httpGet"]["port"], "http");
    assert!(env(&out["spec"]["initContainers"][1], "ISTIO_KUBE_APP_PROBERS").is_none());
}

#[test]
fn classic_sidecar_goes_last_or_first_when_holding_the_app() {
    let inj = injector_with(InjectConfig::default(), NativeSidecars::Disabled);
    let out = inj.inject_pod(&pod(json!({}))).unwrap();
    assert_eq!(names(&out["spec"]["containers"]), ["hello", "istio-proxy"]);
    let hold = inj
        .inject_pod(&pod(
            json!({"proxy.istio.io/config": "holdApplicationUntilProxyStarts: true"}),
        ))
        .unwrap();
    assert_eq!(names(&hold["spec"]["containers"]), ["istio-proxy", "hello"]);
    let proxy = &hold["spec"]["containers"][0];
    assert_eq!(
        proxy["lifecycle"]["postStart"]["exec"]["command"],
        json!(["pilot-agent", "wait"])
    );
    let pc: Value =
        serde_json::from_str(env(proxy, "PROXY_CONFIG").unwrap().as_str().unwrap()).unwrap();
    assert_eq!(pc, json!({"holdApplicationUntilProxyStarts": true}));
}

#[test]
fn injecting_twice_gives_the_same_pod() {
    let inj = injector();
    for annotations in [
        json!({}),
        json!({"prometheus.io/port": "9090", "prometheus.io/scrape": "true"}),
        json!({"traffic.sidecar.istio.io/excludeInboundPorts": "9090"}),
    ] {
        let once = inj.inject_pod(&pod(annotations)).unwrap();
        let twice = inj.inject_pod(&once).unwrap();
        assert_eq!(once, twice);
    }
}

#[test]
fn user_proxy_container_settings_win_and_are_recorded() {
    let mut p = pod(json!({}));
    p["spec"]["containers"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "istio-proxy", "image": "auto", "args": ["custom"]}));
    let inj = injector();
    let out = inj.inject_pod(&p).unwrap();
    let proxy = &out["spec"]["initContainers"][1];
    assert_eq!(proxy["args"], json!(["custom"]));
    assert_eq!(proxy["image"], "docker.io/istio/proxyv2:1.30.3");
    let overrides: Value = serde_json::from_str(
        out["metadata"]["annotations"]["proxy.istio.io/overrides"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(overrides["initContainers"][0]["args"], json!(["custom"]));
    assert_eq!(inj.inject_pod(&out).unwrap(), out);
}

#[test]
fn webhook_uses_default_templates_aliases_and_injected_annotations() {
    let config: InjectConfig = serde_saphyr::from_str(
        "defaultTemplates: [sidecar, extra]\naliases:\n  both: [gateway, extra]\ninjectedAnnotations:\n  team: mesh\ntemplates:\n  extra: |\n    metadata:\n      labels:\n        extra: \"yes\"\n",
    )
    .unwrap();
    let inj = injector_with(config, NativeSidecars::Enabled);
    let out = inj.inject_pod(&pod(json!({}))).unwrap();
    assert_eq!(out["metadata"]["labels"]["extra"], "yes");
    assert_eq!(out["metadata"]["annotations"]["team"], "mesh");

    let gw = inj
        .inject_pod(&pod(json!({"inject.istio.io/templates": "both"})))
        .unwrap();
    assert_eq!(names(&gw["spec"]["containers"]), ["hello", "istio-proxy"]);
    assert_eq!(gw["spec"]["containers"][1]["args"][1], "router");
    assert_eq!(gw["metadata"]["labels"]["extra"], "yes");
}

#[test]
fn unknown_and_custom_go_templates_are_errors_naming_them() {
    let config: InjectConfig =
        serde_saphyr::from_str("templates:\n  custom: |\n    {{ .Spec }}\n").unwrap();
    let inj = injector_with(config, NativeSidecars::Enabled);
    let err = inj
        .inject_pod(&pod(json!({"inject.istio.io/templates": "custom"})))
        .unwrap_err();
    assert!(err.to_string().contains("\"custom\""), "{err}");
    let err = inj
        .inject_pod(&pod(json!({"inject.istio.io/templates": "nope"})))
        .unwrap_err();
    assert!(matches!(err, InjectError::UnknownTemplate { .. }), "{err}");
}

#[test]
fn kube_inject_handles_kinds_and_skips() {
    let input = r#"
apiVersion: v1
kind: Service
metadata:
  name: svc
spec:
  ports:
  - port: 80
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      hostNetwork: true
      containers:
      - name: web
        image: web:1
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: tick
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: tick
            image: tick:1
"#;
    let out = injector().kube_inject(input, "input.yaml").unwrap();
    assert_eq!(out.documents.len(), 3);
    assert!(matches!(
        out.documents[0],
        mesh_inject::Document::Unchanged(_)
    ));
    assert_eq!(
        out.warnings,
        ["===> Skipping injection because Deployment \"shop/web\" has host networking enabled"]
    );
    let mesh_inject::Document::Object(cron) = &out.documents[2] else {
        panic!("cronjob not injected");
    };
    let owner = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["initContainers"][1]["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "ISTIO_META_OWNER")
        .unwrap();
    assert_eq!(
        owner["value"],
        "kubernetes://apis/batch/v1/namespaces/default/cronjobs/tick"
    );
    assert!(
        cron["spec"]["jobTemplate"]["metadata"]["annotations"]["sidecar.istio.io/status"]
            .is_string()
    );
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let inj = injector();
    assert!(inj.inject_pod(&json!([1, 2])).is_err());
    let bad_quantity = json!({"metadata": {}, "spec": {"containers": [
        {"name": "a", "resources": {"limits": {"cpu": "lots"}}}
    ]}});
    let err = inj.inject_pod(&bad_quantity).unwrap_err().to_string();
    assert!(
        err.contains("spec.containers[0].resources.limits.cpu"),
        "{err}"
    );
    assert!(inj.kube_inject("a: [", "broken.yaml").is_err());
    let no_template = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {}\n";
    let err = inj
        .kube_inject(no_template, "d.yaml")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("d.yaml") && err.contains("spec.template"),
        "{err}"
    );
}

#[test]
fn openshift_namespace_ranges_choose_the_proxy_user() {
    let context = PodContext {
        openshift: true,
        namespace_annotations: Some(
            [(
                "openshift.io/sa.scc.uid-range".to_string(),
                "1000620000/10000".to_string(),
            )]
            .into(),
        ),
        ..Default::default()
    };
    let out = injector().inject_pod_in(&pod(json!({})), &context).unwrap();
    let proxy = &out["spec"]["initContainers"][1];
    assert_eq!(proxy["securityContext"]["runAsUser"], 1000629999);
    assert_eq!(out["spec"]["initContainers"][0]["args"][6], "1000629999");
}

#[test]
fn bad_resource_annotation_is_an_error_naming_it() {
    let err = injector()
        .inject_pod(&pod(json!({"sidecar.istio.io/proxyMemoryLimit": "lots"})))
        .unwrap_err()
        .to_string();
    assert!(err.contains("sidecar.istio.io/proxyMemoryLimit"), "{err}");
    let ok = injector()
        .inject_pod(&pod(json!({"sidecar.istio.io/proxyCPU": "4000m"})))
        .unwrap();
    assert_eq!(
        ok["spec"]["initContainers"][1]["resources"],
        json!({"requests": {"cpu": "4"}})
    );
}

#[test]
fn image_type_comes_from_annotation_proxy_config_or_variant() {
    let mut v = values();
    v["global"]["variant"] = json!("distroless");
    let mesh = MeshConfig::default();
    let inj = Injector::new(
        InjectConfig::default(),
        v,
        mesh,
        "",
        NativeSidecars::Enabled,
    )
    .unwrap();
    let image = |annotations: Value| {
        inj.inject_pod(&pod(annotations)).unwrap()["spec"]["initContainers"][1]["image"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        image(json!({})),
        "docker.io/istio/proxyv2:1.30.3-distroless"
    );
    assert_eq!(
        image(json!({"sidecar.istio.io/proxyImageType": "debug"})),
        "docker.io/istio/proxyv2:1.30.3-debug"
    );
    assert_eq!(
        image(json!({"proxy.istio.io/config": "image:\n  imageType: default"})),
        "docker.io/istio/proxyv2:1.30.3"
    );
}
