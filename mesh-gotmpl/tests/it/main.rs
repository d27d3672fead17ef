//! mesh-gotmpl's integration tests (one test binary): the engine against Go's documented
//! behaviour and the function registry.

use mesh_core::Value;
use mesh_gotmpl::{Funcs, Template};
use serde_json::json;

mod engine;
mod registry;

/// Go's built-ins and sprig's functions.
fn funcs() -> Funcs {
    Funcs::go().with_sprig()
}
fn data() -> Value {
    json!({
        "ObjectMeta": {
            "name": "web",
            "annotations": {"a/b": "x", "empty": ""},
            "labels": {"app": "web"},
        },
        "Spec": {
            "containers": [
                {"name": "app", "ports": [{"containerPort": 80, "protocol": "TCP"}]},
                {"name": "istio-proxy"},
            ],
            "serviceAccountName": "",
        },
        "ProxyConfig": {
            "interceptionMode": "REDIRECT",
            "holdApplicationUntilProxyStarts": true,
            "proxyMetadata": {"K": "v"},
            "drainDuration": "60s",
            "tracing": {"tlsSettings": {"caCertificates": "/etc/ca/root.pem"}},
        },
        "Values": {
            "global": {"proxy": {"statusPort": 15020, "big": 1000000, "half": 0.5, "list": ["a", "b"]}},
            "revision": "",
            "m": {"b": 2, "a": 1},
        },
        "NativeSidecars": false,
        "ProxyUID": 1337,
    })
}

fn run(body: &str) -> String {
    Template::parse("t", body, &funcs())
        .unwrap_or_else(|e| panic!("parse {body:?}: {e}"))
        .execute(&data())
        .unwrap_or_else(|e| panic!("execute {body:?}: {e}"))
}

fn exec_err(body: &str) -> String {
    Template::parse("t", body, &funcs())
        .unwrap()
        .execute(&data())
        .unwrap_err()
        .to_string()
}
