//! The engine's only door to the cluster: sends the requests of [`crate::requests`] through a
//! [`kube::Client`] (a real connection, or a mock service in tests) and turns failures into
//! [`ClusterError`]s.

use crate::error::{Action, Cause, ClusterError};
use crate::precheck::AccessDecision;
use crate::requests::{self, RequestError, describe};
use crate::resource::ApiTarget;
use crate::takeover::{FieldConflict, field_conflicts};
use crate::version::KubeVersion;
use mesh_core::Value;

/// A connection to one cluster.
#[derive(Clone)]
pub struct Cluster {
    client: kube::Client,
}

impl Cluster {
    /// Wraps a client.
    pub fn new(client: kube::Client) -> Self {
        Cluster { client }
    }

    /// The underlying client.
    pub fn client(&self) -> &kube::Client {
        &self.client
    }

    async fn send(
        &self,
        request: Result<http::Request<Vec<u8>>, RequestError>,
        action: Action,
        object: &str,
    ) -> Result<Value, ClusterError> {
        let request = request.map_err(|e| ClusterError::Client {
            action,
            object: object.to_string(),
            source: Cause::msg(e.message),
        })?;
        self.client
            .request::<Value>(request)
            .await
            .map_err(|e| ClusterError::from_kube(e, action, object))
    }

    /// The server's Kubernetes version; also the cheapest way to learn whether the cluster
    /// can be reached at all.
    pub async fn version(&self) -> Result<KubeVersion, ClusterError> {
        let info = self
            .send(requests::version(), Action::Version, "the cluster")
            .await?;
        KubeVersion::from_info(&info).ok_or_else(|| ClusterError::Decode {
            action: Action::Version,
            object: "the cluster".into(),
            source: Cause::msg(format!("no major/minor version in {info}")),
        })
    }

    /// Server-side applies a whole object; returns the object as the server has it.
    pub async fn apply(
        &self,
        target: &ApiTarget,
        value: &Value,
        field_manager: &str,
        dry_run: bool,
    ) -> Result<Value, ClusterError> {
        let object = describe(
            target,
            text(value, "/metadata/namespace"),
            text(value, "/metadata/name"),
        );
        self.send(
            requests::apply(target, value, field_manager, dry_run),
            Action::Apply,
            &object,
        )
        .await
    }

    /// Server-side applies a whole object without forcing first; when the server refuses
    /// because another field manager changed fields we set (409 with field-manager conflicts),
    /// applies again with `force` and returns those fields with their managers. Returns the
    /// object as the server has it. One request when nothing conflicts.
    pub async fn apply_taking_back(
        &self,
        target: &ApiTarget,
        value: &Value,
        field_manager: &str,
        dry_run: bool,
    ) -> Result<(Value, Vec<FieldConflict>), ClusterError> {
        let object = describe(
            target,
            text(value, "/metadata/namespace"),
            text(value, "/metadata/name"),
        );
        let request =
            requests::apply_with(target, value, field_manager, dry_run, false).map_err(|e| {
                ClusterError::Client {
                    action: Action::Apply,
                    object: object.clone(),
                    source: Cause::msg(e.message),
                }
            })?;
        let err = match self.client.request::<Value>(request).await {
            Ok(applied) => return Ok((applied, Vec::new())),
            Err(e) => e,
        };
        let conflicts = match &err {
            kube::Error::Api(status) if status.code == 409 => serde_json::to_value(status)
                .map(|s| field_conflicts(&s))
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        if conflicts.is_empty() {
            return Err(ClusterError::from_kube(err, Action::Apply, &object));
        }
        let applied = self.apply(target, value, field_manager, dry_run).await?;
        Ok((applied, conflicts))
    }

    /// Reads one object; `None` when it does not exist.
    pub async fn get(
        &self,
        target: &ApiTarget,
        namespace: &str,
        name: &str,
    ) -> Result<Option<Value>, ClusterError> {
        let object = describe(target, namespace, name);
        match self
            .send(requests::get(target, namespace, name), Action::Get, &object)
            .await
        {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Lists the objects of a kind matching `selector` (all namespaces when `namespace` is
    /// empty). A kind the server does not serve (its CRD is not installed) has no objects.
    pub async fn list(
        &self,
        target: &ApiTarget,
        namespace: &str,
        selector: &str,
    ) -> Result<Vec<Value>, ClusterError> {
        let object = target.collection_path(namespace);
        match self
            .send(
                requests::list(target, namespace, selector),
                Action::List,
                &object,
            )
            .await
        {
            Ok(v) => Ok(v
                .get("items")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()),
            Err(e) if e.is_not_found() => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// Deletes one object; `false` when it was already gone.
    pub async fn delete(
        &self,
        target: &ApiTarget,
        namespace: &str,
        name: &str,
        dry_run: bool,
    ) -> Result<bool, ClusterError> {
        let object = describe(target, namespace, name);
        match self
            .send(
                requests::delete(target, namespace, name, dry_run),
                Action::Delete,
                &object,
            )
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The discovery document of a group version; `None` when the server does not serve it
    /// (yet).
    pub async fn discovery(
        &self,
        group: &str,
        version: &str,
    ) -> Result<Option<Value>, ClusterError> {
        let object = if group.is_empty() {
            format!("/api/{version}")
        } else {
            format!("/apis/{group}/{version}")
        };
        match self
            .send(
                requests::discovery(group, version),
                Action::Discover,
                &object,
            )
            .await
        {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Asks whether the current user may `verb` the `resource` of `group` in `namespace`
    /// (cluster-wide when empty).
    pub async fn access_review(
        &self,
        verb: &str,
        group: &str,
        resource: &str,
        namespace: &str,
    ) -> Result<AccessDecision, ClusterError> {
        let review = self
            .send(
                requests::access_review(verb, group, resource, namespace),
                Action::Review,
                resource,
            )
            .await?;
        Ok(AccessDecision::from_review(&review))
    }
}

impl ClusterError {
    /// Classifies a kube client error for `action` on `object`.
    pub fn from_kube(err: kube::Error, action: Action, object: &str) -> Self {
        let object = object.to_string();
        match err {
            kube::Error::Api(status) => {
                let message = status.message.clone();
                match status.code {
                    403 => ClusterError::Forbidden {
                        action,
                        object,
                        message,
                    },
                    409 => ClusterError::Conflict {
                        action,
                        object,
                        message,
                    },
                    404 => ClusterError::NotFound {
                        action,
                        object,
                        message,
                    },
                    code => ClusterError::Api {
                        action,
                        object,
                        code,
                        reason: status.reason.clone(),
                        message,
                    },
                }
            }
            kube::Error::HyperError(e) => ClusterError::Unreachable {
                source: Cause::new(e),
            },
            kube::Error::Service(e) => ClusterError::Unreachable {
                source: Cause::boxed(e),
            },
            kube::Error::Auth(e) => ClusterError::Auth {
                source: Cause::new(e),
            },
            kube::Error::SerdeError(e) => ClusterError::Decode {
                action,
                object,
                source: Cause::new(e),
            },
            other => ClusterError::Client {
                action,
                object,
                source: Cause::new(other),
            },
        }
    }
}

fn text<'v>(value: &'v Value, pointer: &str) -> &'v str {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}
