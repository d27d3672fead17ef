//! What `meshctl --help` says beyond the flags: the about text and the worked examples of the
//! everyday commands (shown after their flags, and as the EXAMPLES section of the man pages).

use crate::Cli;
use clap::CommandFactory;
use mesh_profiles::ISTIO_VERSION;

/// The heading the examples start with in `--help`.
const EXAMPLES_HEADING: &str = "Examples:";

/// The examples of each command, by its path of subcommand names.
pub const EXAMPLES: &[(&[&str], &str)] = &[
    (
        &["profile", "dump"],
        "  # Start from the demo profile, edit it, then generate the manifest from the edited file
  meshctl profile dump demo > my-mesh.yaml
  $EDITOR my-mesh.yaml
  meshctl manifest generate -f my-mesh.yaml > mesh.yaml

  # Show one subtree of the default profile with a change applied
  meshctl profile dump --set values.pilot.traceSampling=5 --config-path values.pilot",
    ),
    (
        &["manifest", "generate"],
        "  # Print the default profile's manifest and apply it with kubectl
  meshctl manifest generate | kubectl apply --server-side -f -

  # A profile, a file of settings and a change on the command line
  meshctl manifest generate --set profile=demo -f my-mesh.yaml --set values.global.logging.level=debug

  # One file per install stage, then apply them in the printed order
  meshctl manifest generate -f my-mesh.yaml --output-dir out/",
    ),
    (
        &["addons", "generate"],
        "  # Kiali with the Prometheus it reads from, after the control plane
  meshctl manifest generate | kubectl apply -f -
  meshctl addons generate kiali prometheus | kubectl apply -f -

  # Kiali with token login, and Grafana with your own dashboards
  meshctl addons generate kiali prometheus grafana --set kiali.auth.strategy=token --dashboards my-dashboards/

  # Kiali reading an existing Prometheus
  meshctl addons generate kiali --set kiali.prometheusUrl=http://prometheus.monitoring:9090",
    ),
    #[cfg(feature = "kube")]
    (
        &["install"],
        "  # Install the default profile into the current kubectl context (asks first)
  meshctl install

  # Install a profile with your settings, without asking
  meshctl install --set profile=demo -f my-mesh.yaml -y

  # Let the API server validate every object, changing nothing
  meshctl install -f my-mesh.yaml --dry-run",
    ),
    (
        &["kube-inject"],
        "  # Inject the sidecar with the settings mesh's own install gives istiod (no cluster needed)
  meshctl kube-inject -f deploy.yaml | kubectl apply -f -
  meshctl kube-inject -f deploy.yaml --set profile=demo -r canary -o injected.yaml

  # Inject the sidecar with the injector settings of a running cluster
  kubectl -n istio-system get configmap istio-sidecar-injector -o jsonpath='{.data.config}' > inject-config.yaml
  kubectl -n istio-system get configmap istio-sidecar-injector -o jsonpath='{.data.values}' > inject-values.yaml
  kubectl -n istio-system get configmap istio -o jsonpath='{.data.mesh}' > mesh-config.yaml
  meshctl kube-inject -f deploy.yaml --injectConfigFile inject-config.yaml \\
      --valuesFile inject-values.yaml --meshConfigFile mesh-config.yaml | kubectl apply -f -",
    ),
    (
        &["x", "check-inject"],
        "  # Turn injection on for a namespace, then check that a pod created there gets the sidecar
  kubectl label namespace shop istio-injection=enabled
  meshctl x check-inject -f pod.yaml -n shop --namespace-labels istio-injection=enabled

  # The same for a revision's injector
  kubectl label namespace shop istio.io/rev=canary
  meshctl x check-inject -f deploy.yaml -n shop --namespace-labels istio.io/rev=canary -r canary",
    ),
];

/// The one-line description `meshctl --help` opens with.
fn about() -> String {
    format!(
        "Install Istio {ISTIO_VERSION} and inject its sidecar: profiles, manifests, cluster \
         installs and kube-inject"
    )
}

/// The longer description of `meshctl --help` (`-h` shows [`about`]).
fn long_about() -> String {
    format!(
        "{}\n\nmeshctl reads the IstioOperator files (-f) and --set flags of istioctl \
         {ISTIO_VERSION} and produces the same manifests and injected workloads.\n\n\
         Exit codes: 0 success, 1 differences found (diff commands), 2 bad input or failure. \
         Errors go to standard error, one per line, each naming the file or flag at fault.",
        about()
    )
}

/// meshctl's command line: the derived flags with the about text and the examples.
pub fn command() -> clap::Command {
    let mut cmd = Cli::command().about(about()).long_about(long_about());
    for (path, examples) in EXAMPLES {
        cmd = with_examples(cmd, path, examples);
    }
    cmd
}

/// Sets the examples of the subcommand at `path` under `cmd`.
fn with_examples(cmd: clap::Command, path: &[&str], examples: &'static str) -> clap::Command {
    match path.split_first() {
        None => cmd.after_help(format!("{EXAMPLES_HEADING}\n{examples}")),
        Some((first, rest)) => cmd.mut_subcommand(*first, |sub| with_examples(sub, rest, examples)),
    }
}

/// The examples of a command for its man page (without the `Examples:` heading), if it has any.
pub fn man_examples(cmd: &clap::Command) -> Option<String> {
    let text = cmd.get_after_help()?.to_string();
    Some(
        text.strip_prefix(EXAMPLES_HEADING)
            .unwrap_or(&text)
            .trim_start_matches('\n')
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_belongs_to_a_command() {
        // `mut_subcommand` panics on a missing command: building the command checks every path
        // of EXAMPLES for this build's features.
        let cmd = command();
        cmd.clone().debug_assert();
        for (path, _) in EXAMPLES {
            let mut sub = &cmd;
            for name in *path {
                sub = sub.find_subcommand(name).unwrap();
            }
            assert!(
                man_examples(sub).is_some_and(|e| e.starts_with("  # ")),
                "{path:?}"
            );
        }
    }
}
