//! Running x precheck against a cluster: reads the version, asks one access review per
//! permission an install needs, lists the istiod Deployments, and judges them with the rules of
//! [`crate::precheck`].

use super::cluster::Cluster;
use crate::error::ClusterError;
use crate::precheck::{
    PrecheckOptions, PrecheckReport, access_checks, install_findings, installed_revisions,
    permission_findings, version_finding,
};
use crate::resource::ApiTarget;

/// Runs every check.
pub async fn precheck(
    cluster: &Cluster,
    opts: &PrecheckOptions,
) -> Result<PrecheckReport, ClusterError> {
    let kube_version = cluster.version().await?;
    let mut findings = vec![version_finding(&kube_version, opts.min_kube_version)];
    let mut decisions = Vec::new();
    for check in access_checks(&opts.namespace) {
        let decision = cluster
            .access_review("create", check.group, check.resource, &check.namespace)
            .await?;
        decisions.push((check, decision));
    }
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
