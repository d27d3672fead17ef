//! A whole install of the demo profile through every stage against the scripted API server,
//! then verify-install, a second install (idempotent, nothing pruned) and a purge.

use crate::support::{Behaviour, FakeApi, patient_wait};
use mesh_cluster::{
    Ownership, PlanOptions, RunOptions, Scope, Step, install_plan, run_plan, uninstall,
    uninstall_plan, verify_install,
};
use mesh_manifest::generate::{GenerateOptions, generate};
use mesh_manifest::order::StageKind;
use mesh_profiles::{Inputs, resolve};

#[tokio::test]
async fn demo_profile_installs_through_all_stages_verifies_and_purges() {
    let resolved = resolve(&Inputs::with_sets(["profile=demo"])).unwrap();
    let manifest = generate(&resolved, &GenerateOptions::default()).unwrap();
    let ownership = Ownership::from_operator(&resolved.operator, "1.30.3");
    let plan = install_plan(&manifest, &ownership, &PlanOptions::default());
    let stages: Vec<StageKind> = plan
        .steps
        .iter()
        .filter_map(|s| match s {
            Step::Apply { stage, .. } => Some(*stage),
            _ => None,
        })
        .collect();
    assert_eq!(
        stages,
        StageKind::ALL,
        "the demo profile has objects in every stage"
    );

    let fake = FakeApi::new(Behaviour {
        crd_established_after: 1,
        discovery_after: 1,
        workload_ready_after: 2,
        ..Behaviour::default()
    });
    let cluster = fake.start();
    let opts = RunOptions {
        wait: patient_wait(),
    };
    let report = run_plan(&cluster, &plan, &opts, &mut |_| {}).await.unwrap();
    assert_eq!(report.applied.len(), manifest.len());
    assert!(report.pruned.is_empty());

    // Every object applied exactly once, in manifest order, and stored.
    let log = fake.log();
    let patches: Vec<String> = log
        .iter()
        .filter(|r| r.method == "PATCH")
        .map(|r| {
            let b = r.body.as_ref().unwrap();
            format!(
                "{}/{}",
                b["kind"].as_str().unwrap(),
                b["metadata"]["name"].as_str().unwrap()
            )
        })
        .collect();
    let expected: Vec<String> = manifest
        .objects()
        .map(|o| format!("{}/{}", o.kind(), o.name()))
        .collect();
    assert_eq!(patches, expected);
    assert_eq!(fake.objects().len(), manifest.len());

    // Waits sit between the stages: every CRD is read (and discovery served) before the
    // first object of stage 1, every workload is ready before the first webhook.
    let first_patch_of = |stage: StageKind| {
        let first = &manifest
            .stages
            .iter()
            .find(|s| s.kind == stage)
            .unwrap()
            .objects[0];
        log.iter()
            .position(|r| {
                r.method == "PATCH"
                    && r.body.as_ref().unwrap()["metadata"]["name"] == first.name()
                    && r.body.as_ref().unwrap()["kind"] == first.kind()
            })
            .unwrap()
    };
    let crd_count = manifest
        .objects()
        .filter(|o| o.kind() == "CustomResourceDefinition")
        .count();
    assert!(crd_count > 10);
    let config_start = first_patch_of(StageKind::ConfigRbac);
    let crd_reads = log[..config_start]
        .iter()
        .filter(|r| r.method == "GET" && r.path.contains("/customresourcedefinitions/"))
        .count();
    assert_eq!(crd_reads, 2 * crd_count, "each CRD read until Established");
    assert!(
        log[..config_start].iter().any(|r| r.method == "GET"
            && r.status == 200
            && r.path == "/apis/networking.istio.io/v1")
    );
    let webhooks_start = first_patch_of(StageKind::Webhooks);
    let deployments: Vec<&str> = manifest
        .objects()
        .filter(|o| o.kind() == "Deployment")
        .map(|o| o.name())
        .collect();
    assert_eq!(
        deployments.len(),
        3,
        "istiod and the two gateways: {deployments:?}"
    );
    for d in &deployments {
        let reads = log[..webhooks_start]
            .iter()
            .filter(|r| r.method == "GET" && r.path.ends_with(&format!("/deployments/{d}")))
            .count();
        assert_eq!(reads, 3, "{d} read until ready");
    }

    // The cluster now matches the manifest.
    let verify = verify_install(&cluster, &plan).await.unwrap();
    assert!(
        verify.healthy(),
        "{:?}",
        verify.problems().collect::<Vec<_>>()
    );

    // Installing again converges without deleting anything.
    fake.clear_log();
    let again = run_plan(&cluster, &plan, &opts, &mut |_| {}).await.unwrap();
    assert!(again.pruned.is_empty());
    assert!(!fake.log().iter().any(|r| r.method == "DELETE"));

    // Purge removes every labelled object; the namespace stays (not asked for).
    let purge = uninstall_plan(Scope::Purge, None, [], false);
    let removed = uninstall(&cluster, &purge, &mut |_| {}).await.unwrap();
    let left: Vec<String> = fake
        .objects()
        .keys()
        .map(|k| format!("{}/{}", k.1, k.3))
        .collect();
    assert_eq!(left, ["namespaces/istio-system"]);
    assert_eq!(removed.deleted.len(), manifest.len() - 1);
}
