//! JSON pointers (RFC 6901), the addresses spans are indexed by, as `jsonschema` reports
//! `instance_path`. Every escape and unescape of a segment happens here.

use std::borrow::Cow;

/// Functions on pointer text (`/volumes/0/spec/size`).
pub(crate) struct Pointer;

impl Pointer {
    /// Escapes one segment (`~` → `~0`, `/` → `~1`).
    pub(crate) fn escape(segment: &str) -> Cow<'_, str> {
        if segment.contains(['~', '/']) {
            segment.replace('~', "~0").replace('/', "~1").into()
        } else {
            segment.into()
        }
    }

    /// `pointer` with one more segment.
    pub(crate) fn join(pointer: &str, segment: &str) -> String {
        format!("{pointer}/{}", Self::escape(segment))
    }

    /// The segments, unescaped.
    pub(crate) fn segments(pointer: &str) -> impl Iterator<Item = Cow<'_, str>> {
        pointer.split('/').skip(1).map(|s| {
            if s.contains('~') {
                s.replace("~1", "/").replace("~0", "~").into()
            } else {
                s.into()
            }
        })
    }

    /// The last segment, unescaped (empty for the root).
    pub(crate) fn last(pointer: &str) -> Cow<'_, str> {
        Self::segments(pointer).last().unwrap_or_default()
    }

    /// The field as a user names it: `/volumes/0/spec/size` → `volumes[0].spec.size`.
    pub(crate) fn field(pointer: &str) -> String {
        let mut out = String::new();
        for seg in Self::segments(pointer) {
            if seg.parse::<usize>().is_ok() {
                out.push('[');
                out.push_str(&seg);
                out.push(']');
            } else {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&seg);
            }
        }
        out
    }

    /// The field as a path of Kubernetes object keys: `/spec/containers/0/env` →
    /// `spec.containers.0.env`.
    pub(crate) fn dotted(pointer: &str) -> String {
        Self::segments(pointer).collect::<Vec<_>>().join(".")
    }
}

#[cfg(test)]
mod tests {
    use super::Pointer;

    #[test]
    fn escapes_round_trip() {
        let p = Pointer::join("/labels", "example.com/a~b");
        assert_eq!(p, "/labels/example.com~1a~0b");
        assert_eq!(Pointer::last(&p), "example.com/a~b");
        assert_eq!(Pointer::field(&p), "labels.example.com/a~b");
        assert_eq!(
            Pointer::field("/volumes/0/spec/size"),
            "volumes[0].spec.size"
        );
        assert_eq!(
            Pointer::dotted("/spec/containers/0/env"),
            "spec.containers.0.env"
        );
        assert_eq!(Pointer::field(""), "");
    }
}
