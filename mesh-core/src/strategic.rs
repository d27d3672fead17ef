//! Kubernetes strategic merge of value trees, driven by per-type merge-key tables.
//!
//! Maps merge recursively and `null` deletes a key. Lists replace, except the lists a table marks
//! as merge lists: their items are matched by a merge key ([`ListMerge::Key`]: containers by
//! `name`, ports by `containerPort`, ...) or, for lists of scalars, as a set ([`ListMerge::Set`]).
//! A merged list keeps the patch's order for the items the patch names, with the items only the
//! target has slotted in where they were relative to them ([`enforce_order`], the API server's
//! "normalize the order" step).
//!
//! Two callers, two sets of [`Options`], one implementation:
//!
//! | | `components.*.k8s` settings ([`api_server`]) | injection templates over a pod (mesh-inject) |
//! |---|---|---|
//! | table | [`API_SERVER`]: workloads, pods, Services, metadata | a Pod only: [`POD_SPEC`] and [`CONTAINER`] lists, plus `resizePolicy` by `resourceName` |
//! | metadata lists | `finalizers` as a set, `ownerReferences` by `uid` | replaced |
//! | key equality | [`same_json`]: numbers by value (`80` = `80.0`) | the caller's (Go text: `"80"` = `80`) |
//! | directives | [`Directives::Strict`] | [`Directives::Lenient`] (or [`Directives::Ignored`]) |
//!
//! The directives differ as follows. [`Directives::Strict`] is the API server's: `$patch:
//! replace|delete` on maps, `$patch: delete|replace` on merge-list items (all `delete`s first, a
//! `replace` item makes the other items the whole list), `$retainKeys`,
//! `$deleteFromPrimitiveList/<field>`; `$setElementOrder`, unknown directives, list items without
//! the merge key and lists mixing maps and scalars are errors; scalar items of a keyed list merge
//! as a set; values inserted as a whole are inserted as written. [`Directives::Lenient`] is the
//! injector's: `$patch: replace` on maps (other `$patch` values on maps are ignored), `$patch:
//! delete` on merge-list items, applied in patch order; list items without the merge key are
//! dropped; `$patch` keys are stripped from anything inserted as a whole; other `$` keys are
//! ordinary keys; nothing fails. [`Directives::Ignored`] looks for no directive at all (for
//! patches known to hold none).

use crate::Value;
use serde_json::Map;

/// The part of an object a field belongs to, as far as merge tables tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    /// Deployment, DaemonSet, StatefulSet, ReplicaSet, Job.
    Workload,
    /// `spec` of a workload.
    WorkloadSpec,
    /// `spec.template` of a workload.
    PodTemplate,
    /// A Pod.
    Pod,
    /// ObjectMeta (`metadata`).
    ObjectMeta,
    /// PodSpec.
    PodSpec,
    /// Container (also init and ephemeral containers).
    Container,
    /// A Service.
    Service,
    /// ServiceSpec.
    ServiceSpec,
    /// An object kind without merge lists of its own (HPA, PDB, ConfigMap, ...).
    Plain,
    /// Anything else: maps merge, lists replace.
    Other,
}

impl Type {
    /// The root type of an object of `api_version` and `kind` in the [`API_SERVER`] table;
    /// `None` for kinds it does not know.
    pub fn of_kind(api_version: &str, kind: &str) -> Option<Type> {
        let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
        Some(match (group, kind) {
            ("apps", "Deployment" | "DaemonSet" | "StatefulSet" | "ReplicaSet")
            | ("batch", "Job") => Type::Workload,
            ("", "Pod") => Type::Pod,
            ("", "Service") => Type::Service,
            ("", "ConfigMap" | "Secret" | "ServiceAccount")
            | ("autoscaling", "HorizontalPodAutoscaler")
            | ("policy", "PodDisruptionBudget") => Type::Plain,
            _ => return None,
        })
    }
}

/// How a list field is merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListMerge {
    /// The patch's list replaces the target's.
    Replace,
    /// Items (maps) are matched by this key.
    Key(&'static str),
    /// Items (scalars) are merged as a set.
    Set,
}

/// One row of a merge table: inside any of `holders`, the fields `names` are of type `ty` and,
/// when they are lists, merge as `list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The types holding the fields.
    pub holders: &'static [Type],
    /// The field names.
    pub names: &'static [&'static str],
    /// The type of the fields (of their items, for lists).
    pub ty: Type,
    /// How the fields merge when they are lists.
    pub list: ListMerge,
}

const fn row(
    holders: &'static [Type],
    names: &'static [&'static str],
    ty: Type,
    list: ListMerge,
) -> Field {
    Field {
        holders,
        names,
        ty,
        list,
    }
}

