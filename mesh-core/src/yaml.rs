//! YAML in and out of the value tree, with the output conventions of Kubernetes tooling.

use crate::Value;

pub use crate::yaml_error::YamlError;

/// The longest YAML text mesh reads (16 MiB): many times the largest real input (a rendered
/// install is under 1 MiB), small enough that parsing it cannot exhaust memory.
pub const MAX_YAML_BYTES: usize = 16 * 1024 * 1024;

/// The deepest nesting of lists and maps mesh reads: 64 levels, the parser's own default. Real
/// inputs nest under 40 levels (a CRD's schema is the deepest); a debug build needs about
/// 1.5 MiB of stack to read and print 64 levels, so the limit keeps the recursive readers and
/// printers of the value tree well inside a main thread's 8 MiB.
pub const MAX_YAML_DEPTH: usize = 64;

/// The most values (maps, lists and scalars) mesh reads from one text: a million, well above
/// what [`MAX_YAML_BYTES`] of ordinary Kubernetes YAML holds.
pub const MAX_YAML_NODES: usize = 1_000_000;

/// The parser's options: mesh's limits, plain (snippet-free) parser errors.
fn options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = MAX_YAML_DEPTH;
    budget.flow_nesting_limit = MAX_YAML_DEPTH;
    budget.max_nodes = MAX_YAML_NODES;
    // Every node is at least one event; containers add an end event.
    budget.max_events = 2 * MAX_YAML_NODES;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.with_snippet = false;
    options
}

/// Parses one YAML document into a value tree. An empty document is `null`.
pub fn from_yaml_str(text: &str, source_name: &str) -> Result<Value, YamlError> {
    if text.len() > MAX_YAML_BYTES {
        return Err(YamlError::too_big(source_name, text.len()));
    }
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_saphyr::from_str_with_options::<Value>(text, options())
        .map_err(|e| YamlError::parser(source_name, e))
}

/// Parses a stream of `---`-separated YAML documents; empty documents are dropped.
pub fn from_yaml_stream(text: &str, source_name: &str) -> Result<Vec<Value>, YamlError> {
    if text.len() > MAX_YAML_BYTES {
        return Err(YamlError::too_big(source_name, text.len()));
    }
    let docs: Vec<Value> = serde_saphyr::from_multiple_with_options(text, options())
        .map_err(|e| YamlError::parser(source_name, e))?;
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}

/// Prints a value as a block-style YAML document with sorted keys (no leading `---`), laid out
/// and quoted as Kubernetes tooling prints (see [`crate::yaml_emit`]).
pub fn to_yaml_string(value: &Value) -> String {
    crate::yaml_emit::emit(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    fn err(text: &str) -> String {
        from_yaml_stream(text, "my.yaml").unwrap_err().to_string()
    }

    #[test]
    fn errors_name_the_source_and_keep_the_parser_error() {
        let err = from_yaml_str("a: [1", "x.yaml").unwrap_err();
        assert_eq!(err.position(), Some((1, 4)));
        assert_eq!(
            err.to_string(),
            r#"x.yaml:1:4: unclosed "[" (close the list with "]")"#
        );
        assert_eq!(
            err.located_problem(),
            r#"line 1, column 4: unclosed "[" (close the list with "]")"#
        );
        let parser = err.source().map(ToString::to_string).unwrap_or_default();
        assert_eq!(parser, "unclosed bracket '[' at line 1, column 4");
        let err = from_yaml_stream("a: 1\n---\nb: [", "<stdin>").unwrap_err();
        assert_eq!(err.source_name, "<stdin>");
        assert!(err.to_string().starts_with("<stdin>:3:4: "), "{err}");
    }

    #[test]
    fn each_problem_is_one_line_in_our_words() {
        for (text, want) in [
            (
                "spec:\n  x: 1\nprofile: a\nprofile: b\n",
                r#"my.yaml:4:1: duplicate key "profile" (a key may appear once in a map)"#,
            ),
            (
                "spec:\n\tprofile: demo\n",
                "my.yaml:2:2: tab character in the indentation (YAML indents with spaces only)",
            ),
            (
                "a: {b: 1\n",
                r#"my.yaml:1:4: unclosed "{" (close the map with "}")"#,
            ),
            (
                "a: \"abc\nb: 1\n",
                "my.yaml:1:4: unclosed quoted string (end it with the quote it starts with)",
            ),
            (
                "spec:\n    profile: demo\n  hub: x\n",
                "my.yaml:3:3: bad indentation: this line does not line up with the keys of its \
                 map (indent the keys of one map by the same number of spaces)",
            ),
            (
                "a: b: c\n",
                r#"my.yaml:1:5: unexpected ":" (check the indentation of this line and the one before it, and quote a value that holds ": ")"#,
            ),
            (
                "a:\n  - 1\n  b: 2\n",
                r#"my.yaml:3:3: a map key among list items (start each list item with "- ", or indent the key under an item)"#,
            ),
            (
                "a: *x\n",
                r#"my.yaml:1:4: alias to an anchor that is not defined (define "&name" before using "*name")"#,
            ),
        ] {
            assert_eq!(err(text), want);
        }
    }

    #[test]
    fn depth_is_limited_on_a_small_stack() {
        // Readers and printers of the value tree recurse: at the limit they must fit in half a
        // main thread's stack (debug build); one level more is an error.
        let worker = std::thread::Builder::new().stack_size(4 * 1024 * 1024);
        let handle = worker
            .spawn(|| {
                let nested = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
                let at_limit = from_yaml_str(&nested(MAX_YAML_DEPTH), "f").unwrap();
                let printed = to_yaml_string(&at_limit);
                drop(at_limit);
                let mut block = String::new();
                for i in 0..MAX_YAML_DEPTH {
                    block.push_str(&format!("{}k:\n", " ".repeat(i)));
                }
                let block_at_limit = from_yaml_str(&block, "f").unwrap();
                let too_deep = [
                    err(&nested(MAX_YAML_DEPTH + 1)),
                    err(&format!("{block}{}k:\n", " ".repeat(MAX_YAML_DEPTH))),
                ];
                (printed.len(), block_at_limit.is_object(), too_deep)
            })
            .unwrap();
        let (printed, block_ok, too_deep) = handle.join().unwrap();
        assert!(printed > MAX_YAML_DEPTH && block_ok);
        for e in too_deep {
            assert!(
                e.ends_with(": nested too deep (mesh reads at most 64 levels of lists and maps)"),
                "{e}"
            );
        }
    }

    #[test]
    fn size_is_limited() {
        let big = "#".repeat(MAX_YAML_BYTES + 1);
        assert_eq!(
            from_yaml_str(&big, "big.yaml").unwrap_err().to_string(),
            "big.yaml: too big: 16.1 MiB (mesh reads YAML of at most 16 MiB; split the input)"
        );
    }
}
