//! mesh's built-in Grafana dashboards: valid, consistent, split like Istio's sample, and querying
//! only metrics Istio exports (the allow-list checked against Istio's own dashboards).

use mesh_manifest::dashboards::{
    CONTROL_PLANE_CONFIG_MAP, DashboardFile, SERVICES_CONFIG_MAP, builtin, check_all,
    config_map_bytes, metrics, promql,
};
use serde_json::Value;
use std::collections::BTreeSet;

fn parsed(file: &DashboardFile) -> Value {
    serde_json::from_str(&file.json).unwrap_or_else(|e| panic!("{}: {e}", file.key))
}

/// Every panel of a dashboard, nested ones included.
fn panels(dashboard: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    let mut todo: Vec<&Value> = dashboard["panels"].as_array().unwrap().iter().collect();
    while let Some(panel) = todo.pop() {
        if let Some(inner) = panel["panels"].as_array() {
            todo.extend(inner);
        }
        out.push(panel);
    }
    out
}

#[test]
fn every_builtin_dashboard_passes_the_checks() {
    let files = builtin();
    let errors: Vec<String> = check_all(&files).iter().map(ToString::to_string).collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn split_and_keys_match_istios_sample() {
    let placed: Vec<(&str, String)> = builtin()
        .into_iter()
        .map(|f| (f.config_map, f.key))
        .collect();
    let expected = [
        (CONTROL_PLANE_CONFIG_MAP, "pilot-dashboard.json"),
        (CONTROL_PLANE_CONFIG_MAP, "ztunnel-dashboard.json"),
        (CONTROL_PLANE_CONFIG_MAP, "istio-performance-dashboard.json"),
        (SERVICES_CONFIG_MAP, "istio-workload-dashboard.json"),
        (SERVICES_CONFIG_MAP, "istio-service-dashboard.json"),
        (SERVICES_CONFIG_MAP, "istio-mesh-dashboard.json"),
        (SERVICES_CONFIG_MAP, "istio-extension-dashboard.json"),
    ];
    let expected: Vec<(&str, String)> = expected.iter().map(|(c, k)| (*c, k.to_string())).collect();
    assert_eq!(placed, expected);
    assert_eq!(CONTROL_PLANE_CONFIG_MAP, "istio-grafana-dashboards");
    assert_eq!(SERVICES_CONFIG_MAP, "istio-services-grafana-dashboards");
}

#[test]
fn dashboards_have_what_provisioning_needs_and_unique_uids() {
    let mut uids = BTreeSet::new();
    for file in builtin() {
        let d = parsed(&file);
        assert!(!file.json.contains('\n'), "{}: not minified", file.key);
        for field in ["title", "uid"] {
            assert!(
                d[field].as_str().is_some_and(|s| !s.is_empty()),
                "{}: {field}",
                file.key
            );
        }
        assert_eq!(d["schemaVersion"], 41, "{}", file.key);
        assert!(d["templating"]["list"].is_array(), "{}", file.key);
        assert_eq!(d["templating"]["list"][0]["type"], "datasource");
        assert!(
            uids.insert(d["uid"].as_str().unwrap().to_string()),
            "{}",
            file.key
        );
        let panels = panels(&d);
        assert!(
            panels.len() >= 10,
            "{}: only {} panels",
            file.key,
            panels.len()
        );
        let ids: BTreeSet<u64> = panels.iter().map(|p| p["id"].as_u64().unwrap()).collect();
        assert_eq!(ids.len(), panels.len(), "{}: panel ids repeat", file.key);
        for panel in panels {
            let pos = &panel["gridPos"];
            let (x, w) = (pos["x"].as_u64().unwrap(), pos["w"].as_u64().unwrap());
            assert!(x + w <= 24 && w > 0, "{}: {panel}", file.key);
            // Every data panel queries through the data source variable.
            if panel["type"] != "row" && panel["type"] != "text" {
                assert_eq!(panel["datasource"]["uid"], "${datasource}");
                assert!(!panel["targets"].as_array().unwrap().is_empty());
            }
        }
    }
    assert_eq!(uids.len(), 7);
}

#[test]
fn panel_titles_do_not_repeat_within_a_dashboard() {
    for file in builtin() {
        let d = parsed(&file);
        let mut seen = BTreeSet::new();
        for panel in panels(&d) {
            let title = panel["title"].as_str().unwrap();
            assert!(
                seen.insert(title),
                "{}: two panels titled {title:?}",
                file.key
            );
        }
    }
}

#[test]
fn every_variable_a_query_uses_is_defined() {
    for file in builtin() {
        let d = parsed(&file);
        let mut defined: Vec<String> = promql::GRAFANA_VARIABLES
            .iter()
            .map(|v| (*v).to_string())
            .collect();
        defined.extend(
            d["templating"]["list"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["name"].as_str().unwrap().to_string()),
        );
        for panel in panels(&d) {
            for target in panel["targets"].as_array().into_iter().flatten() {
                let expr = target["expr"].as_str().unwrap();
                for name in promql::variables(expr) {
                    assert!(
                        defined.iter().any(|d| d == name),
                        "{}: ${name} in {expr}",
                        file.key
                    );
                }
            }
        }
    }
}

#[test]
fn the_largest_config_map_stays_well_under_one_mebibyte() {
    let files = builtin();
    for config_map in [CONTROL_PLANE_CONFIG_MAP, SERVICES_CONFIG_MAP] {
        let bytes = config_map_bytes(&files, config_map);
        assert!(
            bytes > 10_000,
            "{config_map}: {bytes} bytes is suspiciously small"
        );
        assert!(bytes < 512 * 1024, "{config_map}: {bytes} bytes");
    }
}

#[test]
fn output_is_deterministic() {
    assert_eq!(builtin(), builtin());
}

/// The metric names Istio's reference dashboards query (every `expr` and variable query).
fn reference_metrics(dir: &std::path::Path) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    entries.sort();
    assert!(!entries.is_empty(), "{}: no dashboards", dir.display());
    for path in entries {
        let d: Value = serde_json::from_str(&mesh_test_support::read(&path)).unwrap();
        let mut exprs = Vec::new();
        collect_exprs(&d, &mut exprs);
        for expr in exprs {
            // Istio's variable queries wrap PromQL in Grafana's query_result(...).
            let expr = expr
                .strip_prefix("query_result(")
                .and_then(|e| e.strip_suffix(')'))
                .unwrap_or(&expr);
            let found = promql::metric_names(expr)
                .unwrap_or_else(|e| panic!("{}: {expr}: {e}", path.display()));
            names.extend(found.into_iter().map(str::to_string));
        }
    }
    names
}

