//! The router pod's volumes and volume mounts.

use mesh_core::{Value, obj};
use serde_json::json;

use super::Gateway;
use crate::render::RenderError;
use crate::render::common::{get, go_format, printed, str_at, truthy};

impl Gateway<'_> {
    /// Whether istiod issues the certificates (then its CA bundle is mounted).
    fn istiod_certs(&self) -> bool {
        str_at(self.values, "global.pilotCertProvider") == "istiod"
    }

    fn mtls_certs(&self) -> bool {
        truthy(get(self.values, "global.mountMtlsCerts"))
    }

    /// The router's fixed volume mounts.
    pub(super) fn standard_volume_mounts(&self) -> Vec<Value> {
        let mut mounts = vec![
            obj! { "name" => "workload-socket", "mountPath" => "/var/run/secrets/workload-spiffe-uds" },
            obj! { "name" => "credential-socket", "mountPath" => "/var/run/secrets/credential-uds" },
            obj! { "name" => "workload-certs", "mountPath" => "/var/run/secrets/workload-spiffe-credentials" },
            obj! { "name" => "istio-envoy", "mountPath" => "/etc/istio/proxy" },
            obj! { "name" => "config-volume", "mountPath" => "/etc/istio/config" },
        ];
        if self.istiod_certs() {
            mounts
                .push(obj! { "mountPath" => "/var/run/secrets/istio", "name" => "istiod-ca-cert" });
        }
        mounts.push(obj! { "name" => "istio-token", "mountPath" => "/var/run/secrets/tokens", "readOnly" => true });
        if self.mtls_certs() {
            mounts.push(
                obj! { "name" => "istio-certs", "mountPath" => "/etc/certs", "readOnly" => true },
            );
        }
        mounts.push(obj! { "mountPath" => "/var/lib/istio/data", "name" => "istio-data" });
        mounts.push(obj! { "name" => "podinfo", "mountPath" => "/etc/istio/pod" });
        mounts
    }

    /// Mounts of `secretVolumes`, then of the `configVolumes` that give a mount path.
    pub(super) fn extra_volume_mounts(&self) -> Result<Vec<Value>, RenderError> {
        let mut mounts = Vec::new();
        for vol in self.gw_list("secretVolumes")? {
            mounts.push(obj! {
                "name" => printed(get(vol, "name")),
                "mountPath" => go_format(get(vol, "mountPath")),
                "readOnly" => true,
            });
        }
        for vol in self.gw_list("configVolumes")? {
            if truthy(get(vol, "mountPath")) {
                mounts.push(obj! {
                    "name" => printed(get(vol, "name")),
                    "mountPath" => go_format(get(vol, "mountPath")),
                    "readOnly" => true,
                });
            }
        }
        Ok(mounts)
    }

    /// Volumes of `secretVolumes` (optional secrets) and `configVolumes` (optional ConfigMaps).
    pub(super) fn extra_volumes(&self) -> Result<Vec<Value>, RenderError> {
        let mut volumes = Vec::new();
        for vol in self.gw_list("secretVolumes")? {
            volumes.push(obj! {
                "name" => printed(get(vol, "name")),
                "secret" => json!({"secretName": go_format(get(vol, "secretName")), "optional": true}),
            });
        }
        for vol in self.gw_list("configVolumes")? {
            volumes.push(obj! {
                "name" => printed(get(vol, "name")),
                "configMap" => json!({"name": go_format(get(vol, "configMapName")), "optional": true}),
            });
        }
        Ok(volumes)
    }

    /// The router pod's volumes.
    pub(super) fn volumes(&self) -> Result<Vec<Value>, RenderError> {
        let mut volumes = vec![
            obj! { "emptyDir" => json!({}), "name" => "workload-socket" },
            obj! { "emptyDir" => json!({}), "name" => "credential-socket" },
            obj! { "emptyDir" => json!({}), "name" => "workload-certs" },
        ];
        if self.istiod_certs() {
            volumes.push(
                obj! { "name" => "istiod-ca-cert", "configMap" => json!({"name": "istio-ca-root-cert"}) },
            );
        }
        volumes.push(obj! {
            "name" => "podinfo",
            "downwardAPI" => json!({"items": [
                {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
                {"path": "annotations", "fieldRef": {"fieldPath": "metadata.annotations"}},
            ]}),
        });
        volumes.push(obj! { "name" => "istio-envoy", "emptyDir" => json!({}) });
        volumes.push(obj! { "name" => "istio-data", "emptyDir" => json!({}) });
        volumes.push(obj! {
            "name" => "istio-token",
            "projected" => json!({"sources": [{"serviceAccountToken": {
                "path": "istio-token",
                "expirationSeconds": 43200,
                "audience": printed(get(self.values, "global.sds.token.aud")),
            }}]}),
        });
        if self.mtls_certs() {
            volumes.push(obj! {
                "name" => "istio-certs",
                "secret" => json!({
                    "secretName": format!("istio.{}-service-account", self.flavor.key),
                    "optional": true,
                }),
            });
        }
        let config_map = match self.revision() {
            "" => "istio".to_string(),
            rev => format!("istio-{rev}"),
        };
        volumes.push(obj! {
            "name" => "config-volume",
            "configMap" => json!({"name": printed(&Value::from(config_map)), "optional": true}),
        });
        volumes.extend(self.extra_volumes()?);
        Ok(volumes)
    }
}
