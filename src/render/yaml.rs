//! The last step of render: an object (keys in output order) → its YAML document.

use serde_json::Value;

/// YAML of one object: `---`, block style, two-space indent with lists flush under their
/// key (kubectl's style), and every string that a YAML 1.1 reader would take for
/// something else (`yes`, `on`, `0755`, `1e3`, `12:30`) quoted.
pub(crate) fn to_yaml(value: &Value) -> String {
    let body = serde_saphyr::to_string_with_options(
        &crate::scalar_style::Styled(value),
        crate::scalar_style::options(),
    )
    .expect("JSON values serialize to YAML");
    let mut out = String::with_capacity(body.len() + 4);
    out.push_str("---\n");
    out.push_str(&body);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}