fn collect_exprs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("expr", Value::String(s)) => out.push(s.clone()),
                    ("query", Value::String(s)) if s.starts_with("query_result(") => {
                        out.push(s.clone());
                    }
                    _ => collect_exprs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_exprs(i, out)),
        _ => {}
    }
}

#[test]
fn allow_list_is_grounded_in_istios_own_dashboards() {
    let Some(dir) = mesh_test_support::reference_path("addons/dashboards") else {
        return;
    };
    let used = reference_metrics(&dir);
    assert!(used.len() > 40, "only {} metrics found", used.len());
    // Every metric Istio's dashboards query is on the list...
    let missing: Vec<&String> = used.iter().filter(|m| !metrics::is_known(m)).collect();
    assert!(missing.is_empty(), "not on the allow-list: {missing:?}");
    // ...and every group that claims to come from them really does.
    for group in metrics::METRICS.iter().filter(|g| g.in_istio_dashboards) {
        let absent: Vec<&&str> = group.names.iter().filter(|n| !used.contains(**n)).collect();
        assert!(
            absent.is_empty(),
            "{}: not in Istio's dashboards: {absent:?}",
            group.source
        );
    }
    // The groups that do not claim it are not hiding names that are there.
    for group in metrics::METRICS.iter().filter(|g| !g.in_istio_dashboards) {
        let present: Vec<&&str> = group.names.iter().filter(|n| used.contains(**n)).collect();
        assert!(
            present.is_empty(),
            "{}: in Istio's dashboards: {present:?}",
            group.source
        );
    }
}

#[test]
fn our_dashboards_are_not_istios() {
    // Designed here, not copied: no panel title of ours equals one of Istio's dashboards.
    let Some(dir) = mesh_test_support::reference_path("addons/dashboards") else {
        return;
    };
    let mut theirs = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let d: Value =
            serde_json::from_str(&mesh_test_support::read(&entry.unwrap().path())).unwrap();
        theirs.insert(d["title"].as_str().unwrap_or_default().to_string());
        theirs.insert(d["uid"].as_str().unwrap_or_default().to_string());
    }
    for file in builtin() {
        let d = parsed(&file);
        assert!(
            !theirs.contains(d["title"].as_str().unwrap()),
            "{}",
            file.key
        );
        assert!(!theirs.contains(d["uid"].as_str().unwrap()), "{}", file.key);
    }
}

/// The mesh overview's outline: pickers, then each panel's id, type, place, title and queries.
#[test]
fn mesh_overview_outline() {
    let files = builtin();
    let file = files
        .iter()
        .find(|f| f.key == "istio-mesh-dashboard.json")
        .unwrap();
    let d = parsed(file);
    let mut lines = vec![format!("{} ({})", d["title"], d["uid"])];
    for var in d["templating"]["list"].as_array().unwrap() {
        let query = var["definition"].as_str().or(var["query"].as_str());
        lines.push(format!(
            "${}: {}",
            var["name"].as_str().unwrap(),
            query.unwrap_or("")
        ));
    }
    for panel in d["panels"].as_array().unwrap() {
        let p = &panel["gridPos"];
        lines.push(format!(
            "#{} {} [{},{} {}x{}] {}",
            panel["id"],
            panel["type"].as_str().unwrap(),
            p["x"],
            p["y"],
            p["w"],
            p["h"],
            panel["title"].as_str().unwrap()
        ));
        for target in panel["targets"].as_array().into_iter().flatten() {
            lines.push(format!(
                "    {} = {}",
                target["refId"].as_str().unwrap(),
                target["expr"].as_str().unwrap()
            ));
        }
    }
    insta::assert_snapshot!("mesh_overview_outline", lines.join("\n"));
}
