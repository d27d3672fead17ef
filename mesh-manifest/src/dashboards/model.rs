//! The typed dashboard model (dashboard, variables, panels, queries, layout) and its Grafana JSON.

use serde_json::{Map, Value, json};

/// The dashboard schema version of Grafana 12.0 (the Grafana addon runs grafana/grafana:12.0.x).
pub const SCHEMA_VERSION: u64 = 41;
/// Columns of Grafana's dashboard grid.
pub const GRID_COLUMNS: u32 = 24;
/// The name of the data source variable every query goes through.
pub const DATASOURCE_VARIABLE: &str = "datasource";

/// Where a panel sits on the grid, in grid columns (x, w) and rows of 30 px (y, h).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GridPos {
    /// Left column, 0-based.
    pub x: u32,
    /// Top row, 0-based.
    pub y: u32,
    /// Width in columns.
    pub w: u32,
    /// Height in rows.
    pub h: u32,
}

impl GridPos {
    /// Whether two panels cover a common cell.
    pub fn overlaps(&self, other: &GridPos) -> bool {
        self.x < other.x + other.w
            && other.x < self.x + self.w
            && self.y < other.y + other.h
            && other.y < self.y + self.h
    }
}

/// A value's unit, as Grafana formats it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Requests per second.
    RequestsPerSecond,
    /// Operations (pushes, events, lookups) per second.
    OpsPerSecond,
    /// A ratio from 0 to 1, shown as a percentage.
    Ratio,
    /// Milliseconds.
    Milliseconds,
    /// Seconds.
    Seconds,
    /// Bytes.
    Bytes,
    /// Bytes per second.
    BytesPerSecond,
    /// A plain number (counts, CPU cores).
    Number,
}

impl Unit {
    /// Grafana's unit id.
    pub fn grafana_id(self) -> &'static str {
        match self {
            Unit::RequestsPerSecond => "reqps",
            Unit::OpsPerSecond => "ops",
            Unit::Ratio => "percentunit",
            Unit::Milliseconds => "ms",
            Unit::Seconds => "s",
            Unit::Bytes => "bytes",
            Unit::BytesPerSecond => "Bps",
            Unit::Number => "short",
        }
    }
}

/// A threshold colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    /// Healthy.
    Green,
    /// Worth a look.
    Yellow,
    /// Unhealthy.
    Red,
    /// Neutral (no judgement).
    Blue,
}

impl Color {
    fn name(self) -> &'static str {
        match self {
            Color::Green => "green",
            Color::Yellow => "yellow",
            Color::Red => "red",
            Color::Blue => "blue",
        }
    }
}

/// Colour steps: `base` below the first step, then each step's colour from its value up.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    /// The colour below every step.
    pub base: Color,
    /// `(from value, colour)`, ascending.
    pub steps: Vec<(f64, Color)>,
}

impl Thresholds {
    /// Green, yellow from `warn`, red from `bad` (latencies, error rates).
    pub fn higher_is_worse(warn: f64, bad: f64) -> Self {
        Thresholds {
            base: Color::Green,
            steps: vec![(warn, Color::Yellow), (bad, Color::Red)],
        }
    }

    /// Red, yellow from `bad`, green from `good` (success ratios).
    pub fn lower_is_worse(bad: f64, good: f64) -> Self {
        Thresholds {
            base: Color::Red,
            steps: vec![(bad, Color::Yellow), (good, Color::Green)],
        }
    }

    /// Green, red from `bad` (counts that should stay at zero).
    pub fn red_from(bad: f64) -> Self {
        Thresholds {
            base: Color::Green,
            steps: vec![(bad, Color::Red)],
        }
    }

    fn to_json(&self) -> Value {
        let mut steps = vec![json!({"color": self.base.name(), "value": null})];
        steps.extend(
            self.steps
                .iter()
                .map(|(v, c)| json!({"color": c.name(), "value": v})),
        );
        json!({"mode": "absolute", "steps": steps})
    }
}

/// One PromQL query of a panel. Its refId (`A`, `B`, ...) is given by its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The PromQL expression.
    pub expr: String,
    /// The series name (`{{label}}` placeholders) or, in a table, the column header.
    pub legend: String,
    /// The column's unit in a table (the panel's unit when `None`).
    pub unit: Option<Unit>,
}

/// What a panel shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// Lines over time; `stacked` stacks the series.
    TimeSeries {
        /// Whether the series stack.
        stacked: bool,
    },
    /// One big number per query (its last value).
    Stat,
    /// One row per series of instant queries, one column per query.
    Table,
    /// Markdown text.
    Text {
        /// The markdown.
        markdown: String,
    },
    /// A full-width section header.
    Row,
}

