//! `manifest translate`: the Helm releases (chart and values) that render what
//! `manifest generate` renders, and the handover of a mesh-installed control plane to Helm.
//!
//! istioctl renders each component with one of Istio's Helm charts and a values tree it builds
//! from the IstioOperator; [`mesh_profiles::ComponentValues::original`] is exactly that tree.
//! Written to a file and given to `helm template`/`helm upgrade --install` of the same chart,
//! it renders the same objects for base, istiod, CNI and ztunnel. Two things differ by nature:
//!
//! - **Release names.** istioctl renders every chart as release `istio`; Helm needs one name
//!   per release and namespace, so the releases are named as Istio's Helm guide names them
//!   (`istio-base`, `istiod[-<rev>]`, `istio-cni`, `ztunnel`, one per gateway). The labels
//!   that carry the release name (`release`, `app.kubernetes.io/instance`) change accordingly.
//! - **Gateways.** The charts istioctl uses for gateways (`gateways/istio-ingress`, `-egress`)
//!   are not published; Helm users install gateways with the `gateway` chart, which renders a
//!   different Deployment (its proxy is injected at admission, from the `gateway` injection
//!   template) and no PodDisruptionBudget. [`gateway_values`] maps the settings that have a
//!   counterpart; [`HelmRelease::differences`] says what does not carry over.
//!
//! `components.*.k8s` settings are overlays istioctl applies after rendering; Helm has no such
//! step, so they are reported in [`Translation::not_translated`] rather than guessed at.

use mesh_core::obj;
use mesh_core::{ComponentName, Value};
use mesh_profiles::{ComponentValues, ISTIO_VERSION, Resolved};
use serde_json::{Map, json};

use crate::gitops::OutputFile;
use crate::order::Manifest;

/// The Helm repository Istio publishes its charts in.
pub const ISTIO_HELM_REPO: &str = "https://istio-release.storage.googleapis.com/charts";

/// One Helm release of a translation.
#[derive(Debug, Clone, PartialEq)]
pub struct HelmRelease {
    /// The release name (`istio-base`, `istiod`, `istiod-<rev>`, `istio-cni`, `ztunnel`, or
    /// the gateway's name).
    pub release: String,
    /// The chart's name in Istio's Helm repository (`base`, `istiod`, `cni`, `ztunnel`,
    /// `gateway`).
    pub chart: &'static str,
    /// The chart's folder below an Istio release's `manifests/charts`.
    pub chart_dir: &'static str,
    /// The namespace the release installs into.
    pub namespace: String,
    /// The component it replaces.
    pub component: ComponentName,
    /// The values file's content.
    pub values: Value,
    /// What Helm renders differently from `manifest generate` for this release (empty when the
    /// objects are the same but for the release-name labels).
    pub differences: Vec<String>,
}

/// Everything `manifest translate` produces for one resolved configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Translation {
    /// The releases, in install order: base, istiod, CNI, ztunnel, then the gateways.
    pub releases: Vec<HelmRelease>,
    /// `components.<c>.k8s` settings (as `components.<c>.k8s.<key>`) that no chart value
    /// expresses; the Helm releases render without them.
    pub not_translated: Vec<String>,
    /// The chart version the releases use (Istio's release).
    pub version: &'static str,
}

/// Translates a resolved configuration into Helm releases.
pub fn translate(resolved: &Resolved) -> Translation {
    let mut releases = Vec::new();
    let mut not_translated = Vec::new();
    for cv in &resolved.components {
        if let Some(Value::Object(k8s)) = &cv.k8s {
            let path = component_path(cv);
            not_translated.extend(k8s.keys().map(|key| format!("{path}.k8s.{key}")));
        }
        releases.push(release_of(cv));
    }
    // Gateways need istiod's injection (the gateway chart's proxy is injected), so they go last.
    releases.sort_by_key(|r| r.component.is_multi());
    Translation {
        releases,
        not_translated,
        version: ISTIO_VERSION,
    }
}

/// Where a component's settings live in the IstioOperator, for messages.
fn component_path(cv: &ComponentValues) -> String {
    let key = cv.component.spec_key();
    if cv.component.is_multi() {
        format!("components.{key}[name={}]", cv.name)
    } else {
        format!("components.{key}")
    }
}

