//! Reloading: a watcher thread that polls the mounted files and swaps what changed into the
//! [`Live`] values the requests read.
//!
//! Polling compares file contents rather than relying on inotify: Kubernetes updates ConfigMap
//! and Secret volumes by swapping a `..data` symlink, which inotify watches on the files miss,
//! and a content comparison cannot be fooled by coarse mtimes. The files are small.

use crate::config::{self, ConfigFiles, Snapshot};
use crate::live::Live;
use crate::metrics::{Metrics, ReloadKind};
use crate::tls::CertResolver;
use mesh_inject::Injector;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

/// Something the watcher re-reads.
pub(crate) trait Source: Send {
    /// What it is, for logs and metrics.
    fn kind(&self) -> ReloadKind;
    /// Re-reads the files. `Ok(false)`: nothing changed; `Ok(true)`: reloaded; `Err`: the new
    /// files are unusable and the previous value stays in service.
    fn poll(&mut self) -> Result<bool, String>;
}

/// The injector, rebuilt when the values, mesh config or injector config change.
pub(crate) struct InjectorSource {
    files: ConfigFiles,
    /// The last contents seen, usable or not, so a broken file is reported once.
    seen: Snapshot,
    live: Arc<Live<Injector>>,
}

impl InjectorSource {
    /// Watches `files`; `seen` is what the live injector was built from.
    pub(crate) fn new(files: ConfigFiles, seen: Snapshot, live: Arc<Live<Injector>>) -> Self {
        InjectorSource { files, seen, live }
    }
}

impl Source for InjectorSource {
    fn kind(&self) -> ReloadKind {
        ReloadKind::Injector
    }

    fn poll(&mut self) -> Result<bool, String> {
        let snapshot = config::read_snapshot(&self.files).map_err(|e| e.to_string())?;
        if snapshot == self.seen {
            return Ok(false);
        }
        self.seen = snapshot;
        let injector =
            config::build_injector(&self.seen, &self.files).map_err(|e| e.to_string())?;
        self.live.set(injector);
        Ok(true)
    }
}

/// The serving certificate, replaced when the certificate or key file changes.
pub(crate) struct CertSource {
    resolver: Arc<CertResolver>,
}

impl CertSource {
    /// Watches the files `resolver` was loaded from.
    pub(crate) fn new(resolver: Arc<CertResolver>) -> Self {
        CertSource { resolver }
    }
}

impl Source for CertSource {
    fn kind(&self) -> ReloadKind {
        ReloadKind::Certificate
    }

    fn poll(&mut self) -> Result<bool, String> {
        self.resolver.reload().map_err(|e| e.to_string())
    }
}

/// The polling thread; stopped by [`Watcher::stop`] or by being dropped.
pub(crate) struct Watcher {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Watcher {
    /// Starts polling `sources` every `interval`.
    pub(crate) fn spawn(
        mut sources: Vec<Box<dyn Source>>,
        interval: Duration,
        metrics: Arc<Metrics>,
    ) -> std::io::Result<Self> {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("config-watcher".to_string())
            .spawn(move || {
                // The last error per source, so a file that stays broken is logged once.
                let mut last_errors: Vec<Option<String>> = vec![None; sources.len()];
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
                    for (source, last_error) in sources.iter_mut().zip(&mut last_errors) {
                        poll_one(source.as_mut(), last_error, &metrics);
                    }
                }
            })?;
        Ok(Watcher {
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Stops the thread and waits for it.
    pub(crate) fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn poll_one(source: &mut dyn Source, last_error: &mut Option<String>, metrics: &Metrics) {
    let kind = source.kind();
    match source.poll() {
        Ok(false) => {}
        Ok(true) => {
            *last_error = None;
            metrics.reloaded(kind, true);
            tracing::info!(kind = ?kind, "configuration reloaded");
        }
        Err(message) => {
            if last_error.as_deref() != Some(message.as_str()) {
                metrics.reloaded(kind, false);
                tracing::warn!(kind = ?kind, error = %message, "reload failed; keeping the configuration in service");
                *last_error = Some(message);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Scripted {
        results: Vec<Result<bool, String>>,
    }

    impl Source for Scripted {
        fn kind(&self) -> ReloadKind {
            ReloadKind::Injector
        }
        fn poll(&mut self) -> Result<bool, String> {
            self.results.remove(0)
        }
    }

    #[test]
    fn a_persistent_error_is_counted_once() {
        let metrics = Metrics::default();
        let mut source = Scripted {
            results: vec![
                Err("bad".into()),
                Err("bad".into()),
                Ok(true),
                Err("bad".into()),
            ],
        };
        let mut last = None;
        for _ in 0..4 {
            poll_one(&mut source, &mut last, &metrics);
        }
        let text = metrics.render();
        assert!(
            text.contains("mesh_webhook_reloads_total{kind=\"injector\",result=\"error\"} 2\n")
        );
        assert!(
            text.contains("mesh_webhook_reloads_total{kind=\"injector\",result=\"success\"} 1\n")
        );
    }
}
