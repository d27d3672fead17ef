//! `meshctl x webhook-manifest`: the objects that run mesh-webhook in a cluster.

use crate::CliError;
use crate::inputs::InputArgs;
use crate::manifest::write_manifest;
use crate::profile::resolve_error;
use clap::Args;
use mesh_manifest::render::RenderContext;
use mesh_manifest::{
    OrderOptions, ServingCert, WebhookDeploymentOptions, generate_webhook_deployment,
};
use std::path::PathBuf;
use std::process::ExitCode;

// Flags of `x webhook-manifest`.
#[derive(Args)]
pub struct WebhookManifestArgs {
    #[command(flatten)]
    inputs: InputArgs,
    /// Control plane revision whose pods the webhook injects (as `--set revision=REVISION`).
    #[arg(short = 'r', long = "revision")]
    revision: Option<String>,
    /// Container image with the mesh-webhook binary.
    #[arg(long, value_name = "IMAGE", required_unless_present = "url")]
    image: Option<String>,
    /// Call a mesh-webhook running outside the cluster at this base URL
    /// (`https://HOST[:PORT]`; the injection path is appended): only the webhook configuration
    /// is rendered (with the ConfigMaps of `--with-config`), its caBundle from `--ca-file`.
    #[arg(
        long,
        value_name = "URL",
        conflicts_with_all = ["image", "issuer", "replicas", "native_sidecars"]
    )]
    url: Option<String>,
    /// Base name of the Deployment, Service, Secret and webhook configuration.
    #[arg(long, default_value = "mesh-webhook")]
    name: String,
    /// Replicas (a PodDisruptionBudget is added above one).
    #[arg(long, default_value_t = 2)]
    replicas: u32,
    /// PEM file of the CA that signed the Secret `<name>-tls` you create (or the `--url`
    /// server's certificate), written into every entry's caBundle; without it, cert-manager
    /// issues the certificate and injects the CA (with `--url`: no caBundle, system roots).
    #[arg(long = "ca-file", value_name = "FILE", conflicts_with = "issuer")]
    ca_file: Option<PathBuf>,
    /// cert-manager issuer to use, `Issuer/NAME` or `ClusterIssuer/NAME` (default: a
    /// self-signed Issuer is rendered).
    #[arg(long, value_name = "KIND/NAME")]
    issuer: Option<String>,
    /// `--native-sidecars` of the server: auto, true or false.
    #[arg(long = "native-sidecars", default_value = "auto")]
    native_sidecars: String,
    /// Also render the injector and mesh ConfigMaps the server mounts.
    #[arg(long = "with-config")]
    with_config: bool,
    /// Write one numbered file per install stage into DIR and print how to apply them.
    #[arg(long = "output-dir", value_name = "DIR")]
    output_dir: Option<PathBuf>,
    /// Leave out the Namespace object.
    #[arg(long = "no-namespace")]
    no_namespace: bool,
}

/// Runs `x webhook-manifest`.
pub fn run(args: WebhookManifestArgs) -> Result<ExitCode, CliError> {
    let mut inputs = args.inputs.to_inputs(&[])?;
    if let Some(rev) = &args.revision {
        inputs.set_flags.push(format!("revision={rev}"));
    }
    let resolved = mesh_profiles::resolve(&inputs).map_err(resolve_error)?;
    let cert = match (&args.ca_file, &args.issuer) {
        (Some(file), _) => ServingCert::Secret {
            ca_pem: std::fs::read_to_string(file)
                .map_err(|e| CliError::msg(format!("{}: {e}", file.display())))?,
        },
        (None, Some(issuer)) => {
            let (kind, name) = issuer.split_once('/').ok_or_else(|| {
                CliError::msg(format!(
                    "--issuer {issuer}: expected Issuer/NAME or ClusterIssuer/NAME"
                ))
            })?;
            ServingCert::CertManager {
                issuer: Some((kind.to_string(), name.to_string())),
            }
        }
        (None, None) => ServingCert::CertManager { issuer: None },
    };
    let opts = WebhookDeploymentOptions {
        image: args.image.unwrap_or_default(),
        url: args.url,
        name: args.name,
        replicas: args.replicas,
        cert,
        native_sidecars: args.native_sidecars,
        with_config: args.with_config,
    };
    let order = OrderOptions {
        namespaces: !args.no_namespace,
        ..OrderOptions::default()
    };
    let manifest = generate_webhook_deployment(&resolved, &opts, &RenderContext::default(), &order)
        .map_err(|e| CliError::msg(e.to_string()))?;
    write_manifest(&manifest, args.output_dir.as_deref())?;
    Ok(ExitCode::SUCCESS)
}
