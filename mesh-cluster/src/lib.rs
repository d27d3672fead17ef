//! mesh-cluster: the cluster engine. Install, upgrade, prune, uninstall, verify and precheck a
//! mesh on a live Kubernetes cluster, on top of mesh-manifest's ordered
//! [`Manifest`](mesh_manifest::Manifest).
//!
//! The crate is split like kube-rs (kube-core builds requests, kube-client sends them):
//!
//! * pure, in every build: [`labels`] (ownership labels and selectors), [`resource`] (kind →
//!   API path), [`takeover`] (fields taken back from other managers), [`requests`] (the exact HTTP requests, with kube-core), [`plan`] (which objects
//!   in which order, what to wait for, what may be pruned), [`readiness`] (is a workload ready,
//!   and if not why), [`dashboard`] (the pod `meshctl dashboard` forwards to), [`version`], and the rules of [`precheck`](mod@precheck), [`prune`],
//!   [`uninstall`](mod@uninstall), [`verify`] and [`install`];
//! * IO, behind the default feature `client`: `client::Cluster` sends the requests through a
//!   `kube::Client` and classifies errors; `run_plan` (which reports the fields it takes back
//!   from other field managers), `review_access` (the permissions a plan needs), `uninstall`,
//!   `verify_install` and `precheck` drive it.
//!
//! The library never prints: progress is reported as [`Event`]s to a callback.
//!
//! Planning needs no cluster:
//!
//! ```
//! use mesh_cluster::{Ownership, PlanOptions, Step, install_plan};
//! use mesh_manifest::generate::{GenerateOptions, generate};
//! use mesh_profiles::{Inputs, resolve};
//!
//! let resolved = resolve(&Inputs::with_sets(["profile=minimal"]))?;
//! let manifest = generate(&resolved, &GenerateOptions::default())?;
//! let owner = Ownership::from_operator(&resolved.operator, "1.30.3");
//! let plan = install_plan(&manifest, &owner, &PlanOptions::default());
//! // Stage 00 (namespace and CRDs) is applied first, then its CRDs are waited for.
//! assert!(matches!(&plan.steps[0], Step::Apply { objects, .. } if objects[0].id.kind == "Namespace"));
//! assert!(matches!(plan.steps[1], Step::WaitCrds(_)));
//! assert!(matches!(plan.steps.last(), Some(Step::Prune(_))));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// Library code never unwraps what comes from input; tests may (clippy.toml allows it there).
#![warn(clippy::unwrap_used, clippy::expect_used)]

pub mod dashboard;
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
pub mod tags;
pub mod takeover;
pub mod uninstall;
pub mod verify;
pub mod version;

#[cfg(feature = "client")]
pub mod client;

pub use error::{Action, Cause, ClusterError};
pub use install::{InstallReport, RunOptions, WaitOptions};
pub use labels::Ownership;
pub use plan::{InstallPlan, PlanOptions, PlannedObject, Step, install_plan, mark_addons};
pub use precheck::{Finding, Level, MIN_KUBE_VERSION, PrecheckOptions, PrecheckReport};
pub use progress::Event;
pub use resource::{ApiTarget, KindCatalog};
pub use takeover::{FieldConflict, Takeover};
pub use uninstall::{Scope, UninstallPlan, UninstallReport, uninstall_plan};
pub use verify::{RowStatus, VerifyReport, VerifyRow};
pub use version::KubeVersion;

#[cfg(feature = "client")]
pub use client::{Cluster, precheck, review_access, run_plan, uninstall, verify_install};
