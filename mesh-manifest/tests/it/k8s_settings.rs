//! `components.*.k8s` settings and overlays, on objects shaped like the rendered charts.

use mesh_core::{ComponentName, Value};
use mesh_manifest::k8s_settings::K8sOutcome;
use mesh_manifest::{ComponentTarget, K8sError, Object, apply_k8s};
use serde_json::json;

/// Objects of `component`, from their values.
fn objects_of(component: ComponentName, values: impl IntoIterator<Item = Value>) -> Vec<Object> {
    values
        .into_iter()
        .map(|value| Object::new(Some(component), value))
        .collect()
}

fn istiod_objects(name: &str) -> Vec<Object> {
    let mut objects = objects_of(
        ComponentName::Pilot,
        [
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "istio-system"},
            "spec": {
                "strategy": {"rollingUpdate": {"maxSurge": "100%", "maxUnavailable": "25%"}},
                "template": {
                    "metadata": {"annotations": {"sidecar.istio.io/inject": "false"}, "labels": {"app": "istiod"}},
                    "spec": {
                        "serviceAccountName": "istiod",
                        "tolerations": [{"key": "cni.istio.io/not-ready", "operator": "Exists"}],
                        "securityContext": {"fsGroup": 1337},
                        "containers": [{
                            "name": "discovery",
                            "image": "docker.io/istio/pilot:1.30.3",
                            "args": ["discovery", "--monitoringAddr=:15014", "--keepaliveMaxServerConnectionAge", "30m"],
                            "env": [
                                {"name": "REVISION", "value": "default"},
                                {"name": "PILOT_CERT_PROVIDER", "value": "istiod"},
                                {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
                                {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}},
                                {"name": "SERVICE_ACCOUNT", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.serviceAccountName"}}}
                            ],
                            "ports": [
                                {"containerPort": 8080, "name": "http-debug", "protocol": "TCP"},
                                {"containerPort": 15010, "name": "grpc-xds", "protocol": "TCP"},
                                {"containerPort": 15017, "name": "https-webhooks", "protocol": "TCP"}
                            ],
                            "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}, "initialDelaySeconds": 1, "periodSeconds": 3, "timeoutSeconds": 5},
                            "resources": {"requests": {"cpu": "500m", "memory": "2048Mi"}},
                            "securityContext": {"runAsNonRoot": true},
                            "volumeMounts": [{"mountPath": "/var/run/secrets/tokens", "name": "istio-token", "readOnly": true}]
                        }],
                        "volumes": [{"name": "istio-token", "projected": {"sources": []}}]
                    }
                }
            }}),
            json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                "metadata": {"name": name, "namespace": "istio-system"},
                "spec": {"maxReplicas": 5, "minReplicas": 1,
                    "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}],
                    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}}}),
            json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                "metadata": {"name": name, "namespace": "istio-system"},
                "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "istiod"}}}}),
            json!({"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": name, "namespace": "istio-system", "labels": {"app": "istiod"}},
                "spec": {"ports": [
                    {"name": "grpc-xds", "port": 15010, "protocol": "TCP"},
                    {"name": "https-dns", "port": 15012, "protocol": "TCP"},
                    {"name": "https-webhook", "port": 443, "protocol": "TCP", "targetPort": 15017}
                ], "selector": {"app": "istiod"}}}),
        ],
    );
    // The ServiceAccount comes from the base chart.
    objects.push(Object::new(
        Some(ComponentName::Base),
        json!({"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": name, "namespace": "istio-system"}}),
    ));
    objects
}

fn gateway_objects(name: &str) -> Vec<Object> {
    objects_of(
        ComponentName::IngressGateways,
        [
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": name, "namespace": "istio-system"},
                "spec": {"template": {"spec": {"containers": [{"name": "istio-proxy", "image": "proxyv2"}]}}}}),
            json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": "istio-system", "annotations": {"existing": "yes"}},
            "spec": {"type": "LoadBalancer", "ports": [
                {"name": "status-port", "port": 15021, "protocol": "TCP", "targetPort": 15021},
                {"name": "http2", "port": 80, "protocol": "TCP", "targetPort": 8080}
            ]}}),
        ],
    )
}

