//! Ownership: the labels every applied object carries (the same keys istioctl uses, so that
//! meshctl and istioctl recognise each other's installs), the field manager, and the label
//! selectors that find an installation's objects again.

use mesh_core::{ComponentName, Value};
use mesh_manifest::Object;
use serde_json::Map;
use std::collections::BTreeMap;

/// Label naming the component that rendered an object (`Base`, `Pilot`, `IngressGateways`, ...).
pub const COMPONENT_LABEL: &str = "operator.istio.io/component";
/// Label marking an object as managed by the installer (value [`MANAGED_VALUE`]).
pub const MANAGED_LABEL: &str = "operator.istio.io/managed";
/// The value of [`MANAGED_LABEL`].
pub const MANAGED_VALUE: &str = "Reconcile";
/// The [`COMPONENT_LABEL`] value of observability addons installed with the control plane
/// (`meshctl install --addons`): pruned by an install that leaves them out, removed by uninstall.
pub const ADDONS_COMPONENT: &str = "Addons";
/// Label carrying the Istio version that installed the object.
pub const VERSION_LABEL: &str = "operator.istio.io/version";
/// Label carrying the IstioOperator's `metadata.name` (only when it has one).
pub const OWNER_NAME_LABEL: &str = "install.operator.istio.io/owning-resource";
/// Label carrying the IstioOperator's `metadata.namespace`.
pub const OWNER_NAMESPACE_LABEL: &str = "install.operator.istio.io/owning-resource-namespace";
/// Label carrying the control plane revision (`default` when there is none).
pub const REVISION_LABEL: &str = "istio.io/rev";

/// The field manager istioctl applies with. meshctl uses the same one by default so that it can
/// take over (and later remove fields of) an installation istioctl made, and vice versa.
pub const DEFAULT_FIELD_MANAGER: &str = "istio-operator";

/// Who owns the objects of one installation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ownership {
    /// The IstioOperator's `metadata.name`, if it has one.
    pub owner_name: Option<String>,
    /// The IstioOperator's `metadata.namespace` (the install namespace).
    pub owner_namespace: String,
    /// The revision (`default` when the configuration sets none).
    pub revision: String,
    /// The Istio version being installed.
    pub version: String,
    /// The server-side apply field manager.
    pub field_manager: String,
}

impl Ownership {
    /// The ownership of an installation of the merged IstioOperator `operator`, at `version`.
    pub fn from_operator(operator: &Value, version: &str) -> Self {
        let text = |p: &str| {
            operator
                .pointer(p)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        Ownership {
            owner_name: text("/metadata/name"),
            owner_namespace: text("/metadata/namespace").unwrap_or_else(|| "istio-system".into()),
            revision: text("/spec/values/revision")
                .or_else(|| text("/spec/revision"))
                .unwrap_or_else(|| "default".into()),
            version: version.to_string(),
            field_manager: DEFAULT_FIELD_MANAGER.to_string(),
        }
    }

    /// The labels of an object rendered by `component`. Objects mesh adds itself (Namespaces)
    /// get no component or revision label: a revision label on a namespace would turn on
    /// sidecar injection there, and without a component label prune and uninstall never
    /// select them.
    pub fn labels_for(&self, component: Option<ComponentName>) -> BTreeMap<String, String> {
        let mut labels = BTreeMap::new();
        labels.insert(MANAGED_LABEL.to_string(), MANAGED_VALUE.to_string());
        labels.insert(VERSION_LABEL.to_string(), self.version.clone());
        if let Some(name) = &self.owner_name {
            labels.insert(OWNER_NAME_LABEL.to_string(), name.clone());
        }
        labels.insert(
            OWNER_NAMESPACE_LABEL.to_string(),
            self.owner_namespace.clone(),
        );
        if let Some(component) = component {
            labels.insert(REVISION_LABEL.to_string(), self.revision.clone());
            labels.insert(COMPONENT_LABEL.to_string(), component.as_str().to_string());
        }
        labels
    }

    /// The labels of an addon object installed with the control plane: those of a component,
    /// with component [`ADDONS_COMPONENT`].
    pub fn addon_labels(&self) -> BTreeMap<String, String> {
        let mut labels = self.labels_for(Some(ComponentName::Pilot));
        labels.insert(COMPONENT_LABEL.to_string(), ADDONS_COMPONENT.to_string());
        labels
    }

    /// The object's value with the ownership labels merged into `metadata.labels` (ours win
    /// over labels of the same key the object already has).
    pub fn label(&self, object: &Object) -> Value {
        let mut value = object.value.clone();
        let Some(root) = value.as_object_mut() else {
            return value;
        };
        let metadata = root
            .entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()));
        if !metadata.is_object() {
            *metadata = Value::Object(Map::new());
        }
        if let Some(metadata) = metadata.as_object_mut() {
            let labels = metadata
                .entry("labels")
                .or_insert_with(|| Value::Object(Map::new()));
            if !labels.is_object() {
                *labels = Value::Object(Map::new());
            }
            if let Some(labels) = labels.as_object_mut() {
                for (k, v) in self.labels_for(object.component) {
                    labels.insert(k, Value::String(v));
                }
            }
        }
        value
    }

    /// `value` without the labels [`Ownership::labels_for`] adds to an object without a component
    /// (a Namespace): how a namespace someone else created is applied, so that its rendered
    /// labels (`topology.istio.io/network`) are set but it never looks like mesh's own.
    pub fn unlabel(&self, value: &Value) -> Value {
        let mut value = value.clone();
        if let Some(labels) = value
            .pointer_mut("/metadata/labels")
            .and_then(Value::as_object_mut)
        {
            for key in self.labels_for(None).keys() {
                labels.remove(key);
            }
        }
        value
    }

    /// The label selector of this installation's component objects: a component label, our
    /// revision and our owner.
    pub fn selector(&self) -> String {
        let mut parts = vec![
            COMPONENT_LABEL.to_string(),
            format!("{REVISION_LABEL}={}", self.revision),
        ];
        if let Some(name) = &self.owner_name {
            parts.push(format!("{OWNER_NAME_LABEL}={name}"));
        }
        parts.push(format!("{OWNER_NAMESPACE_LABEL}={}", self.owner_namespace));
        parts.join(",")
    }

    /// Whether `labels` (an object's `metadata.labels`) match [`Ownership::selector`]. Checked
    /// again on every listed object before deleting it, so that a server that ignores the
    /// selector cannot make us delete what is not ours.
    pub fn owns(&self, labels: Option<&Value>) -> bool {
        let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
        get(COMPONENT_LABEL).is_some()
            && get(REVISION_LABEL) == Some(self.revision.as_str())
            && get(OWNER_NAMESPACE_LABEL) == Some(self.owner_namespace.as_str())
            && self
                .owner_name
                .as_deref()
                .is_none_or(|n| get(OWNER_NAME_LABEL) == Some(n))
    }
}

