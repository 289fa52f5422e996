//! The output YAML of one object, written straight from its `Serialize` implementation:
//! no `serde_json::Value` in between, no second serializer.
//!
//! It writes the same bytes as the reference path (`serde_json::to_value` → [`super::normalize`]
//! → [`super::yaml::to_yaml`], which stays as the fallback and as the oracle of the tests):
//! the output key order (SPEC section 5: `apiVersion`, `kind`, `metadata` first at the top,
//! `name` first in list items, the rest by key), empty maps, lists and nulls left out
//! (`emptyDir: {}` and empty selectors kept), and every scalar styled as serde-saphyr
//! styles it with [`crate::scalar_style`]'s rule. Keys arrive in the serializer's order; a
//! map whose keys are not in output order is put in order when it ends, by moving its
//! entries' bytes.
//!
//! Shapes no rendered object has (a list directly in a list, floats, bytes, enum payloads,
//! keys over 1024 characters) are refused with [`Unsupported`], and the caller falls back to
//! the reference path, so the output never depends on which path wrote it.

use std::fmt::{self, Write as _};

use serde::ser::{self, Impossible, Serialize, Serializer};

/// A value this writer leaves to the reference path.
#[derive(Debug)]
pub(crate) struct Unsupported;

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a shape the direct YAML writer leaves to the reference path")
    }
}

impl std::error::Error for Unsupported {}

impl ser::Error for Unsupported {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        Unsupported
    }
}

/// The YAML document of `object` (`---`, then the object), or `None` when it has a shape
/// this writer leaves to the reference path.
pub(crate) fn to_yaml<T: Serialize + ?Sized>(object: &T) -> Option<String> {
    let mut w = Writer {
        out: String::with_capacity(1024),
        keys: String::new(),
        entries: Vec::new(),
    };
    w.out.push_str("---\n");
    object
        .serialize(Slot {
            w: &mut w,
            at: At::Top,
        })
        .ok()?;
    Some(w.out)
}

/// The output and two stacks shared by the maps being written (one frame per open map).
struct Writer {
    out: String,
    /// The keys of the open maps' entries, back to back.
    keys: String,
    entries: Vec<Entry>,
}

/// One written entry of a map: its key (in `Writer::keys`) and its bytes (in `Writer::out`).
#[derive(Clone, Copy)]
struct Entry {
    key: (usize, usize),
    bytes: (usize, usize),
}

/// Where a value goes.
#[derive(Clone, Copy)]
enum At {
    /// The document's root.
    Top,
    /// After `key:` of a map whose keys are at column `col`; `keep` when the entry stays
    /// even if empty (the first keys, `emptyDir`), `keep_map` when it stays if it is an
    /// empty map (a selector, [`super::SELECTOR_KEYS`]).
    Value {
        col: usize,
        keep: bool,
        keep_map: bool,
    },
    /// A list item whose dash is at column `col` (nothing of it written yet).
    Item { col: usize },
}

/// Which keys come first in a map, by where the map is.
#[derive(Clone, Copy)]
enum Position {
    Top,
    ListItem,
    Field,
}

impl Position {
    fn first_keys(self) -> &'static [&'static str] {
        match self {
            Position::Top => &["apiVersion", "kind", "metadata"],
            Position::ListItem => &["name"],
            Position::Field => &[],
        }
    }
}

/// What a value left in the output.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Written {
    /// Something: the entry stays.
    Value,
    /// Nothing (an empty map or list, a null): the entry is dropped.
    Empty,
}

type Result<T> = std::result::Result<T, Unsupported>;

