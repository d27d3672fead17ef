//! The Kubernetes server version, as read from `/version`, without IO.

use mesh_core::Value;
use std::fmt;

/// A Kubernetes server version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeVersion {
    /// Major version (`1`).
    pub major: u32,
    /// Minor version (`30`); providers' suffixes such as `30+` are dropped.
    pub minor: u32,
    /// The full version string (`v1.30.2-gke.1`).
    pub git_version: String,
}

impl KubeVersion {
    /// Reads the `/version` document: `major`/`minor`, or failing those, `gitVersion`.
    pub fn from_info(info: &Value) -> Option<Self> {
        let text = |k: &str| info.get(k).and_then(Value::as_str).unwrap_or("");
        let git_version = text("gitVersion").to_string();
        let (major, minor) = match (leading_number(text("major")), leading_number(text("minor"))) {
            (Some(major), Some(minor)) => (major, minor),
            _ => {
                let mut parts = git_version.trim_start_matches('v').split('.');
                (
                    leading_number(parts.next()?)?,
                    leading_number(parts.next()?)?,
                )
            }
        };
        Some(KubeVersion {
            major,
            minor,
            git_version,
        })
    }
}

impl fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.git_version.is_empty() {
            write!(f, "{}.{}", self.major, self.minor)
        } else {
            f.write_str(&self.git_version)
        }
    }
}

pub(crate) fn leading_number(s: &str) -> Option<u32> {
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}
