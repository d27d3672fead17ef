//! `meshctl manifest generate|diff|translate`.

use crate::CliError;
use crate::inputs::InputArgs;
use crate::manifest_diff::{ManifestDiffArgs, run as run_diff};
use crate::profile::resolve_error;
use clap::{Args, Subcommand};
use mesh_manifest::generate::{GenerateOptions, generate};
use mesh_manifest::{
    Layout, LayoutOptions, Manifest, OutputFile, TranslateOptions, apply_instructions,
    layout_files, layout_instructions, stage_files, translate, translation_files,
    write_manifest_yaml,
};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The `manifest` subcommands.
#[derive(Subcommand)]
// Each subcommand's flags are added when it is the one run (clap's `defer`): building
// every command's arguments was a third of `meshctl version`'s instructions. So the flag
// structs carry plain comments: clap would take a doc comment there for the command's about.
#[command(defer = true)]
pub enum ManifestCommand {
    /// Generate the installation manifest (one YAML stream that `kubectl apply -f` accepts).
    Generate(GenerateArgs),
    /// Compare two manifests object by object (exit 1 when they differ).
    Diff(ManifestDiffArgs),
    /// Write the Helm releases (values per chart, install script, handover) that render the
    /// same control plane with Istio's Helm charts.
    Translate(TranslateArgs),
}

// Flags of `manifest translate`.
#[derive(Args)]
pub struct TranslateArgs {
    #[command(flatten)]
    inputs: InputArgs,
    /// Control plane revision (same as `--set revision=REVISION`, applied last).
    #[arg(short = 'r', long = "revision")]
    revision: Option<String>,
    /// Folder to write the values files, install.sh, handover.yaml and README.md into.
    #[arg(long = "output-dir", value_name = "DIR", required = true)]
    output_dir: PathBuf,
    /// The server-side apply field manager the control plane was installed with (meshctl's and
    /// istioctl's default).
    #[arg(long = "field-manager", value_name = "NAME", default_value = FIELD_MANAGER)]
    field_manager: String,
}

/// The field manager meshctl and istioctl install with.
pub const FIELD_MANAGER: &str = "istio-operator";

// Flags of `manifest generate`.
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
    /// Layout of `--output-dir`: plain (stage files), kustomize (a kustomization per stage and
    /// one on top), argocd (sync waves and ignoreDifferences), flux (Flux Kustomizations
    /// chained by dependsOn).
    #[arg(
        long = "layout",
        value_name = "LAYOUT",
        default_value = "plain",
        requires = "output_dir"
    )]
    layout: String,
    /// Flux layout: the GitRepository the Kustomizations read.
    #[arg(long = "flux-source", value_name = "NAME", default_value = "mesh")]
    flux_source: String,
    /// Flux layout: the output folder's path inside that repository (default: `--output-dir`
    /// when it is relative).
    #[arg(long = "flux-path", value_name = "PATH")]
    flux_path: Option<String>,
}

/// Runs a `manifest` subcommand.
pub fn run(cmd: ManifestCommand) -> Result<ExitCode, CliError> {
    match cmd {
        ManifestCommand::Generate(args) => generate_cmd(args),
        ManifestCommand::Diff(args) => run_diff(args),
        ManifestCommand::Translate(args) => translate_cmd(args),
    }
}

/// Resolves the inputs, with `-r REVISION` applied last.
fn resolve_inputs(
    inputs: &InputArgs,
    revision: Option<&String>,
) -> Result<mesh_profiles::Resolved, CliError> {
    let mut inputs = inputs.to_inputs(&[])?;
    if let Some(rev) = revision {
        inputs.set_flags.push(format!("revision={rev}"));
    }
    mesh_profiles::resolve(&inputs).map_err(resolve_error)
}

fn translate_cmd(args: TranslateArgs) -> Result<ExitCode, CliError> {
    let resolved = resolve_inputs(&args.inputs, args.revision.as_ref())?;
    let mut opts = GenerateOptions::default();
    opts.render.crds = crate::inputs::crd_source(args.inputs.manifests.as_deref())?;
    let manifest = generate(&resolved, &opts)?;
    let translation = translate(&resolved);
    let options = TranslateOptions {
        field_manager: args.field_manager,
    };
    let dir = &args.output_dir;
    write_files(dir, translation_files(&translation, &manifest, &options))?;
    for path in &translation.not_translated {
        eprintln!(
            "warning: {path} is not carried over: no chart value expresses it (see README.md)"
        );
    }
    for release in &translation.releases {
        for d in &release.differences {
            eprintln!("note: {}: {d}", release.release);
        }
    }
    println!(
        "wrote {} Helm releases to {}; install them with: sh {}/install.sh",
        translation.releases.len(),
        dir.display(),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes `files` below `dir`, creating folders as needed.
fn write_files(dir: &Path, files: Vec<OutputFile>) -> Result<(), CliError> {
    for file in files {
        let path = dir.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| CliError::msg(format!("{}: {e}", parent.display())))?;
        }
        std::fs::write(&path, &file.content)
            .map_err(|e| CliError::msg(format!("{}: {e}", path.display())))?;
    }
    Ok(())
}

