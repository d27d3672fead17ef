//! `meshctl manifest generate|diff`.

use crate::CliError;
use clap::Subcommand;
use std::process::ExitCode;

/// The `manifest` subcommands.
#[derive(Subcommand)]
pub enum ManifestCommand {
    /// Generate the installation manifest.
    Generate,
}

/// Runs a `manifest` subcommand.
pub fn run(cmd: ManifestCommand) -> Result<ExitCode, CliError> {
    match cmd {
        ManifestCommand::Generate => Err(CliError::msg("manifest generate: not implemented yet")),
    }
}
