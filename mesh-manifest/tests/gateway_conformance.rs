//! Every reference manifest case: the gateway, CNI and ztunnel objects rendered from the case's
//! arguments equal istioctl's, object for object.

mod gateway_support;

use gateway_support::*;

#[test]
fn gateway_cni_ztunnel_objects_match_every_reference_case() {
    let Some(dir) = reference_dir() else { return };
    let mut failures = Vec::new();
    let (mut equal, mut total) = (0, 0);
    for case in case_names(&dir) {
        let case_dir = dir.join(&case);
        let components = match case_components(&case_dir) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("SKIP {case}: the resolver rejects the case: {e}");
                continue;
            }
        };
        let got = render_mine(&components);
        let expected = expected_mine(&case_dir);
        let result = compare(&expected, &got);
        equal += result.equal;
        total += result.expected;
        let verdict = if result.problems.is_empty() {
            "PASS"
        } else {
            "FAIL"
        };
        eprintln!("{verdict} {case} {}/{}", result.equal, result.expected);
        if !result.problems.is_empty() {
            failures.push(format!("{case}:\n  {}", result.problems.join("\n  ")));
        }
    }
    eprintln!("objects: {equal}/{total} equal");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
