//! The CNI agent's ServiceAccount, ClusterRoles and ClusterRoleBindings.

use mesh_core::{Value, obj};
use serde_json::json;

use super::{COMPONENT, Cni, NAME, object};
use crate::render::RenderError;
use crate::render::common::{ObjectMap, list_at, printed, truthy};

impl Cni<'_> {
    /// `istio-cni`, with `global.imagePullSecrets`.
    pub(super) fn service_account(&self) -> Result<Value, RenderError> {
        let mut sa = object(
            "v1",
            "ServiceAccount",
            NAME,
            Some(self.namespace),
            self.app_labels(),
        );
        let secrets = list_at(self.values, "global.imagePullSecrets", COMPONENT)?;
        if !secrets.is_empty() {
            let refs: Vec<Value> = secrets
                .iter()
                .map(|s| obj! { "name" => printed(s) })
                .collect();
            sa.insert("imagePullSecrets".into(), Value::Array(refs));
        }
        Ok(Value::Object(sa))
    }

    /// The agent's base role, the repair role when repair is on, the ambient role when ambient
    /// is on.
    pub(super) fn cluster_roles(&self) -> Vec<Value> {
        let mut base_rules = vec![obj! {
            "apiGroups" => json!([""]),
            "resources" => json!(["pods", "nodes", "namespaces"]),
            "verbs" => json!(["get", "list", "watch"]),
        }];
        if self.platform() == "openshift" {
            base_rules.push(obj! {
                "apiGroups" => json!(["security.openshift.io"]),
                "resources" => json!(["securitycontextconstraints"]),
                "resourceNames" => json!(["privileged"]),
                "verbs" => json!(["use"]),
            });
        }
        let mut roles = vec![self.cluster_role(NAME, base_rules)];
        if truthy(self.at("repair.enabled")) {
            roles.push(self.cluster_role(&format!("{NAME}-repair-role"), self.repair_rules()));
        }
        if self.ambient() {
            let rules = vec![
                obj! { "apiGroups" => json!([""]), "resources" => json!(["pods/status"]), "verbs" => json!(["patch", "update"]) },
                obj! {
                    "apiGroups" => json!(["apps"]),
                    "resources" => json!(["daemonsets"]),
                    "resourceNames" => json!([format!("{NAME}-node")]),
                    "verbs" => json!(["get"]),
                },
            ];
            roles.push(self.cluster_role(&format!("{NAME}-ambient"), rules));
        }
        roles
    }

    /// Events and pod reads, plus what the repair mode needs: nothing more to repair pods in
    /// place, `delete` to delete them, `pods/status` updates to label them.
    fn repair_rules(&self) -> Vec<Value> {
        let mut rules = vec![
            obj! { "apiGroups" => json!([""]), "resources" => json!(["events"]), "verbs" => json!(["create", "patch"]) },
            obj! { "apiGroups" => json!([""]), "resources" => json!(["pods"]), "verbs" => json!(["watch", "get", "list"]) },
        ];
        if truthy(self.at("repair.repairPods")) {
            // repairing in place needs no further rights
        } else if truthy(self.at("repair.deletePods")) {
            rules.push(obj! { "apiGroups" => json!([""]), "resources" => json!(["pods"]), "verbs" => json!(["delete"]) });
        } else if truthy(self.at("repair.labelPods")) {
            rules.push(obj! {
                "apiGroups" => json!([""]),
                "resources" => json!(["pods/status"]),
                "verbs" => json!(["patch", "update"]),
            });
        }
        rules
    }

    fn cluster_role(&self, name: &str, rules: Vec<Value>) -> Value {
        let mut role = object(
            "rbac.authorization.k8s.io/v1",
            "ClusterRole",
            name,
            None,
            self.app_labels(),
        );
        role.insert("rules".into(), Value::Array(rules));
        Value::Object(role)
    }

    /// Bindings of the roles above to the agent's service account.
    pub(super) fn cluster_role_bindings(&self) -> Vec<Value> {
        let mut bindings = vec![self.binding(NAME, NAME, self.app_labels())];
        let mut repair_labels = ObjectMap::new();
        repair_labels.insert("k8s-app".into(), format!("{NAME}-repair").into());
        repair_labels.extend(self.operator_labels());
        repair_labels.extend(self.chart_labels());
        if truthy(self.at("repair.enabled")) {
            bindings.push(self.binding(
                &format!("{NAME}-repair-rolebinding"),
                &format!("{NAME}-repair-role"),
                repair_labels.clone(),
            ));
        }
        if self.ambient() {
            let name = format!("{NAME}-ambient");
            bindings.push(self.binding(&name, &name, repair_labels));
        }
        bindings
    }

    fn binding(&self, name: &str, role: &str, labels: ObjectMap) -> Value {
        let mut b = object(
            "rbac.authorization.k8s.io/v1",
            "ClusterRoleBinding",
            name,
            None,
            labels,
        );
        b.insert(
            "roleRef".into(),
            obj! { "apiGroup" => "rbac.authorization.k8s.io", "kind" => "ClusterRole", "name" => role },
        );
        b.insert(
            "subjects".into(),
            json!([{"kind": "ServiceAccount", "name": NAME, "namespace": self.namespace}]),
        );
        Value::Object(b)
    }
}
