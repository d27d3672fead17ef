//! Re-injection and the user's own proxy settings: stripping what a previous injection added,
//! the containers recorded in `proxy.istio.io/overrides`, re-applying the user's containers over
//! the template's, and the proxy user on OpenShift.

use crate::annotations as ann;
use crate::error::{AnnotationProblem, InjectError};
use crate::injected_names::InjectedNames;
use crate::mesh_config::ProxyConfig;
use crate::pod::{
    container_name, containers_mut, ensure_map, find_container_in_pod, find_container_mut, find_in,
    find_sidecar, has_container,
};
use crate::{pod_merge, prometheus, status};
use mesh_core::Value;
use serde_json::{Map, json};

/// What [`reapply_overwritten_containers`] reads of the pod before injection: its annotations
/// and, in their lists and order, its containers named like one the templates add or
/// `istio-proxy` (a copy of these parts instead of the whole pod).
pub(crate) fn original_view(pod: &Value, added: &InjectedNames) -> Value {
    let relevant = |c: &&Value| {
        container_name(c).is_some_and(|n| {
            n == "istio-proxy" || added.has("containers", n) || added.has("initContainers", n)
        })
    };
    let mut spec = Map::new();
    for list in ["containers", "initContainers"] {
        if let Some(items) = pod
            .get("spec")
            .and_then(|s| s.get(list))
            .and_then(Value::as_array)
        {
            let kept = items.iter().filter(relevant).cloned().collect();
            spec.insert(list.to_string(), Value::Array(kept));
        }
    }
    let mut meta = Map::new();
    if let Some(a) = pod.get("metadata").and_then(|m| m.get("annotations")) {
        meta.insert("annotations".to_string(), a.clone());
    }
    crate::template_data::object([
        ("metadata", Value::Object(meta)),
        ("spec", Value::Object(spec)),
    ])
}

/// The pod as the templates see it: what a previous injection added removed and the user's
/// recorded containers put back. `None` when that is the pod itself.
pub(crate) fn strip_pod(pod: &Value, status_port: i64) -> Result<Option<Value>, InjectError> {
    let Some(anns) = pod
        .get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(Value::as_object)
    else {
        return Ok(None);
    };
    if !anns.contains_key(ann::SIDECAR_STATUS) && !anns.contains_key(ann::PROXY_OVERRIDES) {
        return Ok(None);
    }
    let mut out = pod.clone();
    if anns.contains_key(ann::SIDECAR_STATUS) {
        strip_previous_injection(&mut out, status_port);
    }
    reinsert_overrides(out).map(Some)
}

pub(crate) fn strip_previous_injection(out: &mut Value, status_port: i64) {
    let prev = out
        .get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(Value::as_object)
        .and_then(status::from_annotations);
    if let Some(prev) = prev {
        for (list, names) in [
            ("containers", &prev.containers),
            ("initContainers", &prev.init_containers),
        ] {
            if let Some(cs) = containers_mut(out, list) {
                cs.retain(|c| container_name(c).is_none_or(|n| !names.iter().any(|x| x == n)));
            }
        }
    }
    if let Some(m) = out
        .get_mut("metadata")
        .and_then(|m| m.get_mut("annotations"))
        .and_then(Value::as_object_mut)
    {
        if prev_is_some_and_port_matches(m, status_port) {
            prometheus::clear_annotations(m);
        }
        m.remove(ann::SIDECAR_STATUS);
    }
}

/// Whether the prometheus port annotation already points at the agent (set by a previous
/// injection), so the scrape annotations are ours to drop.
pub(crate) fn prev_is_some_and_port_matches(m: &Map<String, Value>, status_port: i64) -> bool {
    status::from_annotations(m).is_some()
        && prometheus::current_port(m).as_deref() == Some(status_port.to_string().as_str())
}

