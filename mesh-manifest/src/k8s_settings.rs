//! `components.<component>.k8s`: the Kubernetes settings applied to a component's rendered objects
//! after rendering, as istioctl 1.30.3 applies them.
//!
//! Each setting is a strategic merge patch ([`mesh_core::strategic::api_server`]) of one object
//! of the component, matched by kind and name:
//!
//! | setting | object | where |
//! |---|---|---|
//! | `affinity`, `nodeSelector`, `priorityClassName`, `securityContext`, `tolerations` | workload | `spec.template.spec.<setting>` |
//! | `env`, `imagePullPolicy`, `readinessProbe`, `resources` | workload | the component's container |
//! | `podAnnotations` | workload | `spec.template.metadata.annotations` |
//! | `replicaCount` | workload | `spec.replicas` |
//! | `strategy` | workload | `spec.strategy` |
//! | `hpaSpec` | HorizontalPodAutoscaler | `spec` |
//! | `podDisruptionBudget` | PodDisruptionBudget | `spec` (a `maxUnavailable` clears `minAvailable`) |
//! | `service` | Service | `spec` (gateway Service ports come from the chart values instead) |
//! | `serviceAnnotations` | Service | `metadata.annotations` |
//! | `volumes` | workload | `spec.template.spec.volumes` (mesh only, see below) |
//! | `volumeMounts` | workload | the component's container (mesh only) |
//!
//! The workload is the component's Deployment (DaemonSet for `cni` and `ztunnel`) named like the
//! component (`istiod[-<revision>]`, the gateway's `name`, `istio-cni-node`, `ztunnel`); the
//! autoscaler, budget and Service share that name. `base` has no workload, so only its overlays
//! apply. istioctl 1.30.3 accepts `volumes` and `volumeMounts` but silently ignores them; mesh
//! applies them where their names say.
//!
//! Then `k8s.overlays` patch any object of the component by kind and name (see [`overlay`]).

mod overlay;
pub use overlay::OverlayError;

use crate::Object;
use crate::order::ObjectId;
use mesh_core::obj;
use mesh_core::strategic::{self, MergeError};
use mesh_core::{ComponentName, Value};
use serde_json::{Map, json};

/// The workload a component's `k8s` settings patch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadTarget {
    /// `Deployment` or `DaemonSet`.
    pub kind: &'static str,
    /// Its name, also the name of the component's Service, HPA and PDB.
    pub name: String,
    /// The container that `env`, `resources`, ... apply to.
    pub container: &'static str,
}

/// One component instance whose objects the settings apply to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentTarget {
    /// The component.
    pub component: ComponentName,
    /// Its workload, `None` for `base`.
    pub workload: Option<WorkloadTarget>,
}

impl ComponentTarget {
    /// The target of `component`; `gateway_name` is a gateway's `name` (required for gateways to
    /// name their workload), `revision` the control plane revision (`""` or `default` for none).
    pub fn new(component: ComponentName, gateway_name: Option<&str>, revision: &str) -> Self {
        let revisioned = |base: &str| match revision {
            "" | "default" => base.to_string(),
            rev => format!("{base}-{rev}"),
        };
        let workload = |kind, name: String, container| {
            Some(WorkloadTarget {
                kind,
                name,
                container,
            })
        };
        let gateway = |fallback: &str| {
            gateway_name
                .filter(|n| !n.is_empty())
                .unwrap_or(fallback)
                .to_string()
        };
        let workload = match component {
            ComponentName::Base => None,
            ComponentName::Pilot => workload("Deployment", revisioned("istiod"), "discovery"),
            ComponentName::IngressGateways => {
                workload("Deployment", gateway("istio-ingressgateway"), "istio-proxy")
            }
            ComponentName::EgressGateways => {
                workload("Deployment", gateway("istio-egressgateway"), "istio-proxy")
            }
            ComponentName::Cni => workload("DaemonSet", "istio-cni-node".into(), "install-cni"),
            ComponentName::Ztunnel => workload("DaemonSet", "ztunnel".into(), "istio-proxy"),
        };
        ComponentTarget {
            component,
            workload,
        }
    }
}

/// What applying the settings did besides patching.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct K8sOutcome {
    /// Overlays that matched no object, as `<source>.overlays[i] (Kind/name)`; istioctl ignores
    /// these silently, a caller may warn.
    pub unmatched_overlays: Vec<String>,
}

