//! A scripted in-memory Kubernetes API server behind kube's mock service (tower-test): it
//! records every request, stores server-side applied objects, answers get/list/delete,
//! discovery, /version and SelfSubjectAccessReviews, and plays CRD and workload status
//! transitions and injected faults.
//!
//! It is strict where a real API server is: a namespaced object in a namespace that does not
//! exist, or a custom resource whose CRD is not served yet, is a 404; an apply without the
//! apply-patch content type or a field manager is a 400. So an engine that applies in the
//! wrong order fails here as it would on a cluster.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use http::{Request, Response};
use kube::client::Body;
use mesh_cluster::Cluster;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

/// Groups whose kinds every API server has; other groups need a served CRD.
const BUILTIN_GROUPS: &[&str] = &[
    "",
    "apps",
    "batch",
    "autoscaling",
    "policy",
    "rbac.authorization.k8s.io",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "networking.k8s.io",
    "scheduling.k8s.io",
    "authorization.k8s.io",
    "apiregistration.k8s.io",
];

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// `GET`, `PATCH`, ...
    pub method: String,
    /// URL path.
    pub path: String,
    /// Decoded query parameters, in order.
    pub query: Vec<(String, String)>,
    /// `content-type` header.
    pub content_type: Option<String>,
    /// JSON body, if any.
    pub body: Option<Value>,
    /// Status code answered.
    pub status: u16,
}

impl Recorded {
    /// `METHOD path`.
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// A query parameter.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// A scripted failure.
#[derive(Debug, Clone)]
pub struct Fault {
    /// Method to fail.
    pub method: &'static str,
    /// Fails requests whose path ends with this.
    pub path_suffix: String,
    /// Status code.
    pub code: u16,
    /// Status message.
    pub message: String,
    /// How many times (then the fault is spent).
    pub times: usize,
}

/// How the fake cluster behaves.
#[derive(Debug, Clone)]
pub struct Behaviour {
    /// GETs of a CRD answered before it reports Established.
    pub crd_established_after: usize,
    /// Discovery reads of a group version answered 404 before it is served (counted once its
    /// CRDs are Established).
    pub discovery_after: usize,
    /// GETs of a workload answered before it reports ready (`usize::MAX`: never).
    pub workload_ready_after: usize,
    /// Pods returned by pod lists.
    pub pods: Vec<Value>,
    /// `/version` answer.
    pub version: Value,
    /// Resources whose SelfSubjectAccessReview is denied, by plural.
    pub denied: BTreeSet<String>,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            crd_established_after: 0,
            discovery_after: 0,
            workload_ready_after: 0,
            pods: Vec::new(),
            version: json!({"major": "1", "minor": "33", "gitVersion": "v1.33.1"}),
            denied: BTreeSet::new(),
        }
    }
}

/// The key of a stored object: (group, plural, namespace, name).
pub type Key = (String, String, String, String);

#[derive(Default)]
struct State {
    objects: BTreeMap<Key, Value>,
    gets: BTreeMap<Key, usize>,
    discovery_reads: BTreeMap<(String, String), usize>,
    log: Vec<Recorded>,
    faults: Vec<Fault>,
}

/// The fake API server.
#[derive(Clone)]
pub struct FakeApi {
    behaviour: Arc<Mutex<Behaviour>>,
    state: Arc<Mutex<State>>,
}

/// A parsed API path.
struct ApiPath {
    group: String,
    version: String,
    namespace: String,
    plural: String,
    name: String,
}

fn parse_path(path: &str) -> Option<ApiPath> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version, rest) = match segs.as_slice() {
        ["api", v, rest @ ..] => (String::new(), v.to_string(), rest),
        ["apis", g, v, rest @ ..] => (g.to_string(), v.to_string(), rest),
        _ => return None,
    };
    let (namespace, plural, name) = match rest {
        [] => (String::new(), String::new(), String::new()),
        ["namespaces", name] if group.is_empty() => {
            (String::new(), "namespaces".to_string(), name.to_string())
        }
        ["namespaces", ns, plural] => (ns.to_string(), plural.to_string(), String::new()),
        ["namespaces", ns, plural, name] => (ns.to_string(), plural.to_string(), name.to_string()),
        [plural] => (String::new(), plural.to_string(), String::new()),
        [plural, name] => (String::new(), plural.to_string(), name.to_string()),
        _ => return None,
    };
    Some(ApiPath {
        group,
        version,
        namespace,
        plural,
        name,
    })
}

