//! Proxy environment overrides carried in the injection URL path, as istiod reads them:
//! `/inject/cluster/<cluster>/net/<network>` or any `/inject/<key>/<value>/...` pairs.

use std::collections::BTreeMap;

/// URL keys with a fixed environment variable; any other key becomes its upper-cased self.
const KNOWN_KEYS: [(&str, &str); 2] = [
    ("cluster", "ISTIO_META_CLUSTER_ID"),
    ("net", "ISTIO_META_NETWORK"),
];

/// Marker of the older `key=value` form (`/inject/:ENV:net=n1:ENV:cluster=c1`).
const ENV_MARKER: &str = ":ENV:";

/// Values cannot contain `/` in the pair form, so it is written as this token.
const SLASH_TOKEN: &str = "--slash--";

/// The environment variables a request path sets for the injected proxy. `/inject` alone sets
/// none; a key without a value (odd number of segments) is ignored.
pub(crate) fn parse(path: &str) -> BTreeMap<String, String> {
    let path = path.strip_suffix('/').unwrap_or(path);
    let rest = path
        .strip_prefix("/inject/")
        .or_else(|| path.strip_prefix("inject/"));
    let Some(rest) = rest else {
        return BTreeMap::new();
    };
    let pairs = match rest.strip_prefix(ENV_MARKER) {
        Some(marked) => marker_pairs(marked),
        None => segment_pairs(rest),
    };
    pairs
        .into_iter()
        .filter_map(|(key, value)| {
            let name = env_name(&key);
            (!name.is_empty()).then_some((name, value))
        })
        .collect()
}

fn segment_pairs(rest: &str) -> Vec<(String, String)> {
    let segments: Vec<&str> = rest.split('/').collect();
    segments
        .chunks_exact(2)
        .map(|pair| (pair[0].to_string(), pair[1].replace(SLASH_TOKEN, "/")))
        .collect()
}

fn marker_pairs(marked: &str) -> Vec<(String, String)> {
    marked
        .split(ENV_MARKER)
        .filter_map(|item| item.split_once('='))
        .filter(|(key, _)| !key.is_empty())
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

fn env_name(key: &str) -> String {
    KNOWN_KEYS
        .iter()
        .find(|(known, _)| *known == key)
        .map(|(_, env)| (*env).to_string())
        .unwrap_or_else(|| key.to_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn bare_inject_sets_nothing() {
        assert!(parse("/inject").is_empty());
        assert!(parse("/inject/").is_empty());
    }

    #[test]
    fn cluster_and_network_map_to_proxy_metadata() {
        assert_eq!(
            parse("/inject/cluster/c1/net/n1"),
            env(&[
                ("ISTIO_META_CLUSTER_ID", "c1"),
                ("ISTIO_META_NETWORK", "n1")
            ])
        );
        assert_eq!(
            parse("/inject/net/n1/cluster/c1/"),
            env(&[
                ("ISTIO_META_CLUSTER_ID", "c1"),
                ("ISTIO_META_NETWORK", "n1")
            ])
        );
    }

    #[test]
    fn other_keys_are_upper_cased_and_slashes_decoded() {
        assert_eq!(
            parse("/inject/root_page/a--slash--b/dangling"),
            env(&[("ROOT_PAGE", "a/b")])
        );
    }

    #[test]
    fn marker_form_keeps_slashes_and_skips_bad_pairs() {
        assert_eq!(
            parse("/inject/:ENV:net=n1:ENV:page=/x/y:ENV:=bad:ENV:novalue"),
            env(&[("ISTIO_META_NETWORK", "n1"), ("PAGE", "/x/y")])
        );
    }
}