/// A `k8s` block that cannot be applied. `path` is the dotted path from the IstioOperator's
/// `spec` (the `source` given to [`apply_k8s`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum K8sError {
    /// A field that `k8s` (or an overlay) does not have.
    #[error("{path}: unknown field")]
    UnknownField {
        /// Where.
        path: String,
    },
    /// A value of the wrong type.
    #[error("{path}: expected {expected}, got {got}")]
    BadValue {
        /// Where.
        path: String,
        /// What was expected.
        expected: &'static str,
        /// What was found.
        got: String,
    },
    /// A setting's strategic merge patch failed on an object.
    #[error("{path}: patching {object}: {source}")]
    Patch {
        /// The setting.
        path: String,
        /// The object being patched.
        object: Box<ObjectId>,
        /// Why.
        #[source]
        source: MergeError,
    },
    /// An overlay patch's path cannot be parsed.
    #[error(
        "{path}: {source} (at byte {}); expected a path like a.b.[key:value].c",
        .source.position()
    )]
    OverlayPath {
        /// The patch's `path` field (`...overlays[0].patches[1].path`).
        path: String,
        /// What is wrong with the path as written (which it holds), and where.
        #[source]
        source: mesh_core::ParsePathError,
    },
    /// An overlay patch failed on an object.
    #[error("{path}: {object}: {source}")]
    Overlay {
        /// The overlay patch (`...overlays[0].patches[1] (path ...)`).
        path: String,
        /// The object being patched.
        object: Box<ObjectId>,
        /// Why.
        #[source]
        source: overlay::OverlayError,
    },
}

/// The expected JSON shape of a setting.
#[derive(Clone, Copy)]
enum Shape {
    Map,
    StringMap,
    List,
    Text,
    Count,
}

/// Which object a setting patches.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TargetObject {
    Workload,
    Hpa,
    Pdb,
    Service,
}

/// Every setting: name, shape, target object, and where it goes in that object.
const SETTINGS: [(&str, Shape, TargetObject, Place); 18] = [
    (
        "affinity",
        Shape::Map,
        TargetObject::Workload,
        Place::PodSpec,
    ),
    ("env", Shape::List, TargetObject::Workload, Place::Container),
    ("hpaSpec", Shape::Map, TargetObject::Hpa, Place::Spec),
    (
        "imagePullPolicy",
        Shape::Text,
        TargetObject::Workload,
        Place::Container,
    ),
    (
        "nodeSelector",
        Shape::StringMap,
        TargetObject::Workload,
        Place::PodSpec,
    ),
    (
        "podAnnotations",
        Shape::StringMap,
        TargetObject::Workload,
        Place::PodAnnotations,
    ),
    (
        "podDisruptionBudget",
        Shape::Map,
        TargetObject::Pdb,
        Place::Spec,
    ),
    (
        "priorityClassName",
        Shape::Text,
        TargetObject::Workload,
        Place::PodSpec,
    ),
    (
        "readinessProbe",
        Shape::Map,
        TargetObject::Workload,
        Place::Container,
    ),
    (
        "replicaCount",
        Shape::Count,
        TargetObject::Workload,
        Place::Replicas,
    ),
    (
        "resources",
        Shape::Map,
        TargetObject::Workload,
        Place::Container,
    ),
    (
        "securityContext",
        Shape::Map,
        TargetObject::Workload,
        Place::PodSpec,
    ),
    ("service", Shape::Map, TargetObject::Service, Place::Spec),
    (
        "serviceAnnotations",
        Shape::StringMap,
        TargetObject::Service,
        Place::Annotations,
    ),
    (
        "strategy",
        Shape::Map,
        TargetObject::Workload,
        Place::WorkloadSpec,
    ),
    (
        "tolerations",
        Shape::List,
        TargetObject::Workload,
        Place::PodSpec,
    ),
    (
        "volumeMounts",
        Shape::List,
        TargetObject::Workload,
        Place::Container,
    ),
    (
        "volumes",
        Shape::List,
        TargetObject::Workload,
        Place::PodSpec,
    ),
];

/// Where a setting's value goes inside its object.
#[derive(Clone, Copy)]
enum Place {
    /// `spec.template.spec.<setting>`.
    PodSpec,
    /// `<setting>` of the component's container.
    Container,
    /// `spec.template.metadata.annotations`.
    PodAnnotations,
    /// `spec.replicas`.
    Replicas,
    /// `spec.<setting>`.
    WorkloadSpec,
    /// `spec` itself.
    Spec,
    /// `metadata.annotations`.
    Annotations,
}

fn type_name(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => format!("string {s:?}"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a map".into(),
    }
}

