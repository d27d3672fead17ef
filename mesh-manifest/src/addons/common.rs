//! Small builders shared by the addon renderers: metadata, probes, ports, env, resources,
//! checksums, and the conversion of typed k8s-openapi objects into [`Object`]s.

use super::settings::{Resources, Storage, StorageType};
use super::sha256::hex_digest;
use crate::Object;
use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMap, ConfigMapVolumeSource, Container, ContainerPort, EnvVar, EnvVarSource,
    HTTPGetAction, ObjectFieldSelector, PersistentVolumeClaim, PersistentVolumeClaimSpec, PodSpec,
    PodTemplateSpec, Probe, ResourceRequirements, SeccompProfile, SecurityContext, Service,
    ServiceAccount, ServicePort, ServiceSpec, Volume, VolumeMount, VolumeResourceRequirements,
};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeMap;

/// The label mesh puts on every addon object in place of Helm's `managed-by` and `helm.sh/chart`.
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "mesh");

/// A label map from pairs.
pub fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Metadata of a namespaced object.
pub fn meta(name: &str, namespace: &str, labels: &BTreeMap<String, String>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        namespace: Some(namespace.into()),
        labels: Some(labels.clone()),
        ..ObjectMeta::default()
    }
}

/// Metadata of a cluster-scoped object.
pub fn cluster_meta(name: &str, labels: &BTreeMap<String, String>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        labels: Some(labels.clone()),
        ..ObjectMeta::default()
    }
}

/// A typed object as an [`Object`], with mesh's `managed-by` label added to its metadata.
pub fn object<T: serde::Serialize>(typed: &T) -> Object {
    // Serializing k8s-openapi structs into a value tree cannot fail (string keys, finite numbers).
    let mut value = serde_json::to_value(typed).unwrap_or_default();
    if let Some(meta) = value.get_mut("metadata").and_then(|m| m.as_object_mut()) {
        let labels = meta
            .entry("labels")
            .or_insert_with(|| serde_json::json!({}));
        if let Some(labels) = labels.as_object_mut() {
            labels.insert(MANAGED_BY.0.into(), MANAGED_BY.1.into());
        }
    }
    Object::new(None, value)
}

/// A ConfigMap with string data.
pub fn config_map(meta: ObjectMeta, data: &[(&str, String)]) -> ConfigMap {
    ConfigMap {
        metadata: meta,
        data: Some(
            data.iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        ),
        ..ConfigMap::default()
    }
}

/// The checksum mesh puts in a `checksum/*` pod annotation: SHA-256 hex of the ConfigMap data
/// (its keys in order, each key and value followed by a NUL byte), so a pod template changes, and
/// its pods roll, whenever the configuration does.
pub fn data_checksum(config_map: &ConfigMap) -> String {
    let mut bytes = Vec::new();
    for (k, v) in config_map.data.iter().flatten() {
        bytes.extend_from_slice(k.as_bytes());
        bytes.push(0);
        bytes.extend_from_slice(v.as_bytes());
        bytes.push(0);
    }
    hex_digest(&bytes)
}

/// A ServiceAccount.
pub fn service_account(meta: ObjectMeta) -> ServiceAccount {
    ServiceAccount {
        metadata: meta,
        ..ServiceAccount::default()
    }
}

/// A ClusterRoleBinding of `role` to the ServiceAccount `account` in `namespace`.
pub fn cluster_role_binding(
    meta: ObjectMeta,
    role: &str,
    account: &str,
    namespace: &str,
) -> ClusterRoleBinding {
    ClusterRoleBinding {
        metadata: meta,
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: "ClusterRole".into(),
            name: role.into(),
        },
        subjects: Some(vec![Subject {
            kind: "ServiceAccount".into(),
            name: account.into(),
            namespace: Some(namespace.into()),
            ..Subject::default()
        }]),
    }
}

/// A ClusterRole `role` with `rules` and its ClusterRoleBinding `binding` to the ServiceAccount
/// `account` in `namespace`.
pub fn cluster_rbac(
    role: &str,
    binding: &str,
    labels: &BTreeMap<String, String>,
    rules: Vec<PolicyRule>,
    account: &str,
    namespace: &str,
) -> [Object; 2] {
    [
        object(&ClusterRole {
            metadata: cluster_meta(role, labels),
            rules: Some(rules),
            aggregation_rule: None,
        }),
        object(&cluster_role_binding(
            cluster_meta(binding, labels),
            role,
            account,
            namespace,
        )),
    ]
}

/// The `app.kubernetes.io/name` and `instance` labels of `name` (the charts' selector).
pub fn name_instance(name: &str) -> BTreeMap<String, String> {
    labels(&[
        ("app.kubernetes.io/name", name),
        ("app.kubernetes.io/instance", name),
    ])
}