fn yaml(text: &str) -> Value {
    mesh_core::from_yaml_str(text, "test").unwrap()
}

fn find<'a>(objects: &'a [Object], kind: &str) -> &'a Value {
    &objects
        .iter()
        .find(|o| o.kind() == kind && o.component == Some(ComponentName::Pilot))
        .unwrap()
        .value
}

fn container(objects: &[Object]) -> &Value {
    &find(objects, "Deployment")["spec"]["template"]["spec"]["containers"][0]
}

/// The names of a container's env entries, in order.
fn env_names(container: &Value) -> Vec<&str> {
    container["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect()
}

fn pilot() -> ComponentTarget {
    ComponentTarget::new(ComponentName::Pilot, None, "")
}

#[test]
fn pilot_settings_merge_into_the_istiod_objects() {
    // The settings of istioctl's own `pilot_k8s_settings` test input.
    let k8s = yaml(
        r#"
env:
  - name: POD_NAME
    valueFrom:
      fieldRef:
        apiVersion: v1
        fieldPath: new.path
  - name: GODEBUG
    value: gctrace=111
  - name: NEW_VAR
    value: new_value
hpaSpec:
  maxReplicas: 333
  metrics:
    - type: Resource
      resource:
        name: memory
        target: {type: Utilization, averageUtilization: 444}
readinessProbe:
  initialDelaySeconds: 555
resources:
  requests:
    memory: 999Mi
nodeSelector:
  master: "true"
"#,
    );
    let mut objects = istiod_objects("istiod");
    let outcome = apply_k8s(&mut objects, &pilot(), &k8s, "components.pilot.k8s").unwrap();
    assert_eq!(outcome, K8sOutcome::default());

    let c = container(&objects);
    let env = env_names(c);
    // New variables go right after the patched POD_NAME, before the untouched ones that followed it.
    assert_eq!(
        env,
        [
            "REVISION",
            "PILOT_CERT_PROVIDER",
            "POD_NAME",
            "GODEBUG",
            "NEW_VAR",
            "POD_NAMESPACE",
            "SERVICE_ACCOUNT"
        ]
    );
    assert_eq!(
        c["env"][2]["valueFrom"]["fieldRef"]["fieldPath"],
        json!("new.path")
    );
    assert_eq!(
        c["resources"],
        json!({"requests": {"cpu": "500m", "memory": "999Mi"}})
    );
    assert_eq!(
        c["readinessProbe"],
        json!({"httpGet": {"path": "/ready", "port": 8080}, "initialDelaySeconds": 555, "periodSeconds": 3, "timeoutSeconds": 5})
    );
    let pod = &find(&objects, "Deployment")["spec"]["template"]["spec"];
    assert_eq!(pod["nodeSelector"], json!({"master": "true"}));

    let hpa = &find(&objects, "HorizontalPodAutoscaler")["spec"];
    assert_eq!(hpa["maxReplicas"], json!(333));
    assert_eq!(hpa["minReplicas"], json!(1));
    // `metrics` has no merge key: the patch's list replaces the chart's.
    assert_eq!(hpa["metrics"][0]["resource"]["name"], json!("memory"));
    assert_eq!(hpa["metrics"].as_array().unwrap().len(), 1);
}

#[test]
fn pod_level_settings_and_replacing_lists() {
    let k8s = yaml(
        r#"
replicaCount: 3
strategy:
  rollingUpdate:
    maxUnavailable: 0
tolerations:
  - key: dedicated
    operator: Equal
    value: istio
    effect: NoSchedule
affinity:
  nodeAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      nodeSelectorTerms:
        - matchExpressions: [{key: kubernetes.io/os, operator: In, values: [linux]}]
podAnnotations:
  prometheus.io/scrape: "true"
priorityClassName: system-cluster-critical
securityContext:
  runAsUser: 1337
imagePullPolicy: Always
volumes:
  - name: extra
    configMap: {name: extra}
volumeMounts:
  - name: extra
    mountPath: /etc/extra
"#,
    );
    let mut objects = istiod_objects("istiod");
    apply_k8s(&mut objects, &pilot(), &k8s, "components.pilot.k8s").unwrap();
    let deploy = find(&objects, "Deployment");
    assert_eq!(deploy["spec"]["replicas"], json!(3));
    assert_eq!(
        deploy["spec"]["strategy"],
        json!({"rollingUpdate": {"maxSurge": "100%", "maxUnavailable": 0}})
    );
    let template = &deploy["spec"]["template"];
    assert_eq!(
        template["metadata"]["annotations"],
        json!({"sidecar.istio.io/inject": "false", "prometheus.io/scrape": "true"})
    );
    let pod = &template["spec"];
    // Tolerations have no merge key in Kubernetes' PodSpec: replaced, not merged.
    assert_eq!(
        pod["tolerations"],
        json!([{"key": "dedicated", "operator": "Equal", "value": "istio", "effect": "NoSchedule"}])
    );
    assert_eq!(pod["priorityClassName"], json!("system-cluster-critical"));
    assert_eq!(
        pod["securityContext"],
        json!({"fsGroup": 1337, "runAsUser": 1337})
    );
    assert_eq!(
        pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
            [0]["matchExpressions"][0]["key"],
        json!("kubernetes.io/os")
    );
    let names: Vec<&Value> = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| &v["name"])
        .collect();
    // Like the API server's merge, items only the patch has go before the original items when
    // the patch names none of those.
    assert_eq!(names, [&json!("extra"), &json!("istio-token")]);
    let c = container(&objects);
    assert_eq!(c["imagePullPolicy"], json!("Always"));
    let mounts: Vec<&Value> = c["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| &v["mountPath"])
        .collect();
    assert_eq!(
        mounts,
        [&json!("/etc/extra"), &json!("/var/run/secrets/tokens")]
    );
}

#[test]
fn pilot_service_ports_merge_by_port_and_annotations_merge() {
    let k8s = yaml(
        r#"
service:
  ports:
    - name: https-dns
      port: 15012
      targetPort: 15012
    - name: http-monitoring
      port: 15014
serviceAnnotations:
  networking.gke.io/load-balancer-type: Internal
"#,
    );
    let mut objects = istiod_objects("istiod");
    apply_k8s(&mut objects, &pilot(), &k8s, "components.pilot.k8s").unwrap();
    let svc = find(&objects, "Service");
    let ports: Vec<(&Value, &Value)> = svc["spec"]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (&p["port"], &p["targetPort"]))
        .collect();
    assert_eq!(
        ports,
        [
            (&json!(15010), &Value::Null),
            (&json!(15012), &json!(15012)),
            (&json!(15014), &Value::Null),
            (&json!(443), &json!(15017)),
        ]
    );
    assert_eq!(
        svc["metadata"]["annotations"],
        json!({"networking.gke.io/load-balancer-type": "Internal"})
    );
}