/// The containers recorded in `proxy.istio.io/overrides`.
pub(crate) fn parse_overrides(pod: &Value) -> Result<(Vec<Value>, Vec<Value>), InjectError> {
    let Some(text) = pod
        .get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.get(ann::PROXY_OVERRIDES))
        .and_then(Value::as_str)
    else {
        return Ok((Vec::new(), Vec::new()));
    };
    let bad = |m: String| {
        InjectError::InvalidAnnotations(vec![AnnotationProblem {
            name: ann::PROXY_OVERRIDES.to_string(),
            value: text.to_string(),
            reason: m,
        }])
    };
    let v: Value = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
    let list = |k: &str| -> Result<Vec<Value>, InjectError> {
        match v.get(k) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(a)) => Ok(a.clone()),
            Some(_) => Err(bad(format!("{k}: expected a list of containers"))),
        }
    };
    Ok((list("containers")?, list("initContainers")?))
}

/// Puts back the user's containers recorded in the overrides annotation (for re-injection).
pub(crate) fn reinsert_overrides(mut pod: Value) -> Result<Value, InjectError> {
    let (containers, init) = parse_overrides(&pod)?;
    for (list, items) in [("containers", containers), ("initContainers", init)] {
        for c in items {
            let Some(name) = container_name(&c).map(str::to_string) else {
                continue;
            };
            if has_container(&pod, list, &name) {
                continue;
            }
            if let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) {
                let target = spec.entry(list.to_string()).or_insert_with(|| json!([]));
                if let Some(a) = target.as_array_mut() {
                    a.push(c);
                }
            }
        }
    }
    Ok(pod)
}

/// Re-applies containers the user defined with the same name as an injected one (usually
/// `istio-proxy`), so their settings win over the template; records them for re-injection.
pub(crate) fn reapply_overwritten_containers(
    merged: &mut Value,
    original: &Value,
    added: &InjectedNames,
    proxy_config: &ProxyConfig,
) -> Result<(), InjectError> {
    let (existing_containers, existing_init) = parse_overrides(original)?;
    let anns = original
        .get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(Value::as_object);
    let already_injected = anns.is_some_and(|a| a.contains_key(ann::SIDECAR_STATUS));
    let prev = anns.and_then(status::from_annotations).unwrap_or_default();
    let find = |list: &[Value], name: &str| -> Option<Value> {
        list.iter()
            .find(|c| container_name(c) == Some(name))
            .cloned()
    };

    let mut overrides = Map::new();
    for (list, skip, existing) in [
        ("containers", &prev.containers, &existing_containers),
        ("initContainers", &prev.init_containers, &existing_init),
    ] {
        let mut applied = Vec::new();
        for name in added.names(list) {
            // A container the previous injection added is re-rendered from the template; only
            // the user's recorded customizations are applied again (Istio drops them here,
            // which makes re-injection lose them; mesh keeps re-injection idempotent).
            let previously_added = already_injected && skip.iter().any(|s| s == name);
            let found = find(existing, name).or_else(|| {
                if previously_added {
                    return None;
                }
                if list == "containers" {
                    find_in(original, "containers", name).cloned()
                } else {
                    find_container_in_pod(original, name).cloned()
                }
            });
            let Some(mut overlay) = found else { continue };
            if overlay.get("image").and_then(Value::as_str) == Some("auto")
                && let Some(m) = overlay.as_object_mut()
            {
                m.remove("image");
            }
            let patch = crate::template_data::object([(
                "spec",
                crate::template_data::object([(list, Value::Array(vec![overlay.clone()]))]),
            )]);
            pod_merge::merge_pod(merged, patch);
            applied.push(overlay);
        }
        if !applied.is_empty() {
            overrides.insert(list.to_string(), Value::Array(applied));
        }
    }
    if !already_injected && !overrides.is_empty() {
        ensure_map(merged, "annotations");
        if let Some(m) = merged
            .get_mut("metadata")
            .and_then(|m| m.get_mut("annotations"))
            .and_then(Value::as_object_mut)
        {
            m.insert(
                ann::PROXY_OVERRIDES.to_string(),
                Value::String(Value::Object(overrides).to_string()),
            );
        }
    }
    adjust_init_container_user(merged, original, proxy_config);
    Ok(())
}

