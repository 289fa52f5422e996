//! The merge rules, and where every merged value came from.
//!
//! Mappings merge key by key (recursively); `envs` and `volumes` item by item on `name`,
//! `node_selector` on `key` (an overlay item replaces the base item with the same key, in
//! place; new items are appended); every other list and every scalar is replaced. A Task is
//! merged as `defaults`, then the Task, then `enforce`, and [`Provenance`] records for each
//! merged value which of the three it came from and where it stood there, so that rules
//! run on the merged Task can point at the line the user (or the profile) wrote.

use std::collections::BTreeMap;
use std::ops::Bound;

use serde_json::{Map, Value};

use crate::yaml::Pointer;

/// List parameters merged item by item on a key instead of replaced.
pub(crate) fn list_key(field: &str) -> Option<&'static str> {
    match field {
        "envs" | "volumes" => Some("name"),
        "node_selector" => Some("key"),
        _ => None,
    }
}

/// Which layer of a merged Task a value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layer {
    /// The profile's `defaults`.
    Defaults,
    /// The Task itself.
    Task,
    /// The profile's `enforce`.
    Enforce,
}

/// Merged pointer → (layer, pointer in that layer), recorded wherever a layer put a value.
/// A lookup takes the longest recorded prefix, so a value inside a merged list item is
/// found in the item's own layer at the item's own index.
#[derive(Debug, Default, Clone)]
pub(crate) struct Provenance {
    map: BTreeMap<String, (Layer, String)>,
    overridden: Vec<(String, String)>,
}

impl Provenance {
    /// Where the merged value at `pointer` came from.
    pub(crate) fn origin(&self, pointer: &str) -> (Layer, String) {
        let mut prefix = pointer;
        loop {
            if let Some((layer, at)) = self.map.get(prefix) {
                return (*layer, format!("{at}{}", &pointer[prefix.len()..]));
            }
            match prefix.rfind('/') {
                Some(i) => prefix = &prefix[..i],
                // Nothing recorded: the Task's own value, where it stands.
                None => return (Layer::Task, pointer.to_owned()),
            }
        }
    }

    /// `(Task pointer, enforce pointer)` of every value the Task set that `enforce`
    /// replaced with a different one, in merge order.
    pub(crate) fn overridden(&self) -> &[(String, String)] {
        &self.overridden
    }

    /// Before `layer` replaces the merged value `old` at `merged` with `new` (from `at`):
    /// if that is `enforce` overriding the Task, note every leaf where they differ.
    fn note_override(&mut self, layer: Layer, merged: &str, at: &str, old: &Value, new: &Value) {
        if layer != Layer::Enforce {
            return;
        }
        match (old, new) {
            (Value::Object(o), Value::Object(n)) => {
                for (key, nv) in n {
                    if let Some(ov) = o.get(key) {
                        let segment = Pointer::escape(key);
                        self.note_override(
                            layer,
                            &format!("{merged}/{segment}"),
                            &format!("{at}/{segment}"),
                            ov,
                            nv,
                        );
                    }
                }
            }
            (o, n) if o != n => {
                if let (Layer::Task, task_ptr) = self.origin(merged) {
                    self.overridden.push((task_ptr, at.to_owned()));
                }
            }
            _ => {}
        }
    }

    fn record(&mut self, merged: &str, layer: Layer, at: &str) {
        // A value replaced whole: what the earlier layers recorded inside it is gone. The
        // keys below `merged` (`merged/…`) sort among those that start with `merged`, which
        // follow it.
        let gone: Vec<String> = self
            .map
            .range::<str, _>((Bound::Excluded(merged), Bound::Unbounded))
            .map(|(k, _)| k)
            .take_while(|k| k.starts_with(merged))
            .filter(|k| k.as_bytes().get(merged.len()) == Some(&b'/'))
            .cloned()
            .collect();
        for k in gone {
            self.map.remove(&k);
        }
        match self.map.get_mut(merged) {
            Some(entry) => *entry = (layer, at.to_owned()),
            None => {
                self.map.insert(merged.to_owned(), (layer, at.to_owned()));
            }
        }
    }
}

