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

/// `manifest generate -f FILE` with FILE holding `text`.
fn generate_file(name: &str, text: &str) -> String {
    refused(&[(name, text)], &["manifest", "generate", "-f", name])
}

/// `manifest generate --set FLAG`.
fn generate_set(flag: &str) -> String {
    refused(&[], &["manifest", "generate", "--set", flag])
}

#[test]
fn malformed_yaml() {
    insta::assert_snapshot!(generate_file("my.yaml", "spec:\n  components: [\n"));
}

#[test]
fn duplicate_key() {
    insta::assert_snapshot!(generate_file(
        "my.yaml",
        "spec:\n  profile: demo\n  hub: docker.io/istio\n  profile: minimal\n"
    ));
}

#[test]
fn tab_indentation() {
    insta::assert_snapshot!(generate_file("my.yaml", "spec:\n\tprofile: demo\n"));
}

#[test]
fn bad_indentation() {
    insta::assert_snapshot!(generate_file(
        "my.yaml",
        "spec:\n    profile: demo\n  hub: docker.io/istio\n"
    ));
}

#[test]
fn unclosed_quote() {
    insta::assert_snapshot!(generate_file(
        "my.yaml",
        "spec:\n  hub: \"docker.io/istio\n"
    ));
}

#[test]
fn colon_in_a_value() {
    insta::assert_snapshot!(generate_file("my.yaml", "spec:\n  hub: a: b\n"));
}

#[test]
fn undefined_alias() {
    insta::assert_snapshot!(generate_file("my.yaml", "spec:\n  hub: *registry\n"));
}

#[test]
fn wrong_type_components_as_a_list() {
    insta::assert_snapshot!(generate_file(
        "my.yaml",
        "spec:\n  components:\n  - pilot\n"
    ));
}

#[test]
fn unknown_fields() {
    insta::assert_snapshot!(generate_file(
        "my.yaml",
        "spec:\n  components:\n    pilott:\n      enabled: true\n  hubb: docker.io/istio\n"
    ));
}

#[test]
fn not_a_map() {
    insta::assert_snapshot!(generate_file("my.yaml", "- spec: {}\n"));
}

#[test]
fn two_documents() {
    insta::assert_snapshot!(generate_file("my.yaml", "spec: {}\n---\nspec: {}\n"));
}

#[test]
fn wrong_kind() {
    insta::assert_snapshot!(generate_file(
        "pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: web\n    image: nginx\n"
    ));
}

#[test]
fn too_deep() {
    let mut text = String::from("spec:\n  values:\n");
    for level in 0..100 {
        text.push_str(&format!("{}k{level}:\n", "  ".repeat(level + 2)));
    }
    insta::assert_snapshot!(generate_file("deep.yaml", &text));
}

#[test]
fn too_big() {
    let mut text = String::from("spec:\n  values:\n    pilot:\n      env:\n");
    let value = "x".repeat(100);
    for i in 0..170_000 {
        text.push_str(&format!("        K{i}: \"{value}\"\n"));
    }
    insta::assert_snapshot!(generate_file("big.yaml", &text));
}

#[test]
fn unknown_profile() {
    insta::assert_snapshot!(generate_file("my.yaml", "spec:\n  profile: dmeo\n"));
}

#[test]
fn unreadable_file() {
    insta::assert_snapshot!(refused(
        &[],
        &["manifest", "generate", "-f", "missing.yaml"]
    ));
}

#[test]
fn set_without_equals() {
    insta::assert_snapshot!(generate_set("values.pilot.enabled"));
}

#[test]
fn set_with_unclosed_bracket() {
    insta::assert_snapshot!(generate_set("components.ingressGateways[0.enabled=true"));
}

#[test]
fn set_unknown_field() {
    insta::assert_snapshot!(generate_set("components.pilott.enabled=true"));
}

#[test]
fn set_wrong_type() {
    insta::assert_snapshot!(generate_set("components.pilot=5"));
}

#[test]
fn profile_dump_duplicate_key() {
    insta::assert_snapshot!(refused(
        &[("my.yaml", "spec:\n  hub: a\n  hub: b\n")],
        &["profile", "dump", "-f", "my.yaml"]
    ));
}

#[test]
fn check_inject_malformed_pod() {
    insta::assert_snapshot!(refused(
        &[(
            "pod.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: web\n"
        )],
        &["x", "check-inject", "-f", "pod.yaml"]
    ));
}
