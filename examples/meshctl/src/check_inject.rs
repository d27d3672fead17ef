//! `meshctl x check-inject`: offline, which webhook entry matches a pod and why the injector would or
//! would not inject it, as a table or as JSON.

use crate::CliError;
use clap::{Args, ValueEnum};
use mesh_core::Value;
use mesh_inject::InjectConfig;
use mesh_inject::policy::{Decision, Labels, PodFacts, PolicyInput, WebhookSettings, decide};
use mesh_inject::workload::{POD_TEMPLATE_PATH, WorkloadKind, pod_template_at};
use std::process::ExitCode;

/// Output format of `x check-inject`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A human-readable report.
    #[default]
    Table,
    /// The decision as JSON (one object, or an array for several pods).
    Json,
}

// Flags of `x check-inject`.
#[derive(Args)]
pub struct CheckInjectArgs {
    /// The pod, or a workload with a pod template (`-` reads stdin). Every document is checked.
    #[arg(short = 'f', long = "filename")]
    file: String,
    /// Namespace the pod is created in (default: the object's own, else `default`).
    #[arg(short = 'n', long)]
    namespace: Option<String>,
    /// Labels of that namespace, as `key=value,key=value`.
    #[arg(long = "namespace-labels", value_name = "K=V,...")]
    namespace_labels: Option<String>,
    /// Control-plane revision whose webhook entries are checked (default: the default revision).
    #[arg(short = 'r', long)]
    revision: Option<String>,
    /// Injector configuration (the `config` key of the istio-sidecar-injector ConfigMap, or the ConfigMap).
    #[arg(long = "injectConfigFile", value_name = "FILE")]
    inject_config_file: Option<String>,
    /// Injector values (the `values` key of the ConfigMap): `revision` and
    /// `sidecarInjectorWebhook.enableNamespacesByDefault` are read from it.
    #[arg(long = "valuesFile", value_name = "FILE")]
    values_file: Option<String>,
    /// Check with the auto-injection entry of `enableNamespacesByDefault`.
    #[arg(long = "enable-namespaces-by-default")]
    enable_namespaces_by_default: bool,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Format::Table)]
    output: Format,
}

/// Runs `x check-inject`.
pub fn run(args: CheckInjectArgs) -> Result<ExitCode, CliError> {
    let namespace_labels = match &args.namespace_labels {
        Some(text) => parse_labels(text)?,
        None => Labels::new(),
    };
    let config = match &args.inject_config_file {
        Some(path) => load_inject_config(path)?,
        None => InjectConfig::default(),
    };
    let webhooks = webhook_settings(&args)?;
    let text = read_input(&args.file)?;
    let docs = mesh_core::from_yaml_stream(&text, &args.file)?;

    let mut pods = Vec::new();
    for (index, doc) in docs.iter().enumerate() {
        collect_pods(
            doc,
            &format!("{}: document {}", args.file, index + 1),
            &mut pods,
        );
    }
    if pods.is_empty() {
        return Err(CliError::msg(format!(
            "{}: no Pod or workload with a pod template found",
            args.file
        )));
    }

    let input = PolicyInput {
        config: &config,
        webhooks: &webhooks,
        namespace_labels: &namespace_labels,
    };
    let mut results = Vec::new();
    for found in &pods {
        let mut facts = PodFacts::from_pod(found.pod)
            .map_err(|e| CliError::msg(format!("{}: {}{e}", found.source, found.prefix)))?;
        facts.namespace = args
            .namespace
            .clone()
            .or_else(|| Some(facts.namespace.clone()).filter(|ns| !ns.is_empty()))
            .or_else(|| found.owner_namespace.clone())
            .unwrap_or_else(|| "default".to_string());
        if let (true, Some(owner)) = (facts.name.is_empty(), &found.owner_name) {
            // Pods of a workload get generated names.
            facts.name = format!("{owner}-***");
        }
        results.push((found, decide(&facts, input)));
    }

    let text = match args.output {
        Format::Table => {
            let tables: Vec<String> = results.iter().map(|(f, d)| table(&f.source, d)).collect();
            tables.join("\n")
        }
        Format::Json => {
            let mut values: Vec<Value> = results
                .iter()
                .map(|(f, d)| json_report(&f.source, d))
                .collect();
            let out = if values.len() == 1 {
                values.remove(0)
            } else {
                Value::Array(values)
            };
            format!("{}\n", serde_json::to_string_pretty(&out)?)
        }
    };
    write_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// Writes the report; a closed pipe (`| head`) is not an error.
fn write_stdout(text: &str) -> Result<(), CliError> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    CliError::stdout_written(out.write_all(text.as_bytes()).and_then(|()| out.flush()))
}

