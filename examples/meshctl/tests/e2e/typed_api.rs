//! mesh-api's typed resources on the real server: created and read back through
//! `kube::Api<VirtualService>` and `kube::Api<AuthorizationPolicy>` on mesh's CRDs, and an
//! object that breaks a CRD rule is refused with the rule's message.

use std::collections::BTreeMap;

use kube::api::{Api, PostParams};
use mesh_api::networking::v1::{
    VirtualService, VirtualServiceHttp, VirtualServiceHttpRoute,
    VirtualServiceHttpRouteDestination, VirtualServiceSpec,
};
use mesh_api::security::v1::{
    AuthorizationPolicy, AuthorizationPolicyAction, AuthorizationPolicyRules,
    AuthorizationPolicyRulesTo, AuthorizationPolicyRulesToOperation, AuthorizationPolicySelector,
    AuthorizationPolicySpec, AuthorizationPolicyTargetRefs,
};
use mesh_test_support::kube::{ApiServer, block_on, unique_namespace};

/// A VirtualService sending `reviews` traffic 80/20 to two subsets.
fn virtual_service() -> VirtualService {
    let route = |subset: &str, weight| VirtualServiceHttpRoute {
        destination: VirtualServiceHttpRouteDestination {
            host: "reviews".into(),
            subset: Some(subset.into()),
            ..Default::default()
        },
        weight: Some(weight),
        ..Default::default()
    };
    VirtualService::new(
        "reviews",
        VirtualServiceSpec {
            hosts: Some(vec!["reviews".into()]),
            http: Some(vec![VirtualServiceHttp {
                route: Some(vec![route("v2", 80), route("v1", 20)]),
                timeout: Some("5s".into()),
                ..Default::default()
            }]),
            ..Default::default()
        },
    )
}

/// An AuthorizationPolicy allowing GETs to the `httpbin` workload.
fn authorization_policy() -> AuthorizationPolicy {
    AuthorizationPolicy::new(
        "httpbin-get",
        AuthorizationPolicySpec {
            action: Some(AuthorizationPolicyAction::Allow),
            selector: Some(AuthorizationPolicySelector {
                match_labels: Some(BTreeMap::from([("app".into(), "httpbin".into())])),
            }),
            rules: Some(vec![AuthorizationPolicyRules {
                to: Some(vec![AuthorizationPolicyRulesTo {
                    operation: Some(AuthorizationPolicyRulesToOperation {
                        methods: Some(vec!["GET".into()]),
                        ..Default::default()
                    }),
                }]),
                ..Default::default()
            }]),
            ..Default::default()
        },
    )
}

#[test]
fn typed_resources_are_created_read_back_and_validated() {
    let Some(server) = ApiServer::shared() else {
        return;
    };
    crate::crds::install_crds(server, &crate::crds::mesh_crds());
    let ns = unique_namespace("typed-api");
    crate::run_ok(server.kubectl().args(["create", "namespace", &ns]));
    block_on(async {
        let client = server.client().await;
        let post = PostParams::default();

        let vs_api: Api<VirtualService> = Api::namespaced(client.clone(), &ns);
        let vs = virtual_service();
        vs_api.create(&post, &vs).await.unwrap();
        let got = vs_api.get("reviews").await.unwrap();
        assert_eq!(got.spec, vs.spec);
        assert_eq!(got.metadata.namespace.as_deref(), Some(ns.as_str()));

        let ap_api: Api<AuthorizationPolicy> = Api::namespaced(client.clone(), &ns);
        let ap = authorization_policy();
        ap_api.create(&post, &ap).await.unwrap();
        let got = ap_api.get("httpbin-get").await.unwrap();
        assert_eq!(got.spec, ap.spec);
        let listed = ap_api.list(&Default::default()).await.unwrap();
        assert_eq!(listed.items.len(), 1);

        // Selector and targetRefs together break the CRD's targeting rule.
        let mut both = authorization_policy();
        both.metadata.name = Some("both".into());
        both.spec.target_refs = Some(vec![AuthorizationPolicyTargetRefs {
            group: Some("gateway.networking.k8s.io".into()),
            kind: "Gateway".into(),
            name: "waypoint".into(),
            namespace: None,
        }]);
        match ap_api.create(&post, &both).await {
            Err(kube::Error::Api(status)) => {
                assert_eq!(status.code, 422, "{status:?}");
                assert!(
                    status
                        .message
                        .contains("only one of targetRefs or selector can be set"),
                    "{}",
                    status.message
                );
            }
            other => panic!("expected the server to refuse, got {other:?}"),
        }
    });
    crate::run_ok(
        server
            .kubectl()
            .args(["delete", "namespace", &ns, "--wait=false"]),
    );
    println!(
        "typed api: VirtualService and AuthorizationPolicy created and read back equal; the invalid policy refused"
    );
}
