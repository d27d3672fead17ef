//! meshctl's profile, version and bad-input behaviour, run as a process: output, exit codes,
//! error lines on stderr.

use super::support::{meshctl, meshctl_stdin, text};
use mesh_test_support::TempDir;
use std::process::Output;

/// Writes `content` to a file of its own (removed when the returned folder drops).
fn temp_file(name: &str, content: &str) -> (TempDir, std::path::PathBuf) {
    let dir = TempDir::new("meshctl-profile");
    let path = dir.write(name, content);
    (dir, path)
}

#[test]
fn profile_list_names_all_profiles() {
    let out = meshctl(&["profile", "list"]);
    assert!(out.status.success());
    let s = text(&out.stdout);
    for p in [
        "ambient",
        "default",
        "demo",
        "empty",
        "minimal",
        "openshift",
        "openshift-ambient",
        "preview",
        "remote",
        "stable",
    ] {
        assert!(s.lines().any(|l| l.trim() == p), "{p} missing in {s}");
    }
}

#[test]
fn profile_diff_exit_codes() {
    let same = meshctl(&["profile", "diff", "default", "default"]);
    assert_eq!(same.status.code(), Some(0));
    assert!(text(&same.stdout).contains("Profiles are identical"));
    let diff = meshctl(&["profile", "diff", "default", "demo"]);
    assert_eq!(diff.status.code(), Some(1));
    assert!(
        text(&diff.stdout).contains("+  profile: demo"),
        "{}",
        text(&diff.stdout)
    );
}

#[test]
fn dump_round_trips_through_a_file_and_stdin() {
    let dumped = meshctl(&["profile", "dump", "demo"]);
    assert!(dumped.status.success());
    let (_file_dir, file) = temp_file("demo.yaml", &text(&dumped.stdout));
    let again = meshctl(&["profile", "dump", "-f", file.to_str().unwrap()]);
    assert_eq!(text(&again.stdout), text(&dumped.stdout));
    let stdin = meshctl_stdin(&["profile", "dump", "-f", "-"], &text(&dumped.stdout));
    assert_eq!(text(&stdin.stdout), text(&dumped.stdout));
}

#[test]
fn dump_config_path_and_formats() {
    let out = meshctl(&[
        "profile",
        "dump",
        "-p",
        "values.global.istioNamespace",
        "-o",
        "json",
    ]);
    assert_eq!(text(&out.stdout), "\"istio-system\"\n");
    let out = meshctl(&["profile", "dump", "demo", "-p", "components", "-o", "flags"]);
    assert!(text(&out.stdout).contains("components.egressGateways[0].enabled=true\n"));
    let out = meshctl(&[
        "profile",
        "dump",
        "--values",
        "-p",
        "Pilot/istiod.autoscaleEnabled",
        "-o",
        "json",
    ]);
    assert_eq!(text(&out.stdout), "true\n");
}

#[test]
fn version_prints_istio_version_hub_and_tag() {
    let out = meshctl(&["version"]);
    let s = text(&out.stdout);
    assert!(s.contains("1.30.3") && s.contains("docker.io/istio"), "{s}");
}

