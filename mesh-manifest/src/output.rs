//! Manifest output as text: one YAML stream, or numbered stage files plus the kubectl commands
//! that apply them in order. Pure functions; the caller writes the files.

use crate::Object;
use crate::order::{Manifest, ObjectId, Stage, StageKind};
use mesh_core::Value;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// How long the printed `kubectl wait` for CRDs allows.
pub const CRD_WAIT_TIMEOUT: &str = "120s";
/// How long the printed `kubectl rollout status` allows.
pub const ROLLOUT_TIMEOUT: &str = "300s";

/// Objects as one YAML stream: each object with sorted keys, documents separated by `---`.
pub fn yaml_stream<'a>(objects: impl IntoIterator<Item = &'a Object>) -> String {
    let mut out = String::new();
    for (i, object) in objects.into_iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        // Printed straight into the stream: no buffer per document.
        object.value.write_yaml(&mut out);
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// The whole manifest as one YAML stream, in apply order.
pub fn manifest_yaml(manifest: &Manifest) -> String {
    yaml_stream(manifest.objects())
}

/// Writes [`manifest_yaml`] to `out` without building it in memory first: the text printed
/// when mesh was built (the CRDs, most of the bytes) is written as it is, every other document
/// is printed into one buffer that is reused from document to document. The bytes are exactly
/// [`manifest_yaml`]'s. Give it a buffered writer: it writes each separator on its own.
pub fn write_manifest_yaml<W: std::io::Write>(
    manifest: &Manifest,
    out: &mut W,
) -> std::io::Result<()> {
    let mut buffer = String::new();
    for (i, object) in manifest.objects().enumerate() {
        if i > 0 {
            out.write_all(b"---\n")?;
        }
        let text = match object.value.printed_yaml() {
            Some(text) => text,
            None => {
                buffer.clear();
                object.value.write_yaml(&mut buffer);
                &buffer
            }
        };
        out.write_all(text.as_bytes())?;
        if !text.ends_with('\n') {
            out.write_all(b"\n")?;
        }
    }
    Ok(())
}

/// One file of the staged output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageFile {
    /// The file name, e.g. `00-namespaces-crds.yaml`.
    pub file_name: String,
    /// The stage's objects as a YAML stream.
    pub content: String,
}

/// One file per non-empty stage, in apply order.
pub fn stage_files(manifest: &Manifest) -> Vec<StageFile> {
    manifest
        .stages
        .iter()
        .map(|stage| StageFile {
            file_name: stage.file_name(),
            content: yaml_stream(&stage.objects),
        })
        .collect()
}

/// One step of a staged install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyStep {
    /// Apply one stage file.
    Apply {
        /// The stage file name.
        file_name: String,
    },
    /// Wait until these CRDs are `Established`, so that their kinds can be used.
    WaitEstablished {
        /// CRD names (`gateways.networking.istio.io`, ...).
        crds: Vec<String>,
    },
    /// Wait until these workloads are rolled out, so that the webhooks applied next find their
    /// Services ready.
    WaitRollout {
        /// The Deployments, DaemonSets and StatefulSets to wait for.
        workloads: Vec<ObjectId>,
    },
}

/// The steps that install `manifest` on an empty cluster: each stage file, with a wait for the
/// CRDs after the first stage and a wait for the workloads behind webhook Services before the
/// webhooks.
pub fn apply_plan(manifest: &Manifest) -> Vec<ApplyStep> {
    let mut steps = Vec::new();
    let count = manifest.stages.len();
    for (i, stage) in manifest.stages.iter().enumerate() {
        if stage.kind == StageKind::Webhooks {
            let workloads = webhook_backends(manifest, stage);
            if !workloads.is_empty() {
                steps.push(ApplyStep::WaitRollout { workloads });
            }
        }
        steps.push(ApplyStep::Apply {
            file_name: stage.file_name(),
        });
        let crds: Vec<String> = stage
            .objects
            .iter()
            .filter(|o| {
                o.group() == "apiextensions.k8s.io" && o.kind() == "CustomResourceDefinition"
            })
            .map(|o| o.name().to_string())
            .collect();
        if !crds.is_empty() && i + 1 < count {
            steps.push(ApplyStep::WaitEstablished { crds });
        }
    }
    steps
}

