//! `meshctl manifest generate | kubectl apply -f -` on an empty server, for every profile.
//!
//! Each case renders once, then applies the stream with client-side `kubectl apply -f -` on one
//! fresh, empty API server and with `kubectl apply --server-side -f -` on another, and checks
//! that every object of the stream is on the server afterwards (`kubectl get -f -`). One test per
//! case, so cargo's test threads run two servers at a time.

use crate::{meshctl, run, run_ok};
use mesh_core::Value;
use mesh_test_support::kube::{ApiServer, KubeletStandIn, Options, kubectl_available};
use mesh_test_support::{TempDir, reference_path};
use std::path::Path;
use std::process::{Command, Output};

/// How the stream is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `kubectl apply -f -` (the command users paste).
    ClientSide,
    /// `kubectl apply --server-side -f -`.
    ServerSide,
}

impl Mode {
    fn args(self) -> &'static [&'static str] {
        match self {
            Mode::ClientSide => &["apply", "-f", "-"],
            Mode::ServerSide => &["apply", "--server-side", "-f", "-"],
        }
    }
}

/// One document of a YAML stream: its text and identity.
struct Doc {
    text: String,
    api_version: String,
    kind: String,
    namespace: String,
    name: String,
}

impl Doc {
    fn id(&self) -> String {
        format!(
            "{} {} {}/{}",
            self.api_version, self.kind, self.namespace, self.name
        )
    }
}

/// Splits a YAML stream on its `---` lines and reads each document's identity.
fn docs(stream: &str, source: &str) -> Vec<Doc> {
    let mut out = Vec::new();
    let mut chunk = String::new();
    for line in stream.lines().chain(std::iter::once("---")) {
        if line.trim_end() != "---" {
            chunk.push_str(line);
            chunk.push('\n');
            continue;
        }
        let text = std::mem::take(&mut chunk);
        let value = mesh_core::yaml::from_yaml_str(&text, source).unwrap_or_else(|e| panic!("{e}"));
        if value.is_null() {
            continue;
        }
        let field = |pointer: &str| {
            value
                .pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        out.push(Doc {
            api_version: field("/apiVersion"),
            kind: field("/kind"),
            namespace: field("/metadata/namespace"),
            name: field("/metadata/name"),
            text,
        });
    }
    out
}

/// The documents again as one stream.
fn stream<'a>(docs: impl IntoIterator<Item = &'a Doc>) -> String {
    docs.into_iter()
        .map(|d| d.text.as_str())
        .collect::<Vec<_>>()
        .join("---\n")
}

/// `meshctl manifest generate ARGS`, which must succeed: (stdout, stderr).
fn generate(args: &[&str]) -> (String, String) {
    let out = run(meshctl().args(["manifest", "generate"]).args(args));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "meshctl manifest generate {args:?} failed ({}):\n{stderr}",
        out.status
    );
    (String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
}

/// kubectl for `server`, with a discovery cache of its own (a later server may reuse the port).
fn kubectl(server: &ApiServer) -> Command {
    let mut cmd = server.kubectl();
    cmd.env("KUBECACHEDIR", server.dir().join("kubectl-cache"));
    cmd
}

/// Runs kubectl ARGS with `input` on stdin.
fn kubectl_with_input(server: &ApiServer, args: &[&str], input: &str) -> Output {
    crate::run_with_input(kubectl(server).args(args), input)
}

fn describe(what: &str, out: &Output) -> String {
    format!(
        "{what} ({}):\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Asserts that every object of `docs` is on the server: `kubectl get -f -` finds each one.
fn assert_all_exist(server: &ApiServer, docs: &[&Doc]) {
    let out = kubectl_with_input(
        server,
        &["get", "-f", "-", "-o", "name"],
        &stream(docs.iter().copied()),
    );
    assert!(
        out.status.success(),
        "{}",
        describe("kubectl get -f - of the applied objects failed", &out)
    );
    let names = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        names.lines().count(),
        docs.len(),
        "kubectl get -f - listed another number of objects than the manifest has:\n{names}\n\
         --- expected\n{}",
        docs.iter().map(|d| d.id()).collect::<Vec<_>>().join("\n")
    );
}

/// Runs `job(i, server)` for each `i` in `0..n`, each on a fresh, empty server of its own, all at
/// once (one thread each, so that a server's start and stop overlap the others' work). Without
/// the tools it does nothing (`skipping:` printed); a panic of a job fails the test with its
/// message.
fn on_empty_servers(n: usize, options: &Options, job: impl Fn(usize, &ApiServer) + Sync) {
    if !kubectl_available() {
        return;
    }
    let results: Vec<std::thread::Result<()>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let job = &job;
                scope.spawn(move || {
                    let Some(server) = ApiServer::start(options) else {
                        return;
                    };
                    job(i, &server);
                    // Stopping takes seconds of the API server's graceful shutdown: let it
                    // happen behind the next test (the watchdog covers the binary's exit).
                    std::thread::spawn(move || drop(server));
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join()).collect()
    });
    for result in results {
        if let Err(panic) = result {
            std::panic::resume_unwind(panic);
        }
    }
}

