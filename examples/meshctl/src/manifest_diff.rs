//! `meshctl manifest diff A B`: per-object semantic diff of two manifest files.

use crate::CliError;
use clap::Args;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

// Arguments of `manifest diff`.
#[derive(Args, Debug)]
pub struct ManifestDiffArgs {
    /// The old manifest (a YAML stream; `-` reads standard input).
    pub old: PathBuf,
    /// The new manifest (a YAML stream; `-` reads standard input).
    pub new: PathBuf,
}

/// Prints the differences between the two manifests: exit code 0 when they are semantically
/// identical, 1 when they differ; unreadable or invalid files are errors (exit code 2).
pub fn run(args: ManifestDiffArgs) -> Result<ExitCode, CliError> {
    if args.old == Path::new("-") && args.new == Path::new("-") {
        return Err(CliError::msg(
            "manifest diff: only one of the two files can be standard input (-)",
        ));
    }
    let (old_name, old_text) = read(&args.old)?;
    let (new_name, new_text) = read(&args.new)?;
    let diff = mesh_manifest::diff_streams(&old_text, &old_name, &new_text, &new_name)?;
    if diff.is_empty() {
        println!("Manifests are identical");
        return Ok(ExitCode::SUCCESS);
    }
    println!("{diff}");
    Ok(ExitCode::from(1))
}

/// The file's display name and text.
fn read(path: &Path) -> Result<(String, String), CliError> {
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| CliError::msg(format!("<stdin>: cannot read: {e}")))?;
        return Ok(("<stdin>".to_string(), text));
    }
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::msg(format!("{name}: cannot read: {e}")))?;
    Ok((name, text))
}
