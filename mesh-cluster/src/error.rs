//! What can go wrong talking to a cluster, as typed errors that name the request and object
//! (pure data; the client half classifies kube's errors into them).

use std::error::Error;
use std::fmt;
use std::sync::Arc;

/// A cluster operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClusterError {
    /// The API server could not be reached (connection refused, DNS, TLS, timeout, ...).
    #[error("cannot reach the Kubernetes API server: {source}")]
    Unreachable {
        /// The client's error (connection refused, DNS, TLS, timeout, ...).
        #[source]
        source: Cause,
    },
    /// The client could not authenticate (credentials plugin, token file, ...).
    #[error("cannot authenticate to the Kubernetes API server: {source}")]
    Auth {
        /// The client's error.
        #[source]
        source: Cause,
    },
    /// The server refused the request for lack of permission (HTTP 403).
    #[error("{action} {object}: forbidden: {message}")]
    Forbidden {
        /// What was attempted (`apply`, `get`, `list`, `delete`, ...).
        action: Action,
        /// The object or collection.
        object: String,
        /// The server's message.
        message: String,
    },
    /// The request conflicted with the object's current state (HTTP 409), e.g. a field owned
    /// by another manager when not forcing, or an object being deleted.
    #[error("{action} {object}: conflict: {message}")]
    Conflict {
        /// What was attempted.
        action: Action,
        /// The object.
        object: String,
        /// The server's message.
        message: String,
    },
    /// The object or its kind does not exist (HTTP 404) where it had to.
    #[error("{action} {object}: not found: {message}")]
    NotFound {
        /// What was attempted.
        action: Action,
        /// The object.
        object: String,
        /// The server's message.
        message: String,
    },
    /// Any other error status from the server (400, 422, 500, ...).
    #[error("{action} {object}: HTTP {code} {reason}: {message}")]
    Api {
        /// What was attempted.
        action: Action,
        /// The object.
        object: String,
        /// The HTTP status code.
        code: u16,
        /// The machine-readable reason (`Invalid`, `InternalError`, ...), may be empty.
        reason: String,
        /// The server's message.
        message: String,
    },
    /// The response could not be understood.
    #[error("{action} {object}: unexpected response: {source}")]
    Decode {
        /// What was attempted.
        action: Action,
        /// The object.
        object: String,
        /// What was wrong with it.
        #[source]
        source: Cause,
    },
    /// Some objects did not become ready in time.
    #[error("{}", format_timeout(.what, *.seconds, .not_ready))]
    Timeout {
        /// What was waited for (`CRDs`, `workloads`).
        what: String,
        /// How long was waited, in seconds.
        seconds: u64,
        /// One line per object still not ready, with the reason.
        not_ready: Vec<String>,
    },
    /// Some other client-side failure.
    #[error("{action} {object}: {source}")]
    Client {
        /// What was attempted.
        action: Action,
        /// The object.
        object: String,
        /// The client's error.
        #[source]
        source: Cause,
    },
}

/// The client-side error behind a [`ClusterError`], kept whole (walk it with
/// [`Error::source`]) and shared, so that cluster errors stay cheap to clone.
///
/// It prints as the error and its causes joined with `: ` ([`source_chain`]): kube's
/// transport errors put the useful part (`Connection refused`) deep in the chain. Two causes are
/// equal when they print the same.
#[derive(Clone)]
pub struct Cause(Arc<dyn Error + Send + Sync + 'static>);

impl Cause {
    /// Wraps a client error.
    pub fn new(error: impl Error + Send + Sync + 'static) -> Self {
        Cause(Arc::new(error))
    }

    /// Wraps a boxed client error (tower's and kube's service errors come boxed).
    pub fn boxed(error: Box<dyn Error + Send + Sync + 'static>) -> Self {
        Cause(Arc::from(error))
    }

    /// A cause that is only a description (a response that lacks what was needed).
    pub fn msg(text: impl Into<String>) -> Self {
        Cause::boxed(text.into().into())
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&source_chain(self.0.as_ref()))
    }
}

impl fmt::Debug for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cause({:?})", self.to_string())
    }
}

impl Error for Cause {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(self.0.as_ref())
    }
}

impl PartialEq for Cause {
    fn eq(&self, other: &Cause) -> bool {
        self.to_string() == other.to_string()
    }
}

impl Eq for Cause {}

/// The kind of request that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Server-side apply.
    Apply,
    /// Read one object.
    Get,
    /// List a collection.
    List,
    /// Delete one object.
    Delete,
    /// Read API discovery.
    Discover,
    /// Read the server version.
    Version,
    /// Ask whether we may do something (SelfSubjectAccessReview).
    Review,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Apply => "apply",
            Action::Get => "get",
            Action::List => "list",
            Action::Delete => "delete",
            Action::Discover => "discover",
            Action::Version => "get version of",
            Action::Review => "review access to",
        })
    }
}

fn format_timeout(what: &str, seconds: u64, not_ready: &[String]) -> String {
    let mut out = format!("timed out after {seconds}s waiting for {what} to be ready");
    for line in not_ready {
        out.push_str("\n  ");
        out.push_str(line);
    }
    out
}

impl ClusterError {
    /// Whether the error is a 404.
    pub fn is_not_found(&self) -> bool {
        matches!(self, ClusterError::NotFound { .. })
    }
}

/// An error and its causes joined with `: `, skipping causes whose text the previous one
/// already contains (hyper and tower often repeat themselves).
pub fn source_chain(err: &(dyn Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut cause = err.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = c.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_list_one_object_per_line() {
        let e = ClusterError::Timeout {
            what: "workloads".into(),
            seconds: 300,
            not_ready: vec!["a: x".into(), "b: y".into()],
        };
        assert_eq!(
            e.to_string(),
            "timed out after 300s waiting for workloads to be ready\n  a: x\n  b: y"
        );
    }

    #[test]
    fn causes_print_their_chain_once_and_stay_reachable() {
        #[derive(Debug, thiserror::Error)]
        #[error("error trying to connect")]
        struct Outer(#[source] std::io::Error);
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "Connection refused");
        let e = ClusterError::Unreachable {
            source: Cause::new(Outer(io)),
        };
        assert_eq!(
            e.to_string(),
            "cannot reach the Kubernetes API server: error trying to connect: Connection refused"
        );
        let cause = e.source().and_then(Error::source).map(ToString::to_string);
        assert_eq!(cause.as_deref(), Some("error trying to connect"));
        assert_eq!(e.clone(), e);
    }
}
