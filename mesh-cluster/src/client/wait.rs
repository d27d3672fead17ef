//! Waiting between stages: CRDs Established and their kinds served by discovery (an Established
//! CRD is not yet usable until discovery lists it), and workloads rolled out, with the reasons
//! of the pods behind them when time runs out.

use super::cluster::Cluster;
use crate::error::ClusterError;
use crate::install::WaitOptions;
use crate::plan::{CrdWait, WorkloadWait};
use crate::progress::Event;
use crate::readiness::{
    Readiness, crd_established, crd_problem, discovery_serves, pod_problems, selector_string,
    workload_readiness,
};
use crate::resource::{ApiTarget, KindCatalog};
use mesh_core::Value;
use std::collections::{BTreeMap, BTreeSet};
use tokio::time::Instant;

/// At most this many pods are named per workload that timed out.
const PODS_PER_WORKLOAD: usize = 3;

/// Waits until every CRD is Established and every version it serves lists its kind in
/// discovery.
pub(crate) async fn wait_crds(
    cluster: &Cluster,
    crds: &[CrdWait],
    opts: &WaitOptions,
    progress: &mut dyn FnMut(Event),
) -> Result<(), ClusterError> {
    let what = "CRDs".to_string();
    progress(Event::WaitStarted {
        what: what.clone(),
        objects: crds.len(),
    });
    let deadline = Instant::now() + opts.timeout;
    let crd_target = KindCatalog::builtin()
        .get("apiextensions.k8s.io", "CustomResourceDefinition")
        .cloned()
        .unwrap_or_else(|| {
            ApiTarget::new(
                "apiextensions.k8s.io",
                "v1",
                "CustomResourceDefinition",
                "customresourcedefinitions",
                false,
            )
        });
    let mut established: BTreeSet<&str> = BTreeSet::new();
    let mut served: BTreeSet<(String, String)> = BTreeSet::new();
    loop {
        let mut pending = Vec::new();
        let unchecked: Vec<&CrdWait> = crds
            .iter()
            .filter(|c| !established.contains(c.name.as_str()))
            .collect();
        for crd in unchecked {
            match cluster.get(&crd_target, "", &crd.name).await? {
                None => pending.push(format!("CustomResourceDefinition/{}: not found", crd.name)),
                Some(v) if crd_established(&v) => {
                    established.insert(&crd.name);
                }
                Some(v) => pending.push(format!(
                    "CustomResourceDefinition/{}: {}",
                    crd.name,
                    crd_problem(&v)
                )),
            }
        }
        if pending.is_empty() {
            pending = check_discovery(cluster, crds, &mut served).await?;
        }
        if pending.is_empty() {
            progress(Event::WaitDone { what });
            return Ok(());
        }
        not_yet(&what, pending, deadline, opts, progress).await?;
    }
}

/// The end of a round of a wait that is not over: reports what is still pending, fails with a
/// timeout naming it once `deadline` has passed, else sleeps one interval.
pub(crate) async fn not_yet(
    what: &str,
    pending: Vec<String>,
    deadline: Instant,
    opts: &WaitOptions,
    progress: &mut dyn FnMut(Event),
) -> Result<(), ClusterError> {
    progress(Event::Waiting {
        what: what.to_string(),
        pending: pending.clone(),
    });
    if Instant::now() >= deadline {
        return Err(ClusterError::Timeout {
            what: what.to_string(),
            seconds: opts.timeout.as_secs(),
            not_ready: pending,
        });
    }
    tokio::time::sleep(opts.interval).await;
    Ok(())
}

