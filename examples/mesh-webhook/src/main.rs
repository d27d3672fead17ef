//! mesh-webhook: the sidecar injection webhook (the `mesh-webhook` library) as a program. This
//! file parses flags, sets up logging and signals, and maps the outcome to the exit code:
//! 0 clean shutdown, 1 drain timeout reached, 2 bad configuration or startup failure.

mod logging;
mod shutdown;

use clap::{Parser, ValueEnum};
use mesh_inject::NativeSidecars;
use mesh_webhook::{CertFiles, ConfigFiles, Drained, Limits, ServerLimits, Settings};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// The static build's allocator (see Cargo.toml: musl's malloc is slow on many small blocks).
#[cfg(target_env = "musl")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Istio's sidecar injection webhook (targets Istio 1.30.3), served over TLS.
#[derive(Parser, Debug)]
#[command(
    name = "mesh-webhook",
    version,
    about = "Istio's sidecar injection webhook (targets Istio 1.30.3), served over TLS",
    long_about = "Istio's sidecar injection webhook (targets Istio 1.30.3), served over TLS\n\n\
        It adds the Istio sidecar to pods as the API server creates them, with the injector \
        configuration of the istio-sidecar-injector and istio ConfigMaps (files mounted into its \
        pod), and reloads those files and its certificate when they change. \
        `meshctl x webhook-manifest` renders the objects that run it in a cluster.\n\n\
        Exit codes: 0 clean shutdown, 1 drain timeout reached, 2 bad configuration or startup failure.",
    after_help = "Examples:\n  \
        # Serve with the mounts `meshctl x webhook-manifest` sets up\n  \
        mesh-webhook --tls-cert /var/run/secrets/mesh-webhook/tls.crt \\\n      \
        --tls-key /var/run/secrets/mesh-webhook/tls.key \\\n      \
        --values /var/lib/istio/inject/values --inject-config /var/lib/istio/inject/config \\\n      \
        --mesh-config /etc/istio/config/mesh"
)]
struct Flags {
    /// Serving certificate chain, PEM (reloaded when it changes).
    #[arg(long, value_name = "FILE")]
    tls_cert: PathBuf,
    /// Serving private key, PEM (reloaded when it changes).
    #[arg(long, value_name = "FILE")]
    tls_key: PathBuf,
    /// Injector values, JSON or YAML (`values` of the istio-sidecar-injector ConfigMap).
    #[arg(long, value_name = "FILE")]
    values: PathBuf,
    /// Mesh config, YAML (`mesh` of the istio ConfigMap); Istio's defaults when absent.
    #[arg(long, value_name = "FILE")]
    mesh_config: Option<PathBuf>,
    /// Injector config, YAML (`config` of the istio-sidecar-injector ConfigMap).
    #[arg(long, value_name = "FILE")]
    inject_config: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value_t = Settings::DEFAULT_LISTEN, value_name = "ADDR")]
    listen: SocketAddr,
    /// Control plane revision stamped on injected pods (empty for the default revision).
    #[arg(long, default_value = "")]
    revision: String,
    /// Inject `istio-proxy` as a native sidecar. `auto` has no cluster to ask and injects
    /// classic sidecars; set `true` when every kubelet is 1.33 or later.
    #[arg(long, value_enum, default_value_t = NativeMode::Auto)]
    native_sidecars: NativeMode,
    /// Compliance policy for proxies (istiod's COMPLIANCE_POLICY, e.g. fips-140-2).
    #[arg(long, default_value = "")]
    compliance_policy: String,
    /// The cluster is OpenShift (istiod's PLATFORM=openshift).
    #[arg(long)]
    openshift: bool,
    /// Largest accepted request body in bytes (413 beyond).
    #[arg(long, default_value_t = Limits::DEFAULT.max_body_bytes, value_name = "BYTES")]
    max_body_bytes: usize,
    /// Seconds allowed to receive a request body (408 beyond).
    #[arg(long, default_value_t = Limits::DEFAULT.read_timeout.as_secs_f64(), value_name = "SECONDS")]
    read_timeout: f64,
    /// Seconds allowed to decide a request once its body is in (503 beyond).
    #[arg(long, default_value_t = Limits::DEFAULT.handler_timeout.as_secs_f64(), value_name = "SECONDS")]
    handler_timeout: f64,
    /// Seconds an HTTP/1.1 connection may wait for the next request's headers (idle keep-alive
    /// connections close after it; keep it above the 90 s idle timeout of Go clients so the
    /// client, not the server, closes idle connections), and the HTTP/2 ping interval.
    #[arg(long, default_value_t = ServerLimits::DEFAULT.idle_timeout.as_secs_f64(), value_name = "SECONDS")]
    idle_timeout: f64,
    /// Seconds allowed for a TLS handshake.
    #[arg(long, default_value_t = ServerLimits::DEFAULT.handshake_timeout.as_secs_f64(), value_name = "SECONDS")]
    handshake_timeout: f64,
    /// Seconds allowed for in-flight requests to finish after SIGTERM/SIGINT.
    #[arg(long, default_value_t = ServerLimits::DEFAULT.drain_timeout.as_secs_f64(), value_name = "SECONDS")]
    drain_timeout: f64,
    /// Seconds between checks of the certificate and configuration files.
    #[arg(long, default_value_t = Settings::DEFAULT_RELOAD_INTERVAL.as_secs_f64(), value_name = "SECONDS")]
    reload_interval: f64,
    /// Log line format.
    #[arg(long, value_enum, default_value_t = logging::LogFormat::Text)]
    log_format: logging::LogFormat,
    /// Most verbose level logged: error, warn, info, debug or trace.
    #[arg(long, default_value = "info")]
    log_level: tracing::level_filters::LevelFilter,
    /// Async worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    worker_threads: Option<usize>,
}

