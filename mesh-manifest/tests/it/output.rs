//! Output: the single YAML stream, the staged files and the apply instructions.

use crate::support::STAGE_FILES;
use mesh_core::Value;
use mesh_manifest::output::{ApplyStep, apply_plan};
use mesh_manifest::{
    Object, ObjectId, OrderOptions, apply_instructions, manifest_yaml, order, stage_files,
    write_manifest_yaml, yaml_stream,
};
use serde_json::json;

fn install() -> mesh_manifest::Manifest {
    let objects = vec![
        Object::new(
            None,
            json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
                "metadata": {"name": "injector"},
                "webhooks": [{"name": "a.example.com", "clientConfig": {"service": {"namespace": "sys", "name": "api"}}}]}),
        ),
        Object::new(
            None,
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api", "namespace": "sys"},
                "spec": {"selector": {"app": "api"}, "ports": [{"port": 443}]}}),
        ),
        Object::new(
            None,
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": "sys"},
                "spec": {"template": {"metadata": {"labels": {"app": "api", "extra": "x"}},
                    "spec": {"containers": [{"name": "c"}]}}}}),
        ),
        Object::new(
            None,
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "other", "namespace": "sys"},
                "spec": {"template": {"metadata": {"labels": {"app": "other"}},
                    "spec": {"containers": [{"name": "c"}]}}}}),
        ),
        Object::new(
            None,
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "sys"},
                "data": {"on": "yes", "mode": "0755", "version": "1.0", "port": "443", "empty": "",
                    "text": "line one\nline two\n"}}),
        ),
        Object::new(
            None,
            json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                "metadata": {"name": "widgets.example.com"},
                "spec": {"group": "example.com", "names": {"kind": "Widget", "plural": "widgets"}}}),
        ),
        Object::new(
            None,
            json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "sys"}}),
        ),
    ];
    order(objects, &OrderOptions::default()).unwrap()
}

#[test]
fn stream_separates_documents_and_reads_back_to_the_same_objects() {
    let manifest = install();
    let text = manifest_yaml(&manifest);
    assert!(!text.starts_with("---"), "no leading separator");
    assert!(text.ends_with('\n') && !text.ends_with("---\n"));
    assert_eq!(text.matches("\n---\n").count(), manifest.len() - 1);
    let back = mesh_core::from_yaml_stream(&text, "out").unwrap();
    let want: Vec<Value> = manifest.objects().map(|o| o.value.clone()).collect();
    assert_eq!(back, want);
}

#[test]
fn stream_quotes_strings_that_yaml_1_1_would_read_as_other_types() {
    let cm = Object::new(
        None,
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
            "data": {"a": "yes", "b": "on", "c": "0755", "d": "1.0", "e": "443", "f": "", "g": "null", "y": "n"}}),
    );
    let text = yaml_stream([&cm]);
    for line in [
        "  a: 'yes'",
        "  b: 'on'",
        "  c: '0755'",
        "  d: '1.0'",
        "  e: '443'",
        "  f: ''",
        "  g: 'null'",
    ] {
        assert!(text.contains(line), "{line:?} in\n{text}");
    }
    // `y` and `n` are booleans to YAML 1.1, as keys too.
    assert!(text.contains("'y': 'n'"), "{text}");
    // Keys are sorted, lists are not indented under their key (sigs.k8s.io/yaml layout).
    let list = Object::new(None, json!({"b": [1, 2], "a": {"z": 1, "m": 2}}));
    assert_eq!(yaml_stream([&list]), "a:\n  m: 2\n  z: 1\nb:\n- 1\n- 2\n");
}

#[test]
fn stage_files_split_the_stream_by_stage() {
    let manifest = install();
    let files = stage_files(&manifest);
    let names: Vec<&str> = files.iter().map(|f| f.file_name.as_str()).collect();
    assert_eq!(names, STAGE_FILES);
    let kinds = |content: &str| -> Vec<String> {
        mesh_core::from_yaml_stream(content, "stage")
            .unwrap()
            .iter()
            .map(|v| ObjectId::of_value(v).to_string())
            .collect()
    };
    assert_eq!(
        kinds(&files[0].content),
        [
            "Namespace/sys",
            "CustomResourceDefinition.apiextensions.k8s.io/widgets.example.com"
        ]
    );
    assert_eq!(
        kinds(&files[1].content),
        ["ConfigMap/sys/cfg", "Widget.example.com/sys/w"]
    );
    assert_eq!(
        kinds(&files[3].content),
        ["MutatingWebhookConfiguration.admissionregistration.k8s.io/injector"]
    );
    let joined: Vec<String> = files.iter().map(|f| f.content.clone()).collect();
    assert_eq!(joined.join("---\n"), manifest_yaml(&manifest));
}

