//! `meshctl x precheck`: is the cluster ready for an install? Exit 0 when nothing worse than
//! information was found, 1 otherwise.

use super::connect::{KubeArgs, connect};
use super::install::cluster_error;
use crate::CliError;
use clap::Args;
use mesh_cluster::{Level, MIN_KUBE_VERSION, PrecheckOptions, precheck};
use std::process::ExitCode;

// Flags of `x precheck`.
#[derive(Args)]
pub struct PrecheckArgs {
    /// The revision an install would create.
    #[arg(short = 'r', long = "revision", default_value = "default")]
    revision: String,
    /// The namespace an install would use.
    #[arg(short = 'i', long = "istio-namespace", default_value = "istio-system")]
    istio_namespace: String,
    #[command(flatten)]
    kube: KubeArgs,
}

/// Runs `x precheck`.
pub async fn run(args: PrecheckArgs) -> Result<ExitCode, CliError> {
    let connected = connect(&args.kube).await?;
    let opts = PrecheckOptions {
        namespace: args.istio_namespace,
        revision: args.revision,
        version: mesh_profiles::ISTIO_VERSION.to_string(),
        min_kube_version: MIN_KUBE_VERSION,
    };
    let report = precheck(&connected.cluster, &opts)
        .await
        .map_err(cluster_error)?;
    for f in &report.findings {
        println!("{:<8} {:<18} {}", f.level.to_string(), f.check, f.message);
    }
    if report.passed() {
        println!("no issues found: Istio {} can be installed", opts.version);
        Ok(ExitCode::SUCCESS)
    } else {
        let worst = report
            .findings
            .iter()
            .map(|f| f.level)
            .max()
            .unwrap_or(Level::Info);
        println!("issues found (worst: {worst}): fix them before installing");
        Ok(ExitCode::from(1))
    }
}
