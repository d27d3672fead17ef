//! The cluster engine against a scripted API server (kube's mock service): the exact request
//! sequence of an install, server-side apply parameters, dry runs, CRD and discovery waits,
//! readiness timeouts with reasons, prune selection, uninstall order, convergence after an
//! interruption, verify-install, precheck, and the error paths (403, 409, 500, connection
//! refused).

use crate::support::{Behaviour, FakeApi, quick_wait};
use mesh_cluster::{
    Action, ClusterError, Event, InstallPlan, Level, MIN_KUBE_VERSION, Ownership, PlanOptions,
    PrecheckOptions, RowStatus, RunOptions, Scope, install_plan, precheck, run_plan, uninstall,
    uninstall_plan, verify_install,
};
use mesh_core::ComponentName;
use mesh_manifest::order::{OrderOptions, order};
use mesh_manifest::{Manifest, Object};
use serde_json::{Value, json};

fn obj(component: Option<ComponentName>, value: Value) -> Object {
    Object::new(component, value)
}

/// A small mesh: a CRD and one of its resources, config, a Service with its Deployment, and a
/// webhook calling the Service.
fn manifest() -> Manifest {
    let pilot = Some(ComponentName::Pilot);
    let objects = vec![
        obj(
            Some(ComponentName::Base),
            json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                "metadata": {"name": "widgets.example.com"},
                "spec": {"group": "example.com", "scope": "Namespaced",
                    "names": {"kind": "Widget", "plural": "widgets"},
                    "versions": [{"name": "v1", "served": true, "storage": true}]}}),
        ),
        obj(
            pilot,
            json!({"apiVersion": "example.com/v1", "kind": "Widget",
                "metadata": {"name": "w", "namespace": "mesh"}}),
        ),
        obj(
            pilot,
            json!({"apiVersion": "v1", "kind": "ServiceAccount",
                "metadata": {"name": "app", "namespace": "mesh"}}),
        ),
        obj(
            pilot,
            json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "app", "namespace": "mesh"}, "data": {"k": "v"}}),
        ),
        obj(
            pilot,
            json!({"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": "app", "namespace": "mesh"},
                "spec": {"selector": {"app": "app"}, "ports": [{"port": 443}]}}),
        ),
        obj(
            pilot,
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "app", "namespace": "mesh"},
                "spec": {"selector": {"matchLabels": {"app": "app"}},
                    "template": {"metadata": {"labels": {"app": "app"}},
                        "spec": {"serviceAccountName": "app",
                            "containers": [{"name": "c", "image": "i"}]}}}}),
        ),
        obj(
            pilot,
            json!({"apiVersion": "admissionregistration.k8s.io/v1",
                "kind": "MutatingWebhookConfiguration", "metadata": {"name": "app-injector"},
                "webhooks": [{"name": "a.example.com",
                    "clientConfig": {"service": {"name": "app", "namespace": "mesh"}}}]}),
        ),
    ];
    order(objects, &OrderOptions::default()).unwrap()
}

fn owner() -> Ownership {
    Ownership::from_operator(&json!({"metadata": {"namespace": "mesh"}}), "1.30.3")
}

fn plan(opts: PlanOptions) -> InstallPlan {
    install_plan(&manifest(), &owner(), &opts)
}

async fn install(fake: &FakeApi, plan: &InstallPlan) -> Result<Vec<Event>, ClusterError> {
    let cluster = fake.start();
    let mut events = Vec::new();
    let opts = RunOptions { wait: quick_wait() };
    run_plan(&cluster, plan, &opts, &mut |e| events.push(e)).await?;
    Ok(events)
}

const GET_NS: &str = "GET /api/v1/namespaces/mesh";
const NS: &str = "PATCH /api/v1/namespaces/mesh";
const CRD: &str =
    "PATCH /apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com";
const GET_CRD: &str =
    "GET /apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com";
