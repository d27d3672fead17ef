//! Revision tags on a cluster, judged from what the cluster holds (pure): which tags exist and
//! where they point, which namespaces use them, and whether a tag may be set or removed.
//!
//! A tag is a MutatingWebhookConfiguration labelled `istio.io/tag: <tag>` and
//! `istio.io/rev: <revision>` (`istio-revision-tag-<tag>`, plus the Service
//! `istiod-revision-tag-<tag>` since Istio 1.28). A revision's own ("canonical") webhook
//! configuration carries `istio.io/rev` and no `istio.io/tag`.

use crate::labels::{REVISION_LABEL, label_of};
use serde_json::Value;
use std::collections::BTreeMap;

/// The label naming a tag.
pub const TAG_LABEL: &str = "istio.io/tag";

/// One tag as found on the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagInfo {
    /// The tag.
    pub tag: String,
    /// The revision it points at.
    pub revision: String,
    /// Its webhook configuration's name.
    pub webhook: String,
    /// The namespaces labelled `istio.io/rev=<tag>`, sorted.
    pub namespaces: Vec<String>,
}

/// Why a tag cannot be set (or removed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    /// A revision of that name is installed: the tag would select two injectors.
    #[error(
        "cannot create tag {tag:?}: a control plane revision of that name is installed (its webhook configuration {webhook})"
    )]
    RevisionNamed {
        /// The tag asked for.
        tag: String,
        /// The revision's webhook configuration.
        webhook: String,
    },
    /// The revision the tag should point at is not installed.
    #[error(
        "cannot point tag {tag:?} at revision {revision:?}: no webhook configuration of that revision is installed (install it first)"
    )]
    NoSuchRevision {
        /// The tag asked for.
        tag: String,
        /// The missing revision.
        revision: String,
    },
    /// The tag exists and `--overwrite` was not given.
    #[error(
        "tag {tag:?} already exists and points at revision {revision:?}; pass --overwrite to move it"
    )]
    Exists {
        /// The tag.
        tag: String,
        /// Where it points now.
        revision: String,
    },
    /// Another revision's webhook configuration already injects the namespaces a `default`
    /// tag would inject: both would inject the same pods (istio#43932).
    #[error(
        "cannot point tag \"default\" at revision {revision:?}: webhook configuration {webhook} of revision {other:?} already injects namespaces labelled istio-injection=enabled (and pods labelled sidecar.istio.io/inject=true); both would inject the same pods. Remove that revision's default injection first (uninstall it, or re-install it as a revision with -r), then set the tag"
    )]
    DefaultConflict {
        /// The revision the default tag should point at.
        revision: String,
        /// The conflicting webhook configuration.
        webhook: String,
        /// Its revision.
        other: String,
    },
    /// Namespaces still select the tag (`remove` without confirmation).
    #[error(
        "tag {tag:?} is still used by namespace(s) {}: their new pods would not be injected; relabel them, or pass -y to remove it anyway",
        namespaces.join(", ")
    )]
    InUse {
        /// The tag.
        tag: String,
        /// The namespaces labelled with it.
        namespaces: Vec<String>,
    },
    /// No such tag on the cluster.
    #[error("no tag {tag:?} on the cluster")]
    NotFound {
        /// The tag.
        tag: String,
    },
}

