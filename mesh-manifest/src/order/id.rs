//! The identity of a Kubernetes object: API group, kind, namespace and name.

use crate::Object;
use crate::object::pointer_get;
use mesh_core::Value;
use std::fmt;

/// How an object is told apart from every other object in a manifest: (group, kind, namespace,
/// name). The API version is left out on purpose: `apps/v1` and `apps/v1beta1` Deployments of the
/// same name are the same object on a cluster.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ObjectId {
    /// API group, empty for the core group (`v1`).
    pub group: String,
    /// Kind, e.g. `Deployment`.
    pub kind: String,
    /// Namespace, empty for cluster-scoped objects.
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
}

impl ObjectId {
    /// Builds an id from its four parts.
    pub fn new(group: &str, kind: &str, namespace: &str, name: &str) -> Self {
        ObjectId {
            group: group.to_string(),
            kind: kind.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }

    /// The id of a rendered object.
    pub fn of(object: &Object) -> Self {
        // Through the object's accessors, which read a prebuilt CRD without parsing it.
        ObjectId::new(
            object.group(),
            object.kind(),
            object.namespace(),
            object.name(),
        )
    }

    /// The id of an object given as a value tree (missing fields become empty strings).
    pub fn of_value(value: &Value) -> Self {
        let text = |pointer: &str| {
            pointer_get(value, pointer)
                .and_then(Value::as_str)
                .unwrap_or("")
        };
        let group = text("/apiVersion").rsplit_once('/').map_or("", |(g, _)| g);
        ObjectId::new(
            group,
            text("/kind"),
            text("/metadata/namespace"),
            text("/metadata/name"),
        )
    }
}

impl fmt::Display for ObjectId {
    /// `Kind.group/namespace/name`, leaving out the parts that are empty (`Deployment.apps/istio-system/istiod`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.kind)?;
        if !self.group.is_empty() {
            write!(f, ".{}", self.group)?;
        }
        f.write_str("/")?;
        if !self.namespace.is_empty() {
            write!(f, "{}/", self.namespace)?;
        }
        f.write_str(&self.name)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn id_takes_the_group_from_api_version_and_prints_compactly() {
        let d = ObjectId::of_value(&json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "istiod", "namespace": "istio-system"}}));
        assert_eq!(
            d,
            ObjectId::new("apps", "Deployment", "istio-system", "istiod")
        );
        assert_eq!(d.to_string(), "Deployment.apps/istio-system/istiod");
        let ns = ObjectId::of_value(&json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "x"}}));
        assert_eq!(ns.to_string(), "Namespace/x");
    }
}