/// [`name_instance`] with `app.kubernetes.io/version`.
pub fn name_instance_version(name: &str, version: &str) -> BTreeMap<String, String> {
    let mut l = name_instance(name);
    l.insert("app.kubernetes.io/version".into(), version.into());
    l
}

/// A `type: ClusterIP` Service with `ports` selecting `selector`.
pub fn cluster_ip_service(
    meta: ObjectMeta,
    ports: Vec<ServicePort>,
    selector: &BTreeMap<String, String>,
) -> Service {
    let mut svc = service(meta, ports, selector);
    if let Some(spec) = svc.spec.as_mut() {
        spec.type_ = Some("ClusterIP".into());
    }
    svc
}

/// A policy rule over API groups and resources.
pub fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> PolicyRule {
    PolicyRule {
        api_groups: Some(strings(groups)),
        resources: Some(strings(resources)),
        verbs: strings(verbs),
        ..PolicyRule::default()
    }
}

/// Owned strings.
pub fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// A Service with `ports` selecting `selector`.
pub fn service(
    meta: ObjectMeta,
    ports: Vec<ServicePort>,
    selector: &BTreeMap<String, String>,
) -> Service {
    Service {
        metadata: meta,
        spec: Some(ServiceSpec {
            ports: Some(ports),
            selector: Some(selector.clone()),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

/// A Service port; `target` and `protocol` only when given.
pub fn service_port(
    name: Option<&str>,
    port: i32,
    target: Option<IntOrString>,
    protocol: Option<&str>,
) -> ServicePort {
    ServicePort {
        name: name.map(Into::into),
        port,
        target_port: target,
        protocol: protocol.map(Into::into),
        ..ServicePort::default()
    }
}

/// A container port.
pub fn container_port(name: Option<&str>, port: i32, protocol: Option<&str>) -> ContainerPort {
    ContainerPort {
        name: name.map(Into::into),
        container_port: port,
        protocol: protocol.map(Into::into),
        ..ContainerPort::default()
    }
}

/// An HTTP GET probe on `path` and `port` (a number or a port name).
pub fn http_probe(path: &str, port: IntOrString, scheme: Option<&str>) -> Probe {
    Probe {
        http_get: Some(HTTPGetAction {
            path: Some(path.into()),
            port,
            scheme: scheme.map(Into::into),
            ..HTTPGetAction::default()
        }),
        ..Probe::default()
    }
}

/// An environment variable with a value.
pub fn env(name: &str, value: &str) -> EnvVar {
    EnvVar {
        name: name.into(),
        value: Some(value.into()),
        value_from: None,
    }
}

/// An environment variable read from a field of the pod.
pub fn env_field(name: &str, field_path: &str) -> EnvVar {
    EnvVar {
        name: name.into(),
        value: None,
        value_from: Some(EnvVarSource {
            field_ref: Some(ObjectFieldSelector {
                field_path: field_path.into(),
                ..ObjectFieldSelector::default()
            }),
            ..EnvVarSource::default()
        }),
    }
}

/// A volume mount.
pub fn mount(name: &str, path: &str) -> VolumeMount {
    VolumeMount {
        name: name.into(),
        mount_path: path.into(),
        ..VolumeMount::default()
    }
}

/// A volume of a ConfigMap.
pub fn config_map_volume(name: &str, config_map: &str) -> Volume {
    Volume {
        name: name.into(),
        config_map: Some(ConfigMapVolumeSource {
            name: config_map.into(),
            ..ConfigMapVolumeSource::default()
        }),
        ..Volume::default()
    }
}

/// An `emptyDir` volume.
pub fn empty_dir_volume(name: &str) -> Volume {
    Volume {
        name: name.into(),
        empty_dir: Some(Default::default()),
        ..Volume::default()
    }
}

/// A volume of an existing PersistentVolumeClaim.
pub fn claim_volume(name: &str, claim: &str) -> Volume {
    Volume {
        name: name.into(),
        persistent_volume_claim: Some(
            k8s_openapi::api::core::v1::PersistentVolumeClaimVolumeSource {
                claim_name: claim.into(),
                read_only: None,
            },
        ),
        ..Volume::default()
    }
}

/// A ReadWriteOnce PersistentVolumeClaim of `size` (in `storage_class` when given).
pub fn claim(meta: ObjectMeta, size: &str, storage_class: Option<&str>) -> PersistentVolumeClaim {
    PersistentVolumeClaim {
        metadata: meta,
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteOnce".into()]),
            resources: Some(VolumeResourceRequirements {
                requests: Some([("storage".to_string(), Quantity(size.into()))].into()),
                limits: None,
            }),
            storage_class_name: storage_class.map(Into::into),
            ..PersistentVolumeClaimSpec::default()
        }),
        ..PersistentVolumeClaim::default()
    }
}

/// The pod volume `volume` for `storage`: a PersistentVolumeClaim made from `claim_meta` (pushed
/// to `out`) or an `emptyDir`.
pub fn storage_volume(
    volume: &str,
    claim_meta: ObjectMeta,
    storage: &Storage,
    out: &mut Vec<Object>,
) -> Volume {
    match storage.kind {
        StorageType::PersistentVolumeClaim => {
            let name = claim_meta.name.clone().unwrap_or_default();
            out.push(object(&claim(
                claim_meta,
                &storage.size,
                storage.storage_class.as_deref(),
            )));
            claim_volume(volume, &name)
        }
        _ => empty_dir_volume(volume),
    }
}

/// Container resources from the settings.
pub fn resources(settings: Option<&Resources>) -> Option<ResourceRequirements> {
    let r = settings?;
    let quantities = |m: &BTreeMap<String, String>| {
        (!m.is_empty()).then(|| {
            m.iter()
                .map(|(k, v)| (k.clone(), Quantity(v.clone())))
                .collect()
        })
    };
    Some(ResourceRequirements {
        requests: quantities(&r.requests),
        limits: quantities(&r.limits),
        ..ResourceRequirements::default()
    })
}

/// A container with a name and image; everything else to be filled in.
pub fn container(name: &str, image: &str) -> Container {
    Container {
        name: name.into(),
        image: Some(image.into()),
        ..Container::default()
    }
}

/// Where another addon is reached: `http://NAME:PORT` from its own namespace,
/// `http://NAME.NAMESPACE:PORT` from another.
pub fn service_url(name: &str, namespace: &str, from_namespace: &str, port: u16) -> String {
    if namespace == from_namespace {
        format!("http://{name}:{port}")
    } else {
        format!("http://{name}.{namespace}:{port}")
    }
}

/// A volume of a Secret.
pub fn secret_volume(name: &str, secret: &str, optional: bool) -> Volume {
    Volume {
        name: name.into(),
        secret: Some(k8s_openapi::api::core::v1::SecretVolumeSource {
            secret_name: Some(secret.into()),
            optional: optional.then_some(true),
            ..Default::default()
        }),
        ..Volume::default()
    }
}

/// A container security context that drops every capability and forbids privilege escalation;
/// `seccomp` adds the runtime's default seccomp profile.
pub fn drop_all_security_context(seccomp: bool) -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: Some(false),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".into()]),
            add: None,
        }),
        seccomp_profile: seccomp.then(|| SeccompProfile {
            type_: "RuntimeDefault".into(),
            localhost_profile: None,
        }),
        ..SecurityContext::default()
    }
}

