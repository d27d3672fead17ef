//! `meshctl x check-inject`.

use crate::CliError;
use clap::Args;
use std::process::ExitCode;

/// Flags of `x check-inject`.
#[derive(Args)]
pub struct CheckInjectArgs {}

/// Runs `x check-inject`.
pub fn run(_args: CheckInjectArgs) -> Result<ExitCode, CliError> {
    Err(CliError::msg("x check-inject: not implemented yet"))
}