fn generate_cmd(args: GenerateArgs) -> Result<ExitCode, CliError> {
    let resolved = resolve_inputs(&args.inputs, args.revision.as_ref())?;
    let mut opts = GenerateOptions::default();
    opts.order.namespaces = !args.no_namespace;
    opts.render.crds = crate::inputs::crd_source(args.inputs.manifests.as_deref())?;
    let layout: Layout =
        args.layout
            .parse()
            .map_err(|e: mesh_manifest::gitops::ParseLayoutError| {
                CliError::msg(format!("--layout: {e}"))
            })?;
    let manifest = generate(&resolved, &opts)?;
    for note in apply_notes(&manifest) {
        eprintln!("{note}");
    }
    match (&args.output_dir, layout) {
        (Some(dir), layout) if layout != Layout::Plain => {
            let mut options = LayoutOptions {
                layout,
                ..LayoutOptions::default()
            };
            options.flux.source_name = args.flux_source.clone();
            options.flux.path = match &args.flux_path {
                Some(p) => p.clone(),
                None if dir.is_relative() => format!("./{}", dir.display()),
                None => ".".to_string(),
            };
            write_layout(&manifest, &options, dir)?;
        }
        _ => write_manifest(&manifest, args.output_dir.as_deref())?,
    }
    // The process ends here: the system takes its memory back at once, where dropping the
    // trees node by node would cost about a twentieth of the run.
    std::mem::forget((manifest, resolved));
    Ok(ExitCode::SUCCESS)
}

/// Writes the files of a GitOps layout into `dir` and prints what to do with them.
fn write_layout(manifest: &Manifest, options: &LayoutOptions, dir: &Path) -> Result<(), CliError> {
    write_files(dir, layout_files(manifest, options))?;
    print!(
        "{}",
        layout_instructions(manifest, options, &dir.display().to_string())
    );
    Ok(())
}

/// Kinds that a cluster serves only once a third-party CRD is installed: group, kind, the CRD's
/// name and who ships it.
const THIRD_PARTY_KINDS: &[(&str, &str, &str, &str)] = &[(
    "k8s.cni.cncf.io",
    "NetworkAttachmentDefinition",
    "network-attachment-definitions.k8s.cni.cncf.io",
    "Multus",
)];

/// One-line notes for stderr about what `kubectl apply` of this manifest needs from the cluster
/// beyond a stock Kubernetes: kinds served only with a third-party CRD, and an empty manifest
/// (kubectl refuses an input without objects).
fn apply_notes(manifest: &Manifest) -> Vec<String> {
    if manifest.is_empty() {
        return vec![
            "note: the manifest is empty (no component is enabled); `kubectl apply` refuses an \
             input without objects"
                .to_string(),
        ];
    }
    let mut notes = Vec::new();
    for (group, kind, crd, provider) in THIRD_PARTY_KINDS {
        let names: Vec<String> = manifest
            .objects()
            .filter(|o| o.group() == *group && o.kind() == *kind)
            .map(|o| match o.namespace() {
                "" => o.name().to_string(),
                ns => format!("{ns}/{}", o.name()),
            })
            .collect();
        if !names.is_empty() {
            notes.push(format!(
                "note: the manifest has {kind} {} ({group}), which needs the {provider} CRD {crd} \
                 on the cluster: without it `kubectl apply` fails on that object",
                names.join(", ")
            ));
        }
    }
    notes
}

/// Prints the manifest as one stream, or writes one file per stage into `output_dir` and prints
/// how to apply them.
pub fn write_manifest(manifest: &Manifest, output_dir: Option<&Path>) -> Result<(), CliError> {
    match output_dir {
        None => {
            // Written as printed: the CRDs' text goes out from the binary itself, and only
            // the other documents are printed into memory, one at a time.
            let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            CliError::stdout_written(
                write_manifest_yaml(manifest, &mut out).and_then(|()| out.flush()),
            )?;
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

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use mesh_profiles::{Inputs, ProfileSource};

    fn manifest_of(sets: &[&str]) -> Manifest {
        let inputs = Inputs {
            files: Vec::new(),
            set_flags: sets.iter().map(|s| s.to_string()).collect(),
            profiles: ProfileSource::Builtin,
        };
        let resolved = mesh_profiles::resolve(&inputs).unwrap();
        generate(&resolved, &GenerateOptions::default()).unwrap()
    }

    #[test]
    fn notes_name_the_multus_crd_only_when_a_nad_is_rendered() {
        let notes = apply_notes(&manifest_of(&["profile=openshift"]));
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].contains("NetworkAttachmentDefinition default/istio-cni")
                && notes[0].contains("network-attachment-definitions.k8s.cni.cncf.io")
                && notes[0].contains("Multus")
                && !notes[0].contains('\n'),
            "{}",
            notes[0]
        );
        assert_eq!(
            apply_notes(&manifest_of(&["profile=ambient"])),
            Vec::<String>::new()
        );
        assert_eq!(apply_notes(&manifest_of(&[])), Vec::<String>::new());
    }

    #[test]
    fn an_empty_manifest_gets_a_note() {
        let notes = apply_notes(&manifest_of(&["profile=empty"]));
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("empty"), "{}", notes[0]);
    }
}
