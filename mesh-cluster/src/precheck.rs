//! x precheck's rules, without IO: can this cluster take the install? The Kubernetes version,
//! the permissions to create what an install creates (SelfSubjectAccessReviews), and the Istio
//! installs and revisions already there.

use crate::labels::{REVISION_LABEL, VERSION_LABEL, label_of};
use crate::version::{KubeVersion, leading_number};
use mesh_core::Value;
use std::fmt;

/// The oldest Kubernetes version this Istio release supports, as (major, minor).
pub const MIN_KUBE_VERSION: (u32, u32) = (1, 30);

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Good to know.
    Info,
    /// The install may not work.
    Warning,
    /// The install will fail.
    Error,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
        })
    }
}

/// One result of a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// How bad.
    pub level: Level,
    /// Which check (`kubernetes-version`, `permissions`, `existing-install`).
    pub check: &'static str,
    /// What was found.
    pub message: String,
}

impl Finding {
    /// A finding of `check` at `level`.
    pub fn new(level: Level, check: &'static str, message: impl Into<String>) -> Self {
        Finding {
            level,
            check,
            message: message.into(),
        }
    }
}

/// One permission an install needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessCheck {
    /// API group, empty for the core group.
    pub group: &'static str,
    /// Plural resource name.
    pub resource: &'static str,
    /// Namespace, empty for cluster-wide.
    pub namespace: String,
}

/// The create permissions an install into `namespace` needs: the cluster-wide kinds
/// (namespaces, CRDs, cluster roles and bindings, webhook configurations) and the namespaced
/// kinds it renders.
pub fn access_checks(namespace: &str) -> Vec<AccessCheck> {
    let cluster = [
        ("", "namespaces"),
        ("apiextensions.k8s.io", "customresourcedefinitions"),
        ("rbac.authorization.k8s.io", "clusterroles"),
        ("rbac.authorization.k8s.io", "clusterrolebindings"),
        (
            "admissionregistration.k8s.io",
            "mutatingwebhookconfigurations",
        ),
        (
            "admissionregistration.k8s.io",
            "validatingwebhookconfigurations",
        ),
    ];
    let namespaced = [
        ("", "serviceaccounts"),
        ("", "configmaps"),
        ("", "secrets"),
        ("", "services"),
        ("apps", "deployments"),
        ("apps", "daemonsets"),
        ("rbac.authorization.k8s.io", "roles"),
        ("rbac.authorization.k8s.io", "rolebindings"),
        ("policy", "poddisruptionbudgets"),
        ("autoscaling", "horizontalpodautoscalers"),
    ];
    let make = |(group, resource): (&'static str, &'static str), ns: &str| AccessCheck {
        group,
        resource,
        namespace: ns.to_string(),
    };
    cluster
        .into_iter()
        .map(|c| make(c, ""))
        .chain(namespaced.into_iter().map(|c| make(c, namespace)))
        .collect()
}

/// The finding about the server version.
pub fn version_finding(version: &KubeVersion, min: (u32, u32)) -> Finding {
    if (version.major, version.minor) < min {
        Finding {
            level: Level::Error,
            check: "kubernetes-version",
            message: format!(
                "Kubernetes {version} is not supported; the oldest supported version is {}.{}",
                min.0, min.1
            ),
        }
    } else {
        Finding {
            level: Level::Info,
            check: "kubernetes-version",
            message: format!("Kubernetes {version} is supported"),
        }
    }
}

/// The answer to a SelfSubjectAccessReview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessDecision {
    /// Whether the request would be allowed.
    pub allowed: bool,
    /// The authorizer's reason, may be empty.
    pub reason: String,
}

impl AccessDecision {
    /// Reads a SelfSubjectAccessReview as the server returned it (its `status`).
    pub fn from_review(review: &Value) -> Self {
        AccessDecision {
            allowed: review.pointer("/status/allowed").and_then(Value::as_bool) == Some(true),
            reason: review
                .pointer("/status/reason")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
        }
    }
}

/// The findings about permissions: one info finding when every check is allowed, otherwise one
/// error finding per denied check, in check order.
pub fn permission_findings(decisions: &[(AccessCheck, AccessDecision)]) -> Vec<Finding> {
    let denied: Vec<String> = decisions
        .iter()
        .filter(|(_, decision)| !decision.allowed)
        .map(|(check, decision)| {
            let place = if check.namespace.is_empty() {
                "cluster-wide".to_string()
            } else {
                format!("in namespace {}", check.namespace)
            };
            let why = if decision.reason.is_empty() {
                String::new()
            } else {
                format!(": {}", decision.reason)
            };
            format!("cannot create {} {place}{why}", check.resource)
        })
        .collect();
    if denied.is_empty() {
        let message = "may create every kind an install creates";
        return vec![Finding::new(Level::Info, "permissions", message)];
    }
    denied
        .into_iter()
        .map(|message| Finding::new(Level::Error, "permissions", message))
        .collect()
}

/// One control plane found on the cluster.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct InstalledRevision {
    /// Its revision (`default` when unlabelled).
    pub revision: String,
    /// Its namespace.
    pub namespace: String,
    /// Its Istio version, from the installer's label or the image tag; empty when unknown.
    pub version: String,
}

