//! `meshctl kube-inject`.

use crate::CliError;
use clap::Args;
use std::process::ExitCode;

/// Flags of `kube-inject`.
#[derive(Args)]
pub struct KubeInjectArgs {}

/// Runs `kube-inject`.
pub fn run(_args: KubeInjectArgs) -> Result<ExitCode, CliError> {
    Err(CliError::msg("kube-inject: not implemented yet"))
}
