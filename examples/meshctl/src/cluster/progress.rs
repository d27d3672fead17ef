//! Showing the engine's progress: indicatif bars per stage (with the component being applied)
//! and spinners per wait when stderr is a terminal; a few plain lines otherwise.

use indicatif::{ProgressBar, ProgressStyle};
use mesh_cluster::Event;
use mesh_manifest::order::ObjectId;
use std::io::{IsTerminal, Write};
use std::time::Duration;

/// Where progress goes.
pub enum Progress {
    /// Live bars on a terminal.
    Bars(Bars),
    /// One line per stage, wait and deletion, on stderr; worded for a dry run when `true`.
    Plain(bool),
}

/// The live bars: one at a time (stages and waits follow each other), each finished bar
/// staying on screen above the next.
pub struct Bars {
    current: Option<ProgressBar>,
    dry_run: bool,
}

impl Progress {
    /// Bars when stderr is a terminal, plain lines otherwise; a dry run's deletions and
    /// takeovers are worded as what would happen.
    pub fn for_stderr(dry_run: bool) -> Self {
        if std::io::stderr().is_terminal() {
            Progress::Bars(Bars {
                current: None,
                dry_run,
            })
        } else {
            Progress::Plain(dry_run)
        }
    }

    /// Shows one event.
    pub fn event(&mut self, event: Event) {
        match self {
            Progress::Bars(bars) => bars.event(event),
            Progress::Plain(dry_run) => {
                if let Some(line) = plain(&event, *dry_run) {
                    let _ = writeln!(std::io::stderr().lock(), "{line}");
                }
            }
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

/// The line about a namespace that existed before the install (not mesh's).
fn existing_namespace(id: &ObjectId) -> String {
    format!(
        "namespace {} exists and was not created by mesh: not labelled as mesh's (uninstall --delete-namespace will keep it)",
        id.name
    )
}

/// How fields taken back from another manager are introduced (a dry run: would be).
fn took_back(dry_run: bool) -> &'static str {
    if dry_run {
        "would take back from another field manager:"
    } else {
        "took back from another field manager:"
    }
}

/// The plain line of an event, if it has one; a dry run says what would happen.
fn plain(event: &Event, dry_run: bool) -> Option<String> {
    let would = if dry_run { "would " } else { "" };
    Some(match event {
        Event::StageApplied { stage } if dry_run => format!("checked {stage}"),
        Event::StageApplied { stage } => format!("applied {stage}"),
        Event::DryRunSkipped { id, reason } => format!("dry run: not checked {id}: {reason}"),
        Event::ExistingNamespace { id } => existing_namespace(id),
        Event::TookOver(takeover) => format!("{} {takeover}", took_back(dry_run)),
        Event::WaitStarted { what, objects } => format!("waiting for {objects} {what}"),
        Event::WaitDone { what } => format!("{what} ready"),
        Event::PruneStarted { objects } if *objects > 0 => {
            format!("{would}prune {objects} objects")
        }
        Event::Deleted { id } if dry_run => format!("would delete {id}"),
        Event::Deleted { id } => format!("deleted {id}"),
        Event::AlreadyGone { id } => format!("already gone: {id}"),
        _ => return None,
    })
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
            Event::ExistingNamespace { id } => {
                if let Some(bar) = &self.current {
                    bar.println(existing_namespace(&id));
                }
            }
            Event::TookOver(takeover) => {
                let line = format!("{} {takeover}", took_back(self.dry_run));
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
                    let verb = if self.dry_run {
                        "would delete"
                    } else {
                        "deleted"
                    };
                    let _ = writeln!(std::io::stderr().lock(), "{verb} {id}");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mesh_cluster::{FieldConflict, Takeover};

    #[test]
    fn plain_lines_of_a_dry_run_say_what_would_happen() {
        let id = ObjectId::new("apps", "Deployment", "istio-system", "istio-egressgateway");
        let deleted = Event::Deleted { id: id.clone() };
        assert_eq!(
            plain(&deleted, false).as_deref(),
            Some("deleted Deployment.apps/istio-system/istio-egressgateway")
        );
        assert_eq!(
            plain(&deleted, true).as_deref(),
            Some("would delete Deployment.apps/istio-system/istio-egressgateway")
        );
        let pruning = Event::PruneStarted { objects: 3 };
        assert_eq!(
            plain(&pruning, true).as_deref(),
            Some("would prune 3 objects")
        );
        assert_eq!(plain(&Event::PruneStarted { objects: 0 }, false), None);
        let took = Event::TookOver(Takeover {
            id,
            conflicts: vec![FieldConflict {
                manager: "intruder".into(),
                field: ".metadata.labels.istio".into(),
            }],
        });
        assert_eq!(
            plain(&took, false).as_deref(),
            Some(
                "took back from another field manager: Deployment.apps/istio-system/istio-egressgateway: .metadata.labels.istio from \"intruder\""
            )
        );
        assert!(plain(&took, true).unwrap().starts_with("would take back"));
    }
}
