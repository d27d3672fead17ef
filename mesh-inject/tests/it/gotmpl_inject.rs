//! Custom Go injection templates through the injector: evaluated on the pod's template data,
//! merged like static overlays; parse and execution errors name the template and position.

use mesh_core::Value;
use mesh_inject::{InjectConfig, InjectError, Injector, MeshConfig, NativeSidecars, PodContext};
use serde_json::json;

fn injector(templates: &str) -> Injector {
    let config: InjectConfig = serde_saphyr::from_str(templates).unwrap();
    let values = json!({"global": {"hub": "docker.io/istio", "tag": "1.30.3", "proxy": {"statusPort": 15020}}});
    let mesh = MeshConfig::from_yaml("trustDomain: cluster.local\n", "mesh.yaml").unwrap();
    Injector::new(config, values, mesh, "", NativeSidecars::Disabled).unwrap()
}

fn pod(templates: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": "hello", "namespace": "shop",
            "annotations": {"inject.istio.io/templates": templates, "team": "blue"},
            "labels": {"app": "hello"},
        },
        "spec": {"containers": [{"name": "hello", "image": "hello:1.0"}, {"name": "side", "image": "side:1.0"}]}
    })
}

const CUSTOM: &str = r#"templates:
  custom: |
    metadata:
      labels:
        team: {{ index .ObjectMeta.Annotations "team" | quote }}
        status-port: "{{ .Values.global.proxy.statusPort }}"
        pod-name: {{ .ObjectMeta.Name | quote }}
        pod-namespace: {{ .ObjectMeta.Namespace | quote }}
    spec:
      containers:
      {{- range .Spec.Containers }}
      - name: {{ .Name }}
        env:
        - name: NS
          value: {{ $.DeploymentMeta.Namespace }}
      {{- end }}
  broken: |
    spec:
      containers: {{ nosuchfunc }}
  failing: |
    spec:
      x: {{ index .Spec.Containers 5 }}
"#;

#[test]
fn custom_go_template_is_rendered_and_merged() {
    let inj = injector(CUSTOM);
    let out = inj.inject_pod(&pod("custom")).unwrap();
    assert_eq!(out["metadata"]["labels"]["team"], json!("blue"));
    assert_eq!(out["metadata"]["labels"]["status-port"], json!("15020"));
    // The whole pod metadata reaches the template, as istiod passes it.
    assert_eq!(out["metadata"]["labels"]["pod-name"], json!("hello"));
    assert_eq!(out["metadata"]["labels"]["pod-namespace"], json!("shop"));
    for c in out["spec"]["containers"].as_array().unwrap() {
        assert_eq!(c["env"], json!([{"name": "NS", "value": "shop"}]), "{c}");
    }
}

#[test]
fn template_data_has_istio_field_names() {
    let inj = injector(CUSTOM);
    let data = inj
        .go_template_data(&pod("custom"), &PodContext::default())
        .unwrap();
    for key in [
        "TypeMeta",
        "DeploymentMeta",
        "ObjectMeta",
        "Spec",
        "ProxyConfig",
        "MeshConfig",
        "Values",
        "Revision",
        "NativeSidecars",
        "ProxyImage",
        "ProxyUID",
        "ProxyGID",
        "InboundTrafficPolicyMode",
        "CompliancePolicy",
    ] {
        assert!(data.get(key).is_some(), "missing {key}");
    }
    assert_eq!(data["ObjectMeta"]["name"], json!("hello"));
    assert_eq!(data["ProxyImage"], json!("docker.io/istio/proxyv2:1.30.3"));
    assert_eq!(data["ProxyConfig"]["interceptionMode"], json!("REDIRECT"));
    assert_eq!(data["InboundTrafficPolicyMode"], json!("passthrough"));
}

#[test]
fn parse_errors_name_template_and_line() {
    let err = injector(CUSTOM).inject_pod(&pod("broken")).unwrap_err();
    assert!(matches!(err, InjectError::GoTemplate(_)), "{err}");
    let text = err.to_string();
    assert!(
        text.starts_with("template: broken:2:18: function \"nosuchfunc\" not defined"),
        "{text}"
    );
}

#[test]
fn execution_errors_name_template_and_node() {
    let err = injector(CUSTOM)
        .inject_pod(&pod("failing"))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("template: failing:2:9: executing \"failing\" at <index>: error calling index: index out of range: 5"), "{err}");
}

/// The built-in sidecar's `OTEL_RESOURCE_ATTRIBUTES` and the Go template function istiod's
/// template calls give the same text for the same pod.
#[test]
fn otel_resource_attributes_agree_between_template_and_sidecar() {
    let templates = r#"templates:
  otel: |
    metadata:
      annotations:
        otel: "{{ otelResourceAttributes .MeshConfig .ObjectMeta.Annotations .ObjectMeta.Labels .DeploymentMeta.Namespace .Spec.Containers }}"
"#;
    let config: InjectConfig = serde_saphyr::from_str(templates).unwrap();
    let values = json!({"global": {"hub": "docker.io/istio", "tag": "1.30.3", "proxy": {"statusPort": 15020}}});
    let mesh = MeshConfig::from_yaml(
        "extensionProviders:\n- name: otel\n  opentelemetry:\n    service: c.obs\n    port: 4317\n    serviceAttributeEnrichment: OTEL_SEMANTIC_CONVENTIONS\n",
        "mesh.yaml",
    )
    .unwrap();
    let inj = Injector::new(config, values, mesh, "", NativeSidecars::Disabled).unwrap();
    let mut p = pod("otel,sidecar");
    p["metadata"]["labels"]["app.kubernetes.io/version"] = json!("3.1");
    p["metadata"]["annotations"]["resource.opentelemetry.io/service.namespace"] =
        json!("shop-team");
    let out = inj.inject_pod(&p).unwrap();
    let from_template = out["metadata"]["annotations"]["otel"].clone();
    assert_eq!(
        from_template,
        json!(
            "service.namespace=shop-team,service.version=3.1,service.instance.id=shop.$(POD_NAME).istio-proxy"
        )
    );
    let proxy = out["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "istio-proxy")
        .unwrap();
    let env = proxy["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "OTEL_RESOURCE_ATTRIBUTES")
        .unwrap();
    assert_eq!(env["value"], from_template);
}
