//! The exact HTTP requests the engine sends, built without IO: server-side apply, get, list,
//! delete, discovery and access reviews.

use crate::resource::ApiTarget;
use kube::core::Request;
use kube::core::params::{
    DeleteParams, GetParams, ListParams, Patch, PatchParams, PostParams, PropagationPolicy,
};
use mesh_core::Value;

/// A request that could not be built (an invalid object name, typically).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{object}: cannot build the request: {message}")]
pub struct RequestError {
    /// The object the request was for.
    pub object: String,
    /// Why.
    pub message: String,
}

fn fail(object: &str, e: impl std::fmt::Display) -> RequestError {
    RequestError {
        object: object.to_string(),
        message: e.to_string(),
    }
}

/// `Kind/namespace/name` or `Kind/name`, for messages.
pub fn describe(target: &ApiTarget, namespace: &str, name: &str) -> String {
    if target.namespaced && !namespace.is_empty() {
        format!("{}/{namespace}/{name}", target.kind)
    } else {
        format!("{}/{name}", target.kind)
    }
}

/// A server-side apply of `value` (a whole object) by `field_manager`, forcing ownership of
/// conflicting fields, optionally as a server-side dry run (`dryRun=All`).
pub fn apply(
    target: &ApiTarget,
    value: &Value,
    field_manager: &str,
    dry_run: bool,
) -> Result<http::Request<Vec<u8>>, RequestError> {
    apply_with(target, value, field_manager, dry_run, true)
}

/// A server-side apply of `value` by `field_manager`; without `force` the server answers 409
/// (with the conflicting fields and their managers) when another manager owns a field it
/// would change.
pub fn apply_with(
    target: &ApiTarget,
    value: &Value,
    field_manager: &str,
    dry_run: bool,
    force: bool,
) -> Result<http::Request<Vec<u8>>, RequestError> {
    let name = text(value, "/metadata/name");
    let namespace = text(value, "/metadata/namespace");
    let mut params = PatchParams::apply(field_manager);
    params.force = force;
    params.dry_run = dry_run;
    Request::new(target.collection_path(namespace))
        .patch(name, &params, &Patch::Apply(value))
        .map_err(|e| fail(&describe(target, namespace, name), e))
}

/// Reads one object.
pub fn get(
    target: &ApiTarget,
    namespace: &str,
    name: &str,
) -> Result<http::Request<Vec<u8>>, RequestError> {
    Request::new(target.collection_path(namespace))
        .get(name, &GetParams::default())
        .map_err(|e| fail(&describe(target, namespace, name), e))
}

/// Lists a collection (all namespaces when `namespace` is empty) by label selector.
pub fn list(
    target: &ApiTarget,
    namespace: &str,
    selector: &str,
) -> Result<http::Request<Vec<u8>>, RequestError> {
    let mut params = ListParams::default();
    if !selector.is_empty() {
        params = params.labels(selector);
    }
    Request::new(target.collection_path(namespace))
        .list(&params)
        .map_err(|e| fail(&target.collection_path(namespace), e))
}

/// Deletes one object, letting the garbage collector remove its dependents in the background.
pub fn delete(
    target: &ApiTarget,
    namespace: &str,
    name: &str,
    dry_run: bool,
) -> Result<http::Request<Vec<u8>>, RequestError> {
    let params = DeleteParams {
        dry_run,
        propagation_policy: Some(PropagationPolicy::Background),
        ..DeleteParams::default()
    };
    Request::new(target.collection_path(namespace))
        .delete(name, &params)
        .map_err(|e| fail(&describe(target, namespace, name), e))
}

/// The discovery document of one group version (`/api/v1`, `/apis/<group>/<version>`).
pub fn discovery(group: &str, version: &str) -> Result<http::Request<Vec<u8>>, RequestError> {
    let path = if group.is_empty() {
        format!("/api/{version}")
    } else {
        format!("/apis/{group}/{version}")
    };
    http::Request::get(path.as_str())
        .body(Vec::new())
        .map_err(|e| fail(&path, e))
}

/// The server's version (`/version`).
pub fn version() -> Result<http::Request<Vec<u8>>, RequestError> {
    http::Request::get("/version")
        .body(Vec::new())
        .map_err(|e| fail("/version", e))
}

/// A SelfSubjectAccessReview asking whether we may `verb` the `resource` of `group` in
/// `namespace` (cluster-wide when empty).
pub fn access_review(
    verb: &str,
    group: &str,
    resource: &str,
    namespace: &str,
) -> Result<http::Request<Vec<u8>>, RequestError> {
    let mut attributes = serde_json::Map::new();
    attributes.insert("verb".into(), verb.into());
    attributes.insert("group".into(), group.into());
    attributes.insert("resource".into(), resource.into());
    if !namespace.is_empty() {
        attributes.insert("namespace".into(), namespace.into());
    }
    let body = serde_json::json!({
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": attributes},
    });
    let bytes = serde_json::to_vec(&body).map_err(|e| fail(resource, e))?;
    Request::new("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")
        .create(&PostParams::default(), bytes)
        .map_err(|e| fail(resource, e))
}

fn text<'v>(value: &'v Value, pointer: &str) -> &'v str {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use serde_json::json;

    /// The query's parameters, decoded, in order (kube's builder leaves an empty first pair).
    fn query(req: &http::Request<Vec<u8>>) -> Vec<String> {
        req.uri()
            .query()
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| p.replace("%2C", ",").replace("%3D", "="))
            .collect()
    }

    fn deployment() -> ApiTarget {
        ApiTarget::new("apps", "v1", "Deployment", "deployments", true)
    }

    #[test]
    fn apply_is_a_forced_server_side_apply_patch() {
        let obj = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "istiod", "namespace": "istio-system"}});
        let req = apply(&deployment(), &obj, "istio-operator", false).unwrap();
        assert_eq!(req.method(), http::Method::PATCH);
        assert_eq!(
            req.uri().path(),
            "/apis/apps/v1/namespaces/istio-system/deployments/istiod"
        );
        assert_eq!(query(&req), ["force=true", "fieldManager=istio-operator"]);
        assert_eq!(
            req.headers()[http::header::CONTENT_TYPE],
            "application/apply-patch+yaml"
        );
        let body: Value = serde_json::from_slice(req.body()).unwrap();
        assert_eq!(body, obj);
        let dry = apply(&deployment(), &obj, "m", true).unwrap();
        assert_eq!(query(&dry)[0], "dryRun=All");
        let polite = apply_with(&deployment(), &obj, "m", false, false).unwrap();
        assert_eq!(query(&polite), ["fieldManager=m"]);
    }

    #[test]
    fn invalid_names_are_errors_not_panics() {
        let obj = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {}});
        let err = apply(&deployment(), &obj, "m", false).unwrap_err();
        assert!(err.to_string().starts_with("Deployment/"));
    }

    #[test]
    fn delete_sends_background_propagation_and_dry_run_in_the_body() {
        let req = delete(&deployment(), "ns", "x", true).unwrap();
        assert_eq!(req.method(), http::Method::DELETE);
        let body: Value = serde_json::from_slice(req.body()).unwrap();
        assert_eq!(body["propagationPolicy"], "Background");
        assert_eq!(body["dryRun"], json!(["All"]));
    }

    #[test]
    fn list_encodes_the_selector() {
        let req = list(&deployment(), "", "a,b=c").unwrap();
        assert_eq!(req.uri().path(), "/apis/apps/v1/deployments");
        assert_eq!(query(&req), ["labelSelector=a,b=c"]);
    }
}
