//! meshctl: the mesh command line. It parses flags, calls the mesh libraries and owns IO and exit
//! codes: 0 success, 1 differences found (diff commands), 2 bad input or failure.

mod addons;
mod check_inject;
mod cli_error;
#[cfg(feature = "kube")]
mod cluster;
mod docs;
mod help;
mod inject;
mod inputs;
mod manifest;
mod manifest_diff;
mod profile;
mod tag;
mod version;
mod webhook_manifest;

use clap::{FromArgMatches, Parser, Subcommand};
use std::process::ExitCode;

pub use cli_error::CliError;

/// The static build's allocator (see Cargo.toml: musl's malloc is slow on many small blocks).
#[cfg(target_env = "musl")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// meshctl's flags; the about text and the examples are added by [`help::command`].
#[derive(Parser)]
#[command(name = "meshctl", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
// Each subcommand's flags are added when it is the one run (clap's `defer`): building
// every command's arguments was a third of `meshctl version`'s instructions. So the flag
// structs carry plain comments: clap would take a doc comment there for the command's about.
#[command(defer = true)]
enum Command {
    /// List, dump and diff the built-in configuration profiles.
    #[command(subcommand)]
    Profile(profile::ProfileCommand),
    /// Generate and compare installation manifests.
    #[command(subcommand)]
    Manifest(manifest::ManifestCommand),
    /// Observability addons (Kiali, Prometheus, Grafana, Jaeger, Loki, Zipkin).
    #[command(subcommand)]
    Addons(addons::AddonsCommand),
    /// Inject the Istio sidecar into Kubernetes workloads read from a file.
    #[command(name = "kube-inject")]
    KubeInject(inject::KubeInjectArgs),
    /// Revision tags: stable names (`prod`, `default`) that point at a revision's injector.
    #[command(subcommand)]
    Tag(tag::TagCommand),
    /// Experimental commands.
    #[command(subcommand)]
    X(XCommand),
    /// Print the Istio version, hub and tag this build installs.
    Version(version::VersionArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell or elvish).
    Completion(docs::CompletionArgs),
    /// Print meshctl's manual page (roff), or write one page per command into a folder.
    Man(docs::ManArgs),
    #[cfg(feature = "kube")]
    #[command(flatten)]
    Cluster(cluster::ClusterCommand),
}

#[derive(Subcommand)]
// Each subcommand's flags are added when it is the one run (clap's `defer`): building
// every command's arguments was a third of `meshctl version`'s instructions. So the flag
// structs carry plain comments: clap would take a doc comment there for the command's about.
#[command(defer = true)]
enum XCommand {
    /// Explain whether and why a pod would be injected.
    #[command(name = "check-inject")]
    CheckInject(check_inject::CheckInjectArgs),
    /// Render the objects that run mesh-webhook in a cluster (Deployment, Service, webhook
    /// configuration, serving certificate).
    #[command(name = "webhook-manifest")]
    WebhookManifest(webhook_manifest::WebhookManifestArgs),
    /// Check whether the cluster is ready for an install (version, permissions, existing installs).
    #[cfg(feature = "kube")]
    Precheck(cluster::PrecheckArgs),
}

fn main() -> ExitCode {
    let cli = match help::command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m))
    {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Profile(cmd) => profile::run(cmd),
        Command::Manifest(cmd) => manifest::run(cmd),
        Command::Addons(cmd) => addons::run(cmd),
        Command::KubeInject(args) => inject::run(args),
        Command::Tag(cmd) => tag::run(cmd),
        Command::X(XCommand::CheckInject(args)) => check_inject::run(args),
        Command::X(XCommand::WebhookManifest(args)) => webhook_manifest::run(args),
        Command::Version(args) => version::run(args),
        Command::Completion(args) => docs::run_completion(args),
        Command::Man(args) => docs::run_man(args),
        #[cfg(feature = "kube")]
        Command::Cluster(cmd) => cluster::run(cmd),
        #[cfg(feature = "kube")]
        Command::X(XCommand::Precheck(args)) => cluster::run_precheck(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            for line in err.lines() {
                eprintln!("error: {line}");
            }
            ExitCode::from(2)
        }
    }
}
