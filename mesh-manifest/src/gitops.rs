//! GitOps layouts of a manifest's staged output: plain stage files, a kustomize tree, Argo CD
//! sync waves and Flux Kustomizations. Pure: the caller writes the files.
//!
//! Every layout keeps the install stages of [`Manifest`] (namespaces and CRDs first, workloads
//! before the webhooks that call them) and expresses them the way each tool orders work:
//!
//! * `plain`: one numbered file per stage, applied in order with the printed `kubectl` lines;
//! * `kustomize`: one folder per stage with a `kustomization.yaml`, and one on top listing them
//!   in order with `sortOptions: fifo`, so `kubectl kustomize DIR` prints exactly the objects of
//!   `manifest generate`, in the same order;
//! * `argocd`: the stage files with every object annotated `argocd.argoproj.io/sync-wave: "N"`
//!   (N = the stage's index), plus `argocd-ignore-differences.yaml`: the Application
//!   `ignoreDifferences` for the webhook fields istiod rewrites at run time (`caBundle`,
//!   `failurePolicy`), which would otherwise show as endless drift;
//! * `flux`: the kustomize tree plus `flux-kustomizations.yaml`: one Flux `Kustomization` per
//!   stage, each `dependsOn` the previous one and `wait: true`, so Flux applies a stage only
//!   once the previous one is healthy.

use crate::order::Manifest;
use crate::output::yaml_stream;
use mesh_core::{Value, obj};
use serde_json::json;
use std::fmt;
use std::str::FromStr;

/// The annotation Argo CD orders a sync by.
pub const ARGOCD_SYNC_WAVE: &str = "argocd.argoproj.io/sync-wave";

/// A GitOps layout of the staged output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// Numbered stage files (`00-namespaces-crds.yaml`, ...).
    #[default]
    Plain,
    /// A kustomize tree: a folder and `kustomization.yaml` per stage, one on top.
    Kustomize,
    /// Stage files whose objects carry Argo CD sync waves, and an `ignoreDifferences` snippet.
    ArgoCd,
    /// The kustomize tree plus one Flux `Kustomization` per stage, chained by `dependsOn`.
    Flux,
}

impl Layout {
    /// Every layout with its name, for help texts and did-you-mean.
    pub const ALL: [(&'static str, Layout); 4] = [
        ("plain", Layout::Plain),
        ("kustomize", Layout::Kustomize),
        ("argocd", Layout::ArgoCd),
        ("flux", Layout::Flux),
    ];
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = Layout::ALL
            .iter()
            .find(|(_, l)| l == self)
            .map_or("plain", |(n, _)| n);
        f.write_str(name)
    }
}

/// An unknown layout name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown layout {0:?}: expected plain, kustomize, argocd or flux")]
pub struct ParseLayoutError(pub String);

impl FromStr for Layout {
    type Err = ParseLayoutError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Layout::ALL
            .iter()
            .find(|(n, _)| *n == s)
            .map(|(_, l)| *l)
            .ok_or_else(|| ParseLayoutError(s.to_string()))
    }
}

/// Settings of the Flux layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FluxOptions {
    /// The source the Kustomizations read (`GitRepository` or `OCIRepository`, and its name).
    pub source_kind: String,
    /// The source's name.
    pub source_name: String,
    /// The namespace of the Kustomizations and their source (Flux's own, by default).
    pub namespace: String,
    /// The path of the output folder inside the source (`./clusters/prod/istio`).
    pub path: String,
    /// How often Flux reconciles (`10m`).
    pub interval: String,
    /// How long a stage may take to become healthy (`5m`).
    pub timeout: String,
}

impl Default for FluxOptions {
    fn default() -> Self {
        FluxOptions {
            source_kind: "GitRepository".into(),
            source_name: "mesh".into(),
            namespace: "flux-system".into(),
            path: ".".into(),
            interval: "10m".into(),
            timeout: "5m".into(),
        }
    }
}