#[test]
fn gateway_service_settings_leave_the_ports_to_the_chart() {
    // istioctl's `ingressgateway_k8s_settings` input: the ports come from the chart values (the
    // values layer copies k8s.service.ports there); the patch only sets the rest.
    let k8s = yaml(
        r#"
service:
  externalTrafficPolicy: Local
  ports:
  - name: foo
    port: 1234
    targetPort: 1234
serviceAnnotations:
  manifest-generate: "testserviceAnnotation"
"#,
    );
    let mut objects = gateway_objects("my-gateway");
    let before_ports = objects[1].value["spec"]["ports"].clone();
    let target = ComponentTarget::new(ComponentName::IngressGateways, Some("my-gateway"), "");
    apply_k8s(
        &mut objects,
        &target,
        &k8s,
        "components.ingressGateways[0].k8s",
    )
    .unwrap();
    let svc = &objects[1].value;
    assert_eq!(svc["spec"]["ports"], before_ports);
    assert_eq!(svc["spec"]["externalTrafficPolicy"], json!("Local"));
    assert_eq!(svc["spec"]["type"], json!("LoadBalancer"));
    assert_eq!(
        svc["metadata"]["annotations"],
        json!({"existing": "yes", "manifest-generate": "testserviceAnnotation"})
    );
}

