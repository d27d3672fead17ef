//! `meshctl kube-inject`: injects the Istio sidecar into the workloads of a YAML file, offline.
//!
//! The injector's settings (injector config, values, mesh config) are those mesh's own install
//! would give istiod for the install inputs (`--operatorFileName`, `--set`, `-r`; the default
//! profile otherwise): the `istio-sidecar-injector[-<rev>]` and `istio[-<rev>]` ConfigMaps of
//! `manifest generate`. istioctl's `--valuesFile`, `--meshConfigFile` and `--injectConfigFile`
//! each replace their part.

use crate::CliError;
use crate::inputs::InputArgs;
use crate::profile::resolve_error;
use clap::{Args, ValueEnum};
use mesh_core::Value;
use mesh_inject::{InjectConfig, Injector, MeshConfig, NativeSidecars};
use mesh_manifest::generate::{GenerateOptions, generate};
use mesh_manifest::{InjectorSettings, injector_settings};
use std::io::{Read, Write};
use std::path::PathBuf;
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

// Flags of `kube-inject`. `-f` is the workload file (as in istioctl), so the install's
// IstioOperator files take istioctl's `--operatorFileName`.
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
    /// Control plane revision (for the install inputs, same as `--set revision=REVISION`,
    /// applied last).
    #[arg(short = 'r', long = "revision", default_value = "")]
    revision: String,
    /// IstioOperator files of the install whose injector to use, merged left to right (`-`
    /// reads stdin). Settings not given as files are what this install would configure.
    #[arg(long = "operatorFileName", value_name = "FILE")]
    operator_files: Vec<String>,
    /// Override an install value: `--set values.global.proxy.holdApplicationUntilProxyStarts=true`
    /// (repeatable, applied in order).
    #[arg(short = 's', long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
    /// An Istio release's `manifests/` folder to read the install's profiles from.
    #[arg(short = 'd', long = "manifests", value_name = "DIR")]
    manifests: Option<PathBuf>,
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
    parse_inject_config(&text, &source)
}

fn parse_inject_config(text: &str, source: &str) -> Result<InjectConfig, CliError> {
    let doc = mesh_core::from_yaml_str(text, source)?;
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

/// The injector settings mesh's install of the inputs would give istiod, with the revision they
/// are for.
fn install_settings(args: &KubeInjectArgs) -> Result<(InjectorSettings, String), CliError> {
    if args.file == "-" && args.operator_files.iter().any(|f| f == "-") {
        return Err(CliError::msg(
            "-f -: stdin is already read by --operatorFileName -",
        ));
    }
    let install = InputArgs {
        files: args.operator_files.clone(),
        set: args.set.clone(),
        manifests: args.manifests.clone(),
    };
    let mut inputs = install.to_inputs(&[])?;
    if !args.revision.is_empty() {
        inputs.set_flags.push(format!("revision={}", args.revision));
    }
    let resolved = mesh_profiles::resolve(&inputs).map_err(resolve_error)?;
    // `--set revision=1` is typed as a number, as istioctl does; the chart prints it.
    let revision = match resolved.operator.pointer("/spec/values/revision") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    let manifest = generate(&resolved, &GenerateOptions::default())?;
    let settings = injector_settings(&manifest, &revision)
        .map_err(|e| CliError::msg(format!("kube-inject: {e}")))?;
    Ok((settings, revision))
}

fn build_injector(args: &KubeInjectArgs) -> Result<Injector, CliError> {
    let all_files = args.values_file.is_some()
        && args.mesh_config_file.is_some()
        && args.inject_config_file.is_some();
    let install_inputs =
        !args.operator_files.is_empty() || !args.set.is_empty() || args.manifests.is_some();
    let (install, revision) = if all_files {
        if install_inputs {
            return Err(CliError::msg(
                "kube-inject: --operatorFileName, --set and --manifests have no effect when --valuesFile, --meshConfigFile and --injectConfigFile are all given",
            ));
        }
        (None, args.revision.clone())
    } else {
        let (settings, revision) = install_settings(args)?;
        (Some(settings), revision)
    };
    let values = match (&args.values_file, &install) {
        (Some(path), _) => {
            let (text, source) = unwrap_configmap(read(path)?, path, "values")?;
            mesh_core::from_yaml_str(&text, &source)?
        }
        (None, Some(settings)) => settings.values.clone(),
        (None, None) => Value::Null,
    };
    let mesh = match (&args.mesh_config_file, &install) {
        (Some(path), _) => {
            let (text, source) = unwrap_configmap(read(path)?, path, "mesh")?;
            MeshConfig::from_yaml(&text, &source)?
        }
        (None, Some(settings)) => MeshConfig::from_yaml(&settings.mesh, "install mesh config")?,
        (None, None) => MeshConfig::default(),
    };
    let config = match (&args.inject_config_file, &install) {
        (Some(path), _) => load_inject_config(path)?,
        (None, Some(settings)) => parse_inject_config(&settings.config, "install injector config")?,
        (None, None) => InjectConfig::default(),
    };
    let injector = Injector::new(
        config,
        values,
        mesh,
        revision,
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
            CliError::stdout_written(out.write_all(text.as_bytes()).and_then(|()| out.flush()))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
