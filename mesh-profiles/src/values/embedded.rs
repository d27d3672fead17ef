//! The chart default values and helm-level profiles, embedded from `mesh-profiles/charts`.

use std::sync::OnceLock;

use mesh_core::Value;

use super::chart::Chart;
use super::error::ValuesError;

/// Raw text of each chart's default values, with the file name for error messages.
fn defaults_text(chart: Chart) -> (&'static str, &'static str) {
    match chart {
        Chart::Base => (
            "base/values.yaml",
            include_str!("../../charts/base/values.yaml"),
        ),
        Chart::Istiod => (
            "istiod/values.yaml",
            include_str!("../../charts/istiod/values.yaml"),
        ),
        Chart::IstioIngress => (
            "istio-ingress/values.yaml",
            include_str!("../../charts/istio-ingress/values.yaml"),
        ),
        Chart::IstioEgress => (
            "istio-egress/values.yaml",
            include_str!("../../charts/istio-egress/values.yaml"),
        ),
        Chart::IstioCni => (
            "istio-cni/values.yaml",
            include_str!("../../charts/istio-cni/values.yaml"),
        ),
        Chart::Ztunnel => (
            "ztunnel/values.yaml",
            include_str!("../../charts/ztunnel/values.yaml"),
        ),
    }
}

/// The helm-level profiles every chart ships (`files/profile-<name>.yaml`), by `<name>`.
/// They are identical in all charts, so one copy serves all.
const PROFILES: &[(&str, &str)] = &[
    (
        "ambient",
        include_str!("../../charts/profiles/ambient.yaml"),
    ),
    (
        "compatibility-version-1.25",
        include_str!("../../charts/profiles/compatibility-version-1.25.yaml"),
    ),
    (
        "compatibility-version-1.26",
        include_str!("../../charts/profiles/compatibility-version-1.26.yaml"),
    ),
    (
        "compatibility-version-1.27",
        include_str!("../../charts/profiles/compatibility-version-1.27.yaml"),
    ),
    (
        "compatibility-version-1.28",
        include_str!("../../charts/profiles/compatibility-version-1.28.yaml"),
    ),
    (
        "compatibility-version-1.29",
        include_str!("../../charts/profiles/compatibility-version-1.29.yaml"),
    ),
    (
        "default",
        include_str!("../../charts/profiles/default.yaml"),
    ),
    ("demo", include_str!("../../charts/profiles/demo.yaml")),
    (
        "openshift-ambient",
        include_str!("../../charts/profiles/openshift-ambient.yaml"),
    ),
    (
        "openshift",
        include_str!("../../charts/profiles/openshift.yaml"),
    ),
    (
        "platform-gke",
        include_str!("../../charts/profiles/platform-gke.yaml"),
    ),
    (
        "platform-k3d",
        include_str!("../../charts/profiles/platform-k3d.yaml"),
    ),
    (
        "platform-k3s",
        include_str!("../../charts/profiles/platform-k3s.yaml"),
    ),
    (
        "platform-microk8s",
        include_str!("../../charts/profiles/platform-microk8s.yaml"),
    ),
    (
        "platform-minikube",
        include_str!("../../charts/profiles/platform-minikube.yaml"),
    ),
    (
        "platform-openshift",
        include_str!("../../charts/profiles/platform-openshift.yaml"),
    ),
    (
        "preview",
        include_str!("../../charts/profiles/preview.yaml"),
    ),
    ("remote", include_str!("../../charts/profiles/remote.yaml")),
    ("stable", include_str!("../../charts/profiles/stable.yaml")),
];

/// Parses one embedded file; an empty document is an empty mapping.
fn parse(file: &str, text: &str) -> Result<Value, ValuesError> {
    let value = mesh_core::from_yaml_str(text, file).map_err(|e| ValuesError::EmbeddedData {
        file: file.to_string(),
        message: e.message,
    })?;
    match value {
        Value::Null => Ok(Value::Object(Default::default())),
        Value::Object(_) => Ok(value),
        other => Err(ValuesError::EmbeddedData {
            file: file.to_string(),
            message: format!(
                "expected a mapping, found {}",
                super::error::kind_name(&other)
            ),
        }),
    }
}

/// One lazily parsed file: each is parsed on first use only, so a render pays only for the
/// charts and profiles it needs.
type Slot = OnceLock<Result<Value, ValuesError>>;

fn cached(
    slot: &Slot,
    parse_once: impl FnOnce() -> Result<Value, ValuesError>,
) -> Result<&Value, ValuesError> {
    slot.get_or_init(parse_once).as_ref().map_err(Clone::clone)
}

/// The default values of a chart (its `_internal_defaults_do_not_set`).
pub fn chart_defaults(chart: Chart) -> Result<&'static Value, ValuesError> {
    static SLOTS: [Slot; Chart::ALL.len()] = [const { OnceLock::new() }; Chart::ALL.len()];
    let index = Chart::ALL.iter().position(|c| *c == chart).unwrap_or(0);
    let (file, text) = defaults_text(chart);
    cached(&SLOTS[index], || parse(file, text))
}

/// A helm-level profile by file stem (`demo`, `compatibility-version-1.28`, `platform-gke`),
/// or `None` when the charts ship no such file.
pub fn helm_profile(name: &str) -> Result<Option<&'static Value>, ValuesError> {
    static SLOTS: [Slot; PROFILES.len()] = [const { OnceLock::new() }; PROFILES.len()];
    let Some(index) = PROFILES.iter().position(|(n, _)| *n == name) else {
        return Ok(None);
    };
    let (stem, text) = PROFILES[index];
    cached(&SLOTS[index], || {
        parse(&format!("profiles/{stem}.yaml"), text)
    })
    .map(Some)
}

/// The names of all embedded helm-level profiles (file stems).
pub fn helm_profile_names() -> impl Iterator<Item = &'static str> {
    PROFILES.iter().map(|(name, _)| *name)
}