/// The control planes behind a list of istiod Deployments.
pub fn installed_revisions(deployments: &[Value]) -> Vec<InstalledRevision> {
    let mut out: Vec<InstalledRevision> = deployments
        .iter()
        .map(|d| InstalledRevision {
            revision: label_of(d, REVISION_LABEL).unwrap_or("default").to_string(),
            namespace: d
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            version: label_of(d, VERSION_LABEL)
                .map(str::to_string)
                .or_else(|| image_tag(d))
                .unwrap_or_default(),
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

fn image_tag(deployment: &Value) -> Option<String> {
    let image = deployment
        .pointer("/spec/template/spec/containers/0/image")
        .and_then(Value::as_str)?;
    let (_, tag) = image.rsplit_once(':')?;
    (!tag.contains('/')).then(|| tag.to_string())
}

/// Findings about the installs already present, for an install of `revision` at `version`.
pub fn install_findings(
    existing: &[InstalledRevision],
    revision: &str,
    version: &str,
) -> Vec<Finding> {
    if existing.is_empty() {
        let message = "no Istio control plane found";
        return vec![Finding::new(Level::Info, "existing-install", message)];
    }
    existing
        .iter()
        .map(|e| {
            let shown = if e.version.is_empty() {
                "unknown version"
            } else {
                &e.version
            };
            let mut message = format!(
                "revision {} is installed in {} ({shown})",
                e.revision, e.namespace
            );
            let mut level = Level::Info;
            if e.revision == revision {
                if !e.version.is_empty() && newer(&e.version, version) {
                    level = Level::Warning;
                    message.push_str(&format!(
                        "; installing {version} over it would downgrade it"
                    ));
                } else {
                    message.push_str(&format!("; installing {version} upgrades it in place"));
                }
            }
            Finding {
                level,
                check: "existing-install",
                message,
            }
        })
        .collect()
}

/// Whether dotted version `a` is newer than `b` (numeric parts compared in order).
fn newer(a: &str, b: &str) -> bool {
    let parts = |s: &str| -> Vec<u32> {
        s.split('.')
            .map(|p| leading_number(p).unwrap_or(0))
            .collect()
    };
    parts(a) > parts(b)
}

/// What precheck looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrecheckOptions {
    /// The namespace the install would use.
    pub namespace: String,
    /// The revision the install would create (`default` for none).
    pub revision: String,
    /// The Istio version the install would bring.
    pub version: String,
    /// The oldest supported Kubernetes version.
    pub min_kube_version: (u32, u32),
}

/// All findings, in check order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrecheckReport {
    /// The server version.
    pub kube_version: KubeVersion,
    /// The findings.
    pub findings: Vec<Finding>,
}

impl PrecheckReport {
    /// Whether nothing worse than [`Level::Info`] was found.
    pub fn passed(&self) -> bool {
        self.findings.iter().all(|f| f.level == Level::Info)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn versions_parse_from_fields_or_git_version() {
        let v = KubeVersion::from_info(&json!({"major": "1", "minor": "29+",
            "gitVersion": "v1.29.4-gke.1"}))
        .unwrap();
        assert_eq!((v.major, v.minor), (1, 29));
        assert_eq!(version_finding(&v, MIN_KUBE_VERSION).level, Level::Error);
        let v = KubeVersion::from_info(&json!({"gitVersion": "v1.33.1"})).unwrap();
        assert_eq!((v.major, v.minor), (1, 33));
        assert_eq!(version_finding(&v, MIN_KUBE_VERSION).level, Level::Info);
        assert!(KubeVersion::from_info(&json!({})).is_none());
    }

    #[test]
    fn existing_installs_are_summarised_per_revision() {
        let d = |rev: Option<&str>, version: Option<&str>, image: &str| {
            let mut labels = serde_json::Map::new();
            if let Some(r) = rev {
                labels.insert("istio.io/rev".into(), json!(r));
            }
            if let Some(v) = version {
                labels.insert("operator.istio.io/version".into(), json!(v));
            }
            json!({"metadata": {"namespace": "istio-system", "labels": labels},
                "spec": {"template": {"spec": {"containers": [{"image": image}]}}}})
        };
        let found = installed_revisions(&[
            d(None, None, "docker.io/istio/pilot:1.29.2"),
            d(Some("canary"), Some("1.31.0"), "x"),
        ]);
        assert_eq!(found[0].revision, "canary");
        assert_eq!(found[1].version, "1.29.2");
        let f = install_findings(&found, "default", "1.30.3");
        assert!(f[1].message.ends_with("upgrades it in place"));
        let f = install_findings(&found, "canary", "1.30.3");
        assert_eq!(f[0].level, Level::Warning);
        assert_eq!(install_findings(&[], "default", "1").len(), 1);
    }

    #[test]
    fn access_checks_cover_cluster_and_namespaced_kinds() {
        let checks = access_checks("istio-system");
        assert!(
            checks
                .iter()
                .any(|c| c.resource == "customresourcedefinitions" && c.namespace.is_empty())
        );
        assert!(
            checks
                .iter()
                .any(|c| c.resource == "deployments" && c.namespace == "istio-system")
        );
    }
    #[test]
    fn denied_permissions_are_one_error_each_with_place_and_reason() {
        let checks = access_checks("istio-system");
        let allow = AccessDecision {
            allowed: true,
            reason: String::new(),
        };
        let all: Vec<_> = checks.iter().map(|c| (c.clone(), allow.clone())).collect();
        let f = permission_findings(&all);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].level, Level::Info);
        let review = json!({"status": {"allowed": false, "reason": "RBAC: no"}});
        let mut some = all.clone();
        some[1].1 = AccessDecision::from_review(&review);
        some[7].1 = AccessDecision::from_review(&json!({}));
        let f = permission_findings(&some);
        let messages: Vec<&str> = f.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "cannot create customresourcedefinitions cluster-wide: RBAC: no",
                "cannot create configmaps in namespace istio-system",
            ]
        );
        assert!(f.iter().all(|f| f.level == Level::Error));
    }
}
