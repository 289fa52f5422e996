//! An upper bound of the size of an object's YAML, computed from its `Serialize`
//! implementation without writing it: `check` keeps no output, so it writes an object's
//! YAML (to measure it against the API server's limit, [`super::MAX_OBJECT_BYTES`]) only
//! when this bound reaches the limit.
//!
//! The bound: `---\n`, plus, for every key, scalar, map and list, `(n + 1) × (2d + 16)`
//! bytes, where `n` is the text's length in bytes (32 for a number, 0 for a map, a list or a
//! null) and `d` the number of maps and lists around it. Why it holds for the YAML
//! [`super::direct`] and [`super::yaml`] write:
//! - a line at nesting `d` starts at a column under `2d` (each map or list indents by 2 at
//!   most; a list's dash sits in its indent), and a key's line adds `: ` and a newline;
//! - a scalar's text takes at most 4 bytes per byte (a quote doubled, a `\x01`-style
//!   escape), plus its quotes or a block header (`|2+`) of under 16 bytes; no line is folded;
//! - a block scalar's every line break adds a newline and an indent under `2d + 2` bytes, at
//!   most one per byte of the text.
//!
//! Every such cost is at most `(n + 1) × (2d + 16)`: for the ~2 KiB objects of a usual
//! Task the bound is some tens of KiB, far below 3 MiB. Entries left out of the output (an
//! empty map, a null) only make the bound looser. Tests check it against the YAML written
//! for random documents and for every golden output.

use std::fmt;

use serde::ser::{self, Serialize, Serializer};

/// An upper bound of the length of the YAML document of `object`, `---` included.
pub(crate) fn yaml_size<T: Serialize + ?Sized>(object: &T) -> usize {
    let mut total = "---\n".len();
    // Infallible: every shape has a bound.
    let _ = object.serialize(Bound {
        total: &mut total,
        depth: 0,
    });
    total
}

/// The most bytes a number's text takes (`-9223372036854775808`, `1.7976931348623157e308`).
const NUMBER: usize = 32;

/// Adds the bound of one key, scalar, map or list of `bytes` bytes at nesting `depth`.
fn add(total: &mut usize, bytes: usize, depth: usize) {
    let cost = bytes
        .saturating_add(1)
        .saturating_mul(depth.saturating_mul(2).saturating_add(16));
    *total = total.saturating_add(cost);
}

/// Never produced: bounding cannot fail.
#[derive(Debug)]
struct Never;

impl fmt::Display for Never {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("never produced")
    }
}

impl std::error::Error for Never {}

impl ser::Error for Never {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        Never
    }
}

type Result = std::result::Result<(), Never>;

/// A value at nesting `depth`.
struct Bound<'a> {
    total: &'a mut usize,
    depth: usize,
}

impl<'a> Bound<'a> {
    #[allow(clippy::unnecessary_wraps)] // the result of every `serialize_*` that calls it
    fn scalar(self, bytes: usize) -> Result {
        add(self.total, bytes, self.depth);
        Ok(())
    }

    /// A map or list: its own line, then its entries one level deeper.
    fn open(self) -> Compound<'a> {
        add(self.total, 0, self.depth);
        Compound {
            total: self.total,
            depth: self.depth + 1,
        }
    }
}

/// The entries of a map or list, at nesting `depth`.
struct Compound<'a> {
    total: &'a mut usize,
    depth: usize,
}

impl Compound<'_> {
    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        value.serialize(Bound {
            total: self.total,
            depth: self.depth,
        })
    }
}

impl<'a> Serializer for Bound<'a> {
    type Ok = ();
    type Error = Never;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn serialize_bool(self, _v: bool) -> Result {
        self.scalar("false".len())
    }
    fn serialize_i8(self, _v: i8) -> Result {
        self.scalar(NUMBER)
    }
    fn serialize_i16(self, _v: i16) -> Result {
        self.scalar(NUMBER)
    }
    fn serialize_i32(self, _v: i32) -> Result {
        self.scalar(NUMBER)
    }
    fn serialize_i64(self, _v: i64) -> Result {
        self.scalar(NUMBER)
    }
    fn serialize_i128(self, _v: i128) -> Result {
        self.scalar(2 * NUMBER)
    }
    fn serialize_u8(self, _v: u8) -> Result {
        self.scalar(NUMBER)
    }
    fn serialize_u16(self, _v: u16) -> Result {
        self.scalar(NUMBER)
    }
    fn serialize_u32(self, _v: u32) -> Result {
        self.scalar(NUMBER)
    }
    fn serialize_u64(self, _v: u64) -> Result {
        self.scalar(NUMBER)
    }
    fn serialize_u128(self, _v: u128) -> Result {
        self.scalar(2 * NUMBER)
    }
    fn serialize_f32(self, _v: f32) -> Result {
        self.scalar(NUMBER)
    }
    fn serialize_f64(self, _v: f64) -> Result {
        self.scalar(NUMBER)
    }
    fn serialize_char(self, v: char) -> Result {
        self.scalar(v.len_utf8())
    }
    fn serialize_str(self, v: &str) -> Result {
        self.scalar(v.len())
    }
    /// Bytes are written as a list of numbers.
    fn serialize_bytes(self, v: &[u8]) -> Result {
        let list = self.open();
        for _ in v {
            add(list.total, NUMBER, list.depth);
        }
        Ok(())
    }
    fn serialize_none(self) -> Result {
        self.scalar("null".len())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result {
        self.scalar("null".len())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result {
        self.scalar("null".len())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result {
        self.scalar(variant.len())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result {
        value.serialize(self)
    }
    /// Written as a map of one entry, `variant: value`.
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result {
        let mut map = self.open();
        add(map.total, variant.len(), map.depth);
        map.value(value)
    }
    fn serialize_seq(self, _len: Option<usize>) -> std::result::Result<Compound<'a>, Never> {
        Ok(self.open())
    }
    fn serialize_tuple(self, _len: usize) -> std::result::Result<Compound<'a>, Never> {
        Ok(self.open())
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> std::result::Result<Compound<'a>, Never> {
        Ok(self.open())
    }
    /// Written as a map of one entry whose value is the list.
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> std::result::Result<Compound<'a>, Never> {
        let map = self.open();
        add(map.total, variant.len(), map.depth);
        Ok(Bound {
            total: map.total,
            depth: map.depth,
        }
        .open())
    }
    fn serialize_map(self, _len: Option<usize>) -> std::result::Result<Compound<'a>, Never> {
        Ok(self.open())
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> std::result::Result<Compound<'a>, Never> {
        Ok(self.open())
    }
    /// Written as a map of one entry whose value is the struct's map.
    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> std::result::Result<Compound<'a>, Never> {
        self.serialize_tuple_variant(name, index, variant, len)
    }
}