/// A merge table: groups of rows, looked up in order; fields no row names are [`Type::Other`]
/// and replace when they are lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schema {
    /// The row groups.
    pub groups: &'static [&'static [Field]],
}

impl Schema {
    /// The type of field `name` inside `holder` and how it merges when it is a list.
    pub fn field(&self, holder: Type, name: &str) -> (Type, ListMerge) {
        self.groups
            .iter()
            .flat_map(|g| g.iter())
            .find(|f| f.holders.contains(&holder) && f.names.contains(&name))
            .map_or((Type::Other, ListMerge::Replace), |f| (f.ty, f.list))
    }
}

/// The merge lists of a PodSpec (Kubernetes' `patchMergeKey` tags).
pub const POD_SPEC: &[Field] = &[
    row(
        &[Type::PodSpec],
        &["containers", "initContainers", "ephemeralContainers"],
        Type::Container,
        ListMerge::Key("name"),
    ),
    row(
        &[Type::PodSpec],
        &[
            "volumes",
            "imagePullSecrets",
            "resourceClaims",
            "schedulingGates",
        ],
        Type::Other,
        ListMerge::Key("name"),
    ),
    row(
        &[Type::PodSpec],
        &["hostAliases"],
        Type::Other,
        ListMerge::Key("ip"),
    ),
    row(
        &[Type::PodSpec],
        &["topologySpreadConstraints"],
        Type::Other,
        ListMerge::Key("topologyKey"),
    ),
];

/// The merge lists of a Container.
pub const CONTAINER: &[Field] = &[
    row(
        &[Type::Container],
        &["env"],
        Type::Other,
        ListMerge::Key("name"),
    ),
    row(
        &[Type::Container],
        &["ports"],
        Type::Other,
        ListMerge::Key("containerPort"),
    ),
    row(
        &[Type::Container],
        &["volumeMounts"],
        Type::Other,
        ListMerge::Key("mountPath"),
    ),
    row(
        &[Type::Container],
        &["volumeDevices"],
        Type::Other,
        ListMerge::Key("devicePath"),
    ),
];

/// How objects nest down to their pod specs, and the ObjectMeta and Service merge lists.
const OBJECTS: &[Field] = &[
    row(
        &[
            Type::Workload,
            Type::Pod,
            Type::Service,
            Type::Plain,
            Type::PodTemplate,
        ],
        &["metadata"],
        Type::ObjectMeta,
        ListMerge::Replace,
    ),
    row(
        &[Type::Workload],
        &["spec"],
        Type::WorkloadSpec,
        ListMerge::Replace,
    ),
    row(
        &[Type::Pod, Type::PodTemplate],
        &["spec"],
        Type::PodSpec,
        ListMerge::Replace,
    ),
    row(
        &[Type::Service],
        &["spec"],
        Type::ServiceSpec,
        ListMerge::Replace,
    ),
    row(
        &[Type::WorkloadSpec],
        &["template"],
        Type::PodTemplate,
        ListMerge::Replace,
    ),
    row(
        &[Type::ObjectMeta],
        &["finalizers"],
        Type::Other,
        ListMerge::Set,
    ),
    row(
        &[Type::ObjectMeta],
        &["ownerReferences"],
        Type::Other,
        ListMerge::Key("uid"),
    ),
    row(
        &[Type::ServiceSpec],
        &["ports"],
        Type::Other,
        ListMerge::Key("port"),
    ),
];

/// The API server's table for the kinds [`Type::of_kind`] knows.
pub const API_SERVER: Schema = Schema {
    groups: &[OBJECTS, POD_SPEC, CONTAINER],
};

/// Which patch directives are understood (see the module docs for each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Directives {
    /// None: `$` keys are ordinary keys.
    Ignored,
    /// The injector's: `$patch: replace` on maps, `$patch: delete` on list items; never fails.
    Lenient,
    /// The API server's, with errors for what it rejects.
    Strict,
}

/// How a merge is done: the table, the directives, the merge-key equality.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// The merge-key table.
    pub schema: Schema,
    /// The directives understood.
    pub directives: Directives,
    /// Whether two merge-key values (or two set items) are the same.
    pub same_key: fn(&Value, &Value) -> bool,
}

/// Equality as Go compares decoded JSON: every number is a float64 (`80` equals `80.0`).
pub fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => x == y,
        },
        _ => a == b,
    }
}

/// The API server's options: [`API_SERVER`], [`Directives::Strict`], [`same_json`].
pub const API_SERVER_OPTIONS: Options = Options {
    schema: API_SERVER,
    directives: Directives::Strict,
    same_key: same_json,
};

