//! What the rendered templates add to a pod, by name (init containers, containers, volumes, image
//! pull secrets), collected over all templates in the order their strategic merge gives: the
//! container moves, the user overrides and the status annotation read it.

use crate::pod_merge::same_key;
use crate::status;
use mesh_core::Value;

/// The pod spec lists a template adds named items to.
const LISTS: [&str; 4] = [
    "initContainers",
    "containers",
    "volumes",
    "imagePullSecrets",
];

/// The merge keys (`name` values; `None` for an item without one) of the items the templates
/// add, per list of [`LISTS`]; `None` for a list no template has.
#[derive(Debug, Default)]
pub(crate) struct InjectedNames {
    lists: [Option<Vec<Option<Value>>>; 4],
}

impl InjectedNames {
    /// Adds the items of one rendered template overlay (`{metadata, spec}`).
    pub fn add_overlay(&mut self, overlay: &Value) {
        let spec = overlay.get("spec");
        for (slot, list) in self.lists.iter_mut().zip(LISTS) {
            let Some(items) = spec.and_then(|s| s.get(list)).and_then(Value::as_array) else {
                continue;
            };
            let keys = items.iter().map(|i| i.get("name").cloned()).collect();
            match slot {
                // A list the earlier templates do not have is taken as it is.
                None => *slot = Some(keys),
                Some(existing) => merge_keys(existing, keys),
            }
        }
    }

    /// The item names added to `list` (`initContainers`, `containers`, ...), in order.
    pub fn names<'a>(&'a self, list: &str) -> impl Iterator<Item = &'a str> {
        LISTS
            .iter()
            .position(|l| *l == list)
            .and_then(|i| self.lists[i].as_ref())
            .into_iter()
            .flatten()
            .filter_map(|k| k.as_ref().and_then(Value::as_str))
    }

    /// Whether an item named `name` is added to `list`.
    pub fn has(&self, list: &str, name: &str) -> bool {
        self.names(list).any(|n| n == name)
    }

    /// The `sidecar.istio.io/status` annotation of what was added (revision `default` when
    /// empty).
    pub fn status_annotation(&self, revision: &str) -> String {
        let revision = if revision.is_empty() {
            "default"
        } else {
            revision
        };
        status::annotation_text(LISTS.map(|list| self.names(list)), revision)
    }
}

/// Strategic merge of a keyed list (see `mesh_core::strategic`) applied to the keys alone: patch
/// keys are merged into or appended to the target, then the patched keys keep the patch order
/// and the target-only keys are slotted in by their original position.
fn merge_keys(target: &mut Vec<Option<Value>>, patch: Vec<Option<Value>>) {
    let original = target.clone();
    let index_in = |keys: &[Option<Value>], k: &Option<Value>| -> Option<usize> {
        let k = k.as_ref()?;
        keys.iter()
            .position(|o| o.as_ref().is_some_and(|o| same_key(o, k)))
    };
    let mut merged = std::mem::take(target);
    let mut patch_keys = Vec::with_capacity(patch.len());
    for key in patch.into_iter().flatten() {
        let pos = merged
            .iter()
            .position(|t| t.as_ref().is_some_and(|t| same_key(t, &key)));
        patch_keys.push(Some(key.clone()));
        match pos {
            // Merging `{name: key}` into the item replaces its name (a null name removes it).
            Some(i) => merged[i] = (!key.is_null()).then_some(key),
            None => merged.push(Some(key)),
        }
    }
    if original.is_empty() {
        *target = merged;
        return;
    }
    *target = mesh_core::strategic::enforce_order(
        merged,
        |k| index_in(&patch_keys, k),
        |k| index_in(&original, k),
    );
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use serde_json::json;

    /// What the pipeline computed before: the overlays' name lists merged as pods.
    fn by_pod_merge(overlays: &[Value]) -> Value {
        let mut pod = json!({});
        for o in overlays {
            let mut spec = serde_json::Map::new();
            for list in LISTS {
                if let Some(items) = o["spec"][list].as_array() {
                    let names = items
                        .iter()
                        .map(|i| match i.get("name") {
                            Some(n) => json!({"name": n}),
                            None => json!({}),
                        })
                        .collect();
                    spec.insert(list.to_string(), Value::Array(names));
                }
            }
            crate::pod_merge::merge_pod_plain(&mut pod, json!({"spec": spec}));
        }
        pod
    }

    #[test]
    fn orders_names_as_the_pod_merge_does() {
        let overlays = [
            json!({"spec": {"initContainers": [{"name": "a"}, {"name": "b"}, {"image": "x"}],
                            "volumes": [{"name": "v"}, {"name": "v"}]}}),
            json!({"spec": {"initContainers": [{"name": "c"}, {"name": "a"}],
                            "containers": [{"name": "p"}], "volumes": [{"name": "w"}]}}),
            json!({"spec": {"initContainers": [{"name": "b"}, {"name": "d"}],
                            "imagePullSecrets": []}}),
        ];
        for n in 1..=overlays.len() {
            let mut added = InjectedNames::default();
            overlays[..n].iter().for_each(|o| added.add_overlay(o));
            let spec = &by_pod_merge(&overlays[..n])["spec"];
            let expected = status::InjectionStatus::from_template_spec(spec, "r");
            assert_eq!(
                added.status_annotation("r"),
                expected.to_annotation(),
                "after {n} overlays"
            );
        }
        let mut added = InjectedNames::default();
        overlays.iter().for_each(|o| added.add_overlay(o));
        assert!(added.has("containers", "p"));
        assert!(!added.has("containers", "a"));
    }
}
