//! The injector's error type: every way injection or kube-inject can fail on bad input.

/// Why a pod or workload could not be injected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InjectError {
    /// One or more pod annotations have values the injector rejects (all of them are listed).
    #[error("{}", annotation_messages(.0))]
    InvalidAnnotations(Vec<AnnotationProblem>),
    /// The pod asks for a template the injector configuration does not have.
    #[error("requested template {name:?} not found; have {known}")]
    UnknownTemplate {
        /// The requested template name.
        name: String,
        /// The templates that exist, comma separated.
        known: String,
    },
    /// A custom template body uses Go template actions, which mesh does not evaluate.
    #[error(
        "template {name:?} is a custom Go template; mesh renders the built-in templates natively and applies only static custom templates"
    )]
    UnsupportedTemplate {
        /// The template name.
        name: String,
    },
    /// A custom Go template failed to parse or execute (the message names the template and
    /// the line:column, as Go does).
    #[error("{0}")]
    GoTemplate(#[from] mesh_gotmpl::Error),
    /// A custom template body is not a valid YAML pod overlay.
    #[error("template {name:?}: {message}")]
    InvalidTemplate {
        /// The template name.
        name: String,
        /// What is wrong with it.
        message: String,
    },
    /// The injector values (`istio-sidecar-injector` ConfigMap, key `values`) are invalid.
    #[error("{source_name}: {path}: {message}")]
    InvalidValues {
        /// Where the values came from.
        source_name: String,
        /// The path inside the values.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The mesh config is invalid.
    #[error("{source_name}: {path}: {message}")]
    InvalidMeshConfig {
        /// Where the mesh config came from.
        source_name: String,
        /// The path inside the mesh config.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// An error inside one object of a larger input: `location` says where (a document, a list
    /// item, a pod template).
    #[error("{}{location}: {inner}", source_prefix(.source_name))]
    At {
        /// Where the input came from (empty when only the location is known).
        source_name: String,
        /// Where inside the input: `document 2 (Deployment web)`, `items[1]`, `spec.template`.
        location: String,
        /// The error itself.
        inner: Box<InjectError>,
    },
    /// A field of the pod (or workload) has a value the injector cannot use.
    #[error("{source_name}: {path}: {message}")]
    InvalidInput {
        /// Where the object came from (a file name, `<stdin>`, an admission request).
        source_name: String,
        /// The path inside the object.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// One rejected annotation: its name, its value and why it was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnotationProblem {
    /// The annotation name.
    pub name: String,
    /// The rejected value.
    pub value: String,
    /// Why it was rejected.
    pub reason: String,
}

fn source_prefix(source_name: &str) -> String {
    if source_name.is_empty() {
        String::new()
    } else {
        format!("{source_name}: ")
    }
}

fn annotation_messages(problems: &[AnnotationProblem]) -> String {
    problems
        .iter()
        .map(|p| {
            format!(
                "invalid value '{}' for annotation '{}': {}",
                p.value, p.name, p.reason
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl InjectError {
    /// An [`InjectError::InvalidInput`] for a path in an input object.
    pub fn input(source_name: &str, path: impl Into<String>, message: impl Into<String>) -> Self {
        InjectError::InvalidInput {
            source_name: source_name.to_string(),
            path: path.into(),
            message: message.into(),
        }
    }

    /// An [`InjectError::InvalidInput`] from a `path: message` text (as the normalizer reports).
    pub fn from_path_message(source_name: &str, text: &str) -> Self {
        match text.split_once(": ") {
            Some((path, message)) => InjectError::input(source_name, path, message),
            None => InjectError::input(source_name, text, "invalid value"),
        }
    }

    /// This error located inside a larger input.
    pub fn at(self, source_name: &str, location: impl Into<String>) -> Self {
        InjectError::At {
            source_name: source_name.to_string(),
            location: location.into(),
            inner: Box::new(self),
        }
    }

    /// The same error with the source name of an [`InjectError::InvalidInput`] replaced.
    pub fn with_source(self, source_name: &str) -> Self {
        match self {
            InjectError::InvalidInput { path, message, .. } => InjectError::InvalidInput {
                source_name: source_name.to_string(),
                path,
                message,
            },
            other => other,
        }
    }
}