#[test]
fn apply_plan_waits_for_crds_and_for_the_webhook_backends() {
    let manifest = install();
    let plan = apply_plan(&manifest);
    let apply = |f: &str| ApplyStep::Apply {
        file_name: f.to_string(),
    };
    assert_eq!(
        plan,
        vec![
            apply("00-namespaces-crds.yaml"),
            ApplyStep::WaitEstablished {
                crds: vec!["widgets.example.com".to_string()]
            },
            apply("01-config-rbac.yaml"),
            apply("02-workloads.yaml"),
            ApplyStep::WaitRollout {
                workloads: vec![ObjectId::new("apps", "Deployment", "sys", "api")]
            },
            apply("03-webhooks.yaml"),
        ]
    );
    let text = apply_instructions(&manifest, "out/");
    let want = "# Apply the stages in order:
kubectl apply -f out/00-namespaces-crds.yaml
kubectl wait --for=condition=Established --timeout=120s \\
    crd/widgets.example.com
kubectl apply -f out/01-config-rbac.yaml
kubectl apply -f out/02-workloads.yaml
kubectl rollout status -n sys deployment/api --timeout=300s
kubectl apply -f out/03-webhooks.yaml
";
    assert_eq!(text, want);
}

#[test]
fn a_single_stage_needs_no_waits() {
    let cm = Object::new(
        None,
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "kube-system"}}),
    );
    let manifest = order(vec![cm], &OrderOptions::default()).unwrap();
    assert_eq!(
        apply_instructions(&manifest, ""),
        "# Apply the stages in order:\nkubectl apply -f 01-config-rbac.yaml\n"
    );
}

#[test]
fn reference_manifest_round_trips_through_the_stream() {
    let Some(path) = mesh_test_support::reference_path("manifest/profile-minimal/expected.yaml")
    else {
        return;
    };
    let text = mesh_test_support::read(&path);
    let docs = mesh_core::from_yaml_stream(&text, "expected.yaml").unwrap();
    let objects: Vec<Object> = docs.iter().cloned().map(|d| Object::new(None, d)).collect();
    let manifest = order(objects, &OrderOptions::default()).unwrap();
    let out = manifest_yaml(&manifest);
    let back = mesh_core::from_yaml_stream(&out, "out").unwrap();
    let mut want: Vec<String> = docs.iter().map(Value::to_string).collect();
    let mut got: Vec<String> = back
        .iter()
        .filter(|d| d["kind"] != "Namespace")
        .map(Value::to_string)
        .collect();
    want.sort();
    got.sort();
    assert_eq!(want, got);
    let plan = apply_plan(&manifest);
    assert!(matches!(&plan[1], ApplyStep::WaitEstablished { crds } if crds.len() > 10));
    assert!(
        plan.iter()
            .any(|s| matches!(s, ApplyStep::WaitRollout { workloads }
        if workloads == &vec![ObjectId::new("apps", "Deployment", "istio-system", "istiod")]))
    );
}

/// `write_manifest_yaml` writes the very stream `manifest_yaml` prints, on a small install and
/// on the default profile's, whose CRDs are text printed when mesh was built: each of those
/// is written from where it lies, in one write, not copied first.
#[test]
fn the_written_stream_is_manifest_yaml() {
    /// Keeps the bytes and the address of each write.
    #[derive(Default)]
    struct Recorder {
        bytes: Vec<u8>,
        writes: Vec<*const u8>,
    }
    impl std::io::Write for Recorder {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.bytes.extend_from_slice(buf);
            self.writes.push(buf.as_ptr());
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let resolved = mesh_profiles::resolve(&mesh_profiles::Inputs::default()).unwrap();
    let default = mesh_manifest::generate::generate(&resolved, &Default::default()).unwrap();
    for manifest in [install(), default] {
        let mut recorder = Recorder::default();
        write_manifest_yaml(&manifest, &mut recorder).unwrap();
        assert_eq!(
            String::from_utf8(recorder.bytes).unwrap(),
            manifest_yaml(&manifest)
        );
        let prebuilt: Vec<&str> = manifest
            .objects()
            .filter_map(|o| o.value.printed_yaml())
            .collect();
        for text in &prebuilt {
            assert!(recorder.writes.contains(&text.as_ptr()), "written in place");
        }
        if manifest.objects().count() > 20 {
            assert!(
                prebuilt.len() >= 10,
                "{} prebuilt CRD texts",
                prebuilt.len()
            );
        }
    }
}
