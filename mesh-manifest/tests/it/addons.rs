//! The addon renderers against Istio 1.30.3's `samples/addons` files (reference corpus), object
//! for object, with the documented exceptions: mesh's labels in place of Helm's `helm.sh/chart`
//! and `app.kubernetes.io/managed-by`, the values of `checksum/*` pod annotations, Kiali's
//! signing key (a placeholder in Istio's file) and, except in the Grafana test with Istio's own
//! dashboard files, the dashboard bodies. ConfigMap contents are compared parsed.

use mesh_core::Value;
use mesh_manifest::Object;
use mesh_manifest::addons::{
    Addon, AddonSettings, RenderInputs, dashboards_from_files, read_settings, render,
};
use mesh_manifest::dashboards::{CONTROL_PLANE_CONFIG_MAP, SERVICES_CONFIG_MAP};
use mesh_test_support::{reference_path, value_differences};
use std::collections::BTreeMap;

const HELM_LABELS: [&str; 2] = ["helm.sh/chart", "app.kubernetes.io/managed-by"];
const DASHBOARD_MAPS: [&str; 2] = [CONTROL_PLANE_CONFIG_MAP, SERVICES_CONFIG_MAP];

fn inputs() -> RenderInputs {
    RenderInputs {
        secret: b"conformance".to_vec(),
        ..RenderInputs::default()
    }
}

/// The objects `addon` renders with default settings (Kiali rendered with Prometheus, which it
/// needs).
fn rendered(addon: Addon, settings: &AddonSettings, inputs: &RenderInputs) -> Vec<Object> {
    let mut asked = vec![addon];
    if addon == Addon::Kiali {
        asked.push(Addon::Prometheus);
    }
    render(&asked, settings, inputs)
        .unwrap()
        .into_iter()
        .filter(|(a, _)| *a == addon)
        .map(|(_, o)| o)
        .collect()
}

fn drop_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, x| !x.is_null());
            m.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// Removes Helm's labels from every `labels` map (and the map when that empties it).
fn drop_helm_labels(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if let Some(Value::Object(labels)) = m.get_mut("labels") {
                for l in HELM_LABELS {
                    labels.remove(l);
                }
                if labels.is_empty() {
                    m.remove("labels");
                }
            }
            m.values_mut().for_each(drop_helm_labels);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_helm_labels),
        _ => {}
    }
}

/// The object as compared: nulls and Helm's labels gone, checksums replaced by a marker,
/// ConfigMap data parsed (dashboard bodies kept as text when `raw_dashboards`, else dropped).
fn normalize(object: &Value, raw_dashboards: bool) -> Value {
    let mut v = object.clone();
    drop_nulls(&mut v);
    drop_helm_labels(&mut v);
    if let Some(Value::Object(annotations)) = v.pointer_mut("/spec/template/metadata/annotations") {
        for (k, val) in annotations.iter_mut() {
            if k.starts_with("checksum/") {
                assert!(val.as_str().is_some_and(|s| !s.is_empty()), "{k}: {val}");
                *val = Value::from("<checksum>");
            }
        }
    }
    let name = v["metadata"]["name"].as_str().unwrap_or("").to_string();
    if v["kind"] == "ConfigMap"
        && let Some(Value::Object(data)) = v.get_mut("data")
    {
        if DASHBOARD_MAPS.contains(&name.as_str()) {
            if !raw_dashboards {
                data.clear();
            }
        } else {
            for (key, text) in data.iter_mut() {
                let s = text.as_str().unwrap().to_string();
                if let Ok(parsed @ (Value::Object(_) | Value::Array(_))) =
                    mesh_core::from_yaml_str(&s, key)
                {
                    *text = parsed;
                }
            }
        }
        if name == "kiali"
            && let Some(key) = v.pointer_mut("/data/config.yaml/login_token/signing_key")
        {
            *key = Value::from("<signing key>");
        }
    }
    v
}

fn id(v: &Value) -> String {
    format!(
        "{} {}/{}",
        v["kind"].as_str().unwrap_or(""),
        v["metadata"]["namespace"].as_str().unwrap_or(""),
        v["metadata"]["name"].as_str().unwrap_or("")
    )
}

/// Compares mesh's objects with the reference file's, object for object.
fn assert_conforms(file: &str, objects: &[Object], raw_dashboards: bool) {
    let Some(path) = reference_path(&format!("addons/{file}")) else {
        return;
    };
    let text = std::fs::read_to_string(&path).unwrap();
    let reference: BTreeMap<String, Value> = mesh_core::from_yaml_stream(&text, file)
        .unwrap()
        .into_iter()
        .filter(|d| !d.is_null())
        .map(|d| (id(&d), normalize(&d, raw_dashboards)))
        .collect();
    let ours: BTreeMap<String, Value> = objects
        .iter()
        .map(|o| {
            let v = o.value.clone();
            (id(&v), normalize(&v, raw_dashboards))
        })
        .collect();
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        reference.keys().collect::<Vec<_>>(),
        "{file}: other objects"
    );
    // Left is mesh, right is Istio.
    let problems: Vec<String> = reference
        .iter()
        .flat_map(|(key, theirs)| value_differences(&ours[key], theirs, key))
        .collect();
    assert!(problems.is_empty(), "{file}:\n{}", problems.join("\n"));
}