const DISCOVER: &str = "GET /apis/example.com/v1";
const SA: &str = "PATCH /api/v1/namespaces/mesh/serviceaccounts/app";
const CM: &str = "PATCH /api/v1/namespaces/mesh/configmaps/app";
const WIDGET: &str = "PATCH /apis/example.com/v1/namespaces/mesh/widgets/w";
const SVC: &str = "PATCH /api/v1/namespaces/mesh/services/app";
const DEPLOY: &str = "PATCH /apis/apps/v1/namespaces/mesh/deployments/app";
const GET_DEPLOY: &str = "GET /apis/apps/v1/namespaces/mesh/deployments/app";
const WEBHOOK: &str =
    "PATCH /apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/app-injector";

#[tokio::test]
async fn install_applies_stage_by_stage_and_waits_for_crds_discovery_and_rollout() {
    let fake = FakeApi::new(Behaviour {
        crd_established_after: 1,
        discovery_after: 1,
        workload_ready_after: 1,
        ..Behaviour::default()
    });
    install(&fake, &plan(PlanOptions::default())).await.unwrap();
    let lines = fake.lines();
    let expected = [
        GET_NS, NS, CRD, GET_CRD, GET_CRD, DISCOVER, DISCOVER, SA, CM, WIDGET, SVC, DEPLOY,
        GET_DEPLOY, GET_DEPLOY, WEBHOOK,
    ];
    assert_eq!(&lines[..expected.len()], expected);
    // The first CRD read was not Established, the first discovery read not served.
    let log = fake.log();
    assert_eq!(log[5].status, 404);
    assert_eq!(log[6].status, 200);
    // Then the prune: one labelled list per kind, nothing deleted.
    let rest = &log[expected.len()..];
    assert!(!rest.is_empty());
    for r in rest {
        assert_eq!(r.method, "GET", "{}", r.line());
        assert_eq!(
            r.param("labelSelector"),
            Some(
                "operator.istio.io/component,istio.io/rev=default,\
                 install.operator.istio.io/owning-resource-namespace=mesh"
            )
        );
    }
    // Every apply is a server-side apply by one field manager, not a dry run; not forced, so
    // that a field another manager changed comes back as a 409 to report (then forced).
    for r in log.iter().filter(|r| r.method == "PATCH") {
        assert_eq!(
            r.content_type.as_deref(),
            Some("application/apply-patch+yaml")
        );
        assert_eq!(r.param("fieldManager"), Some("istio-operator"));
        assert_eq!(r.param("force"), None);
        assert_eq!(r.param("dryRun"), None);
    }
    // The applied objects carry the ownership labels.
    let deploy = &log.iter().find(|r| r.line() == DEPLOY).unwrap().body;
    let labels = &deploy.as_ref().unwrap()["metadata"]["labels"];
    assert_eq!(labels["operator.istio.io/component"], "Pilot");
    assert_eq!(labels["istio.io/rev"], "default");
    assert_eq!(labels["operator.istio.io/managed"], "Reconcile");
    assert_eq!(labels["operator.istio.io/version"], "1.30.3");
    assert_eq!(
        labels["install.operator.istio.io/owning-resource-namespace"],
        "mesh"
    );
    // The namespace is created, labelled as ours but without a revision label.
    let ns = &log[1].body.as_ref().unwrap()["metadata"]["labels"];
    assert_eq!(ns["operator.istio.io/managed"], "Reconcile");
    assert!(ns.get("istio.io/rev").is_none());
}

#[tokio::test]
async fn install_reports_progress_per_stage_and_component() {
    let fake = FakeApi::new(Behaviour::default());
    let events = install(&fake, &plan(PlanOptions::default())).await.unwrap();
    let started: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::StageStarted { stage, objects } => Some(format!("{stage} {objects}")),
            _ => None,
        })
        .collect();
    assert_eq!(
        started,
        [
            "00-namespaces-crds 2",
            "01-config-rbac 3",
            "02-workloads 2",
            "03-webhooks 1"
        ]
    );
    let applied_by_pilot = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                Event::Applied {
                    component: Some(ComponentName::Pilot),
                    ..
                }
            )
        })
        .count();
    assert_eq!(applied_by_pilot, 6);
    assert!(events.contains(&Event::WaitDone {
        what: "CRDs".into()
    }));
    assert!(events.contains(&Event::WaitDone {
        what: "workloads".into()
    }));
    assert!(events.contains(&Event::PruneStarted { objects: 0 }));
}

