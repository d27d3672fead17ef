//! Running verify-install on a cluster: reads every object of an install plan and judges it with
//! [`verify_row`], adding the reasons of the pods of workloads that are not ready.

use super::cluster::Cluster;
use super::wait::pod_reasons;
use crate::error::ClusterError;
use crate::plan::{InstallPlan, WorkloadWait, is_rollable};
use crate::verify::{RowStatus, VerifyReport, verify_row};

/// Reads every object of `plan` and judges it; workloads that are not ready get the reasons
/// of their pods appended.
pub async fn verify_install(
    cluster: &Cluster,
    plan: &InstallPlan,
) -> Result<VerifyReport, ClusterError> {
    let mut report = VerifyReport::default();
    for expected in plan.objects() {
        let found = cluster
            .get(&expected.target, &expected.id.namespace, &expected.id.name)
            .await?;
        let mut row = verify_row(expected, found.as_ref(), &plan.ownership);
        if let (RowStatus::NotReady(why), Some(server)) = (&row.status, &found)
            && is_rollable(&expected.id)
        {
            let w = WorkloadWait {
                id: expected.id.clone(),
                target: expected.target.clone(),
            };
            let pods = pod_reasons(cluster, &w, server).await;
            if !pods.is_empty() {
                row.status = RowStatus::NotReady(format!("{why}; {}", pods.join("; ")));
            }
        }
        report.rows.push(row);
    }
    Ok(report)
}
