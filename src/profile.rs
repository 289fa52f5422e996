//! Profiles: platform defaults (`defaults`) and policy (`enforce`) merged into a Task.
//!
//! Built-in profiles are compiled into the binary, so it works from any directory.
//! (Templating, `extends`, `patches`, user profile folders and the renderer settings of
//! SPEC section 3 are the profiles issue; the merge rules here are final.)

use std::sync::{Arc, LazyLock};

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::diagnostic::{Diagnostic, ErrorKind, did_you_mean};
use crate::source::SourceFile;
use crate::spec::parse::parse;

/// Built-in profiles: `(name, YAML)`, sorted by name.
pub const BUILTIN: &[(&str, &str)] = &[("default", include_str!("../profiles/default.yaml"))];

/// Name of the profile of a Task that names none.
pub const DEFAULT: &str = "default";

/// A loaded profile.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    #[serde(skip)]
    pub name: String,
    /// One line for `taskrender profiles list`.
    pub description: String,
    /// Task parameters used where the Task does not set them.
    #[serde(default)]
    pub defaults: Map<String, Value>,
    /// Task parameters that override the Task.
    #[serde(default)]
    pub enforce: Map<String, Value>,
}

/// Built-in profiles, each parsed once per process.
type Loaded = Result<Arc<Profile>, Diagnostic>;

static PARSED: LazyLock<Vec<(&'static str, Loaded)>> = LazyLock::new(|| {
    BUILTIN
        .iter()
        .map(|(name, text)| (*name, parse_profile(name, text).map(Arc::new)))
        .collect()
});

/// Finds the profile `name`.
pub fn load(name: &str) -> Loaded {
    if let Some((_, parsed)) = PARSED.iter().find(|(n, _)| *n == name) {
        return parsed.clone();
    }
    let names = BUILTIN.iter().map(|(n, _)| *n);
    let mut help = format!(
        "available profiles: {}",
        names.clone().collect::<Vec<_>>().join(", ")
    );
    if let Some(s) = did_you_mean(name, names) {
        help = format!("did you mean `{s}`? ({help})");
    }
    Err(Diagnostic::new(ErrorKind::UnknownProfile {
        name: name.to_owned(),
    })
    .with_help(help))
}

fn parse_profile(name: &str, text: &str) -> Result<Profile, Diagnostic> {
    let invalid = |problem: String| {
        Diagnostic::new(ErrorKind::InvalidProfile {
            name: name.to_owned(),
            problem,
        })
    };
    let file = SourceFile::new(format!("profiles/{name}.yaml"), text);
    let docs = parse(&file)?;
    let [doc] = docs.as_slice() else {
        return Err(invalid("a profile is one YAML document".into()));
    };
    let mut profile: Profile =
        serde_json::from_value(doc.value.clone()).map_err(|e| invalid(e.to_string()))?;
    name.clone_into(&mut profile.name);
    Ok(profile)
}

/// List parameters merged item by item on a key instead of replaced.
fn list_key(field: &str) -> Option<&'static str> {
    match field {
        "envs" | "volumes" => Some("name"),
        "node_selector" => Some("key"),
        _ => None,
    }
}

/// Merges `overlay` into `base` by the SPEC's rules: mappings key by key (recursively),
/// `envs` and `volumes` item by item on `name`, `node_selector` on `key` (an overlay item
/// replaces the base item with the same key, in place; new items are appended), every
/// other list and every scalar replaced.
pub fn merge(base: &mut Map<String, Value>, overlay: &Map<String, Value>) {
    for (key, value) in overlay {
        match (base.get_mut(key), value) {
            (Some(Value::Object(b)), Value::Object(o)) => merge(b, o),
            (Some(Value::Array(b)), Value::Array(o)) if list_key(key).is_some() => {
                let id = list_key(key).unwrap_or_default();
                for item in o {
                    match b
                        .iter_mut()
                        .find(|x| x.get(id).is_some() && x.get(id) == item.get(id))
                    {
                        Some(existing) => *existing = item.clone(),
                        None => b.push(item.clone()),
                    }
                }
            }
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

/// `enforce` beats the Task beats `defaults`.
pub fn apply(profile: &Profile, task: &Map<String, Value>) -> Map<String, Value> {
    let mut merged = profile.defaults.clone();
    merge(&mut merged, task);
    merge(&mut merged, &profile.enforce);
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: &Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn builtin_profiles_load() {
        for (name, _) in BUILTIN {
            let p = load(name).unwrap();
            assert!(!p.description.is_empty());
        }
    }

    #[test]
    fn unknown_profile_suggests() {
        let err = load("defualt").unwrap_err();
        assert_eq!(err.kind.code(), "profile::unknown");
        assert_eq!(
            err.help.as_deref(),
            Some("did you mean `default`? (available profiles: default)")
        );
    }

    #[test]
    fn merge_rules() {
        let profile = Profile {
            name: "p".into(),
            description: String::new(),
            defaults: obj(&json!({
                "resources": {"requests": {"cpu": "1", "memory": "1Gi"}},
                "envs": [{"name": "A", "value": "default"}, {"name": "B", "value": "default"}],
                "tolerations": [{"key": "x", "operator": "Exists"}],
                "replicas": 3,
            })),
            enforce: obj(&json!({
                "node_selector": [{"key": "pool", "value": "gpu"}],
                "envs": [{"name": "B", "value": "enforced"}],
            })),
        };
        let task = obj(&json!({
            "resources": {"requests": {"cpu": "2"}},
            "envs": [{"name": "A", "value": "task"}, {"name": "C", "value": "task"}],
            "tolerations": [{"key": "y", "operator": "Exists"}],
            "node_selector": [{"key": "pool", "value": "cpu"}, {"key": "zone", "value": "a"}],
        }));
        let merged = Value::Object(apply(&profile, &task));
        assert_eq!(
            merged,
            json!({
                // mappings merge key by key; the Task beats defaults
                "resources": {"requests": {"cpu": "2", "memory": "1Gi"}},
                // keyed lists merge by key in place; enforce beats the Task
                "envs": [{"name": "A", "value": "task"}, {"name": "B", "value": "enforced"}, {"name": "C", "value": "task"}],
                // other lists are replaced
                "tolerations": [{"key": "y", "operator": "Exists"}],
                // scalars the Task does not set come from defaults
                "replicas": 3,
                "node_selector": [{"key": "pool", "value": "gpu"}, {"key": "zone", "value": "a"}],
            })
        );
    }
}
