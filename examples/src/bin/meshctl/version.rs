//! `meshctl version`.

use crate::CliError;
use clap::Args;
use std::process::ExitCode;

/// Flags of `version`.
#[derive(Args)]
pub struct VersionArgs {}

/// Runs `version`.
pub fn run(_args: VersionArgs) -> Result<ExitCode, CliError> {
    Err(CliError::msg("version: not implemented yet"))
}