fn spaces(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

impl Writer {
    /// Writes a scalar whose text needs no block layout, at `at`.
    fn scalar(&mut self, at: At, text: impl FnOnce(&mut String)) -> Result<Written> {
        match at {
            At::Top => return Err(Unsupported),
            At::Value { .. } => self.out.push(' '),
            At::Item { col } => {
                spaces(&mut self.out, col);
                self.out.push_str("- ");
            }
        }
        text(&mut self.out);
        self.out.push('\n');
        Ok(Written::Value)
    }

    fn string(&mut self, at: At, s: &str) -> Result<Written> {
        let body = match at {
            At::Top => return Err(Unsupported),
            At::Value { col, .. } => {
                self.out.push(' ');
                col + 2
            }
            At::Item { col } => {
                spaces(&mut self.out, col);
                self.out.push_str("- ");
                col + 2
            }
        };
        crate::scalar_style::write_value(&mut self.out, s, body);
        Ok(Written::Value)
    }

    /// A null (or unit): left out in a map unless kept; `null` in a list.
    fn null(&mut self, at: At) -> Result<Written> {
        match at {
            At::Value { keep: false, .. } => Ok(Written::Empty),
            _ => self.scalar(at, |o| o.push_str("null")),
        }
    }
}

/// The serializer of one value at one place.
struct Slot<'a> {
    w: &'a mut Writer,
    at: At,
}

impl<'a> Serializer for Slot<'a> {
    type Ok = Written;
    type Error = Unsupported;
    type SerializeSeq = Seq<'a>;
    type SerializeTuple = Impossible<Written, Unsupported>;
    type SerializeTupleStruct = Impossible<Written, Unsupported>;
    type SerializeTupleVariant = Impossible<Written, Unsupported>;
    type SerializeMap = Map<'a>;
    type SerializeStruct = Map<'a>;
    type SerializeStructVariant = Impossible<Written, Unsupported>;