/// Makes the init/validation container match a user-chosen proxy UID/GID.
pub(crate) fn adjust_init_container_user(
    merged: &mut Value,
    original: &Value,
    proxy_config: &ProxyConfig,
) {
    // On re-injection the proxy in the pod is the injected one; the user's own proxy container
    // is the one recorded in the overrides annotation.
    let (recorded, recorded_init) = parse_overrides(original).unwrap_or_default();
    let recorded = recorded
        .into_iter()
        .chain(recorded_init)
        .find(|c| container_name(c) == Some("istio-proxy"));
    let user = recorded.or_else(|| find_sidecar(original).cloned());
    let Some(user_sc) = user.as_ref().and_then(|c| c.get("securityContext")) else {
        return;
    };
    let run_as_user = user_sc.get("runAsUser").and_then(Value::as_i64);
    let run_as_group = user_sc.get("runAsGroup").and_then(Value::as_i64);
    if run_as_user.is_none() && run_as_group.is_none() {
        return;
    }
    let init_name = ["istio-init", "istio-validation"]
        .into_iter()
        .find(|n| has_container(merged, "initContainers", n));
    let Some(init_name) = init_name else {
        return;
    };
    let tproxy = proxy_config.interception_mode() == "TPROXY"
        || merged
            .get("metadata")
            .and_then(|m| m.get("annotations"))
            .and_then(|a| a.get(ann::INTERCEPTION_MODE))
            .and_then(Value::as_str)
            == Some("TPROXY");
    if tproxy
        && run_as_user.is_some()
        && let Some(sc) = find_container_mut(merged, "istio-proxy")
            .and_then(|c| c.get_mut("securityContext"))
            .and_then(Value::as_object_mut)
    {
        sc.insert("runAsUser".to_string(), json!(0));
    }
    let Some(init) = containers_mut(merged, "initContainers")
        .and_then(|cs| cs.iter_mut().find(|c| container_name(c) == Some(init_name)))
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    if !tproxy && init_name == "istio-validation" {
        let sc = init
            .entry("securityContext".to_string())
            .or_insert_with(|| json!({}));
        if let Some(sc) = sc.as_object_mut() {
            if let Some(u) = run_as_user {
                sc.insert("runAsUser".to_string(), json!(u));
            }
            if let Some(g) = run_as_group {
                sc.insert("runAsGroup".to_string(), json!(g));
            }
        }
    }
    let Some(uid) = run_as_user.filter(|u| *u != 0) else {
        return;
    };
    if let Some(args) = init.get_mut("args").and_then(Value::as_array_mut)
        && let Some(i) = args.iter().position(|a| a.as_str() == Some("-u"))
        && i + 1 < args.len()
    {
        args[i + 1] = Value::String(uid.to_string());
    }
}

/// OpenShift gives every container of a pod the same UID, the proxy's included; a proxy UID equal
/// to the application's would break traffic capture, so it is dropped in favour of the injected
/// one (an explicitly different UID is kept).
pub(crate) fn reset_openshift_proxy_user(pod: &mut Value) {
    let Some(containers) = containers_mut(pod, "containers") else {
        return;
    };
    let run_as_user = |c: &Value| {
        c.get("securityContext")
            .and_then(|s| s.get("runAsUser"))
            .and_then(Value::as_i64)
            .unwrap_or(0)
    };
    let mut proxy_user = 0;
    let mut app_user = 0;
    for c in containers.iter() {
        match container_name(c) {
            Some("istio-proxy") => proxy_user = run_as_user(c),
            Some("istio-init" | "istio-validation") => {}
            _ => {
                if c.get("securityContext")
                    .and_then(|s| s.get("runAsUser"))
                    .is_some()
                {
                    app_user = run_as_user(c);
                }
            }
        }
    }
    if proxy_user != app_user {
        return;
    }
    if let Some(sc) = containers
        .iter_mut()
        .find(|c| container_name(c) == Some("istio-proxy"))
        .and_then(|c| c.get_mut("securityContext"))
        .and_then(Value::as_object_mut)
    {
        sc.remove("runAsUser");
        sc.remove("runAsGroup");
    }
}