/// A strategic merge patch that cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    /// The object's kind has no known patch schema.
    #[error("strategic merge patch of {kind} ({api_version}) is not supported")]
    UnsupportedKind {
        /// The object's apiVersion.
        api_version: String,
        /// The object's kind.
        kind: String,
    },
    /// The patch uses a directive wrongly or one that is not supported.
    #[error("{path}: {message}")]
    Directive {
        /// Where in the patch.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// An item of a merge list lacks the merge key.
    #[error("{path}: list item has no merge key {key:?}")]
    MissingMergeKey {
        /// The list.
        path: String,
        /// The merge key.
        key: String,
    },
    /// A merge list mixes maps, scalars or lists.
    #[error("{path}: list items are not all of the same type")]
    MixedList {
        /// The list.
        path: String,
    },
}

/// Applies `patch` to `object` (a whole object of the given apiVersion and kind) the way the API
/// server applies a strategic merge patch ([`API_SERVER_OPTIONS`]).
pub fn api_server(
    object: &mut Value,
    patch: Value,
    api_version: &str,
    kind: &str,
) -> Result<(), MergeError> {
    let root = Type::of_kind(api_version, kind).ok_or_else(|| MergeError::UnsupportedKind {
        api_version: api_version.to_string(),
        kind: kind.to_string(),
    })?;
    merge(object, patch, root, &API_SERVER_OPTIONS)
}

/// Merges `patch` into `target` (of type `root`) with `options`. Only [`Directives::Strict`]
/// fails.
pub fn merge(
    target: &mut Value,
    patch: Value,
    root: Type,
    options: &Options,
) -> Result<(), MergeError> {
    merge_value(target, patch, root, At::ROOT, options)
}

const DIRECTIVE: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const DELETE_FROM_LIST: &str = "$deleteFromPrimitiveList/";
const SET_ORDER: &str = "$setElementOrder/";

/// Where in the patch, built into text only for an error.
#[derive(Clone, Copy)]
struct At<'a> {
    parent: Option<&'a At<'a>>,
    key: &'a str,
}

impl<'a> At<'a> {
    const ROOT: At<'static> = At {
        parent: None,
        key: "",
    };

    fn child(&'a self, key: &'a str) -> At<'a> {
        At {
            parent: Some(self),
            key,
        }
    }

    /// The dotted path (`spec.template.spec.containers`).
    fn text(&self) -> String {
        let mut keys = vec![self.key];
        let mut cur = self.parent;
        while let Some(at) = cur {
            keys.push(at.key);
            cur = at.parent;
        }
        keys.retain(|k| !k.is_empty());
        keys.reverse();
        keys.join(".")
    }
}

fn merge_value(
    target: &mut Value,
    patch: Value,
    ty: Type,
    at: At<'_>,
    cx: &Options,
) -> Result<(), MergeError> {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => merge_map(t, p, ty, at, cx),
        (t, p) => {
            *t = inserted(p, ListMerge::Replace, cx);
            Ok(())
        }
    }
}

/// A patch value inserted as a whole: [`Directives::Lenient`] drops `$patch: delete` items of a
/// merge list and strips `$patch` keys; the others insert it as written.
fn inserted(mut value: Value, list: ListMerge, cx: &Options) -> Value {
    if cx.directives == Directives::Lenient {
        if let (Value::Array(items), ListMerge::Key(_)) = (&mut value, list) {
            items.retain(|item| !is_delete(item));
        }
        strip_directives(&mut value);
    }
    value
}

fn merge_map(
    target: &mut Map<String, Value>,
    mut patch: Map<String, Value>,
    ty: Type,
    at: At<'_>,
    cx: &Options,
) -> Result<(), MergeError> {
    match cx.directives {
        Directives::Ignored => {}
        Directives::Lenient => {
            if patch.get(DIRECTIVE).and_then(Value::as_str) == Some("replace") {
                patch.remove(DIRECTIVE);
                patch.values_mut().for_each(strip_directives);
                *target = patch;
                return Ok(());
            }
        }
        Directives::Strict => {
            if let Some(directive) = patch.get(DIRECTIVE) {
                return match directive.as_str() {
                    Some("replace") => {
                        patch.remove(DIRECTIVE);
                        *target = patch;
                        Ok(())
                    }
                    Some("delete") => {
                        target.clear();
                        Ok(())
                    }
                    _ => Err(MergeError::Directive {
                        path: at.child(DIRECTIVE).text(),
                        message: format!("unknown directive {directive}"),
                    }),
                };
            }
            if let Some(keys) = patch.get(RETAIN_KEYS) {
                retain_keys(target, &patch, keys, at)?;
            }
        }
    }
    for (key, value) in patch {
        match cx.directives {
            Directives::Ignored => {}
            Directives::Lenient if key == DIRECTIVE => continue,
            Directives::Lenient => {}
            Directives::Strict => {
                if key == RETAIN_KEYS {
                    continue;
                }
                if key.starts_with(SET_ORDER) {
                    return Err(MergeError::Directive {
                        path: at.child(&key).text(),
                        message: "$setElementOrder is not supported".to_string(),
                    });
                }
                if let Some(list_key) = key.strip_prefix(DELETE_FROM_LIST) {
                    delete_from_list(target, list_key, &value, at.child(&key), cx)?;
                    continue;
                }
            }
        }
        if value.is_null() {
            target.remove(&key);
            continue;
        }
        let (child_ty, list) = cx.schema.field(ty, &key);
        let here = at.child(&key);
        match (target.get_mut(&key), value) {
            (Some(Value::Array(t)), Value::Array(p)) if list != ListMerge::Replace => {
                merge_list(t, p, list, child_ty, here, cx)?;
            }
            (Some(t @ Value::Object(_)), p @ Value::Object(_)) => {
                merge_value(t, p, child_ty, here, cx)?;
            }
            (Some(t), p) => *t = inserted(p, list, cx),
            (None, p) => {
                let p = inserted(p, list, cx);
                target.insert(key, p);
            }
        }
    }
    Ok(())
}

