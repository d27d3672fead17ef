//! One rendered Kubernetes object, dynamic and reachable as its typed k8s-openapi struct.

use mesh_core::{ComponentName, Value};

/// A rendered Kubernetes object and the component that produced it.
///
/// Objects are kept as value trees rather than k8s-openapi structs because the Istio charts emit
/// explicit `null`s and empty maps that a typed struct cannot represent, and conformance with
/// istioctl's output is judged on those. [`Object::typed`] gives the typed view.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    /// The component that rendered the object (`None` for objects mesh adds, such as Namespaces).
    pub component: Option<ComponentName>,
    /// The object itself: `apiVersion`, `kind`, `metadata`, ...
    pub value: Value,
}

impl Object {
    /// Wraps a value rendered by `component`.
    pub fn new(component: Option<ComponentName>, value: Value) -> Self {
        Object { component, value }
    }

    fn str_at(&self, pointer: &str) -> &str {
        self.value
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// `apiVersion`, e.g. `apps/v1`.
    pub fn api_version(&self) -> &str {
        self.str_at("/apiVersion")
    }

    /// The API group: the part of `apiVersion` before `/`, empty for the core group.
    pub fn group(&self) -> &str {
        self.api_version()
            .rsplit_once('/')
            .map(|(g, _)| g)
            .unwrap_or("")
    }

    /// `kind`, e.g. `Deployment`.
    pub fn kind(&self) -> &str {
        self.str_at("/kind")
    }

    /// `metadata.name`.
    pub fn name(&self) -> &str {
        self.str_at("/metadata/name")
    }

    /// `metadata.namespace`, empty for cluster-scoped objects.
    pub fn namespace(&self) -> &str {
        self.str_at("/metadata/namespace")
    }

    /// The object as its typed k8s-openapi struct.
    pub fn typed<K: serde::de::DeserializeOwned>(&self) -> Result<K, serde_json::Error> {
        serde_json::from_value(self.value.clone())
    }
}
