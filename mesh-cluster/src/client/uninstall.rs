//! Running an uninstall on a cluster: lists the kinds of an [`UninstallPlan`], deletes what
//! [`select_deletions`] selects in its order, then the namespace if mesh created it.

use super::cluster::Cluster;
use super::prune::delete_all;
use crate::error::ClusterError;
use crate::labels::{MANAGED_LABEL, MANAGED_VALUE};
use crate::progress::Event;
use crate::prune::Deletion;
use crate::resource::ApiTarget;
use crate::uninstall::{UninstallPlan, UninstallReport, namespace_deletable, select_deletions};
use mesh_manifest::order::ObjectId;

/// Runs an uninstall plan.
pub async fn uninstall(
    cluster: &Cluster,
    plan: &UninstallPlan,
    progress: &mut dyn FnMut(Event),
) -> Result<UninstallReport, ClusterError> {
    let selector = plan.scope.selector();
    let mut listed = Vec::new();
    for target in &plan.kinds {
        listed.push((target.clone(), cluster.list(target, "", &selector).await?));
    }
    let deletions = select_deletions(&plan.scope, &listed);
    let mut report = UninstallReport {
        deleted: delete_all(cluster, &deletions, plan.dry_run, progress).await?,
        namespace_kept: None,
    };
    if let Some(ns) = &plan.namespace {
        let target = ApiTarget::new("", "v1", "Namespace", "namespaces", false);
        match cluster.get(&target, "", ns).await? {
            None => report.namespace_kept = Some(format!("namespace {ns} does not exist")),
            Some(v) if namespace_deletable(&v) => {
                let gone = delete_all(
                    cluster,
                    &[Deletion {
                        id: ObjectId::new("", "Namespace", "", ns),
                        target,
                    }],
                    plan.dry_run,
                    progress,
                )
                .await?;
                report.deleted.extend(gone);
            }
            Some(_) => {
                report.namespace_kept = Some(format!(
                    "namespace {ns} was not created by mesh (no {MANAGED_LABEL}={MANAGED_VALUE} label)"
                ))
            }
        }
    }
    Ok(report)
}
