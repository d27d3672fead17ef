//! Bad input, as a new user makes it: every case exits 2 without a panic, and what meshctl
//! says on stderr is pinned by a snapshot (one message per problem, naming file and place).

use mesh_test_support::TempDir;
use std::process::{Command, Stdio};

/// Runs `meshctl ARGS` in a folder holding `files`, and checks the outcome of bad input: exit
/// code 2, nothing on stdout, no panic, every stderr line an `error: ` line. Returns stderr.
fn refused(files: &[(&str, &str)], args: &[&str]) -> String {
    let dir = TempDir::new("meshctl-bad-input");
    for (name, text) in files {
        dir.write(name, text);
    }
    let out = Command::new(env!("CARGO_BIN_EXE_meshctl"))
        .args(args)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    assert!(out.stdout.is_empty(), "{args:?} printed on stdout");
    assert!(!stderr.is_empty(), "{args:?}: no message");
    for line in stderr.lines() {
        assert!(line.starts_with("error: "), "{args:?}: {line}");
    }
    stderr
}

/// `manifest generate -f NAME` with NAME holding `text`.
fn file(name: &'static str, text: &str) -> Case {
    Case {
        files: vec![(name, text.to_string())],
        args: vec!["manifest", "generate", "-f", name],
    }
}

/// `manifest generate --set FLAG`.
fn set(flag: &'static str) -> Case {
    Case {
        files: Vec::new(),
        args: vec!["manifest", "generate", "--set", flag],
    }
}

/// One bad input: the files in the folder and meshctl's arguments.
struct Case {
    files: Vec<(&'static str, String)>,
    args: Vec<&'static str>,
}

/// More nesting than mesh reads.
fn too_deep() -> String {
    let mut text = String::from("spec:\n  values:\n");
    for level in 0..100 {
        text.push_str(&format!("{}k{level}:\n", "  ".repeat(level + 2)));
    }
    text
}

/// More than 16 MiB of otherwise good settings.
fn too_big() -> String {
    let mut text = String::from("spec:\n  values:\n    pilot:\n      env:\n");
    let value = "x".repeat(100);
    for i in 0..170_000 {
        text.push_str(&format!("        K{i}: \"{value}\"\n"));
    }
    text
}

/// Every kind of bad input, by snapshot name.
fn cases() -> Vec<(&'static str, Case)> {
    vec![
        (
            "malformed_yaml",
            file("my.yaml", "spec:\n  components: [\n"),
        ),
        (
            "duplicate_key",
            file(
                "my.yaml",
                "spec:\n  profile: demo\n  hub: docker.io/istio\n  profile: minimal\n",
            ),
        ),
        (
            "tab_indentation",
            file("my.yaml", "spec:\n\tprofile: demo\n"),
        ),
        (
            "bad_indentation",
            file(
                "my.yaml",
                "spec:\n    profile: demo\n  hub: docker.io/istio\n",
            ),
        ),
        (
            "unclosed_quote",
            file("my.yaml", "spec:\n  hub: \"docker.io/istio\n"),
        ),
        ("colon_in_a_value", file("my.yaml", "spec:\n  hub: a: b\n")),
        (
            "undefined_alias",
            file("my.yaml", "spec:\n  hub: *registry\n"),
        ),
        (
            "wrong_type_components_as_a_list",
            file("my.yaml", "spec:\n  components:\n  - pilot\n"),
        ),
        (
            "unknown_fields",
            file(
                "my.yaml",
                "spec:\n  components:\n    pilott:\n      enabled: true\n  hubb: docker.io/istio\n",
            ),
        ),
        ("not_a_map", file("my.yaml", "- spec: {}\n")),
        (
            "two_documents",
            file("my.yaml", "spec: {}\n---\nspec: {}\n"),
        ),
        (
            "wrong_kind",
            file(
                "pod.yaml",
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: web\n    image: nginx\n",
            ),
        ),
        ("too_deep", file("deep.yaml", &too_deep())),
        ("too_big", file("big.yaml", &too_big())),
        (
            "unknown_profile",
            file("my.yaml", "spec:\n  profile: dmeo\n"),
        ),
        (
            "unreadable_file",
            Case {
                files: Vec::new(),
                args: vec!["manifest", "generate", "-f", "missing.yaml"],
            },
        ),
        ("set_without_equals", set("values.pilot.enabled")),
        (
            "set_with_unclosed_bracket",
            set("components.ingressGateways[0.enabled=true"),
        ),
        ("set_unknown_field", set("components.pilott.enabled=true")),
        ("set_wrong_type", set("components.pilot=5")),
        (
            "profile_dump_duplicate_key",
            Case {
                files: vec![("my.yaml", "spec:\n  hub: a\n  hub: b\n".to_string())],
                args: vec!["profile", "dump", "-f", "my.yaml"],
            },
        ),
        (
            "check_inject_malformed_pod",
            Case {
                files: vec![(
                    "pod.yaml",
                    "apiVersion: v1\nkind: Pod\nmetadata: {name: web\n".to_string(),
                )],
                args: vec!["x", "check-inject", "-f", "pod.yaml"],
            },
        ),
    ]
}

#[test]
fn every_bad_input_exits_2_with_a_readable_message() {
    let cases = cases();
    assert_eq!(cases.len(), 22);
    for (name, case) in cases {
        let files: Vec<(&str, &str)> = case.files.iter().map(|(n, t)| (*n, t.as_str())).collect();
        insta::assert_snapshot!(name, refused(&files, &case.args));
    }
}