/// `--native-sidecars` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum NativeMode {
    /// No cluster to ask: classic sidecars.
    Auto,
    /// Always native sidecars.
    True,
    /// Never native sidecars.
    False,
}

fn seconds(flag: &str, value: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(value).map_err(|e| format!("--{flag} {value}: {e}"))
}

fn settings(flags: Flags) -> Result<Settings, String> {
    let native_sidecars = match flags.native_sidecars {
        NativeMode::Auto => NativeSidecars::Auto,
        NativeMode::True => NativeSidecars::Enabled,
        NativeMode::False => NativeSidecars::Disabled,
    };
    Ok(Settings {
        listen: flags.listen,
        cert: CertFiles {
            cert: flags.tls_cert,
            key: flags.tls_key,
        },
        config: ConfigFiles {
            values: flags.values,
            mesh_config: flags.mesh_config,
            inject_config: flags.inject_config,
            revision: flags.revision,
            native_sidecars,
            compliance_policy: flags.compliance_policy,
        },
        limits: Limits {
            max_body_bytes: flags.max_body_bytes,
            read_timeout: seconds("read-timeout", flags.read_timeout)?,
            handler_timeout: seconds("handler-timeout", flags.handler_timeout)?,
        },
        server: ServerLimits {
            handshake_timeout: seconds("handshake-timeout", flags.handshake_timeout)?,
            idle_timeout: seconds("idle-timeout", flags.idle_timeout)?,
            drain_timeout: seconds("drain-timeout", flags.drain_timeout)?,
        },
        reload_interval: seconds("reload-interval", flags.reload_interval)?,
        openshift: flags.openshift,
    })
}

fn main() -> ExitCode {
    let flags = match Flags::try_parse() {
        Ok(flags) => flags,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    logging::init(flags.log_format, flags.log_level);
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all();
    if let Some(n) = flags.worker_threads {
        runtime.worker_threads(n.max(1));
    }
    let settings = match settings(flags) {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let runtime = match runtime.build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(mesh_webhook::run(settings, shutdown::signal())) {
        Ok(Drained::Clean) => ExitCode::SUCCESS,
        Ok(Drained::TimedOut) => ExitCode::from(1),
        Err(e) => {
            tracing::error!(error = %e, "cannot start");
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
