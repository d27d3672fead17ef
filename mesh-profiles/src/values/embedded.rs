//! The chart default values and helm-level profiles, embedded from `mesh-profiles/charts`.

use std::sync::{Arc, OnceLock};

use mesh_core::Value;

use super::chart::Chart;
use super::error::ValuesError;

/// The JSON form of an embedded `charts/<path>.yaml`, written by `build.rs` with the same YAML
/// parser a run used to call, so parsing it gives the very same tree.
macro_rules! embedded_json {
    ($path:literal) => {
        include_str!(concat!(env!("OUT_DIR"), "/charts/", $path, ".json"))
    };
}

/// Each chart's default values as JSON, with the YAML file's name for error messages.
fn defaults_json(chart: Chart) -> (&'static str, &'static str) {
    match chart {
        Chart::Base => ("base/values.yaml", embedded_json!("base/values")),
        Chart::Istiod => ("istiod/values.yaml", embedded_json!("istiod/values")),
        Chart::IstioIngress => (
            "istio-ingress/values.yaml",
            embedded_json!("istio-ingress/values"),
        ),
        Chart::IstioEgress => (
            "istio-egress/values.yaml",
            embedded_json!("istio-egress/values"),
        ),
        Chart::IstioCni => ("istio-cni/values.yaml", embedded_json!("istio-cni/values")),
        Chart::Ztunnel => ("ztunnel/values.yaml", embedded_json!("ztunnel/values")),
    }
}

/// The helm-level profiles every chart ships (`files/profile-<name>.yaml`), by `<name>`.
/// They are identical in all charts, so one copy serves all.
const PROFILES: &[(&str, &str)] = &[
    ("ambient", embedded_json!("profiles/ambient")),
    (
        "compatibility-version-1.25",
        embedded_json!("profiles/compatibility-version-1.25"),
    ),
    (
        "compatibility-version-1.26",
        embedded_json!("profiles/compatibility-version-1.26"),
    ),
    (
        "compatibility-version-1.27",
        embedded_json!("profiles/compatibility-version-1.27"),
    ),
    (
        "compatibility-version-1.28",
        embedded_json!("profiles/compatibility-version-1.28"),
    ),
    (
        "compatibility-version-1.29",
        embedded_json!("profiles/compatibility-version-1.29"),
    ),
    ("default", embedded_json!("profiles/default")),
    ("demo", embedded_json!("profiles/demo")),
    (
        "openshift-ambient",
        embedded_json!("profiles/openshift-ambient"),
    ),
    ("openshift", embedded_json!("profiles/openshift")),
    ("platform-gke", embedded_json!("profiles/platform-gke")),
    ("platform-k3d", embedded_json!("profiles/platform-k3d")),
    ("platform-k3s", embedded_json!("profiles/platform-k3s")),
    (
        "platform-microk8s",
        embedded_json!("profiles/platform-microk8s"),
    ),
    (
        "platform-minikube",
        embedded_json!("profiles/platform-minikube"),
    ),
    (
        "platform-openshift",
        embedded_json!("profiles/platform-openshift"),
    ),
    ("preview", embedded_json!("profiles/preview")),
    ("remote", embedded_json!("profiles/remote")),
    ("stable", embedded_json!("profiles/stable")),
];

/// Parses one embedded file (its JSON form); an empty document is an empty mapping.
fn parse(file: &str, json: &str) -> Result<Value, ValuesError> {
    let value: Value = serde_json::from_str(json).map_err(|e| ValuesError::EmbeddedData {
        file: file.to_string(),
        source: Arc::new(e),
    })?;
    match value {
        Value::Null => Ok(Value::Object(Default::default())),
        Value::Object(_) => Ok(value),
        other => Err(ValuesError::EmbeddedNotAMap {
            file: file.to_string(),
            found: super::error::kind_name(&other),
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
    let (file, json) = defaults_json(chart);
    cached(&SLOTS[index], || parse(file, json))
}

/// A helm-level profile by file stem (`demo`, `compatibility-version-1.28`, `platform-gke`),
/// or `None` when the charts ship no such file.
pub fn helm_profile(name: &str) -> Result<Option<&'static Value>, ValuesError> {
    static SLOTS: [Slot; PROFILES.len()] = [const { OnceLock::new() }; PROFILES.len()];
    let Some(index) = PROFILES.iter().position(|(n, _)| *n == name) else {
        return Ok(None);
    };
    let (stem, json) = PROFILES[index];
    cached(&SLOTS[index], || {
        parse(&format!("profiles/{stem}.yaml"), json)
    })
    .map(Some)
}

/// The leaf types of `spec.values` (`data/values-types.yaml`, as JSON). Read by the shape
/// derivation, which runs in `build.rs` (with its own reader) and in the crate's tests.
#[cfg(test)]
pub(crate) fn value_types() -> Result<Value, serde_json::Error> {
    serde_json::from_str(include_str!(concat!(
        env!("OUT_DIR"),
        "/data/values-types.json"
    )))
}

/// The names of all embedded helm-level profiles (file stems).
pub fn helm_profile_names() -> impl Iterator<Item = &'static str> {
    PROFILES.iter().map(|(name, _)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn defaults_are_embedded_from_each_charts_data_dir() {
        for chart in Chart::ALL {
            let want = format!("{}/values.yaml", chart.data_dir());
            assert_eq!(defaults_json(chart).0, want);
        }
    }

    #[test]
    fn bad_embedded_data_names_the_file_and_keeps_the_parser_error() {
        let e = parse("x/values.yaml", "{").unwrap_err();
        assert!(matches!(&e, ValuesError::EmbeddedData { file, .. } if file == "x/values.yaml"));
        let cause = e.source().map(ToString::to_string).unwrap_or_default();
        assert_eq!(cause, "EOF while parsing an object at line 1 column 1");
        assert_eq!(
            e.to_string(),
            format!("embedded chart data x/values.yaml: {cause}")
        );
        let e = parse("x/values.yaml", "[1]").unwrap_err();
        assert_eq!(
            e.to_string(),
            "embedded chart data x/values.yaml: expected a mapping, found a list"
        );
    }
}
