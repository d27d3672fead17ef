//! x precheck's rules, without IO: can this cluster take the install? The Kubernetes version,
//! the permissions to create what an install creates (SelfSubjectAccessReviews), and the Istio
//! installs and revisions already there.

use crate::labels::{REVISION_LABEL, VERSION_LABEL, label_of};
use crate::plan::{InstallPlan, Step};
use crate::resource::is_namespace;
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
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct AccessCheck {
    /// The verb (`create`, `patch`, `list`, `delete`).
    pub verb: String,
    /// API group, empty for the core group.
    pub group: String,
    /// Plural resource name.
    pub resource: String,
    /// Namespace, empty for cluster-wide.
    pub namespace: String,
}

impl AccessCheck {
    /// A check of `verb` on `resource` of `group` in `namespace` (cluster-wide when empty).
    pub fn new(verb: &str, group: &str, resource: &str, namespace: &str) -> Self {
        AccessCheck {
            verb: verb.to_string(),
            group: group.to_string(),
            resource: resource.to_string(),
            namespace: namespace.to_string(),
        }
    }
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
    cluster
        .into_iter()
        .map(|(group, resource)| AccessCheck::new("create", group, resource, ""))
        .chain(
            namespaced
                .into_iter()
                .map(|(group, resource)| AccessCheck::new("create", group, resource, namespace)),
        )
        .collect()
}

/// The permissions running `plan` needs, exactly: for every kind and namespace it applies to,
/// `create` and `patch` (a server-side apply is a PATCH that creates missing objects), and `get`
/// for namespaces (read before applying); for every
/// kind its prune looks at, `list` and `delete` across all namespaces. No duplicates, in plan
/// order.
pub fn plan_access_checks(plan: &InstallPlan) -> Vec<AccessCheck> {
    let mut checks: Vec<AccessCheck> = Vec::new();
    let mut add = |check: AccessCheck| {
        if !checks.contains(&check) {
            checks.push(check);
        }
    };
    for object in plan.objects() {
        let t = &object.target;
        let namespace = if t.namespaced {
            object.id.namespace.as_str()
        } else {
            ""
        };
        // A Namespace is read first: one that exists without our labels is left alone.
        let verbs: &[&str] = if is_namespace(&object.id.group, &object.id.kind) {
            &["get", "create", "patch"]
        } else {
            &["create", "patch"]
        };
        for verb in verbs {
            add(AccessCheck::new(verb, &t.group, &t.plural, namespace));
        }
    }
    for step in &plan.steps {
        if let Step::Prune(prune) = step {
            for t in &prune.kinds {
                for verb in ["list", "delete"] {
                    add(AccessCheck::new(verb, &t.group, &t.plural, ""));
                }
            }
        }
    }
    checks
}

/// What is denied, one line per resource and place, the verbs joined in check order:
/// `cannot create, patch deployments in namespace istio-system` (with the authorizer's
/// reason after `: ` when it gave one). Empty when everything is allowed.
pub fn denials(decisions: &[(AccessCheck, AccessDecision)]) -> Vec<String> {
    /// (group, resource, namespace): one line of the answer.
    type Place<'a> = (&'a str, &'a str, &'a str);
    // Place -> (verbs, reason), in first-seen order.
    let mut denied: Vec<(Place, Vec<&str>, &str)> = Vec::new();
    for (check, decision) in decisions.iter().filter(|(_, d)| !d.allowed) {
        let key = (
            check.group.as_str(),
            check.resource.as_str(),
            check.namespace.as_str(),
        );
        match denied.iter_mut().find(|(k, _, _)| *k == key) {
            Some((_, verbs, _)) => verbs.push(&check.verb),
            None => denied.push((key, vec![&check.verb], &decision.reason)),
        }
    }
    denied
        .into_iter()
        .map(|((_, resource, namespace), verbs, reason)| {
            let place = if namespace.is_empty() {
                "cluster-wide".to_string()
            } else {
                format!("in namespace {namespace}")
            };
            let why = if reason.is_empty() {
                String::new()
            } else {
                format!(": {reason}")
            };
            format!("cannot {} {resource} {place}{why}", verbs.join(", "))
        })
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
    let denied = denials(decisions);
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

    #[test]
    fn an_install_plan_needs_create_and_patch_where_it_applies_and_list_delete_to_prune() {
        use crate::labels::Ownership;
        use crate::plan::{PlanOptions, install_plan};
        use mesh_manifest::Object;
        use mesh_manifest::order::{OrderOptions, order};
        let objects = vec![
            Object::new(
                None,
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "mesh"}}),
            ),
            Object::new(
                Some(mesh_core::ComponentName::Pilot),
                json!({"apiVersion": "apps/v1", "kind": "Deployment",
                    "metadata": {"name": "d", "namespace": "mesh"}}),
            ),
            Object::new(
                Some(mesh_core::ComponentName::Pilot),
                json!({"apiVersion": "apps/v1", "kind": "Deployment",
                    "metadata": {"name": "e", "namespace": "mesh"}}),
            ),
        ];
        let manifest = order(objects, &OrderOptions::default()).unwrap();
        let owner = Ownership::from_operator(&json!({"metadata": {"namespace": "mesh"}}), "1");
        let plan = install_plan(&manifest, &owner, &PlanOptions::default());
        let checks: Vec<String> = plan_access_checks(&plan)
            .iter()
            .map(|c| format!("{} {}/{} {}", c.verb, c.group, c.resource, c.namespace))
            .collect();
        assert_eq!(
            checks[..5],
            [
                "get /namespaces ",
                "create /namespaces ",
                "patch /namespaces ",
                "create apps/deployments mesh",
                "patch apps/deployments mesh",
            ]
        );
        // Prune lists and deletes every kind an install may own, in every namespace.
        let prune_kinds = plan
            .steps
            .iter()
            .find_map(|s| match s {
                Step::Prune(p) => Some(p.kinds.len()),
                _ => None,
            })
            .unwrap();
        assert_eq!(checks.len(), 5 + 2 * prune_kinds);
        assert!(checks.contains(&"list apps/deployments ".to_string()));
        assert!(checks.contains(&"delete /configmaps ".to_string()));
        let without_prune = install_plan(
            &manifest,
            &owner,
            &PlanOptions {
                dry_run: false,
                prune: false,
            },
        );
        assert_eq!(plan_access_checks(&without_prune).len(), 5);
    }

    #[test]
    fn denials_join_the_verbs_of_one_resource_and_place() {
        let deny = AccessDecision {
            allowed: false,
            reason: String::new(),
        };
        let allow = AccessDecision {
            allowed: true,
            reason: String::new(),
        };
        let decisions = [
            (
                AccessCheck::new("create", "apps", "deployments", "mesh"),
                deny.clone(),
            ),
            (
                AccessCheck::new("create", "", "configmaps", "mesh"),
                allow.clone(),
            ),
            (
                AccessCheck::new("patch", "apps", "deployments", "mesh"),
                deny.clone(),
            ),
            (AccessCheck::new("delete", "apps", "deployments", ""), deny),
            (AccessCheck::new("patch", "", "configmaps", "mesh"), allow),
        ];
        assert_eq!(
            denials(&decisions),
            [
                "cannot create, patch deployments in namespace mesh",
                "cannot delete deployments cluster-wide",
            ]
        );
        assert!(denials(&decisions[1..2]).is_empty());
    }
}