/// How to lay out the staged output.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LayoutOptions {
    /// The layout.
    pub layout: Layout,
    /// The Flux layout's settings.
    pub flux: FluxOptions,
}

/// One file of a layout: its path relative to the output folder (`/`-separated) and content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Relative path, e.g. `00-namespaces-crds/kustomization.yaml`.
    pub path: String,
    /// The file's text.
    pub content: String,
}

impl OutputFile {
    pub(crate) fn new(path: impl Into<String>, content: impl Into<String>) -> Self {
        OutputFile {
            path: path.into(),
            content: content.into(),
        }
    }
}

/// The files of `manifest` in `options.layout`, in a stable order.
pub fn layout_files(manifest: &Manifest, options: &LayoutOptions) -> Vec<OutputFile> {
    match options.layout {
        Layout::Plain => plain(manifest),
        Layout::Kustomize => kustomize(manifest),
        Layout::ArgoCd => argocd(manifest),
        Layout::Flux => {
            let mut files = kustomize(manifest);
            files.push(flux_kustomizations(manifest, &options.flux));
            files
        }
    }
}

fn plain(manifest: &Manifest) -> Vec<OutputFile> {
    manifest
        .stages
        .iter()
        .map(|stage| OutputFile::new(stage.file_name(), yaml_stream(&stage.objects)))
        .collect()
}

fn kustomization(resources: &[String], fifo: bool) -> String {
    let mut doc = obj! {
        "apiVersion" => "kustomize.config.k8s.io/v1beta1",
        "kind" => "Kustomization",
        "resources" => resources,
    };
    if fifo {
        // Keep the order of the resources as listed (kustomize sorts by kind otherwise).
        doc["sortOptions"] = obj! { "order" => "fifo" };
    }
    let mut text = String::from("# Written by meshctl manifest generate --layout kustomize.\n");
    text.push_str(&mesh_core::to_yaml_string(&doc));
    text
}

fn kustomize(manifest: &Manifest) -> Vec<OutputFile> {
    let mut files = Vec::new();
    let mut folders = Vec::new();
    for stage in &manifest.stages {
        let folder = stage.name();
        files.push(OutputFile::new(
            format!("{folder}/objects.yaml"),
            yaml_stream(&stage.objects),
        ));
        files.push(OutputFile::new(
            format!("{folder}/kustomization.yaml"),
            kustomization(&["objects.yaml".to_string()], true),
        ));
        folders.push(folder);
    }
    files.push(OutputFile::new(
        "kustomization.yaml",
        kustomization(&folders, true),
    ));
    files
}

fn argocd(manifest: &Manifest) -> Vec<OutputFile> {
    let mut files: Vec<OutputFile> = manifest
        .stages
        .iter()
        .enumerate()
        .map(|(wave, stage)| {
            let objects: Vec<crate::Object> = stage
                .objects
                .iter()
                .map(|o| {
                    let mut o = o.clone();
                    set_annotation(&mut o.value, ARGOCD_SYNC_WAVE, &wave.to_string());
                    o
                })
                .collect();
            OutputFile::new(stage.file_name(), yaml_stream(&objects))
        })
        .collect();
    files.push(OutputFile::new(
        "argocd-ignore-differences.yaml",
        argocd_ignore_differences(manifest),
    ));
    files
}

fn set_annotation(value: &mut Value, key: &str, text: &str) {
    let Value::Object(object) = value else { return };
    let metadata = object
        .entry("metadata")
        .or_insert_with(|| Value::Object(Default::default()));
    let Value::Object(metadata) = metadata else {
        return;
    };
    let annotations = metadata
        .entry("annotations")
        .or_insert_with(|| Value::Object(Default::default()));
    if !annotations.is_object() {
        *annotations = Value::Object(Default::default());
    }
    if let Value::Object(annotations) = annotations {
        annotations.insert(key.to_string(), Value::from(text));
    }
}