fn release_of(cv: &ComponentValues) -> HelmRelease {
    let revision = cv
        .original
        .get("revision")
        .and_then(Value::as_str)
        .unwrap_or("");
    let (release, chart, chart_dir) = match cv.component {
        ComponentName::Base => ("istio-base".to_string(), "base", "base"),
        ComponentName::Pilot if revision.is_empty() => (
            "istiod".to_string(),
            "istiod",
            "istio-control/istio-discovery",
        ),
        ComponentName::Pilot => (
            format!("istiod-{revision}"),
            "istiod",
            "istio-control/istio-discovery",
        ),
        ComponentName::Cni => ("istio-cni".to_string(), "cni", "istio-cni"),
        ComponentName::Ztunnel => ("ztunnel".to_string(), "ztunnel", "ztunnel"),
        ComponentName::IngressGateways | ComponentName::EgressGateways => {
            let (values, differences) = gateway_values(cv);
            return HelmRelease {
                release: cv.name.clone(),
                chart: "gateway",
                chart_dir: "gateway",
                namespace: cv.namespace.clone(),
                component: cv.component,
                values,
                differences,
            };
        }
    };
    HelmRelease {
        release,
        chart,
        chart_dir,
        namespace: cv.namespace.clone(),
        component: cv.component,
        values: cv.original.clone(),
        differences: Vec::new(),
    }
}