/// The CRD kinds not yet in discovery; group versions found complete go into `served`.
async fn check_discovery(
    cluster: &Cluster,
    crds: &[CrdWait],
    served: &mut BTreeSet<(String, String)>,
) -> Result<Vec<String>, ClusterError> {
    let mut wanted: BTreeMap<(String, String), Vec<&CrdWait>> = BTreeMap::new();
    for crd in crds {
        for version in &crd.versions {
            wanted
                .entry((crd.group.clone(), version.clone()))
                .or_default()
                .push(crd);
        }
    }
    let mut pending = Vec::new();
    for ((group, version), members) in wanted {
        if served.contains(&(group.clone(), version.clone())) {
            continue;
        }
        let doc = cluster.discovery(&group, &version).await?;
        let missing: Vec<&&CrdWait> = members
            .iter()
            .filter(|c| !doc.as_ref().is_some_and(|d| discovery_serves(d, &c.plural)))
            .collect();
        if missing.is_empty() {
            served.insert((group, version));
            continue;
        }
        for crd in missing {
            pending.push(format!(
                "CustomResourceDefinition/{}: {group}/{version} {} not served by discovery yet",
                crd.name, crd.plural
            ));
        }
    }
    Ok(pending)
}

/// Waits until every workload is rolled out. On timeout the error names each workload still
/// not ready, why, and what is wrong with its pods.
pub(crate) async fn wait_workloads(
    cluster: &Cluster,
    workloads: &[WorkloadWait],
    opts: &WaitOptions,
    progress: &mut dyn FnMut(Event),
) -> Result<(), ClusterError> {
    let what = "workloads".to_string();
    progress(Event::WaitStarted {
        what: what.clone(),
        objects: workloads.len(),
    });
    let deadline = Instant::now() + opts.timeout;
    let mut ready: BTreeSet<usize> = BTreeSet::new();
    loop {
        let mut pending: Vec<(usize, String, Option<Value>)> = Vec::new();
        for (i, w) in workloads.iter().enumerate() {
            if ready.contains(&i) {
                continue;
            }
            match cluster.get(&w.target, &w.id.namespace, &w.id.name).await? {
                None => pending.push((i, "not found".into(), None)),
                Some(v) => match workload_readiness(&w.id.kind, &v) {
                    Readiness::Ready => {
                        ready.insert(i);
                    }
                    Readiness::NotReady(why) => pending.push((i, why, Some(v))),
                },
            }
        }
        if pending.is_empty() {
            progress(Event::WaitDone { what });
            return Ok(());
        }
        progress(Event::Waiting {
            what: what.clone(),
            pending: pending
                .iter()
                .map(|(i, why, _)| format!("{}: {why}", name(&workloads[*i])))
                .collect(),
        });
        if Instant::now() >= deadline {
            let mut not_ready = Vec::new();
            for (i, why, server) in &pending {
                let w = &workloads[*i];
                not_ready.push(format!("{}: {why}", name(w)));
                if let Some(server) = server {
                    for line in pod_reasons(cluster, w, server).await {
                        not_ready.push(format!("  {line}"));
                    }
                }
            }
            return Err(ClusterError::Timeout {
                what,
                seconds: opts.timeout.as_secs(),
                not_ready,
            });
        }
        tokio::time::sleep(opts.interval).await;
    }
}

/// `Kind/namespace/name`.
fn name(w: &WorkloadWait) -> String {
    format!("{}/{}/{}", w.id.kind, w.id.namespace, w.id.name)
}

/// What is wrong with a workload's pods; failures to look are reported as a reason too,
/// since the timeout error is what matters.
pub(crate) async fn pod_reasons(
    cluster: &Cluster,
    w: &WorkloadWait,
    server: &Value,
) -> Vec<String> {
    let Some(selector) = selector_string(server) else {
        return Vec::new();
    };
    let pods = ApiTarget::new("", "v1", "Pod", "pods", true);
    match cluster.list(&pods, &w.id.namespace, &selector).await {
        Ok(items) if items.is_empty() => {
            vec!["no pods created yet (see the events of the workload)".into()]
        }
        Ok(items) => pod_problems(&items, PODS_PER_WORKLOAD),
        Err(e) => vec![format!("cannot list pods: {e}")],
    }
}
