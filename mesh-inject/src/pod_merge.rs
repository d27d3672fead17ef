//! The injector's strategic merge of a template's pod over the user's pod: mesh-core's
//! [`strategic`] merge with the injector's table and options (see there for how they differ
//! from the API server's).

use mesh_core::Value;
use mesh_core::strategic::{self, Directives, Field, ListMerge, Options, Schema, Type};

/// The injector's merge table: a Pod's `spec`, the PodSpec and Container merge lists, and
/// Container `resizePolicy` merged by `resourceName` (which the API server's table does not
/// have). Pod `metadata` lists (`finalizers`, `ownerReferences`) are replaced.
const POD: Schema = Schema {
    groups: &[
        &[Field {
            holders: &[Type::Pod],
            names: &["spec"],
            ty: Type::PodSpec,
            list: ListMerge::Replace,
        }],
        strategic::POD_SPEC,
        strategic::CONTAINER,
        &[Field {
            holders: &[Type::Container],
            names: &["resizePolicy"],
            ty: Type::Other,
            list: ListMerge::Key("resourceName"),
        }],
    ],
};

fn merge(target: &mut Value, patch: Value, directives: Directives) {
    let options = Options {
        schema: POD,
        directives,
        same_key,
    };
    // Only `Directives::Strict` can fail.
    let _never_fails = strategic::merge(target, patch, Type::Pod, &options);
}

/// Merges `patch` (a pod: `metadata` and `spec`) into `target` (a pod) with strategic merge rules.
pub(crate) fn merge_pod(target: &mut Value, patch: Value) {
    merge(target, patch, Directives::Lenient);
}

/// [`merge_pod`] for a patch known to hold no `$patch` directives (mesh's own overlays): skips
/// looking for them.
pub(crate) fn merge_pod_plain(target: &mut Value, patch: Value) {
    merge(target, patch, Directives::Ignored);
}

/// Merge keys compare by value; a port written as a string matches the same number.
pub(crate) fn same_key(a: &Value, b: &Value) -> bool {
    match (a, b) {
        // The common case (names): two strings match only when equal, no need to print them.
        (Value::String(x), Value::String(y)) => x == y,
        _ => a == b || mesh_core::go::scalar_string(a) == mesh_core::go::scalar_string(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merges_containers_by_name_and_appends_new_ones() {
        let mut pod = json!({"spec": {"containers": [
            {"name": "app", "image": "a", "env": [{"name": "X", "value": "1"}]},
            {"name": "istio-proxy", "image": "auto", "args": ["-c", "x"]}
        ]}});
        let patch = json!({"spec": {"containers": [
            {"name": "istio-proxy", "image": "proxy", "args": ["proxy"], "env": [{"name": "A", "value": "b"}]},
            {"name": "new", "image": "n"}
        ], "volumes": [{"name": "v", "emptyDir": {}}]}});
        merge_pod(&mut pod, patch);
        assert_eq!(
            pod,
            json!({"spec": {"containers": [
                {"name": "app", "image": "a", "env": [{"name": "X", "value": "1"}]},
                {"name": "istio-proxy", "image": "proxy", "args": ["proxy"], "env": [{"name": "A", "value": "b"}]},
                {"name": "new", "image": "n"}
            ], "volumes": [{"name": "v", "emptyDir": {}}]}})
        );
    }

    #[test]
    fn merges_env_by_name_and_ports_by_number() {
        let mut pod = json!({"spec": {"containers": [{"name": "c",
            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
            "ports": [{"containerPort": 80, "name": "http"}]}]}});
        let patch = json!({"spec": {"containers": [{"name": "c",
            "env": [{"name": "B", "value": "3"}, {"name": "C", "value": "4"}],
            "ports": [{"containerPort": 80, "protocol": "TCP"}]}]}});
        merge_pod(&mut pod, patch);
        assert_eq!(
            pod["spec"]["containers"][0]["env"],
            json!([{"name": "A", "value": "1"}, {"name": "B", "value": "3"}, {"name": "C", "value": "4"}])
        );
        assert_eq!(
            pod["spec"]["containers"][0]["ports"],
            json!([{"containerPort": 80, "name": "http", "protocol": "TCP"}])
        );
    }

    #[test]
    fn null_deletes_and_replace_directive_replaces() {
        let mut pod =
            json!({"metadata": {"labels": {"a": "1", "b": "2"}, "annotations": {"x": "y"}}});
        let patch = json!({"metadata": {"labels": {"$patch": "replace", "foo": "bar"}, "annotations": {"x": null}}});
        merge_pod(&mut pod, patch);
        assert_eq!(
            pod,
            json!({"metadata": {"labels": {"foo": "bar"}, "annotations": {}}})
        );
    }

    #[test]
    fn args_are_replaced_not_merged() {
        let mut pod = json!({"spec": {"containers": [{"name": "c", "args": ["a", "b"]}]}});
        merge_pod(
            &mut pod,
            json!({"spec": {"containers": [{"name": "c", "args": ["z"]}]}}),
        );
        assert_eq!(pod["spec"]["containers"][0]["args"], json!(["z"]));
    }
}
