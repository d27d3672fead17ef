//! `manifest diff`: per-object semantic diff of two manifest streams.

use mesh_manifest::ObjectId;
use mesh_manifest::diff::{Change, DiffError, diff_streams};
use serde_json::json;

const OLD: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: istiod
  namespace: istio-system
  creationTimestamp: null
spec:
  replicas: 1
  template:
    spec:
      containers:
      - name: discovery
        image: pilot:1.30.3
        env:
        - name: A
          value: "1"
        - name: B
          value: "2"
      - name: sidecar
        image: proxy
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: istio
  namespace: istio-system
data:
  mesh: |-
    defaultConfig:
      discoveryAddress: istiod.istio-system.svc:15012
    enablePrometheusMerge: true
  values: '{"global":{"hub":"docker.io/istio","tag":"1.30.3"}}'
  plain: hello
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: gone
  namespace: istio-system
"#;

/// OLD with objects and keys reordered and numbers written as floats: no semantic change.
const OLD_REORDERED: &str = r#"
kind: ConfigMap
apiVersion: v1
data:
  plain: hello
  values: |
    global:
      tag: "1.30.3"
      hub: docker.io/istio
  mesh: '{"enablePrometheusMerge": true, "defaultConfig": {"discoveryAddress": "istiod.istio-system.svc:15012"}}'
metadata:
  namespace: istio-system
  name: istio
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ServiceAccount
  metadata:
    name: gone
    namespace: istio-system
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    namespace: istio-system
    name: istiod
  spec:
    replicas: 1.0
    template:
      spec:
        containers:
        - name: discovery
          image: pilot:1.30.3
          env:
          - value: "1"
            name: A
          - name: B
            value: "2"
        - name: sidecar
          image: proxy
"#;

/// [`OLD`] with the changes the diff must report: a field removed, a number changed, a list
/// item added and one changed, a document's value changed, an object removed and one added.
fn new_manifest() -> String {
    let edits = [
        ("  creationTimestamp: null\n", ""),
        ("  replicas: 1\n", "  replicas: 3\n"),
        (
            "        - name: B\n          value: \"2\"\n",
            "        - name: NEW\n          value: x\n        - name: B\n          value: \"3\"\n",
        ),
        (
            "enablePrometheusMerge: true",
            "enablePrometheusMerge: false",
        ),
        (
            "kind: ServiceAccount\nmetadata:\n  name: gone",
            "kind: Service\nmetadata:\n  name: istiod",
        ),
    ];
    edits.iter().fold(OLD.to_string(), |text, (from, to)| {
        assert!(text.contains(from), "OLD has no {from:?}");
        text.replace(from, to)
    })
}

#[test]
fn semantically_equal_manifests_have_an_empty_diff() {
    let diff = diff_streams(OLD, "old.yaml", OLD_REORDERED, "reordered.yaml").unwrap();
    assert!(diff.is_empty(), "{diff}");
    assert_eq!(diff.render(), "0 added, 0 removed, 0 changed");
}

#[test]
fn added_removed_and_changed_objects_with_their_paths() {
    let diff = diff_streams(OLD, "old.yaml", &new_manifest(), "new.yaml").unwrap();
    assert!(!diff.is_empty());
    assert_eq!(
        diff.added,
        [ObjectId::new("", "Service", "istio-system", "istiod")]
    );
    assert_eq!(
        diff.removed,
        [ObjectId::new("", "ServiceAccount", "istio-system", "gone")]
    );
    assert_eq!(diff.changed.len(), 2);

    let cm = &diff.changed[0];
    assert_eq!(
        cm.id,
        ObjectId::new("", "ConfigMap", "istio-system", "istio")
    );
    assert_eq!(
        cm.changes,
        [Change {
            path: "data.mesh::enablePrometheusMerge".to_string(),
            old: Some(json!(true)),
            new: Some(json!(false)),
        }]
    );

    let deploy = &diff.changed[1];
    let paths: Vec<&str> = deploy.changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "spec.replicas",
            "spec.template.spec.containers[name=discovery].env[name=B].value",
            "spec.template.spec.containers[name=discovery].env[name=NEW]",
        ]
    );
    assert_eq!(deploy.changes[0].old, Some(json!(1)));
    assert_eq!(deploy.changes[0].new, Some(json!(3)));
    assert_eq!(deploy.changes[2].old, None);
    assert_eq!(
        deploy.changes[2].new,
        Some(json!({"name": "NEW", "value": "x"}))
    );

    let text = diff.render();
    let want = r#"- ServiceAccount/istio-system/gone (removed)
+ Service/istio-system/istiod (added)
~ ConfigMap/istio-system/istio (changed)
    data.mesh::enablePrometheusMerge: true -> false
~ Deployment.apps/istio-system/istiod (changed)
    spec.replicas: 1 -> 3
    spec.template.spec.containers[name=discovery].env[name=B].value: "2" -> "3"
    spec.template.spec.containers[name=discovery].env[name=NEW]: (absent) -> {"name":"NEW","value":"x"}
1 added, 1 removed, 2 changed"#;
    assert_eq!(text, want);
}

#[test]
fn reordering_named_items_is_reported_once() {
    let a = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a}, {name: b}]\n";
    let b = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: b}, {name: a}]\n";
    let diff = diff_streams(a, "a", b, "b").unwrap();
    let changes = &diff.changed[0].changes;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].path, "spec.containers (order)");
    assert_eq!(changes[0].old, Some(json!(["a", "b"])));
    assert_eq!(changes[0].new, Some(json!(["b", "a"])));
}

#[test]
fn unnamed_lists_compare_by_index_and_multiline_strings_show_a_line_diff() {
    let a = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nspec:\n  args: [x, y]\ndata:\n  script: \"one\\ntwo\\nthree\\n\"\n";
    let b = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nspec:\n  args: [x, z, w]\ndata:\n  script: \"one\\n2\\nthree\\n\"\n";
    let diff = diff_streams(a, "a", b, "b").unwrap();
    let paths: Vec<&str> = diff.changed[0]
        .changes
        .iter()
        .map(|c| c.path.as_str())
        .collect();
    assert_eq!(paths, ["data.script", "spec.args[1]", "spec.args[2]"]);
    let text = diff.render();
    assert!(
        text.contains("    data.script:\n        one\n      - two\n      + 2\n        three\n"),
        "{text}"
    );
}

#[test]
fn bad_input_names_the_file_and_document() {
    let err = diff_streams("- just\n- a list\n", "a.yaml", "", "b.yaml").unwrap_err();
    assert_eq!(
        err.to_string(),
        "a.yaml: document 1: not a Kubernetes object (a map)"
    );
    let err = diff_streams(
        "",
        "a.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n",
        "b.yaml",
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "b.yaml: document 1: missing metadata.name");
    let twice = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n";
    let err = diff_streams(twice, "a.yaml", "", "b.yaml").unwrap_err();
    assert_eq!(
        err.to_string(),
        "a.yaml: ConfigMap/x appears more than once"
    );
    let err = diff_streams("a: [", "broken.yaml", "", "b.yaml").unwrap_err();
    assert!(matches!(err, DiffError::Yaml(_)));
    assert!(
        err.to_string()
            .starts_with("broken.yaml:1:4: unclosed \"[\""),
        "{err}"
    );
}