#[tokio::test]
async fn dry_run_is_a_server_side_dry_run_that_creates_nothing_and_waits_for_nothing() {
    let fake = FakeApi::new(Behaviour::default());
    let cluster = fake.start();
    let plan = plan(PlanOptions {
        dry_run: true,
        prune: true,
    });
    let report = run_plan(
        &cluster,
        &plan,
        &RunOptions { wait: quick_wait() },
        &mut |_| {},
    )
    .await
    .unwrap();
    let log = fake.log();
    for r in log.iter().filter(|r| r.method == "PATCH") {
        assert_eq!(r.param("dryRun"), Some("All"), "{}", r.line());
        assert_eq!(r.param("force"), None);
    }
    assert!(fake.objects().is_empty(), "a dry run stores nothing");
    assert!(
        !fake
            .lines()
            .iter()
            .any(|l| l == GET_CRD || l == GET_DEPLOY || l == DISCOVER),
        "a dry run does not wait"
    );
    assert!(!log.iter().any(|r| r.method == "DELETE"));
    // The namespace does not exist, so the server could check only the cluster-wide objects.
    assert_eq!(report.applied.len(), 3, "{:?}", report.applied);
    let skipped: Vec<String> = report
        .dry_run_skipped
        .iter()
        .map(|(id, why)| format!("{}: {why}", id.kind))
        .collect();
    assert_eq!(
        skipped,
        [
            "ServiceAccount: namespace mesh does not exist yet",
            "ConfigMap: namespace mesh does not exist yet",
            "Widget: the CRD of Widget.example.com is not installed yet",
            "Service: namespace mesh does not exist yet",
            "Deployment: namespace mesh does not exist yet",
        ]
    );
}

#[tokio::test]
async fn dry_run_against_an_existing_namespace_checks_namespaced_objects_too() {
    let fake = FakeApi::new(Behaviour::default());
    fake.seed("", "namespaces", json!({"metadata": {"name": "mesh"}}));
    let cluster = fake.start();
    let plan = plan(PlanOptions {
        dry_run: true,
        prune: false,
    });
    let report = run_plan(
        &cluster,
        &plan,
        &RunOptions { wait: quick_wait() },
        &mut |_| {},
    )
    .await
    .unwrap();
    let skipped: Vec<String> = report
        .dry_run_skipped
        .iter()
        .map(|(id, why)| format!("{}: {why}", id.kind))
        .collect();
    assert_eq!(
        skipped,
        ["Widget: the CRD of Widget.example.com is not installed yet"]
    );
    // The namespace exists without our labels (someone else made it): it is applied without
    // them, and everything is checked.
    assert_eq!(report.applied.len(), 7);
    let kept: Vec<String> = report
        .existing_namespaces
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(kept, ["Namespace/mesh"]);
}

#[tokio::test]
async fn readiness_timeout_names_the_workload_and_why_its_pods_are_not_ready() {
    let fake = FakeApi::new(Behaviour {
        workload_ready_after: usize::MAX,
        pods: vec![
            json!({"metadata": {"name": "app-7d9f-x", "namespace": "mesh",
            "labels": {"app": "app"}, "creationTimestamp": "2024-01-01T00:00:00Z"},
            "status": {"phase": "Pending", "containerStatuses": [{"name": "c",
                "state": {"waiting": {"reason": "ImagePullBackOff",
                    "message": "Back-off pulling image \"i\""}}}]}}),
        ],
        ..Behaviour::default()
    });
    let err = install(&fake, &plan(PlanOptions::default()))
        .await
        .unwrap_err();
    let ClusterError::Timeout {
        what, not_ready, ..
    } = &err
    else {
        panic!("expected a timeout, got {err}");
    };
    assert_eq!(what, "workloads");
    assert_eq!(
        not_ready,
        &[
            "Deployment/mesh/app: 0 of 1 updated replicas available".to_string(),
            "  pod app-7d9f-x: container c: ImagePullBackOff: Back-off pulling image \"i\""
                .to_string(),
        ]
    );
    assert!(
        err.to_string()
            .starts_with("timed out after 1s waiting for workloads")
    );
    let pod_list = fake
        .log()
        .into_iter()
        .find(|r| r.path == "/api/v1/namespaces/mesh/pods")
        .unwrap();
    assert_eq!(pod_list.param("labelSelector"), Some("app=app"));
    assert!(
        !fake.lines().iter().any(|l| l == WEBHOOK),
        "webhooks wait for their backend"
    );
}