/// The legacy gateway settings (`gateways.istio-ingressgateway` / `istio-egressgateway` of the
/// effective values) as values of the `gateway` chart, and what does not carry over.
pub fn gateway_values(cv: &ComponentValues) -> (Value, Vec<String>) {
    let root = match cv.component {
        ComponentName::EgressGateways => "istio-egressgateway",
        _ => "istio-ingressgateway",
    };
    let empty = Value::Object(Map::new());
    let gw = cv
        .values
        .get("gateways")
        .and_then(|g| g.get(root))
        .unwrap_or(&empty);
    let global = cv.values.get("global").unwrap_or(&empty);
    let get = |key: &str| gw.get(key).filter(|v| !is_empty(v)).cloned();
    let mut values = Map::new();
    values.insert("name".into(), json!(cv.name));
    if let Some(rev) = cv
        .values
        .get("revision")
        .and_then(Value::as_str)
        .filter(|r| !r.is_empty())
    {
        values.insert("revision".into(), json!(rev));
    }
    let mut labels = Map::new();
    if let Some(Value::Object(l)) = get("labels") {
        labels.extend(l);
    }
    if !labels.is_empty() {
        values.insert("labels".into(), Value::Object(labels));
    }
    let mut service = Map::new();
    if let Some(kind) = get("type") {
        service.insert("type".into(), kind);
    }
    if let Some(ports) = get("ports") {
        service.insert("ports".into(), ports);
    }
    for (from, to) in [
        ("serviceAnnotations", "annotations"),
        ("loadBalancerIP", "loadBalancerIP"),
        ("loadBalancerSourceRanges", "loadBalancerSourceRanges"),
        ("externalTrafficPolicy", "externalTrafficPolicy"),
        ("ipFamilyPolicy", "ipFamilyPolicy"),
        ("ipFamilies", "ipFamilies"),
    ] {
        if let Some(v) = get(from) {
            service.insert(to.into(), v);
        }
    }
    values.insert("service".into(), Value::Object(service));
    let autoscale = gw
        .get("autoscaleEnabled")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let mut autoscaling = Map::new();
    autoscaling.insert("enabled".into(), json!(autoscale));
    for (from, to) in [
        ("autoscaleMin", "minReplicas"),
        ("autoscaleMax", "maxReplicas"),
    ] {
        if let Some(v) = get(from) {
            autoscaling.insert(to.into(), v);
        }
    }
    if let Some(cpu) = gw.pointer("/cpu/targetAverageUtilization").cloned() {
        autoscaling.insert("targetCPUUtilizationPercentage".into(), cpu);
    }
    values.insert("autoscaling".into(), Value::Object(autoscaling));
    if !autoscale && let Some(n) = get("replicaCount") {
        values.insert("replicaCount".into(), n);
    }
    for key in [
        "resources",
        "podAnnotations",
        "nodeSelector",
        "tolerations",
        "affinity",
        "topologySpreadConstraints",
    ] {
        if let Some(v) = get(key) {
            values.insert(key.into(), v);
        }
    }
    if let Some(Value::Object(env)) = get("env") {
        values.insert("env".into(), Value::Object(env));
    }
    if let Some(network) = global.get("network").filter(|v| !is_empty(v)) {
        values.insert("networkGateway".into(), network.clone());
    }
    let mut differences = vec![
        "the proxy container is injected at admission (the `gateway` injection template) instead \
         of rendered in the Deployment: the namespace must allow injection by this revision"
            .to_string(),
        "the Deployment, Service, ServiceAccount, Role and RoleBinding are the gateway chart's \
         (same names and selector labels; other labels, annotations and pod settings differ)"
            .to_string(),
    ];
    if global
        .pointer("/defaultPodDisruptionBudget/enabled")
        .and_then(Value::as_bool)
        .unwrap_or(false)
    {
        differences.push(
            "no PodDisruptionBudget (set the chart's `podDisruptionBudget` for one); delete the \
             old one after the handover"
                .to_string(),
        );
    }
    (Value::Object(values), differences)
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Options of [`translation_files`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranslateOptions {
    /// The server-side apply field manager the objects were installed with (meshctl and
    /// istioctl use `istio-operator`); the handover releases its fields.
    pub field_manager: String,
}

/// The files of `manifest translate --output-dir`: one values file per release, `install.sh`
/// (the ordered Helm commands), `handover.yaml` (what releases mesh's field ownership after
/// Helm took the objects over) and a README. `manifest` is what `manifest generate` renders
/// for the same configuration.
pub fn translation_files(
    translation: &Translation,
    manifest: &Manifest,
    options: &TranslateOptions,
) -> Vec<OutputFile> {
    let mut files = Vec::new();
    for (i, release) in translation.releases.iter().enumerate() {
        files.push(OutputFile::new(
            values_file_name(i, release),
            mesh_core::yaml_emit::emit(&release.values),
        ));
    }
    files.push(OutputFile::new(
        "install.sh",
        install_script(translation, options),
    ));
    files.push(OutputFile::new("handover.yaml", handover_stubs(manifest)));
    files.push(OutputFile::new("README.md", readme(translation, options)));
    files
}

/// `NN-<release>.values.yaml`, numbered in install order.
pub fn values_file_name(index: usize, release: &HelmRelease) -> String {
    format!("{index:02}-{}.values.yaml", release.release)
}

fn install_script(translation: &Translation, options: &TranslateOptions) -> String {
    let mut s = String::from(
        "#!/usr/bin/env sh\n\
         # Installs (or takes over) the control plane with Helm, release by release, in order.\n\
         # ISTIO_CHARTS=DIR uses an Istio release's manifests/charts folder instead of the\n\
         # repository. Needs Helm 3.17 or later (--take-ownership); Helm 4 applies server-side.\n\
         set -eu\n\
         cd \"$(dirname \"$0\")\"\n",
    );
    s.push_str(&format!(
        "chart() {{ if [ -n \"${{ISTIO_CHARTS:-}}\" ]; then echo \"$ISTIO_CHARTS/$2\"; else echo \"istio/$1\"; fi; }}\n\
         if [ -z \"${{ISTIO_CHARTS:-}}\" ]; then\n  helm repo add istio {ISTIO_HELM_REPO} --force-update >/dev/null\nfi\n\
         # Helm 4 applies server-side; forcing conflicts takes the fields {manager:?} owns.\n\
         ssa=\"\"\n\
         case \"$(helm version --short 2>/dev/null)\" in v3*) ;; *) ssa=\"--server-side=true --force-conflicts\" ;; esac\n",
        manager = options.field_manager
    ));
    for (i, r) in translation.releases.iter().enumerate() {
        s.push_str(&format!(
            "helm upgrade --install {} \"$(chart {} {})\" --version {} -n {} --create-namespace \\\n  \
             -f {} --take-ownership $ssa --wait\n",
            r.release,
            r.chart,
            r.chart_dir,
            translation.version,
            r.namespace,
            values_file_name(i, r)
        ));
    }
    s
}

/// One object per installed object, holding only what identifies it: applied server-side as
/// the installer's field manager, it drops that manager's claim on every field (the fields
/// Helm now also sets stay, owned by Helm; labels only the installer set, such as
/// `operator.istio.io/*`, go, so `meshctl uninstall` no longer selects the objects).
fn handover_stubs(manifest: &Manifest) -> String {
    let mut out = String::from(
        "# Apply after install.sh succeeded (see README.md): releases the installer's field \
         ownership.\n",
    );
    for object in manifest.objects().filter(|o| o.component.is_some()) {
        let mut metadata = Map::new();
        metadata.insert("name".into(), json!(object.name()));
        if !object.namespace().is_empty() {
            metadata.insert("namespace".into(), json!(object.namespace()));
        }
        let stub = obj! {
            "apiVersion" => object.api_version(),
            "kind" => object.kind(),
            "metadata" => metadata,
        };
        out.push_str("---\n");
        out.push_str(&mesh_core::yaml_emit::emit(&stub));
    }
    out
}

fn readme(translation: &Translation, options: &TranslateOptions) -> String {
    let mut s = format!(
        "# Helm releases for this control plane (Istio {})\n\n\
         | file | release | chart | namespace |\n|---|---|---|---|\n",
        translation.version
    );
    for (i, r) in translation.releases.iter().enumerate() {
        s.push_str(&format!(
            "| {} | {} | istio/{} | {} |\n",
            values_file_name(i, r),
            r.release,
            r.chart,
            r.namespace
        ));
    }
    s.push_str(&format!(
        "\nInstall, or take over what `meshctl install` (or `istioctl install`) installed:\n\n\
         1. `sh install.sh` runs `helm upgrade --install` per release in the order above, with\n   \
         `--take-ownership` (Helm adopts objects it did not create) and, with Helm 4,\n   \
         `--server-side=true --force-conflicts` (Helm's field manager takes the fields).\n\
         2. `kubectl apply --server-side --field-manager={} -f handover.yaml` releases the\n   \
         installer's ownership of the same objects: fields Helm sets stay (owned by Helm), the\n   \
         installer's own labels go, so `meshctl uninstall` and prune no longer touch them.\n   \
         Skip this step with Helm 3, which does not take field ownership server-side.\n\
         3. From now on change the values files and re-run `install.sh`.\n",
        options.field_manager
    ));
    let differing: Vec<&HelmRelease> = translation
        .releases
        .iter()
        .filter(|r| !r.differences.is_empty())
        .collect();
    if !differing.is_empty() {
        s.push_str("\n## What Helm renders differently\n\n");
        for r in differing {
            for d in &r.differences {
                s.push_str(&format!("- {}: {d}\n", r.release));
            }
        }
    }
    if !translation.not_translated.is_empty() {
        s.push_str(
            "\n## Not carried over\n\nThese settings are overlays istioctl applies after \
             rendering; no chart value expresses them, so Helm renders without them:\n\n",
        );
        for p in &translation.not_translated {
            s.push_str(&format!("- `{p}`\n"));
        }
    }
    s.push_str(
        "\nThe releases render the same objects as `meshctl manifest generate` for base, istiod, \
         CNI and ztunnel, except the labels naming the Helm release (`release`, \
         `app.kubernetes.io/instance`).\n",
    );
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use mesh_profiles::{Inputs, resolve};

    fn translated(sets: &[&str]) -> Translation {
        translate(&resolve(&Inputs::with_sets(sets.iter().copied())).unwrap())
    }

    fn release<'a>(t: &'a Translation, name: &str) -> &'a HelmRelease {
        t.releases
            .iter()
            .find(|r| r.release == name)
            .unwrap_or_else(|| panic!("no release {name}: {t:?}"))
    }

    #[test]
    fn components_become_releases_named_as_istios_helm_guide_names_them() {
        let t = translated(&["profile=ambient", "revision=canary"]);
        let names: Vec<(&str, &str)> = t
            .releases
            .iter()
            .map(|r| (r.release.as_str(), r.chart))
            .collect();
        assert_eq!(
            names,
            [
                ("istio-base", "base"),
                ("istiod-canary", "istiod"),
                ("istio-cni", "cni"),
                ("ztunnel", "ztunnel")
            ]
        );
        // The values are what istioctl hands the chart (ztunnel's flattened to the top).
        assert_eq!(release(&t, "ztunnel").values["revision"], "canary");
        assert_eq!(release(&t, "istiod-canary").values["revision"], "canary");
        assert!(t.not_translated.is_empty());
    }

    #[test]
    fn gateway_settings_map_to_the_gateway_chart() {
        let t = translated(&[
            "values.gateways.istio-ingressgateway.type=NodePort",
            "values.gateways.istio-ingressgateway.autoscaleEnabled=false",
            "values.gateways.istio-ingressgateway.replicaCount=3",
            "values.gateways.istio-ingressgateway.serviceAnnotations.a=b",
            "components.ingressGateways[0].label.team=edge",
        ]);
        let gw = release(&t, "istio-ingressgateway");
        assert_eq!(gw.chart, "gateway");
        assert_eq!(gw.values["name"], "istio-ingressgateway");
        assert_eq!(gw.values["service"]["type"], "NodePort");
        assert_eq!(gw.values["service"]["annotations"]["a"], "b");
        assert_eq!(gw.values["autoscaling"]["enabled"], false);
        assert_eq!(gw.values["replicaCount"], 3);
        assert_eq!(gw.values["labels"]["team"], "edge");
        // The default profile's ports go over as the Service's ports.
        let ports = gw.values["service"]["ports"].as_array().unwrap();
        assert!(
            ports
                .iter()
                .any(|p| p["name"] == "http2" && p["port"] == 80)
        );
        assert!(!gw.differences.is_empty());
        // Gateways come after the control plane (their proxies are injected).
        assert_eq!(t.releases.last().unwrap().release, "istio-ingressgateway");
    }

    #[test]
    fn k8s_overlays_are_listed_per_component() {
        let t = translated(&[
            "components.pilot.k8s.replicaCount=2",
            "components.ingressGateways[0].k8s.nodeSelector.disk=ssd",
        ]);
        assert_eq!(
            t.not_translated,
            [
                "components.pilot.k8s.replicaCount",
                "components.ingressGateways[name=istio-ingressgateway].k8s.nodeSelector"
            ]
        );
    }
}
