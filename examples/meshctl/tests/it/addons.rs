//! `meshctl addons`: the list, a stream kubectl accepts, settings reaching the objects, and bad
//! settings refused with exit code 2 and a message naming the setting.

use crate::support::{meshctl, text};
use mesh_test_support::TempDir;

/// Runs `meshctl ARGS`, which must fail with exit code 2 and only `error: ` lines; returns them.
fn refused(args: &[&str]) -> String {
    let out = meshctl(args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(out.stdout.is_empty(), "{args:?} printed on stdout");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for line in stderr.lines() {
        assert!(line.starts_with("error: "), "{args:?}: {line}");
    }
    stderr
}

/// `meshctl addons generate kiali prometheus --set FLAG`, which must be refused; returns stderr.
fn kiali_refuses(flag: &str) -> String {
    refused(&["addons", "generate", "kiali", "prometheus", "--set", flag])
}

/// Runs `meshctl ARGS`, which must succeed; returns stdout.
fn ok(args: &[&str]) -> String {
    let out = meshctl(args);
    assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn list_names_every_addon_with_a_description() {
    let out = ok(&["addons", "list"]);
    let names: Vec<&str> = out
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        names,
        ["prometheus", "loki", "jaeger", "zipkin", "grafana", "kiali"]
    );
    assert!(
        out.lines().all(|l| l.split_whitespace().count() > 2),
        "{out}"
    );
}

#[test]
fn unknown_setting_is_named_with_a_suggestion() {
    let err = kiali_refuses("kiali.veiwOnly=true");
    assert_eq!(
        err,
        "error: --set kiali.veiwOnly=true: kiali.veiwOnly: unknown field (did you mean \"viewOnly\"?)\n"
    );
    let dir = TempDir::new("addons-settings");
    dir.write(
        "addons.yaml",
        "kind: Addons\ngrafana:\n  persistance:\n    type: emptyDir\n",
    );
    let file = dir.path().join("addons.yaml");
    let err = refused(&[
        "addons",
        "generate",
        "grafana",
        "-f",
        file.to_str().unwrap(),
    ]);
    assert!(
        err.contains(
            "addons.yaml: grafana.persistance: unknown field (did you mean \"persistence\"?)"
        ),
        "{err}"
    );
}

#[test]
fn wrong_type_is_named() {
    let err = refused(&[
        "addons",
        "generate",
        "prometheus",
        "--set",
        "prometheus.scrapeInterval=often",
    ]);
    assert!(
        err.starts_with(
            "error: --set prometheus.scrapeInterval=often: prometheus.scrapeInterval: expected a duration"
        ),
        "{err}"
    );
}

#[test]
fn bad_auth_strategy_and_missing_openid_settings_are_named() {
    let err = kiali_refuses("kiali.auth.strategy=oauth");
    assert!(
        err.contains("kiali.auth.strategy: expected one of \"anonymous\", \"token\""),
        "{err}"
    );
    let err = kiali_refuses("kiali.auth.strategy=openid");
    assert!(
        err.starts_with("error: kiali.auth.openid.clientId: "),
        "{err}"
    );
}

#[test]
fn kiali_without_prometheus_says_how_to_point_at_one() {
    let err = refused(&["addons", "generate", "kiali"]);
    assert!(err.contains("kiali.prometheusUrl"), "{err}");
    let out = ok(&[
        "addons",
        "generate",
        "kiali",
        "--set",
        "kiali.prometheusUrl=http://prometheus.monitoring:9090",
        "--set",
        "kiali.auth.signingKey=0123456789abcdef0123456789abcdef",
    ]);
    assert!(
        out.contains("url: http://prometheus.monitoring:9090"),
        "{out}"
    );
    assert!(
        out.contains("signing_key: '0123456789abcdef0123456789abcdef'"),
        "{out}"
    );
    // Only Kiali: no Prometheus objects.
    assert!(!out.contains("name: prometheus\n"), "{out}");
}

#[test]
fn unknown_addon_gets_a_suggestion() {
    let err = refused(&["addons", "generate", "grafanna"]);
    assert!(
        err.contains("unknown addon \"grafanna\" (did you mean \"grafana\"?)"),
        "{err}"
    );
}

#[test]
fn a_fixed_signing_key_gives_the_same_stream_twice_and_generated_keys_differ() {
    let fixed = [
        "addons",
        "generate",
        "kiali",
        "prometheus",
        "--set",
        "kiali.auth.signingKey=0123456789abcdef",
    ];
    assert_eq!(ok(&fixed), ok(&fixed));
    let generated = ["addons", "generate", "kiali", "prometheus"];
    assert_ne!(ok(&generated), ok(&generated));
    assert!(!ok(&generated).contains("CHANGEME"));
}

#[test]
fn output_dir_writes_stage_files() {
    let dir = TempDir::new("addons-out");
    let out = ok(&[
        "addons",
        "generate",
        "grafana",
        "loki",
        "--output-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert!(out.contains("kubectl apply"), "{out}");
    assert!(dir.path().join("00-namespaces-crds.yaml").is_file());
    assert!(dir.path().join("02-workloads.yaml").is_file());
}

#[test]
#[cfg(feature = "kube")] // `dashboard` is a cluster command
fn dashboard_names_an_unknown_addon_before_connecting() {
    // No cluster is configured here: the name is checked first.
    let out = meshctl(&["dashboard", "kialli", "--kubeconfig", "/nonexistent"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("unknown addon \"kialli\" (did you mean \"kiali\"?)"),
        "{stderr}"
    );
}
