//! Kubernetes label-selector semantics: `matchLabels` and `matchExpressions` evaluated against a label set.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use std::collections::BTreeMap;
use std::fmt;

/// A label set (namespace or pod labels).
pub type Labels = BTreeMap<String, String>;

/// How one requirement compares a label with its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// `matchLabels` entry: the label is present and equals the single value.
    Equals,
    /// The label is present and its value is one of the values.
    In,
    /// The label is absent, or present with a value that is none of the values.
    NotIn,
    /// The label is present, whatever its value.
    Exists,
    /// The label is absent.
    DoesNotExist,
}

/// A selector that cannot be evaluated (Kubernetes rejects these when it converts the selector).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    /// The operator is not one of In, NotIn, Exists, DoesNotExist.
    #[error("matchExpressions[{index}] (key {key:?}): unknown operator {operator:?}")]
    UnknownOperator {
        /// Position in `matchExpressions`.
        index: usize,
        /// The requirement's key.
        key: String,
        /// The operator as written.
        operator: String,
    },
    /// In or NotIn without any value.
    #[error(
        "matchExpressions[{index}] (key {key:?}): operator {operator} needs at least one value"
    )]
    MissingValues {
        /// Position in `matchExpressions`.
        index: usize,
        /// The requirement's key.
        key: String,
        /// The operator as written.
        operator: String,
    },
    /// Exists or DoesNotExist with values.
    #[error("matchExpressions[{index}] (key {key:?}): operator {operator} takes no values")]
    UnexpectedValues {
        /// Position in `matchExpressions`.
        index: usize,
        /// The requirement's key.
        key: String,
        /// The operator as written.
        operator: String,
    },
}

/// One condition on one label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// The label key.
    pub key: String,
    /// The comparison.
    pub operator: Operator,
    /// The values compared with (empty for Exists/DoesNotExist).
    pub values: Vec<String>,
}

impl Requirement {
    /// Whether the label set satisfies this requirement.
    pub fn matches(&self, labels: &Labels) -> bool {
        let found = labels.get(&self.key);
        match self.operator {
            Operator::Equals | Operator::In => found.is_some_and(|v| self.values.contains(v)),
            Operator::NotIn => found.is_none_or(|v| !self.values.contains(v)),
            Operator::Exists => found.is_some(),
            Operator::DoesNotExist => found.is_none(),
        }
    }

    /// Explains why the label set fails this requirement: what is needed and what was found.
    pub fn explain_unmet(&self, labels: &Labels) -> String {
        let found = match labels.get(&self.key) {
            Some(v) => format!("found {}={v}", self.key),
            None => format!("{} is absent", self.key),
        };
        format!("needs {self}, {found}")
    }
}

impl fmt::Display for Requirement {
    // The notation of `kubectl get -l`, so users can paste it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let values = self.values.join(",");
        match self.operator {
            Operator::Equals => write!(f, "{}={values}", self.key),
            Operator::In => write!(f, "{} in ({values})", self.key),
            Operator::NotIn => write!(f, "{} notin ({values})", self.key),
            Operator::Exists => write!(f, "{}", self.key),
            Operator::DoesNotExist => write!(f, "!{}", self.key),
        }
    }
}

/// A validated label selector: all requirements must hold.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selector {
    /// The requirements, `matchLabels` first (sorted by key), then `matchExpressions` in order.
    pub requirements: Vec<Requirement>,
}

impl Selector {
    /// Converts a Kubernetes `LabelSelector`, rejecting what Kubernetes rejects.
    pub fn from_label_selector(selector: &LabelSelector) -> Result<Selector, SelectorError> {
        let mut requirements: Vec<Requirement> = selector
            .match_labels
            .iter()
            .flatten()
            .map(|(k, v)| Requirement {
                key: k.clone(),
                operator: Operator::Equals,
                values: vec![v.clone()],
            })
            .collect();
        for (index, expr) in selector.match_expressions.iter().flatten().enumerate() {
            let values = expr.values.clone().unwrap_or_default();
            let err_ctx = || (index, expr.key.clone(), expr.operator.clone());
            let operator = match expr.operator.as_str() {
                "In" => Operator::In,
                "NotIn" => Operator::NotIn,
                "Exists" => Operator::Exists,
                "DoesNotExist" => Operator::DoesNotExist,
                _ => {
                    let (index, key, operator) = err_ctx();
                    return Err(SelectorError::UnknownOperator {
                        index,
                        key,
                        operator,
                    });
                }
            };
            let wants_values = matches!(operator, Operator::In | Operator::NotIn);
            if wants_values && values.is_empty() {
                let (index, key, operator) = err_ctx();
                return Err(SelectorError::MissingValues {
                    index,
                    key,
                    operator,
                });
            }
            if !wants_values && !values.is_empty() {
                let (index, key, operator) = err_ctx();
                return Err(SelectorError::UnexpectedValues {
                    index,
                    key,
                    operator,
                });
            }
            requirements.push(Requirement {
                key: expr.key.clone(),
                operator,
                values,
            });
        }
        Ok(Selector { requirements })
    }