/// One panel, before it is placed.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// The panel's title.
    pub title: String,
    /// The tooltip of the panel's title.
    pub description: String,
    /// What the panel shows.
    pub kind: Kind,
    /// Its queries.
    pub targets: Vec<Target>,
    /// The unit of its values.
    pub unit: Unit,
    /// Colour steps (stat panels and table cells use them).
    pub thresholds: Option<Thresholds>,
    /// The lowest value of the axis or gauge, when fixed.
    pub min: Option<f64>,
}

impl Panel {
    fn new(kind: Kind, title: &str, description: &str, unit: Unit) -> Self {
        Panel {
            title: title.to_string(),
            description: description.to_string(),
            kind,
            targets: Vec::new(),
            unit,
            thresholds: None,
            min: None,
        }
    }

    /// A time series panel.
    pub fn timeseries(title: &str, description: &str, unit: Unit) -> Self {
        Panel::new(
            Kind::TimeSeries { stacked: false },
            title,
            description,
            unit,
        )
    }

    /// A stat panel.
    pub fn stat(title: &str, description: &str, unit: Unit) -> Self {
        Panel::new(Kind::Stat, title, description, unit)
    }

    /// A table panel; each query is a column headed by its legend.
    pub fn table(title: &str, description: &str, unit: Unit) -> Self {
        Panel::new(Kind::Table, title, description, unit)
    }

    /// A markdown text panel.
    pub fn text(title: &str, markdown: &str) -> Self {
        let kind = Kind::Text {
            markdown: markdown.to_string(),
        };
        Panel::new(kind, title, "", Unit::Number)
    }

    /// Adds a query.
    pub fn query(mut self, expr: impl Into<String>, legend: &str) -> Self {
        self.targets.push(Target {
            expr: expr.into(),
            legend: legend.to_string(),
            unit: None,
        });
        self
    }

    /// Adds a table column with its own unit.
    pub fn column(mut self, expr: impl Into<String>, header: &str, unit: Unit) -> Self {
        self.targets.push(Target {
            expr: expr.into(),
            legend: header.to_string(),
            unit: Some(unit),
        });
        self
    }

    /// Stacks the series of a time series panel.
    pub fn stacked(mut self) -> Self {
        if let Kind::TimeSeries { stacked } = &mut self.kind {
            *stacked = true;
        }
        self
    }

    /// Sets colour steps.
    pub fn thresholds(mut self, thresholds: Thresholds) -> Self {
        self.thresholds = Some(thresholds);
        self
    }

    /// Fixes the lowest value of the axis.
    pub fn min(mut self, min: f64) -> Self {
        self.min = Some(min);
        self
    }

