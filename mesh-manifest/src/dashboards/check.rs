//! Checks of a dashboard's Grafana JSON: the fields provisioning needs, unique panel ids, a grid
//! without overlaps, well-formed PromQL over known metrics, defined variables; and, across the
//! dashboards, unique uids and ConfigMaps well under the 1 MiB object limit.

use super::DashboardFile;
use super::metrics;
use super::model::{GRID_COLUMNS, GridPos};
use super::promql::{self, GRAFANA_VARIABLES, PromqlError, did_you_mean};
use mesh_core::{Path, Segment};
use serde_json::Value;
use std::collections::BTreeMap;

/// The most a dashboards ConfigMap may hold: half of the 1 MiB object limit, leaving room for
/// growth and for the object's own metadata.
pub const CONFIG_MAP_BUDGET: usize = 512 * 1024;

/// A problem in a dashboard. `key` names the dashboard (its ConfigMap key), `path` the place
/// inside its JSON (`panels[3].targets[0].expr`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DashboardError {
    /// The text is not JSON.
    #[error("{key}: not valid JSON: {message}")]
    Json {
        /// The dashboard.
        key: String,
        /// serde_json's message, with line and column.
        message: String,
    },
    /// A field Grafana needs is missing or of the wrong type.
    #[error("{key}: {path}: expected {expected}")]
    Field {
        /// The dashboard.
        key: String,
        /// Where the field should be.
        path: Path,
        /// What should be there.
        expected: &'static str,
    },
    /// Two panels share an id.
    #[error("{key}: {path}: panel id {id} is already the id of {first}")]
    DuplicatePanelId {
        /// The dashboard.
        key: String,
        /// The second panel.
        path: Path,
        /// The id.
        id: u64,
        /// The first panel with it.
        first: Path,
    },
    /// A panel reaches past the grid's last column or has no size.
    #[error("{key}: {path}: expected a size of at least 1x1 within {GRID_COLUMNS} columns, got x={} w={} h={}", pos.x, pos.w, pos.h)]
    OffGrid {
        /// The dashboard.
        key: String,
        /// The panel's gridPos.
        path: Path,
        /// Its place.
        pos: GridPos,
    },
    /// Two panels cover a common cell.
    #[error("{key}: {path}: overlaps {other}")]
    Overlap {
        /// The dashboard.
        key: String,
        /// The later panel.
        path: Path,
        /// The earlier panel it overlaps.
        other: Path,
    },
    /// A query that is not well-formed PromQL.
    #[error("{key}: {path}: {source}")]
    Promql {
        /// The dashboard.
        key: String,
        /// The query.
        path: Path,
        /// What is wrong with it.
        source: PromqlError,
    },
    /// A query names a metric outside the allow-list of exported metrics.
    #[error("{key}: {path}: expected a metric Istio exports, got {metric:?}{}", did_you_mean(*suggestion))]
    UnknownMetric {
        /// The dashboard.
        key: String,
        /// The query.
        path: Path,
        /// The metric name.
        metric: String,
        /// The closest allowed metric.
        suggestion: Option<&'static str>,
    },
    /// A query uses a variable the dashboard does not define (before it, for variables).
    #[error("{key}: {path}: variable ${name} is not defined{}", did_you_mean(suggestion.as_deref()))]
    UndefinedVariable {
        /// The dashboard.
        key: String,
        /// The query.
        path: Path,
        /// The variable's name.
        name: String,
        /// The closest defined variable.
        suggestion: Option<String>,
    },
    /// Two dashboards share a uid (Grafana would keep only one).
    #[error("{key}: uid: {uid:?} is already the uid of {first}")]
    DuplicateUid {
        /// The second dashboard.
        key: String,
        /// The uid.
        uid: String,
        /// The first dashboard with it.
        first: String,
    },
    /// Two dashboards of a ConfigMap share a key.
    #[error("{config_map}: key {key} appears twice")]
    DuplicateKey {
        /// The ConfigMap.
        config_map: String,
        /// The key.
        key: String,
    },
    /// A ConfigMap's dashboards are too big.
    #[error("{config_map}: expected at most {CONFIG_MAP_BUDGET} bytes of dashboards, got {bytes}")]
    ConfigMapTooLarge {
        /// The ConfigMap.
        config_map: String,
        /// The bytes of its keys and values.
        bytes: usize,
    },
}

fn key_path(parts: &[&str]) -> Path {
    Path(
        parts
            .iter()
            .map(|p| Segment::Key((*p).to_string()))
            .collect(),
    )
}