fn assert_bad_input(out: &Output, wants: &[&str]) {
    assert_eq!(out.status.code(), Some(2), "stderr: {}", text(&out.stderr));
    let err = text(&out.stderr);
    for w in wants {
        assert!(err.contains(w), "want {w:?} in stderr:\n{err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn bad_inputs_exit_2_with_clear_errors() {
    let (_malformed_dir, malformed) = temp_file("malformed.yaml", "spec:\n  components: [\n");
    assert_bad_input(
        &meshctl(&["profile", "dump", "-f", malformed.to_str().unwrap()]),
        &["malformed.yaml:2:15: unclosed \"[\""],
    );

    let (_two_dir, two) = temp_file("two.yaml", "spec: {}\n---\nspec: {}\n");
    assert_bad_input(
        &meshctl(&["profile", "dump", "-f", two.to_str().unwrap()]),
        &["two.yaml", "2 YAML documents"],
    );

    let (_unknown_dir, unknown) = temp_file(
        "unknown.yaml",
        "spec:\n  componets: {}\n  components:\n    pilot:\n      k8s:\n        replicaCuont: 2\n  values:\n    pilot:\n      autoscaleEnabeld: false\n",
    );
    assert_bad_input(
        &meshctl(&["profile", "dump", "-f", unknown.to_str().unwrap()]),
        &[
            "unknown.yaml: spec.componets: unknown field (did you mean \"components\"?)",
            "unknown.yaml: spec.components.pilot.k8s.replicaCuont: unknown field (did you mean \"replicaCount\"?)",
            "unknown.yaml: spec.values.pilot.autoscaleEnabeld: unknown field (did you mean \"autoscaleEnabled\"?)",
        ],
    );

    let (_wrong_type_dir, wrong_type) = temp_file(
        "types.yaml",
        "spec:\n  components:\n    pilot:\n      enabled: maybe\n      k8s:\n        resources: 5\n",
    );
    assert_bad_input(
        &meshctl(&["profile", "dump", "-f", wrong_type.to_str().unwrap()]),
        &[
            "types.yaml: spec.components.pilot.enabled: expected a boolean, got the string \"maybe\"",
            "spec.components.pilot.k8s.resources",
        ],
    );

    assert_bad_input(
        &meshctl(&[
            "profile",
            "dump",
            "--set",
            "components.ingressGateways[name:nope].enabled=true",
        ]),
        &[
            "--set components.ingressGateways[name:nope].enabled=true",
            "[name:nope]",
        ],
    );
    assert_bad_input(
        &meshctl(&["profile", "dump", "--set", "novalue"]),
        &["expected path=value"],
    );
    assert_bad_input(
        &meshctl(&["profile", "dump", "dmeo"]),
        &["unknown profile \"dmeo\" (did you mean \"demo\"?)"],
    );
    assert_bad_input(
        &meshctl(&["profile", "dump", "--set", "revision=Not_Valid"]),
        &["--set revision=Not_Valid: spec.revision: invalid revision"],
    );
    assert_bad_input(
        &meshctl(&["profile", "dump", "-f", "/nonexistent/file.yaml"]),
        &["/nonexistent/file.yaml"],
    );
    assert_bad_input(
        &meshctl(&["profile", "dump", "-o", "xml"]),
        &["unknown output format \"xml\""],
    );
    assert_bad_input(
        &meshctl(&["profile", "dump", "-p", "values.nope"]),
        &["--config-path values.nope"],
    );
    assert_bad_input(&meshctl(&["profile", "frobnicate"]), &["frobnicate"]);
}

/// The seed's workflow: `profile dump demo > demo.yaml`, edit a field of the dump, `manifest
/// generate -f demo.yaml`. The edit must take effect exactly as the same change given with
/// `--set` (over the unedited dump, and over the profile alone).
#[test]
fn an_edited_dump_generates_like_the_same_set_flag() {
    let dump = meshctl(&["profile", "dump", "demo"]);
    assert!(dump.status.success(), "{}", text(&dump.stderr));
    let dump = text(&dump.stdout);
    let dir = TempDir::new("meshctl-dump-edit");
    let original = dir.write("demo.yaml", &dump);
    let generate = |args: &[&str]| {
        let mut all = vec!["manifest", "generate"];
        all.extend_from_slice(args);
        let out = meshctl(&all);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    let unedited = generate(&["-f", original.to_str().unwrap()]);
    // (path under spec, value as a user types it in YAML, the same as a --set flag)
    let edits = [
        ("hub", "registry.example.com/istio"),
        ("tag", "1.30.3-patched"),
        ("revision", "canary"),
        ("meshConfig.accessLogFile", "/dev/stdout"),
        ("meshConfig.enableTracing", "true"),
        (
            "meshConfig.defaultConfig.holdApplicationUntilProxyStarts",
            "true",
        ),
        ("components.egressGateways[0].enabled", "false"),
        ("components.cni.enabled", "true"),
        ("components.pilot.k8s.replicaCount", "3"),
        ("values.global.logging.level", "default:debug"),
        ("values.pilot.autoscaleMin", "2"),
        ("values.global.proxy.resources.limits.cpu", "1"),
        ("values.global.proxy.resources.limits.memory", "2Gi"),
    ];
    for (path, value) in edits {
        let mut doc = mesh_core::from_yaml_str(&dump, "demo.yaml").unwrap();
        let flag: mesh_core::SetFlag = format!("{path}={value}").parse().unwrap();
        mesh_core::path::set(&mut doc, &flag.path.prefixed(&["spec"]), flag.value).unwrap();
        let edited = dir.write("edited.yaml", &mesh_core::to_yaml_string(&doc));
        let by_edit = generate(&["-f", edited.to_str().unwrap()]);
        let set = format!("{path}={value}");
        let by_set_over_dump = generate(&["-f", original.to_str().unwrap(), "--set", &set]);
        let by_set = generate(&["--set", "profile=demo", "--set", &set]);
        assert_ne!(by_edit, unedited, "editing {path} changed nothing");
        assert!(
            by_edit == by_set_over_dump,
            "{path}: edited dump != dump + --set {set}"
        );
        assert!(
            by_edit == by_set,
            "{path}: edited dump != --set profile=demo --set {set}"
        );
    }
}
