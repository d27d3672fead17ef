//! Choosing and reaching the cluster: `--kubeconfig` and `--context` as kube (and kubectl)
//! understand them, and one clear error when there is no cluster to talk to.

use crate::CliError;
use clap::Args;
use kube::config::{KubeConfigOptions, Kubeconfig};
use mesh_cluster::{Cluster, ClusterError, KubeVersion};
use std::path::PathBuf;
use std::time::Duration;

// Cluster selection flags (a plain comment: see `Command` in main.rs).
#[derive(Args, Debug, Clone, Default)]
pub struct KubeArgs {
    /// Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then the in-cluster config).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context to use (default: the current context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
}

/// A reachable cluster and its version.
pub struct Connected {
    /// The connection.
    pub cluster: Cluster,
    /// Its Kubernetes version.
    pub version: KubeVersion,
    /// Its API server URL, for messages.
    pub url: String,
}

/// How long to wait for a TCP/TLS connection, and for a response.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Loads the configuration, connects and reads the server version, so that a missing or
/// unreachable cluster is reported before anything else happens.
pub async fn connect(args: &KubeArgs) -> Result<Connected, CliError> {
    let options = KubeConfigOptions {
        context: args.context.clone(),
        ..KubeConfigOptions::default()
    };
    let hint = "(choose one with --kubeconfig/--context or KUBECONFIG)";
    let mut config = match &args.kubeconfig {
        Some(path) => {
            let file = Kubeconfig::read_from(path)
                .map_err(|e| CliError::msg(format!("{}: {e}", path.display())))?;
            kube::Config::from_custom_kubeconfig(file, &options)
                .await
                .map_err(|e| CliError::msg(format!("{}: {e}", path.display())))?
        }
        None if args.context.is_some() => {
            kube::Config::from_kubeconfig(&options).await.map_err(|e| {
                CliError::msg(format!("no usable Kubernetes configuration: {e} {hint}"))
            })?
        }
        None => kube::Config::infer()
            .await
            .map_err(|e| CliError::msg(format!("no Kubernetes cluster configured: {e} {hint}")))?,
    };
    config.connect_timeout = Some(CONNECT_TIMEOUT);
    config.read_timeout = Some(READ_TIMEOUT);
    let url = config.cluster_url.to_string();
    let client = kube::Client::try_from(config)
        .map_err(|e| CliError::msg(format!("cannot set up a client for {url}: {e}")))?;
    let cluster = Cluster::new(client);
    let version = cluster.version().await.map_err(|e| reach_error(&url, e))?;
    Ok(Connected {
        cluster,
        version,
        url,
    })
}

/// The error for a failed first request.
fn reach_error(url: &str, e: ClusterError) -> CliError {
    match e {
        ClusterError::Unreachable { source } => CliError::msg(format!(
            "cannot reach the Kubernetes API server at {url}: {source}"
        )),
        other => CliError::msg(format!("{url}: {other}")),
    }
}
