//! `meshctl verify-install`: compare the cluster with the rendered installation; a table of
//! what is missing or not ready; exit 0 when everything is there and ready, 1 otherwise.

use super::connect::KubeArgs;
use super::install::cluster_error;
use super::render::resolve_and_render;
use crate::CliError;
use crate::inputs::InputArgs;
use clap::Args;
use mesh_cluster::{PlanOptions, RowStatus, VerifyReport, VerifyRow, install_plan, verify_install};
use std::fmt::Write as _;
use std::process::ExitCode;

// Flags of `verify-install`.
#[derive(Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    inputs: InputArgs,
    /// Control plane revision (same as `--set revision=REVISION`, applied last).
    #[arg(short = 'r', long = "revision")]
    revision: Option<String>,
    /// List every object, not only the problems.
    #[arg(long)]
    all: bool,
    #[command(flatten)]
    kube: KubeArgs,
}

/// Runs `verify-install`.
pub async fn run(args: VerifyArgs) -> Result<ExitCode, CliError> {
    let (connected, rendered) =
        resolve_and_render(&args.inputs, args.revision.as_deref(), &args.kube).await?;
    let plan = install_plan(
        &rendered.manifest,
        &rendered.ownership,
        &PlanOptions {
            dry_run: false,
            prune: false,
        },
    );
    let report = verify_install(&connected.cluster, &plan)
        .await
        .map_err(cluster_error)?;
    print!("{}", table(&report, args.all));
    Ok(if report.healthy() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn status_text(status: &RowStatus) -> (&'static str, String) {
    match status {
        RowStatus::Ok => ("ok", String::new()),
        RowStatus::Missing => ("missing", String::new()),
        RowStatus::NotReady(why) => ("not ready", why.clone()),
        RowStatus::NotOurs => (
            "not ours",
            "exists without this installation's labels".to_string(),
        ),
    }
}

/// The table (problems only unless `all`) and a summary line.
fn table(report: &VerifyReport, all: bool) -> String {
    let rows: Vec<&VerifyRow> = report
        .rows
        .iter()
        .filter(|r| all || r.status != RowStatus::Ok)
        .collect();
    let mut out = String::new();
    if !rows.is_empty() {
        let _ = writeln!(
            out,
            "{:<10} {:<16} {:<60} DETAIL",
            "STATUS", "COMPONENT", "OBJECT"
        );
        for r in rows {
            let (status, detail) = status_text(&r.status);
            let component = r.component.map(|c| c.as_str()).unwrap_or("-");
            let line = format!(
                "{status:<10} {component:<16} {:<60} {detail}",
                r.id.to_string()
            );
            let _ = writeln!(out, "{}", line.trim_end());
        }
    }
    let problems = report.problems().count();
    if problems == 0 {
        let _ = writeln!(out, "{} objects present and ready", report.rows.len());
    } else {
        let _ = writeln!(
            out,
            "{problems} of {} objects missing or not ready",
            report.rows.len()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mesh_core::ComponentName;
    use mesh_manifest::order::ObjectId;

    #[test]
    fn the_table_lists_problems_and_a_summary() {
        let report = VerifyReport {
            rows: vec![
                VerifyRow {
                    id: ObjectId::new("", "ConfigMap", "istio-system", "istio"),
                    component: Some(ComponentName::Pilot),
                    status: RowStatus::Ok,
                },
                VerifyRow {
                    id: ObjectId::new("apps", "Deployment", "istio-system", "istiod"),
                    component: Some(ComponentName::Pilot),
                    status: RowStatus::NotReady("0 of 1 updated replicas available".into()),
                },
            ],
        };
        let text = table(&report, false);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(
            lines[1].starts_with("not ready  Pilot            Deployment.apps/istio-system/istiod")
        );
        assert!(lines[1].ends_with("0 of 1 updated replicas available"));
        assert_eq!(lines[2], "1 of 2 objects missing or not ready");
        assert_eq!(table(&report, true).lines().count(), 4);
    }
}
