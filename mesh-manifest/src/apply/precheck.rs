//! x precheck: can this cluster take the install? The Kubernetes version, the permissions to
//! create what an install creates (SelfSubjectAccessReviews), and the Istio installs and
//! revisions already there.

use super::cluster::Cluster;
use super::error::ClusterError;
use super::labels::{REVISION_LABEL, VERSION_LABEL, label_of};
use super::resource::ApiTarget;
use mesh_core::Value;
use std::fmt;

/// The oldest Kubernetes version this Istio release supports, as (major, minor).
pub const MIN_KUBE_VERSION: (u32, u32) = (1, 30);

/// A Kubernetes server version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeVersion {
    /// Major version (`1`).
    pub major: u32,
    /// Minor version (`30`); providers' suffixes such as `30+` are dropped.
    pub minor: u32,
    /// The full version string (`v1.30.2-gke.1`).
    pub git_version: String,
}

impl KubeVersion {
    /// Reads the `/version` document: `major`/`minor`, or failing those, `gitVersion`.
    pub fn from_info(info: &Value) -> Option<Self> {
        let text = |k: &str| info.get(k).and_then(Value::as_str).unwrap_or("");
        let git_version = text("gitVersion").to_string();
        let (major, minor) = match (leading_number(text("major")), leading_number(text("minor"))) {
            (Some(major), Some(minor)) => (major, minor),
            _ => {
                let mut parts = git_version.trim_start_matches('v').split('.');
                (
                    leading_number(parts.next()?)?,
                    leading_number(parts.next()?)?,
                )
            }
        };
        Some(KubeVersion {
            major,
            minor,
            git_version,
        })
    }
}

impl fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.git_version.is_empty() {
            write!(f, "{}.{}", self.major, self.minor)
        } else {
            f.write_str(&self.git_version)
        }
    }
}

fn leading_number(s: &str) -> Option<u32> {
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

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
        return vec![Finding {
            level: Level::Info,
            check: "existing-install",
            message: "no Istio control plane found".into(),
        }];
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

/// Runs every check.
pub async fn precheck(
    cluster: &Cluster,
    opts: &PrecheckOptions,
) -> Result<PrecheckReport, ClusterError> {
    let kube_version = cluster.version().await?;
    let mut findings = vec![version_finding(&kube_version, opts.min_kube_version)];
    let mut denied = Vec::new();
    for check in access_checks(&opts.namespace) {
        let decision = cluster
            .access_review("create", check.group, check.resource, &check.namespace)
            .await?;
        if !decision.allowed {
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
            denied.push(format!("cannot create {} {place}{why}", check.resource));
        }
    }
    if denied.is_empty() {
        findings.push(Finding {
            level: Level::Info,
            check: "permissions",
            message: "may create every kind an install creates".into(),
        });
    }
    findings.extend(denied.into_iter().map(|message| Finding {
        level: Level::Error,
        check: "permissions",
        message,
    }));
    let deployments = ApiTarget::new("apps", "v1", "Deployment", "deployments", true);
    let istiods = cluster.list(&deployments, "", "app=istiod").await?;
    findings.extend(install_findings(
        &installed_revisions(&istiods),
        &opts.revision,
        &opts.version,
    ));
    Ok(PrecheckReport {
        kube_version,
        findings,
    })
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
}
