//! `meshctl install` and `meshctl upgrade`: render for the cluster, confirm, apply stage by
//! stage with progress, wait, prune.

use super::confirm::confirm;
use super::connect::KubeArgs;
use super::progress::Progress;
use super::render::resolve_and_render;
use crate::CliError;
use crate::inputs::InputArgs;
use clap::Args;
use mesh_cluster::precheck::installed_revisions;
use mesh_cluster::precheck::{denials, plan_access_checks};
use mesh_cluster::{
    ApiTarget, Cluster, ClusterError, InstallPlan, PlanOptions, RunOptions, WaitOptions,
    install_plan, mark_addons, review_access, run_plan,
};
use mesh_manifest::addons::{read_settings, with_control_plane};
use std::process::ExitCode;
use std::time::Duration;

// Flags of `install` and `upgrade`.
#[derive(Args)]
pub struct InstallArgs {
    #[command(flatten)]
    inputs: InputArgs,
    /// Control plane revision (same as `--set revision=REVISION`, applied last).
    #[arg(short = 'r', long = "revision")]
    revision: Option<String>,
    /// Do not ask for confirmation.
    #[arg(short = 'y', long = "skip-confirmation")]
    yes: bool,
    /// Server-side dry run: the API server validates every object, nothing is changed.
    #[arg(long = "dry-run")]
    dry_run: bool,
    /// How long to wait for CRDs and workloads to become ready (`300s`, `5m`, `300`).
    #[arg(long = "readiness-timeout", value_name = "DURATION", default_value = "300s",
          value_parser = parse_duration)]
    readiness_timeout: Duration,
    /// Observability addons to install with the control plane (`kiali,prometheus`); an install
    /// without them removes the ones a previous install added.
    #[arg(long = "addons", value_name = "NAME,...", value_delimiter = ',')]
    addons: Vec<String>,
    /// Override an addon setting (see `meshctl addons generate --set`; repeatable).
    #[arg(long = "addons-set", value_name = "PATH=VALUE", requires = "addons")]
    addons_set: Vec<String>,
    #[command(flatten)]
    kube: KubeArgs,
}

/// Which command runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `install`.
    Install,
    /// `upgrade`: an installation of the revision must exist.
    Upgrade,
}

/// Runs `install` or `upgrade`.
pub async fn run(args: InstallArgs, mode: Mode) -> Result<ExitCode, CliError> {
    // Bad addon input is reported before connecting, like bad IstioOperator input.
    let addons = crate::addons::parse_addons(&args.addons)?;
    let settings = read_settings(&[], &args.addons_set)?;
    let inputs = crate::addons::render_inputs(&addons, &settings, None)?;
    let (connected, rendered) =
        resolve_and_render(&args.inputs, args.revision.as_deref(), &args.kube).await?;
    let ownership = &rendered.ownership;
    let cluster = &connected.cluster;
    let (manifest, addon_ids) = if addons.is_empty() {
        (rendered.manifest.clone(), Vec::new())
    } else {
        with_control_plane(rendered.manifest.clone(), &addons, &settings, &inputs)?
    };
    let mut plan = install_plan(
        &manifest,
        ownership,
        &PlanOptions {
            dry_run: args.dry_run,
            prune: true,
        },
    );
    mark_addons(&mut plan, &addon_ids.into_iter().collect());
    // Before anything else touches the cluster: refuse what would fail half way.
    check_permissions(cluster, &plan).await?;

    let istiods = cluster
        .list(&deployments(), "", "app=istiod")
        .await
        .map_err(cluster_error)?;
    let existing = installed_revisions(&istiods)
        .into_iter()
        .find(|r| r.revision == ownership.revision && r.namespace == ownership.owner_namespace);
    let action = match (mode, &existing) {
        (Mode::Upgrade, None) => {
            return Err(CliError::msg(format!(
                "no installation of revision {} in {} to upgrade; use `meshctl install`",
                ownership.revision, ownership.owner_namespace
            )));
        }
        (_, Some(e)) if !e.version.is_empty() => {
            format!(
                "upgrade revision {} from {} to",
                ownership.revision, e.version
            )
        }
        _ => format!("install revision {} of", ownership.revision),
    };
    let question = format!(
        "This will {action} Istio {} (profile {:?}) in {} on the cluster at {}.",
        ownership.version,
        rendered.profile(),
        ownership.owner_namespace,
        connected.url
    );
    if !args.yes && !args.dry_run {
        confirm(&question)?;
    }

    let opts = RunOptions {
        wait: WaitOptions {
            timeout: args.readiness_timeout,
            ..WaitOptions::default()
        },
    };
    let mut progress = Progress::for_stderr(args.dry_run);
    let result = run_plan(cluster, &plan, &opts, &mut |e| progress.event(e)).await;
    let report = match result {
        Ok(report) => report,
        Err(e) => {
            progress.abandon();
            return Err(cluster_error(e));
        }
    };
    if args.dry_run {
        eprintln!(
            "dry run: the API server accepted {} objects; {} could not be checked before a real install; {} would be taken back from other field managers; {} would be pruned",
            report.applied.len(),
            report.dry_run_skipped.len(),
            report.taken_over.len(),
            report.pruned.len()
        );
    } else {
        eprintln!(
            "installed {} objects in {} stages; took back fields of {} objects from other field managers; pruned {}",
            report.applied.len(),
            manifest.stages.len(),
            report.taken_over.len(),
            report.pruned.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Refuses the install, before anything is applied, when the current user lacks a permission
/// the plan needs (one SelfSubjectAccessReview per verb, kind and namespace). A server that does
/// not let us ask is not a reason to stop: the applies then report what is forbidden.
async fn check_permissions(cluster: &Cluster, plan: &InstallPlan) -> Result<(), CliError> {
    let decisions = match review_access(cluster, plan_access_checks(plan)).await {
        Ok(decisions) => decisions,
        Err(ClusterError::Forbidden { .. }) => return Ok(()),
        Err(e) => return Err(cluster_error(e)),
    };
    let denied = denials(&decisions);
    if denied.is_empty() {
        return Ok(());
    }
    let mut lines: Vec<String> = denied.iter().map(|d| format!("forbidden: {d}")).collect();
    lines.push(
        "nothing was applied: the current user lacks these permissions (`meshctl x precheck` checks them); use an identity that has them (--kubeconfig, --context)"
            .to_string(),
    );
    Err(CliError::many(lines))
}

fn deployments() -> ApiTarget {
    ApiTarget::new("apps", "v1", "Deployment", "deployments", true)
}

/// A cluster error as CLI error lines (a timeout keeps one line per object).
pub fn cluster_error(e: ClusterError) -> CliError {
    CliError::msg(e.to_string())
}

/// Parses `300s`, `5m`, `1h`, `1m30s` or plain seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = 0u64;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return Err(format!("{text:?}: unknown unit {c:?} (use s, m or h)")),
        };
        let n: u64 = number
            .parse()
            .map_err(|_| format!("{text:?}: a number must come before {c:?}"))?;
        total = total.saturating_add(n.saturating_mul(unit));
        number.clear();
    }
    if !number.is_empty() || text.is_empty() {
        return Err(format!("{text:?}: expected a duration such as 300s or 5m"));
    }
    Ok(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_accept_go_style_units_and_plain_seconds() {
        assert_eq!(parse_duration("300s"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("120"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("5m3").is_err());
    }
}
