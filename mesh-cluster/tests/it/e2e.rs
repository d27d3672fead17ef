//! End-to-end tests against a real, throwaway cluster (kind or k3d), ignored by default: they
//! install Istio into `istio-system` and remove it again. Run them with
//! `cargo test -p mesh-cluster --test it e2e -- --ignored --test-threads=1`
//! (see docs/cluster.md). The cluster comes from `KUBECONFIG` / `~/.kube/config`, current
//! context.

use mesh_cluster::{
    Cluster, InstallPlan, MIN_KUBE_VERSION, Ownership, PlanOptions, PrecheckOptions, RunOptions,
    Scope, WaitOptions, install_plan, precheck, run_plan, uninstall, uninstall_plan,
    verify_install,
};
use mesh_manifest::generate::{GenerateOptions, generate};
use mesh_profiles::{Inputs, resolve};
use std::time::Duration;

async fn cluster() -> Cluster {
    let client = kube::Client::try_default()
        .await
        .expect("no cluster: set KUBECONFIG or create one with kind/k3d (docs/cluster.md)");
    Cluster::new(client)
}

async fn plan_for(cluster: &Cluster, profile: &str, opts: PlanOptions) -> InstallPlan {
    let version = cluster.version().await.expect("cluster reachable");
    let resolved = resolve(&Inputs::with_sets([format!("profile={profile}")])).expect("profile");
    let mut gen_opts = GenerateOptions::default();
    gen_opts.render.kube_version = (version.major, version.minor);
    let manifest = generate(&resolved, &gen_opts).expect("manifest");
    let ownership = Ownership::from_operator(&resolved.operator, &gen_opts.render.istio_version);
    install_plan(&manifest, &ownership, &opts)
}

fn run_opts() -> RunOptions {
    RunOptions {
        wait: WaitOptions {
            timeout: Duration::from_secs(300),
            interval: Duration::from_secs(2),
        },
    }
}

#[tokio::test]
#[ignore = "needs a real cluster (docs/cluster.md)"]
async fn e2e_precheck_passes_on_a_fresh_cluster() {
    let cluster = cluster().await;
    let opts = PrecheckOptions {
        namespace: "istio-system".into(),
        revision: "default".into(),
        version: "1.30.3".into(),
        min_kube_version: MIN_KUBE_VERSION,
    };
    let report = precheck(&cluster, &opts).await.expect("precheck");
    assert!(report.passed(), "{:#?}", report.findings);
}

#[tokio::test]
#[ignore = "needs a real cluster (docs/cluster.md)"]
async fn e2e_dry_run_creates_nothing() {
    let cluster = cluster().await;
    let plan = plan_for(
        &cluster,
        "minimal",
        PlanOptions {
            dry_run: true,
            prune: true,
        },
    )
    .await;
    let report = run_plan(&cluster, &plan, &run_opts(), &mut |_| {})
        .await
        .expect("dry run");
    assert!(report.pruned.is_empty());
    let verify = verify_install(&cluster, &plan).await.expect("verify");
    assert!(!verify.healthy(), "a dry run must not create anything");
}

#[tokio::test]
#[ignore = "needs a real cluster (docs/cluster.md)"]
async fn e2e_install_verify_reinstall_and_uninstall_minimal() {
    let cluster = cluster().await;
    let plan = plan_for(&cluster, "minimal", PlanOptions::default()).await;
    let report = run_plan(&cluster, &plan, &run_opts(), &mut |e| eprintln!("{e:?}"))
        .await
        .expect("install");
    assert_eq!(report.applied.len(), plan.objects().count());

    let verify = verify_install(&cluster, &plan).await.expect("verify");
    assert!(
        verify.healthy(),
        "{:#?}",
        verify.problems().collect::<Vec<_>>()
    );

    // Again: converges, prunes nothing.
    let again = run_plan(&cluster, &plan, &run_opts(), &mut |_| {})
        .await
        .expect("reinstall");
    assert!(again.pruned.is_empty(), "{:?}", again.pruned);

    // The default profile adds a gateway; going back to minimal prunes it.
    let bigger = plan_for(&cluster, "default", PlanOptions::default()).await;
    run_plan(&cluster, &bigger, &run_opts(), &mut |_| {})
        .await
        .expect("install default");
    let back = run_plan(&cluster, &plan, &run_opts(), &mut |_| {})
        .await
        .expect("back to minimal");
    assert!(
        back.pruned
            .iter()
            .any(|id| id.kind == "Deployment" && id.name == "istio-ingressgateway")
    );

    let rev = uninstall_plan(Scope::Revision("default".into()), None, [], false);
    let removed = uninstall(&cluster, &rev, &mut |_| {})
        .await
        .expect("uninstall");
    assert!(removed.deleted.iter().any(|id| id.name == "istiod"));

    let purge = uninstall_plan(Scope::Purge, Some("istio-system".into()), [], false);
    uninstall(&cluster, &purge, &mut |_| {})
        .await
        .expect("purge");
}
