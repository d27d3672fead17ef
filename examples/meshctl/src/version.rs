//! `meshctl version`: the Istio version, hub and tag this build installs.

use crate::CliError;
use clap::Args;
use std::process::ExitCode;

// Flags of `version`.
#[derive(Args)]
pub struct VersionArgs {
    /// Print only the Istio version.
    #[arg(long)]
    short: bool,
    /// Accepted for istioctl compatibility; mesh never asks a cluster for its version here.
    #[arg(long, default_value_t = false)]
    remote: bool,
}

/// Runs `version`.
pub fn run(args: VersionArgs) -> Result<ExitCode, CliError> {
    let _ = args.remote;
    if args.short {
        println!("{}", mesh_profiles::ISTIO_VERSION);
    } else {
        println!("client version: {}", mesh_profiles::ISTIO_VERSION);
        println!("hub: {}", mesh_profiles::HUB);
        println!("tag: {}", mesh_profiles::TAG);
        println!("meshctl: {}", env!("CARGO_PKG_VERSION"));
    }
    Ok(ExitCode::SUCCESS)
}