fn child(path: &Path, segment: Segment) -> Path {
    let mut p = path.clone();
    p.0.push(segment);
    p
}

/// Checks every dashboard and the set as a whole; returns every problem found.
pub fn check_all(files: &[DashboardFile]) -> Vec<DashboardError> {
    let mut errors = Vec::new();
    let mut uids: BTreeMap<String, String> = BTreeMap::new();
    let mut sizes: BTreeMap<&str, usize> = BTreeMap::new();
    let mut keys: Vec<(&str, &str)> = Vec::new();
    for file in files {
        errors.extend(check(&file.key, &file.json));
        *sizes.entry(file.config_map).or_default() += file.key.len() + file.json.len();
        if keys.contains(&(file.config_map, file.key.as_str())) {
            errors.push(DashboardError::DuplicateKey {
                config_map: file.config_map.to_string(),
                key: file.key.clone(),
            });
        }
        keys.push((file.config_map, &file.key));
        let uid = serde_json::from_str::<Value>(&file.json)
            .ok()
            .and_then(|v| v["uid"].as_str().map(str::to_string));
        if let Some(uid) = uid {
            match uids.get(&uid) {
                Some(first) => errors.push(DashboardError::DuplicateUid {
                    key: file.key.clone(),
                    uid,
                    first: first.clone(),
                }),
                None => {
                    uids.insert(uid, file.key.clone());
                }
            }
        }
    }
    for (config_map, bytes) in sizes {
        if bytes > CONFIG_MAP_BUDGET {
            errors.push(DashboardError::ConfigMapTooLarge {
                config_map: config_map.to_string(),
                bytes,
            });
        }
    }
    errors
}

/// Checks one dashboard's JSON; `key` names it in the errors.
pub fn check(key: &str, json: &str) -> Vec<DashboardError> {
    let dashboard: Value = match serde_json::from_str(json) {
        Ok(v) => v,
        Err(e) => {
            return vec![DashboardError::Json {
                key: key.to_string(),
                message: e.to_string(),
            }];
        }
    };
    let mut c = Checker {
        key,
        errors: Vec::new(),
        defined: GRAFANA_VARIABLES.iter().map(|v| (*v).to_string()).collect(),
    };
    c.fields(&dashboard);
    c.variables(&dashboard);
    c.panels(&dashboard);
    c.errors
}

struct Checker<'a> {
    key: &'a str,
    errors: Vec<DashboardError>,
    /// Variables defined so far (Grafana's own, then the dashboard's in order).
    defined: Vec<String>,
}

