//! Pruning and deleting on a cluster: lists the kinds of a [`PrunePlan`], deletes what
//! [`select_prune`] selects, one object at a time.

use super::cluster::Cluster;
use crate::error::ClusterError;
use crate::labels::Ownership;
use crate::plan::PrunePlan;
use crate::progress::Event;
use crate::prune::{Deletion, select_prune};
use mesh_manifest::order::ObjectId;

/// Lists every kind of the plan and deletes what [`select_prune`] selects. Returns the deleted
/// objects.
pub(crate) async fn prune(
    cluster: &Cluster,
    plan: &PrunePlan,
    ownership: &Ownership,
    dry_run: bool,
    progress: &mut dyn FnMut(Event),
) -> Result<Vec<ObjectId>, ClusterError> {
    let mut selected = Vec::new();
    for target in &plan.kinds {
        let items = cluster.list(target, "", &plan.selector).await?;
        selected.extend(select_prune(target, &items, &plan.keep, ownership));
    }
    progress(Event::PruneStarted {
        objects: selected.len(),
    });
    delete_all(cluster, &selected, dry_run, progress).await
}

/// Deletes objects in the given order; objects already gone are reported, not errors.
pub(crate) async fn delete_all(
    cluster: &Cluster,
    deletions: &[Deletion],
    dry_run: bool,
    progress: &mut dyn FnMut(Event),
) -> Result<Vec<ObjectId>, ClusterError> {
    let mut deleted = Vec::new();
    for d in deletions {
        if cluster
            .delete(&d.target, &d.id.namespace, &d.id.name, dry_run)
            .await?
        {
            progress(Event::Deleted { id: d.id.clone() });
            deleted.push(d.id.clone());
        } else {
            progress(Event::AlreadyGone { id: d.id.clone() });
        }
    }
    Ok(deleted)
}