#[tokio::test]
async fn crd_that_never_establishes_times_out_before_its_resources_are_applied() {
    let fake = FakeApi::new(Behaviour {
        crd_established_after: usize::MAX,
        ..Behaviour::default()
    });
    let err = install(&fake, &plan(PlanOptions::default()))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ClusterError::Timeout {
            what: "CRDs".into(),
            seconds: 1,
            not_ready: vec![
                "CustomResourceDefinition/widgets.example.com: not Established yet".into()
            ],
        }
    );
    assert!(!fake.lines().iter().any(|l| l == WIDGET));
}

#[tokio::test]
async fn established_crd_is_not_enough_until_discovery_serves_it() {
    let fake = FakeApi::new(Behaviour {
        discovery_after: usize::MAX,
        ..Behaviour::default()
    });
    let err = install(&fake, &plan(PlanOptions::default()))
        .await
        .unwrap_err();
    let ClusterError::Timeout { not_ready, .. } = err else {
        panic!("expected a timeout");
    };
    assert_eq!(
        not_ready,
        [
            "CustomResourceDefinition/widgets.example.com: example.com/v1 widgets not served by discovery yet"
        ]
    );
    // Once Established, the CRD itself is not read again; only discovery is polled.
    let lines = fake.lines();
    assert_eq!(lines.iter().filter(|l| *l == GET_CRD).count(), 1);
    assert!(lines.iter().filter(|l| *l == DISCOVER).count() > 1);
}

fn labelled(name: &str, ns: &str, component: &str, rev: &str) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "labels": {
            "operator.istio.io/component": component, "istio.io/rev": rev,
            "install.operator.istio.io/owning-resource-namespace": "mesh"}}})
}

#[tokio::test]
async fn prune_deletes_only_our_objects_that_left_the_set() {
    let fake = FakeApi::new(Behaviour::default());
    fake.seed(
        "apps",
        "deployments",
        labelled("old-gateway", "mesh", "IngressGateways", "default"),
    );
    fake.seed(
        "apps",
        "deployments",
        labelled("istiod-canary", "mesh", "Pilot", "canary"),
    );
    fake.seed(
        "apps",
        "deployments",
        json!({"metadata": {"name": "user-app", "namespace": "mesh"}}),
    );
    let mut old_cm = labelled("old-config", "mesh", "Pilot", "default");
    old_cm["apiVersion"] = json!("v1");
    old_cm["kind"] = json!("ConfigMap");
    fake.seed("", "configmaps", old_cm);
    let mut old_crd = labelled("gone.example.com", "", "Base", "default");
    old_crd["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("namespace");
    fake.seed("apiextensions.k8s.io", "customresourcedefinitions", old_crd);
    let events = install(&fake, &plan(PlanOptions::default())).await.unwrap();
    let deletes: Vec<String> = fake
        .log()
        .iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.line())
        .collect();
    assert_eq!(
        deletes,
        [
            "DELETE /apis/apps/v1/namespaces/mesh/deployments/old-gateway",
            "DELETE /api/v1/namespaces/mesh/configmaps/old-config",
        ]
    );
    assert!(events.contains(&Event::PruneStarted { objects: 2 }));
    let left = fake.objects();
    assert!(left.keys().any(|k| k.3 == "istiod-canary"));
    assert!(left.keys().any(|k| k.3 == "user-app"));
    assert!(
        left.keys().any(|k| k.3 == "gone.example.com"),
        "CRDs are never pruned"
    );
}