/// A Task with its profile applied, and where each value came from.
#[derive(Debug)]
pub(crate) struct Merged {
    pub(crate) value: Map<String, Value>,
    pub(crate) provenance: Provenance,
}

/// `enforce` beats the Task beats `defaults`.
pub(crate) fn apply(
    defaults: &Map<String, Value>,
    task: &Map<String, Value>,
    enforce: &Map<String, Value>,
) -> Merged {
    let mut value = Map::new();
    let mut provenance = Provenance::default();
    for (layer, overlay) in [
        (Layer::Defaults, defaults),
        (Layer::Task, task),
        (Layer::Enforce, enforce),
    ] {
        merge_into(
            &mut value,
            overlay,
            &mut Some((&mut provenance, layer)),
            &mut String::new(),
            &mut String::new(),
        );
    }
    Merged { value, provenance }
}

/// Merges `overlay` into `base` by the rules above (profile `extends` chains use it too).
pub(crate) fn merge(base: &mut Map<String, Value>, overlay: &Map<String, Value>) {
    merge_into(
        base,
        overlay,
        &mut None,
        &mut String::new(),
        &mut String::new(),
    );
}

fn merge_into(
    base: &mut Map<String, Value>,
    overlay: &Map<String, Value>,
    track: &mut Option<(&mut Provenance, Layer)>,
    merged_ptr: &mut String,
    overlay_ptr: &mut String,
) {
    for (key, value) in overlay {
        let (ml, ol) = (merged_ptr.len(), overlay_ptr.len());
        let segment = Pointer::escape(key);
        merged_ptr.push('/');
        merged_ptr.push_str(&segment);
        overlay_ptr.push('/');
        overlay_ptr.push_str(&segment);
        let id = list_key(key).filter(|_| ol == 0);
        match (base.get_mut(key), value, id) {
            (Some(Value::Object(b)), Value::Object(o), _) => {
                merge_into(b, o, track, merged_ptr, overlay_ptr);
            }
            (Some(Value::Array(b)), Value::Array(o), Some(id)) => {
                for (oi, item) in o.iter().enumerate() {
                    let found = b
                        .iter()
                        .position(|x| x.get(id).is_some() && x.get(id) == item.get(id));
                    let at = if let Some(existing) = found {
                        if let Some((p, layer)) = track {
                            p.note_override(
                                *layer,
                                &format!("{merged_ptr}/{existing}"),
                                &format!("{overlay_ptr}/{oi}"),
                                &b[existing],
                                item,
                            );
                        }
                        b[existing] = item.clone();
                        existing
                    } else {
                        b.push(item.clone());
                        b.len() - 1
                    };
                    if let Some((p, layer)) = track {
                        p.record(
                            &format!("{merged_ptr}/{at}"),
                            *layer,
                            &format!("{overlay_ptr}/{oi}"),
                        );
                    }
                }
            }
            (old, _, _) => {
                if let (Some((p, layer)), Some(old)) = (&mut *track, old) {
                    p.note_override(*layer, merged_ptr, overlay_ptr, old, value);
                }
                base.insert(key.clone(), value.clone());
                if let Some((p, layer)) = track {
                    p.record(merged_ptr, *layer, overlay_ptr);
                }
            }
        }
        merged_ptr.truncate(ml);
        overlay_ptr.truncate(ol);
    }
}

