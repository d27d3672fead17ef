//! `meshctl manifest generate|diff`.

use crate::CliError;
use crate::inputs::InputArgs;
use crate::manifest_diff::{ManifestDiffArgs, run as run_diff};
use crate::profile::resolve_error;
use clap::{Args, Subcommand};
use mesh_manifest::generate::{GenerateOptions, generate};
use mesh_manifest::{Manifest, apply_instructions, manifest_yaml, stage_files};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The `manifest` subcommands.
#[derive(Subcommand)]
pub enum ManifestCommand {
    /// Generate the installation manifest (one YAML stream that `kubectl apply -f` accepts).
    Generate(GenerateArgs),
    /// Compare two manifests object by object (exit 1 when they differ).
    Diff(ManifestDiffArgs),
}

/// Flags of `manifest generate`.
#[derive(Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    inputs: InputArgs,
    /// Control plane revision (same as `--set revision=REVISION`, applied last).
    #[arg(short = 'r', long = "revision")]
    revision: Option<String>,
    /// Write one numbered file per install stage into DIR and print how to apply them.
    #[arg(long = "output-dir", value_name = "DIR")]
    output_dir: Option<PathBuf>,
    /// Leave out the Namespace objects.
    #[arg(long = "no-namespace")]
    no_namespace: bool,
}

/// Runs a `manifest` subcommand.
pub fn run(cmd: ManifestCommand) -> Result<ExitCode, CliError> {
    match cmd {
        ManifestCommand::Generate(args) => generate_cmd(args),
        ManifestCommand::Diff(args) => run_diff(args),
    }
}

fn generate_cmd(args: GenerateArgs) -> Result<ExitCode, CliError> {
    let mut inputs = args.inputs.to_inputs(&[])?;
    if let Some(rev) = &args.revision {
        inputs.set_flags.push(format!("revision={rev}"));
    }
    let resolved = mesh_profiles::resolve(&inputs).map_err(resolve_error)?;
    let mut opts = GenerateOptions::default();
    opts.order.namespaces = !args.no_namespace;
    opts.render.crds = crate::inputs::crd_source(args.inputs.manifests.as_deref())?;
    let manifest = generate(&resolved, &opts)?;
    write_manifest(&manifest, args.output_dir.as_deref())?;
    Ok(ExitCode::SUCCESS)
}

/// Prints the manifest as one stream, or writes one file per stage into `output_dir` and prints
/// how to apply them.
pub fn write_manifest(manifest: &Manifest, output_dir: Option<&Path>) -> Result<(), CliError> {
    match output_dir {
        None => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth reporting.
            let _ = out.write_all(manifest_yaml(manifest).as_bytes());
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| CliError::msg(format!("{}: {e}", dir.display())))?;
            for f in stage_files(manifest) {
                let path = dir.join(&f.file_name);
                std::fs::write(&path, &f.content)
                    .map_err(|e| CliError::msg(format!("{}: {e}", path.display())))?;
            }
            print!(
                "{}",
                apply_instructions(manifest, &dir.display().to_string())
            );
        }
    }
    Ok(())
}
