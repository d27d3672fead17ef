//! Running an install plan: server-side apply stage by stage, the waits between stages, the
//! prune at the end. Every step is idempotent, so running the same plan again after an
//! interruption converges on the same cluster state.

use super::cluster::Cluster;
use super::error::ClusterError;
use super::plan::{InstallPlan, PlannedObject, Step};
use super::progress::Event;
use super::prune::prune;
use super::wait::{WaitOptions, wait_crds, wait_workloads};
use crate::order::ObjectId;

/// How to run a plan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Timeouts and poll interval of the waits.
    pub wait: WaitOptions,
}

/// What an install did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstallReport {
    /// The objects applied (accepted by the server-side dry run, for a dry run), in order.
    pub applied: Vec<ObjectId>,
    /// Dry run only: objects the server could not check because their namespace or CRD would
    /// only be created by the real install, with the reason.
    pub dry_run_skipped: Vec<(ObjectId, String)>,
    /// The objects pruned.
    pub pruned: Vec<ObjectId>,
}

/// Runs `plan` against `cluster`, reporting progress. Stops at the first error.
pub async fn run_plan(
    cluster: &Cluster,
    plan: &InstallPlan,
    opts: &RunOptions,
    progress: &mut dyn FnMut(Event),
) -> Result<InstallReport, ClusterError> {
    let mut report = InstallReport::default();
    for step in &plan.steps {
        match step {
            Step::Apply { stage, objects } => {
                progress(Event::StageStarted {
                    stage: *stage,
                    objects: objects.len(),
                });
                for object in objects {
                    let result = cluster
                        .apply(
                            &object.target,
                            &object.value,
                            &plan.ownership.field_manager,
                            plan.dry_run,
                        )
                        .await;
                    match result {
                        Ok(_) => {
                            report.applied.push(object.id.clone());
                            progress(Event::Applied {
                                stage: *stage,
                                id: object.id.clone(),
                                component: object.component,
                            });
                        }
                        Err(e) => {
                            let Some(reason) = dry_run_gap(plan, object, &e) else {
                                return Err(e);
                            };
                            report
                                .dry_run_skipped
                                .push((object.id.clone(), reason.clone()));
                            progress(Event::DryRunSkipped {
                                id: object.id.clone(),
                                reason,
                            });
                        }
                    }
                }
                progress(Event::StageApplied { stage: *stage });
            }
            Step::WaitCrds(crds) => wait_crds(cluster, crds, &opts.wait, progress).await?,
            Step::WaitWorkloads(workloads) => {
                wait_workloads(cluster, workloads, &opts.wait, progress).await?
            }
            Step::Prune(prune_plan) => {
                report.pruned =
                    prune(cluster, prune_plan, &plan.ownership, plan.dry_run, progress).await?;
            }
        }
    }
    Ok(report)
}

/// Why a dry run could not check `object` when the server answered 404: its namespace or its
/// CRD is created by this very install, and a dry run creates nothing. `None` when the 404 has
/// another cause (or this is not a dry run): that is a real error.
fn dry_run_gap(plan: &InstallPlan, object: &PlannedObject, err: &ClusterError) -> Option<String> {
    let ClusterError::NotFound { message, .. } = err else {
        return None;
    };
    if !plan.dry_run {
        return None;
    }
    let ns = &object.id.namespace;
    if !ns.is_empty() && plan.namespaces.contains(ns) && message.contains(&format!("\"{ns}\"")) {
        return Some(format!("namespace {ns} does not exist yet"));
    }
    let kind = (object.id.group.clone(), object.id.kind.clone());
    if plan.crd_kinds.contains(&kind) {
        return Some(format!(
            "the CRD of {}.{} is not installed yet",
            object.id.kind, object.id.group
        ));
    }
    None
}
