//! What can go wrong talking to a cluster, as typed errors that name the request and object
//! (pure data; the client half classifies kube's errors into them).

use std::fmt;

/// A cluster operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClusterError {
    /// The API server could not be reached (connection refused, DNS, TLS, timeout, ...).
    #[error("cannot reach the Kubernetes API server: {message}")]
    Unreachable {
        /// The underlying cause, innermost last.
        message: String,
    },
    /// The client could not authenticate (credentials plugin, token file, ...).
    #[error("cannot authenticate to the Kubernetes API server: {message}")]
    Auth {
        /// The underlying cause.
        message: String,
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
    #[error("{action} {object}: unexpected response: {message}")]
    Decode {
        /// What was attempted.
        action: Action,
        /// The object.
        object: String,
        /// What was wrong with it.
        message: String,
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
    #[error("{action} {object}: {message}")]
    Client {
        /// What was attempted.
        action: Action,
        /// The object.
        object: String,
        /// The cause.
        message: String,
    },
}

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
pub fn source_chain(err: &(dyn std::error::Error + 'static)) -> String {
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
}
