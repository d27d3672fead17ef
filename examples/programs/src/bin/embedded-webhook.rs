//! Serve the injection webhook inside your own program: your flags, your logging, your signals;
//! mesh-webhook brings the routes, TLS with certificate rotation, reloads, metrics and the drain.
//!
//! ```sh
//! cargo run -p mesh-examples --bin embedded-webhook -- tls.crt tls.key values.json inject-config.yaml
//! ```
//! The files are the webhook's serving certificate and key and the `values`/`config` keys of the
//! `istio-sidecar-injector` ConfigMap (`meshctl manifest generate` renders it). Stops on Ctrl-C.

use mesh_webhook::{CertFiles, ConfigFiles, Drained, Settings};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [cert, key, values, inject_config] = args.as_slice() else {
        eprintln!("usage: embedded-webhook TLS_CERT TLS_KEY VALUES INJECT_CONFIG");
        return ExitCode::from(2);
    };
    let cert = CertFiles {
        cert: cert.into(),
        key: key.into(),
    };
    let mut settings = Settings::new(cert, ConfigFiles::new(values, inject_config));
    settings.listen = ([127, 0, 0, 1], 9443).into();
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match mesh_webhook::run(settings, shutdown).await {
        Ok(Drained::Clean) => ExitCode::SUCCESS,
        Ok(Drained::TimedOut) => ExitCode::from(1),
        Err(e) => {
            eprintln!("embedded-webhook: {e}");
            ExitCode::from(2)
        }
    }
}
