//! The harness itself: a server starts, kubectl and a kube client reach it, the kubelet stand-in
//! makes a Deployment's Pods ready.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, ListParams, PostParams};
use mesh_test_support::kube::{ApiServer, KubeletStandIn, block_on, unique_namespace, wait_for};
use std::time::Duration;

#[test]
fn shared_server_runs_deployments_to_ready_with_the_kubelet_stand_in() {
    let Some(server) = ApiServer::shared() else {
        return;
    };
    let ns = unique_namespace("harness");
    let namespaces = crate::run_ok(server.kubectl().args(["create", "namespace", &ns]));
    assert!(namespaces.contains(&ns), "{namespaces}");
    let _kubelet = KubeletStandIn::start(server, Some(&ns));
    block_on(async {
        let client = server.client().await;
        let all: Api<Namespace> = Api::all(client.clone());
        assert!(all.get(&ns).await.is_ok());
        let deployments: Api<Deployment> = Api::namespaced(client.clone(), &ns);
        let deployment: Deployment = serde_json::from_value(serde_json::json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": "nginx"}]}
                }
            }
        }))
        .unwrap();
        deployments
            .create(&PostParams::default(), &deployment)
            .await
            .unwrap();
    });
    wait_for(
        "the Deployment to be available",
        Duration::from_secs(60),
        || {
            block_on(async {
                let client = server.client().await;
                let deployments: Api<Deployment> = Api::namespaced(client, &ns);
                let d = deployments.get("web").await.ok()?;
                let ready = d.status?.ready_replicas?;
                (ready == 2).then_some(())
            })
        },
    );
    let listed = block_on(async {
        let client = server.client().await;
        let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(client, &ns);
        pods.list(&ListParams::default()).await.unwrap().items
    });
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(mesh_test_support::kube::pod_is_ready));
}
