//! Taking fields back from other field managers, without IO.
//!
//! An install applies each object without forcing first. When someone else (`kubectl edit`,
//! `kubectl apply --server-side --force-conflicts`, a controller) has changed a field mesh owns,
//! the server refuses with 409 and lists the conflicting fields and their managers in the
//! Status's `details.causes`. The engine then applies again with `force=true` (the field
//! becomes mesh's again, with mesh's value) and reports what it took back from whom: this
//! module reads those causes.

use mesh_core::Value;
use mesh_manifest::order::ObjectId;
use std::fmt;

/// The Status cause reason the API server gives to a field owned by another manager.
pub const FIELD_MANAGER_CONFLICT: &str = "FieldManagerConflict";

/// One field that another manager had set to another value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FieldConflict {
    /// The other field manager (`kubectl-edit`, `intruder`, ...).
    pub manager: String,
    /// The field, as the server prints it (`.data.mesh`, `.metadata.labels.app`).
    pub field: String,
}

/// The fields of one object that mesh took back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Takeover {
    /// The object.
    pub id: ObjectId,
    /// The fields, grouped by manager in the server's order.
    pub conflicts: Vec<FieldConflict>,
}

impl fmt::Display for Takeover {
    /// `ConfigMap/istio-system/istio: .data.mesh from "intruder"; .x from "other"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.id)?;
        let mut managers: Vec<&str> = Vec::new();
        for c in &self.conflicts {
            if !managers.contains(&c.manager.as_str()) {
                managers.push(&c.manager);
            }
        }
        for (i, manager) in managers.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            let fields: Vec<&str> = self
                .conflicts
                .iter()
                .filter(|c| c.manager == *manager)
                .map(|c| c.field.as_str())
                .collect();
            write!(f, "{} from {manager:?}", fields.join(", "))?;
        }
        Ok(())
    }
}

/// The field-manager conflicts of a 409 Status (as JSON); empty when the 409 has another cause
/// (an object being deleted, a resourceVersion precondition): those are real errors.
pub fn field_conflicts(status: &Value) -> Vec<FieldConflict> {
    let Some(causes) = status.pointer("/details/causes").and_then(Value::as_array) else {
        return Vec::new();
    };
    causes
        .iter()
        .filter(|c| c.get("reason").and_then(Value::as_str) == Some(FIELD_MANAGER_CONFLICT))
        .map(|c| {
            let message = c.get("message").and_then(Value::as_str).unwrap_or("");
            FieldConflict {
                manager: manager_of(message),
                field: c
                    .get("field")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            }
        })
        .collect()
}

/// The manager named in a cause message: `conflict with "kubectl-edit" using apps/v1` (the
/// first quoted word; the whole message when there is none).
fn manager_of(message: &str) -> String {
    let quoted = message
        .split_once('"')
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(name, _)| name);
    match quoted {
        Some(name) if !name.is_empty() => name.to_string(),
        _ => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A 409 as kube-apiserver 1.32 answers a non-forced apply over two managers' fields.
    fn conflict_status() -> Value {
        json!({
            "kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 409,
            "reason": "Conflict",
            "message": "Apply failed with 3 conflicts: conflicts with \"intruder\" using v1:\n- .data.mesh\n- .data.x\nconflict with \"kubectl-edit\" using v1: .metadata.labels.app",
            "details": {"name": "istio", "kind": "configmaps", "causes": [
                {"reason": "FieldManagerConflict", "message": "conflict with \"intruder\" using v1", "field": ".data.mesh"},
                {"reason": "FieldManagerConflict", "message": "conflict with \"intruder\" using v1", "field": ".data.x"},
                {"reason": "FieldManagerConflict", "message": "conflict with \"kubectl-edit\" with subresource \"scale\" using v1", "field": ".metadata.labels.app"}
            ]}
        })
    }

    #[test]
    fn conflicts_name_the_field_and_the_other_manager() {
        let found = field_conflicts(&conflict_status());
        let pairs: Vec<(&str, &str)> = found
            .iter()
            .map(|c| (c.manager.as_str(), c.field.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("intruder", ".data.mesh"),
                ("intruder", ".data.x"),
                ("kubectl-edit", ".metadata.labels.app")
            ]
        );
        let takeover = Takeover {
            id: ObjectId::new("", "ConfigMap", "istio-system", "istio"),
            conflicts: found,
        };
        assert_eq!(
            takeover.to_string(),
            "ConfigMap/istio-system/istio: .data.mesh, .data.x from \"intruder\"; \
             .metadata.labels.app from \"kubectl-edit\""
        );
    }

    #[test]
    fn other_conflicts_are_not_field_conflicts() {
        let deleting = json!({"code": 409, "reason": "Conflict",
            "message": "object is being deleted", "details": {"name": "x"}});
        assert!(field_conflicts(&deleting).is_empty());
        let other = json!({"details": {"causes": [{"reason": "FieldValueInvalid",
            "message": "bad", "field": "spec"}]}});
        assert!(field_conflicts(&other).is_empty());
        assert!(field_conflicts(&json!("not a status")).is_empty());
        // A cause without a quoted manager keeps its whole message.
        let odd = json!({"details": {"causes": [{"reason": "FieldManagerConflict",
            "message": "conflict", "field": ".a"}]}});
        assert_eq!(field_conflicts(&odd)[0].manager, "conflict");
    }
}