fn name(object: &Value) -> &str {
    object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// The namespaces (of `namespaces`, Namespace objects) labelled `istio.io/rev=<value>`, sorted.
pub fn namespaces_selecting(value: &str, namespaces: &[Value]) -> Vec<String> {
    let mut out: Vec<String> = namespaces
        .iter()
        .filter(|ns| label_of(ns, REVISION_LABEL) == Some(value))
        .map(|ns| name(ns).to_string())
        .collect();
    out.sort();
    out
}

/// The tags among `webhooks` (MutatingWebhookConfigurations), with the namespaces using each,
/// sorted by tag.
pub fn tags_of(webhooks: &[Value], namespaces: &[Value]) -> Vec<TagInfo> {
    let mut tags: BTreeMap<String, TagInfo> = BTreeMap::new();
    for wh in webhooks {
        let Some(tag) = label_of(wh, TAG_LABEL) else {
            continue;
        };
        tags.insert(
            tag.to_string(),
            TagInfo {
                tag: tag.to_string(),
                revision: label_of(wh, REVISION_LABEL)
                    .unwrap_or("default")
                    .to_string(),
                webhook: name(wh).to_string(),
                namespaces: namespaces_selecting(tag, namespaces),
            },
        );
    }
    tags.into_values().collect()
}

/// The revisions' own webhook configurations: labelled with a revision, not with a tag.
fn canonical(webhooks: &[Value]) -> impl Iterator<Item = (&Value, &str)> {
    webhooks.iter().filter_map(|wh| {
        if label_of(wh, TAG_LABEL).is_some() {
            return None;
        }
        label_of(wh, REVISION_LABEL).map(|rev| (wh, rev))
    })
}

/// Whether a webhook configuration has entries that inject by the default selectors
/// (`istio-injection=enabled`, `sidecar.istio.io/inject=true`): entries whose names do not
/// start with `rev.` (those select by `istio.io/rev`).
fn injects_by_default(webhook: &Value) -> bool {
    webhook
        .get("webhooks")
        .and_then(Value::as_array)
        .is_some_and(|entries| {
            entries.iter().any(|e| {
                e.get("name").and_then(Value::as_str).is_some_and(|n| {
                    n.ends_with("sidecar-injector.istio.io") && !n.starts_with("rev.")
                })
            })
        })
}

/// Checks that `tag` may be pointed at `revision`, given the cluster's
/// MutatingWebhookConfigurations.
pub fn check_set(
    tag: &str,
    revision: &str,
    webhooks: &[Value],
    overwrite: bool,
) -> Result<(), TagError> {
    // The revision installed without a name is labelled `default`; the `default` tag is how
    // default injection moves to another revision, judged by the conflict check below.
    if tag != "default"
        && let Some((wh, _)) = canonical(webhooks).find(|(_, rev)| *rev == tag)
    {
        return Err(TagError::RevisionNamed {
            tag: tag.to_string(),
            webhook: name(wh).to_string(),
        });
    }
    if !canonical(webhooks).any(|(_, rev)| rev == revision) {
        return Err(TagError::NoSuchRevision {
            tag: tag.to_string(),
            revision: revision.to_string(),
        });
    }
    if let Some(existing) = webhooks
        .iter()
        .find(|wh| label_of(wh, TAG_LABEL) == Some(tag))
    {
        let points_at = label_of(existing, REVISION_LABEL).unwrap_or("default");
        if !overwrite {
            return Err(TagError::Exists {
                tag: tag.to_string(),
                revision: points_at.to_string(),
            });
        }
    }
    if tag == "default"
        && let Some((wh, other)) =
            canonical(webhooks).find(|(wh, rev)| *rev != revision && injects_by_default(wh))
    {
        return Err(TagError::DefaultConflict {
            revision: revision.to_string(),
            webhook: name(wh).to_string(),
            other: other.to_string(),
        });
    }
    Ok(())
}

/// The CA bundle istiod has put on `revision`'s own injection webhook configuration (the first
/// non-empty `clientConfig.caBundle` of its entries), if any.
pub fn revision_ca_bundle<'a>(revision: &str, webhooks: &'a [Value]) -> Option<&'a str> {
    let (wh, _) = canonical(webhooks).find(|(_, rev)| *rev == revision)?;
    wh.get("webhooks")?
        .as_array()?
        .iter()
        .filter_map(|e| e.pointer("/clientConfig/caBundle").and_then(Value::as_str))
        .find(|ca| !ca.is_empty())
}

/// Gives every entry of a tag's webhook configuration `ca_bundle`, as istioctl does when it
/// sets a tag: a tag's configuration is rendered with an empty bundle, which istiod fills in
/// only when it notices the new object, and until then the API server cannot call the
/// injector (with `failurePolicy: Fail`, pods of the tag's namespaces are refused).
pub fn with_ca_bundle(tag_webhook: &mut Value, ca_bundle: &str) {
    let entries = tag_webhook
        .get_mut("webhooks")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten();
    for entry in entries {
        if let Some(config) = entry.get_mut("clientConfig").and_then(Value::as_object_mut) {
            config.insert("caBundle".into(), Value::String(ca_bundle.to_string()));
        }
    }
}