/// Applies the stream in `mode`, which must exit 0; then every object of it must exist.
fn applies(server: &ApiServer, yaml: &str, mode: Mode, what: &str) {
    let all = docs(yaml, what);
    let out = kubectl_with_input(server, mode.args(), yaml);
    assert!(
        out.status.success(),
        "{}",
        describe(
            &format!(
                "{what}: kubectl {:?} on an empty server failed",
                mode.args()
            ),
            &out
        )
    );
    assert_all_exist(server, &all.iter().collect::<Vec<_>>());
}

const MODES: [Mode; 2] = [Mode::ClientSide, Mode::ServerSide];

/// `meshctl manifest generate ARGS` prints nothing on stderr and applies on an empty server
/// client-side and, on another, server-side; returns the documents for case-specific checks.
fn applies_cleanly(args: &[&str]) -> Vec<Doc> {
    let (yaml, stderr) = generate(args);
    let what = format!("meshctl manifest generate {args:?}");
    assert!(stderr.is_empty(), "{what} printed on stderr:\n{stderr}");
    let all = docs(&yaml, &what);
    assert!(!all.is_empty(), "{what} rendered no objects");
    on_empty_servers(MODES.len(), &Options::default(), |i, server| {
        applies(server, &yaml, MODES[i], &what);
    });
    all
}

fn has(docs: &[Doc], kind: &str, name: &str) -> bool {
    docs.iter().any(|d| d.kind == kind && d.name == name)
}

#[test]
fn profile_list_is_the_ten_profiles_tested_here() {
    // The tests below name each profile; a new one must get its own test.
    let listed = run_ok(meshctl().args(["profile", "list"]));
    let names: Vec<&str> = listed.lines().skip(1).map(str::trim).collect();
    assert_eq!(
        names,
        [
            "ambient",
            "default",
            "demo",
            "empty",
            "minimal",
            "openshift",
            "openshift-ambient",
            "preview",
            "remote",
            "stable"
        ],
        "{listed}"
    );
}

#[test]
fn default_profile_applies_on_an_empty_server() {
    let docs = applies_cleanly(&[]);
    assert!(has(&docs, "Namespace", "istio-system"));
}

#[test]
fn demo_profile_applies_on_an_empty_server() {
    applies_cleanly(&["--set", "profile=demo"]);
}

#[test]
fn minimal_profile_applies_on_an_empty_server() {
    applies_cleanly(&["--set", "profile=minimal"]);
}

#[test]
fn preview_profile_applies_on_an_empty_server() {
    applies_cleanly(&["--set", "profile=preview"]);
}

#[test]
fn remote_profile_applies_on_an_empty_server() {
    applies_cleanly(&["--set", "profile=remote"]);
}

#[test]
fn stable_profile_applies_on_an_empty_server() {
    applies_cleanly(&["--set", "profile=stable"]);
}

#[test]
fn ambient_profile_applies_on_an_empty_server() {
    let docs = applies_cleanly(&["--set", "profile=ambient"]);
    assert!(has(&docs, "DaemonSet", "ztunnel") && has(&docs, "DaemonSet", "istio-cni-node"));
}

#[test]
fn default_with_revision_canary_applies_on_an_empty_server() {
    let docs = applies_cleanly(&["--set", "revision=canary"]);
    assert!(has(&docs, "Deployment", "istiod-canary"));
}

#[test]
fn default_with_cni_applies_on_an_empty_server() {
    let docs = applies_cleanly(&["--set", "components.cni.enabled=true"]);
    assert!(has(&docs, "DaemonSet", "istio-cni-node"));
}

#[test]
fn default_with_ztunnel_applies_on_an_empty_server() {
    let docs = applies_cleanly(&[
        "--set",
        "profile=default",
        "--set",
        "components.ztunnel.enabled=true",
    ]);
    assert!(has(&docs, "DaemonSet", "ztunnel"));
}