fn check_shape(value: &Value, shape: Shape, path: &str) -> Result<(), K8sError> {
    let bad = |expected| K8sError::BadValue {
        path: path.to_string(),
        expected,
        got: type_name(value),
    };
    match (shape, value) {
        (_, Value::Null) => Ok(()),
        (Shape::Map, Value::Object(_)) | (Shape::List, Value::Array(_)) => Ok(()),
        (Shape::Text, Value::String(_)) => Ok(()),
        (Shape::Count, Value::Number(n))
            if n.as_u64().is_some_and(|c| c <= u64::from(u32::MAX)) =>
        {
            Ok(())
        }
        (Shape::StringMap, Value::Object(m)) => match m.iter().find(|(_, v)| !v.is_string()) {
            None => Ok(()),
            Some((k, v)) => Err(K8sError::BadValue {
                path: format!("{path}.{k}"),
                expected: "a string",
                got: type_name(v),
            }),
        },
        (Shape::Map, _) => Err(bad("a map")),
        (Shape::StringMap, _) => Err(bad("a map of strings")),
        (Shape::List, _) => Err(bad("a list")),
        (Shape::Text, _) => Err(bad("a string")),
        (Shape::Count, _) => Err(bad("a non-negative integer")),
    }
}

/// The strategic merge patch that puts `value` at `place` of a workload whose component
/// container is `container`.
fn patch_for(name: &str, value: &Value, place: Place, container: &str) -> Value {
    match place {
        Place::PodSpec => obj! { "spec" => json!({"template": {"spec": {name: value}}}) },
        Place::Container => {
            obj! { "spec" => json!({"template": {"spec": {"containers": [{"name": container, name: value}]}}}) }
        }
        Place::PodAnnotations => {
            obj! { "spec" => json!({"template": {"metadata": {"annotations": value}}}) }
        }
        Place::Replicas => obj! { "spec" => json!({"replicas": value}) },
        Place::WorkloadSpec => obj! { "spec" => json!({name: value}) },
        Place::Spec => obj! { "spec" => value.clone() },
        Place::Annotations => obj! { "metadata" => json!({"annotations": value}) },
    }
}

/// Applies a component's `k8s` block (`k8s`, found at `source`, e.g.
/// `components.ingressGateways[0].k8s`) to the objects it rendered. Objects of other components
/// in `objects` are left alone.
pub fn apply_k8s(
    objects: &mut [Object],
    target: &ComponentTarget,
    k8s: &Value,
    source: &str,
) -> Result<K8sOutcome, K8sError> {
    let settings = match k8s {
        Value::Null => return Ok(K8sOutcome::default()),
        Value::Object(m) => m,
        other => {
            return Err(K8sError::BadValue {
                path: source.to_string(),
                expected: "a map",
                got: type_name(other),
            });
        }
    };
    for (key, value) in settings {
        let path = format!("{source}.{key}");
        match SETTINGS.iter().find(|(name, ..)| name == key) {
            Some((_, shape, ..)) => check_shape(value, *shape, &path)?,
            None if key == "overlays" => check_shape(value, Shape::List, &path)?,
            None => return Err(K8sError::UnknownField { path }),
        }
    }
    if let Some(workload) = &target.workload {
        apply_settings(objects, target, workload, settings, source)?;
    }
    let mut outcome = K8sOutcome::default();
    let overlays = settings.get("overlays").and_then(Value::as_array);
    for (i, overlay) in overlays.into_iter().flatten().enumerate() {
        let path = format!("{source}.overlays[{i}]");
        if !apply_overlay(objects, target.component, overlay, &path)? {
            let kind = overlay.get("kind").and_then(Value::as_str).unwrap_or("");
            let name = overlay.get("name").and_then(Value::as_str).unwrap_or("");
            outcome
                .unmatched_overlays
                .push(format!("{path} ({kind}/{name})"));
        }
    }
    Ok(outcome)
}