    fn serialize_bool(self, v: bool) -> Result<Written> {
        self.w
            .scalar(self.at, |o| o.push_str(if v { "true" } else { "false" }))
    }
    fn serialize_i8(self, v: i8) -> Result<Written> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<Written> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<Written> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<Written> {
        self.w.scalar(self.at, |o| {
            let _ = write!(o, "{v}");
        })
    }
    fn serialize_u8(self, v: u8) -> Result<Written> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<Written> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<Written> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<Written> {
        self.w.scalar(self.at, |o| {
            let _ = write!(o, "{v}");
        })
    }
    fn serialize_f32(self, _v: f32) -> Result<Written> {
        Err(Unsupported)
    }
    fn serialize_f64(self, _v: f64) -> Result<Written> {
        Err(Unsupported)
    }
    fn serialize_char(self, v: char) -> Result<Written> {
        self.w.string(self.at, v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<Written> {
        self.w.string(self.at, v)
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<Written> {
        Err(Unsupported)
    }
    fn serialize_none(self) -> Result<Written> {
        self.w.null(self.at)
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Written> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Written> {
        self.w.null(self.at)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Written> {
        self.w.null(self.at)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Written> {
        self.w.string(self.at, variant)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Written> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<Written> {
        Err(Unsupported)
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Seq<'a>> {
        let At::Value { col, keep, .. } = self.at else {
            return Err(Unsupported);
        };
        let header = self.w.out.len();
        self.w.out.push('\n');
        Ok(Seq {
            w: self.w,
            col,
            keep,
            header,
            items: 0,
        })
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple> {
        Err(Unsupported)
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        Err(Unsupported)
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(Unsupported)
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Map<'a>> {
        let header = self.w.out.len();
        let (col, dash, position) = match self.at {
            At::Top => (0, None, Position::Top),
            At::Value { col, .. } => {
                self.w.out.push('\n');
                (col + 2, None, Position::Field)
            }
            At::Item { col } => (col + 2, Some(col), Position::ListItem),
        };
        Ok(Map {
            region: self.w.out.len(),
            entries_base: self.w.entries.len(),
            keys_base: self.w.keys.len(),
            w: self.w,
            at: self.at,
            header,
            col,
            dash,
            position,
            key: (0, 0),
            start: 0,
        })
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Map<'a>> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(Unsupported)
    }
}

/// A block list, dashes at the column of its key (kubectl's compact style).
struct Seq<'a> {
    w: &'a mut Writer,
    col: usize,
    keep: bool,
    /// Where the list starts (right after `key:`).
    header: usize,
    items: usize,
}

impl ser::SerializeSeq for Seq<'_> {
    type Ok = Written;
    type Error = Unsupported;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        value.serialize(Slot {
            w: self.w,
            at: At::Item { col: self.col },
        })?;
        self.items += 1;
        Ok(())
    }

    fn end(self) -> Result<Written> {
        if self.items > 0 {
            return Ok(Written::Value);
        }
        self.w.out.truncate(self.header);
        if self.keep {
            self.w.out.push_str(" []\n");
            Ok(Written::Value)
        } else {
            Ok(Written::Empty)
        }
    }
}

/// A block map, keys at `col`; after a list dash (`dash`), its first entry shares the
/// dash's line.
struct Map<'a> {
    w: &'a mut Writer,
    at: At,
    /// Where the map starts (right after `key:`, or where its list item starts).
    header: usize,
    /// Where its entries start.
    region: usize,
    entries_base: usize,
    keys_base: usize,
    col: usize,
    dash: Option<usize>,
    position: Position,
    /// The pending entry: its key (in `Writer::keys`) and where its bytes start.
    key: (usize, usize),
    start: usize,
}

impl Map<'_> {
    /// The line prefix of an entry: the dash for the first entry of a list item's map.
    fn prefix(out: &mut String, col: usize, dash: Option<usize>, first: bool) {
        match dash {
            Some(d) if first => {
                spaces(out, d);
                out.push_str("- ");
            }
            _ => spaces(out, col),
        }
    }

    /// Output order: the position's first keys in their order, then the others by key.
    fn rank(&self, key: &str) -> usize {
        let first = self.position.first_keys();
        first.iter().position(|k| *k == key).unwrap_or(first.len())
    }

    /// Puts the entries in output order when they are not (moving their bytes).
    fn order(&mut self) {
        let entries = &self.w.entries[self.entries_base..];
        let keys = &self.w.keys;
        let key = |e: &Entry| &keys[e.key.0..e.key.1];
        let cmp = |a: &Entry, b: &Entry| {
            self.rank(key(a))
                .cmp(&self.rank(key(b)))
                .then_with(|| key(a).cmp(key(b)))
        };
        if entries
            .windows(2)
            .all(|w| cmp(&w[0], &w[1]) != std::cmp::Ordering::Greater)
        {
            return;
        }
        let mut sorted: Vec<Entry> = entries.to_vec();
        sorted.sort_by(cmp);
        let old = self.w.out[self.region..].to_owned();
        self.w.out.truncate(self.region);
        for (i, e) in sorted.iter().enumerate() {
            let bytes = &old[e.bytes.0 - self.region..e.bytes.1 - self.region];
            Self::prefix(&mut self.w.out, self.col, self.dash, i == 0);
            self.w.out.push_str(&bytes[self.col..]);
        }
    }
}

impl ser::SerializeMap for Map<'_> {
    type Ok = Written;
    type Error = Unsupported;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<()> {
        let from = self.w.keys.len();
        key.serialize(KeyCapture(&mut self.w.keys))?;
        self.key = (from, self.w.keys.len());
        self.start = self.w.out.len();
        let first = self.w.entries.len() == self.entries_base;
        Self::prefix(&mut self.w.out, self.col, self.dash, first);
        crate::scalar_style::write_key(&mut self.w.out, &self.w.keys[from..]).ok_or(Unsupported)?;
        self.w.out.push(':');
        Ok(())
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        let key = &self.w.keys[self.key.0..self.key.1];
        let keep = key == "emptyDir" || self.rank(key) < self.position.first_keys().len();
        let keep_map = super::SELECTOR_KEYS.contains(&key);
        let written = value.serialize(Slot {
            w: self.w,
            at: At::Value {
                col: self.col,
                keep,
                keep_map,
            },
        })?;
        match written {
            Written::Value => self.w.entries.push(Entry {
                key: self.key,
                bytes: (self.start, self.w.out.len()),
            }),
            Written::Empty => {
                self.w.out.truncate(self.start);
                self.w.keys.truncate(self.key.0);
            }
        }
        Ok(())
    }

    fn end(mut self) -> Result<Written> {
        let written = if self.w.entries.len() > self.entries_base {
            self.order();
            Written::Value
        } else {
            self.w.out.truncate(self.header);
            match self.at {
                At::Top => {
                    self.w.out.push_str("{}\n");
                    Written::Value
                }
                At::Value { keep, keep_map, .. } if keep || keep_map => {
                    self.w.out.push_str(" {}\n");
                    Written::Value
                }
                At::Value { .. } => Written::Empty,
                At::Item { col } => {
                    spaces(&mut self.w.out, col);
                    self.w.out.push_str("- {}\n");
                    Written::Value
                }
            }
        };
        self.w.entries.truncate(self.entries_base);
        self.w.keys.truncate(self.keys_base);
        Ok(written)
    }
}

impl ser::SerializeStruct for Map<'_> {
    type Ok = Written;
    type Error = Unsupported;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        ser::SerializeMap::serialize_key(self, key)?;
        ser::SerializeMap::serialize_value(self, value)
    }

