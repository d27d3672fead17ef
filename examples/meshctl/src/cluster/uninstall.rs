//! `meshctl uninstall`: remove a revision (`--revision`), the installation a configuration
//! describes (`-f`/`--set`), or everything (`--purge`), webhooks first.

use super::confirm::confirm;
use super::connect::{KubeArgs, connect};
use super::install::cluster_error;
use super::progress::Progress;
use super::render::{render, resolve};
use crate::CliError;
use crate::inputs::InputArgs;
use clap::Args;
use mesh_cluster::{Scope, uninstall, uninstall_plan};
use std::process::ExitCode;

// Flags of `uninstall`.
#[derive(Args)]
pub struct UninstallArgs {
    #[command(flatten)]
    inputs: InputArgs,
    /// Remove the control plane of this revision.
    #[arg(short = 'r', long = "revision")]
    revision: Option<String>,
    /// Remove every Istio object on the cluster, of every revision, CRDs included (which
    /// deletes every Istio custom resource too).
    #[arg(long)]
    purge: bool,
    /// Also delete the install namespace, if mesh created it.
    #[arg(long = "delete-namespace")]
    delete_namespace: bool,
    /// The install namespace (when no `-f` file names one).
    #[arg(short = 'i', long = "istio-namespace", value_name = "NAMESPACE")]
    istio_namespace: Option<String>,
    /// Do not ask for confirmation.
    #[arg(short = 'y', long = "skip-confirmation")]
    yes: bool,
    /// Server-side dry run of the deletes.
    #[arg(long = "dry-run")]
    dry_run: bool,
    #[command(flatten)]
    kube: KubeArgs,
}

/// Runs `uninstall`.
pub async fn run(args: UninstallArgs) -> Result<ExitCode, CliError> {
    let from_config = !args.inputs.files.is_empty() || !args.inputs.set.is_empty();
    if !args.purge && !from_config && args.revision.is_none() {
        return Err(CliError::msg(
            "uninstall needs --revision, -f/--set (the installation's configuration) or --purge",
        ));
    }
    let resolved = if from_config {
        Some(resolve(&args.inputs, args.revision.as_deref())?)
    } else {
        None
    };
    let connected = connect(&args.kube).await?;
    let mut namespace = args
        .istio_namespace
        .clone()
        .unwrap_or_else(|| "istio-system".to_string());
    let mut extra_kinds: Vec<(String, String)> = Vec::new();
    let scope = match (args.purge, resolved) {
        (true, _) => Scope::Purge,
        (false, Some(resolved)) => {
            let rendered = render(
                resolved,
                args.inputs.manifests.as_deref(),
                &connected.version,
            )?;
            namespace = rendered.ownership.owner_namespace.clone();
            extra_kinds = rendered
                .manifest
                .objects()
                .map(|o| (o.group().to_string(), o.kind().to_string()))
                .collect();
            Scope::Installation(rendered.ownership)
        }
        (false, None) => Scope::Revision(args.revision.clone().unwrap_or_default()),
    };
    let what = match &scope {
        Scope::Purge => {
            "every Istio object (all revisions, CRDs and custom resources included)".to_string()
        }
        Scope::Revision(r) => format!("the control plane of revision {r}"),
        Scope::Installation(o) => format!(
            "the installation of revision {} in {}",
            o.revision, o.owner_namespace
        ),
    };
    if !args.yes && !args.dry_run {
        confirm(&format!(
            "This will remove {what} from the cluster at {}.",
            connected.url
        ))?;
    }
    let plan = uninstall_plan(
        scope,
        args.delete_namespace.then_some(namespace),
        extra_kinds.iter().map(|(g, k)| (g.as_str(), k.as_str())),
        args.dry_run,
    );
    let mut progress = Progress::for_stderr(args.dry_run);
    let report = uninstall(&connected.cluster, &plan, &mut |e| progress.event(e))
        .await
        .map_err(cluster_error)?;
    if let Some(why) = &report.namespace_kept {
        eprintln!("kept: {why}");
    }
    let verb = if args.dry_run {
        "would delete"
    } else {
        "deleted"
    };
    eprintln!("{verb} {} objects", report.deleted.len());
    Ok(ExitCode::SUCCESS)
}
