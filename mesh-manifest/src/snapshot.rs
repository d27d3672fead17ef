//! Stable names and texts for snapshot-testing a manifest one object at a time (with insta or
//! any other snapshot tool): a change to one object then shows up as one changed snapshot.
//!
//! ```
//! use mesh_manifest::generate::{GenerateOptions, generate};
//! use mesh_manifest::snapshot::object_snapshots;
//! use mesh_profiles::{Inputs, resolve};
//!
//! let manifest = generate(&resolve(&Inputs::with_sets(["profile=minimal"]))?, &GenerateOptions::default())?;
//! let snapshots = object_snapshots(manifest.objects());
//! assert!(snapshots.iter().any(|s| s.name == "istio-system__deployment__istiod"));
//! // In a test: for s in &snapshots { insta::assert_snapshot!(s.name.as_str(), &s.yaml); }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::Object;
use std::collections::BTreeMap;

/// One object's snapshot: a file-name-safe stable name and its YAML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectSnapshot {
    /// `<namespace>__<kind>__<name>` (`cluster` for cluster-scoped objects), lower-case, with
    /// any character outside `[a-z0-9._-]` replaced by `-`; a numeric suffix keeps names unique.
    pub name: String,
    /// The object as `manifest generate` prints it (one YAML document, no separator).
    pub yaml: String,
}

/// The stable snapshot name of one object (without the uniqueness suffix).
pub fn snapshot_name(object: &Object) -> String {
    let namespace = match object.namespace() {
        "" => "cluster",
        ns => ns,
    };
    [namespace, object.kind(), object.name()]
        .map(sanitize)
        .join("__")
}

/// A snapshot per object, in the given order, with names made unique (`name`, `name-2`, ...).
pub fn object_snapshots<'a>(objects: impl IntoIterator<Item = &'a Object>) -> Vec<ObjectSnapshot> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    objects
        .into_iter()
        .map(|o| {
            let base = snapshot_name(o);
            let n = seen.entry(base.clone()).or_insert(0);
            *n += 1;
            let name = if *n == 1 { base } else { format!("{base}-{n}") };
            ObjectSnapshot {
                name,
                yaml: crate::yaml_stream([o]),
            }
        })
        .collect()
}

fn sanitize(part: &str) -> String {
    let s: String = part
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if s.is_empty() {
        "unnamed".to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mesh_core::ComponentName;
    use serde_json::json;

    fn obj(kind: &str, ns: Option<&str>, name: &str) -> Object {
        let mut md = json!({"name": name});
        if let Some(ns) = ns {
            md["namespace"] = json!(ns);
        }
        Object::new(
            Some(ComponentName::Pilot),
            json!({"apiVersion": "v1", "kind": kind, "metadata": md}),
        )
    }

    #[test]
    fn names_are_stable_safe_and_unique() {
        let objs = [
            obj("ClusterRole", None, "istio-reader-clusterrole-istio-system"),
            obj("ConfigMap", Some("istio-system"), "istio"),
            obj("ConfigMap", Some("istio-system"), "istio"),
            obj("Weird", Some("ns"), "a:b/C"),
            obj("Thing", Some("ns"), ""),
        ];
        let names: Vec<String> = object_snapshots(&objs)
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(
            names,
            [
                "cluster__clusterrole__istio-reader-clusterrole-istio-system",
                "istio-system__configmap__istio",
                "istio-system__configmap__istio-2",
                "ns__weird__a-b-c",
                "ns__thing__unnamed",
            ]
        );
    }

    #[test]
    fn yaml_is_the_printed_object() {
        let o = obj("ConfigMap", Some("x"), "y");
        let s = &object_snapshots([&o])[0];
        assert_eq!(s.yaml, crate::yaml_stream([&o]));
        assert!(s.yaml.contains("kind: ConfigMap"));
    }

    #[test]
    fn every_profile_gives_one_distinct_name_per_object() {
        use crate::generate::{GenerateOptions, generate};
        use mesh_profiles::{Inputs, resolve};
        for profile in [
            "default",
            "demo",
            "minimal",
            "ambient",
            "openshift",
            "remote",
        ] {
            let set = format!("profile={profile}");
            let manifest = generate(
                &resolve(&Inputs::with_sets([set.as_str()])).unwrap(),
                &GenerateOptions::default(),
            )
            .unwrap();
            let snaps = object_snapshots(manifest.objects());
            assert_eq!(snaps.len(), manifest.objects().count());
            let unique: std::collections::BTreeSet<_> = snaps.iter().map(|s| &s.name).collect();
            assert_eq!(unique.len(), snaps.len(), "{profile}");
            // Real objects have distinct ids, so no name needed a suffix.
            for s in &snaps {
                assert_eq!(s.name, snapshot_name_of(&manifest, &s.name), "{profile}");
            }
        }
    }

    fn snapshot_name_of(manifest: &crate::Manifest, name: &str) -> String {
        manifest
            .objects()
            .map(snapshot_name)
            .find(|n| n == name)
            .unwrap_or_default()
    }
}
