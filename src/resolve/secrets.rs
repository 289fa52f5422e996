//! `secrets` of both kinds: a DNS-1123 name is an existing Secret (`envFrom`); an
//! environment-variable name (`HF_TOKEN`) is a key of the project's secret store (the
//! platform's `proj-secrets-<project>` Secret) and becomes that one variable.

use std::collections::BTreeMap;

use super::Checker;
use crate::diagnostic::ErrorKind;
use crate::plan::SecretKeyEnv;
use crate::task::{SecretEntry, StoreKey, TaskSpec};

/// The platform's prefix of a project's secret store.
pub(crate) const STORE_PREFIX: &str = "proj-secrets-";

/// A Secret name: a DNS-1123 subdomain (anything else that passed the schema is a key).
pub(crate) fn is_secret_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !part.starts_with('-')
                && !part.ends_with('-')
        })
}

/// The store's name for `project`, as the platform derives it: lower case, only
/// `[a-z0-9-]`, at most 62 characters in all.
pub(crate) fn store_name(project: &str) -> String {
    let clean: String = project
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
        .collect();
    let mut name = format!("{STORE_PREFIX}{clean}");
    name.truncate(62);
    name.trim_end_matches('-').to_owned()
}

/// Moves the store keys out of `task.secrets` into variables read from the store.
pub(super) fn split(ck: &mut Checker<'_>, task: &mut TaskSpec) -> Vec<SecretKeyEnv> {
    let mut out = Vec::new();
    let mut names = Vec::new();
    // Each Secret's first index: a repeat would be the same `envFrom` entry twice; and
    // each store key's, a repeat the same variable twice.
    let mut first = BTreeMap::new();
    let mut first_key = BTreeMap::new();
    for (i, entry) in std::mem::take(&mut task.secrets).into_iter().enumerate() {
        let entry = match entry {
            SecretEntry::Name(name) if is_secret_name(&name) => {
                if let Some(j) = first.get(&name) {
                    repeated(ck, Repeat::Secret, &name, *j, i);
                } else {
                    first.insert(name.clone(), i);
                    names.push(SecretEntry::Name(name));
                }
                continue;
            }
            SecretEntry::Name(key) | SecretEntry::Key(StoreKey { key }) => key,
        };
        let store = ck.profile.platform.secret_store.clone().or_else(|| {
            task.project
                .as_deref()
                .map(store_name)
                .filter(|s| s.len() > STORE_PREFIX.len())
        });
        let Some(store) = store else {
            ck.error(
                ErrorKind::NoSecretStore { key: entry.clone() },
                &format!("/secrets/{i}"),
                "a key of the project's secret store",
            )
            .help = Some(format!(
                "set `project:` (the store is then `{STORE_PREFIX}<project>`), or the profile's `platform.secret_store`; to use a Kubernetes Secret instead, give its name (a DNS-1123 subdomain such as `{}`)",
                entry.to_lowercase().replace('_', "-")
            ));
            continue;
        };
        if let Some(j) = first_key.get(&entry) {
            repeated(ck, Repeat::StoreKey, &entry, *j, i);
            continue;
        }
        if let Some(j) = task.envs.iter().position(|e| e.name == entry) {
            let place = ck.place(&format!("/envs/{j}/name"));
            ck.error(
                ErrorKind::Duplicate {
                    what: "env name".into(),
                    value: entry.clone(),
                },
                &format!("/secrets/{i}"),
                "a variable from the secret store",
            )
            .help = Some(format!(
                "`envs` sets `{entry}` too (at {place}): remove one"
            ));
            continue;
        }
        first_key.insert(entry.clone(), i);
        out.push(SecretKeyEnv {
            name: entry.clone(),
            secret: store,
            key: entry,
        });
    }
    task.secrets = names;
    out
}

/// What an item of `secrets` names.
#[derive(Clone, Copy)]
enum Repeat {
    /// A Kubernetes Secret (its `envFrom` entry).
    Secret,
    /// A key of the project's secret store (a variable read from it).
    StoreKey,
}

/// `name` at `secrets[i]` again, first at `secrets[j]`: one error at the repeat, with the
/// first occurrence beside it (or its place, when another file set it).
fn repeated(ck: &mut Checker<'_>, what: Repeat, name: &str, j: usize, i: usize) {
    let (first_file, first_span) = ck.locate(&format!("/secrets/{j}"));
    let first_place = ck.place(&format!("/secrets/{j}"));
    let (kind, noun, label) = match what {
        Repeat::Secret => ("Secret", "the Secret", "the same Secret again"),
        Repeat::StoreKey => (
            "secret-store key",
            "the store key",
            "the same variable again",
        ),
    };
    let help = format!("an earlier item of `secrets` names {noun} `{name}` already: remove one");
    let d = ck.error(
        ErrorKind::Duplicate {
            what: kind.into(),
            value: name.into(),
        },
        &format!("/secrets/{i}"),
        label,
    );
    *d = if d
        .file
        .as_ref()
        .is_some_and(|f| std::sync::Arc::ptr_eq(f, &first_file))
    {
        d.clone().also(first_span, "first here").with_help(help)
    } else {
        d.clone()
            .with_help(format!("{help} (first at {first_place})"))
    };
}
