//! Kubernetes' name rules that a JSON Schema pattern cannot express well: the parts of a
//! qualified name (label keys, annotation keys, resource names) and label values, as
//! `k8s.io/apimachinery/pkg/util/validation` checks them.

/// Longest name part of a qualified name.
pub(crate) const NAME_MAX: usize = 63;
/// Longest prefix (a DNS-1123 subdomain) of a qualified name.
pub(crate) const PREFIX_MAX: usize = 253;

/// What is wrong with a qualified name (`[prefix/]name`), or `None`. Lengths are checked
/// separately from the format, so [`Problem::TooLong`] can be told apart.
pub(crate) fn qualified_name(key: &str) -> Option<Problem> {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if name.contains('/') {
        return Some(Problem::Format(
            "a label key has at most one `/`, between a DNS prefix and a name".into(),
        ));
    }
    if let Some(prefix) = prefix {
        if prefix.is_empty() {
            return Some(Problem::Format("the prefix before `/` is empty".into()));
        }
        if prefix.len() > PREFIX_MAX {
            return Some(Problem::TooLong(format!(
                "the prefix before `/` has {} characters, at most {PREFIX_MAX} are allowed",
                prefix.len()
            )));
        }
        if !is_dns_subdomain(prefix) {
            return Some(Problem::Format(format!(
                "the prefix `{prefix}` is not a DNS subdomain: lowercase letters, digits, `-` and `.`"
            )));
        }
    }
    if name.is_empty() {
        return Some(Problem::Format("the name part is empty".into()));
    }
    if name.len() > NAME_MAX {
        return Some(Problem::TooLong(format!(
            "the name part{} has {} characters, at most {NAME_MAX} are allowed",
            if prefix.is_some() { " after `/`" } else { "" },
            name.len()
        )));
    }
    if !is_label_text(name) {
        return Some(Problem::Format(
            "the name part has letters, digits, `-`, `_` and `.`, and starts and ends with a letter or digit".into(),
        ));
    }
    None
}

/// What is wrong with a label value, or `None`.
pub(crate) fn label_value(value: &str) -> Option<String> {
    if value.len() > NAME_MAX {
        return Some(format!(
            "a label value has at most {NAME_MAX} characters, this one {}",
            value.len()
        ));
    }
    (!value.is_empty() && !is_label_text(value)).then(|| {
        "a label value has letters, digits, `-`, `_` and `.`, and starts and ends with a letter or digit".into()
    })
}

/// A problem with a qualified name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    /// Well formed, but a part is longer than Kubernetes allows.
    TooLong(String),
    /// Not a qualified name at all.
    Format(String),
}

impl Problem {
    pub(crate) fn text(&self) -> &str {
        match self {
            Problem::TooLong(s) | Problem::Format(s) => s,
        }
    }
}

/// A DNS-1035 label: a DNS-1123 label that starts with a letter (Service names).
pub(crate) fn is_dns1035_label(s: &str) -> bool {
    s.len() <= NAME_MAX && s.starts_with(|c: char| c.is_ascii_lowercase()) && is_dns_label(s)
}

fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn is_dns_subdomain(s: &str) -> bool {
    s.split('.').all(is_dns_label)
}

fn is_label_text(s: &str) -> bool {
    let alnum = |c: char| c.is_ascii_alphanumeric();
    s.starts_with(alnum)
        && s.ends_with(alnum)
        && s.chars().all(|c| alnum(c) || matches!(c, '-' | '_' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualified_names() {
        assert_eq!(qualified_name("app"), None);
        assert_eq!(qualified_name("example.com/App_1.x"), None);
        assert!(matches!(
            qualified_name(&"a".repeat(64)),
            Some(Problem::TooLong(_))
        ));
        assert_eq!(qualified_name(&format!("x.io/{}", "a".repeat(63))), None);
        assert!(matches!(
            qualified_name(&format!("{}/a", "a".repeat(254))),
            Some(Problem::TooLong(_))
        ));
        for bad in ["", "/a", "a/", "A.io/a", "a/b/c", "-a", "a b"] {
            assert!(
                matches!(qualified_name(bad), Some(Problem::Format(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn label_values_and_dns1035() {
        assert_eq!(label_value(""), None);
        assert_eq!(label_value("v1.2_x-y"), None);
        assert!(label_value("-x").is_some());
        assert!(label_value(&"a".repeat(64)).is_some());
        assert!(is_dns1035_label("web-1"));
        assert!(!is_dns1035_label("1web"));
        assert!(!is_dns1035_label("web-"));
    }
}