/// Checks that `tag` may be removed: it exists, and no namespace selects it unless `force`.
/// Returns the tag as found.
pub fn check_remove(
    tag: &str,
    webhooks: &[Value],
    namespaces: &[Value],
    force: bool,
) -> Result<TagInfo, TagError> {
    let info = tags_of(webhooks, namespaces)
        .into_iter()
        .find(|t| t.tag == tag)
        .ok_or_else(|| TagError::NotFound {
            tag: tag.to_string(),
        })?;
    if !info.namespaces.is_empty() && !force {
        return Err(TagError::InUse {
            tag: tag.to_string(),
            namespaces: info.namespaces,
        });
    }
    Ok(info)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use serde_json::json;

    fn webhook(name: &str, rev: &str, tag: Option<&str>, entries: &[&str]) -> Value {
        let mut labels = json!({"istio.io/rev": rev});
        if let Some(t) = tag {
            labels["istio.io/tag"] = json!(t);
        }
        json!({
            "metadata": {"name": name, "labels": labels},
            "webhooks": entries.iter().map(|n| json!({"name": n})).collect::<Vec<_>>(),
        })
    }

    fn default_rev() -> Value {
        webhook(
            "istio-sidecar-injector",
            "default",
            None,
            &[
                "rev.namespace.sidecar-injector.istio.io",
                "rev.object.sidecar-injector.istio.io",
                "namespace.sidecar-injector.istio.io",
                "object.sidecar-injector.istio.io",
            ],
        )
    }

    fn canary() -> Value {
        webhook(
            "istio-sidecar-injector-canary",
            "canary",
            None,
            &[
                "rev.namespace.sidecar-injector.istio.io",
                "rev.object.sidecar-injector.istio.io",
            ],
        )
    }

    fn ns(name: &str, rev: Option<&str>) -> Value {
        match rev {
            Some(r) => json!({"metadata": {"name": name, "labels": {"istio.io/rev": r}}}),
            None => json!({"metadata": {"name": name}}),
        }
    }

    #[test]
    fn a_tag_points_at_an_installed_revision_only() {
        let whs = [default_rev(), canary()];
        assert!(check_set("prod", "canary", &whs, false).is_ok());
        assert!(matches!(
            check_set("prod", "stable", &whs, false),
            Err(TagError::NoSuchRevision { .. })
        ));
        assert!(matches!(
            check_set("canary", "default", &whs, false),
            Err(TagError::RevisionNamed { .. })
        ));
    }

    #[test]
    fn moving_a_tag_needs_overwrite() {
        let whs = [
            default_rev(),
            canary(),
            webhook("istio-revision-tag-prod", "default", Some("prod"), &[]),
        ];
        let err = check_set("prod", "canary", &whs, false).unwrap_err();
        assert_eq!(
            err,
            TagError::Exists {
                tag: "prod".into(),
                revision: "default".into()
            }
        );
        assert!(err.to_string().contains("--overwrite"));
        assert!(check_set("prod", "canary", &whs, true).is_ok());
    }

    #[test]
    fn a_default_tag_may_not_overlap_another_revisions_default_injection() {
        let whs = [default_rev(), canary()];
        let err = check_set("default", "canary", &whs, true).unwrap_err();
        assert!(matches!(err, TagError::DefaultConflict { ref other, .. } if other == "default"));
        // Without the default revision's default entries, the canary may take the tag.
        let revisioned_default = webhook(
            "istio-sidecar-injector",
            "default",
            None,
            &["rev.namespace.sidecar-injector.istio.io"],
        );
        assert!(check_set("default", "canary", &[revisioned_default, canary()], false).is_ok());
    }

    #[test]
    fn tags_list_their_revision_and_namespaces() {
        let whs = [
            default_rev(),
            canary(),
            webhook("istio-revision-tag-prod", "canary", Some("prod"), &[]),
            webhook("istio-revision-tag-dev", "default", Some("dev"), &[]),
        ];
        let nss = [
            ns("a", Some("prod")),
            ns("b", Some("prod")),
            ns("c", Some("canary")),
            ns("d", None),
        ];
        let tags = tags_of(&whs, &nss);
        assert_eq!(tags.len(), 2);
        assert_eq!(tags[0].tag, "dev");
        assert_eq!(tags[1].revision, "canary");
        assert_eq!(tags[1].namespaces, ["a", "b"]);
    }

    #[test]
    fn removing_a_tag_in_use_needs_force() {
        let whs = [webhook(
            "istio-revision-tag-prod",
            "canary",
            Some("prod"),
            &[],
        )];
        let nss = [ns("shop", Some("prod"))];
        let err = check_remove("prod", &whs, &nss, false).unwrap_err();
        assert!(err.to_string().contains("shop"));
        assert!(check_remove("prod", &whs, &nss, true).is_ok());
        assert!(matches!(
            check_remove("dev", &whs, &nss, true),
            Err(TagError::NotFound { .. })
        ));
    }

    #[test]
    fn a_tag_takes_its_revisions_ca_bundle() {
        let mut canary = canary();
        canary["webhooks"][1]["clientConfig"] = json!({"caBundle": "Q0E="});
        let hooks = [default_rev(), canary];
        assert_eq!(revision_ca_bundle("canary", &hooks), Some("Q0E="));
        // The default revision's entries have no bundle yet (istiod has not patched them).
        assert_eq!(revision_ca_bundle("default", &hooks), None);
        assert_eq!(revision_ca_bundle("stable", &hooks), None);

        let mut tag = webhook(
            "istio-revision-tag-prod",
            "canary",
            Some("prod"),
            &["a", "b"],
        );
        tag["webhooks"][0]["clientConfig"] =
            json!({"service": {"name": "istiod-canary"}, "caBundle": ""});
        tag["webhooks"][1]["clientConfig"] = json!({"url": "https://x/inject"});
        with_ca_bundle(&mut tag, "Q0E=");
        for entry in tag["webhooks"].as_array().unwrap() {
            assert_eq!(entry["clientConfig"]["caBundle"], "Q0E=", "{entry}");
        }
        assert_eq!(
            tag["webhooks"][0]["clientConfig"]["service"]["name"],
            "istiod-canary"
        );
    }
}