#[test]
fn each_addon_renders_istios_sample_with_default_settings() {
    let settings = AddonSettings::default();
    for addon in Addon::ALL {
        let objects = rendered(addon, &settings, &inputs());
        assert_conforms(&format!("{}.yaml", addon.name()), &objects, false);
    }
}

#[test]
fn grafana_with_istios_dashboard_files_is_istios_grafana_yaml() {
    let Some(dir) = reference_path("addons/dashboards") else {
        return;
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        files.push((name, std::fs::read_to_string(&path).unwrap()));
    }
    let dashboards = dashboards_from_files(&files).unwrap();
    assert_eq!(dashboards.len(), 7);
    let inputs = RenderInputs {
        dashboards: Some(dashboards),
        ..inputs()
    };
    let objects = rendered(Addon::Grafana, &AddonSettings::default(), &inputs);
    assert_conforms("grafana.yaml", &objects, true);
}

fn pod_annotation<'a>(objects: &'a [Object], kind: &str, key: &str) -> &'a str {
    objects
        .iter()
        .find(|o| o.kind() == kind)
        .and_then(|o| {
            let escaped = key.replace('/', "~1");
            o.value
                .pointer(&format!("/spec/template/metadata/annotations/{escaped}"))
        })
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{kind} has no {key}"))
}

#[test]
fn checksums_change_with_the_configuration_and_only_then() {
    let base = AddonSettings::default();
    let sum = |addon: Addon, kind: &str, settings: &AddonSettings| {
        pod_annotation(
            &rendered(addon, settings, &inputs()),
            kind,
            "checksum/config",
        )
        .to_string()
    };
    let view_only = read_settings(&[], &["kiali.viewOnly=true".into()]).unwrap();
    assert_eq!(
        sum(Addon::Kiali, "Deployment", &base),
        sum(Addon::Kiali, "Deployment", &base)
    );
    assert_ne!(
        sum(Addon::Kiali, "Deployment", &base),
        sum(Addon::Kiali, "Deployment", &view_only)
    );
    // Another secret gives another signing key, so another config.
    let other = RenderInputs {
        secret: b"other".to_vec(),
        ..RenderInputs::default()
    };
    assert_ne!(
        pod_annotation(
            &rendered(Addon::Kiali, &base, &inputs()),
            "Deployment",
            "checksum/config"
        ),
        pod_annotation(
            &rendered(Addon::Kiali, &base, &other),
            "Deployment",
            "checksum/config"
        )
    );
    let moved = read_settings(&[], &["prometheus.namespace=metrics".into()]).unwrap();
    assert_ne!(
        sum(Addon::Grafana, "Deployment", &base),
        sum(Addon::Grafana, "Deployment", &moved)
    );
    let loki = read_settings(&[], &["loki.namespace=logs".into()]).unwrap();
    assert_ne!(
        sum(Addon::Loki, "StatefulSet", &base),
        sum(Addon::Loki, "StatefulSet", &loki)
    );
}

#[test]
fn settings_reach_the_objects() {
    let settings = read_settings(
        &[],
        &[
            "prometheus.retention=30d".into(),
            "prometheus.storage.type=persistentVolumeClaim".into(),
            "prometheus.storage.size=20Gi".into(),
            "grafana.anonymous.enabled=false".into(),
            "jaeger.samplingProbability=0.1".into(),
            "loki.storage.type=emptyDir".into(),
        ],
    )
    .unwrap();
    let prom = rendered(Addon::Prometheus, &settings, &inputs());
    let pvc = prom
        .iter()
        .find(|o| o.kind() == "PersistentVolumeClaim")
        .unwrap();
    assert_eq!(
        pvc.value["spec"]["resources"]["requests"]["storage"],
        "20Gi"
    );
    let deploy = prom.iter().find(|o| o.kind() == "Deployment").unwrap();
    let args = &deploy.value["spec"]["template"]["spec"]["containers"][1]["args"];
    assert_eq!(args[0], "--storage.tsdb.retention.time=30d");
    let grafana = rendered(Addon::Grafana, &settings, &inputs());
    let deploy = grafana.iter().find(|o| o.kind() == "Deployment").unwrap();
    let env = deploy.value["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap();
    let anonymous: Vec<&Value> = env
        .iter()
        .filter(|e| e["name"].as_str().unwrap().starts_with("GF_AUTH_ANONYMOUS"))
        .collect();
    assert_eq!(
        anonymous,
        [&serde_json::json!({"name": "GF_AUTH_ANONYMOUS_ENABLED", "value": "false"})]
    );
    let jaeger = rendered(Addon::Jaeger, &settings, &inputs());
    let cm = jaeger.iter().find(|o| o.kind() == "ConfigMap").unwrap();
    let config =
        mesh_core::from_yaml_str(cm.value["data"]["config.yaml"].as_str().unwrap(), "c").unwrap();
    assert_eq!(
        config["extensions"]["remote_sampling"]["file"]["default_sampling_probability"],
        serde_json::json!(0.1)
    );
    let loki = rendered(Addon::Loki, &settings, &inputs());
    let set = loki.iter().find(|o| o.kind() == "StatefulSet").unwrap();
    assert!(set.value["spec"].get("volumeClaimTemplates").is_none());
}
