//! `meshctl tag generate`: the objects that make a revision tag (`istio.io/rev=<tag>` on a
//! namespace selects the revision the tag points at), printed offline.
//!
//! A tag is the MutatingWebhookConfiguration `istio-revision-tag-<tag>` (plus, since Istio 1.28,
//! the Service `istiod-revision-tag-<tag>`) pointing at the revision's injector. They are
//! rendered exactly as the istiod chart renders `values.revisionTags` for that revision, so a
//! tag made here and a tag made by an install with `revisionTags` are the same objects.

use crate::CliError;
use crate::inputs::InputArgs;
use crate::manifest::write_manifest;
use crate::profile::resolve_error;
use clap::{Args, Subcommand};
use mesh_manifest::generate::{GenerateOptions, generate};
use mesh_manifest::{Manifest, Object, OrderOptions, order};
use std::process::ExitCode;

/// The `tag` subcommands.
#[derive(Subcommand)]
// Each subcommand's flags are added when it is the one run (clap's `defer`): building
// every command's arguments was a third of `meshctl version`'s instructions. So the flag
// structs carry plain comments: clap would take a doc comment there for the command's about.
#[command(defer = true)]
pub enum TagCommand {
    /// Print the webhook configuration and Service of a revision tag (apply them with kubectl).
    Generate(GenerateArgs),
    /// Create or move a revision tag on the cluster.
    #[cfg(feature = "kube")]
    Set(crate::cluster::tag::SetArgs),
    /// List the cluster's revision tags, the revision each points at and the namespaces using it.
    #[cfg(feature = "kube")]
    List(crate::cluster::tag::ListArgs),
    /// Remove a revision tag from the cluster (refused while namespaces use it, unless -y).
    #[cfg(feature = "kube")]
    Remove(crate::cluster::tag::RemoveArgs),
}

// Flags of `tag generate`.
#[derive(Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub spec: TagSpec,
}

// What a tag is rendered from: the tag, its revision and that revision's install settings.
#[derive(Args)]
pub struct TagSpec {
    /// The tag, e.g. `prod` or `default`.
    pub tag: String,
    /// The revision the tag points at (`default` for the revision installed without one).
    #[arg(short = 'r', long = "revision", value_name = "REVISION")]
    pub revision: String,
    /// The install settings of that revision (as given to its install).
    #[command(flatten)]
    pub inputs: InputArgs,
    /// Inject into every namespace not labelled otherwise (`default` tag only, as istioctl).
    #[arg(long = "auto-inject-namespaces")]
    pub auto_inject_namespaces: bool,
    /// The namespace of the revision's control plane.
    #[arg(short = 'i', long = "istioNamespace", value_name = "NAMESPACE")]
    pub istio_namespace: Option<String>,
}

/// Runs a `tag` subcommand.
pub fn run(cmd: TagCommand) -> Result<ExitCode, CliError> {
    match cmd {
        TagCommand::Generate(args) => generate_cmd(args),
        #[cfg(feature = "kube")]
        TagCommand::Set(args) => crate::cluster::block_on(crate::cluster::tag::set(args)),
        #[cfg(feature = "kube")]
        TagCommand::List(args) => crate::cluster::block_on(crate::cluster::tag::list(args)),
        #[cfg(feature = "kube")]
        TagCommand::Remove(args) => crate::cluster::block_on(crate::cluster::tag::remove(args)),
    }
}

/// Checks a tag name: a label value Kubernetes accepts and a valid object name suffix.
fn check_tag(tag: &str, revision: &str) -> Result<(), CliError> {
    if !mesh_core::operator::validate::is_dns1123_label(tag) {
        return Err(CliError::msg(format!(
            "tag {tag:?}: expected lower-case letters, digits and '-' (at most 63, starting and \
             ending with a letter or digit)"
        )));
    }
    if tag == revision && tag != "default" {
        return Err(CliError::msg(format!(
            "tag {tag:?} is the name of the revision it points at: a revision is selected by its \
             own name already"
        )));
    }
    Ok(())
}

fn generate_cmd(args: GenerateArgs) -> Result<ExitCode, CliError> {
    let ordered = render_tag(&args.spec)?;
    write_manifest(&ordered, None)?;
    Ok(ExitCode::SUCCESS)
}

/// The tag's objects (its webhook configuration and Service), ordered, without a Namespace.
pub fn render_tag(args: &TagSpec) -> Result<Manifest, CliError> {
    check_tag(&args.tag, &args.revision)?;
    let mut sets = Vec::new();
    if let Some(ns) = &args.istio_namespace {
        sets.push(format!("values.global.istioNamespace={ns}"));
    }
    if args.auto_inject_namespaces {
        sets.push("values.sidecarInjectorWebhook.enableNamespacesByDefault=true".to_string());
    }
    let mut inputs = args.inputs.to_inputs(&sets)?;
    // Applied last: the tag is rendered for exactly this revision.
    let revision = if args.revision == "default" {
        String::new()
    } else {
        args.revision.clone()
    };
    inputs.set_flags.push(format!("revision={revision}"));
    inputs
        .set_flags
        .push(format!("values.revisionTags[0]={}", args.tag));
    let resolved = mesh_profiles::resolve(&inputs).map_err(resolve_error)?;
    let mut opts = GenerateOptions::default();
    opts.render.crds = crate::inputs::crd_source(args.inputs.manifests.as_deref())?;
    let manifest = generate(&resolved, &opts)?;
    let tagged = tag_objects(&manifest, &args.tag);
    if tagged.is_empty() {
        return Err(CliError::msg(format!(
            "no objects for tag {:?}: the revision's injector is not rendered with these settings \
             (is components.pilot enabled, and global.operatorManageWebhooks off?)",
            args.tag
        )));
    }
    let options = OrderOptions {
        namespaces: false,
        ..OrderOptions::default()
    };
    order(tagged, &options).map_err(|e| CliError::msg(e.to_string()))
}

/// The objects of `manifest` that make `tag`: those labelled `istio.io/tag: <tag>`.
fn tag_objects(manifest: &Manifest, tag: &str) -> Vec<Object> {
    manifest
        .objects()
        .filter(|o| {
            o.value
                .pointer("/metadata/labels/istio.io~1tag")
                .and_then(|v| v.as_str())
                == Some(tag)
        })
        .cloned()
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn tag_names_are_checked() {
        assert!(check_tag("prod", "canary").is_ok());
        assert!(check_tag("default", "default").is_ok());
        assert!(check_tag("prod-2", "1-30").is_ok());
        for bad in ["", "Prod", "prod_", "-prod", "prod-", &"a".repeat(64)] {
            assert!(check_tag(bad, "canary").is_err(), "{bad:?}");
        }
        assert!(check_tag("canary", "canary").is_err());
    }
}
