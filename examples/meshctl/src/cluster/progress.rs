//! Showing the engine's progress: indicatif bars per stage (with the component being applied)
//! and spinners per wait when stderr is a terminal; a few plain lines otherwise.

use indicatif::{ProgressBar, ProgressStyle};
use mesh_cluster::Event;
use std::io::{IsTerminal, Write};
use std::time::Duration;

/// Where progress goes.
pub enum Progress {
    /// Live bars on a terminal.
    Bars(Bars),
    /// One line per stage, wait and deletion, on stderr.
    Plain,
}

/// The live bars: one at a time (stages and waits follow each other), each finished bar
/// staying on screen above the next.
pub struct Bars {
    current: Option<ProgressBar>,
}

impl Progress {
    /// Bars when stderr is a terminal, plain lines otherwise.
    pub fn for_stderr() -> Self {
        if std::io::stderr().is_terminal() {
            Progress::Bars(Bars { current: None })
        } else {
            Progress::Plain
        }
    }

    /// Shows one event.
    pub fn event(&mut self, event: Event) {
        match self {
            Progress::Bars(bars) => bars.event(event),
            Progress::Plain => plain(&event),
        }
    }

    /// Stops a live bar that an error interrupted.
    pub fn abandon(&mut self) {
        if let Progress::Bars(bars) = self
            && let Some(bar) = bars.current.take()
        {
            bar.abandon_with_message("failed");
        }
    }
}

/// How a field taken back from another manager is introduced.
const TOOK_BACK: &str = "took back from another field manager:";

fn plain(event: &Event) {
    let line = match event {
        Event::StageApplied { stage } => format!("applied {stage}"),
        Event::DryRunSkipped { id, reason } => format!("dry run: not checked {id}: {reason}"),
        Event::TookOver(takeover) => format!("{TOOK_BACK} {takeover}"),
        Event::WaitStarted { what, objects } => format!("waiting for {objects} {what}"),
        Event::WaitDone { what } => format!("{what} ready"),
        Event::PruneStarted { objects } if *objects > 0 => format!("pruning {objects} objects"),
        Event::Deleted { id } => format!("deleted {id}"),
        Event::AlreadyGone { id } => format!("already gone: {id}"),
        _ => return,
    };
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix:<20} [{bar:30}] {pos:>3}/{len:3} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix:<20} {spinner} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

impl Bars {
    /// Makes `bar` the current one; its prefix is set before it is first drawn.
    fn start(&mut self, bar: ProgressBar, prefix: String) -> &ProgressBar {
        if let Some(old) = self.current.take() {
            old.finish();
        }
        bar.set_prefix(prefix);
        self.current.insert(bar)
    }

    fn finish(&mut self, message: &str) {
        if let Some(bar) = self.current.take() {
            bar.finish_with_message(message.to_string());
        }
    }

    fn event(&mut self, event: Event) {
        match event {
            Event::StageStarted { stage, objects } => {
                let bar = ProgressBar::new(objects as u64).with_style(bar_style());
                self.start(bar, stage.to_string());
            }
            Event::Applied { id, component, .. } => {
                if let Some(bar) = &self.current {
                    bar.inc(1);
                    let who = component.map(|c| c.as_str()).unwrap_or("namespace");
                    bar.set_message(format!("{who}: {}/{}", id.kind, id.name));
                }
            }
            Event::DryRunSkipped { id, reason } => {
                if let Some(bar) = &self.current {
                    bar.inc(1);
                    bar.println(format!("dry run: not checked {id}: {reason}"));
                }
            }
            Event::TookOver(takeover) => {
                let line = format!("{TOOK_BACK} {takeover}");
                match &self.current {
                    Some(bar) => bar.println(line),
                    None => {
                        let _ = writeln!(std::io::stderr().lock(), "{line}");
                    }
                }
            }
            Event::StageApplied { .. } => self.finish("done"),
            Event::WaitStarted { what, objects } => {
                let bar = ProgressBar::new_spinner().with_style(spinner_style());
                bar.set_message(format!("{objects} {what}"));
                self.start(bar, format!("waiting: {what}"))
                    .enable_steady_tick(Duration::from_millis(120));
            }
            Event::Waiting { pending, .. } => {
                if let (Some(bar), Some(first)) = (&self.current, pending.first()) {
                    let more = pending.len() - 1;
                    let suffix = if more > 0 {
                        format!(" (+{more} more)")
                    } else {
                        String::new()
                    };
                    bar.set_message(format!("{first}{suffix}"));
                }
            }
            Event::WaitDone { .. } => self.finish("ready"),
            Event::PruneStarted { objects } => {
                let bar = ProgressBar::new(objects as u64).with_style(bar_style());
                self.start(bar, "prune".to_string());
                if objects == 0 {
                    self.finish("nothing to prune");
                }
            }
            Event::Deleted { id } | Event::AlreadyGone { id } => {
                if let Some(bar) = &self.current {
                    bar.inc(1);
                    bar.set_message(format!("{}/{}", id.kind, id.name));
                } else {
                    let _ = writeln!(std::io::stderr().lock(), "deleted {id}");
                }
            }
        }
    }
}