impl Checker<'_> {
    fn field_error(&mut self, path: Path, expected: &'static str) {
        self.errors.push(DashboardError::Field {
            key: self.key.to_string(),
            path,
            expected,
        });
    }

    /// The top-level fields Grafana's file provisioning reads.
    fn fields(&mut self, d: &Value) {
        for field in ["title", "uid"] {
            if d[field].as_str().is_none_or(str::is_empty) {
                self.field_error(key_path(&[field]), "a non-empty string");
            }
        }
        if d["uid"].as_str().is_some_and(|u| u.len() > 40) {
            self.field_error(key_path(&["uid"]), "at most 40 characters");
        }
        if d["schemaVersion"].as_u64().is_none() {
            self.field_error(key_path(&["schemaVersion"]), "a number");
        }
        if !d["panels"].is_array() {
            self.field_error(key_path(&["panels"]), "a list of panels");
        }
        if !d["templating"]["list"].is_array() {
            self.field_error(key_path(&["templating", "list"]), "a list of variables");
        }
    }

    /// Each variable's query uses known metrics and only variables defined before it.
    fn variables(&mut self, d: &Value) {
        let list = d["templating"]["list"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for (i, var) in list.iter().enumerate() {
            let path = child(&key_path(&["templating", "list"]), Segment::Index(i));
            let Some(name) = var["name"].as_str() else {
                self.field_error(child(&path, Segment::Key("name".into())), "a string");
                continue;
            };
            if var["type"] == "query" {
                let query_path = child(&path, Segment::Key("definition".into()));
                match var["definition"].as_str().and_then(promql::label_values) {
                    Some((selector, _)) => self.expr(selector, query_path),
                    None => self.field_error(query_path, "a label_values(selector, label) query"),
                }
            }
            self.defined.push(name.to_string());
        }
    }

    fn panels(&mut self, d: &Value) {
        let mut placed: Vec<(GridPos, Path)> = Vec::new();
        let mut ids: BTreeMap<u64, Path> = BTreeMap::new();
        let panels = d["panels"].as_array().cloned().unwrap_or_default();
        for (i, panel) in panels.iter().enumerate() {
            let path = child(&key_path(&["panels"]), Segment::Index(i));
            self.panel(panel, &path, &mut placed, &mut ids);
        }
    }

    fn panel(
        &mut self,
        panel: &Value,
        path: &Path,
        placed: &mut Vec<(GridPos, Path)>,
        ids: &mut BTreeMap<u64, Path>,
    ) {
        match panel["id"].as_u64() {
            Some(id) => match ids.get(&id) {
                Some(first) => self.errors.push(DashboardError::DuplicatePanelId {
                    key: self.key.to_string(),
                    path: path.clone(),
                    id,
                    first: first.clone(),
                }),
                None => {
                    ids.insert(id, path.clone());
                }
            },
            None => self.field_error(child(path, Segment::Key("id".into())), "a panel id"),
        }
        if panel["type"].as_str().is_none() || panel["title"].as_str().is_none() {
            self.field_error(path.clone(), "a panel with a type and a title");
        }
        self.grid_pos(panel, path, placed);
        let targets = panel["targets"].as_array().cloned().unwrap_or_default();
        for (t, target) in targets.iter().enumerate() {
            let tpath = child(
                &child(path, Segment::Key("targets".into())),
                Segment::Index(t),
            );
            let expr_path = child(&tpath, Segment::Key("expr".into()));
            match target["expr"].as_str() {
                Some(expr) => self.expr(expr, expr_path),
                None => self.field_error(expr_path, "a PromQL expression"),
            }
        }
        // Panels inside a collapsed row.
        let nested = panel["panels"].as_array().cloned().unwrap_or_default();
        for (n, inner) in nested.iter().enumerate() {
            let npath = child(
                &child(path, Segment::Key("panels".into())),
                Segment::Index(n),
            );
            self.panel(inner, &npath, placed, ids);
        }
    }

    fn grid_pos(&mut self, panel: &Value, path: &Path, placed: &mut Vec<(GridPos, Path)>) {
        let gp = &panel["gridPos"];
        let dim = |k: &str| gp[k].as_u64().and_then(|v| u32::try_from(v).ok());
        let gpath = child(path, Segment::Key("gridPos".into()));
        let (Some(x), Some(y), Some(w), Some(h)) = (dim("x"), dim("y"), dim("w"), dim("h")) else {
            self.field_error(gpath, "x, y, w and h as whole numbers");
            return;
        };
        let pos = GridPos { x, y, w, h };
        if w == 0 || h == 0 || x.saturating_add(w) > GRID_COLUMNS {
            self.errors.push(DashboardError::OffGrid {
                key: self.key.to_string(),
                path: gpath.clone(),
                pos,
            });
        }
        if let Some((_, other)) = placed.iter().find(|(p, _)| p.overlaps(&pos)) {
            self.errors.push(DashboardError::Overlap {
                key: self.key.to_string(),
                path: path.clone(),
                other: other.clone(),
            });
        }
        placed.push((pos, path.clone()));
    }

    /// A query: well formed, over allowed metrics, with defined variables.
    fn expr(&mut self, expr: &str, path: Path) {
        match promql::metric_names(expr) {
            Ok(names) => {
                for name in names.into_iter().filter(|n| !metrics::is_known(n)) {
                    self.errors.push(DashboardError::UnknownMetric {
                        key: self.key.to_string(),
                        path: path.clone(),
                        metric: name.to_string(),
                        suggestion: mesh_core::suggest::closest(name, metrics::all()),
                    });
                }
            }
            Err(source) => self.errors.push(DashboardError::Promql {
                key: self.key.to_string(),
                path: path.clone(),
                source,
            }),
        }
        for name in promql::variables(expr) {
            if !self.defined.iter().any(|d| d == name) {
                let suggestion =
                    mesh_core::suggest::closest(name, self.defined.iter().map(String::as_str))
                        .map(str::to_string);
                self.errors.push(DashboardError::UndefinedVariable {
                    key: self.key.to_string(),
                    path: path.clone(),
                    name: name.to_string(),
                    suggestion,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dashboards::model::{Dashboard, Panel, Unit, Variable};
    use serde_json::json;

    /// A small valid dashboard as JSON.
    fn sample() -> Value {
        Dashboard::new("u", "T", "")
            .variable(Variable::label_values("namespace", "NS", "pilot_xds", "namespace", true))
            .row("r")
            .panel(
                12,
                8,
                Panel::timeseries("a", "", Unit::RequestsPerSecond).query(
                    r#"sum(rate(istio_requests_total{destination_workload_namespace="$namespace"}[$__rate_interval]))"#,
                    "x",
                ),
            )
            .panel(12, 8, Panel::stat("b", "", Unit::Number).query("sum(pilot_xds)", "y"))
            .to_json()
    }

    fn errors(d: &Value) -> Vec<String> {
        check("k.json", &d.to_string())
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_valid_dashboard_passes() {
        assert_eq!(errors(&sample()), Vec::<String>::new());
    }

    #[test]
    fn reports_each_problem_with_its_path() {
        /// The errors of the sample after `edit`.
        fn after(edit: impl FnOnce(&mut Value)) -> Vec<String> {
            let mut d = sample();
            edit(&mut d);
            errors(&d)
        }
        let expr = |panel: usize, e: &str| {
            let e = e.to_string();
            move |d: &mut Value| d["panels"][panel]["targets"][0]["expr"] = json!(e)
        };
        let cases: Vec<(Vec<String>, &[&str])> = vec![
            (
                after(|d| d["panels"][2]["id"] = json!(2)),
                &["k.json: panels[2]: panel id 2 is already the id of panels[1]"],
            ),
            (
                after(|d| d["panels"][2]["gridPos"]["x"] = json!(8)),
                &["k.json: panels[2]: overlaps panels[1]"],
            ),
            (
                after(|d| d["panels"][2]["gridPos"]["x"] = json!(16)),
                &[
                    "k.json: panels[2].gridPos: expected a size of at least 1x1 within 24 columns, got x=16 w=12 h=8",
                ],
            ),
            (
                after(expr(1, "sum(rate(istio_request_total[5m]))")),
                &[
                    "k.json: panels[1].targets[0].expr: expected a metric Istio exports, got \"istio_request_total\" (did you mean \"istio_requests_total\"?)",
                ],
            ),
            (
                after(expr(2, r#"sum(pilot_xds{pod=~"$namepsace"})"#)),
                &[
                    "k.json: panels[2].targets[0].expr: variable $namepsace is not defined (did you mean \"namespace\"?)",
                ],
            ),
            (
                after(expr(2, "sum(pilot_xds")),
                &["k.json: panels[2].targets[0].expr: '(' opened at byte 3 is never closed"],
            ),
            (
                after(|d| {
                    d["templating"]["list"][1]["definition"] = json!("label_values(pilot_xd, pod)")
                }),
                &[
                    "k.json: templating.list[1].definition: expected a metric Istio exports, got \"pilot_xd\" (did you mean \"pilot_xds\"?)",
                ],
            ),
            (
                after(|d| {
                    d.as_object_mut().map(|m| m.remove("uid"));
                    d["schemaVersion"] = json!("41");
                }),
                &[
                    "k.json: uid: expected a non-empty string",
                    "k.json: schemaVersion: expected a number",
                ],
            ),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
        assert!(check("k.json", "{").len() == 1);
    }

    #[test]
    fn variables_may_only_use_earlier_variables() {
        // The workload dashboard's pickers, in the wrong order.
        let [namespace, workload] = crate::dashboards::workload::pickers();
        let d = Dashboard::new("u", "T", "")
            .variables([workload, namespace])
            .to_json();
        assert_eq!(
            errors(&d),
            ["k.json: templating.list[1].definition: variable $namespace is not defined"]
        );
    }

    #[test]
    fn checks_the_set_uids_keys_and_size() {
        let file = |key: &str, uid: &str, pad: usize| DashboardFile {
            config_map: "cm",
            key: key.to_string(),
            json: {
                let mut d = sample();
                d["uid"] = json!(uid);
                d["description"] = json!("x".repeat(pad));
                d.to_string()
            },
        };
        let errors: Vec<String> = check_all(&[
            file("a.json", "one", 0),
            file("b.json", "one", 0),
            file("b.json", "two", CONFIG_MAP_BUDGET),
        ])
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert_eq!(
            errors[0],
            "b.json: uid: \"one\" is already the uid of a.json"
        );
        assert_eq!(errors[1], "cm: key b.json appears twice");
        assert!(errors[2].starts_with("cm: expected at most 524288 bytes of dashboards, got "));
    }
}
