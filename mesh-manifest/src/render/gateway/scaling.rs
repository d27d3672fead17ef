//! The gateway's HorizontalPodAutoscaler and PodDisruptionBudget.

use mesh_core::{Value, obj};
use serde_json::json;

use super::{Gateway, object};
use crate::render::RenderError;
use crate::render::common::{get, go_format, helm_int, printed, truthy};

impl Gateway<'_> {
    /// The HPA, rendered when `autoscaleEnabled`, `autoscaleMin` and `autoscaleMax` are all set,
    /// targeting the CPU utilization the gateway asks for.
    pub(super) fn autoscaler(&self) -> Result<Option<Value>, RenderError> {
        let (min, max) = (self.at("autoscaleMin"), self.at("autoscaleMax"));
        if !(truthy(self.at("autoscaleEnabled")) && truthy(min) && truthy(max)) {
            return Ok(None);
        }
        let metadata = self.metadata(
            &self.name,
            Value::from(self.namespace),
            self.object_labels()?,
        );
        let mut hpa = object("autoscaling/v2", "HorizontalPodAutoscaler", metadata);
        // Istio 1.30's gateway charts scale on the CPU target only (a memory target is ignored).
        let metrics = vec![obj! {
            "type" => "Resource",
            "resource" => json!({
                "name": "cpu",
                "target": {
                    "type": "Utilization",
                    "averageUtilization": printed(self.at("cpu.targetAverageUtilization")),
                },
            }),
        }];
        hpa.insert(
            "spec".into(),
            obj! {
                "maxReplicas" => printed(max),
                "minReplicas" => printed(min),
                "scaleTargetRef" => json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": self.name}),
                "metrics" => metrics,
            },
        );
        Ok(Some(Value::Object(hpa)))
    }

    /// The PDB (`minAvailable: 1`), rendered when `global.defaultPodDisruptionBudget.enabled`
    /// is set and the gateway keeps more than one replica: autoscaling with a minimum above one,
    /// or a fixed replica count above one.
    pub(super) fn disruption_budget(&self) -> Result<Option<Value>, RenderError> {
        if !truthy(get(
            self.values,
            "global.defaultPodDisruptionBudget.enabled",
        )) {
            return Ok(None);
        }
        let several = if truthy(self.at("autoscaleEnabled")) {
            helm_int(self.at("autoscaleMin")) > 1
        } else {
            helm_int(self.at("replicaCount")) > 1
        };
        if !several {
            return Ok(None);
        }
        let mut labels = self.object_labels()?;
        // The PDB quotes its revision label, unlike the other objects.
        labels.insert(
            "istio.io/rev".into(),
            Value::from(go_format(&self.revision_label())),
        );
        let metadata = self.metadata(&self.name, Value::from(self.namespace), labels);
        let mut pdb = object("policy/v1", "PodDisruptionBudget", metadata);
        pdb.insert(
            "spec".into(),
            obj! { "minAvailable" => 1, "selector" => json!({"matchLabels": self.labels()?}) },
        );
        Ok(Some(Value::Object(pdb)))
    }
}
