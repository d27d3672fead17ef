//! Observability addons (Kiali, Prometheus, Grafana, Jaeger, Loki, Zipkin): typed settings,
//! one renderer per addon, their wiring, and the ordered manifest of the ones asked for.
//!
//! With default settings each renderer gives the objects of Istio 1.30.3's `samples/addons`
//! file, except mesh's own labels (`app.kubernetes.io/managed-by: mesh` in place of Helm's
//! `managed-by` and `helm.sh/chart`), the `checksum/*` pod annotations (SHA-256 of the rendered
//! configuration), Kiali's signing key (generated, not a placeholder) and Grafana's dashboards
//! (mesh's own, or the files given).
//!
//! ```
//! use mesh_manifest::addons::{Addon, RenderInputs, generate, read_settings};
//!
//! let settings = read_settings(&[], &["prometheus.retention=7d".to_string()])?;
//! let inputs = RenderInputs { secret: b"a secret from the caller".to_vec(), ..Default::default() };
//! let manifest = generate(&[Addon::Kiali, Addon::Prometheus], &settings, &inputs)?;
//! let names: Vec<_> = manifest.objects().map(|o| format!("{} {}", o.kind(), o.name())).collect();
//! assert_eq!(names[0], "Namespace istio-system");
//! // Prometheus comes before Kiali, which reads from it.
//! let position = |n: &str| names.iter().position(|x| x == n).unwrap();
//! assert!(position("Deployment prometheus") < position("Deployment kiali"));
//! # Ok::<(), mesh_manifest::addons::AddonsError>(())
//! ```

mod common;
pub mod dashboards;
pub mod grafana;
pub mod jaeger;
pub mod kiali;
pub mod loki;
pub mod prometheus;
pub mod settings;
mod sha256;
pub mod wiring;
pub mod zipkin;

pub use dashboards::{DashboardProblem, dashboards_from_files};
pub use settings::{AddonSettings, SettingsFile, read_settings};
pub use wiring::Wiring;

use crate::Object;
use crate::dashboards::DashboardFile;
use crate::order::{Graph, Manifest, ObjectId, OrderError, OrderOptions, order};
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

/// One observability addon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Addon {
    /// Prometheus: scrapes Istio's and the workloads' metrics.
    Prometheus,
    /// Loki: stores logs.
    Loki,
    /// Jaeger: stores and shows traces.
    Jaeger,
    /// Zipkin: stores and shows traces (an alternative to Jaeger).
    Zipkin,
    /// Grafana: dashboards over Prometheus and Loki.
    Grafana,
    /// Kiali: the mesh console, over Prometheus (and Grafana, Jaeger).
    Kiali,
}

impl Addon {
    /// Every addon, in install order (what others read from comes first).
    pub const ALL: [Addon; 6] = [
        Addon::Prometheus,
        Addon::Loki,
        Addon::Jaeger,
        Addon::Zipkin,
        Addon::Grafana,
        Addon::Kiali,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Addon::Prometheus => "prometheus",
            Addon::Loki => "loki",
            Addon::Jaeger => "jaeger",
            Addon::Zipkin => "zipkin",
            Addon::Grafana => "grafana",
            Addon::Kiali => "kiali",
        }
    }

    /// One line saying what the addon is.
    pub fn description(self) -> &'static str {
        match self {
            Addon::Prometheus => "metrics: scrapes Istio's proxies, control plane and workloads",
            Addon::Loki => "logs: stores the logs Grafana shows",
            Addon::Jaeger => "tracing: stores and shows traces (takes Zipkin's API too)",
            Addon::Zipkin => "tracing: Zipkin server, an alternative to Jaeger",
            Addon::Grafana => "dashboards: Istio's dashboards over Prometheus and Loki",
            Addon::Kiali => "console: the mesh's topology, health and config (needs Prometheus)",
        }
    }

    /// Where the addon's web interface (or API, for Loki) is reached inside its pods.
    pub fn web_ui(self) -> WebUi {
        let (selector, port, path) = match self {
            Addon::Prometheus => (
                "app.kubernetes.io/name=prometheus,app.kubernetes.io/component=server",
                9090,
                "/",
            ),
            Addon::Loki => ("app.kubernetes.io/name=loki", 3100, "/ready"),
            Addon::Jaeger => ("app=jaeger", 16686, "/jaeger"),
            Addon::Zipkin => ("app=zipkin", 9411, "/zipkin/"),
            Addon::Grafana => ("app.kubernetes.io/name=grafana", 3000, "/"),
            Addon::Kiali => ("app.kubernetes.io/name=kiali", 20001, "/kiali"),
        };
        WebUi {
            selector,
            port,
            path,
        }
    }

    /// The namespace the addon goes to under `settings`.
    pub fn namespace(self, settings: &AddonSettings) -> &str {
        let own = match self {
            Addon::Prometheus => &settings.prometheus.namespace,
            Addon::Loki => &settings.loki.namespace,
            Addon::Jaeger => &settings.jaeger.namespace,
            Addon::Zipkin => &settings.zipkin.namespace,
            Addon::Grafana => &settings.grafana.namespace,
            Addon::Kiali => &settings.kiali.namespace,
        };
        own.as_deref().unwrap_or(&settings.namespace)
    }
}