#[test]
fn settings_target_the_component_workload_by_kind_and_name() {
    let t = ComponentTarget::new(ComponentName::Pilot, None, "canary");
    assert_eq!(t.workload.as_ref().unwrap().name, "istiod-canary");
    let t = ComponentTarget::new(ComponentName::Pilot, None, "default");
    assert_eq!(t.workload.as_ref().unwrap().name, "istiod");
    let t = ComponentTarget::new(ComponentName::EgressGateways, None, "canary");
    assert_eq!(t.workload.as_ref().unwrap().name, "istio-egressgateway");
    let t = ComponentTarget::new(ComponentName::Cni, None, "");
    let w = t.workload.unwrap();
    assert_eq!(
        (w.kind, w.name.as_str(), w.container),
        ("DaemonSet", "istio-cni-node", "install-cni")
    );
    let t = ComponentTarget::new(ComponentName::Ztunnel, None, "");
    assert_eq!(t.workload.unwrap().kind, "DaemonSet");
    assert!(
        ComponentTarget::new(ComponentName::Base, None, "")
            .workload
            .is_none()
    );

    // A revisioned istiod gets the settings; objects named like the default one do not.
    let mut objects = istiod_objects("istiod-canary");
    objects.extend(istiod_objects("istiod"));
    let k8s = json!({"replicaCount": 4});
    let target = ComponentTarget::new(ComponentName::Pilot, None, "canary");
    apply_k8s(&mut objects, &target, &k8s, "components.pilot.k8s").unwrap();
    let replicas: Vec<(&str, &Value)> = objects
        .iter()
        .filter(|o| o.kind() == "Deployment")
        .map(|o| (o.name(), &o.value["spec"]["replicas"]))
        .collect();
    assert_eq!(
        replicas,
        [("istiod-canary", &json!(4)), ("istiod", &Value::Null)]
    );
}

#[test]
fn a_max_unavailable_budget_clears_min_available() {
    let mut objects = istiod_objects("istiod");
    let k8s = json!({"podDisruptionBudget": {"maxUnavailable": 1}});
    apply_k8s(&mut objects, &pilot(), &k8s, "components.pilot.k8s").unwrap();
    let pdb = &find(&objects, "PodDisruptionBudget")["spec"];
    assert_eq!(pdb["maxUnavailable"], json!(1));
    assert_eq!(pdb.get("minAvailable"), Some(&Value::Null));
    assert_eq!(pdb["selector"], json!({"matchLabels": {"app": "istiod"}}));
}

