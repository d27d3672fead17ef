//! Request handling: the router (injection endpoints, health, readiness, metrics) and the state
//! its handlers share. Knows nothing of TLS, sockets or reloads; it reads the live injector and
//! writes metrics and one log line per decision.

use crate::config::{self, ConfigFiles};
use crate::decision::{self, Subject};
use crate::error::WebhookError;
use crate::inject_env;
use crate::live::Live;
use crate::metrics::{Failure, Metrics};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http_body_util::BodyExt;
use mesh_inject::admission::{self, Admission, Outcome};
use mesh_inject::{Injector, PodContext};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Limits applied to every injection request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted body; larger is answered 413.
    pub max_body_bytes: usize,
    /// Time allowed to receive the whole body; slower is answered 408.
    pub read_timeout: Duration,
    /// Time allowed to decide once the body is in; slower is answered 503.
    pub handler_timeout: Duration,
}

impl Limits {
    /// The defaults: 5 MiB, 10 s to receive the body, 10 s to decide.
    pub const DEFAULT: Limits = Limits {
        max_body_bytes: 5 * 1024 * 1024,
        read_timeout: Duration::from_secs(10),
        handler_timeout: Duration::from_secs(10),
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// What the handlers share: the injector in service, the metrics, readiness and the limits.
pub struct AppState {
    /// The injector in service (swapped by the reload watcher).
    pub(crate) injector: Arc<Live<Injector>>,
    /// Counters and histogram.
    metrics: Arc<Metrics>,
    /// Whether the server takes traffic: ready once serving, not ready while draining.
    ready: AtomicBool,
    /// Request limits.
    limits: Limits,
    /// Whether pods run on OpenShift (proxy user from the namespace's UID range).
    openshift: bool,
}

impl AppState {
    /// State serving `injector` with fresh metrics; not ready until [`AppState::set_ready`].
    /// `openshift`: pods run on OpenShift (proxy user from the namespace's UID range).
    pub fn new(injector: Injector, limits: Limits, openshift: bool) -> Self {
        AppState {
            injector: Arc::new(Live::new(injector)),
            metrics: Arc::new(Metrics::default()),
            ready: AtomicBool::new(false),
            limits,
            openshift,
        }
    }

    /// Reads the configuration files and builds the state over their injector.
    pub fn load(
        files: &ConfigFiles,
        limits: Limits,
        openshift: bool,
    ) -> Result<Self, WebhookError> {
        let (_, injector) = config::load(files)?;
        Ok(AppState::new(injector, limits, openshift))
    }

    /// The metrics the handlers record (share them with [`crate::serve`]).
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Marks the server ready (`GET /readyz` 200) or not ready (503, while draining).
    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Relaxed);
    }

    /// Puts `injector` in service for every later request; requests running keep the old one.
    pub fn set_injector(&self, injector: Injector) {
        self.injector.set(injector);
    }

    fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }
}

/// The routes: `POST /inject[/<key>/<value>...]`, `GET /healthz`, `GET /readyz`, `GET /metrics`.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/inject", post(inject))
        .route("/inject/", post(inject))
        .route("/inject/{*params}", post(inject))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(state)
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    if state.is_ready() {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready\n").into_response()
    }
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

async fn inject(
    State(state): State<Arc<AppState>>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    state.metrics.request();
    let path = uri.path();
    let response = match handle(&state, path, &headers, body).await {
        Ok(response) => response,
        Err(rejection) => {
            state.metrics.failed(rejection.reason);
            tracing::warn!(
                path,
                status = rejection.status.as_u16(),
                reason = rejection.reason.label(),
                "{}",
                rejection.message
            );
            (rejection.status, rejection.message).into_response()
        }
    };
    state.metrics.observe_latency(started.elapsed());
    response
}

/// A request answered with an HTTP error instead of an AdmissionReview.
struct Rejection {
    status: StatusCode,
    reason: Failure,
    message: String,
}

impl Rejection {
    fn new(status: StatusCode, reason: Failure, message: impl Into<String>) -> Self {
        Rejection {
            status,
            reason,
            message: message.into(),
        }
    }
}