/// A pod template with labels, annotations (none when empty) and a spec.
pub fn pod_template(
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
    spec: PodSpec,
) -> PodTemplateSpec {
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(labels),
            annotations: (!annotations.is_empty()).then_some(annotations),
            ..ObjectMeta::default()
        }),
        spec: Some(spec),
    }
}

/// A Deployment of `template` selecting `selector`.
pub fn deployment(
    meta: ObjectMeta,
    selector: &BTreeMap<String, String>,
    template: PodTemplateSpec,
) -> Deployment {
    Deployment {
        metadata: meta,
        spec: Some(DeploymentSpec {
            selector: LabelSelector {
                match_labels: Some(selector.clone()),
                match_expressions: None,
            },
            template,
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    }
}

/// The `[name, namespace]`-free part of an image reference: `(repository, tag)`.
pub fn split_image(image: &str) -> (&str, &str) {
    match image.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, tag),
        _ => (image, "latest"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_follow_the_data() {
        let a = config_map(ObjectMeta::default(), &[("a", "1".into())]);
        let b = config_map(ObjectMeta::default(), &[("a", "2".into())]);
        // Moving text between key and value changes the checksum too.
        let c = config_map(ObjectMeta::default(), &[("a1", String::new())]);
        assert_eq!(data_checksum(&a).len(), 64);
        assert_ne!(data_checksum(&a), data_checksum(&b));
        assert_ne!(data_checksum(&a), data_checksum(&c));
        assert_eq!(data_checksum(&a), data_checksum(&a.clone()));
    }

    #[test]
    fn urls_are_short_inside_the_namespace() {
        assert_eq!(service_url("loki", "a", "a", 3100), "http://loki:3100");
        assert_eq!(service_url("loki", "a", "b", 3100), "http://loki.a:3100");
    }
}
