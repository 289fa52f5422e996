//! Profile patches: merged into a rendered object, then checked by a typed round trip.
//!
//! `k8s-openapi`'s deserializers ignore fields they do not know, so a misspelt patch field
//! (`backofLimit`) would vanish without a word. Every patched object is therefore decoded
//! into its type and encoded again; any field of the patch that did not survive is an error
//! pointing at that field in the rendered profile.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::diagnostic::{Diagnostic, ErrorKind, did_you_mean};
use crate::profile::Profile;
use crate::profile::merge::{is_empty, merge_patch};
use crate::yaml::Pointer;

/// Why a patch does not fit its object.
#[derive(Debug)]
pub(crate) enum Problem {
    /// The object type has no such field: the JSON pointer within the patch.
    /// A patch path the type does not have, and the closest field the object has there.
    Dropped(String, Option<String>),
    /// A value of the wrong type: the JSON pointer of the field, and serde's message.
    Invalid(String, String),
}

/// Merges `patch` into `object` and checks the result against the type `T`.
pub(crate) fn apply<T: Serialize + DeserializeOwned>(
    object: &mut Value,
    patch: &Value,
) -> Result<(), Problem> {
    merge_patch(object, patch);
    let typed: T = serde_path_to_error::deserialize(object.clone()).map_err(|e| {
        let mut pointer = String::new();
        for seg in e.path() {
            pointer.push('/');
            pointer.push_str(&Pointer::escape(&seg.to_string()));
        }
        Problem::Invalid(pointer, e.into_inner().to_string())
    })?;
    let round_trip = serde_json::to_value(&typed).expect("Kubernetes objects serialize to JSON");
    match dropped(patch, &round_trip, &mut String::new()) {
        Some(pointer) => {
            // A near miss of a field the object has (`backofLimit` → `backoffLimit`).
            let (parent, key) = pointer.rsplit_once('/').unwrap_or(("", &pointer));
            let key = key.replace("~1", "/").replace("~0", "~");
            let suggestion = round_trip
                .pointer(parent)
                .and_then(Value::as_object)
                .and_then(|m| did_you_mean(&key, m.keys().map(String::as_str)))
                .map(str::to_owned);
            Err(Problem::Dropped(pointer, suggestion))
        }
        None => Ok(()),
    }
}

/// The first path of `patch` (a JSON pointer) that `object` does not have.
fn dropped(patch: &Value, object: &Value, pointer: &mut String) -> Option<String> {
    match patch {
        Value::Object(map) => {
            for (key, value) in map {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&Pointer::escape(key));
                match object.get(key) {
                    // Empty values and nulls are legitimately left out by the serializer.
                    None if !is_empty(value) => return Some(pointer.clone()),
                    None => {}
                    Some(inner) => {
                        if let Some(p) = dropped(value, inner, pointer) {
                            return Some(p);
                        }
                    }
                }
                pointer.truncate(len);
            }
            None
        }
        Value::Array(items) => {
            let Value::Array(objects) = object else {
                return None;
            };
            for (i, item) in items.iter().enumerate() {
                // Named items were merged by name; others replaced the list in order.
                let target = match item.get("name") {
                    Some(name) => objects.iter().find(|o| o.get("name") == Some(name)),
                    None => objects.get(i),
                };
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                if let Some(p) = target.and_then(|t| dropped(item, t, pointer)) {
                    return Some(p);
                }
                pointer.truncate(len);
            }
            None
        }
        _ => None,
    }
}

/// The diagnostic for a patch problem, pointing into the rendered profile.
pub(crate) fn diagnostic(profile: &Profile, kind: &str, problem: Problem) -> Diagnostic {
    match problem {
        Problem::Dropped(pointer, suggestion) => {
            let field = Pointer::dotted(&pointer);
            let d = Diagnostic::new(ErrorKind::DroppedField {
                kind: kind.to_owned(),
                field,
            });
            let d = match profile.locate(&format!("/patches/{kind}{pointer}")) {
                Some((file, span)) => d.at(file, span, "not a field of this object"),
                None => d,
            };
            d.with_help(match suggestion {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!(
                    "check the spelling against `kubectl explain {}`",
                    kind.to_lowercase()
                ),
            })
        }
        Problem::Invalid(pointer, message) => {
            let field = Pointer::dotted(&pointer);
            let problem = if field.is_empty() {
                message
            } else {
                format!("`{field}`: {message}")
            };
            let d = Diagnostic::new(ErrorKind::InvalidPatch {
                kind: kind.to_owned(),
                problem,
            });
            // The deepest part of the path the profile itself wrote.
            let mut at = format!("/patches/{kind}{pointer}");
            loop {
                if let Some((file, span)) = profile.locate(&at) {
                    break d.at(file, span, "does not fit this field");
                }
                match at.rfind('/') {
                    Some(i) if i > "/patches".len() => at.truncate(i),
                    _ => break d,
                }
            }
        }
    }
}
