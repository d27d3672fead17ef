//! `meshctl kube-inject`: injects the Istio sidecar into the workloads of a YAML file, offline,
//! from the injector's values, mesh config and injector config files.

use crate::CliError;
use clap::{Args, ValueEnum};
use mesh_inject::{InjectConfig, Injector, MeshConfig, NativeSidecars};
use std::io::{Read, Write};
use std::process::ExitCode;

/// `--native-sidecars` values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum NativeMode {
    /// Native sidecars only when `ENABLE_NATIVE_SIDECARS=true` is set (istioctl's behaviour
    /// without a cluster).
    #[default]
    Auto,
    /// Always inject native sidecars (nodes on kubelet 1.33 or later).
    True,
    /// Never inject native sidecars.
    False,
}

/// Flags of `kube-inject`.
#[derive(Args)]
pub struct KubeInjectArgs {
    /// The input file with workloads (`-` reads stdin).
    #[arg(short = 'f', long = "filename", value_name = "FILE")]
    file: String,
    /// Write the injected documents here instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<String>,
    /// Injector values (the `values` key of the istio-sidecar-injector ConfigMap, JSON or YAML).
    #[arg(long = "valuesFile", value_name = "FILE")]
    values_file: Option<String>,
    /// Mesh config (the `mesh` key of the istio ConfigMap), applied over Istio's defaults.
    #[arg(long = "meshConfigFile", value_name = "FILE")]
    mesh_config_file: Option<String>,
    /// Injector config (the `config` key of the istio-sidecar-injector ConfigMap).
    #[arg(long = "injectConfigFile", value_name = "FILE")]
    inject_config_file: Option<String>,
    /// Inject `istio-proxy` as a native sidecar (an init container with restartPolicy Always).
    #[arg(long = "native-sidecars", value_enum, default_value_t = NativeMode::Auto)]
    native_sidecars: NativeMode,
    /// Control plane revision.
    #[arg(short = 'r', long = "revision", default_value = "")]
    revision: String,
}

fn read(path: &str) -> Result<String, CliError> {
    if path == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| CliError::msg(format!("<stdin>: cannot read: {e}")))?;
        return Ok(s);
    }
    std::fs::read_to_string(path).map_err(|e| CliError::msg(format!("{path}: cannot read: {e}")))
}

/// The `data.<key>` text when the file is a whole ConfigMap, else the file text.
fn unwrap_configmap(text: String, path: &str, key: &str) -> Result<(String, String), CliError> {
    let doc = mesh_core::from_yaml_str(&text, path)?;
    if doc.get("kind").and_then(|k| k.as_str()) == Some("ConfigMap") {
        let inner = doc
            .pointer(&format!("/data/{key}"))
            .and_then(|v| v.as_str())
            .ok_or_else(|| CliError::msg(format!("{path}: data.{key}: missing or not a string")))?;
        return Ok((inner.to_string(), format!("{path}: data.{key}")));
    }
    Ok((text, path.to_string()))
}

fn load_inject_config(path: &str) -> Result<InjectConfig, CliError> {
    let (text, source) = unwrap_configmap(read(path)?, path, "config")?;
    let doc = mesh_core::from_yaml_str(&text, &source)?;
    if doc.is_null() {
        return Ok(InjectConfig::default());
    }
    serde_json::from_value(doc)
        .map_err(|e| CliError::msg(format!("{source}: invalid injector config: {e}")))
}

fn native_mode(mode: NativeMode) -> NativeSidecars {
    match mode {
        NativeMode::True => NativeSidecars::Enabled,
        NativeMode::False => NativeSidecars::Disabled,
        NativeMode::Auto => match std::env::var("ENABLE_NATIVE_SIDECARS").as_deref() {
            Ok("true") => NativeSidecars::Enabled,
            _ => NativeSidecars::Disabled,
        },
    }
}

fn build_injector(args: &KubeInjectArgs) -> Result<Injector, CliError> {
    let values_path = args.values_file.as_deref().ok_or_else(|| {
        CliError::msg("kube-inject: --valuesFile is required (meshctl reads no cluster)")
    })?;
    let (values_text, values_source) = unwrap_configmap(read(values_path)?, values_path, "values")?;
    let values = mesh_core::from_yaml_str(&values_text, &values_source)?;
    let mesh = match &args.mesh_config_file {
        Some(path) => {
            let (text, source) = unwrap_configmap(read(path)?, path, "mesh")?;
            MeshConfig::from_yaml(&text, &source)?
        }
        None => MeshConfig::default(),
    };
    let config = match &args.inject_config_file {
        Some(path) => load_inject_config(path)?,
        None => InjectConfig::default(),
    };
    let injector = Injector::new(
        config,
        values,
        mesh,
        args.revision.clone(),
        native_mode(args.native_sidecars),
    )?;
    Ok(match std::env::var("COMPLIANCE_POLICY") {
        Ok(policy) if !policy.is_empty() => injector.with_compliance_policy(policy),
        _ => injector,
    })
}

/// Runs `kube-inject`.
pub fn run(args: KubeInjectArgs) -> Result<ExitCode, CliError> {
    let injector = build_injector(&args)?;
    let source = if args.file == "-" {
        "<stdin>"
    } else {
        args.file.as_str()
    };
    let input = read(&args.file)?;
    let output = injector.kube_inject(&input, source)?;
    for warning in &output.warnings {
        eprintln!("{warning}");
    }
    let text = output.to_yaml();
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| CliError::msg(format!("{path}: cannot write: {e}")))?,
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    return Err(CliError::msg(format!("<stdout>: cannot write: {e}")));
                }
                _ => {}
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
