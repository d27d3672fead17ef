//! The objects `meshctl x webhook-manifest` renders actually run the server: the Deployment's
//! arguments and volume mounts, filled from the rendered ConfigMaps and a serving certificate,
//! start mesh-webhook, and the path of the rendered webhook configuration injects a pod with
//! the install's settings.

use crate::process::Server;
use crate::support::{V1, app_pod, apply_response_patch, env_value, proxy_container, review};
use mesh_manifest::render::RenderContext;
use mesh_manifest::{Object, ServingCert, WebhookDeploymentOptions, render_webhook_deployment};
use mesh_profiles::{Inputs, resolve};
use mesh_test_support::{TempDir, certs};
use serde_json::Value;

fn find<'a>(objs: &'a [Object], kind: &str, name: &str) -> &'a Value {
    &objs
        .iter()
        .find(|o| o.kind() == kind && o.name() == name)
        .unwrap_or_else(|| panic!("{kind}/{name} not rendered"))
        .value
}

/// Lays out the pod's volumes under `root` the way the kubelet mounts them, and returns the
/// container's arguments with their paths moved under `root` and the listen address on loopback.
fn materialise(objs: &[Object], dep: &Value, root: &TempDir, cert: (&str, &str)) -> Vec<String> {
    let pod = &dep["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let mut mounts = Vec::new();
    for m in container["volumeMounts"].as_array().unwrap() {
        let mount_path = m["mountPath"].as_str().unwrap();
        let volume = pod["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == m["name"])
            .unwrap();
        let dir = root.join(mount_path.trim_start_matches('/'));
        std::fs::create_dir_all(&dir).unwrap();
        if let Some(cm) = volume["configMap"]["name"].as_str() {
            let data = find(objs, "ConfigMap", cm)["data"].as_object().unwrap();
            for (key, text) in data {
                std::fs::write(dir.join(key), text.as_str().unwrap()).unwrap();
            }
        } else if volume["secret"]["secretName"].is_string() {
            std::fs::write(dir.join("tls.crt"), cert.0).unwrap();
            std::fs::write(dir.join("tls.key"), cert.1).unwrap();
        } else {
            panic!("unexpected volume {volume}");
        }
        mounts.push(mount_path.to_string());
    }
    container["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let a = a.as_str().unwrap();
            if a.starts_with("--listen=") {
                return "--listen=127.0.0.1:0".to_string();
            }
            match mounts.iter().find(|m| a.contains(m.as_str())) {
                Some(m) => a.replace(
                    m.as_str(),
                    &root.join(m.trim_start_matches('/')).display().to_string(),
                ),
                None => a.to_string(),
            }
        })
        .collect()
}

#[tokio::test]
async fn rendered_deployment_serves_injection_on_the_rendered_path() {
    let resolved = resolve(&Inputs::with_sets([
        "values.global.multiCluster.clusterName=east",
        "values.global.network=net-east",
        "values.global.proxy.logLevel=debug",
    ]))
    .unwrap();
    let opts = WebhookDeploymentOptions {
        image: "registry.example/mesh-webhook:test".into(),
        with_config: true,
        cert: ServingCert::CertManager { issuer: None },
        ..WebhookDeploymentOptions::default()
    };
    let objs = render_webhook_deployment(&resolved, &opts, &RenderContext::default()).unwrap();
    let dep = find(&objs, "Deployment", "mesh-webhook");
    let hooks = find(&objs, "MutatingWebhookConfiguration", "mesh-webhook");
    let service = &hooks["webhooks"][0]["clientConfig"]["service"];
    assert_eq!(service["name"], "mesh-webhook");
    let path = service["path"].as_str().unwrap().to_string();
    assert_eq!(path, "/inject/cluster/east/net/net-east");

    let root = TempDir::new("deploy");
    let cert = certs::localhost();
    let args = materialise(&objs, dep, &root, (&cert.cert_pem, &cert.key_pem));
    let server = Server::spawn(&args, root, cert);

    let pod = app_pod();
    let res = server
        .client()
        .post_json(&path, &review(V1, "d1", &pod))
        .await;
    assert_eq!(res.status, 200, "{}", server.log_text());
    let injected = apply_response_patch(&pod, &res.json()["response"]);
    let proxy = proxy_container(&injected).expect("istio-proxy injected");
    assert_eq!(proxy["image"], "docker.io/istio/proxyv2:1.30.3");
    assert_eq!(
        env_value(proxy, "ISTIO_META_CLUSTER_ID"),
        Some(&"east".into())
    );
    assert_eq!(
        env_value(proxy, "ISTIO_META_NETWORK"),
        Some(&"net-east".into())
    );
    // The install's values reach the server through the mounted ConfigMap.
    let args: Vec<&str> = proxy["args"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(args.contains(&"--proxyLogLevel=debug"), "{args:?}");
}