    /// The panel as Grafana JSON, with its id and place.
    fn to_json(&self, id: u32, pos: GridPos) -> Value {
        let mut panel = Map::new();
        panel.insert("id".into(), json!(id));
        panel.insert("title".into(), json!(self.title));
        panel.insert(
            "gridPos".into(),
            json!({"x": pos.x, "y": pos.y, "w": pos.w, "h": pos.h}),
        );
        let type_name = match &self.kind {
            Kind::TimeSeries { .. } => "timeseries",
            Kind::Stat => "stat",
            Kind::Table => "table",
            Kind::Text { .. } => "text",
            Kind::Row => "row",
        };
        panel.insert("type".into(), json!(type_name));
        match &self.kind {
            Kind::Row => {
                panel.insert("collapsed".into(), json!(false));
                panel.insert("panels".into(), json!([]));
                return Value::Object(panel);
            }
            Kind::Text { markdown } => {
                panel.insert(
                    "options".into(),
                    json!({"mode": "markdown", "content": markdown}),
                );
                return Value::Object(panel);
            }
            _ => {}
        }
        if !self.description.is_empty() {
            panel.insert("description".into(), json!(self.description));
        }
        panel.insert("datasource".into(), datasource());
        panel.insert("fieldConfig".into(), self.field_config());
        panel.insert("options".into(), self.options());
        let table = self.kind == Kind::Table;
        let targets: Vec<Value> = self
            .targets
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let mut target = json!({
                    "datasource": datasource(),
                    "expr": t.expr,
                    "legendFormat": t.legend,
                    "refId": ref_id(i),
                    "range": !table,
                    "instant": table,
                });
                if table {
                    target["format"] = json!("table");
                }
                target
            })
            .collect();
        panel.insert("targets".into(), Value::Array(targets));
        if table {
            panel.insert("transformations".into(), self.table_transformations());
        }
        Value::Object(panel)
    }

    fn field_config(&self) -> Value {
        let mut defaults = json!({
            "unit": self.unit.grafana_id(),
            "color": {"mode": if self.kind == Kind::Stat { "thresholds" } else { "palette-classic" }},
            "thresholds": self.thresholds.clone().unwrap_or(Thresholds {
                base: Color::Green,
                steps: Vec::new(),
            }).to_json(),
        });
        if let Some(min) = self.min {
            defaults["min"] = json!(min);
        }
        match self.kind {
            Kind::TimeSeries { stacked } => {
                defaults["custom"] = json!({
                    "drawStyle": "line",
                    "lineWidth": 1,
                    "fillOpacity": if stacked { 30 } else { 10 },
                    "showPoints": "never",
                    "spanNulls": false,
                    "stacking": {"mode": if stacked { "normal" } else { "none" }, "group": "A"},
                });
            }
            Kind::Table => {
                let cell = if self.thresholds.is_some() {
                    "color-text"
                } else {
                    "auto"
                };
                defaults["custom"] = json!({"align": "auto", "cellOptions": {"type": cell}});
            }
            _ => {}
        }
        let overrides: Vec<Value> = if self.kind == Kind::Table {
            self.targets
                .iter()
                .filter_map(|t| t.unit.map(|u| (t, u)))
                .map(|(t, u)| {
                    json!({
                        "matcher": {"id": "byName", "options": t.legend},
                        "properties": [{"id": "unit", "value": u.grafana_id()}],
                    })
                })
                .collect()
        } else {
            Vec::new()
        };
        json!({"defaults": defaults, "overrides": overrides})
    }

    fn options(&self) -> Value {
        match self.kind {
            Kind::Stat => json!({
                "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": false},
                "colorMode": "value",
                "graphMode": "area",
                "justifyMode": "auto",
                "orientation": "auto",
                "textMode": "auto",
            }),
            Kind::Table => json!({
                "showHeader": true,
                "cellHeight": "sm",
                "footer": {"show": false, "reducer": ["sum"], "fields": ""},
            }),
            _ => json!({
                "legend": {"displayMode": "list", "placement": "bottom", "showLegend": true, "calcs": []},
                "tooltip": {"mode": "multi", "sort": "desc"},
            }),
        }
    }

    /// Merges the instant queries into one row per series, hides the time column and names each
    /// value column after its query's legend.
    fn table_transformations(&self) -> Value {
        let mut renames: Map<String, Value> = self
            .targets
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("Value #{}", ref_id(i)), json!(t.legend)))
            .collect();
        // A single query's column may be plain `Value`.
        if let [only] = self.targets.as_slice() {
            renames.insert("Value".into(), json!(only.legend));
        }
        json!([
            {"id": "merge", "options": {}},
            {"id": "organize", "options": {"excludeByName": {"Time": true}, "renameByName": renames}},
        ])
    }
}

/// `A`..`Z`, then `AA`, `AB`, ...
fn ref_id(index: usize) -> String {
    let letter = |i: usize| char::from(b'A' + (i % 26) as u8);
    if index < 26 {
        letter(index).to_string()
    } else {
        format!("{}{}", letter(index / 26 - 1), letter(index))
    }
}

fn datasource() -> Value {
    json!({"type": "prometheus", "uid": format!("${{{DATASOURCE_VARIABLE}}}")})
}

/// A dashboard variable (a picker at the top of the dashboard).
#[derive(Debug, Clone, PartialEq)]
pub enum Variable {
    /// The Prometheus data source picker.
    Datasource,
    /// Values from a `label_values(selector, label)` query.
    Query {
        /// The name queries use (`$name`).
        name: String,
        /// The picker's label.
        label: String,
        /// The `label_values(...)` query.
        query: String,
        /// Whether several values (and "All", matching `.*`) may be picked.
        multi: bool,
    },
    /// A fixed list of `(text, value)` choices; the first is the default.
    Custom {
        /// The name queries use (`$name`).
        name: String,
        /// The picker's label.
        label: String,
        /// `(shown text, value)` pairs.
        choices: Vec<(String, String)>,
    },
}

impl Variable {
    /// A picker of a label's values among the series of `selector`.
    pub fn label_values(
        name: &str,
        label: &str,
        selector: &str,
        of_label: &str,
        multi: bool,
    ) -> Self {
        Variable::Query {
            name: name.to_string(),
            label: label.to_string(),
            query: format!("label_values({selector}, {of_label})"),
            multi,
        }
    }

