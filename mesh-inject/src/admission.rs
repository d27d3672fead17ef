//! The admission handler: AdmissionReview bytes in, AdmissionReview response out, as a pure function.
//!
//! The response is written in the request's `apiVersion` (`admission.k8s.io/v1` or `v1beta1`). An
//! injected pod is allowed with a base64 JSON patch; a pod the injector skips is allowed without
//! one; any failure, including a review that cannot be read, is `allowed: false` with the message.

use crate::config::InjectConfig;
use crate::error::InjectError;
use crate::injector::Injector;
use crate::json_write::write_value;
use crate::patch::create_patch_bytes;
use crate::pod::PodContext;
use crate::policy::{PodFacts, PolicyError, injector_decision};
use mesh_core::obj;
use serde_json::{Map, Value};

/// `admission.k8s.io/v1`, also used to answer reviews whose version cannot be read.
pub const ADMISSION_V1: &str = "admission.k8s.io/v1";
/// `admission.k8s.io/v1beta1`.
pub const ADMISSION_V1BETA1: &str = "admission.k8s.io/v1beta1";

/// What the admission handler needs from an injector.
pub trait PodInjector {
    /// The error injection can fail with; its message goes into the response and it is kept
    /// as the cause of [`AdmissionError::Inject`].
    type Error: Into<Box<dyn std::error::Error + Send + Sync>>;
    /// The injector configuration (policy, never/always selectors) the skip decision reads.
    fn inject_config(&self) -> &InjectConfig;
    /// Returns the injected pod (idempotent: injecting an injected pod changes nothing).
    fn inject_pod_in(&self, pod: &Value, context: &PodContext) -> Result<Value, Self::Error>;
}

impl PodInjector for Injector {
    type Error = InjectError;

    fn inject_config(&self) -> &InjectConfig {
        self.config()
    }

    fn inject_pod_in(&self, pod: &Value, context: &PodContext) -> Result<Value, InjectError> {
        Injector::inject_pod_in(self, pod, context)
    }
}

/// What the handler did, for logs and metrics; the response says the same to the API server.
#[derive(Debug)]
pub enum Outcome {
    /// The pod was injected; the response carries the patch (this many operations).
    Injected {
        /// Number of patch operations.
        operations: usize,
    },
    /// The injector skips the pod; allowed without a patch.
    Skipped {
        /// Why, from the policy.
        reason: String,
    },
    /// The review or the pod could not be handled; denied with this error's text.
    Failed {
        /// Why; its text is the `response.status.message`.
        error: AdmissionError,
    },
}