#[tokio::test]
async fn rerunning_after_an_interruption_converges() {
    let fake = FakeApi::new(Behaviour::default());
    fake.fail(
        "PATCH",
        "/deployments/app",
        500,
        "etcdserver: request timed out",
        1,
    );
    let p = plan(PlanOptions::default());
    let err = install(&fake, &p).await.unwrap_err();
    assert_eq!(
        err,
        ClusterError::Api {
            action: Action::Apply,
            object: "Deployment/mesh/app".into(),
            code: 500,
            reason: "InternalError".into(),
            message: "etcdserver: request timed out".into(),
        }
    );
    assert_eq!(
        fake.lines().last().unwrap(),
        DEPLOY,
        "nothing is sent after a failure"
    );
    let partial = fake.objects().len();
    install(&fake, &p).await.unwrap();
    let objects = fake.objects();
    assert_eq!(objects.len(), 8, "every object once: {:?}", objects.keys());
    assert!(partial < objects.len());
    // A third run changes nothing but the generation counters.
    install(&fake, &p).await.unwrap();
    assert_eq!(
        fake.objects().keys().collect::<Vec<_>>(),
        objects.keys().collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn forbidden_and_conflict_name_the_object_and_stop_the_install() {
    let fake = FakeApi::new(Behaviour::default());
    fake.fail(
        "PATCH",
        "/serviceaccounts/app",
        403,
        "serviceaccounts \"app\" is forbidden: User \"dev\" cannot patch resource",
        1,
    );
    let err = install(&fake, &plan(PlanOptions::default()))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ClusterError::Forbidden { action: Action::Apply, object, .. }
        if object == "ServiceAccount/mesh/app")
    );
    assert_eq!(
        err.to_string(),
        "apply ServiceAccount/mesh/app: forbidden: serviceaccounts \"app\" is forbidden: \
         User \"dev\" cannot patch resource"
    );
    assert_eq!(fake.lines().last().unwrap(), SA);

    let fake = FakeApi::new(Behaviour::default());
    fake.fail(
        "PATCH",
        "/configmaps/app",
        409,
        "Operation cannot be fulfilled",
        1,
    );
    let err = install(&fake, &plan(PlanOptions::default()))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ClusterError::Conflict {
                action: Action::Apply,
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn server_errors_while_listing_for_prune_are_reported() {
    let fake = FakeApi::new(Behaviour::default());
    fake.fail("GET", "/apis/apps/v1/deployments", 500, "boom", 1);
    let err = install(&fake, &plan(PlanOptions::default()))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "list /apis/apps/v1/deployments: HTTP 500 InternalError: boom"
    );
}

#[tokio::test]
async fn connection_refused_is_reported_as_an_unreachable_cluster() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = kube::Config::new(format!("http://127.0.0.1:{port}").parse().unwrap());
    let client = kube::Client::try_from(config).unwrap();
    let cluster = mesh_cluster::Cluster::new(client);
    let err = cluster.version().await.unwrap_err();
    let ClusterError::Unreachable { source } = &err else {
        panic!("expected unreachable, got {err:?}");
    };
    let message = source.to_string();
    assert!(
        message.to_lowercase().contains("connection refused"),
        "{message}"
    );
    assert!(
        err.to_string()
            .starts_with("cannot reach the Kubernetes API server: ")
    );
    // The same for an install: the first request fails with the same error.
    let plan = plan(PlanOptions::default());
    let err = run_plan(&cluster, &plan, &RunOptions::default(), &mut |_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, ClusterError::Unreachable { .. }));
}