/// Null, `{}` or `[]`: a value that says nothing (serializers leave such fields out).
pub(crate) fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// Merges a patch into a Kubernetes object: mappings key by key, lists of named items
/// (containers, env, volumes, ports…) item by item on `name`, every other list and every
/// scalar replaced.
pub(crate) fn merge_patch(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                match t.get_mut(k) {
                    Some(existing) => merge_patch(existing, v),
                    None => {
                        t.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (Value::Array(t), Value::Array(p))
            if p.iter()
                .chain(t.iter())
                .all(|i| i.get("name").is_some_and(Value::is_string)) =>
        {
            for item in p {
                match t.iter_mut().find(|x| x.get("name") == item.get("name")) {
                    Some(existing) => merge_patch(existing, item),
                    None => t.push(item.clone()),
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: &Value) -> Map<String, Value> {
        v.as_object().expect("an object").clone()
    }

    #[test]
    fn a_value_replaced_whole_forgets_what_was_recorded_inside_it() {
        let mut p = Provenance::default();
        // `/a-x` and `/a.b` sort between `/a` and `/a/…` (`-` and `.` come before `/`).
        for at in [
            "/a/b", "/a-x", "/a/b/c", "/a.b", "/a/bc", "/a0", "/ab", "/a",
        ] {
            p.record(at, Layer::Defaults, at);
        }
        p.record("/a", Layer::Task, "/a");
        let recorded: Vec<&str> = p.map.keys().map(String::as_str).collect();
        assert_eq!(recorded, ["/a", "/a-x", "/a.b", "/a0", "/ab"]);
        assert_eq!(p.origin("/a/b/c"), (Layer::Task, "/a/b/c".to_owned()));
    }

    #[test]
    fn provenance_follows_items_to_their_layer() {
        let defaults = obj(
            &json!({"envs": [{"name": "A", "value": "d"}, {"name": "B", "value": "d"}],
                                   "resources": {"requests": {"cpu": "1"}}}),
        );
        let task = obj(
            &json!({"envs": [{"name": "C", "value": "t"}, {"name": "A", "value": "t"}],
                               "resources": {"limits": {"cpu": "2"}}}),
        );
        let enforce = obj(&json!({"envs": [{"name": "B", "value": "e"}]}));
        let m = apply(&defaults, &task, &enforce);
        assert_eq!(
            Value::Object(m.value.clone()),
            json!({"envs": [{"name": "A", "value": "t"}, {"name": "B", "value": "e"}, {"name": "C", "value": "t"}],
                   "resources": {"requests": {"cpu": "1"}, "limits": {"cpu": "2"}}})
        );
        let p = &m.provenance;
        assert_eq!(
            p.origin("/envs/0/value"),
            (Layer::Task, "/envs/1/value".into())
        );
        assert_eq!(p.origin("/envs/1"), (Layer::Enforce, "/envs/0".into()));
        assert_eq!(
            p.origin("/envs/2/name"),
            (Layer::Task, "/envs/0/name".into())
        );
        assert_eq!(
            p.origin("/resources/requests/cpu"),
            (Layer::Defaults, "/resources/requests/cpu".into())
        );
        assert_eq!(
            p.origin("/resources/limits/cpu"),
            (Layer::Task, "/resources/limits/cpu".into())
        );
        assert_eq!(p.origin("/name"), (Layer::Task, "/name".into()));
        // the Task never set B: enforce overrides the defaults, not the Task
        assert!(p.overridden().is_empty());
    }

    #[test]
    fn enforce_over_the_task_is_noted_leaf_by_leaf() {
        let task = obj(
            &json!({"envs": [{"name": "A", "value": "t"}], "replicas": 2,
                               "resources": {"limits": {"cpu": "2", "memory": "1Gi"}}}),
        );
        let enforce = obj(
            &json!({"envs": [{"name": "A", "value": "e"}], "replicas": 2,
                                  "resources": {"limits": {"cpu": "1"}}}),
        );
        let m = apply(&Map::new(), &task, &enforce);
        assert_eq!(
            m.provenance.overridden(),
            [
                ("/envs/0/value".to_owned(), "/envs/0/value".to_owned()),
                (
                    "/resources/limits/cpu".to_owned(),
                    "/resources/limits/cpu".to_owned()
                ),
            ]
        );
    }
}