/// Why an AdmissionReview is denied: it cannot be read, or its pod cannot be injected.
#[derive(Debug, thiserror::Error)]
pub enum AdmissionError {
    /// The body is not JSON.
    #[error("could not decode the AdmissionReview body: {0}")]
    Decode(#[source] serde_json::Error),
    /// The review's `apiVersion` is neither [`ADMISSION_V1`] nor [`ADMISSION_V1BETA1`].
    #[error("apiVersion: expected {ADMISSION_V1} or {ADMISSION_V1BETA1}, found {0:?}")]
    ApiVersion(String),
    /// The review's `kind` is not `AdmissionReview`.
    #[error("kind: expected AdmissionReview, found {0:?}")]
    Kind(String),
    /// The review has no `request` map.
    #[error("request: missing or not a map")]
    MissingRequest,
    /// The request has no `object` map.
    #[error("request.object: missing or not a map")]
    MissingObject,
    /// The pod's metadata cannot be read for the injection policy.
    #[error("request.object: {0}")]
    Pod(#[source] PolicyError),
    /// The injector failed on the pod (with [`Injector`], an [`InjectError`]).
    #[error("pod injection failed: {0}")]
    Inject(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// The handler's result: the AdmissionReview to send back and what happened.
#[derive(Debug)]
pub struct Admission {
    /// The response AdmissionReview (serialise it as the HTTP body).
    pub review: Value,
    /// What happened.
    pub outcome: Outcome,
}

impl Admission {
    /// The response AdmissionReview as JSON bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        // The same bytes as `serde_json::to_vec`, without escaping the long base64 patch byte
        // by byte.
        let mut out = Vec::with_capacity(256 + patch_len(&self.review));
        write_value(&mut out, &self.review);
        out
    }
}

/// The length of the response's patch text, to size the output once.
fn patch_len(review: &Value) -> usize {
    review
        .get("response")
        .and_then(|r| r.get("patch"))
        .and_then(Value::as_str)
        .map_or(0, str::len)
}

/// Handles one AdmissionReview request body. Never panics: every failure becomes a denial.
pub fn review(body: &[u8], injector: &impl PodInjector) -> Admission {
    review_in(body, injector, &PodContext::default())
}

/// Like [`review`], with what the server knows besides the body (proxy environment from the
/// injection URL, the namespace's annotations, OpenShift). The namespace is taken from the
/// request unless `context` names one.
pub fn review_in(body: &[u8], injector: &impl PodInjector, context: &PodContext) -> Admission {
    let (api_version, uid, result) = match read_request(body) {
        Ok(req) => {
            let mut context = context.clone();
            if context.namespace.as_deref().is_none_or(str::is_empty) && !req.namespace.is_empty() {
                context.namespace = Some(req.namespace.clone());
            }
            let result = admit(req.pod, &context, injector);
            (req.api_version, req.uid, result)
        }
        Err(error) => (ADMISSION_V1.to_string(), String::new(), Err(error)),
    };
    let mut response = Map::new();
    response.insert("uid".into(), Value::String(uid));
    let outcome = match result {
        Ok(Admitted::Patched { patch, operations }) => {
            response.insert("allowed".into(), Value::Bool(true));
            response.insert("patch".into(), Value::String(base64(&patch)));
            response.insert("patchType".into(), Value::String("JSONPatch".into()));
            Outcome::Injected { operations }
        }
        Ok(Admitted::Skipped(reason)) => {
            response.insert("allowed".into(), Value::Bool(true));
            Outcome::Skipped { reason }
        }
        Err(error) => {
            response.insert("allowed".into(), Value::Bool(false));
            response.insert("status".into(), obj! { "message" => error.to_string() });
            Outcome::Failed { error }
        }
    };
    // Built by moving the response in: `json!` would copy it (patch included) by serialising.
    let mut review = Map::new();
    review.insert("apiVersion".into(), Value::String(api_version));
    review.insert("kind".into(), Value::String("AdmissionReview".into()));
    review.insert("response".into(), Value::Object(response));
    Admission {
        review: Value::Object(review),
        outcome,
    }
}

/// The parts of an AdmissionReview request the handler uses.
struct Request {
    api_version: String,
    uid: String,
    namespace: String,
    pod: Value,
}

fn read_request(body: &[u8]) -> Result<Request, AdmissionError> {
    let mut review: Value = serde_json::from_slice(body).map_err(AdmissionError::Decode)?;
    let field = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
    let api_version = field(&review, "apiVersion").unwrap_or_default();
    if api_version != ADMISSION_V1 && api_version != ADMISSION_V1BETA1 {
        return Err(AdmissionError::ApiVersion(api_version));
    }
    let kind = field(&review, "kind").unwrap_or_default();
    if kind != "AdmissionReview" {
        return Err(AdmissionError::Kind(kind));
    }
    let request = review
        .get_mut("request")
        .filter(|r| r.is_object())
        .ok_or(AdmissionError::MissingRequest)?;
    // The pod is moved out of the parsed review (which is dropped here), not copied.
    let pod = request
        .get_mut("object")
        .filter(|o| o.is_object())
        .map(Value::take)
        .ok_or(AdmissionError::MissingObject)?;
    Ok(Request {
        api_version,
        uid: field(request, "uid").unwrap_or_default(),
        namespace: field(request, "namespace").unwrap_or_default(),
        pod,
    })
}

/// A successful admission: a patch, or a skip with its reason.
enum Admitted {
    /// The JSON patch text and its number of operations.
    Patched {
        patch: Vec<u8>,
        operations: usize,
    },
    Skipped(String),
}

fn admit(
    mut pod: Value,
    context: &PodContext,
    injector: &impl PodInjector,
) -> Result<Admitted, AdmissionError> {
    let namespace = context.namespace.as_deref().unwrap_or_default();
    prepare_pod(&mut pod, namespace);
    let mut facts = PodFacts::from_pod(&pod).map_err(AdmissionError::Pod)?;
    if facts.namespace.is_empty() {
        facts.namespace = namespace.to_string();
    }
    let decision = injector_decision(injector.inject_config(), &facts);
    if !decision.inject {
        return Ok(Admitted::Skipped(decision.reason));
    }
    let injected = injector
        .inject_pod_in(&pod, context)
        .map_err(|e| AdmissionError::Inject(e.into()))?;
    let (patch, operations) = create_patch_bytes(&pod, &injected);
    Ok(Admitted::Patched { patch, operations })
}

/// Drops `managedFields` (large, and irrelevant to injection) and fills in the namespace from the
/// request when the pod has none, as pods created by controllers do. The patch is computed from
/// this prepared pod, so it touches neither.
pub fn prepare_pod(pod: &mut Value, namespace: &str) {
    // A pod without a metadata map is left as it is: a patch computed against an added map would
    // not apply to the object the API server holds.
    let Some(metadata) = pod.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    metadata.remove("managedFields");
    let has_namespace = metadata
        .get("namespace")
        .and_then(Value::as_str)
        .is_some_and(|ns| !ns.is_empty());
    if !has_namespace && !namespace.is_empty() {
        metadata.insert("namespace".into(), Value::String(namespace.to_string()));
    }
}

/// Standard base64 with padding (the encoding of `[]byte` fields in Kubernetes JSON).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let sextet = |n: u32, shift: u32| ALPHABET[((n >> shift) & 63) as usize];
    // Built as bytes (every one ASCII) in a buffer of the final size, then checked once into a
    // String.
    let (groups, rest) = bytes.as_chunks::<3>();
    let mut out = vec![b'='; bytes.len().div_ceil(3) * 4];
    let (quads, _) = out.as_chunks_mut::<4>();
    for (quad, group) in quads.iter_mut().zip(groups) {
        let n = (u32::from(group[0]) << 16) | (u32::from(group[1]) << 8) | u32::from(group[2]);
        *quad = [sextet(n, 18), sextet(n, 12), sextet(n, 6), sextet(n, 0)];
    }
    if let ([first, more @ ..], Some(last)) = (rest, quads.last_mut()) {
        // 1 or 2 bytes left: 2 or 3 characters, the rest stays padding.
        let second = more.first().copied();
        let n = (u32::from(*first) << 16) | (u32::from(second.unwrap_or(0)) << 8);
        last[0] = sextet(n, 18);
        last[1] = sextet(n, 12);
        if second.is_some() {
            last[2] = sextet(n, 6);
        }
    }
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn base64_writer_matches_the_reference_encoder() {
        // This writer is specialised for speed; mesh_core's encoder is the tested reference.
        let bytes: Vec<u8> = (0..=255u8).rev().chain(0..=255).collect();
        for len in 0..bytes.len() {
            assert_eq!(
                base64(&bytes[..len]),
                mesh_core::base64::encode(&bytes[..len])
            );
        }
    }

    #[test]
    fn prepare_pod_fills_namespace_and_drops_managed_fields() {
        let mut pod = json!({"metadata": {"name": "p", "managedFields": [{}]}});
        prepare_pod(&mut pod, "ns");
        assert_eq!(pod, json!({"metadata": {"name": "p", "namespace": "ns"}}));
        let mut pod = json!({"metadata": {"namespace": "own"}});
        prepare_pod(&mut pod, "ns");
        assert_eq!(pod["metadata"]["namespace"], "own");
        let mut pod = json!({"spec": {}});
        prepare_pod(&mut pod, "ns");
        assert_eq!(pod, json!({"spec": {}}));
    }
}
