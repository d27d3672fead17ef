//! Running an install plan: server-side apply stage by stage (not forced first, so that fields
//! another manager changed are reported when they are taken back), the waits between stages, the
//! prune at the end. A namespace that exists without mesh's labels is applied without them.
//! Every step is idempotent, so running the same plan again after an interruption converges on
//! the same cluster state.

use super::cluster::Cluster;
use super::prune::prune;
use super::wait::{wait_crds, wait_workloads};
use crate::error::ClusterError;
use crate::install::{InstallReport, RunOptions, dry_run_gap, is_foreign_namespace};
use crate::plan::{InstallPlan, Step};
use crate::progress::Event;
use crate::resource::is_namespace;
use crate::takeover::Takeover;
use std::borrow::Cow;

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
                        let existing = cluster.get(&object.target, "", &object.id.name).await?;
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
