//! Running x precheck against a cluster: reads the version, asks one access review per
//! permission an install needs, lists the istiod Deployments, and judges them with the rules of
//! [`crate::precheck`].

use super::cluster::Cluster;
use crate::error::ClusterError;
use crate::precheck::{
    AccessCheck, AccessDecision, PrecheckOptions, PrecheckReport, access_checks, install_findings,
    installed_revisions, permission_findings, version_finding,
};
use crate::resource::ApiTarget;

/// Runs every check.
pub async fn precheck(
    cluster: &Cluster,
    opts: &PrecheckOptions,
) -> Result<PrecheckReport, ClusterError> {
    let kube_version = cluster.version().await?;
    let mut findings = vec![version_finding(&kube_version, opts.min_kube_version)];
    let decisions = review_access(cluster, access_checks(&opts.namespace)).await?;
    findings.extend(permission_findings(&decisions));
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

/// Asks the server (one SelfSubjectAccessReview each) whether the current user may do what
/// each check names; returns every check with its answer, in order. Pair with
/// [`crate::precheck::plan_access_checks`] and [`crate::precheck::denials`] to refuse an install
/// that would fail half way for lack of permissions.
pub async fn review_access(
    cluster: &Cluster,
    checks: Vec<AccessCheck>,
) -> Result<Vec<(AccessCheck, AccessDecision)>, ClusterError> {
    let mut decisions = Vec::with_capacity(checks.len());
    for check in checks {
        let decision = cluster
            .access_review(&check.verb, &check.group, &check.resource, &check.namespace)
            .await?;
        decisions.push((check, decision));
    }
    Ok(decisions)
}