/// The empty profile renders nothing, and kubectl refuses an input without objects: meshctl says
/// so on stderr. Enabling one component (how the profile is meant to be used) applies.
#[test]
fn empty_profile_renders_nothing_and_says_so_and_with_base_applies() {
    let (yaml, stderr) = generate(&["--set", "profile=empty"]);
    assert_eq!(yaml, "", "the empty profile rendered objects");
    assert!(
        stderr.starts_with("note: the manifest is empty") && stderr.lines().count() == 1,
        "meshctl's stderr: {stderr}"
    );
    let base = [
        "--set",
        "profile=empty",
        "--set",
        "components.base.enabled=true",
    ];
    let (base_yaml, base_stderr) = generate(&base);
    assert_eq!(base_stderr, "", "meshctl's stderr for {base:?}");
    let base_docs = docs(&base_yaml, "empty + base");
    assert!(
        has(
            &base_docs,
            "CustomResourceDefinition",
            "gateways.networking.istio.io"
        ) && base_docs.iter().all(|d| d.kind != "Deployment"),
        "{base:?} should render the base component only"
    );
    on_empty_servers(MODES.len(), &Options::default(), |i, server| {
        if MODES[i] == Mode::ClientSide {
            // kubectl refuses the empty stream; the server stays empty, so it serves next.
            let out = kubectl_with_input(server, Mode::ClientSide.args(), &yaml);
            assert!(
                !out.status.success()
                    && String::from_utf8_lossy(&out.stderr).contains("no objects passed to apply"),
                "{}",
                describe("kubectl apply of the empty profile", &out)
            );
        }
        applies(server, &base_yaml, MODES[i], "empty + base");
    });
}

/// A minimal stand-in for Multus' CRD: the kind openshift profiles render, any content.
const NAD_CRD: &str = "\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: network-attachment-definitions.k8s.cni.cncf.io
spec:
  group: k8s.cni.cncf.io
  scope: Namespaced
  names:
    kind: NetworkAttachmentDefinition
    plural: network-attachment-definitions
    singular: network-attachment-definition
    shortNames: [net-attach-def]
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
";

/// An OpenShift profile renders a Multus NetworkAttachmentDefinition. meshctl names the CRD it
/// needs on stderr; on a vanilla server `kubectl apply` fails on that object only (everything
/// else is created); with the CRD installed first, the profile applies cleanly both ways.
fn openshift_profile(profile: &str) {
    let set = format!("profile={profile}");
    let (yaml, stderr) = generate(&["--set", &set]);
    let all = docs(&yaml, profile);
    let (nads, others): (Vec<&Doc>, Vec<&Doc>) = all
        .iter()
        .partition(|d| d.kind == "NetworkAttachmentDefinition");
    assert_eq!(nads.len(), 1, "{profile}: one NetworkAttachmentDefinition");
    assert_eq!(nads[0].api_version, "k8s.cni.cncf.io/v1");
    assert!(
        stderr.lines().count() == 1
            && stderr.contains("NetworkAttachmentDefinition default/istio-cni")
            && stderr.contains("network-attachment-definitions.k8s.cni.cncf.io"),
        "{profile}: meshctl's stderr should name the CRD the manifest needs:\n{stderr}"
    );

    on_empty_servers(3, &Options::default(), |i, server| match i {
        0 => fails_on_the_nad_only(server, profile, &yaml, &others),
        _ => {
            // (b) With the CRD installed first: clean, client-side and server-side.
            let out = kubectl_with_input(server, &["apply", "-f", "-"], NAD_CRD);
            assert!(
                out.status.success(),
                "{}",
                describe("apply the NAD CRD", &out)
            );
            run_ok(kubectl(server).args([
                "wait",
                "--for=condition=Established",
                "--timeout=60s",
                "crd/network-attachment-definitions.k8s.cni.cncf.io",
            ]));
            applies(
                server,
                &yaml,
                MODES[i - 1],
                &format!("{profile} with the NAD CRD"),
            );
        }
    });
}

/// (a) On a vanilla server the apply fails, on the NetworkAttachmentDefinition only (with
/// kubectl's "ensure CRDs are installed first"), and every other object is created.
fn fails_on_the_nad_only(server: &ApiServer, profile: &str, yaml: &str, others: &[&Doc]) {
    let out = kubectl_with_input(server, Mode::ClientSide.args(), yaml);
    let kubectl_err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !out.status.success()
            && kubectl_err
                .contains(r#"no matches for kind "NetworkAttachmentDefinition" in version "k8s.cni.cncf.io/v1""#),
        "{}",
        describe(&format!("{profile} on a vanilla server"), &out)
    );
    let errors: Vec<&str> = kubectl_err
        .lines()
        .filter(|l| l.starts_with("error") || l.contains("Error from server"))
        .collect();
    assert!(
        errors.len() == 1 && errors[0].contains("NetworkAttachmentDefinition"),
        "{profile}: kubectl failed on more than the NetworkAttachmentDefinition:\n{kubectl_err}"
    );
    assert_all_exist(server, others);
}

