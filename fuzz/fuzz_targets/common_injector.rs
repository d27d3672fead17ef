// Shared by the inject fuzz targets: an injector with the sidecar template and small values.
use mesh_inject::{InjectConfig, Injector, MeshConfig, NativeSidecars};
use serde_json::json;

pub fn injector() -> Injector {
    let config = InjectConfig {
        default_templates: vec!["sidecar".into()],
        ..InjectConfig::default()
    };
    let values = json!({
        "global": {
            "hub": "docker.io/istio", "tag": "1.30.3", "istioNamespace": "istio-system",
            "pilotCertProvider": "istiod", "logging": {"level": "default:info"},
            "sds": {"token": {"aud": "istio-ca"}}, "multiCluster": {"clusterName": ""},
            "proxy": {
                "image": "proxyv2", "clusterDomain": "cluster.local", "logLevel": "warning",
                "componentLogLevel": "misc:error", "includeIPRanges": "*", "excludeIPRanges": "",
                "includeInboundPorts": "*", "excludeInboundPorts": "", "excludeOutboundPorts": "",
                "statusPort": 15020, "privileged": false, "readinessFailureThreshold": 4,
                "readinessInitialDelaySeconds": 0, "readinessPeriodSeconds": 15,
                "startupProbe": {"enabled": true, "failureThreshold": 600},
                "resources": {"limits": {"cpu": "2000m", "memory": "1024Mi"}, "requests": {"cpu": "100m", "memory": "128Mi"}}
            },
            "proxy_init": {"image": "proxyv2"}
        },
        "pilot": {"cni": {"enabled": false}},
        "sidecarInjectorWebhook": {"rewriteAppHTTPProbe": true}
    });
    let mesh = MeshConfig::from_yaml(
        "defaultConfig:\n  discoveryAddress: istiod.istio-system.svc:15012\n",
        "mesh",
    )
    .expect("fixed mesh config");
    Injector::new(config, values, mesh, "", NativeSidecars::Enabled).expect("fixed injector")
}
