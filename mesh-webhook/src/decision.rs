//! What one admission decision says for logs and metrics: which pod it was about and, for a
//! denial, whether the review itself was unreadable or the injector failed on the pod.

use crate::metrics::Failure;
use mesh_inject::admission::{ADMISSION_V1, ADMISSION_V1BETA1, Outcome};
use serde::Deserialize;

/// The identifying fields of an AdmissionReview; everything else in the body is skipped.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ReviewHead {
    #[serde(rename = "apiVersion")]
    api_version: String,
    kind: String,
    request: Option<RequestHead>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RequestHead {
    uid: String,
    namespace: String,
    object: Option<ObjectHead>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ObjectHead {
    metadata: MetadataHead,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct MetadataHead {
    name: String,
    #[serde(rename = "generateName")]
    generate_name: String,
    namespace: String,
}

/// Who a review was about, as far as the body says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Subject {
    /// The request UID.
    pub(crate) uid: String,
    /// The pod's namespace, else the request's.
    pub(crate) namespace: String,
    /// The pod name; for a pod whose name the API server has yet to generate, its
    /// `generateName` followed by `***` (as istiod logs it).
    pub(crate) pod: String,
    /// Whether the body is an AdmissionReview with a request and an object at all.
    pub(crate) readable: bool,
}

/// Reads the subject of a review body; an unreadable body gives an empty, unreadable subject.
pub(crate) fn subject(body: &[u8]) -> Subject {
    let Ok(head) = serde_json::from_slice::<ReviewHead>(body) else {
        return Subject::default();
    };
    let version_ok = head.api_version == ADMISSION_V1 || head.api_version == ADMISSION_V1BETA1;
    let Some(request) = head.request else {
        return Subject::default();
    };
    let readable = version_ok && head.kind == "AdmissionReview" && request.object.is_some();
    let metadata = request.object.map(|o| o.metadata).unwrap_or_default();
    let pod = if !metadata.name.is_empty() {
        metadata.name
    } else if !metadata.generate_name.is_empty() {
        format!("{}***", metadata.generate_name)
    } else {
        String::new()
    };
    let namespace = if metadata.namespace.is_empty() {
        request.namespace
    } else {
        metadata.namespace
    };
    Subject {
        uid: request.uid,
        namespace,
        pod,
        readable,
    }
}

/// The metrics reason of a denial: the review could not be read, or the injector failed.
pub(crate) fn failure_reason(outcome: &Outcome, subject: &Subject) -> Option<Failure> {
    match outcome {
        Outcome::Failed { .. } if !subject.readable => Some(Failure::InvalidReview),
        Outcome::Failed { .. } => Some(Failure::Injection),
        Outcome::Injected { .. } | Outcome::Skipped { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mesh_inject::AdmissionError;

    #[test]
    fn names_a_generated_pod_like_istiod() {
        let body = br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview",
            "request":{"uid":"u1","namespace":"shop","object":{"metadata":{"generateName":"web-"},"spec":{}}}}"#;
        let s = subject(body);
        assert_eq!(s.pod, "web-***");
        assert_eq!(s.namespace, "shop");
        assert_eq!(s.uid, "u1");
        assert!(s.readable);
    }

    #[test]
    fn garbage_is_unreadable() {
        assert!(!subject(b"{not json").readable);
        assert!(
            !subject(br#"{"apiVersion":"v1","kind":"AdmissionReview","request":{"object":{}}}"#)
                .readable
        );
        let failed = Outcome::Failed {
            error: AdmissionError::MissingRequest,
        };
        assert_eq!(
            failure_reason(&failed, &Subject::default()),
            Some(Failure::InvalidReview)
        );
    }
}
