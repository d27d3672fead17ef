//! meshctl kube-inject offline: without istioctl's file flags, the injector is the one mesh's own
//! install of the inputs configures, i.e. kube-inject with the files extracted from the
//! ConfigMaps `manifest generate` renders for the same inputs.

use super::support::{meshctl, meshctl_stdin, text};
use mesh_test_support::TempDir;

const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello
  namespace: default
spec:
  replicas: 1
  selector:
    matchLabels:
      app: hello
  template:
    metadata:
      labels:
        app: hello
    spec:
      containers:
      - name: hello
        image: hello:1.0
        ports:
        - containerPort: 8080
";

const OPERATOR_FILE: &str = "\
apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
spec:
  meshConfig:
    defaultConfig:
      proxyMetadata:
        FROM_FILE: \"yes\"
  values:
    global:
      proxy:
        logLevel: debug
";

/// One install: the flags of `manifest generate` and the same inputs as kube-inject flags.
struct Install {
    name: &'static str,
    generate: Vec<String>,
    kube_inject: Vec<String>,
    revision: &'static str,
}

fn install(name: &'static str, flags: &[&str], revision: &'static str) -> Install {
    let flags: Vec<String> = flags.iter().map(|s| s.to_string()).collect();
    Install {
        name,
        generate: flags.clone(),
        kube_inject: flags,
        revision,
    }
}

fn installs(tmp: &TempDir) -> Vec<Install> {
    let iop = tmp.write("iop.yaml", OPERATOR_FILE);
    let iop = iop.to_str().unwrap().to_string();
    vec![
        install("default", &[], ""),
        install("demo", &["--set", "profile=demo"], ""),
        install("revision flag", &["-r", "canary"], "canary"),
        install("revision set", &["--set", "revision=1-30"], "1-30"),
        install(
            "values hold",
            &[
                "--set",
                "values.global.proxy.holdApplicationUntilProxyStarts=true",
            ],
            "",
        ),
        install(
            "mesh hold",
            &[
                "--set",
                "meshConfig.defaultConfig.holdApplicationUntilProxyStarts=true",
            ],
            "",
        ),
        install(
            "proxy image and resources",
            &[
                "--set",
                "hub=registry.example/istio",
                "--set",
                "values.global.proxy.resources.requests.cpu=250m",
            ],
            "",
        ),
        Install {
            name: "operator file",
            generate: vec!["-f".into(), iop.clone()],
            kube_inject: vec!["--operatorFileName".into(), iop],
            revision: "",
        },
    ]
}

