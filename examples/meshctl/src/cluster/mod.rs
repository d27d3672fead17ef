//! The cluster commands (feature `kube`): `install`, `upgrade`, `uninstall`, `verify-install`
//! `dashboard` and `x precheck`, on mesh-cluster's engine.

mod confirm;
mod connect;
pub mod dashboard;
mod install;
mod precheck;
mod progress;
mod render;
pub mod tag;
#[cfg(test)]
mod tests;
mod uninstall;
mod verify;

use crate::CliError;
use clap::Subcommand;
use std::future::Future;
use std::process::ExitCode;

pub use precheck::PrecheckArgs;

/// The cluster commands, flattened into meshctl's top-level commands.
#[derive(Subcommand)]
// Each subcommand's flags are added when it is the one run (clap's `defer`): building
// every command's arguments was a third of `meshctl version`'s instructions. So the flag
// structs carry plain comments: clap would take a doc comment there for the command's about.
#[command(defer = true)]
pub enum ClusterCommand {
    /// Install Istio into the cluster (server-side apply, stage by stage, waiting for readiness).
    Install(install::InstallArgs),
    /// Upgrade an existing installation (an install that requires one to exist).
    Upgrade(install::InstallArgs),
    /// Remove an installation from the cluster.
    Uninstall(uninstall::UninstallArgs),
    /// Open an addon's web interface: forward a local port to a running pod of it and print the
    /// URL (kiali, grafana, prometheus, jaeger, zipkin, loki).
    Dashboard(dashboard::DashboardArgs),
    /// Check that the cluster has every object of the installation, ready (exit 1 if not).
    #[command(name = "verify-install")]
    VerifyInstall(verify::VerifyArgs),
}

/// Runs a cluster command.
pub fn run(cmd: ClusterCommand) -> Result<ExitCode, CliError> {
    match cmd {
        ClusterCommand::Install(args) => block_on(install::run(args, install::Mode::Install)),
        ClusterCommand::Upgrade(args) => block_on(install::run(args, install::Mode::Upgrade)),
        ClusterCommand::Uninstall(args) => block_on(uninstall::run(args)),
        ClusterCommand::VerifyInstall(args) => block_on(verify::run(args)),
        ClusterCommand::Dashboard(args) => block_on(dashboard::run(args)),
    }
}

/// Runs `x precheck`.
pub fn run_precheck(args: PrecheckArgs) -> Result<ExitCode, CliError> {
    block_on(precheck::run(args))
}

/// Runs a command on a single-threaded runtime: the engine sends one request at a time.
pub fn block_on<F: Future<Output = Result<ExitCode, CliError>>>(
    f: F,
) -> Result<ExitCode, CliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::msg(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(f)
}
