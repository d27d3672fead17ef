//! "Did you mean" suggestions: the closest known name to a misspelt one.

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions), ASCII-case
/// insensitive, so `replicacount` is one step from `replicaCount` only if it differs otherwise.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().map(|c| c.to_ascii_lowercase()).collect();
    let b: Vec<char> = b.chars().map(|c| c.to_ascii_lowercase()).collect();
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[n][m]
}

/// The candidate closest to `name`, if it is close enough to be a likely typo: at most a third
/// of the name's length in edits (at least one), or equal ignoring case.
pub fn closest<'a, I>(name: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("replicaCount", "replicaCount"), 0);
        assert_eq!(edit_distance("replicaCuont", "replicaCount"), 1);
        assert_eq!(edit_distance("hub", "HUB"), 0);
        assert_eq!(edit_distance("", "ab"), 2);
    }

    #[test]
    fn suggests_only_close_names() {
        let known = [
            "profile",
            "hub",
            "tag",
            "revision",
            "meshConfig",
            "components",
            "values",
        ];
        assert_eq!(closest("componets", known), Some("components"));
        assert_eq!(closest("revison", known), Some("revision"));
        assert_eq!(closest("meshconfig", known), Some("meshConfig"));
        assert_eq!(closest("hbu", known), Some("hub"));
        assert_eq!(closest("xyz", known), None);
        assert_eq!(closest("somethingElse", known), None);
    }
}