    /// True for a selector without requirements (it matches every label set).
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// Whether every requirement holds.
    pub fn matches(&self, labels: &Labels) -> bool {
        self.first_unmet(labels).is_none()
    }

    /// The first requirement the label set fails, if any.
    pub fn first_unmet(&self, labels: &Labels) -> Option<&Requirement> {
        self.requirements.iter().find(|r| !r.matches(labels))
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.requirements.is_empty() {
            return f.write_str("(everything)");
        }
        let parts: Vec<String> = self.requirements.iter().map(|r| r.to_string()).collect();
        f.write_str(&parts.join(", "))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn expr(key: &str, op: &str, values: &[&str]) -> LabelSelectorRequirement {
        LabelSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: if values.is_empty() {
                None
            } else {
                Some(values.iter().map(|v| v.to_string()).collect())
            },
        }
    }

    fn selector(exprs: Vec<LabelSelectorRequirement>) -> Selector {
        Selector::from_label_selector(&LabelSelector {
            match_expressions: Some(exprs),
            match_labels: None,
        })
        .unwrap()
    }

    #[test]
    fn operators_follow_kubernetes_semantics() {
        let in_ = selector(vec![expr("a", "In", &["x", "y"])]);
        assert!(in_.matches(&labels(&[("a", "y")])));
        assert!(!in_.matches(&labels(&[("a", "z")])));
        assert!(!in_.matches(&labels(&[])));

        let not_in = selector(vec![expr("a", "NotIn", &["x"])]);
        assert!(
            not_in.matches(&labels(&[])),
            "NotIn matches an absent label"
        );
        assert!(not_in.matches(&labels(&[("a", "z")])));
        assert!(!not_in.matches(&labels(&[("a", "x")])));

        let exists = selector(vec![expr("a", "Exists", &[])]);
        assert!(exists.matches(&labels(&[("a", "")])));
        assert!(!exists.matches(&labels(&[])));

        let absent = selector(vec![expr("a", "DoesNotExist", &[])]);
        assert!(absent.matches(&labels(&[("b", "x")])));
        assert!(!absent.matches(&labels(&[("a", "")])));
    }

    #[test]
    fn match_labels_and_expressions_are_anded() {
        let sel = Selector::from_label_selector(&LabelSelector {
            match_labels: Some([("app".to_string(), "web".to_string())].into()),
            match_expressions: Some(vec![expr("tier", "DoesNotExist", &[])]),
        })
        .unwrap();
        assert!(sel.matches(&labels(&[("app", "web")])));
        assert!(!sel.matches(&labels(&[("app", "web"), ("tier", "1")])));
        assert!(!sel.matches(&labels(&[("app", "db")])));
        assert_eq!(sel.to_string(), "app=web, !tier");
        let unmet = sel.first_unmet(&labels(&[("app", "db")])).unwrap();
        assert_eq!(
            unmet.explain_unmet(&labels(&[("app", "db")])),
            "needs app=web, found app=db"
        );
    }

    #[test]
    fn empty_selector_matches_everything() {
        let sel = Selector::from_label_selector(&LabelSelector::default()).unwrap();
        assert!(sel.is_empty());
        assert!(sel.matches(&labels(&[("a", "b")])));
        assert_eq!(sel.to_string(), "(everything)");
    }

    #[test]
    fn invalid_selectors_are_errors() {
        let bad = |e| {
            Selector::from_label_selector(&LabelSelector {
                match_expressions: Some(vec![e]),
                match_labels: None,
            })
            .unwrap_err()
        };
        assert!(matches!(
            bad(expr("a", "Equals", &["x"])),
            SelectorError::UnknownOperator { .. }
        ));
        assert!(matches!(
            bad(expr("a", "In", &[])),
            SelectorError::MissingValues { .. }
        ));
        assert!(matches!(
            bad(expr("a", "Exists", &["x"])),
            SelectorError::UnexpectedValues { .. }
        ));
        assert!(bad(expr("a", "Foo", &[])).to_string().contains("Foo"));
    }
}
