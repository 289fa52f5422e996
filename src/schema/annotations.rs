//! taskrender's own schema keywords, read in one place:
//! - `x-actions`: the actions a parameter belongs to (explain, the per-action rules, help);
//! - `x-expected`: a pattern phrased for humans ("a DNS-1123 label: …");
//! - `x-format`: a machine-readable name of the format a pattern checks, which picks the
//!   fix a diagnostic offers (never the wording of `x-expected`).

use serde_json::Value;

/// The formats whose errors get a specific fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// A DNS-1123 label (names, namespaces).
    DnsLabel,
    /// An OCI image reference.
    ImageRef,
}

impl Format {
    fn parse(name: &str) -> Option<Self> {
        match name {
            "dns-label" => Some(Self::DnsLabel),
            "image-ref" => Some(Self::ImageRef),
            _ => None,
        }
    }
}

/// The actions a parameter's schema names, if it is restricted to some.
pub(crate) fn actions(node: &Value) -> Option<Vec<&str>> {
    node.get("x-actions")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
}

/// `x-expected` of the subschema at `ptr`, or of the schema one or two levels up (the
/// array or map around an item).
pub(crate) fn expected<'a>(schema: &'a Value, ptr: &str) -> Option<&'a str> {
    nearest(schema, ptr, "x-expected").and_then(Value::as_str)
}

/// `x-format` of the subschema at `ptr`, found like [`expected`].
pub(crate) fn format(schema: &Value, ptr: &str) -> Option<Format> {
    nearest(schema, ptr, "x-format")
        .and_then(Value::as_str)
        .and_then(Format::parse)
}

fn nearest<'a>(schema: &'a Value, ptr: &str, keyword: &str) -> Option<&'a Value> {
    let mut ptr = ptr;
    for _ in 0..3 {
        if let Some(v) = schema.pointer(ptr).and_then(|s| s.get(keyword)) {
            return Some(v);
        }
        ptr = parent(ptr);
    }
    None
}

/// The pointer one level up (`/a/b` → `/a`).
pub(crate) fn parent(ptr: &str) -> &str {
    ptr.rfind('/').map_or("", |i| &ptr[..i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn annotations_are_found_on_the_node_or_around_it() {
        let schema = json!({"properties": {"name": {"pattern": "x", "x-format": "dns-label", "x-expected": "a label",
                                                    "x-actions": ["job", "serve"]}},
                            "items": {"x-expected": "outer", "items": {"pattern": "y"}}});
        assert_eq!(format(&schema, "/properties/name"), Some(Format::DnsLabel));
        assert_eq!(expected(&schema, "/properties/name"), Some("a label"));
        assert_eq!(expected(&schema, "/items/items"), Some("outer"));
        assert_eq!(format(&schema, "/items/items"), None);
        assert_eq!(
            actions(&schema["properties"]["name"]),
            Some(vec!["job", "serve"])
        );
        assert_eq!(parent("/a/b"), "/a");
    }
}
