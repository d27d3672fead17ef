//! Fuzzes the Go template engine (mesh-gotmpl with the injection registry: Go's built-ins,
//! sprig's and Istio's functions) with arbitrary template text (custom injection templates
//! come from users' ConfigMaps): parsing and executing never panics, and output stays bounded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mesh_gotmpl::Template;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(template) = Template::parse("fuzz", text, mesh_inject::template_funcs()) else {
        return;
    };
    let data = serde_json::json!({
        "ObjectMeta": {"name": "p", "annotations": {"a": "1", "sidecar.istio.io/inject": "true"},
                       "labels": {"app": "x"}},
        "Spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80}]}]},
        "Values": {"global": {"proxy": {"statusPort": 15020, "resources": {"requests": {"cpu": "10m"}}},
                              "list": [1, "two", null, {"k": true}]}},
        "ProxyConfig": {"drainDuration": "45s", "proxyMetadata": {"K": "V"}},
        "Revision": "",
        "NativeSidecars": true
    });
    if let Ok(out) = template.execute(&data) {
        assert!(out.len() <= 64 << 20, "output is bounded");
    }
});