#[test]
fn openshift_profile_needs_the_multus_crd_and_says_so() {
    openshift_profile("openshift");
}

#[test]
fn openshift_ambient_profile_needs_the_multus_crd_and_says_so() {
    openshift_profile("openshift-ambient");
}

/// The commands `--output-dir` prints, one per entry (continuation lines joined), split into
/// words; the printed text has no quoting.
fn printed_commands(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(head) => current.push_str(head),
            None => {
                current.push_str(line);
                out.push(current.split_whitespace().map(str::to_string).collect());
                current.clear();
            }
        }
    }
    assert!(
        current.is_empty(),
        "a command ends in a continuation:\n{text}"
    );
    out
}

/// `--output-dir`: runs exactly the printed commands, in order, on an empty server with the
/// controller manager and the kubelet stand-in (the `rollout status` lines need ready Pods);
/// each succeeds, every stage file is applied once, and every object is there at the end.
fn staged_install(args: &[&str]) {
    let dir = TempDir::new("staged");
    let out_dir = dir.join("out");
    let printed = run_ok(
        meshctl()
            .args(["manifest", "generate", "--output-dir"])
            .arg(&out_dir)
            .args(args),
    );
    let commands = printed_commands(&printed);
    let mut files: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    files.sort();
    let applied: Vec<String> = commands
        .iter()
        .filter(|c| c.get(1).map(String::as_str) == Some("apply"))
        .map(|c| c.last().cloned().unwrap_or_default())
        .collect();
    assert_eq!(
        applied, files,
        "the printed applies are not the files in order:\n{printed}"
    );
    let waits = |verb: &str| commands.iter().filter(|c| c[1] == verb).count();
    assert!(
        waits("wait") >= 1,
        "no `kubectl wait` for the CRDs:\n{printed}"
    );
    assert!(
        waits("rollout") >= 1,
        "no `kubectl rollout status`:\n{printed}"
    );

    let all: Vec<Doc> = files
        .iter()
        .flat_map(|f| docs(&mesh_test_support::read(Path::new(f)), f))
        .collect();
    on_empty_servers(1, &Options::with_controllers(), |_, server| {
        let kubelet = KubeletStandIn::start(server, None);
        for command in &commands {
            assert_eq!(
                command[0], "kubectl",
                "a printed command is not kubectl:\n{printed}"
            );
            let out = run(kubectl(server).args(&command[1..]));
            assert!(
                out.status.success(),
                "{}",
                describe(&format!("printed command `{}`", command.join(" ")), &out)
            );
        }
        assert!(kubelet.marked() > 0, "the rollout waited for no Pod");
        assert_all_exist(server, &all.iter().collect::<Vec<_>>());
    });
}

#[test]
fn staged_default_profile_applies_with_the_printed_commands() {
    staged_install(&[]);
}

#[test]
fn staged_ambient_profile_applies_with_the_printed_commands() {
    staged_install(&["--set", "profile=ambient"]);
}

/// Contrast: Istio 1.30.3's own `manifest generate` output for the default profile has no
/// Namespace object, so the same `kubectl apply -f -` fails on an empty server; meshctl's output
/// for the same arguments creates `istio-system` before anything in it.
#[test]
fn istio_default_output_fails_on_an_empty_server_where_meshctl_output_applies() {
    let Some(case) = reference_path("manifest/profile-default") else {
        return;
    };
    let args_text = mesh_test_support::read(&case.join("args"));
    let args: Vec<&str> = args_text.lines().filter(|l| !l.is_empty()).collect();
    let istio = mesh_test_support::read(&case.join("expected.yaml"));
    let istio_docs = docs(&istio, "istio's expected.yaml");
    assert!(
        !has(&istio_docs, "Namespace", "istio-system"),
        "the reference now has the namespace; this contrast is stale"
    );
    let (ours, _) = generate(&args);
    let ours = docs(&ours, "meshctl");
    let first_in_ns = ours.iter().position(|d| d.namespace == "istio-system");
    let ns = ours
        .iter()
        .position(|d| d.kind == "Namespace" && d.name == "istio-system");
    assert!(
        matches!((ns, first_in_ns), (Some(n), Some(f)) if n < f),
        "meshctl {args:?} must create istio-system before the objects in it"
    );

    on_empty_servers(1, &Options::default(), |_, server| {
        let out = kubectl_with_input(server, Mode::ClientSide.args(), &istio);
        assert!(
            !out.status.success()
                && String::from_utf8_lossy(&out.stderr)
                    .contains(r#"namespaces "istio-system" not found"#),
            "{}",
            describe("Istio's default output on an empty server", &out)
        );
    });
}
