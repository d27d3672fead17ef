//! mesh's own Grafana dashboards, built from a typed model over Istio's standard metrics.
//!
//! Grafana reads dashboards from two ConfigMaps, split the way Istio's sample splits them (one
//! ConfigMap with all seven would pass the 1 MiB object limit of some clusters' etcd).
//! [`model`] is the dashboard model, [`query`] builds the PromQL, one module per dashboard
//! designs it, and [`check`] verifies the JSON (ids, grid, PromQL, metrics from [`metrics`]).

pub mod check;
mod common;
pub mod metrics;
pub mod model;
pub mod promql;
pub mod query;

mod control_plane;
mod extensions;
mod mesh;
mod performance;
mod service;
mod workload;
mod ztunnel;

pub use check::{DashboardError, check, check_all};
pub use model::Dashboard;

/// The ConfigMap holding the control-plane, ztunnel and performance dashboards.
pub const CONTROL_PLANE_CONFIG_MAP: &str = "istio-grafana-dashboards";
/// The ConfigMap holding the mesh, service, workload and extension dashboards.
pub const SERVICES_CONFIG_MAP: &str = "istio-services-grafana-dashboards";

/// One dashboard as Grafana's provisioning reads it: a key of a ConfigMap holding minified JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashboardFile {
    /// The ConfigMap the dashboard goes to ([`CONTROL_PLANE_CONFIG_MAP`] or [`SERVICES_CONFIG_MAP`]).
    pub config_map: &'static str,
    /// The key inside the ConfigMap, e.g. `istio-mesh-dashboard.json`.
    pub key: String,
    /// The dashboard's JSON, on one line.
    pub json: String,
}

impl DashboardFile {
    /// A dashboard stored under `key` of `config_map`, as minified JSON.
    pub fn new(config_map: &'static str, key: &str, dashboard: &Dashboard) -> Self {
        DashboardFile {
            config_map,
            key: key.to_string(),
            json: dashboard.to_json().to_string(),
        }
    }
}

/// A dashboard's design.
type Build = fn() -> Dashboard;

/// The bytes `files` put into `config_map` (keys and JSON), to hold against the object size
/// limit.
pub fn config_map_bytes(files: &[DashboardFile], config_map: &str) -> usize {
    files
        .iter()
        .filter(|f| f.config_map == config_map)
        .map(|f| f.key.len() + f.json.len())
        .sum()
}

/// mesh's built-in dashboards, in the order they are stored.
pub fn builtin() -> Vec<DashboardFile> {
    let placed: [(&'static str, &str, Build); 7] = [
        (
            CONTROL_PLANE_CONFIG_MAP,
            "pilot-dashboard.json",
            control_plane::dashboard,
        ),
        (
            CONTROL_PLANE_CONFIG_MAP,
            "ztunnel-dashboard.json",
            ztunnel::dashboard,
        ),
        (
            CONTROL_PLANE_CONFIG_MAP,
            "istio-performance-dashboard.json",
            performance::dashboard,
        ),
        (
            SERVICES_CONFIG_MAP,
            "istio-workload-dashboard.json",
            workload::dashboard,
        ),
        (
            SERVICES_CONFIG_MAP,
            "istio-service-dashboard.json",
            service::dashboard,
        ),
        (
            SERVICES_CONFIG_MAP,
            "istio-mesh-dashboard.json",
            mesh::dashboard,
        ),
        (
            SERVICES_CONFIG_MAP,
            "istio-extension-dashboard.json",
            extensions::dashboard,
        ),
    ];
    placed
        .into_iter()
        .map(|(config_map, key, build)| DashboardFile::new(config_map, key, &build()))
        .collect()
}
