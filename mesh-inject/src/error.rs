//! The injector's error type: every way injection or kube-inject can fail on bad input.

use crate::quantity::QuantityError;
use mesh_core::{Value, YamlError};

/// Why a pod or workload could not be injected.
#[derive(Debug, thiserror::Error)]
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
    /// A custom template body (or what a Go template rendered) is not a valid YAML pod overlay.
    #[error("template {name:?}: {problem}")]
    InvalidTemplate {
        /// The template name.
        name: String,
        /// What is wrong with it.
        #[source]
        problem: TemplateProblem,
    },
    /// The injector values (`istio-sidecar-injector` ConfigMap, key `values`) are invalid.
    #[error("{source_name}: {path}: {problem}")]
    InvalidValues {
        /// Where the values came from.
        source_name: String,
        /// The path inside the values.
        path: String,
        /// What is wrong.
        #[source]
        problem: InputProblem,
    },
    /// The mesh config is invalid.
    #[error("{source_name}: {path}: {problem}")]
    InvalidMeshConfig {
        /// Where the mesh config came from.
        source_name: String,
        /// The path inside the mesh config.
        path: String,
        /// What is wrong.
        #[source]
        problem: InputProblem,
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
        #[source]
        inner: Box<InjectError>,
    },
    /// A field of the pod (or workload) has a value the injector cannot use.
    #[error("{source_name}: {path}: {problem}")]
    InvalidInput {
        /// Where the object came from (a file name, `<stdin>`, an admission request).
        source_name: String,
        /// The path inside the object.
        path: String,
        /// What is wrong.
        #[source]
        problem: InputProblem,
    },
}

/// What is wrong with a custom template's body or with what a Go template rendered.
#[derive(Debug, thiserror::Error)]
pub enum TemplateProblem {
    /// The body is not YAML.
    #[error("{}", parser_message(.0))]
    Yaml(#[source] YamlError),
    /// The body is YAML but not a map.
    #[error("expected a pod overlay (a map with metadata and spec)")]
    NotAnOverlay,
    /// A Go template rendered text that is not YAML.
    #[error("rendered output is not YAML: {}", parser_message(.0))]
    RenderedNotYaml(#[source] YamlError),
    /// A Go template rendered YAML that is not a map.
    #[error("the rendered template is not a pod overlay (a map with metadata and spec)")]
    RenderedNotAnOverlay,
}

/// What is wrong with one value of an input (a pod, a workload, the values, the mesh config).
#[derive(Debug, thiserror::Error)]
pub enum InputProblem {
    /// The text is not YAML (or JSON).
    #[error("{}", parser_message(.0))]
    Yaml(#[source] YamlError),
    /// A map was expected; the value is of another kind (`a list`, `a string`, ...).
    #[error("expected a map, found {0}")]
    ExpectedMap(&'static str),
    /// A string was expected (in a map of labels or annotations); the value is shown as JSON.
    #[error("expected a string, found {0}")]
    ExpectedString(Value),
    /// A resource quantity is not a Kubernetes quantity.
    #[error("{0}")]
    Quantity(#[source] QuantityError),
    /// A quantity of `global.proxy.resources` is not a Kubernetes quantity (the path of the
    /// error names the entry, as Istio's message does).
    #[error("{0}: invalid quantity")]
    ProxyResources(#[source] QuantityError),
    /// The mesh config's `defaultConfig` is not a valid proxy config.
    #[error("{0}")]
    ProxyConfig(#[source] ProxyConfigError),
    /// The value breaks a rule of its field (the text says which).
    #[error("{0}")]
    Rule(String),
}

/// Why a proxy config (the `proxy.istio.io/config` annotation, the mesh's `defaultConfig`)
/// cannot be applied.
#[derive(Debug, thiserror::Error)]
pub enum ProxyConfigError {
    /// The text is not YAML.
    #[error("{}", parser_message(.0))]
    Yaml(#[source] YamlError),
    /// The document is not a map (the kind it is instead).
    #[error("expected a map, found {0}")]
    NotAMap(&'static str),
    /// A field breaks a rule of the proxy config (the text names the field).
    #[error("{0}")]
    Invalid(String),
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

/// What is wrong with the YAML, with line and column, without the source name of a
/// [`YamlError`] (the injector's messages name the source themselves).
pub(crate) fn parser_message(e: &YamlError) -> String {
    e.located_problem()
}

impl InjectError {
    /// An [`InjectError::InvalidInput`] for a path in an input object.
    pub(crate) fn input(source_name: &str, path: impl Into<String>, problem: InputProblem) -> Self {
        InjectError::InvalidInput {
            source_name: source_name.to_string(),
            path: path.into(),
            problem,
        }
    }

    /// An [`InjectError::InvalidInput`] for a bad quantity of a pod (as the normalizer reports).
    pub(crate) fn quantity(source_name: &str, e: crate::normalize::QuantityAt) -> Self {
        InjectError::input(source_name, e.path, InputProblem::Quantity(e.source))
    }

    /// This error located inside a larger input.
    pub(crate) fn at(self, source_name: &str, location: impl Into<String>) -> Self {
        InjectError::At {
            source_name: source_name.to_string(),
            location: location.into(),
            inner: Box::new(self),
        }
    }
}