fn decode(s: &str) -> String {
    let bytes = s.replace('+', " ").into_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn status(code: u16, reason: &str, message: &str) -> (u16, Value) {
    (
        code,
        json!({"kind": "Status", "apiVersion": "v1", "status": "Failure",
            "code": code, "reason": reason, "message": message}),
    )
}

/// Splits a label selector on the commas outside parentheses.
fn selector_terms(selector: &str) -> Vec<String> {
    let mut terms = Vec::new();
    let mut depth = 0;
    let mut cur = String::new();
    for c in selector.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                terms.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        terms.push(cur);
    }
    terms
}

/// Whether labels match a selector (`k`, `!k`, `k=v`, `k in (a,b)`).
pub fn matches_selector(labels: Option<&Value>, selector: &str) -> bool {
    let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
    selector_terms(selector).iter().all(|term| {
        let term = term.trim();
        if let Some((k, set)) = term.split_once(" in ") {
            let set = set.trim_matches(|c| c == '(' || c == ')');
            return get(k.trim()).is_some_and(|v| set.split(',').any(|s| s.trim() == v));
        }
        if let Some((k, v)) = term.split_once('=') {
            return get(k) == Some(v);
        }
        if let Some(k) = term.strip_prefix('!') {
            return get(k).is_none();
        }
        get(term).is_some()
    })
}

impl FakeApi {
    /// A fake with this behaviour and no objects.
    pub fn new(behaviour: Behaviour) -> Self {
        FakeApi {
            behaviour: Arc::new(Mutex::new(behaviour)),
            state: Arc::new(Mutex::new(State::default())),
        }
    }

