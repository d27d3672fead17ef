//! Log output: structured `tracing` events to stderr, as text or one JSON object per line.

use tracing::level_filters::LevelFilter;

/// The log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// `key=value` text, one event per line.
    Text,
    /// One JSON object per line (for log collectors).
    Json,
}

/// Installs the global subscriber. Only the first call in a process has an effect.
pub fn init(format: LogFormat, level: LevelFilter) {
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .with_target(false)
        .with_ansi(false);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
