//! `profile diff`: a unified diff of two profiles' resolved YAML.

use similar::TextDiff;

/// The unified diff between two YAML texts, or `None` when they are identical.
pub fn unified_diff(a_name: &str, a: &str, b_name: &str, b: &str) -> Option<String> {
    if a == b {
        return None;
    }
    let diff = TextDiff::from_lines(a, b);
    Some(
        diff.unified_diff()
            .context_radius(3)
            .header(a_name, b_name)
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_is_none_and_different_is_a_unified_diff() {
        assert_eq!(unified_diff("a", "x: 1\n", "b", "x: 1\n"), None);
        let d = unified_diff("a", "x: 1\ny: 2\n", "b", "x: 1\ny: 3\n").unwrap();
        assert!(d.starts_with("--- a\n+++ b\n"), "{d}");
        assert!(d.contains("-y: 2\n+y: 3\n"), "{d}");
    }
}