/// A pod found in the input, with where it came from.
struct FoundPod<'a> {
    /// `FILE: document N (Kind name)`, for messages.
    source: String,
    /// Path of the pod inside the document (`spec.template.` for a workload).
    prefix: String,
    /// The pod or pod template.
    pod: &'a Value,
    /// The workload's namespace, which its template inherits.
    owner_namespace: Option<String>,
    /// The workload's name, from which its pods' names are generated.
    owner_name: Option<String>,
}

fn collect_pods<'a>(doc: &'a Value, source: &str, out: &mut Vec<FoundPod<'a>>) {
    let kind = doc["kind"].as_str().unwrap_or("");
    let name = doc["metadata"]["name"].as_str().unwrap_or("");
    let source = format!("{source} ({kind} {name})").replace(" )", ")");
    let owner_namespace = doc["metadata"]["namespace"].as_str().map(str::to_string);
    let owner_name = Some(name.to_string()).filter(|n| !n.is_empty() && kind != "Pod");
    let found = |prefix, pod| FoundPod {
        source: source.clone(),
        prefix,
        pod,
        owner_namespace: owner_namespace.clone(),
        owner_name: owner_name.clone(),
    };
    let path = match WorkloadKind::of_kind(kind) {
        Some(WorkloadKind::List) => {
            for (i, item) in doc["items"].as_array().into_iter().flatten().enumerate() {
                collect_pods(item, &format!("{source}: items[{i}]"), out);
            }
            return;
        }
        Some(workload) => workload.pod_template_path().unwrap_or(POD_TEMPLATE_PATH),
        // A kind kube-inject does not know is checked when it has a pod template at
        // `spec.template` (e.g. an Argo Rollout).
        None => POD_TEMPLATE_PATH,
    };
    if let Some(pod) = pod_template_at(doc, path) {
        let prefix: String = path.iter().map(|k| format!("{k}.")).collect();
        out.push(found(prefix, pod));
    }
}

fn read_input(file: &str) -> Result<String, CliError> {
    if file == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| CliError::msg(format!("<stdin>: cannot read: {e}")))?;
        return Ok(text);
    }
    std::fs::read_to_string(file).map_err(|e| CliError::msg(format!("{file}: cannot read: {e}")))
}

/// Parses `k=v,k2=v2` (an empty value is allowed, a missing `=` is not).
fn parse_labels(text: &str) -> Result<Labels, CliError> {
    let mut labels = Labels::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                labels.insert(k.trim().to_string(), v.trim().to_string());
            }
            _ => {
                return Err(CliError::msg(format!(
                    "--namespace-labels: {pair:?}: expected key=value"
                )));
            }
        }
    }
    Ok(labels)
}

/// Reads the injector configuration: the ConfigMap's `config` text, or the whole ConfigMap.
fn load_inject_config(path: &str) -> Result<InjectConfig, CliError> {
    let text = read_input(path)?;
    let mut doc = mesh_core::from_yaml_str(&text, path)?;
    let mut source = path.to_string();
    if doc["kind"] == "ConfigMap" {
        let inner = doc["data"]["config"].as_str().ok_or_else(|| {
            CliError::msg(format!("{path}: data.config: missing or not a string"))
        })?;
        source = format!("{path}: data.config");
        doc = mesh_core::from_yaml_str(inner, &source)?;
    }
    if doc.is_null() {
        return Ok(InjectConfig::default());
    }
    serde_json::from_value(doc)
        .map_err(|e| CliError::msg(format!("{source}: invalid injector config: {e}")))
}