/// Where an addon's web interface listens: which pods, which container port, which URL path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebUi {
    /// Label selector of the addon's pods (as the renderers label them).
    pub selector: &'static str,
    /// The container port.
    pub port: u16,
    /// The path to open.
    pub path: &'static str,
}

impl fmt::Display for Addon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Addon {
    type Err = AddonsError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Addon::ALL
            .into_iter()
            .find(|a| a.name() == name)
            .ok_or_else(|| AddonsError::UnknownAddon {
                name: name.to_string(),
                suggestion: mesh_core::suggest::closest(name, Addon::ALL.map(Addon::name))
                    .map(str::to_string),
            })
    }
}

/// What rendering needs besides the settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderInputs {
    /// Secret bytes Kiali's signing key is derived from when `kiali.auth.signingKey` is unset
    /// (SHA-256 of a fixed prefix and the secret, first 32 hex digits). The library takes no
    /// randomness of its own: callers pass random bytes (meshctl reads the OS's random source),
    /// tests a fixed value. Empty with Kiali and no signing key is an error.
    pub secret: Vec<u8>,
    /// Grafana's dashboards; `None` uses mesh's built-in ones
    /// ([`crate::dashboards::builtin`]).
    pub dashboards: Option<Vec<DashboardFile>>,
}

/// Addons could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum AddonsError {
    /// An addon name is not known.
    #[error("unknown addon {name:?}{}; known: {}", did_you_mean(.suggestion), Addon::ALL.map(Addon::name).join(", "))]
    UnknownAddon {
        /// The name given.
        name: String,
        /// The closest known name.
        suggestion: Option<String>,
    },
    /// A settings file is not YAML.
    #[error("{}", .0.located_problem())]
    Yaml(#[from] mesh_core::YamlError),
    /// A settings file's top level is not a map.
    #[error("{file}: expected a map of addon settings (kind: Addons), got a {found}")]
    NotAMap {
        /// The file.
        file: String,
        /// What it holds instead.
        found: &'static str,
    },
    /// A `--set` flag could not be parsed.
    #[error(transparent)]
    SetFlag(#[from] mesh_core::SetFlagError),
    /// A `--set` flag could not be applied.
    #[error("--set {flag}: {source}")]
    SetPath {
        /// The flag.
        flag: String,
        /// Why.
        #[source]
        source: mesh_core::SetPathError,
    },
    /// Settings have unknown fields or wrong types: one message per problem, each naming the
    /// file or flag and the setting's path.
    #[error("{}", .problems.join("\n"))]
    Settings {
        /// The problems.
        problems: Vec<String>,
    },
    /// A setting's value is unusable.
    #[error("{path}: {problem}")]
    Invalid {
        /// The setting's path (`kiali.auth.openid.clientId`).
        path: String,
        /// What is wrong.
        problem: String,
    },
    /// Kiali was asked for without Prometheus and without the URL of an existing one.
    #[error(
        "kiali needs Prometheus: add the prometheus addon (`meshctl addons generate kiali prometheus`) or point Kiali at an existing one with --set kiali.prometheusUrl=http://prometheus.NAMESPACE:9090"
    )]
    KialiNeedsPrometheus,
    /// Kiali has neither a signing key nor a secret to derive one from.
    #[error(
        "kiali.auth.signingKey: not set and no secret given to derive it from (callers of the library pass RenderInputs::secret)"
    )]
    NoSigningKey,
    /// A dashboard file is unusable.
    #[error("{file}: {problem}")]
    Dashboard {
        /// The file name.
        file: String,
        /// What is wrong.
        #[source]
        problem: DashboardProblem,
    },
    /// The objects could not be ordered.
    #[error(transparent)]
    Order(#[from] OrderError),
}

fn did_you_mean(suggestion: &Option<String>) -> String {
    suggestion
        .as_ref()
        .map(|s| format!(" (did you mean {s:?}?)"))
        .unwrap_or_default()
}

/// The rendered objects of `addons` (duplicates ignored), unordered, each with its addon.
pub fn render(
    addons: &[Addon],
    settings: &AddonSettings,
    inputs: &RenderInputs,
) -> Result<Vec<(Addon, Object)>, AddonsError> {
    let mut selected: Vec<Addon> = addons.to_vec();
    selected.sort();
    selected.dedup();
    let wiring = Wiring::new(&selected, settings)?;
    let mut out = Vec::new();
    for addon in selected {
        let objects = match addon {
            Addon::Prometheus => prometheus::render(settings),
            Addon::Loki => loki::render(settings),
            Addon::Jaeger => jaeger::render(settings),
            Addon::Zipkin => zipkin::render(settings, &wiring),
            Addon::Grafana => grafana::render(settings, &wiring, inputs),
            Addon::Kiali => kiali::render(settings, &wiring, inputs)?,
        };
        out.extend(objects.into_iter().map(|o| (addon, o)));
    }
    Ok(out)
}