/// The element-wise parts of a map or list: each element is a value one level deeper.
macro_rules! elements {
    ($($trait:ident::$method:ident),*) => {$(
        impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = Never;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
                self.value(value)
            }
            fn end(self) -> Result {
                Ok(())
            }
        }
    )*};
}

elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

/// The keyed parts: a field's name is a key, a line of its own.
macro_rules! fields {
    ($($trait:ident),*) => {$(
        impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = Never;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result {
                add(self.total, key.len(), self.depth);
                self.value(value)
            }
            fn end(self) -> Result {
                Ok(())
            }
        }
    )*};
}

fields!(SerializeStruct, SerializeStructVariant);

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Never;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result {
        self.value(key)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.value(value)
    }
    fn end(self) -> Result {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::yaml_size;
    use crate::render::direct::tests::{document, reference};

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

        /// Random documents of every shape and scalar class (quoted, escaped, block).
        #[test]
        fn bounds_the_yaml_of_random_documents(doc in document()) {
            let written = reference(&doc).len();
            prop_assert!(yaml_size(&doc) >= written, "bound {} < {} for {}", yaml_size(&doc), written, doc);
        }
    }

    /// Every object of the golden outputs, read back: the bound of what is written is
    /// under the bound of the object it came from (which may also have empty entries).
    #[test]
    fn bounds_every_golden_output() {
        fn walk(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).expect("readable") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    walk(&path, found);
                } else if path.extension().is_some_and(|e| e == "yaml")
                    && path.components().any(|c| c.as_os_str() == "expected")
                {
                    found.push(path);
                }
            }
        }
        let mut files = Vec::new();
        walk(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
            &mut files,
        );
        let mut objects = 0;
        for path in files {
            let text = std::fs::read_to_string(&path).expect("UTF-8");
            let value: Value = serde_saphyr::from_str(&text).expect("one object per file");
            assert!(
                yaml_size(&value) >= text.len(),
                "{}: bound {} < {}",
                path.display(),
                yaml_size(&value),
                text.len()
            );
            objects += 1;
        }
        assert!(objects > 200, "only {objects} golden objects read");
    }

    /// The worst shapes: deep nesting, a list of one-letter items, escapes, line breaks.
    #[test]
    fn bounds_the_worst_shapes() {
        let mut deep = json!("x");
        for _ in 0..40 {
            deep = json!({"k": [deep]});
        }
        // Many tiny items deep down: each line's indent is what the bound must cover.
        let mut tiny = json!(vec![json!(""); 500]);
        for _ in 0..30 {
            tiny = json!([tiny]);
        }
        let cases = [
            deep,
            json!({"a": tiny}),
            json!({"a": vec!["b"; 1000]}),
            json!({"a": "\u{1}".repeat(1000), "b": "'".repeat(1000), "c": "\n".repeat(1000)}),
            json!({"a": {"b": {"c": {"d": "line\n".repeat(500) + " lead"}}}}),
            json!({"a": "word ".repeat(2000)}),
            json!({"\u{1}\u{2}": "\u{feff}".repeat(300), "yes": "no"}),
        ];
        for doc in cases {
            let written = reference(&doc).len();
            assert!(
                yaml_size(&doc) >= written,
                "bound {} < {written} for {doc}",
                yaml_size(&doc)
            );
        }
    }

    /// Loose, but far below the API server's limit for a usual object.
    #[test]
    fn a_usual_object_is_far_below_the_limit() {
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures/serve/full-pod/expected/serve-full/Deployment.yaml"),
        )
        .expect("golden Deployment");
        let value: Value = serde_saphyr::from_str(&text).expect("one object");
        let bound = yaml_size(&value);
        assert!(
            bound < 40 * text.len() && bound < crate::render::MAX_OBJECT_BYTES / 20,
            "{bound}"
        );
    }
}