/// The kubectl commands of [`apply_plan`], as a shell snippet; file names are prefixed with `dir`.
pub fn apply_instructions(manifest: &Manifest, dir: &str) -> String {
    let mut out = String::from("# Apply the stages in order:\n");
    out.push_str(&step_commands(manifest, |file_name| {
        format!("kubectl apply -f {}", join(dir, file_name))
    }));
    out
}

/// The kubectl commands of [`apply_plan`], one line per apply (as `apply_line` writes it for a
/// stage's file name) and the waits between them.
pub(crate) fn step_commands(manifest: &Manifest, apply_line: impl Fn(&str) -> String) -> String {
    let mut out = String::new();
    for step in apply_plan(manifest) {
        match step {
            ApplyStep::Apply { file_name } => {
                let _ = writeln!(out, "{}", apply_line(&file_name));
            }
            ApplyStep::WaitEstablished { crds } => {
                let _ = write!(
                    out,
                    "kubectl wait --for=condition=Established --timeout={CRD_WAIT_TIMEOUT}"
                );
                for crd in crds {
                    let _ = write!(out, " \\\n    crd/{crd}");
                }
                out.push('\n');
            }
            ApplyStep::WaitRollout { workloads } => {
                for w in workloads {
                    let _ = writeln!(
                        out,
                        "kubectl rollout status -n {} {}/{} --timeout={ROLLOUT_TIMEOUT}",
                        w.namespace,
                        w.kind.to_lowercase(),
                        w.name
                    );
                }
            }
        }
    }
    out
}

pub(crate) fn join(dir: &str, file: &str) -> String {
    if dir.is_empty() {
        return file.to_string();
    }
    format!("{}/{file}", dir.trim_end_matches('/'))
}

/// The workloads of `manifest` whose pods back a Service that a webhook of `stage` calls: those
/// in the Service's namespace whose pod template labels include the Service's selector.
fn webhook_backends(manifest: &Manifest, stage: &Stage) -> Vec<ObjectId> {
    let services: BTreeSet<(&str, &str)> = stage
        .objects
        .iter()
        .flat_map(|o| array(&o.value, "/webhooks"))
        .map(|w| {
            (
                text(w, "/clientConfig/service/namespace"),
                text(w, "/clientConfig/service/name"),
            )
        })
        .filter(|(_, name)| !name.is_empty())
        .collect();
    let mut out = BTreeSet::new();
    for service in manifest.objects() {
        let is_service = service.group().is_empty() && service.kind() == "Service";
        if !is_service || !services.contains(&(service.namespace(), service.name())) {
            continue;
        }
        let Some(selector) = service
            .value
            .pointer("/spec/selector")
            .and_then(Value::as_object)
            .filter(|s| !s.is_empty())
        else {
            continue;
        };
        for workload in manifest.objects() {
            let rollable = workload.group() == "apps"
                && matches!(workload.kind(), "Deployment" | "DaemonSet" | "StatefulSet");
            if !rollable || workload.namespace() != service.namespace() {
                continue;
            }
            let labels = workload.value.pointer("/spec/template/metadata/labels");
            let matches = selector
                .iter()
                .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v));
            if matches {
                out.insert(ObjectId::of(workload));
            }
        }
    }
    out.into_iter().collect()
}

fn text<'v>(value: &'v Value, pointer: &str) -> &'v str {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

fn array<'v>(value: &'v Value, pointer: &str) -> &'v [Value] {
    value
        .pointer(pointer)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn join_handles_empty_and_trailing_slashes() {
        assert_eq!(join("", "a.yaml"), "a.yaml");
        assert_eq!(join("out/", "a.yaml"), "out/a.yaml");
        assert_eq!(join("/", "a.yaml"), "/a.yaml");
        assert_eq!(join("out", "a.yaml"), "out/a.yaml");
    }
}
