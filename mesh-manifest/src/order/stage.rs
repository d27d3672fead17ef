//! Install stages (what a cluster applies together) and the readable kind order inside a stage.

use super::id::ObjectId;
use std::fmt;

/// One step of a staged install. A cluster applies the stages in this order, waiting between
/// them where [`StageKind::wait_before`] says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StageKind {
    /// Namespaces and CustomResourceDefinitions: everything else may live in or use them.
    NamespacesCrds,
    /// ServiceAccounts, ConfigMaps, Secrets, RBAC, custom resources of the CRDs and any kind
    /// mesh does not know.
    ConfigRbac,
    /// Services and the workloads behind them, with their autoscalers and disruption budgets.
    Workloads,
    /// Admission webhooks and policies: applied last, once the Services they call have ready
    /// endpoints, so that they do not reject or block requests in the meantime.
    Webhooks,
}

impl StageKind {
    /// All stages, in apply order.
    pub const ALL: [StageKind; 4] = [
        StageKind::NamespacesCrds,
        StageKind::ConfigRbac,
        StageKind::Workloads,
        StageKind::Webhooks,
    ];

    /// Position in apply order, starting at 0; also the number in the stage file name.
    pub fn number(self) -> usize {
        self as usize
    }

    /// The stage at `number`, if there is one.
    pub fn from_number(number: usize) -> Option<StageKind> {
        Self::ALL.get(number).copied()
    }

    /// The name part of the stage file name, e.g. `namespaces-crds`.
    pub fn slug(self) -> &'static str {
        match self {
            StageKind::NamespacesCrds => "namespaces-crds",
            StageKind::ConfigRbac => "config-rbac",
            StageKind::Workloads => "workloads",
            StageKind::Webhooks => "webhooks",
        }
    }

    /// `NN-slug`, e.g. `00-namespaces-crds`.
    pub fn name(self) -> String {
        format!("{:02}-{}", self.number(), self.slug())
    }

    /// The stage an object belongs in by its kind alone (dependencies may push it later).
    pub fn of_kind(id: &ObjectId) -> StageKind {
        match (id.group.as_str(), id.kind.as_str()) {
            ("", "Namespace") | ("apiextensions.k8s.io", "CustomResourceDefinition") => {
                StageKind::NamespacesCrds
            }
            (
                "admissionregistration.k8s.io",
                "MutatingWebhookConfiguration"
                | "ValidatingWebhookConfiguration"
                | "ValidatingAdmissionPolicy"
                | "ValidatingAdmissionPolicyBinding"
                | "MutatingAdmissionPolicy"
                | "MutatingAdmissionPolicyBinding",
            )
            | ("apiregistration.k8s.io", "APIService") => StageKind::Webhooks,
            ("", "Service" | "Pod" | "ReplicationController")
            | ("apps", "Deployment" | "DaemonSet" | "StatefulSet" | "ReplicaSet")
            | ("batch", "Job" | "CronJob")
            | ("autoscaling", "HorizontalPodAutoscaler")
            | ("policy", "PodDisruptionBudget") => StageKind::Workloads,
            _ => StageKind::ConfigRbac,
        }
    }
}

impl fmt::Display for StageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// Where a kind is printed inside its stage when dependencies leave the choice open: cluster-wide
/// and configuration kinds first, then custom resources and unknown kinds, then Services before
/// the workloads behind them, then what scales or guards those workloads, then admission.
pub fn kind_rank(id: &ObjectId) -> u8 {
    match (id.group.as_str(), id.kind.as_str()) {
        ("", "Namespace") => 0,
        ("apiextensions.k8s.io", "CustomResourceDefinition") => 1,
        ("scheduling.k8s.io", "PriorityClass") => 2,
        ("", "ResourceQuota" | "LimitRange") => 3,
        ("", "ServiceAccount") => 4,
        ("", "Secret") => 5,
        ("", "ConfigMap") => 6,
        ("rbac.authorization.k8s.io", "ClusterRole") => 7,
        ("rbac.authorization.k8s.io", "ClusterRoleBinding") => 8,
        ("rbac.authorization.k8s.io", "Role") => 9,
        ("rbac.authorization.k8s.io", "RoleBinding") => 10,
        ("networking.k8s.io", "NetworkPolicy") => 11,
        ("", "Service") => 30,
        ("apps", "Deployment") => 31,
        ("apps", "DaemonSet") => 32,
        ("apps", "StatefulSet") => 33,
        ("apps", "ReplicaSet") | ("", "ReplicationController") => 34,
        ("batch", "Job") => 35,
        ("batch", "CronJob") => 36,
        ("", "Pod") => 37,
        ("autoscaling", "HorizontalPodAutoscaler") => 40,
        ("policy", "PodDisruptionBudget") => 41,
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy") => 50,
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding") => 51,
        ("admissionregistration.k8s.io", "MutatingAdmissionPolicy") => 52,
        ("admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding") => 53,
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration") => 54,
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration") => 55,
        ("apiregistration.k8s.io", "APIService") => 56,
        _ => 20,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn stage_names_are_numbered_in_apply_order() {
        let names: Vec<String> = StageKind::ALL.iter().map(|s| s.name()).collect();
        assert_eq!(
            names,
            [
                "00-namespaces-crds",
                "01-config-rbac",
                "02-workloads",
                "03-webhooks"
            ]
        );
        assert_eq!(StageKind::from_number(2), Some(StageKind::Workloads));
        assert_eq!(StageKind::from_number(4), None);
    }

    #[test]
    fn unknown_kinds_default_to_the_config_stage() {
        let id = ObjectId::new("example.com", "Widget", "ns", "w");
        assert_eq!(StageKind::of_kind(&id), StageKind::ConfigRbac);
        assert_eq!(kind_rank(&id), 20);
    }
}
