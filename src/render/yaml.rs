//! The last step of render: an object (keys in output order) → its YAML document.

use serde_json::Value;

/// YAML of one object: `---`, block style, two-space indent with lists flush under their
/// key (kubectl's style), and every string that a YAML 1.1 reader would take for
/// something else (`yes`, `on`, `0755`, `1e3`, `12:30`) quoted.
pub(crate) fn to_yaml(value: &Value) -> String {
    let options = serde_saphyr::ser_options! {
        // Never fold long lines: a folded scalar reads back with different whitespace
        // in some readers, and reviewers should see the value as written.
        folded_wrap_chars: usize::MAX,
        min_fold_chars: usize::MAX,
    };
    let body = serde_saphyr::to_string_with_options(&crate::scalar_style::Styled(value), options)
        .expect("JSON values serialize to YAML");
    let mut out = String::with_capacity(body.len() + 4);
    out.push_str("---\n");
    out.push_str(&body);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}
