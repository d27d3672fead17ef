//! The shutdown trigger: SIGTERM (what the kubelet sends) or SIGINT (Ctrl-C).

/// Completes when the process receives SIGTERM or SIGINT.
#[cfg(unix)]
pub async fn signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (term, int) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    );
    match (term, int) {
        (Ok(mut term), Ok(mut int)) => {
            let name = tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            };
            tracing::info!(signal = name, "shutdown requested");
        }
        (Err(error), _) | (_, Err(error)) => {
            // Without signal handlers the process can still be killed; serve until then.
            tracing::error!(%error, "cannot install signal handlers; graceful shutdown disabled");
            std::future::pending::<()>().await;
        }
    }
}

/// Completes on Ctrl-C.
#[cfg(not(unix))]
pub async fn signal() {
    if tokio::signal::ctrl_c().await.is_ok() {
        tracing::info!(signal = "ctrl-c", "shutdown requested");
    } else {
        std::future::pending::<()>().await;
    }
}
