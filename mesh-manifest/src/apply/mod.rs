//! The cluster engine (feature `kube`): install, upgrade, prune, uninstall, verify and precheck
//! a mesh on a live Kubernetes cluster, on top of the ordered [`Manifest`](crate::Manifest).
//!
//! The engine is split into a pure half and an IO half so that the decisions can be tested
//! without a cluster:
//!
//! * pure: [`labels`] (ownership labels and selectors), [`resource`] (kind → API path),
//!   [`requests`] (the exact HTTP requests), [`plan`] (which objects in which order, what to wait
//!   for, what may be pruned), [`readiness`] (is a workload ready, and if not why),
//!   [`uninstall::select_deletions`], [`verify::verify_rows`], [`precheck`]'s checks;
//! * IO: [`cluster::Cluster`] sends the requests through a [`kube::Client`] and classifies
//!   errors; [`install::run_plan`], [`wait`], [`prune`], [`uninstall::uninstall`],
//!   [`verify::verify_install`] and [`precheck::precheck`] drive it.
//!
//! The library never prints: progress is reported as [`progress::Event`]s to a callback.

pub mod cluster;
pub mod error;
pub mod install;
pub mod labels;
pub mod plan;
pub mod precheck;
pub mod progress;
pub mod prune;
pub mod readiness;
pub mod requests;
pub mod resource;
pub mod uninstall;
pub mod verify;
pub mod wait;

pub use cluster::Cluster;
pub use error::ClusterError;
pub use install::{InstallReport, RunOptions, run_plan};
pub use labels::Ownership;
pub use plan::{InstallPlan, PlanOptions, Step, install_plan};
pub use progress::Event;
pub use resource::{ApiTarget, KindCatalog};
pub use wait::WaitOptions;