fn retain_keys(
    target: &mut Map<String, Value>,
    patch: &Map<String, Value>,
    keys: &Value,
    at: At<'_>,
) -> Result<(), MergeError> {
    let bad = |message: &str| MergeError::Directive {
        path: at.child(RETAIN_KEYS).text(),
        message: message.to_string(),
    };
    let keys: Vec<&str> = keys
        .as_array()
        .ok_or_else(|| bad("must be a list of field names"))?
        .iter()
        .map(Value::as_str)
        .collect::<Option<_>>()
        .ok_or_else(|| bad("must be a list of field names"))?;
    let outside = patch
        .iter()
        .find(|(k, v)| !v.is_null() && !k.starts_with('$') && !keys.contains(&k.as_str()));
    if let Some((k, _)) = outside {
        return Err(bad(&format!("patch sets {k}, which is not in the list")));
    }
    target.retain(|k, _| keys.contains(&k.as_str()));
    Ok(())
}

fn delete_from_list(
    target: &mut Map<String, Value>,
    list_key: &str,
    to_delete: &Value,
    at: At<'_>,
    cx: &Options,
) -> Result<(), MergeError> {
    let Some(items) = to_delete.as_array() else {
        return Err(MergeError::Directive {
            path: at.text(),
            message: "must be a list".to_string(),
        });
    };
    if let Some(Value::Array(list)) = target.get_mut(list_key) {
        list.retain(|v| !items.iter().any(|d| (cx.same_key)(d, v)));
    }
    Ok(())
}

#[derive(PartialEq)]
enum ItemType {
    Map,
    List,
    Scalar,
}

fn item_type(v: &Value) -> ItemType {
    match v {
        Value::Object(_) => ItemType::Map,
        Value::Array(_) => ItemType::List,
        _ => ItemType::Scalar,
    }
}

fn merge_list(
    target: &mut Vec<Value>,
    mut patch: Vec<Value>,
    list: ListMerge,
    item_ty: Type,
    at: At<'_>,
    cx: &Options,
) -> Result<(), MergeError> {
    let key = match list {
        ListMerge::Key(key) => key,
        ListMerge::Set | ListMerge::Replace => "",
    };
    if cx.directives == Directives::Strict {
        if target.is_empty() && patch.is_empty() {
            return Ok(());
        }
        let first = target.iter().chain(&patch).next().map(item_type);
        if target
            .iter()
            .chain(&patch)
            .any(|v| Some(item_type(v)) != first)
            || first == Some(ItemType::List)
        {
            return Err(MergeError::MixedList { path: at.text() });
        }
        if first != Some(ItemType::Map) {
            merge_set(target, patch, cx);
            return Ok(());
        }
        if key.is_empty() {
            return Err(MergeError::Directive {
                path: at.text(),
                message: "cannot merge a list of maps without a merge key".to_string(),
            });
        }
        match strict_list_directives(target, patch, key, at, cx)? {
            (plain, true) => {
                *target = plain;
                return Ok(());
            }
            (plain, false) => patch = plain,
        }
    } else if key.is_empty() {
        // Sets of scalars only come with the API server's table.
        merge_set(target, patch, cx);
        return Ok(());
    }
    let original_keys: Vec<Option<Value>> = target.iter().map(|t| t.get(key).cloned()).collect();
    let index_in = |keys: &[Option<Value>], v: &Value| -> Option<usize> {
        let k = v.get(key)?;
        keys.iter()
            .position(|o| o.as_ref().is_some_and(|o| (cx.same_key)(o, k)))
    };
    let mut patch_keys: Vec<Option<Value>> = Vec::with_capacity(patch.len());
    for item in patch {
        let Some(kv) = item.get(key).cloned() else {
            if cx.directives == Directives::Strict {
                return Err(missing_key(at, key));
            }
            continue;
        };
        let pos = target
            .iter()
            .position(|t| t.get(key).is_some_and(|tk| (cx.same_key)(tk, &kv)));
        if cx.directives == Directives::Lenient && is_delete(&item) {
            if let Some(i) = pos {
                target.remove(i);
            }
            continue;
        }
        patch_keys.push(Some(kv));
        match pos {
            Some(i) => merge_value(&mut target[i], item, item_ty, at, cx)?,
            None => target.push(inserted(item, ListMerge::Replace, cx)),
        }
    }
    if original_keys.is_empty() {
        return Ok(());
    }
    *target = interleave(
        std::mem::take(target),
        |v| index_in(&patch_keys, v),
        |v| index_in(&original_keys, v),
        cx.directives != Directives::Strict,
    );
    Ok(())
}