#[tokio::test]
async fn uninstall_of_a_revision_removes_webhooks_first_and_keeps_base_namespace_and_others() {
    let fake = FakeApi::new(Behaviour::default());
    install(&fake, &plan(PlanOptions::default())).await.unwrap();
    fake.seed(
        "apps",
        "deployments",
        json!({"metadata": {"name": "user-app", "namespace": "mesh"}}),
    );
    fake.seed(
        "apps",
        "deployments",
        labelled("istiod-canary", "mesh", "Pilot", "canary"),
    );
    fake.clear_log();
    let cluster = fake.start();
    let plan = uninstall_plan(Scope::Revision("default".into()), None, [], false);
    let report = uninstall(&cluster, &plan, &mut |_| {}).await.unwrap();
    let deletes: Vec<String> = fake
        .log()
        .iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.line())
        .collect();
    assert_eq!(
        deletes,
        [
            "DELETE /apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/app-injector",
            "DELETE /apis/apps/v1/namespaces/mesh/deployments/app",
            "DELETE /api/v1/namespaces/mesh/services/app",
            "DELETE /api/v1/namespaces/mesh/configmaps/app",
            "DELETE /api/v1/namespaces/mesh/serviceaccounts/app",
        ]
    );
    // Lists go across all namespaces with the revision's selector.
    let list = fake
        .log()
        .into_iter()
        .find(|r| r.path == "/apis/apps/v1/deployments")
        .unwrap();
    assert_eq!(
        list.param("labelSelector"),
        Some(
            "operator.istio.io/component in (Pilot,IngressGateways,EgressGateways,Cni,Ztunnel,Addons),istio.io/rev=default"
        )
    );
    assert_eq!(report.deleted.len(), 5);
    let left = fake.objects();
    assert!(
        left.keys().any(|k| k.1 == "namespaces"),
        "the namespace stays unless asked"
    );
    assert!(
        left.keys().any(|k| k.3 == "widgets.example.com"),
        "Base stays"
    );
    assert!(left.keys().any(|k| k.3 == "user-app"));
    assert!(left.keys().any(|k| k.3 == "istiod-canary"));
}

#[tokio::test]
async fn purge_removes_crds_last_and_keeps_a_namespace_we_did_not_create() {
    let fake = FakeApi::new(Behaviour::default());
    install(&fake, &plan(PlanOptions::default())).await.unwrap();
    // Someone else's namespace: replace ours with an unlabelled one.
    fake.seed("", "namespaces", json!({"metadata": {"name": "mesh"}}));
    fake.clear_log();
    let cluster = fake.start();
    let plan = uninstall_plan(
        Scope::Purge,
        Some("mesh".into()),
        [("example.com", "Widget")],
        false,
    );
    let report = uninstall(&cluster, &plan, &mut |_| {}).await.unwrap();
    let deletes: Vec<String> = fake
        .log()
        .iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.line())
        .collect();
    assert_eq!(
        deletes.first().unwrap(),
        &WEBHOOK.replace("PATCH", "DELETE")
    );
    assert_eq!(deletes.last().unwrap(), &CRD.replace("PATCH", "DELETE"));
    assert_eq!(deletes.len(), 6);
    assert_eq!(
        report.namespace_kept.as_deref(),
        Some(
            "namespace mesh was not created by mesh (no operator.istio.io/managed=Reconcile label)"
        )
    );
    assert_eq!(
        fake.objects().len(),
        2,
        "the namespace and the widget remain"
    );
}

#[tokio::test]
async fn purge_with_our_namespace_removes_it_last() {
    let fake = FakeApi::new(Behaviour::default());
    install(&fake, &plan(PlanOptions::default())).await.unwrap();
    let cluster = fake.start();
    let plan = uninstall_plan(Scope::Purge, Some("mesh".into()), [], false);
    let report = uninstall(&cluster, &plan, &mut |_| {}).await.unwrap();
    assert_eq!(report.namespace_kept, None);
    assert_eq!(report.deleted.last().unwrap().to_string(), "Namespace/mesh");
    assert_eq!(
        fake.lines().last().unwrap(),
        "DELETE /api/v1/namespaces/mesh"
    );
}