    /// A fixed choice; the first is the default.
    pub fn custom(name: &str, label: &str, choices: &[(&str, &str)]) -> Self {
        Variable::Custom {
            name: name.to_string(),
            label: label.to_string(),
            choices: choices
                .iter()
                .map(|(t, v)| (t.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// The variable's name.
    pub fn name(&self) -> &str {
        match self {
            Variable::Datasource => DATASOURCE_VARIABLE,
            Variable::Query { name, .. } | Variable::Custom { name, .. } => name,
        }
    }

    fn to_json(&self) -> Value {
        match self {
            Variable::Datasource => json!({
                "name": DATASOURCE_VARIABLE,
                "label": "Data source",
                "type": "datasource",
                "query": "prometheus",
                "current": {},
                "hide": 0,
                "includeAll": false,
                "multi": false,
                "options": [],
                "refresh": 1,
                "regex": "",
            }),
            Variable::Query {
                name,
                label,
                query,
                multi,
            } => {
                let mut var = json!({
                "name": name,
                "label": label,
                "type": "query",
                "datasource": datasource(),
                "definition": query,
                "query": {"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
                "current": {},
                "hide": 0,
                "includeAll": multi,
                "multi": multi,
                "options": [],
                "refresh": 2,
                "regex": "",
                "sort": 1,
                });
                if *multi {
                    // "All" as a regex matching every value, for `=~"$name"` matchers.
                    var["allValue"] = json!(".*");
                }
                var
            }
            Variable::Custom {
                name,
                label,
                choices,
            } => {
                let options: Vec<Value> = choices
                    .iter()
                    .enumerate()
                    .map(|(i, (text, value))| {
                        json!({"selected": i == 0, "text": text, "value": value})
                    })
                    .collect();
                let query: Vec<String> = choices
                    .iter()
                    .map(|(text, value)| format!("{text} : {value}"))
                    .collect();
                json!({
                    "name": name,
                    "label": label,
                    "type": "custom",
                    "query": query.join(","),
                    "current": options.first().cloned().unwrap_or_else(|| json!({})),
                    "hide": 0,
                    "includeAll": false,
                    "multi": false,
                    "options": options,
                })
            }
        }
    }
}

/// A dashboard: its identity, variables and panels placed on the grid as they are added.
#[derive(Debug, Clone, PartialEq)]
pub struct Dashboard {
    /// The title shown in Grafana's dashboard list.
    pub title: String,
    /// The stable id in URLs (`/d/<uid>`), unique across the dashboards.
    pub uid: String,
    /// What the dashboard is for.
    pub description: String,
    /// Tags for Grafana's search.
    pub tags: Vec<String>,
    /// The default time range, back from now (`1h`).
    pub time_range: String,
    /// The auto-refresh interval (`30s`).
    pub refresh: String,
    /// The pickers, in order (later queries may use earlier ones).
    pub variables: Vec<Variable>,
    /// The panels with their places, in reading order.
    pub panels: Vec<(Panel, GridPos)>,
    /// The layout cursor: the next free column and row, and the height of the current line.
    cursor: (u32, u32, u32),
}

impl Dashboard {
    /// An empty dashboard with the data source picker, a one-hour range and a 30 s refresh.
    pub fn new(uid: &str, title: &str, description: &str) -> Self {
        Dashboard {
            title: title.to_string(),
            uid: uid.to_string(),
            description: description.to_string(),
            tags: vec!["mesh".to_string(), "istio".to_string()],
            time_range: "1h".to_string(),
            refresh: "30s".to_string(),
            variables: vec![Variable::Datasource],
            panels: Vec::new(),
            cursor: (0, 0, 0),
        }
    }

    /// Adds a tag.
    pub fn tag(mut self, tag: &str) -> Self {
        self.tags.push(tag.to_string());
        self
    }

    /// Adds a picker.
    pub fn variable(mut self, variable: Variable) -> Self {
        self.variables.push(variable);
        self
    }

    /// Adds pickers, in order.
    pub fn variables(mut self, variables: impl IntoIterator<Item = Variable>) -> Self {
        self.variables.extend(variables);
        self
    }

    /// Starts a section: a full-width row header below everything placed so far.
    pub fn row(mut self, title: &str) -> Self {
        let (_, y, line) = self.cursor;
        let y = y + line;
        let pos = GridPos {
            x: 0,
            y,
            w: GRID_COLUMNS,
            h: 1,
        };
        self.panels
            .push((Panel::new(Kind::Row, title, "", Unit::Number), pos));
        self.cursor = (0, y + 1, 0);
        self
    }

    /// Places a panel `w` columns wide and `h` rows high right of the previous one, or at the
    /// start of a new line when it does not fit; `w` is capped at the grid's width.
    pub fn panel(mut self, w: u32, h: u32, panel: Panel) -> Self {
        let w = w.clamp(1, GRID_COLUMNS);
        let (mut x, mut y, mut line) = self.cursor;
        if x + w > GRID_COLUMNS {
            y += line;
            x = 0;
            line = 0;
        }
        self.panels.push((panel, GridPos { x, y, w, h }));
        self.cursor = (x + w, y, line.max(h));
        self
    }

    /// Places panels of one size one after the other (see [`Dashboard::panel`]).
    pub fn panels(self, w: u32, h: u32, panels: impl IntoIterator<Item = Panel>) -> Self {
        panels.into_iter().fold(self, |d, p| d.panel(w, h, p))
    }

    /// Places panels of equal width side by side, filling one line of the grid.
    pub fn line(self, h: u32, panels: Vec<Panel>) -> Self {
        let count = u32::try_from(panels.len()).unwrap_or(GRID_COLUMNS).max(1);
        self.panels((GRID_COLUMNS / count).max(1), h, panels)
    }

    /// The dashboard as Grafana JSON; panel ids are 1, 2, ... in reading order.
    pub fn to_json(&self) -> Value {
        let panels: Vec<Value> = self
            .panels
            .iter()
            .zip(1u32..)
            .map(|((panel, pos), id)| panel.to_json(id, *pos))
            .collect();
        let variables: Vec<Value> = self.variables.iter().map(Variable::to_json).collect();
        json!({
            "uid": self.uid,
            "title": self.title,
            "description": self.description,
            "tags": self.tags,
            "editable": true,
            "graphTooltip": 1,
            "fiscalYearStartMonth": 0,
            "liveNow": false,
            "links": [],
            "annotations": {"list": [{
                "builtIn": 1,
                "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                "enable": true,
                "hide": true,
                "iconColor": "rgba(0, 211, 255, 1)",
                "name": "Annotations & Alerts",
                "type": "dashboard",
            }]},
            "panels": panels,
            "templating": {"list": variables},
            "time": {"from": format!("now-{}", self.time_range), "to": "now"},
            "timepicker": {},
            "timezone": "browser",
            "refresh": self.refresh,
            "schemaVersion": SCHEMA_VERSION,
            "version": 1,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_wraps_lines_and_rows_start_below_the_tallest_panel() {
        let d = Dashboard::new("u", "t", "")
            .row("first")
            .panel(16, 8, Panel::stat("a", "", Unit::Number))
            .panel(8, 4, Panel::stat("b", "", Unit::Number))
            .panel(12, 6, Panel::stat("c", "", Unit::Number))
            .row("second")
            .line(5, vec![Panel::stat("d", "", Unit::Number); 3]);
        let places: Vec<(u32, u32, u32, u32)> =
            d.panels.iter().map(|(_, p)| (p.x, p.y, p.w, p.h)).collect();
        assert_eq!(
            places,
            [
                (0, 0, 24, 1),
                (0, 1, 16, 8),
                (16, 1, 8, 4),
                (0, 9, 12, 6),
                (0, 15, 24, 1),
                (0, 16, 8, 5),
                (8, 16, 8, 5),
                (16, 16, 8, 5),
            ]
        );
    }

    #[test]
    fn serializes_ids_ref_ids_and_table_columns() {
        let d = Dashboard::new("u", "t", "").row("r").panel(
            24,
            8,
            Panel::table("t", "", Unit::RequestsPerSecond)
                .query("sum(a)", "Requests")
                .column("sum(b)", "Success", Unit::Ratio),
        );
        let json = d.to_json();
        assert_eq!(json["schemaVersion"], 41);
        assert_eq!(json["panels"][0]["id"], 1);
        let table = &json["panels"][1];
        assert_eq!(table["id"], 2);
        assert_eq!(table["targets"][1]["refId"], "B");
        assert_eq!(table["targets"][1]["format"], "table");
        assert_eq!(
            table["transformations"][1]["options"]["renameByName"]["Value #B"],
            "Success"
        );
        assert_eq!(
            table["fieldConfig"]["overrides"][0]["properties"][0]["value"],
            "percentunit"
        );
        assert_eq!(table["datasource"]["uid"], "${datasource}");
    }

    #[test]
    fn ref_ids_continue_past_z() {
        assert_eq!(ref_id(0), "A");
        assert_eq!(ref_id(25), "Z");
        assert_eq!(ref_id(26), "AA");
        assert_eq!(ref_id(27), "AB");
    }
}
