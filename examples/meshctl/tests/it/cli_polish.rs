//! The help, completions and man pages a user installs meshctl with.

use super::support::{meshctl, text};

#[test]
fn help_opens_with_a_real_about() {
    let out = meshctl(&["--help"]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    let first = help.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("Install Istio 1.30.3 and inject its sidecar"),
        "{first}"
    );
    assert!(!help.contains("over the mesh libraries"), "{help}");
    assert!(help.contains("Exit codes: 0 success"), "{help}");
}

#[test]
fn help_shows_examples() {
    for (args, want) in [
        (
            &["profile", "dump", "--help"][..],
            "meshctl manifest generate -f my-mesh.yaml",
        ),
        (&["manifest", "generate", "--help"], "--output-dir out/"),
        (
            &["kube-inject", "--help"],
            "--injectConfigFile inject-config.yaml",
        ),
        (
            &["x", "check-inject", "--help"],
            "kubectl label namespace shop istio-injection=enabled",
        ),
    ] {
        let out = meshctl(args);
        assert!(out.status.success(), "{args:?}");
        let help = text(&out.stdout);
        assert!(help.contains("Examples:\n  # "), "{args:?}: {help}");
        assert!(help.contains(want), "{args:?}: {help}");
    }
}

#[test]
fn bash_completion_names_the_commands() {
    let out = meshctl(&["completion", "bash"]);
    assert!(out.status.success());
    let script = text(&out.stdout);
    for word in [
        "meshctl",
        "profile",
        "manifest",
        "kube-inject",
        "check-inject",
        "completion",
    ] {
        assert!(script.contains(word), "{word} missing");
    }
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let out = meshctl(&["completion", shell]);
        assert!(
            out.status.success() && text(&out.stdout).contains("meshctl"),
            "{shell}"
        );
    }
    let out = meshctl(&["completion", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn man_pages_render() {
    let out = meshctl(&["man"]);
    assert!(out.status.success());
    let page = text(&out.stdout);
    assert!(page.starts_with(".TH meshctl 1"), "{page}");
    assert!(
        page.contains(".SH SUBCOMMANDS") || page.contains(".SH COMMANDS"),
        "{page}"
    );

    let dir = mesh_test_support::TempDir::new("meshctl-man");
    let out = meshctl(&["man", "--dir", dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dump = std::fs::read_to_string(dir.join("meshctl-profile-dump.1")).unwrap();
    assert!(dump.starts_with(".TH meshctl-profile-dump 1"), "{dump}");
    assert!(dump.contains(".SH EXAMPLES\n.nf\n"), "{dump}");
    assert!(
        dump.contains("meshctl profile dump demo > my\\-mesh.yaml")
            || dump.contains("meshctl profile dump demo > my-mesh.yaml"),
        "{dump}"
    );
    assert!(dir.join("meshctl-x-check-inject.1").exists());
}