/// The `spec.ignoreDifferences` of an Argo CD Application for the webhook configurations of
/// `manifest`: istiod patches their `caBundle` (and the validating webhook's `failurePolicy`)
/// once it runs, so Git and cluster would never agree on them.
fn argocd_ignore_differences(manifest: &Manifest) -> String {
    let mut entries = Vec::new();
    for kind in [
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
    ] {
        let mut names: Vec<&str> = manifest
            .objects()
            .filter(|o| o.kind() == kind)
            .map(|o| o.name())
            .collect();
        names.sort_unstable();
        names.dedup();
        for name in names {
            let mut paths = vec![".webhooks[]?.clientConfig.caBundle"];
            if kind == "ValidatingWebhookConfiguration" {
                paths.push(".webhooks[]?.failurePolicy");
            }
            entries.push(obj! {
                "group" => "admissionregistration.k8s.io",
                "kind" => kind,
                "name" => name,
                "jqPathExpressions" => paths,
            });
        }
    }
    let doc = obj! { "spec" => json!({"ignoreDifferences": entries}) };
    let mut text = String::from(
        "# Merge into your Argo CD Application: istiod rewrites these webhook fields at run time\n\
         # (the CA bundle it patches in, the validating webhook's failurePolicy once it is ready).\n",
    );
    text.push_str(&mesh_core::to_yaml_string(&doc));
    text
}

fn flux_kustomizations(manifest: &Manifest, flux: &FluxOptions) -> OutputFile {
    let base = flux.path.trim_end_matches('/');
    let base = if base.is_empty() { "." } else { base };
    let mut docs = Vec::new();
    let mut previous: Option<String> = None;
    for stage in &manifest.stages {
        let name = format!("mesh-{}", stage.name());
        let mut spec = obj! {
            "interval" => flux.interval.as_str(),
            "timeout" => flux.timeout.as_str(),
            "path" => format!("{base}/{}", stage.name()),
            "prune" => true,
            "wait" => true,
            "sourceRef" => json!({"kind": flux.source_kind, "name": flux.source_name}),
        };
        if let Some(prev) = &previous {
            spec["dependsOn"] = json!([{"name": prev}]);
        }
        docs.push(obj! {
            "apiVersion" => "kustomize.toolkit.fluxcd.io/v1",
            "kind" => "Kustomization",
            "metadata" => json!({"name": name, "namespace": flux.namespace}),
            "spec" => spec,
        });
        previous = Some(name);
    }
    let mut text = String::from(
        "# Flux Kustomizations, one per install stage; each waits for the previous one to be\n\
         # healthy. Apply them to the cluster Flux runs in, with the source they name.\n",
    );
    for (i, doc) in docs.iter().enumerate() {
        if i > 0 {
            text.push_str("---\n");
        }
        text.push_str(&mesh_core::to_yaml_string(doc));
    }
    OutputFile::new("flux-kustomizations.yaml", text)
}

/// What to print after writing the files: how to apply or hand them to the tool.
pub fn layout_instructions(manifest: &Manifest, options: &LayoutOptions, dir: &str) -> String {
    match options.layout {
        Layout::Plain => crate::output::apply_instructions(manifest, dir),
        Layout::Kustomize => format!(
            "# One kustomization per stage, in order; render or apply the whole tree:\n\
             kubectl kustomize {dir}\n\
             # or stage by stage, with the waits between them:\n{}",
            crate::output::step_commands(manifest, |file_name| {
                let folder = file_name.strip_suffix(".yaml").unwrap_or(file_name);
                format!("kubectl apply -k {}", crate::output::join(dir, folder))
            })
        ),
        Layout::ArgoCd => format!(
            "# Point an Argo CD Application at {dir}: sync waves order the stages.\n\
             # Merge {dir}/argocd-ignore-differences.yaml into the Application's spec.\n"
        ),
        Layout::Flux => format!(
            "# Commit {dir} to the source {}/{} (path {}), then apply the Kustomizations:\n\
             kubectl apply -f {dir}/flux-kustomizations.yaml\n",
            options.flux.source_kind, options.flux.source_name, options.flux.path
        ),
    }
}