fn missing_key(at: At<'_>, key: &str) -> MergeError {
    MergeError::MissingMergeKey {
        path: at.text(),
        key: key.to_string(),
    }
}

/// The API server's list item directives: `$patch: delete` items remove their match from
/// `target`; returns the other items and whether a `$patch: replace` item makes them the whole
/// list.
fn strict_list_directives(
    target: &mut Vec<Value>,
    patch: Vec<Value>,
    key: &str,
    at: At<'_>,
    cx: &Options,
) -> Result<(Vec<Value>, bool), MergeError> {
    let mut plain = Vec::with_capacity(patch.len());
    let mut replace = false;
    for item in patch {
        match item.get(DIRECTIVE).map(Value::as_str) {
            None => plain.push(item),
            Some(Some("delete")) => {
                let k = item.get(key).ok_or_else(|| missing_key(at, key))?;
                target.retain(|t| !t.get(key).is_some_and(|tk| (cx.same_key)(tk, k)));
            }
            Some(Some("replace")) => replace = true,
            Some(_) => {
                return Err(MergeError::Directive {
                    path: at.text(),
                    message: format!("unknown list item directive {}", item[DIRECTIVE]),
                });
            }
        }
    }
    Ok((plain, replace))
}

/// Merges a list of scalars as a set: new items appended, then ordered as [`enforce_order`].
fn merge_set(target: &mut Vec<Value>, patch: Vec<Value>, cx: &Options) {
    let original = target.clone();
    for item in &patch {
        if !target.iter().any(|t| (cx.same_key)(t, item)) {
            target.push(item.clone());
        }
    }
    let index_in = |list: &[Value], v: &Value| list.iter().position(|k| (cx.same_key)(k, v));
    let merged = std::mem::take(target);
    *target = interleave(
        merged,
        |v| index_in(&patch, v),
        |v| index_in(&original, v),
        cx.directives != Directives::Strict,
    );
}

/// Kubernetes' "enforce the order" step of strategic merge: the patched items (those with a
/// position in the patch) keep the patch's order, and the items only the target had are
/// slotted in between by their original position.
pub fn enforce_order<T>(
    merged: Vec<T>,
    patch_index: impl Fn(&T) -> Option<usize>,
    original_index: impl Fn(&T) -> Option<usize>,
) -> Vec<T> {
    interleave(merged, patch_index, original_index, true)
}

/// [`enforce_order`]; `sort_target_only` sorts the target-only items by original position
/// first, which (as they are already in that order) only moves the items without a merge key
/// to the front: the injector does, the API server ([`Directives::Strict`]) does not.
fn interleave<T>(
    merged: Vec<T>,
    patch_index: impl Fn(&T) -> Option<usize>,
    original_index: impl Fn(&T) -> Option<usize>,
    sort_target_only: bool,
) -> Vec<T> {
    let (mut patched, mut target_only): (Vec<T>, Vec<T>) =
        merged.into_iter().partition(|v| patch_index(v).is_some());
    patched.sort_by_key(|v| patch_index(v));
    if sort_target_only {
        target_only.sort_by_key(|v| original_index(v));
    }
    let mut out = Vec::with_capacity(patched.len() + target_only.len());
    let (mut left, mut right) = (
        target_only.into_iter().peekable(),
        patched.into_iter().peekable(),
    );
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(l), Some(r)) => matches!(
                (original_index(l), original_index(r)),
                (Some(li), Some(ri)) if li < ri
            ),
        };
        out.extend(if take_left { left.next() } else { right.next() });
    }
    out
}

fn is_delete(item: &Value) -> bool {
    item.get(DIRECTIVE).and_then(Value::as_str) == Some("delete")
}

