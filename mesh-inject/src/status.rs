//! The `sidecar.istio.io/status` annotation: what the injection added (init containers,
//! containers, volumes, image pull secrets) and the revision, used to undo it on re-injection.

use mesh_core::Value;
use serde_json::Map;

/// What an injection added to a pod, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InjectionStatus {
    /// Added init containers.
    pub init_containers: Vec<String>,
    /// Added containers.
    pub containers: Vec<String>,
    /// Added volumes.
    pub volumes: Vec<String>,
    /// Added image pull secrets.
    pub image_pull_secrets: Vec<String>,
    /// The injecting revision (`default` when none).
    pub revision: String,
}

#[cfg(test)]
fn names(spec: &Value, field: &str) -> Vec<String> {
    spec.get(field)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.get("name").and_then(Value::as_str))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

impl InjectionStatus {
    /// The status of a rendered template pod spec.
    #[cfg(test)]
    pub fn from_template_spec(spec: &Value, revision: &str) -> Self {
        InjectionStatus {
            init_containers: names(spec, "initContainers"),
            containers: names(spec, "containers"),
            volumes: names(spec, "volumes"),
            image_pull_secrets: names(spec, "imagePullSecrets"),
            revision: if revision.is_empty() {
                "default".to_string()
            } else {
                revision.to_string()
            },
        }
    }

    /// Reads a status annotation; `None` when it is not valid JSON of the right shape.
    pub fn parse(text: &str) -> Option<Self> {
        let v: Value = serde_json::from_str(text).ok()?;
        let obj = v.as_object()?;
        let list = |k: &str| -> Option<Vec<String>> {
            match obj.get(k) {
                None | Some(Value::Null) => Some(Vec::new()),
                Some(Value::Array(a)) => a.iter().map(|s| s.as_str().map(str::to_string)).collect(),
                Some(_) => None,
            }
        };
        Some(InjectionStatus {
            init_containers: list("initContainers")?,
            containers: list("containers")?,
            volumes: list("volumes")?,
            image_pull_secrets: list("imagePullSecrets")?,
            revision: obj
                .get("revision")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
        })
    }

    /// The annotation value (empty lists print as `null`, as Istio's do).
    #[cfg(test)]
    pub fn to_annotation(&self) -> String {
        annotation_text(
            [
                &self.init_containers,
                &self.containers,
                &self.volumes,
                &self.image_pull_secrets,
            ]
            .map(|list| list.iter().map(String::as_str)),
            &self.revision,
        )
    }
}

/// The annotation text of the init containers, containers, volumes and image pull secrets
/// added (in that order) and the revision.
pub(crate) fn annotation_text<'a>(
    lists: [impl Iterator<Item = &'a str>; 4],
    revision: &str,
) -> String {
    // Field order of Istio's status struct.
    let keys = [
        "initContainers",
        "containers",
        "volumes",
        "imagePullSecrets",
    ];
    let mut out = String::with_capacity(256);
    out.push('{');
    for (key, list) in keys.into_iter().zip(lists) {
        out.push('"');
        out.push_str(key);
        out.push_str("\":");
        let mut count = 0;
        for name in list {
            out.push(if count == 0 { '[' } else { ',' });
            push_json_string(&mut out, name);
            count += 1;
        }
        out.push_str(if count == 0 { "null," } else { "]," });
    }
    out.push_str("\"revision\":");
    push_json_string(&mut out, revision);
    out.push('}');
    out
}

/// Appends a JSON string literal.
fn push_json_string(out: &mut String, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push('"');
        out.push_str(s);
        out.push('"');
    } else {
        out.push_str(&Value::String(s.to_string()).to_string());
    }
}

/// Parses the status annotation from pod annotations, if present and valid.
pub fn from_annotations(annotations: &Map<String, Value>) -> Option<InjectionStatus> {
    annotations
        .get(crate::annotations::SIDECAR_STATUS)
        .and_then(Value::as_str)
        .and_then(InjectionStatus::parse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_with_nulls_for_empty_lists() {
        let spec = serde_json::json!({"initContainers": [{"name": "istio-init"}, {"name": "istio-proxy"}], "volumes": [{"name": "v"}]});
        let s = InjectionStatus::from_template_spec(&spec, "");
        let text = s.to_annotation();
        assert_eq!(
            text,
            r#"{"initContainers":["istio-init","istio-proxy"],"containers":null,"volumes":["v"],"imagePullSecrets":null,"revision":"default"}"#
        );
        assert_eq!(InjectionStatus::parse(&text), Some(s));
    }

    #[test]
    fn rejects_bad_status() {
        assert_eq!(InjectionStatus::parse("not json"), None);
        assert_eq!(InjectionStatus::parse(r#"{"containers": "x"}"#), None);
    }
}
