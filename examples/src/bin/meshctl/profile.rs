//! `meshctl profile list|dump|diff`.

use crate::CliError;
use clap::Subcommand;
use std::process::ExitCode;

/// The `profile` subcommands.
#[derive(Subcommand)]
pub enum ProfileCommand {
    /// List the built-in profiles.
    List,
}

/// Runs a `profile` subcommand.
pub fn run(cmd: ProfileCommand) -> Result<ExitCode, CliError> {
    match cmd {
        ProfileCommand::List => Err(CliError::msg("profile list: not implemented yet")),
    }
}
