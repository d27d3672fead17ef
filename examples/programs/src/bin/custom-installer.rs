//! A custom installer in a few lines: resolve a configuration, render and order it, apply it to
//! the cluster of your kubeconfig stage by stage (server-side apply, CRDs Established and served
//! before their users, workloads ready, prune what this install no longer renders).
//!
//! ```sh
//! cargo run -p mesh-examples --bin custom-installer -- --dry-run    # the API server checks, nothing changes
//! cargo run -p mesh-examples --bin custom-installer                 # install the demo profile
//! ```

use mesh_cluster::{Cluster, Event, Ownership, PlanOptions, RunOptions, install_plan, run_plan};
use mesh_manifest::generate::{GenerateOptions, generate};
use mesh_profiles::{ISTIO_VERSION, Inputs, resolve};
use std::error::Error;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let dry_run = std::env::args().any(|a| a == "--dry-run");

    // What to install: a profile and the settings your platform always wants.
    let inputs = Inputs::with_sets(["profile=demo", "values.global.logAsJson=true"]);
    let resolved = resolve(&inputs)?;
    let manifest = generate(&resolved, &GenerateOptions::default())?;

    // Who owns the objects (labels used to find them again for upgrades, prune and uninstall).
    let owner = Ownership::from_operator(&resolved.operator, ISTIO_VERSION);
    let plan = install_plan(
        &manifest,
        &owner,
        &PlanOptions {
            dry_run,
            prune: true,
        },
    );

    // Connect with the local kubeconfig and run the plan, printing progress as it comes.
    let cluster = Cluster::new(kube::Client::try_default().await?);
    let report = run_plan(
        &cluster,
        &plan,
        &RunOptions::default(),
        &mut |event: Event| {
            eprintln!("{event:?}");
        },
    )
    .await?;
    println!(
        "{} {} objects, pruned {}",
        if dry_run { "checked" } else { "applied" },
        report.applied.len(),
        report.pruned.len()
    );
    Ok(())
}