/// One-line notes about generating `addons` together (for the user, not errors).
pub fn notes(addons: &[Addon]) -> Vec<String> {
    let mut out = Vec::new();
    if addons.contains(&Addon::Jaeger) && addons.contains(&Addon::Zipkin) {
        out.push(
            "note: jaeger and zipkin are both generated: Jaeger keeps the Services tracing and \
             zipkin (where Istio's proxies send spans), Zipkin's are named zipkin-tracing and \
             zipkin-collector"
                .to_string(),
        );
    }
    out
}

/// Renders `addons` and orders them for `kubectl apply -f -`: the Namespace objects first, then
/// mesh's install stages; inside a stage, addons others read from come first (Prometheus before
/// Kiali, see [`Addon::ALL`]). Apply it after the control plane.
pub fn generate(
    addons: &[Addon],
    settings: &AddonSettings,
    inputs: &RenderInputs,
) -> Result<Manifest, AddonsError> {
    order_after(Vec::new(), render(addons, settings, inputs)?)
}

/// The control plane's manifest with `addons` added: one manifest whose stages hold the control
/// plane's objects first, then the addons' (as in [`generate`]). Also returns the ids of the
/// addons' objects (`meshctl install --addons` labels them as such).
pub fn with_control_plane(
    control_plane: Manifest,
    addons: &[Addon],
    settings: &AddonSettings,
    inputs: &RenderInputs,
) -> Result<(Manifest, Vec<ObjectId>), AddonsError> {
    let rendered = render(addons, settings, inputs)?;
    let ids = rendered.iter().map(|(_, o)| ObjectId::of(o)).collect();
    Ok((order_after(control_plane.into_objects(), rendered)?, ids))
}

/// Orders `first` and the addons' objects together; in each stage `first` comes before the
/// addons, and the addons go in [`Addon::ALL`]'s order.
fn order_after(
    first: Vec<Object>,
    rendered: Vec<(Addon, Object)>,
) -> Result<Manifest, AddonsError> {
    let rank: HashMap<ObjectId, Addon> = rendered
        .iter()
        .map(|(a, o)| (ObjectId::of(o), *a))
        .collect();
    let objects = first
        .into_iter()
        .chain(rendered.into_iter().map(|(_, o)| o))
        .collect();
    let mut manifest = order(objects, &OrderOptions::default())?;
    for stage in &mut manifest.stages {
        // Stable: the dependency order inside each addon is kept.
        stage
            .objects
            .sort_by_key(|o| rank.get(&ObjectId::of(o)).copied());
    }
    let all: Vec<Object> = manifest.objects().cloned().collect();
    manifest.graph = Graph::build(&all);
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_with_suggestions() {
        assert_eq!("kiali".parse::<Addon>().unwrap(), Addon::Kiali);
        let err = "prometeus".parse::<Addon>().unwrap_err().to_string();
        assert!(err.contains("did you mean \"prometheus\""), "{err}");
    }

    #[test]
    fn stages_keep_dependencies_and_put_prometheus_before_kiali() {
        let inputs = RenderInputs {
            secret: b"test".to_vec(),
            ..RenderInputs::default()
        };
        let m = generate(&Addon::ALL, &AddonSettings::default(), &inputs).unwrap();
        let ids: Vec<String> = m
            .objects()
            .map(|o| format!("{}/{}", o.kind(), o.name()))
            .collect();
        let at = |id: &str| ids.iter().position(|x| x == id).unwrap();
        assert_eq!(at("Namespace/istio-system"), 0);
        assert!(at("ServiceAccount/kiali") < at("Deployment/kiali"));
        assert!(at("ConfigMap/prometheus") < at("Deployment/prometheus"));
        assert!(at("Deployment/prometheus") < at("Deployment/kiali"));
        // Graph nodes follow the new order.
        assert_eq!(m.graph.nodes.len(), ids.len());
        assert_eq!(m.graph.nodes[at("Deployment/kiali")].name, "kiali");
    }

    #[test]
    fn with_the_control_plane_addons_follow_it_in_each_stage() {
        let resolved =
            mesh_profiles::resolve(&mesh_profiles::Inputs::with_sets(["profile=minimal"])).unwrap();
        let cp = crate::generate(&resolved, &crate::GenerateOptions::default()).unwrap();
        let cp_count = cp.len();
        let inputs = RenderInputs {
            secret: b"test".to_vec(),
            ..RenderInputs::default()
        };
        let (m, ids) = with_control_plane(
            cp,
            &[Addon::Kiali, Addon::Prometheus],
            &AddonSettings::default(),
            &inputs,
        )
        .unwrap();
        assert_eq!(m.len(), cp_count + ids.len());
        for stage in &m.stages {
            let is_addon: Vec<bool> = stage
                .objects
                .iter()
                .map(|o| ids.contains(&ObjectId::of(o)))
                .collect();
            // Once an addon object appears, no control-plane object follows in the stage.
            let first = is_addon.iter().position(|a| *a).unwrap_or(is_addon.len());
            assert!(is_addon[first..].iter().all(|a| *a), "{:?}", stage.kind);
        }
        // One Namespace object for istio-system, the control plane's.
        assert_eq!(m.objects().filter(|o| o.kind() == "Namespace").count(), 1);
    }
}