#[tokio::test]
async fn uninstall_dry_run_deletes_nothing() {
    let fake = FakeApi::new(Behaviour::default());
    install(&fake, &plan(PlanOptions::default())).await.unwrap();
    let before = fake.objects().len();
    let cluster = fake.start();
    let plan = uninstall_plan(Scope::Purge, None, [], true);
    let report = uninstall(&cluster, &plan, &mut |_| {}).await.unwrap();
    assert_eq!(report.deleted.len(), 6);
    assert_eq!(fake.objects().len(), before);
}

#[tokio::test]
async fn verify_install_reports_missing_and_unready_objects() {
    let fake = FakeApi::new(Behaviour::default());
    let p = plan(PlanOptions::default());
    install(&fake, &p).await.unwrap();
    let cluster = fake.start();
    let report = verify_install(&cluster, &p).await.unwrap();
    assert!(
        report.healthy(),
        "{:?}",
        report.problems().collect::<Vec<_>>()
    );
    assert_eq!(report.rows.len(), 8);

    fake.remove("", "configmaps", "mesh", "app");
    fake.set(|b| {
        b.workload_ready_after = usize::MAX;
        b.pods = vec![
            json!({"metadata": {"name": "app-1", "labels": {"app": "app"}},
            "status": {"phase": "Running", "containerStatuses": [{"name": "c",
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"reason": "Error", "exitCode": 2}}}]}}),
        ];
    });
    let report = verify_install(&cluster, &p).await.unwrap();
    let problems: Vec<(String, RowStatus)> = report
        .problems()
        .map(|r| (r.id.to_string(), r.status.clone()))
        .collect();
    assert_eq!(
        problems,
        [
            ("ConfigMap/mesh/app".to_string(), RowStatus::Missing),
            (
                "Deployment.apps/mesh/app".to_string(),
                RowStatus::NotReady(
                    "0 of 1 updated replicas available; pod app-1: container c: \
                     CrashLoopBackOff (last exit: Error code 2)"
                        .into()
                )
            ),
        ]
    );
}

#[tokio::test]
async fn precheck_reports_version_permissions_and_existing_installs() {
    let fake = FakeApi::new(Behaviour {
        version: json!({"major": "1", "minor": "29", "gitVersion": "v1.29.3"}),
        denied: ["clusterroles".to_string()].into(),
        ..Behaviour::default()
    });
    fake.seed("apps", "deployments", json!({"metadata": {"name": "istiod", "namespace": "istio-system",
        "labels": {"app": "istiod", "istio.io/rev": "default", "operator.istio.io/version": "1.29.1"}}}));
    let cluster = fake.start();
    let opts = PrecheckOptions {
        namespace: "istio-system".into(),
        revision: "default".into(),
        version: "1.30.3".into(),
        min_kube_version: MIN_KUBE_VERSION,
    };
    let report = precheck(&cluster, &opts).await.unwrap();
    assert!(!report.passed());
    let found: Vec<(Level, &str, &str)> = report
        .findings
        .iter()
        .map(|f| (f.level, f.check, f.message.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (
                Level::Error,
                "kubernetes-version",
                "Kubernetes v1.29.3 is not supported; the oldest supported version is 1.30"
            ),
            (
                Level::Error,
                "permissions",
                "cannot create clusterroles cluster-wide: RBAC: not allowed"
            ),
            (
                Level::Info,
                "existing-install",
                "revision default is installed in istio-system (1.29.1); installing 1.30.3 upgrades it in place"
            ),
        ]
    );
    let reviews: Vec<_> = fake
        .log()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(reviews.len(), 16);
    let ns_review = reviews
        .iter()
        .find(|r| {
            r.body.as_ref().unwrap()["spec"]["resourceAttributes"]["resource"] == "deployments"
        })
        .unwrap();
    assert_eq!(
        ns_review.body.as_ref().unwrap()["spec"]["resourceAttributes"],
        json!({"verb": "create", "group": "apps", "resource": "deployments", "namespace": "istio-system"})
    );
}