/// Whether `labels` mark an object of the `Base` component (CRDs, the reader service account,
/// ...) applied by an installer, whatever its revision and owner. Revisions share these objects:
/// every install renders and applies them, so they carry the revision of the latest install
/// (a canary installed beside the default revision relabels them `istio.io/rev=canary`), and
/// uninstalling a revision leaves them. An installation counts them as its own either way.
pub fn is_shared_base(labels: Option<&Value>) -> bool {
    let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
    get(COMPONENT_LABEL) == Some(ComponentName::Base.as_str())
        && get(MANAGED_LABEL) == Some(MANAGED_VALUE)
}

/// An object's `metadata.labels` value, if any.
pub fn labels_of(value: &Value) -> Option<&Value> {
    value.pointer("/metadata/labels")
}

/// One label of an object, if present.
pub fn label_of<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    labels_of(value)
        .and_then(|l| l.get(key))
        .and_then(Value::as_str)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use serde_json::json;

    fn owner() -> Ownership {
        Ownership::from_operator(
            &json!({"metadata": {"namespace": "istio-system"},
                "spec": {"values": {"revision": ""}}}),
            "1.30.3",
        )
    }

    #[test]
    fn revision_defaults_and_owner_name_is_optional() {
        let o = owner();
        assert_eq!(o.revision, "default");
        assert_eq!(o.owner_name, None);
        assert_eq!(
            o.selector(),
            "operator.istio.io/component,istio.io/rev=default,\
             install.operator.istio.io/owning-resource-namespace=istio-system"
        );
        let named = Ownership::from_operator(
            &json!({"metadata": {"name": "x", "namespace": "mesh"},
                "spec": {"values": {"revision": "canary"}}}),
            "1.30.3",
        );
        assert!(named.selector().contains("owning-resource=x"));
        assert!(named.selector().contains("istio.io/rev=canary"));
    }

    #[test]
    fn labels_merge_and_namespaces_get_no_component_or_revision() {
        let o = owner();
        let obj = Object::new(
            Some(ComponentName::Pilot),
            json!({"kind": "Deployment", "metadata": {"name": "istiod",
                "labels": {"app": "istiod", "istio.io/rev": "stale"}}}),
        );
        let v = o.label(&obj);
        assert_eq!(label_of(&v, "app"), Some("istiod"));
        assert_eq!(label_of(&v, REVISION_LABEL), Some("default"));
        assert_eq!(label_of(&v, COMPONENT_LABEL), Some("Pilot"));
        assert!(o.owns(labels_of(&v)));
        let ns = Object::new(
            None,
            json!({"kind": "Namespace", "metadata": {"name": "x"}}),
        );
        let v = o.label(&ns);
        assert_eq!(label_of(&v, REVISION_LABEL), None);
        assert_eq!(label_of(&v, COMPONENT_LABEL), None);
        assert_eq!(label_of(&v, MANAGED_LABEL), Some("Reconcile"));
        assert!(!o.owns(labels_of(&v)));
        // Someone else's namespace: the rendered labels only.
        let network = Object::new(
            None,
            json!({"kind": "Namespace", "metadata": {"name": "x",
                "labels": {"topology.istio.io/network": "net1"}}}),
        );
        let v = o.unlabel(&o.label(&network));
        assert_eq!(
            labels_of(&v),
            Some(&json!({"topology.istio.io/network": "net1"}))
        );
        assert_eq!(
            o.unlabel(&json!({"kind": "Namespace"})),
            json!({"kind": "Namespace"})
        );
    }

    #[test]
    fn other_revisions_and_owners_are_not_ours() {
        let o = owner();
        let theirs = json!({"operator.istio.io/component": "Pilot", "istio.io/rev": "canary",
            "install.operator.istio.io/owning-resource-namespace": "istio-system"});
        assert!(!o.owns(Some(&theirs)));
        assert!(!o.owns(None));
        assert!(!is_shared_base(Some(&theirs)));
    }

    #[test]
    fn base_objects_of_any_revision_are_shared() {
        let canary = json!({"operator.istio.io/component": "Base", "istio.io/rev": "canary",
            "operator.istio.io/managed": "Reconcile",
            "install.operator.istio.io/owning-resource-namespace": "istio-system"});
        assert!(!owner().owns(Some(&canary)));
        assert!(is_shared_base(Some(&canary)));
        // Made by hand with a look-alike component label: not an installer's.
        let by_hand = json!({"operator.istio.io/component": "Base"});
        assert!(!is_shared_base(Some(&by_hand)));
        assert!(!is_shared_base(None));
    }
}