    fn end(self) -> Result<Written> {
        ser::SerializeMap::end(self)
    }
}

/// Appends a map key (a string) to the key stack; any other key is unsupported.
struct KeyCapture<'a>(&'a mut String);

impl Serializer for KeyCapture<'_> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = Impossible<(), Unsupported>;
    type SerializeTuple = Impossible<(), Unsupported>;
    type SerializeTupleStruct = Impossible<(), Unsupported>;
    type SerializeTupleVariant = Impossible<(), Unsupported>;
    type SerializeMap = Impossible<(), Unsupported>;
    type SerializeStruct = Impossible<(), Unsupported>;
    type SerializeStructVariant = Impossible<(), Unsupported>;

    fn serialize_str(self, v: &str) -> Result<()> {
        self.0.push_str(v);
        Ok(())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_bool(self, _v: bool) -> Result<()> {
        Err(Unsupported)
    }
    fn serialize_i8(self, _v: i8) -> Result<()> {
        Err(Unsupported)
    }
    fn serialize_i16(self, _v: i16) -> Result<()> {
        Err(Unsupported)
    }
    fn serialize_i32(self, _v: i32) -> Result<()> {
        Err(Unsupported)
    }
    fn serialize_i64(self, _v: i64) -> Result<()> {
        Err(Unsupported)
    }
    fn serialize_u8(self, _v: u8) -> Result<()> {
        Err(Unsupported)
    }
    fn serialize_u16(self, _v: u16) -> Result<()> {
        Err(Unsupported)
    }
    fn serialize_u32(self, _v: u32) -> Result<()> {
        Err(Unsupported)
    }
    fn serialize_u64(self, _v: u64) -> Result<()> {
        Err(Unsupported)
    }
    fn serialize_f32(self, _v: f32) -> Result<()> {
        Err(Unsupported)
    }
    fn serialize_f64(self, _v: f64) -> Result<()> {
        Err(Unsupported)
    }
    fn serialize_char(self, _v: char) -> Result<()> {
        Err(Unsupported)
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<()> {
        Err(Unsupported)
    }
    fn serialize_none(self) -> Result<()> {
        Err(Unsupported)
    }
    fn serialize_some<T: ?Sized + Serialize>(self, _value: &T) -> Result<()> {
        Err(Unsupported)
    }
    fn serialize_unit(self) -> Result<()> {
        Err(Unsupported)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<()> {
        Err(Unsupported)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
    ) -> Result<()> {
        Err(Unsupported)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<()> {
        Err(Unsupported)
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(Unsupported)
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple> {
        Err(Unsupported)
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        Err(Unsupported)
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(Unsupported)
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap> {
        Err(Unsupported)
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct> {
        Err(Unsupported)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(Unsupported)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use proptest::prelude::*;
    use serde_json::{Map, Value, json};

    use super::to_yaml;
    use crate::render::{Position, normalize, yaml};

    /// The reference path: a JSON value, normalised, through serde-saphyr.
    pub(crate) fn reference(value: &Value) -> String {
        yaml::to_yaml(&normalize(value.clone(), Position::Top))
    }

    /// Keys that have a place in the output order, and others.
    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(
                &[
                    "name",
                    "apiVersion",
                    "kind",
                    "metadata",
                    "emptyDir",
                    "labelSelector",
                    "namespaceSelector",
                    "image",
                    "env",
                    "a",
                    "B",
                    "_b",
                    "value",
                    "app.kubernetes.io/name",
                ][..]
            )
            .prop_map(str::to_owned),
            crate::scalar_style::text(),
        ]
    }

    fn scalar() -> impl Strategy<Value = Value> {
        prop_oneof![
            6 => crate::scalar_style::text().prop_map(Value::String),
            1 => any::<i64>().prop_map(Value::from),
            1 => any::<u64>().prop_map(Value::from),
            1 => any::<bool>().prop_map(Value::from),
            1 => Just(Value::Null),
            1 => Just(json!({})),
            1 => Just(json!([])),
        ]
    }

    /// Random trees with every shape: maps in lists in maps, empty collections, nulls.
    fn tree() -> impl Strategy<Value = Value> {
        scalar().prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec((key(), inner.clone()), 0..6)
                    .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
                prop::collection::vec(inner, 0..4).prop_map(Value::Array),
            ]
        })
    }

    pub(crate) fn document() -> impl Strategy<Value = Value> {
        prop::collection::vec((key(), tree()), 1..8)
            .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>()))
    }

    /// Whether a tree has a shape the direct writer leaves to the reference path.
    fn unsupported(value: &Value, in_list: bool) -> bool {
        match value {
            Value::Array(items) => in_list || items.iter().any(|v| unsupported(v, true)),
            Value::Object(map) => map.values().any(|v| unsupported(v, false)),
            Value::Number(n) => n.is_f64(),
            _ => false,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

        #[test]
        fn writes_the_bytes_of_the_reference_path(doc in document()) {
            let expected = reference(&doc);
            match to_yaml(&doc) {
                Some(text) => prop_assert_eq!(text, expected, "for {}", doc),
                None => prop_assert!(unsupported(&doc, false), "refused {}", doc),
            }
        }
    }

    #[test]
    fn orders_prunes_and_keeps_like_normalize() {
        let doc = json!({
            "spec": {"z": 1, "containers": [{"image": "i", "name": "c", "env": [], "args": ["a", "\techo\nx"]}],
                     "volumes": [{"emptyDir": {}, "name": "v"}, {}, {"name": null}], "empty": {"a": {"b": []}}},
            "kind": "Job", "data": {}, "metadata": {}, "apiVersion": "batch/v1",
            "script": "set -e\n  indented\n\n", "yes": "no", "n": "0755", "t": "12:30",
        });
        let text = to_yaml(&doc).expect("supported");
        assert_eq!(text, reference(&doc));
        assert_eq!(
            text,
            "---\napiVersion: batch/v1\nkind: Job\nmetadata: {}\n\"n\": \"0755\"\nscript: |+\n  set -e\n    indented\n\nspec:\n  containers:\n  - name: c\n    args:\n    - a\n    - \"\\techo\\nx\"\n    image: i\n  volumes:\n  - name: v\n    emptyDir: {}\n  - {}\n  - name: null\n  z: 1\nt: \"12:30\"\n\"yes\": \"no\"\n"
        );
    }

    #[test]
    fn keeps_empty_selectors_like_normalize() {
        let doc = json!({"spec": {"term": {"labelSelector": {}, "namespaceSelector": {"matchExpressions": []}, "topologyKey": "k"},
                                  "other": {"labelSelector": null, "namespaceSelector": [], "selector": {}}}});
        let text = to_yaml(&doc).expect("supported");
        assert_eq!(text, reference(&doc));
        assert_eq!(
            text,
            "---\nspec:\n  term:\n    labelSelector: {}\n    namespaceSelector: {}\n    topologyKey: k\n"
        );
    }

    #[test]
    fn refuses_what_it_leaves_to_the_reference_path() {
        assert_eq!(to_yaml(&json!({"a": [[1]]})), None);
        assert_eq!(to_yaml(&json!({"a": 1.5})), None);
        assert_eq!(to_yaml(&json!({"k".repeat(1100): 1})), None);
        assert_eq!(to_yaml(&json!([1])), None);
    }
}
