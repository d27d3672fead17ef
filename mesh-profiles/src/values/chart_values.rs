//! A chart's effective `.Values`: its defaults, helm profile, compatibility and platform
//! profiles and the passed values merged the way the charts' `zzz_profile.yaml` does it.
//!
//! Precedence, lowest first: chart defaults < helm profile (`profile`, else `global.profile`)
//! < compatibility profile (`compatibilityVersion`) < platform profile (`platform`, else
//! `global.platform`) < for ztunnel, `global` of the profile and of the passed values lifted
//! to the top < passed values. Afterwards istiod copies its `pilot` subtree, and the CNI chart
//! its `cni` subtree, over the top level (the charts' legacy descoping).

use mesh_core::Value;
use serde_json::Map;

use super::chart::Chart;
use super::embedded::{chart_defaults, helm_profile};
use super::error::{ValuesError, kind_name};
use super::merge::{merge_into, merge_value_into, truthy};

/// Computes the `.Values` the templates of `chart` see when istioctl passes `passed`.
///
/// `passed` must be a mapping (or `null`, meaning no values). The result never contains the
/// chart's bookkeeping key `_original` (the passed values are what the caller already has).
pub fn chart_values(chart: Chart, passed: &Value) -> Result<Value, ValuesError> {
    let passed = passed_map(chart, passed)?;
    if passed.get("defaults").is_some_and(truthy) {
        return Err(ValuesError::DefaultsPrefix { chart });
    }

    let mut values = match chart_defaults(chart)? {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    let profile = helm_profile_for(chart, &passed)?;
    merge_into(&mut values, &profile);
    if chart.flattens_globals() {
        if let Some(global) = profile.get("global") {
            merge_value_into(&mut values, global);
        }
        if let Some(global) = passed.get("global") {
            merge_value_into(&mut values, global);
        }
    }
    merge_into(&mut values, &passed);
    descope(chart, &mut values);
    Ok(Value::Object(values))
}

/// The passed values as a mapping; `null` counts as none.
fn passed_map(chart: Chart, passed: &Value) -> Result<Map<String, Value>, ValuesError> {
    match passed {
        Value::Null => Ok(Map::new()),
        Value::Object(map) => Ok(map.clone()),
        other => Err(ValuesError::NotAMap {
            source_name: format!("values passed to chart {chart}"),
            path: "(root)".to_string(),
            found: kind_name(other),
        }),
    }
}

/// The first set value among `top.<key>` and `top.global.<key>` (sprig `coalesce`).
fn coalesced<'a>(passed: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    let top = passed.get(key).filter(|v| truthy(v));
    top.or_else(|| {
        passed
            .get("global")
            .and_then(|g| g.as_object())
            .and_then(|g| g.get(key))
            .filter(|v| truthy(v))
    })
}

/// How a Go template prints a value with `%s` in a file name; non-strings never name a file.
fn file_stem_part(value: &Value) -> Option<&str> {
    value.as_str()
}

/// Rendering of a value for error messages.
fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Looks up an embedded helm profile file stem as a mapping.
fn profile_file(stem: &str) -> Result<Option<Map<String, Value>>, ValuesError> {
    Ok(helm_profile(stem)?.map(|v| v.as_object().cloned().unwrap_or_default()))
}

/// The helm-level profile the chart merges over its defaults: the named profile, then the
/// compatibility version profile, then the platform profile.
fn helm_profile_for(
    chart: Chart,
    passed: &Map<String, Value>,
) -> Result<Map<String, Value>, ValuesError> {
    let mut profile = Map::new();
    if let Some(name) = coalesced(passed, "profile") {
        let found = match file_stem_part(name) {
            Some(name) => profile_file(name)?,
            None => None,
        };
        profile = found.ok_or_else(|| ValuesError::UnknownProfile {
            chart,
            name: shown(name),
        })?;
    }
    if let Some(version) = passed.get("compatibilityVersion").filter(|v| truthy(v)) {
        let found = match file_stem_part(version) {
            Some(v) => profile_file(&format!("compatibility-version-{v}"))?,
            None => None,
        };
        let compat = found.ok_or_else(|| ValuesError::UnknownCompatibilityVersion {
            chart,
            version: shown(version),
        })?;
        merge_into(&mut profile, &compat);
    }
    if let Some(platform) = coalesced(passed, "platform") {
        let found = match file_stem_part(platform) {
            Some(p) => profile_file(&format!("platform-{p}"))?,
            None => None,
        };
        let overlay = found.ok_or_else(|| ValuesError::UnknownPlatform {
            chart,
            name: shown(platform),
        })?;
        merge_into(&mut profile, &overlay);
    }
    Ok(profile)
}

/// Copies the chart's legacy subtree (`pilot`, `cni`) over its top level, as the charts'
/// `zzy_descope_legacy.yaml` does after the merge, whatever `global.resourceScope` is.
fn descope(chart: Chart, values: &mut Map<String, Value>) {
    let Some(key) = chart.descoped_key() else {
        return;
    };
    if let Some(Value::Object(subtree)) = values.get(key).cloned() {
        merge_into(values, &subtree);
    }
}