#[test]
fn overlays_patch_with_selectors_and_delete() {
    // The overlays of istioctl's own `pilot_override_kubernetes` test input.
    let k8s = yaml(
        r#"
resources:
  requests:
    cpu: 123m
overlays:
  - kind: Deployment
    name: istiod
    patches:
      - path: spec.template.spec.containers.[name:discovery].args.[30m]
        value: "60m"
      - path: spec.template.spec.containers.[name:discovery].ports.[containerPort:8080].containerPort
        value: 1234
      - path: spec.template.spec.containers.[name:discovery].env.[name:POD_NAMESPACE].valueFrom
        value: |
          fieldRef:
            apiVersion: v2
            fieldPath: metadata.myPath
      - path: spec.template.spec.containers.[name:discovery].env.[name:REVISION]
      - path: spec.template.spec.containers.[name:discovery].securityContext
  - kind: Service
    name: istiod
    patches:
      - path: spec.ports.[name:https-dns].port
        value: 11111
      - path: metadata.labels.new\.label
        value: x
"#,
    );
    let mut objects = istiod_objects("istiod");
    let outcome = apply_k8s(&mut objects, &pilot(), &k8s, "components.pilot.k8s").unwrap();
    assert!(outcome.unmatched_overlays.is_empty());
    let c = container(&objects);
    assert_eq!(c["resources"]["requests"]["cpu"], json!("123m"));
    assert_eq!(c["args"][3], json!("60m"));
    assert_eq!(c["ports"][0]["containerPort"], json!(1234));
    let env = env_names(c);
    assert!(!env.contains(&"REVISION"));
    let ns = c["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "POD_NAMESPACE")
        .unwrap();
    assert_eq!(
        ns["valueFrom"],
        json!({"fieldRef": {"apiVersion": "v2", "fieldPath": "metadata.myPath"}})
    );
    assert!(c.get("securityContext").is_none());
    let svc = find(&objects, "Service");
    assert_eq!(
        svc["spec"]["ports"][1],
        json!({"name": "https-dns", "port": 11111, "protocol": "TCP"})
    );
    assert_eq!(svc["metadata"]["labels"]["new.label"], json!("x"));
    // The Base ServiceAccount named istiod is another component's: untouched.
    let sa = objects
        .iter()
        .find(|o| o.kind() == "ServiceAccount")
        .unwrap();
    assert_eq!(
        sa.value["metadata"],
        json!({"name": "istiod", "namespace": "istio-system"})
    );
}

#[test]
fn overlays_that_match_nothing_are_reported_and_base_gets_only_overlays() {
    let mut objects = istiod_objects("istiod");
    let k8s = yaml(
        r#"
replicaCount: 9
overlays:
  - kind: ServiceAccount
    name: istiod
    patches:
      - path: metadata.annotations.owner
        value: base
  - kind: ConfigMap
    name: nope
    patches:
      - path: data.x
        value: y
"#,
    );
    let target = ComponentTarget::new(ComponentName::Base, None, "");
    let outcome = apply_k8s(&mut objects, &target, &k8s, "components.base.k8s").unwrap();
    assert_eq!(
        outcome.unmatched_overlays,
        ["components.base.k8s.overlays[1] (ConfigMap/nope)"]
    );
    let sa = objects
        .iter()
        .find(|o| o.kind() == "ServiceAccount")
        .unwrap();
    assert_eq!(
        sa.value["metadata"]["annotations"],
        json!({"owner": "base"})
    );
    assert!(
        find(&objects, "Deployment")["spec"]
            .get("replicas")
            .is_none()
    );
}

#[test]
fn errors_name_the_path() {
    let mut objects = istiod_objects("istiod");
    let err = |k8s: Value| {
        apply_k8s(&mut objects.clone(), &pilot(), &k8s, "components.pilot.k8s").unwrap_err()
    };

    assert_eq!(
        err(json!({"replicas": 3})).to_string(),
        "components.pilot.k8s.replicas: unknown field"
    );
    assert_eq!(
        err(json!({"env": {"A": "1"}})).to_string(),
        "components.pilot.k8s.env: expected a list, got a map"
    );
    assert_eq!(
        err(json!({"replicaCount": "three"})).to_string(),
        "components.pilot.k8s.replicaCount: expected a non-negative integer, got string \"three\""
    );
    assert_eq!(
        err(json!({"podAnnotations": {"a": 1}})).to_string(),
        "components.pilot.k8s.podAnnotations.a: expected a string, got number 1"
    );
    assert_eq!(
        err(json!({"env": [{"value": "no name"}]})).to_string(),
        "components.pilot.k8s.env: patching Deployment.apps/istio-system/istiod: \
         spec.template.spec.containers.env: list item has no merge key \"name\""
    );
    let e = err(json!({"overlays": [{"kind": "Deployment", "name": "istiod",
        "patches": [{"path": "spec.template.spec.containers.[name:nope].image", "value": "x"}]}]}));
    assert!(matches!(e, K8sError::Overlay { .. }));
    assert_eq!(
        e.to_string(),
        "components.pilot.k8s.overlays[0].patches[0] (path spec.template.spec.containers.[name:nope].image): \
         Deployment.apps/istio-system/istiod: no list item matches [name:nope]"
    );
    assert_eq!(
        err(json!({"overlays": [{"kind": "Deployment", "name": "istiod", "patches": [{"path": "a.[b", "value": 1}]}]}))
            .to_string(),
        "components.pilot.k8s.overlays[0].patches[0].path: path \"a.[b\" has an unclosed `[` \
         (at byte 2); expected a path like a.b.[key:value].c"
    );
    assert_eq!(
        err(json!({"overlays": [{"kind": "Deployment", "name": "istiod", "patch": []}]}))
            .to_string(),
        "components.pilot.k8s.overlays[0].patch: unknown field"
    );
    assert_eq!(
        err(json!("not a map")).to_string(),
        "components.pilot.k8s: expected a map, got string \"not a map\""
    );
    // Nothing happens for a null block.
    apply_k8s(&mut objects, &pilot(), &Value::Null, "components.pilot.k8s").unwrap();
}