/// Revision and `enableNamespacesByDefault` from the values file, then the flags.
fn webhook_settings(args: &CheckInjectArgs) -> Result<WebhookSettings, CliError> {
    let mut settings = WebhookSettings::default();
    if let Some(path) = &args.values_file {
        let values = mesh_core::from_yaml_str(&read_input(path)?, path)?;
        match &values["revision"] {
            Value::Null => {}
            Value::String(rev) => settings.revision = rev.clone(),
            _ => {
                return Err(CliError::msg(format!(
                    "{path}: revision: expected a string"
                )));
            }
        }
        match &values["sidecarInjectorWebhook"]["enableNamespacesByDefault"] {
            Value::Null => {}
            Value::Bool(b) => settings.enable_namespaces_by_default = *b,
            _ => {
                return Err(CliError::msg(format!(
                    "{path}: sidecarInjectorWebhook.enableNamespacesByDefault: expected a boolean"
                )));
            }
        }
    }
    if let Some(rev) = &args.revision {
        settings.revision = rev.clone();
    }
    settings.enable_namespaces_by_default |= args.enable_namespaces_by_default;
    Ok(settings)
}

fn json_report(source: &str, decision: &Decision) -> Value {
    let mut value = serde_json::to_value(decision).unwrap_or(Value::Null);
    if let Some(map) = value.as_object_mut() {
        map.insert("source".into(), Value::String(source.to_string()));
    }
    value
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// The human-readable report for one pod.
fn table(source: &str, d: &Decision) -> String {
    let ns_labels: Vec<String> = d
        .namespace_labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let mut out = String::new();
    out.push_str(&format!("SOURCE     {source}\n"));
    out.push_str(&format!("POD        {}\n", d.pod));
    out.push_str(&format!(
        "NAMESPACE  {} ({})\n",
        d.namespace,
        ns_labels.join(", ")
    ));
    out.push_str(&format!("REVISION   {}\n\n", d.webhook.revision));

    let mut rows = vec![[
        "WEBHOOK ENTRY".to_string(),
        "NAMESPACE".to_string(),
        "POD".to_string(),
        "MATCH".to_string(),
        "WHY".to_string(),
    ]];
    for e in &d.webhook.entries {
        let why = if e.matched {
            format!(
                "namespace {{{}}}, pod {{{}}}",
                e.namespace_selector.selector, e.object_selector.selector
            )
        } else if !e.namespace_selector.matched {
            format!(
                "namespace {}",
                e.namespace_selector.unmet.as_deref().unwrap_or("")
            )
        } else {
            format!("pod {}", e.object_selector.unmet.as_deref().unwrap_or(""))
        };
        rows.push([
            e.name.clone(),
            yes_no(e.namespace_selector.matched).to_string(),
            yes_no(e.object_selector.matched).to_string(),
            yes_no(e.matched).to_string(),
            why,
        ]);
    }
    out.push_str(&align_rows(&rows));
    out.push('\n');
    out.push_str(&format!("WEBHOOK    {}\n", d.webhook.reason));
    for hint in &d.webhook.hints {
        out.push_str(&format!("HINT       {hint}\n"));
    }
    let called = if d.webhook.matched.is_empty() {
        " (if it were called)"
    } else {
        ""
    };
    let verb = if d.injector.inject {
        "injects"
    } else {
        "skips"
    };
    out.push_str(&format!(
        "INJECTOR   {verb}{called}: {} [rule: {}]\n",
        d.injector.reason,
        rule_name(d)
    ));
    for w in &d.injector.warnings {
        out.push_str(&format!("WARNING    {w}\n"));
    }
    let verdict = if d.inject { "INJECTED" } else { "NOT INJECTED" };
    out.push_str(&format!("VERDICT    {verdict}\n"));
    out
}

fn rule_name(d: &Decision) -> String {
    serde_json::to_value(d.injector.rule)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Left-aligns columns; the last column is not padded.
fn align_rows(rows: &[[String; 5]]) -> String {
    let mut widths = [0usize; 5];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn labels_parse_and_reject_missing_equals() {
        let l = parse_labels("istio-injection=enabled, team=a,empty=").unwrap();
        assert_eq!(l["istio-injection"], "enabled");
        assert_eq!(l["team"], "a");
        assert_eq!(l["empty"], "");
        let err = parse_labels("a=b,oops").unwrap_err().to_string();
        assert!(
            err.contains("--namespace-labels") && err.contains("oops"),
            "{err}"
        );
    }

    #[test]
    fn workloads_yield_their_pod_templates() {
        let doc: Value = serde_json::json!({
            "kind": "List",
            "items": [
                {"kind": "Deployment", "metadata": {"name": "d", "namespace": "x"},
                 "spec": {"template": {"metadata": {}, "spec": {}}}},
                {"kind": "CronJob", "metadata": {"name": "c"},
                 "spec": {"jobTemplate": {"spec": {"template": {"spec": {}}}}}},
                {"kind": "Service", "metadata": {"name": "s"}},
            ]
        });
        let mut out = Vec::new();
        collect_pods(&doc, "f.yaml: document 1", &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].owner_namespace.as_deref(), Some("x"));
        assert!(
            out[0].source.contains("items[0] (Deployment d)"),
            "{}",
            out[0].source
        );
        assert_eq!(out[1].prefix, "spec.jobTemplate.spec.template.");
    }

    fn temp_file(name: &str, text: &str) -> String {
        let path = std::env::temp_dir().join(format!(
            "meshctl-check-inject-{}-{name}",
            std::process::id()
        ));
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    #[test]
    fn inject_config_reads_the_config_text_or_the_configmap() {
        let plain = temp_file(
            "plain.yaml",
            "policy: disabled\nneverInjectSelector:\n- matchLabels: {a: b}\n",
        );
        let cfg = load_inject_config(&plain).unwrap();
        assert_eq!(cfg.policy, mesh_inject::InjectionPolicy::Disabled);
        assert_eq!(cfg.never_inject_selector.len(), 1);

        let cm = temp_file(
            "cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\ndata:\n  config: |\n    policy: disabled\n",
        );
        assert_eq!(
            load_inject_config(&cm).unwrap().policy,
            mesh_inject::InjectionPolicy::Disabled
        );

        let bad = temp_file("bad.yaml", "policy: sometimes\n");
        let err = load_inject_config(&bad).unwrap_err().to_string();
        assert!(err.starts_with(&bad) && err.contains("sometimes"), "{err}");
        for f in [plain, cm, bad] {
            let _ = std::fs::remove_file(f);
        }
    }

    #[test]
    fn report_shows_entries_reasons_and_verdict() {
        let pod = serde_json::json!({
            "kind": "Pod",
            "metadata": {"name": "web", "namespace": "shop", "labels": {"sidecar.istio.io/inject": "false"}},
            "spec": {"containers": [{"name": "web", "image": "nginx"}]},
        });
        let facts = PodFacts::from_pod(&pod).unwrap();
        let ns = parse_labels("istio-injection=enabled").unwrap();
        let config = InjectConfig::default();
        let webhooks = WebhookSettings::default();
        let decision = decide(
            &facts,
            PolicyInput {
                config: &config,
                webhooks: &webhooks,
                namespace_labels: &ns,
            },
        );
        let text = table("pod.yaml: document 1 (Pod web)", &decision);
        assert!(text.contains("POD        shop/web"), "{text}");
        assert!(
            text.contains("namespace.sidecar-injector.istio.io"),
            "{text}"
        );
        assert!(text.contains("pod needs sidecar.istio.io/inject notin (false), found sidecar.istio.io/inject=false"), "{text}");
        assert!(
            text.trim_end().ends_with("VERDICT    NOT INJECTED"),
            "{text}"
        );

        let json = json_report("pod.yaml", &decision);
        assert_eq!(json["inject"], false);
        assert_eq!(json["source"], "pod.yaml");
        assert_eq!(json["injector"]["rule"], "pod-label");
        assert_eq!(json["webhook"]["matched"], serde_json::json!([]));
    }
}