/// Writes the injector's three files from the ConfigMaps `manifest generate` renders.
fn extract_files(tmp: &TempDir, case: &Install) -> [String; 3] {
    let mut args = vec!["manifest", "generate"];
    args.extend(case.generate.iter().map(String::as_str));
    let out = meshctl(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let docs = mesh_core::from_yaml_stream(&text(&out.stdout), "manifest").unwrap();
    let suffix = match case.revision {
        "" => String::new(),
        rev => format!("-{rev}"),
    };
    let data = |name: &str, key: &str| -> String {
        docs.iter()
            .find(|d| d["kind"] == "ConfigMap" && d["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("{}: no ConfigMap {name}", case.name))["data"][key]
            .as_str()
            .unwrap()
            .to_string()
    };
    let injector = format!("istio-sidecar-injector{suffix}");
    let mesh = format!("istio{suffix}");
    let file = |name: &str, content: String| {
        let path = tmp.write(&format!("{}/{name}", case.name.replace(' ', "-")), &content);
        path.to_str().unwrap().to_string()
    };
    [
        file("values.json", data(&injector, "values")),
        file("mesh.yaml", data(&mesh, "mesh")),
        file("config.yaml", data(&injector, "config")),
    ]
}

fn kube_inject(args: &[&str]) -> String {
    let mut all = vec!["kube-inject", "-f", "-", "--native-sidecars", "false"];
    all.extend_from_slice(args);
    let out = meshctl_stdin(&all, DEPLOYMENT);
    assert!(
        out.status.success(),
        "kube-inject {args:?}: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

#[test]
fn without_files_the_injector_is_the_one_the_install_configures() {
    let tmp = TempDir::new("kube-inject");
    let default_output = kube_inject(&[]);
    assert!(default_output.contains("name: istio-proxy"));
    let cases = installs(&tmp);
    for case in &cases {
        let [values, mesh, config] = extract_files(&tmp, case);
        let offline: Vec<&str> = case.kube_inject.iter().map(String::as_str).collect();
        let mut with_files = vec![
            "--valuesFile",
            &values,
            "--meshConfigFile",
            &mesh,
            "--injectConfigFile",
            &config,
        ];
        if !case.revision.is_empty() {
            with_files.extend(["-r", case.revision]);
        }
        let got = kube_inject(&offline);
        assert_eq!(
            got,
            kube_inject(&with_files),
            "{}: kube-inject without files differs from kube-inject with the install's files",
            case.name
        );
        if case.name != "default" && case.name != "demo" {
            assert_ne!(
                got, default_output,
                "{}: the inputs change nothing",
                case.name
            );
        }
    }
    assert_eq!(cases.len(), 8);
}

#[test]
fn each_file_flag_replaces_its_part_of_the_install() {
    let tmp = TempDir::new("kube-inject-mix");
    let default_case = install("default", &[], "");
    let [values, mesh, config] = extract_files(&tmp, &default_case);
    let hold = "values.global.proxy.holdApplicationUntilProxyStarts=true";
    let mesh_hold = "meshConfig.defaultConfig.holdApplicationUntilProxyStarts=true";
    let default_output = kube_inject(&[]);
    // The default install's values replace those of the --set install: the hold is gone.
    assert_eq!(
        kube_inject(&["--set", hold, "--valuesFile", &values]),
        default_output
    );
    assert_eq!(
        kube_inject(&["--set", mesh_hold, "--meshConfigFile", &mesh]),
        default_output
    );
    // The injector config holds no value of the install: the --set one still applies.
    assert_eq!(
        kube_inject(&["--set", hold, "--injectConfigFile", &config]),
        kube_inject(&["--set", hold])
    );
    assert_ne!(kube_inject(&["--set", hold]), default_output);
}

#[test]
fn bad_install_inputs_exit_2_with_one_line_naming_the_input() {
    let tmp = TempDir::new("kube-inject-bad");
    let input = tmp.write("deploy.yaml", DEPLOYMENT);
    let input = input.to_str().unwrap();
    let bad_iop = tmp.write("bad.yaml", "spec:\n  valuez: {}\n");
    let bad_iop = bad_iop.to_str().unwrap();
    let cases: [(&[&str], &str); 5] = [
        (
            &[
                "--set",
                "values.global.proxy.holdApplicationUntilProxyStarts=maybe",
            ],
            "--set values.global.proxy.holdApplicationUntilProxyStarts",
        ),
        (&["--set", "no-equals-sign"], "--set"),
        (&["--operatorFileName", bad_iop], "bad.yaml"),
        (
            &["--operatorFileName", "/nonexistent/iop.yaml"],
            "/nonexistent/iop.yaml",
        ),
        (
            &["--set", "components.pilot.enabled=false"],
            "ConfigMap istio-sidecar-injector",
        ),
    ];
    for (flags, expected) in cases {
        let mut args = vec!["kube-inject", "-f", input];
        args.extend_from_slice(flags);
        let out = meshctl(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {err}");
        assert!(out.stdout.is_empty(), "{flags:?}");
        assert!(err.starts_with("error: "), "{flags:?}: {err}");
        assert!(err.contains(expected), "{flags:?}: {err}");
        assert!(!err.contains("panicked"), "{flags:?}: {err}");
    }
    let files = {
        let [values, mesh, config] = extract_files(&tmp, &install("default", &[], ""));
        [
            "--valuesFile".to_string(),
            values,
            "--meshConfigFile".into(),
            mesh,
            "--injectConfigFile".into(),
            config,
        ]
    };
    let mut args = vec!["kube-inject", "-f", input, "--set", "profile=demo"];
    args.extend(files.iter().map(String::as_str));
    let out = meshctl(&args);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: kube-inject: --operatorFileName, --set and --manifests have no effect when --valuesFile, --meshConfigFile and --injectConfigFile are all given\n"
    );
    // Refused before stdin is read (an empty input, so that the unread pipe cannot break).
    let out = meshctl_stdin(&["kube-inject", "-f", "-", "--operatorFileName", "-"], "");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: -f -: stdin is already read by --operatorFileName -\n"
    );
}

/// The `OTEL_RESOURCE_ATTRIBUTES` entry of the injected proxy's environment, if any.
fn otel_env(injected: &str) -> Option<String> {
    let at = injected.find("- name: OTEL_RESOURCE_ATTRIBUTES\n")?;
    let value = injected[at..]
        .lines()
        .nth(1)?
        .trim()
        .strip_prefix("value: ")?;
    Some(value.trim_matches('"').to_string())
}

#[test]
fn otel_resource_attributes_follow_the_mesh_config_provider() {
    let provider = |enrichment: &str| {
        [
            "--set".to_string(),
            "meshConfig.extensionProviders[0].name=otel".to_string(),
            "--set".to_string(),
            "meshConfig.extensionProviders[0].opentelemetry.service=collector.obs".to_string(),
            "--set".to_string(),
            "meshConfig.extensionProviders[0].opentelemetry.port=4317".to_string(),
            "--set".to_string(),
            format!(
                "meshConfig.extensionProviders[0].opentelemetry.serviceAttributeEnrichment={enrichment}"
            ),
        ]
    };
    let args = provider("OTEL_SEMANTIC_CONVENTIONS");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(
        otel_env(&kube_inject(&args)).as_deref(),
        Some(
            "service.namespace=default,service.version=1.0,service.instance.id=default.$(POD_NAME).hello"
        )
    );
    // Istio's own naming (the default) and no provider at all: no variable.
    let args = provider("ISTIO_CANONICAL");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(otel_env(&kube_inject(&args)), None);
    assert_eq!(otel_env(&kube_inject(&[])), None);
}