async fn handle(
    state: &AppState,
    path: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, Rejection> {
    let limits = state.limits;
    let declared = declared_length(headers);
    if declared.is_some_and(|len| len > limits.max_body_bytes as u64) {
        return Err(too_large(limits.max_body_bytes));
    }
    // The body is read before the Content-Type is judged (as istiod does): answering before the
    // client has sent it makes HTTP/2 reset the stream, and some clients then lose the answer.
    let capacity = declared.map_or(0, |len| usize::try_from(len).unwrap_or(0));
    let read = read_body(body, limits.max_body_bytes, capacity);
    let body = tokio::time::timeout(limits.read_timeout, read)
        .await
        .map_err(|_| {
            Rejection::new(
                StatusCode::REQUEST_TIMEOUT,
                Failure::ReadTimeout,
                format!("request body not received within {:?}", limits.read_timeout),
            )
        })??;
    let body_len = body.len();
    if body.is_empty() {
        return Err(Rejection::new(
            StatusCode::BAD_REQUEST,
            Failure::EmptyBody,
            "request body is empty",
        ));
    }
    check_content_type(headers)?;
    let context = PodContext {
        proxy_envs: inject_env::parse(path),
        openshift: state.openshift,
        ..PodContext::default()
    };
    let injector = state.injector.get();
    let decide = move || {
        let admission = admission::review_in(&body, injector.as_ref(), &context);
        let subject = decision::subject(&body);
        (admission, subject)
    };
    let (admission, subject) = if body_len <= INLINE_MAX_BYTES {
        decide()
    } else {
        decide_on_blocking_pool(decide, limits.handler_timeout).await?
    };
    record(state, path, &admission, &subject);
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        admission.to_bytes(),
    )
        .into_response())
}

/// Bodies up to this size are decided on the async worker that read them: a typical pod takes
/// well under a millisecond, and handing it to another thread costs two wake-ups and a context
/// switch each way, which dominated the tail latency under load.
const INLINE_MAX_BYTES: usize = 64 * 1024;

/// Decides a large review on the blocking pool, so it cannot stall the connections sharing its
/// async worker, bounded by the handler timeout.
async fn decide_on_blocking_pool<T: Send + 'static>(
    decide: impl FnOnce() -> T + Send + 'static,
    timeout: Duration,
) -> Result<T, Rejection> {
    match tokio::time::timeout(timeout, tokio::task::spawn_blocking(decide)).await {
        Ok(Ok(done)) => Ok(done),
        Ok(Err(join_error)) => Err(Rejection::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            Failure::Internal,
            format!("injection task failed: {join_error}"),
        )),
        Err(_) => Err(Rejection::new(
            StatusCode::SERVICE_UNAVAILABLE,
            Failure::Timeout,
            format!("injection not decided within {timeout:?}"),
        )),
    }
}

/// Only `application/json` is accepted (parameters such as `charset` are tolerated).
fn check_content_type(headers: &HeaderMap) -> Result<(), Rejection> {
    let value = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let media_type = value.split(';').next().unwrap_or_default().trim();
    if media_type.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(Rejection::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Failure::ContentType,
            format!("Content-Type {value:?} is not supported; send application/json"),
        ))
    }
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

fn too_large(limit: usize) -> Rejection {
    Rejection::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        Failure::TooLarge,
        format!("request body is larger than {limit} bytes"),
    )
}

/// Reads the body frame by frame, giving up as soon as it passes `limit`.
/// `capacity` is the declared length (already checked against the limit).
async fn read_body(mut body: Body, limit: usize, capacity: usize) -> Result<Bytes, Rejection> {
    let mut collected: Vec<u8> = Vec::with_capacity(capacity);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            Rejection::new(
                StatusCode::BAD_REQUEST,
                Failure::ReadError,
                format!("could not read the request body: {e}"),
            )
        })?;
        if let Ok(data) = frame.into_data() {
            if collected.len() + data.len() > limit {
                return Err(too_large(limit));
            }
            collected.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(collected))
}

/// Counts the decision and writes its log line.
fn record(state: &AppState, path: &str, admission: &Admission, subject: &Subject) {
    let metrics = &state.metrics;
    let (namespace, pod, uid) = (&subject.namespace, &subject.pod, &subject.uid);
    match &admission.outcome {
        Outcome::Injected { operations } => {
            metrics.injected();
            tracing::info!(
                namespace,
                pod,
                uid,
                path,
                injected = true,
                operations,
                "pod injected"
            );
        }
        Outcome::Skipped { reason } => {
            metrics.skipped();
            tracing::info!(
                namespace,
                pod,
                uid,
                path,
                injected = false,
                reason,
                "injection skipped"
            );
        }
        Outcome::Failed { error } => {
            let failure = decision::failure_reason(&admission.outcome, subject);
            let failure = failure.unwrap_or(Failure::Injection);
            metrics.failed(failure);
            tracing::warn!(
                namespace,
                pod,
                uid,
                path,
                injected = false,
                reason = failure.label(),
                error = error.to_string().as_str(),
                "injection denied"
            );
        }
    }
}
