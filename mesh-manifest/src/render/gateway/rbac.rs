//! The gateway's ServiceAccount and the Role/RoleBinding that let it read secrets (SDS).

use mesh_core::{Value, obj};
use serde_json::json;

use super::{Gateway, object};
use crate::render::RenderError;
use crate::render::common::{ObjectMap, list_at, printed};

impl Gateway<'_> {
    /// `<name>-service-account`, with `global.imagePullSecrets` and the gateway's
    /// `serviceAccount.annotations`.
    pub(super) fn service_account(&self) -> Result<Value, RenderError> {
        let mut metadata = self.metadata(
            &format!("{}-service-account", self.name),
            self.own_namespace(),
            self.object_labels()?,
        );
        if let Some(annotations) = self.gw_map("serviceAccount.annotations")?
            && !annotations.is_empty()
        {
            metadata.insert("annotations".into(), Value::Object(annotations.clone()));
        }
        let mut sa = object("v1", "ServiceAccount", metadata);
        let secrets = list_at(self.values, "global.imagePullSecrets", self.component())?;
        if !secrets.is_empty() {
            let refs: Vec<Value> = secrets
                .iter()
                .map(|s| obj! { "name" => printed(s) })
                .collect();
            sa.insert("imagePullSecrets".into(), Value::Array(refs));
        }
        Ok(Value::Object(sa))
    }

    /// Labels of the Role and RoleBinding: no gateway labels, only operator and chart labels.
    fn rbac_labels(&self) -> ObjectMap {
        let mut m = self.operator_labels();
        m.extend(self.chart_labels());
        m
    }

    /// `<name>-sds`: read access to secrets in the release namespace.
    pub(super) fn role(&self) -> Value {
        let metadata = self.metadata(
            &format!("{}-sds", self.name),
            Value::from(self.namespace),
            self.rbac_labels(),
        );
        let mut role = object("rbac.authorization.k8s.io/v1", "Role", metadata);
        role.insert(
            "rules".into(),
            json!([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "watch", "list"]}]),
        );
        Value::Object(role)
    }

    /// `<name>-sds` binding of the Role to the gateway's service account.
    pub(super) fn role_binding(&self) -> Value {
        let metadata = self.metadata(
            &format!("{}-sds", self.name),
            self.own_namespace(),
            self.rbac_labels(),
        );
        let mut rb = object("rbac.authorization.k8s.io/v1", "RoleBinding", metadata);
        rb.insert(
            "roleRef".into(),
            obj! {
                "apiGroup" => "rbac.authorization.k8s.io",
                "kind" => "Role",
                "name" => format!("{}-sds", self.name),
            },
        );
        rb.insert(
            "subjects".into(),
            json!([{"kind": "ServiceAccount", "name": format!("{}-service-account", self.name)}]),
        );
        Value::Object(rb)
    }
}