fn apply_settings(
    objects: &mut [Object],
    target: &ComponentTarget,
    workload: &WorkloadTarget,
    settings: &Map<String, Value>,
    source: &str,
) -> Result<(), K8sError> {
    let is_gateway = matches!(
        target.component,
        ComponentName::IngressGateways | ComponentName::EgressGateways
    );
    for (name, _, object, place) in SETTINGS {
        let value = match (name, settings.get(name)) {
            // Gateway Service ports are chart values (they also shape the pod's ports), so the
            // patch must not touch them; istioctl empties them and applies the rest.
            ("service", v) if is_gateway => {
                let mut service = v.and_then(Value::as_object).cloned().unwrap_or_default();
                service.insert("ports".into(), json!([]));
                Value::Object(service)
            }
            (_, Some(v)) => v.clone(),
            (_, None) => continue,
        };
        let kind = match object {
            TargetObject::Workload => workload.kind,
            TargetObject::Hpa => "HorizontalPodAutoscaler",
            TargetObject::Pdb => "PodDisruptionBudget",
            TargetObject::Service => "Service",
        };
        let patch = patch_for(name, &value, place, workload.container);
        let path = format!("{source}.{name}");
        for o in objects.iter_mut() {
            if o.component != Some(target.component)
                || o.kind() != kind
                || o.name() != workload.name
            {
                continue;
            }
            let (api_version, kind) = (o.api_version().to_string(), o.kind().to_string());
            strategic::api_server(&mut o.value, patch.clone(), &api_version, &kind).map_err(
                |source| K8sError::Patch {
                    path: path.clone(),
                    object: Box::new(ObjectId::of(o)),
                    source,
                },
            )?;
            if object == TargetObject::Pdb {
                clear_min_available(&mut o.value);
            }
        }
    }
    Ok(())
}

/// A budget cannot have both `minAvailable` and `maxUnavailable`; the chart sets `minAvailable`,
/// so a user's `maxUnavailable` wins. Like istioctl, the field is set to `null`.
fn clear_min_available(pdb: &mut Value) {
    if let Some(spec) = pdb.get_mut("spec").and_then(Value::as_object_mut)
        && spec.contains_key("maxUnavailable")
        && spec.contains_key("minAvailable")
    {
        spec.insert("minAvailable".into(), Value::Null);
    }
}

/// Applies one overlay to the matching objects; `false` when none matched.
fn apply_overlay(
    objects: &mut [Object],
    component: ComponentName,
    overlay: &Value,
    path: &str,
) -> Result<bool, K8sError> {
    let fields = overlay.as_object().ok_or_else(|| K8sError::BadValue {
        path: path.to_string(),
        expected: "a map",
        got: type_name(overlay),
    })?;
    let mut kind = "";
    let mut name = "";
    for (key, value) in fields {
        let here = format!("{path}.{key}");
        match key.as_str() {
            "apiVersion" | "kind" | "name" => {
                check_shape(value, Shape::Text, &here)?;
                let text = value.as_str().unwrap_or("");
                match key.as_str() {
                    "kind" => kind = text,
                    "name" => name = text,
                    _ => {}
                }
            }
            "patches" => check_shape(value, Shape::List, &here)?,
            _ => return Err(K8sError::UnknownField { path: here }),
        }
    }
    let patches = parse_patches(fields.get("patches"), path)?;
    let mut matched = false;
    for o in objects.iter_mut() {
        // istioctl ignores the overlay's apiVersion and namespace: kind and name pick the object.
        if o.component != Some(component) || o.kind() != kind || o.name() != name {
            continue;
        }
        matched = true;
        for (patch_path, steps, value) in &patches {
            overlay::apply(&mut o.value, steps, value.as_ref()).map_err(|source| {
                K8sError::Overlay {
                    path: patch_path.clone(),
                    object: Box::new(ObjectId::of(o)),
                    source,
                }
            })?;
        }
    }
    Ok(matched)
}

type ParsedPatch = (String, mesh_core::Path, Option<Value>);

fn parse_patches(patches: Option<&Value>, path: &str) -> Result<Vec<ParsedPatch>, K8sError> {
    let mut out = Vec::new();
    let list = patches.and_then(Value::as_array);
    for (j, patch) in list.into_iter().flatten().enumerate() {
        let here = format!("{path}.patches[{j}]");
        let fields = patch.as_object().ok_or_else(|| K8sError::BadValue {
            path: here.clone(),
            expected: "a map",
            got: type_name(patch),
        })?;
        if let Some(unknown) = fields
            .keys()
            .find(|k| !matches!(k.as_str(), "path" | "value"))
        {
            return Err(K8sError::UnknownField {
                path: format!("{here}.{unknown}"),
            });
        }
        let text = fields.get("path").and_then(Value::as_str).unwrap_or("");
        let steps = overlay::parse_path(text).map_err(|source| K8sError::OverlayPath {
            path: format!("{here}.path"),
            source,
        })?;
        out.push((
            format!("{here} (path {text})"),
            steps,
            fields.get("value").cloned(),
        ));
    }
    Ok(out)
}
