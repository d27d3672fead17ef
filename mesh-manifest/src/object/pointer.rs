//! Looking up a field of a value tree by JSON pointer, without allocating.

use mesh_core::Value;

/// [`Value::pointer`] without its two string copies per path segment when no segment has an
/// escape (`~`): the ordering code looks up a few fields of every object many times.
pub(crate) fn pointer_get<'v>(value: &'v Value, pointer: &str) -> Option<&'v Value> {
    if pointer.contains('~') {
        return value.pointer(pointer);
    }
    let rest = match pointer.strip_prefix('/') {
        Some(rest) => rest,
        None if pointer.is_empty() => return Some(value),
        None => return None,
    };
    rest.split('/')
        .try_fold(value, |target, token| match target {
            Value::Object(map) => map.get(token),
            Value::Array(list) => list_index(token).and_then(|i| list.get(i)),
            _ => None,
        })
}

/// A list index as JSON pointers write it: digits, no sign, no leading zero.
fn list_index(token: &str) -> Option<usize> {
    if token.starts_with('+') || (token.starts_with('0') && token.len() != 1) {
        return None;
    }
    token.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pointer_get_agrees_with_value_pointer() {
        let v = json!({"a": {"b/c": 1, "l": [10, {"x": "y"}], "": {"": 2}, "~k": 3}, "0": 4});
        for p in [
            "",
            "/",
            "/a",
            "/a/l/0",
            "/a/l/1/x",
            "/a/l/01",
            "/a/l/+1",
            "/a/l/9",
            "/a/b~1c",
            "/a/~0k",
            "/a//",
            "/0",
            "a",
            "/a/l/1/x/z",
            "/missing/x",
        ] {
            assert_eq!(pointer_get(&v, p), v.pointer(p), "{p:?}");
        }
    }
}