/// Removes `$patch` directives left in a value that is inserted as a whole.
fn strip_directives(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove(DIRECTIVE);
            m.values_mut().for_each(strip_directives);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_directives),
        _ => {}
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use serde_json::json;

    fn keys(list: &Value, key: &str) -> Vec<Value> {
        list.as_array()
            .map(|l| l.iter().map(|i| i[key].clone()).collect())
            .unwrap_or_default()
    }

    fn pod(target: &mut Value, patch: Value) -> Result<(), MergeError> {
        api_server(target, patch, "v1", "Pod")
    }

    /// A pod table like the injector's, with lenient directives and Go-text key equality.
    fn lenient(target: &mut Value, patch: Value) {
        const POD: Schema = Schema {
            groups: &[
                &[row(
                    &[Type::Pod],
                    &["spec"],
                    Type::PodSpec,
                    ListMerge::Replace,
                )],
                POD_SPEC,
                CONTAINER,
            ],
        };
        fn go_text(a: &Value, b: &Value) -> bool {
            let text = |v: &Value| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            text(a) == text(b)
        }
        let options = Options {
            schema: POD,
            directives: Directives::Lenient,
            same_key: go_text,
        };
        merge(target, patch, Type::Pod, &options).unwrap();
    }

    #[test]
    fn new_patch_items_go_before_later_original_items() {
        // The API server interleaves: A (original only, before B), B (patched), D (new), C.
        let mut o = json!({"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [
            {"name": "A"}, {"name": "B"}, {"name": "C"}]}});
        let p = json!({"spec": {"containers": [{"name": "B", "image": "x"}, {"name": "D"}]}});
        pod(&mut o, p).unwrap();
        assert_eq!(
            keys(&o["spec"]["containers"], "name"),
            vec![json!("A"), json!("B"), json!("D"), json!("C")]
        );
        assert_eq!(o["spec"]["containers"][1]["image"], json!("x"));
    }

    #[test]
    fn scalar_merge_lists_are_sets() {
        let mut o = json!({"metadata": {"finalizers": ["a", "b"]}});
        let p = json!({"metadata": {"finalizers": ["b", "c"]}});
        api_server(&mut o, p, "v1", "ConfigMap").unwrap();
        assert_eq!(o["metadata"]["finalizers"], json!(["a", "b", "c"]));
    }

    #[test]
    fn every_api_server_table_entry_merges_by_its_key() {
        let cases = [
            (
                "apps/v1",
                "Deployment",
                "spec.template.spec.containers",
                "name",
            ),
            (
                "apps/v1",
                "DaemonSet",
                "spec.template.spec.initContainers",
                "name",
            ),
            (
                "apps/v1",
                "StatefulSet",
                "spec.template.spec.ephemeralContainers",
                "name",
            ),
            (
                "apps/v1",
                "ReplicaSet",
                "spec.template.spec.volumes",
                "name",
            ),
            (
                "batch/v1",
                "Job",
                "spec.template.spec.imagePullSecrets",
                "name",
            ),
            ("v1", "Pod", "spec.resourceClaims", "name"),
            ("v1", "Pod", "spec.schedulingGates", "name"),
            ("v1", "Pod", "spec.hostAliases", "ip"),
            ("v1", "Pod", "spec.topologySpreadConstraints", "topologyKey"),
            ("v1", "Pod", "spec.containers.env", "name"),
            ("v1", "Pod", "spec.containers.ports", "containerPort"),
            ("v1", "Pod", "spec.containers.volumeMounts", "mountPath"),
            ("v1", "Pod", "spec.containers.volumeDevices", "devicePath"),
            ("v1", "Service", "spec.ports", "port"),
            ("v1", "Secret", "metadata.ownerReferences", "uid"),
        ];
        for (api_version, kind, path, key) in cases {
            // `a.b.list`, or `...containers.list` inside a container named `c`.
            let nest = |items: Value| -> Value {
                let mut v = items;
                let parts: Vec<&str> = path.split('.').collect();
                for (i, part) in parts.iter().enumerate().rev() {
                    let is_container_list = i + 1 < parts.len() && part.ends_with("ontainers");
                    v = if is_container_list {
                        let mut c = v.as_object().unwrap().clone();
                        c.insert("name".into(), json!("c"));
                        json!({*part: [c]})
                    } else {
                        json!({*part: v})
                    };
                }
                v
            };
            let last = path.rsplit('.').next().unwrap();
            let mut target = nest(json!([{key: 1, "a": 1}, {key: 2, "a": 2}]));
            let patch = nest(json!([{key: 2, "b": 2}, {key: 3}]));
            api_server(&mut target, patch, api_version, kind).unwrap();
            let list = crate::path::get(
                &target,
                &path.replace("ontainers.", "ontainers[0].").parse().unwrap(),
            )
            .unwrap()
            .clone();
            assert_eq!(
                list,
                json!([{key: 1, "a": 1}, {key: 2, "a": 2, "b": 2}, {key: 3}]),
                "{kind} {path} ({last} by {key})"
            );
        }
    }

    #[test]
    fn unlisted_lists_and_unknown_kinds() {
        let mut o = json!({"spec": {"tolerations": [{"key": "a"}, {"key": "b"}]}});
        pod(&mut o, json!({"spec": {"tolerations": [{"key": "z"}]}})).unwrap();
        assert_eq!(o["spec"]["tolerations"], json!([{"key": "z"}]));
        let err = api_server(&mut o, json!({}), "example.com/v1", "Thing").unwrap_err();
        assert_eq!(
            err.to_string(),
            "strategic merge patch of Thing (example.com/v1) is not supported"
        );
        assert_eq!(Type::of_kind("apps/v1", "Deployment"), Some(Type::Workload));
        assert_eq!(
            API_SERVER.field(Type::PodSpec, "tolerations"),
            (Type::Other, ListMerge::Replace)
        );
    }

    #[test]
    fn null_deletes_keys() {
        let mut o = json!({"metadata": {"labels": {"a": "1", "b": "2"}}});
        pod(&mut o, json!({"metadata": {"labels": {"a": null}}})).unwrap();
        assert_eq!(o, json!({"metadata": {"labels": {"b": "2"}}}));
    }

    #[test]
    fn strict_patch_replace_and_delete_on_maps() {
        let mut o = json!({"metadata": {"labels": {"a": "1"}, "annotations": {"x": "y"}}});
        let p = json!({"metadata": {"labels": {"$patch": "replace", "b": "2"},
            "annotations": {"$patch": "delete"}}});
        pod(&mut o, p).unwrap();
        assert_eq!(
            o,
            json!({"metadata": {"labels": {"b": "2"}, "annotations": {}}})
        );
        let err = pod(&mut o, json!({"metadata": {"labels": {"$patch": "merge"}}})).unwrap_err();
        assert_eq!(
            err.to_string(),
            "metadata.labels.$patch: unknown directive \"merge\""
        );
    }

    #[test]
    fn strict_patch_delete_and_replace_on_list_items() {
        let containers = json!([{"name": "a"}, {"name": "b"}, {"name": "c"}]);
        let mut o = json!({"spec": {"containers": containers}});
        let p = json!({"spec": {"containers": [{"name": "x"}, {"name": "b", "$patch": "delete"}]}});
        pod(&mut o, p).unwrap();
        assert_eq!(
            keys(&o["spec"]["containers"], "name"),
            vec![json!("x"), json!("a"), json!("c")]
        );
        let p = json!({"spec": {"containers": [{"name": "y"}, {"$patch": "replace"}]}});
        pod(&mut o, p).unwrap();
        assert_eq!(o["spec"]["containers"], json!([{"name": "y"}]));
        let p = json!({"spec": {"containers": [{"name": "y", "$patch": "keep"}]}});
        assert_eq!(
            pod(&mut o, p).unwrap_err().to_string(),
            "spec.containers: unknown list item directive \"keep\""
        );
    }

    #[test]
    fn strict_retain_keys_and_delete_from_primitive_list() {
        let mut o = json!({"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}});
        let p = json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}});
        api_server(&mut o, p, "apps/v1", "Deployment").unwrap();
        assert_eq!(o, json!({"spec": {"strategy": {"type": "Recreate"}}}));
        let p = json!({"spec": {"strategy": {"$retainKeys": ["type"], "other": 1}}});
        assert_eq!(
            api_server(&mut o, p, "apps/v1", "Deployment")
                .unwrap_err()
                .to_string(),
            "spec.strategy.$retainKeys: patch sets other, which is not in the list"
        );
        let mut o = json!({"metadata": {"finalizers": ["a", "b", "c"]}});
        let p = json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["b"]}});
        api_server(&mut o, p, "v1", "ConfigMap").unwrap();
        assert_eq!(o["metadata"]["finalizers"], json!(["a", "c"]));
        let p = json!({"metadata": {"$deleteFromPrimitiveList/finalizers": "b"}});
        assert_eq!(
            api_server(&mut o, p, "v1", "ConfigMap")
                .unwrap_err()
                .to_string(),
            "metadata.$deleteFromPrimitiveList/finalizers: must be a list"
        );
    }

    #[test]
    fn strict_rejects_set_element_order_missing_keys_and_mixed_lists() {
        let mut o = json!({"spec": {"containers": [{"name": "a"}]}});
        let p = json!({"spec": {"$setElementOrder/containers": [{"name": "a"}]}});
        assert_eq!(
            pod(&mut o, p).unwrap_err().to_string(),
            "spec.$setElementOrder/containers: $setElementOrder is not supported"
        );
        let p = json!({"spec": {"containers": [{"image": "x"}]}});
        assert_eq!(
            pod(&mut o, p).unwrap_err(),
            MergeError::MissingMergeKey {
                path: "spec.containers".into(),
                key: "name".into()
            }
        );
        let p = json!({"spec": {"containers": ["a"]}});
        assert_eq!(
            pod(&mut o, p).unwrap_err(),
            MergeError::MixedList {
                path: "spec.containers".into()
            }
        );
        let mut o = json!({"metadata": {"finalizers": ["a"]}});
        let p = json!({"metadata": {"finalizers": [{"a": 1}]}});
        assert!(matches!(
            api_server(&mut o, p, "v1", "Secret"),
            Err(MergeError::MixedList { .. })
        ));
    }

    #[test]
    fn strict_keys_compare_numbers_by_value_not_text() {
        let mut o = json!({"spec": {"ports": [{"port": 80, "name": "a"}]}});
        let p = json!({"spec": {"ports": [{"port": 80.0, "protocol": "TCP"}, {"port": "80"}]}});
        api_server(&mut o, p, "v1", "Service").unwrap();
        assert_eq!(
            o["spec"]["ports"],
            json!([{"port": 80.0, "name": "a", "protocol": "TCP"}, {"port": "80"}])
        );
    }

    #[test]
    fn lenient_replace_strips_nested_directives_and_ignores_delete_on_maps() {
        let mut o = json!({"metadata": {"labels": {"a": "1"}, "annotations": {"x": "y"}}});
        let p = json!({"metadata": {
            "labels": {"$patch": "replace", "m": {"$patch": "delete", "k": "v"}},
            "annotations": {"$patch": "delete", "z": "w"}}});
        lenient(&mut o, p);
        assert_eq!(
            o,
            json!({"metadata": {"labels": {"m": {"k": "v"}}, "annotations": {"x": "y", "z": "w"}}})
        );
    }

    #[test]
    fn lenient_deletes_items_in_order_and_drops_keyless_items() {
        let mut o = json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}]}});
        let p = json!({"spec": {"containers": [
            {"name": "c", "env": [{"name": "E", "$patch": "delete"}, {"name": "F"}]},
            {"name": "a", "$patch": "delete"},
            {"image": "no name"}
        ]}});
        lenient(&mut o, p);
        assert_eq!(
            o["spec"]["containers"],
            // The new item goes first (it has no place in the target); only its own `$patch` key
            // is stripped, not the delete items of its lists.
            json!([{"name": "c", "env": [{"name": "E"}, {"name": "F"}]}, {"name": "b"}])
        );
    }

    #[test]
    fn lenient_keys_compare_by_text_and_dollar_keys_are_plain() {
        let mut o =
            json!({"spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80}]}]}});
        let p = json!({"spec": {"containers": [{"name": "c",
            "ports": [{"containerPort": "80", "name": "http"}]}], "$retainKeys": ["x"]}});
        lenient(&mut o, p);
        assert_eq!(
            o,
            json!({"spec": {"$retainKeys": ["x"], "containers": [{"name": "c",
                "ports": [{"containerPort": "80", "name": "http"}]}]}})
        );
    }

    #[test]
    fn ignored_directives_are_ordinary_keys() {
        let options = Options {
            directives: Directives::Ignored,
            ..API_SERVER_OPTIONS
        };
        let mut o = json!({"metadata": {"labels": {"a": "1"}}});
        let p = json!({"metadata": {"labels": {"$patch": "replace"}}});
        merge(&mut o, p, Type::Pod, &options).unwrap();
        assert_eq!(
            o,
            json!({"metadata": {"labels": {"a": "1", "$patch": "replace"}}})
        );
    }

    #[test]
    fn enforce_order_interleaves_target_only_items() {
        // Target a b c d, patch d b e: a and c keep their place before d (the first patched item
        // in the target), the patched items keep the patch's order.
        let merged = vec!["a", "b", "c", "d", "e"];
        let patch = ["d", "b", "e"];
        let original = ["a", "b", "c", "d"];
        let out = enforce_order(
            merged,
            |v| patch.iter().position(|p| p == v),
            |v| original.iter().position(|o| o == v),
        );
        assert_eq!(out, vec!["a", "c", "d", "b", "e"]);
    }

    #[test]
    fn keyless_target_items_move_first_only_when_sorting() {
        let merged = vec![Some(1), None, Some(3), Some(2)];
        let patch_index = |v: &Option<i32>| (*v == Some(2)).then_some(0);
        let original_index = |v: &Option<i32>| match v {
            Some(1) => Some(0),
            Some(2) => Some(1),
            Some(3) => Some(2),
            _ => None,
        };
        assert_eq!(
            interleave(merged.clone(), patch_index, original_index, true),
            vec![Some(2), None, Some(1), Some(3)]
        );
        assert_eq!(
            interleave(merged, patch_index, original_index, false),
            vec![Some(1), Some(2), None, Some(3)]
        );
    }
}