    /// Starts serving on a mock service; returns the engine's cluster handle.
    pub fn start(&self) -> Cluster {
        let (svc, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
        let fake = self.clone();
        tokio::spawn(async move {
            while let Some((req, send)) = handle.next_request().await {
                let (parts, body) = req.into_parts();
                let bytes = body.collect_bytes().await.unwrap();
                let (code, value) = fake.respond(&parts, &bytes);
                let resp = Response::builder()
                    .status(code)
                    .header("content-type", "application/json")
                    .body(Body::from(serde_json::to_vec(&value).unwrap()))
                    .unwrap();
                send.send_response(resp);
            }
        });
        Cluster::new(kube::Client::new(svc, "default"))
    }

    /// Changes the behaviour.
    pub fn set(&self, f: impl FnOnce(&mut Behaviour)) {
        f(&mut self.behaviour.lock().unwrap());
    }

    /// Adds a fault.
    pub fn fail(
        &self,
        method: &'static str,
        path_suffix: &str,
        code: u16,
        message: &str,
        times: usize,
    ) {
        self.state.lock().unwrap().faults.push(Fault {
            method,
            path_suffix: path_suffix.to_string(),
            code,
            message: message.to_string(),
            times,
        });
    }

    /// Every request so far.
    pub fn log(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().log.clone()
    }

    /// Forgets the requests so far.
    pub fn clear_log(&self) {
        self.state.lock().unwrap().log.clear();
    }

    /// `METHOD path` of every request so far.
    pub fn lines(&self) -> Vec<String> {
        self.log().iter().map(Recorded::line).collect()
    }

    /// Every stored object.
    pub fn objects(&self) -> BTreeMap<Key, Value> {
        self.state.lock().unwrap().objects.clone()
    }

    /// Stores an object directly (as if someone else had created it).
    pub fn seed(&self, group: &str, plural: &str, value: Value) {
        let ns = value["metadata"]["namespace"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let name = value["metadata"]["name"].as_str().unwrap().to_string();
        self.state
            .lock()
            .unwrap()
            .objects
            .insert((group.into(), plural.into(), ns, name), value);
    }

    /// Removes an object directly.
    pub fn remove(&self, group: &str, plural: &str, ns: &str, name: &str) {
        self.state.lock().unwrap().objects.remove(&(
            group.into(),
            plural.into(),
            ns.into(),
            name.into(),
        ));
    }

    fn respond(&self, parts: &http::request::Parts, bytes: &[u8]) -> (u16, Value) {
        let method = parts.method.to_string();
        let path = parts.uri.path().to_string();
        let query: Vec<(String, String)> = parts
            .uri
            .query()
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode(k), decode(v))
            })
            .collect();
        let body: Option<Value> = if bytes.is_empty() {
            None
        } else {
            serde_json::from_slice(bytes).ok()
        };
        let content_type = parts
            .headers
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string());
        let mut rec = Recorded {
            method: method.clone(),
            path: path.clone(),
            query,
            content_type,
            body,
            status: 0,
        };
        let (code, value) = self.handle(&rec);
        rec.status = code;
        self.state.lock().unwrap().log.push(rec);
        (code, value)
    }

    fn take_fault(&self, rec: &Recorded) -> Option<(u16, Value)> {
        let mut st = self.state.lock().unwrap();
        let f = st.faults.iter_mut().find(|f| {
            f.times > 0 && f.method == rec.method && rec.path.ends_with(&f.path_suffix)
        })?;
        f.times -= 1;
        let reason = match f.code {
            403 => "Forbidden",
            409 => "Conflict",
            _ => "InternalError",
        };
        Some(status(f.code, reason, &f.message))
    }

    fn handle(&self, rec: &Recorded) -> (u16, Value) {
        if let Some(fault) = self.take_fault(rec) {
            return fault;
        }
        let b = self.behaviour.lock().unwrap().clone();
        if rec.path == "/version" {
            return (200, b.version.clone());
        }
        let Some(p) = parse_path(&rec.path) else {
            return status(
                404,
                "NotFound",
                "the server could not find the requested resource",
            );
        };
        if p.group == "authorization.k8s.io" && rec.method == "POST" {
            let body = rec.body.clone().unwrap_or(Value::Null);
            let resource = body
                .pointer("/spec/resourceAttributes/resource")
                .and_then(Value::as_str)
                .unwrap_or("");
            let allowed = !b.denied.contains(resource);
            let mut review = body.clone();
            review["status"] = json!({"allowed": allowed,
                "reason": if allowed { "" } else { "RBAC: not allowed" }});
            return (201, review);
        }
        if p.plural.is_empty() {
            return self.discovery(&p, &b);
        }
        if !BUILTIN_GROUPS.contains(&p.group.as_str())
            && !self.served(&p.group, &p.version, &p.plural)
        {
            return status(
                404,
                "NotFound",
                "the server could not find the requested resource",
            );
        }
        match rec.method.as_str() {
            "PATCH" => self.apply(rec, &p),
            "GET" if p.name.is_empty() => self.list(rec, &p, &b),
            "GET" => self.get(&p, &b),
            "DELETE" => self.delete(rec, &p),
            m => status(
                405,
                "MethodNotAllowed",
                &format!("{m} not supported by the fake"),
            ),
        }
    }

    fn crds(&self) -> Vec<Value> {
        self.state
            .lock()
            .unwrap()
            .objects
            .iter()
            .filter(|(k, _)| k.1 == "customresourcedefinitions")
            .map(|(_, v)| v.clone())
            .collect()
    }

    fn crd_established(&self, name: &str, b: &Behaviour) -> bool {
        let key: Key = (
            "apiextensions.k8s.io".into(),
            "customresourcedefinitions".into(),
            String::new(),
            name.into(),
        );
        let st = self.state.lock().unwrap();
        st.objects.contains_key(&key)
            && st.gets.get(&key).copied().unwrap_or(0) >= b.crd_established_after
    }

    /// Whether discovery lists (group, version, plural) now.
    fn served(&self, group: &str, version: &str, plural: &str) -> bool {
        let b = self.behaviour.lock().unwrap().clone();
        let reads = self
            .state
            .lock()
            .unwrap()
            .discovery_reads
            .get(&(group.to_string(), version.to_string()))
            .copied()
            .unwrap_or(0);
        self.crds().iter().any(|crd| {
            crd["spec"]["group"] == group
                && crd["spec"]["names"]["plural"] == plural
                && crd["spec"]["versions"]
                    .as_array()
                    .is_some_and(|vs| vs.iter().any(|v| v["name"] == version))
                && self.crd_established(crd["metadata"]["name"].as_str().unwrap(), &b)
                && reads >= b.discovery_after
        })
    }

    fn discovery(&self, p: &ApiPath, b: &Behaviour) -> (u16, Value) {
        let gv = (p.group.clone(), p.version.clone());
        let established: Vec<Value> = self
            .crds()
            .into_iter()
            .filter(|crd| {
                crd["spec"]["group"] == p.group.as_str()
                    && crd["spec"]["versions"]
                        .as_array()
                        .is_some_and(|vs| vs.iter().any(|v| v["name"] == p.version.as_str()))
                    && self.crd_established(crd["metadata"]["name"].as_str().unwrap(), b)
            })
            .collect();
        let reads = {
            let mut st = self.state.lock().unwrap();
            let r = st.discovery_reads.entry(gv).or_insert(0);
            let before = *r;
            if !established.is_empty() {
                *r += 1;
            }
            before
        };
        if established.is_empty() || reads < b.discovery_after {
            return status(
                404,
                "NotFound",
                "the server could not find the requested resource",
            );
        }
        let resources: Vec<Value> = established
            .iter()
            .map(|crd| {
                json!({"name": crd["spec"]["names"]["plural"], "kind": crd["spec"]["names"]["kind"],
                "namespaced": crd["spec"]["scope"] == "Namespaced"})
            })
            .collect();
        (
            200,
            json!({"kind": "APIResourceList", "groupVersion": format!("{}/{}", p.group, p.version),
            "resources": resources}),
        )
    }

    fn key(p: &ApiPath) -> Key {
        (
            p.group.clone(),
            p.plural.clone(),
            p.namespace.clone(),
            p.name.clone(),
        )
    }

    fn namespace_exists(&self, ns: &str) -> bool {
        ns.is_empty()
            || ["default", "kube-system", "kube-public", "kube-node-lease"].contains(&ns)
            || self.state.lock().unwrap().objects.contains_key(&(
                String::new(),
                "namespaces".into(),
                String::new(),
                ns.to_string(),
            ))
    }

    fn apply(&self, rec: &Recorded, p: &ApiPath) -> (u16, Value) {
        if rec.content_type.as_deref() != Some("application/apply-patch+yaml") {
            return status(415, "UnsupportedMediaType", "not an apply patch");
        }
        if rec.param("fieldManager").is_none() {
            return status(
                400,
                "BadRequest",
                "fieldManager is required for apply requests",
            );
        }
        let Some(body) = rec.body.clone() else {
            return status(400, "BadRequest", "no body");
        };
        if body["metadata"]["name"] != p.name.as_str() {
            return status(400, "BadRequest", "name in body differs from the URL");
        }
        if !self.namespace_exists(&p.namespace) {
            return status(
                404,
                "NotFound",
                &format!("namespaces \"{}\" not found", p.namespace),
            );
        }
        let key = Self::key(p);
        let mut st = self.state.lock().unwrap();
        let generation = st
            .objects
            .get(&key)
            .and_then(|o| o["metadata"]["generation"].as_i64())
            .unwrap_or(0)
            + 1;
        let mut stored = body;
        stored["metadata"]["generation"] = json!(generation);
        if rec.param("dryRun") == Some("All") {
            return (200, stored);
        }
        st.objects.insert(key, stored.clone());
        (200, stored)
    }

    fn with_status(&self, key: &Key, object: &Value, b: &Behaviour) -> Value {
        let gets = self
            .state
            .lock()
            .unwrap()
            .gets
            .get(key)
            .copied()
            .unwrap_or(0);
        let mut v = object.clone();
        let generation = v["metadata"]["generation"].as_i64().unwrap_or(1);
        match (key.0.as_str(), key.1.as_str()) {
            ("apiextensions.k8s.io", "customresourcedefinitions") => {
                let established = gets >= b.crd_established_after;
                v["status"] = json!({"conditions": [
                    {"type": "NamesAccepted", "status": "True"},
                    {"type": "Established", "status": if established { "True" } else { "False" }}]});
            }
            ("apps", "deployments") | ("apps", "statefulsets") => {
                let want = v["spec"]["replicas"].as_i64().unwrap_or(1);
                let ready = b.workload_ready_after != usize::MAX && gets >= b.workload_ready_after;
                let n = if ready { want } else { 0 };
                v["status"] = json!({"observedGeneration": generation, "replicas": want,
                    "updatedReplicas": want, "availableReplicas": n, "readyReplicas": n});
            }
            ("apps", "daemonsets") => {
                let ready = b.workload_ready_after != usize::MAX && gets >= b.workload_ready_after;
                v["status"] = json!({"observedGeneration": generation, "desiredNumberScheduled": 1,
                    "updatedNumberScheduled": 1, "numberAvailable": if ready { 1 } else { 0 }});
            }
            ("", "namespaces") => v["status"] = json!({"phase": "Active"}),
            _ => {}
        }
        v
    }

    fn get(&self, p: &ApiPath, b: &Behaviour) -> (u16, Value) {
        let key = Self::key(p);
        let found = self.state.lock().unwrap().objects.get(&key).cloned();
        let Some(object) = found else {
            return status(
                404,
                "NotFound",
                &format!("{} \"{}\" not found", p.plural, p.name),
            );
        };
        let v = self.with_status(&key, &object, b);
        *self.state.lock().unwrap().gets.entry(key).or_insert(0) += 1;
        (200, v)
    }

    fn list(&self, rec: &Recorded, p: &ApiPath, b: &Behaviour) -> (u16, Value) {
        let selector = rec.param("labelSelector").unwrap_or("").to_string();
        let items: Vec<Value> = if p.group.is_empty() && p.plural == "pods" {
            b.pods.clone()
        } else {
            let st = self.state.lock().unwrap();
            st.objects
                .iter()
                .filter(|(k, _)| k.0 == p.group && k.1 == p.plural)
                .filter(|(k, _)| p.namespace.is_empty() || k.2 == p.namespace)
                .map(|(_, v)| v.clone())
                .collect()
        };
        let items: Vec<Value> = items
            .into_iter()
            .filter(|v| matches_selector(v.pointer("/metadata/labels"), &selector))
            .map(|mut v| {
                // Typed lists leave these out of their items.
                if let Some(o) = v.as_object_mut() {
                    o.remove("apiVersion");
                    o.remove("kind");
                }
                v
            })
            .collect();
        (
            200,
            json!({"kind": "List", "apiVersion": "v1", "items": items}),
        )
    }

    fn delete(&self, rec: &Recorded, p: &ApiPath) -> (u16, Value) {
        let key = Self::key(p);
        let dry = rec
            .body
            .as_ref()
            .and_then(|b| b.get("dryRun"))
            .is_some_and(|d| d == &json!(["All"]));
        let mut st = self.state.lock().unwrap();
        let found = if dry {
            st.objects.get(&key).cloned()
        } else {
            st.objects.remove(&key)
        };
        match found {
            Some(v) => (200, v),
            None => status(
                404,
                "NotFound",
                &format!("{} \"{}\" not found", p.plural, p.name),
            ),
        }
    }
}

/// Waits for tests that expect convergence: generous, so a loaded machine does not time out
/// (the scripted server settles in milliseconds; the budget only matters when it does not).
pub fn patient_wait() -> mesh_cluster::WaitOptions {
    mesh_cluster::WaitOptions {
        timeout: std::time::Duration::from_secs(30),
        interval: std::time::Duration::from_millis(1),
    }
}

/// Short waits: the engine tests that exercise a timeout wait this long (1.5 s leaves the
/// converging ones room on a loaded 2-core machine; 300 ms did not).
pub fn quick_wait() -> mesh_cluster::WaitOptions {
    mesh_cluster::WaitOptions {
        timeout: std::time::Duration::from_millis(1500),
        interval: std::time::Duration::from_millis(1),
    }
}
