//! Running an install plan: server-side apply stage by stage (not forced first, so that fields
//! another manager changed are reported when they are taken back), the waits between stages, the
//! prune at the end. A namespace that exists without mesh's labels is applied without them; one
//! that is being deleted is waited for first.
//! Every step is idempotent, so running the same plan again after an interruption converges on
//! the same cluster state.

use super::cluster::Cluster;
use super::prune::prune;
use super::wait::{wait_crds, wait_workloads};
use crate::error::ClusterError;
use crate::install::{
    InstallReport, RunOptions, WaitOptions, dry_run_gap, is_foreign_namespace, is_terminating,
};
use crate::plan::{InstallPlan, PlannedObject, Step};
use crate::progress::Event;
use crate::resource::is_namespace;
use crate::takeover::Takeover;
use mesh_core::Value;
use std::borrow::Cow;
use tokio::time::Instant;

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
                    let mut value = Cow::Borrowed(&object.value);
                    if is_namespace(&object.id.group, &object.id.kind) {
                        let mut existing = cluster.get(&object.target, "", &object.id.name).await?;
                        if existing.as_ref().is_some_and(is_terminating) {
                            existing = wait_deleted(cluster, object, &opts.wait, progress).await?;
                        }
                        if is_foreign_namespace(existing.as_ref()) {
                            report.existing_namespaces.push(object.id.clone());
                            progress(Event::ExistingNamespace {
                                id: object.id.clone(),
                            });
                            value = Cow::Owned(plan.ownership.unlabel(&object.value));
                        }
                    }
                    let result = cluster
                        .apply_taking_back(
                            &object.target,
                            &value,
                            &plan.ownership.field_manager,
                            plan.dry_run,
                        )
                        .await;
                    match result {
                        Ok((_, conflicts)) => {
                            if !conflicts.is_empty() {
                                let takeover = Takeover {
                                    id: object.id.clone(),
                                    conflicts,
                                };
                                report.taken_over.push(takeover.clone());
                                progress(Event::TookOver(takeover));
                            }
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

/// Waits until a namespace that is being deleted is gone (objects cannot be created in it
/// before), or no longer terminating; returns it as it then is (`None`: gone).
async fn wait_deleted(
    cluster: &Cluster,
    object: &PlannedObject,
    wait: &WaitOptions,
    progress: &mut dyn FnMut(Event),
) -> Result<Option<Value>, ClusterError> {
    let what = "namespace deletion".to_string();
    let pending = vec![format!("{}: still terminating", object.id)];
    progress(Event::WaitStarted {
        what: what.clone(),
        objects: 1,
    });
    let deadline = Instant::now() + wait.timeout;
    loop {
        let current = cluster.get(&object.target, "", &object.id.name).await?;
        if !current.as_ref().is_some_and(is_terminating) {
            progress(Event::WaitDone { what });
            return Ok(current);
        }
        super::wait::not_yet(&what, pending.clone(), deadline, wait, progress).await?;
    }
}
