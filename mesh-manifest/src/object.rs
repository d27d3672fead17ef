//! One rendered Kubernetes object, dynamic and reachable as its typed k8s-openapi struct.

mod pointer;
mod shared_value;

pub(crate) use pointer::pointer_get;
pub(crate) use shared_value::Prebuilt;
pub use shared_value::SharedValue;

use mesh_core::{ComponentName, Value};

/// A rendered Kubernetes object and the component that produced it.
///
/// Objects are kept as value trees rather than k8s-openapi structs because the Istio charts emit
/// explicit `null`s and empty maps that a typed struct cannot represent, and conformance with
/// istioctl's output is judged on those. [`Object::typed`] gives the typed view.
///
/// Cloning an object is cheap: the clone shares the value tree until one of them changes it
/// (see [`SharedValue`]).
#[derive(Debug, PartialEq)]
pub struct Object {
    /// The component that rendered the object (`None` for objects mesh adds, such as Namespaces).
    pub component: Option<ComponentName>,
    /// The object itself: `apiVersion`, `kind`, `metadata`, ... Reads and writes go through
    /// it as through a [`Value`]; `object.value.clone()` is an owned [`Value`].
    pub value: SharedValue,
}

impl Clone for Object {
    fn clone(&self) -> Self {
        Object {
            component: self.component,
            value: self.value.share(),
        }
    }
}

impl Object {
    /// Wraps a value rendered by `component`.
    pub fn new(component: Option<ComponentName>, value: Value) -> Self {
        Self::shared(component, SharedValue::new(value))
    }

    /// Wraps a value tree that other objects may share (a CRD built once per process).
    pub fn shared(component: Option<ComponentName>, value: SharedValue) -> Self {
        Object { component, value }
    }

    /// The object's value tree, owned (a copy only when another object shares it).
    pub fn into_value(self) -> Value {
        self.value.into_value()
    }

    fn str_at(&self, pointer: &str) -> &str {
        self.value
            .lookup(pointer)
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
        // Read from the tree in place: no copy of it.
        K::deserialize(&*self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn clones_share_until_one_writes() {
        let a = Object::new(None, json!({"kind": "ConfigMap", "data": {"k": "v"}}));
        let mut b = a.clone();
        assert!(a.value.is_shared_with(&b.value));
        b.value["data"]["k"] = json!("changed");
        assert!(!a.value.is_shared_with(&b.value));
        assert_eq!(a.value["data"]["k"], json!("v"));
        assert_eq!(b.value["data"]["k"], json!("changed"));
    }

    #[test]
    fn reads_compare_and_convert_like_a_value() {
        let o = Object::new(None, json!({"kind": "Service"}));
        let owned: Value = o.value.clone();
        assert_eq!(owned, o.value);
        assert_eq!(o.value, owned);
        assert_eq!(o.kind(), "Service");
        assert_eq!(format!("{:?}", o.value), format!("{owned:?}"));
        assert_eq!(o.into_value(), owned);
    }
}
