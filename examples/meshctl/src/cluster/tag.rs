//! `meshctl tag set|list|remove`: revision tags on a cluster. The rules (which tags exist, what
//! may be set or removed) are `mesh_cluster::tags`; this module reads the cluster, asks them and
//! applies or deletes.

use super::confirm::confirm;
use super::connect::{KubeArgs, connect};
use super::install::cluster_error;
use crate::CliError;
use crate::tag::{TagSpec, render_tag};
use clap::Args;
use mesh_cluster::labels::DEFAULT_FIELD_MANAGER;
use mesh_cluster::tags::{
    TAG_LABEL, check_remove, check_set, revision_ca_bundle, tags_of, with_ca_bundle,
};
use mesh_cluster::{ApiTarget, Cluster, KindCatalog};
use serde_json::Value;
use std::process::ExitCode;

// Flags of `tag set`.
#[derive(Args)]
pub struct SetArgs {
    #[command(flatten)]
    spec: TagSpec,
    /// Move the tag when it exists (it points at another revision).
    #[arg(long = "overwrite")]
    overwrite: bool,
    /// Do not ask for confirmation.
    #[arg(short = 'y', long = "skip-confirmation")]
    yes: bool,
    /// Server-side dry run: check and validate, change nothing.
    #[arg(long = "dry-run")]
    dry_run: bool,
    #[command(flatten)]
    kube: KubeArgs,
}

// Flags of `tag list`.
#[derive(Args)]
pub struct ListArgs {
    #[command(flatten)]
    kube: KubeArgs,
}

// Flags of `tag remove`.
#[derive(Args)]
pub struct RemoveArgs {
    /// The tag.
    tag: String,
    /// Remove it even while namespaces use it, without asking.
    #[arg(short = 'y', long = "skip-confirmation")]
    yes: bool,
    /// The namespace of the tag's Service.
    #[arg(short = 'i', long = "istioNamespace", default_value = "istio-system")]
    istio_namespace: String,
    #[command(flatten)]
    kube: KubeArgs,
}

fn target(group: &str, kind: &str) -> Result<ApiTarget, CliError> {
    KindCatalog::builtin()
        .get(group, kind)
        .cloned()
        .ok_or_else(|| CliError::msg(format!("internal: no API target for {group}/{kind}")))
}

fn webhooks_target() -> Result<ApiTarget, CliError> {
    target(
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
    )
}

/// The cluster's MutatingWebhookConfigurations and Namespaces.
async fn read(cluster: &Cluster) -> Result<(Vec<Value>, Vec<Value>), CliError> {
    let webhooks = cluster
        .list(&webhooks_target()?, "", "")
        .await
        .map_err(cluster_error)?;
    let namespaces = cluster
        .list(&target("", "Namespace")?, "", "")
        .await
        .map_err(cluster_error)?;
    Ok((webhooks, namespaces))
}

/// Runs `tag set`.
pub async fn set(args: SetArgs) -> Result<ExitCode, CliError> {
    let manifest = render_tag(&args.spec)?;
    let connected = connect(&args.kube).await?;
    let (webhooks, _) = read(&connected.cluster).await?;
    check_set(
        &args.spec.tag,
        &args.spec.revision,
        &webhooks,
        args.overwrite,
    )
    .map_err(|e| CliError::msg(e.to_string()))?;
    if !args.yes && !args.dry_run {
        confirm(&format!(
            "Point tag {:?} at revision {:?} on {}?",
            args.spec.tag, args.spec.revision, connected.url
        ))?;
    }
    let catalog = KindCatalog::builtin();
    let ca_bundle = revision_ca_bundle(&args.spec.revision, &webhooks);
    for object in manifest.objects() {
        let target = catalog.target_of(&object.value);
        let mut value = object.value.clone();
        if let Some(ca) = ca_bundle
            && object.kind() == "MutatingWebhookConfiguration"
        {
            with_ca_bundle(&mut value, ca);
        }
        connected
            .cluster
            .apply(&target, &value, DEFAULT_FIELD_MANAGER, args.dry_run)
            .await
            .map_err(cluster_error)?;
        let verb = if args.dry_run {
            "would apply"
        } else {
            "applied"
        };
        eprintln!("{verb} {}/{}", object.kind(), object.name());
    }
    println!(
        "tag {:?} points at revision {:?}{}",
        args.spec.tag,
        args.spec.revision,
        if args.dry_run { " (dry run)" } else { "" }
    );
    Ok(ExitCode::SUCCESS)
}

/// Runs `tag list`.
pub async fn list(args: ListArgs) -> Result<ExitCode, CliError> {
    let connected = connect(&args.kube).await?;
    let (webhooks, namespaces) = read(&connected.cluster).await?;
    let tags = tags_of(&webhooks, &namespaces);
    println!("{:<20} {:<20} NAMESPACES", "TAG", "REVISION");
    for t in tags {
        let nss = if t.namespaces.is_empty() {
            "<none>".to_string()
        } else {
            t.namespaces.join(",")
        };
        println!("{:<20} {:<20} {nss}", t.tag, t.revision);
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `tag remove`.
pub async fn remove(args: RemoveArgs) -> Result<ExitCode, CliError> {
    let connected = connect(&args.kube).await?;
    let (webhooks, namespaces) = read(&connected.cluster).await?;
    let info = check_remove(&args.tag, &webhooks, &namespaces, args.yes)
        .map_err(|e| CliError::msg(e.to_string()))?;
    let cluster = &connected.cluster;
    cluster
        .delete(&webhooks_target()?, "", &info.webhook, false)
        .await
        .map_err(cluster_error)?;
    eprintln!("deleted MutatingWebhookConfiguration/{}", info.webhook);
    // The tag's Service (Istio 1.28+), when there is one with the tag's label.
    let services = cluster
        .list(
            &target("", "Service")?,
            &args.istio_namespace,
            &format!("{TAG_LABEL}={}", args.tag),
        )
        .await
        .map_err(cluster_error)?;
    for svc in services {
        let name = svc
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        cluster
            .delete(&target("", "Service")?, &args.istio_namespace, &name, false)
            .await
            .map_err(cluster_error)?;
        eprintln!("deleted Service/{}/{name}", args.istio_namespace);
    }
    println!(
        "tag {:?} removed (it pointed at revision {:?})",
        args.tag, info.revision
    );
    Ok(ExitCode::SUCCESS)
}
