//! `meshctl dashboard NAME`: forwards a local port to a running pod of an addon (kube's
//! port-forward over the API server) and prints the URL to open.

use super::connect::{KubeArgs, connect};
use crate::CliError;
use clap::Args;
use k8s_openapi::api::core::v1::Pod;
use mesh_cluster::{ApiTarget, dashboard::select_pod};
use mesh_manifest::addons::Addon;
use std::process::ExitCode;
use tokio::net::TcpListener;

// Flags of `dashboard`.
#[derive(Args)]
pub struct DashboardArgs {
    /// The addon: kiali, grafana, prometheus, jaeger, zipkin or loki.
    #[arg(value_name = "NAME")]
    name: String,
    /// Namespace the addon runs in.
    #[arg(short = 'n', long = "namespace", default_value = "istio-system")]
    namespace: String,
    /// Local port (default: the addon's own port).
    #[arg(short = 'p', long = "port")]
    port: Option<u16>,
    /// Local address to listen on.
    #[arg(long = "address", default_value = "127.0.0.1")]
    address: String,
    #[command(flatten)]
    kube: KubeArgs,
}

/// The error for an addon without a running pod, saying how to get one.
pub fn no_pod_error(addon: Addon, namespace: &str) -> CliError {
    CliError::msg(format!(
        "no running, ready {addon} pod in namespace {namespace} (pods labelled {}); install it with \
         `meshctl addons generate {addon}{} | kubectl apply -f -`, or name its namespace with -n",
        addon.web_ui().selector,
        if addon == Addon::Kiali {
            " prometheus"
        } else {
            ""
        }
    ))
}

/// Runs `dashboard` until interrupted.
pub async fn run(args: DashboardArgs) -> Result<ExitCode, CliError> {
    let addon: Addon = args.name.parse()?;
    let ui = addon.web_ui();
    let connected = connect(&args.kube).await?;
    let pods = connected
        .cluster
        .list(
            &ApiTarget::new("", "v1", "Pod", "pods", true),
            &args.namespace,
            ui.selector,
        )
        .await
        .map_err(super::install::cluster_error)?;
    let pod = select_pod(&pods).ok_or_else(|| no_pod_error(addon, &args.namespace))?;
    let pod_name = pod
        .pointer("/metadata/name")
        .and_then(|n| n.as_str())
        .unwrap_or_default()
        .to_string();
    let local = args.port.unwrap_or(ui.port);
    let listener = TcpListener::bind((args.address.as_str(), local))
        .await
        .map_err(|e| {
            CliError::msg(format!(
                "--port {local}: cannot listen on {}: {e}",
                args.address
            ))
        })?;
    let bound = listener
        .local_addr()
        .map_err(|e| CliError::msg(format!("--port {local}: {e}")))?;
    println!("http://{bound}{}", ui.path);
    eprintln!(
        "forwarding {bound} to {}/{pod_name}:{}; press Ctrl-C to stop",
        args.namespace, ui.port
    );
    let api: kube::Api<Pod> =
        kube::Api::namespaced(connected.cluster.client().clone(), &args.namespace);
    loop {
        let (mut socket, _) = listener
            .accept()
            .await
            .map_err(|e| CliError::msg(format!("{bound}: {e}")))?;
        let api = api.clone();
        let pod_name = pod_name.clone();
        let port = ui.port;
        tokio::spawn(async move {
            let forwarded = async {
                let mut forwarder = api.portforward(&pod_name, &[port]).await.ok()?;
                let mut upstream = forwarder.take_stream(port)?;
                tokio::io::copy_bidirectional(&mut socket, &mut upstream)
                    .await
                    .ok()?;
                drop(upstream);
                forwarder.join().await.ok()
            };
            if forwarded.await.is_none() {
                eprintln!("a connection to {pod_name}:{port} failed (is the pod still running?)");
            }
        });
    }
}
