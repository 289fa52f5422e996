//! The second reader of stage 2's fast path: the spanned tree built straight from the
//! events of `granit-parser`, the YAML parser serde-saphyr itself reads through (same
//! version, same parser options), without serde's visitor, alias recorder or budget
//! bookkeeping. It reads what [`super::subset`] (the first, for the plain subset Task files
//! are written in) declines; both feed the same [`Builder`].
//!
//! It takes only the inputs it is sure about and **declines** (returns `None`) on anything
//! else: a syntax error, an anchor, alias or tag, a mapping or sequence used as a key, a
//! key that is not a string, `<<`, a duplicate key, a radix number (`0x…`, `0o…`, `0b…`),
//! an infinite or out-of-range number, nesting near [`MAX_DEPTH`], a `%YAML` directive, or
//! a size anywhere near a budget. [`super::parse`] then runs the reference path
//! (serde-saphyr), which produces the value or the diagnostic. So every diagnostic comes
//! from one place and stays byte-identical, and the fast path must only agree with the
//! reference on values and spans, which `tests` checks on fixtures and random YAML.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

use granit_parser::{Event, Parser, ScalarStyle, Span, StrInput};
use serde_json::{Map, Number, Value};

use super::{Document, MAX_DEPTH, NodeSpan, Pointer, SpanBuilder};
use crate::text::SourceFile;

/// Far below the reference path's budgets (1,000,000 events and nodes, 10,000 documents,
/// 64 MiB of scalars), so that the fast path never accepts what the reference would reject.
const MAX_EVENTS: usize = 200_000;
const MAX_DOCUMENTS: usize = 1_000;
const MAX_SCALAR_BYTES: usize = 16 << 20;

/// An open collection.
enum Frame {
    Seq {
        items: Vec<Value>,
        /// Length of the pointer of the collection's parent, to restore at its end.
        parent_pointer: usize,
    },
    Map {
        map: Map<String, Value>,
        parent_pointer: usize,
        /// The key read, waiting for its value: the name and the key's span.
        key: Option<(String, Range<usize>)>,
    },
}

/// Parses every document of `file`, or `None` when the reference path must decide.
pub(super) fn parse(file: &Arc<SourceFile>) -> Option<Vec<Document>> {
    // serde-saphyr's parser options for our budget (`Budget::parser_options`).
    let mut options = granit_parser::Options::default();
    options.simple_key_max_lookahead = 1024;
    options.flow_nesting_limit = MAX_DEPTH;
    options.block_nesting_limit = options.block_nesting_limit.max(MAX_DEPTH + 1);
    options.emit_comments = false;
    let text: &str = &file.text;
    let mut tree = Builder::new(file);
    for item in Parser::with_options(StrInput::new(text), options) {
        let (event, span) = item.ok()?;
        match event {
            Event::StreamStart | Event::StreamEnd => {}
            Event::DocumentStart(_, version) => tree.document_start(version.is_some())?,
            Event::DocumentEnd => tree.document_end()?,
            Event::Scalar(value, style, anchor, tag) => {
                if anchor != 0 || tag.is_some() {
                    return None;
                }
                tree.scalar(value, style == ScalarStyle::Plain, byte_range(text, &span))?;
            }
            Event::SequenceStart(_, anchor, ref tag) | Event::MappingStart(_, anchor, ref tag) => {
                if anchor != 0 || tag.is_some() {
                    return None;
                }
                let map = matches!(event, Event::MappingStart(..));
                tree.start(map, byte_range(text, &span))?;
            }
            Event::SequenceEnd | Event::MappingEnd => tree.end()?,
            // Aliases, and anything this parser version may add.
            _ => return None,
        }
    }
    tree.finish()
}

/// The spanned tree of a file's documents, built node by node in document order by either
/// reader of the fast path: [`parse`] (granit-parser's events) or [`super::subset`]. Every
/// method returns `None` where the reference path must decide: a duplicate key, a key
/// that is not a string, a collection as a key, nesting near [`MAX_DEPTH`], a `%YAML`
/// directive, or a size anywhere near a budget.
pub(super) struct Builder<'f> {
    file: &'f Arc<SourceFile>,
    documents: Vec<Document>,
    stack: Vec<Frame>,
    root: Option<Value>,
    spans: SpanBuilder,
    /// The JSON pointer of the node being read.
    pointer: String,
    scalar_bytes: usize,
    /// Every document counts, the empty ones too (`---` alone): the reference's limit does.
    starts: usize,
    events: usize,
}

impl<'f> Builder<'f> {
    pub(super) fn new(file: &'f Arc<SourceFile>) -> Self {
        Self {
            file,
            documents: Vec::new(),
            stack: Vec::new(),
            root: None,
            spans: SpanBuilder::default(),
            pointer: String::new(),
            scalar_bytes: 0,
            starts: 0,
            events: 0,
        }
    }

    /// Counts one event against [`MAX_EVENTS`].
    fn count(&mut self) -> Option<()> {
        self.events += 1;
        (self.events <= MAX_EVENTS).then_some(())
    }

    /// A document begins; `versioned` when it has a `%YAML` directive.
    pub(super) fn document_start(&mut self, versioned: bool) -> Option<()> {
        self.count()?;
        self.starts += 1;
        if versioned || self.starts > MAX_DOCUMENTS {
            return None;
        }
        self.root = None;
        self.spans = SpanBuilder::default();
        self.pointer.clear();
        Some(())
    }

    /// A document ends; an empty (null) one is skipped.
    pub(super) fn document_end(&mut self) -> Option<()> {
        self.count()?;
        match self.root.take() {
            Some(Value::Null) | None => {}
            Some(value) => self.documents.push(Document {
                file: Arc::clone(self.file),
                value,
                spans: std::mem::take(&mut self.spans).build(),
            }),
        }
        self.spans = SpanBuilder::default();
        Some(())
    }

    /// A scalar at `range`, a mapping's key or a value; `plain` when written unquoted
    /// (then resolved under the core schema).
    pub(super) fn scalar(
        &mut self,
        value: Cow<'_, str>,
        plain: bool,
        range: Range<usize>,
    ) -> Option<()> {
        self.count()?;
        self.scalar_bytes += value.len();
        if self.scalar_bytes > MAX_SCALAR_BYTES {
            return None;
        }
        if let Some(Frame::Map { key, .. }) = self.stack.last_mut()
            && key.is_none()
        {
            // A duplicate is found when its value arrives (`add`): one lookup, not two.
            *key = Some((key_name(value.into_owned(), plain)?, range));
            return Some(());
        }
        let value = if plain {
            self::plain(&value)?
        } else {
            Value::String(value.into_owned())
        };
        let (len, key) = open_child(&self.stack, &mut self.pointer);
        self.spans
            .push(&self.pointer, NodeSpan { key, value: range });
        self.pointer.truncate(len);
        add(&mut self.stack, &mut self.root, value)
    }

    /// A mapping (`map`) or a sequence begins at `range`.
    pub(super) fn start(&mut self, map: bool, range: Range<usize>) -> Option<()> {
        self.count()?;
        if self.stack.len() + 2 >= MAX_DEPTH {
            return None;
        }
        if matches!(self.stack.last(), Some(Frame::Map { key: None, .. })) {
            return None; // a collection as a key
        }
        let (parent_pointer, key) = open_child(&self.stack, &mut self.pointer);
        self.spans
            .push(&self.pointer, NodeSpan { key, value: range });
        self.stack.push(if map {
            Frame::Map {
                map: Map::new(),
                parent_pointer,
                key: None,
            }
        } else {
            Frame::Seq {
                items: Vec::new(),
                parent_pointer,
            }
        });
        Some(())
    }

    /// The innermost open collection ends.
    pub(super) fn end(&mut self) -> Option<()> {
        self.count()?;
        let (value, parent_pointer) = match self.stack.pop()? {
            Frame::Seq {
                items,
                parent_pointer,
            } => (Value::Array(items), parent_pointer),
            Frame::Map {
                map,
                parent_pointer,
                key,
            } => {
                if key.is_some() {
                    return None;
                }
                (Value::Object(map), parent_pointer)
            }
        };
        self.pointer.truncate(parent_pointer);
        add(&mut self.stack, &mut self.root, value)
    }

    /// The documents read, or `None` when a collection is still open or there is none.
    pub(super) fn finish(self) -> Option<Vec<Document>> {
        if !self.stack.is_empty() || self.documents.is_empty() {
            return None;
        }
        Some(self.documents)
    }
}

/// Extends `pointer` with the segment of the node about to be read in the innermost open
/// collection; returns the previous length and the node's key span, if it is a map value.
fn open_child(stack: &[Frame], pointer: &mut String) -> (usize, Option<Range<usize>>) {
    let len = pointer.len();
    match stack.last() {
        None => (len, None),
        Some(Frame::Seq { items, .. }) => {
            pointer.push('/');
            push_index(pointer, items.len());
            (len, None)
        }
        Some(Frame::Map { key, .. }) => {
            let (name, span) = key
                .as_ref()
                .map_or(("", None), |(n, s)| (n.as_str(), Some(s.clone())));
            pointer.push('/');
            pointer.push_str(&Pointer::escape(name));
            (len, span)
        }
    }
}

/// Appends `n` in decimal (without `format!`'s machinery: a pointer per list item).
fn push_index(pointer: &mut String, n: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut n = n;
    loop {
        at -= 1;
        digits[at] = b"0123456789"[n % 10];
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // ASCII digits only.
    pointer.extend(digits[at..].iter().map(|&d| char::from(d)));
}

/// Adds a finished node to the innermost open collection, or makes it the document's root;
/// `None` when its key is a duplicate.
fn add(stack: &mut [Frame], root: &mut Option<Value>, value: Value) -> Option<()> {
    match stack.last_mut() {
        None => *root = Some(value),
        Some(Frame::Seq { items, .. }) => items.push(value),
        Some(Frame::Map { map, key, .. }) => {
            if let Some((name, _)) = key.take()
                && map.insert(name, value).is_some()
            {
                return None;
            }
        }
    }
    Some(())
}

/// A key the fast path takes: a string that is not `<<` and, if plain, does not look like
/// a number, a boolean or null (those are not strings, or are for the reference to judge).
fn key_name(name: String, is_plain: bool) -> Option<String> {
    if name == "<<" {
        return None;
    }
    if is_plain {
        let unsigned = name.strip_prefix(['+', '-']).unwrap_or(&name);
        if unsigned.is_empty()
            || unsigned.as_bytes()[0].is_ascii_digit()
            || unsigned.starts_with('.')
            || !matches!(plain(&name), Some(Value::String(_)))
        {
            return None;
        }
    }
    Some(name)
}

/// A plain scalar under the YAML 1.2 core schema as the reference path resolves it
/// (serde-saphyr's `deserialize_any` with strict booleans, leading-zero and underscored
/// numbers as strings), or `None` for the spellings the fast path leaves to it.
fn plain(s: &str) -> Option<Value> {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        _ => {}
    }
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let bytes = unsigned.as_bytes();
    // Only a digit or a dot can start a number (Rust's float parser also reads `inf` and
    // `nan`, but the reference then keeps them as strings).
    if !matches!(bytes.first(), Some(b'0'..=b'9' | b'.')) {
        return Some(Value::String(s.to_owned()));
    }
    let string = || Some(Value::String(s.to_owned()));
    // Spellings the reference keeps as strings before trying numbers.
    if matches!(bytes, [b'0', b'X' | b'O' | b'B', ..])
        || (unsigned.len() > 1 && bytes[0] == b'0' && bytes.iter().all(u8::is_ascii_digit))
        || s.contains('_')
    {
        return string();
    }
    if matches!(bytes, [b'0', b'x' | b'o' | b'b', ..])
        || matches!(
            unsigned,
            ".nan" | ".NaN" | ".NAN" | ".inf" | ".Inf" | ".INF"
        )
    {
        return None;
    }
    if bytes.iter().all(u8::is_ascii_digit) {
        return if s.starts_with('-') {
            s.parse::<i64>().ok().map(Value::from)
        } else {
            unsigned.parse::<u64>().ok().map(Value::from)
        };
    }
    match s.parse::<f64>() {
        Ok(v) => Number::from_f64(v).map(Value::Number),
        Err(_) => string(),
    }
}

/// The byte range of an event, as the reference path reports it (`yaml::byte_range`).
fn byte_range(text: &str, span: &Span) -> Range<usize> {
    match (span.start.byte_offset(), span.end.byte_offset()) {
        (Some(start), Some(end)) => {
            let start = start.min(text.len());
            start..end.max(start).min(text.len())
        }
        _ => 0..0,
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::yaml::parse_reference;
    use proptest::prelude::*;
    use std::fmt::Write as _;

    /// What both paths agree on, in a comparable form.
    pub(in crate::yaml) fn summary(docs: &[Document]) -> Vec<(Value, Vec<(String, NodeSpan)>)> {
        docs.iter()
            .map(|d| {
                (
                    d.value.clone(),
                    d.spans
                        .iter()
                        .map(|(k, v)| (k.to_owned(), v.clone()))
                        .collect(),
                )
            })
            .collect()
    }

    /// Runs both paths; when the fast path accepts, the reference must accept with the same
    /// values (including the `Number` flavour) and the same spans. Returns whether it accepted.
    fn agree(text: &str) -> bool {
        let file = SourceFile::new("t.yaml", text);
        let fast = parse(&file);
        let reference = parse_reference(&file);
        match fast {
            None => false,
            Some(fast) => {
                let reference = reference.unwrap_or_else(|e| {
                    panic!("fast path accepted what the reference rejects: {e:?}\n{text}")
                });
                assert_same(&fast, &reference, text);
                true
            }
        }
    }

    /// `ours` and `theirs` hold the same values (including the `Number` flavour: u64, i64
    /// or f64, which shows in the JSON text) and the same spans.
    pub(in crate::yaml) fn assert_same(ours: &[Document], theirs: &[Document], text: &str) {
        let (ours, theirs) = (summary(ours), summary(theirs));
        assert_eq!(ours, theirs, "values or spans differ for:\n{text}");
        for (a, b) in ours.iter().zip(&theirs) {
            assert_eq!(
                serde_json::to_string(&a.0).ok(),
                serde_json::to_string(&b.0).ok(),
                "number flavours differ for:\n{text}"
            );
        }
    }

    /// How many of the YAML files of the fixtures, the examples and the built-in profiles
    /// `agree` takes, of how many (over 50).
    pub(in crate::yaml) fn fixtures_taken(agree: impl Fn(&str) -> bool) -> (usize, usize) {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut stack = vec![
            root.join("fixtures"),
            root.join("examples"),
            root.join("profiles"),
        ];
        let mut texts = Vec::new();
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml")
                    && let Ok(text) = std::fs::read_to_string(&path)
                {
                    texts.push(text);
                }
            }
        }
        assert!(texts.len() > 50, "{} YAML files found", texts.len());
        (texts.iter().filter(|text| agree(text)).count(), texts.len())
    }

    #[test]
    fn agrees_on_every_fixture_and_example() {
        let (taken, files) = fixtures_taken(agree);
        // The fast path must take the ordinary inputs, not decline its way out.
        assert!(taken * 10 >= files * 8, "{taken} of {files} accepted");
    }

    #[test]
    fn takes_ordinary_tasks_and_scalars() {
        for text in [
            "name: train\naction: job\nfunction: {image: busybox:1.36, command: [sh, -c, 'echo hi']}\n",
            "a: yes\nb: on\nc: 0755\nd: 1_000\ne: true\nf: 12\ng: 1.5\nh: ~\ni: -3\nj: 1e3\nk: .5\nl: 500m\nm: 2025-01-31\nn: 12:30\no: '1'\np: \"x\\ty\"\nq: |\n  block\nr: >\n  folded\n  text\ns: +7\nt: -0\nu: 0.0\nv: -.5\nw: 1.\nx: inf\nz: .\n",
            "- 1\n- [a, {b: c}]\n- {}\n- []\n- ''\n",
            "a: 1\n---\n---\nb: 2\n...\n",
            "plain scalar document\n",
            "k: v # comment\n# another\n'quoted key': 1\n\"a/b~c\": 2\n",
            "a: 18446744073709551615\nb: -9223372036854775808\n",
            // pointers of list items from 10 on
            "l: [a, b, c, d, e, f, g, h, i, j, k, {m: [n, o, p, q, r, s, t, u, v, w, x]}]\n",
        ] {
            assert!(agree(text), "declined:\n{text}");
        }
    }

    #[test]
    fn declines_what_the_reference_must_judge() {
        for text in [
            "",
            "# only a comment\n",
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: 1\na: 2\n",
            "a: 1\na: {b: 1}\n",
            "<<: {a: 1}\n",
            "? [a]\n: b\n",
            "1: a\n",
            "true: a\n",
            "null: a\n",
            "a: 0x1F\n",
            "a: 0b11\n",
            "a: .inf\n",
            "a: 1e999\n",
            "a: 18446744073709551616\n",
            "a: [\n",
            "%YAML 1.1\n---\na: 1\n",
            format!("{}{}", "[".repeat(40), "]".repeat(40)).as_str(),
            // more documents than the limit, most of them empty
            format!("a: 1\n{}", "---\n".repeat(MAX_DOCUMENTS + 1)).as_str(),
        ] {
            let file = SourceFile::new("t.yaml", text);
            assert!(parse(&file).is_none(), "accepted:\n{text:.80}");
        }
    }

    /// Scalars chosen to sit on every boundary of the core schema and of YAML syntax.
    const ATOMS: &[&str] = &[
        "a",
        "b c",
        "yes",
        "No",
        "on",
        "true",
        "False",
        "TRUE",
        "null",
        "Null",
        "~",
        "",
        "0",
        "-0",
        "+0",
        "00",
        "0755",
        "-012",
        "1_000",
        "12",
        "-12",
        "+12",
        "1.5",
        "-1.5",
        "1e3",
        "1E-3",
        ".5",
        "-.5",
        "5.",
        "1.2.3",
        ".",
        "-",
        "+",
        "0x1F",
        "0X1F",
        "0o17",
        "0b11",
        ".inf",
        "-.inf",
        ".nan",
        "-.nan",
        "inf",
        "nan",
        "NaN",
        "1e999",
        "9223372036854775808",
        "-9223372036854775809",
        "18446744073709551616",
        "12:30",
        "2025-01-31",
        "500m",
        "1Gi",
        "a:b",
        "a #b",
        "é",
        "x y z",
        "<<",
        "=",
        "*x",
        "&y",
        "!t",
        "a: b",
        "- a",
        "[a]",
        "{a}",
        "'",
        "\"",
        "#",
        "%",
        "@",
        "`",
        "a\tb",
        "1 2",
    ];

    pub(in crate::yaml) fn scalar() -> impl Strategy<Value = String> {
        (prop::sample::select(ATOMS), 0..6u8).prop_map(|(atom, style)| match style {
            0..=2 => atom.to_owned(),
            3 => format!("'{}'", atom.replace('\'', "''")),
            4 => serde_json::to_string(atom).unwrap_or_default(),
            _ => format!("|\n{}{atom}\n", " ".repeat(8)),
        })
    }

    /// Random YAML text: block and flow collections of random scalars, at random indents,
    /// sometimes damaged.
    pub(in crate::yaml) fn yaml() -> impl Strategy<Value = String> {
        let leaf = scalar().prop_map(|s| (s, false));
        let node = leaf.prop_recursive(5, 48, 5, |inner| {
            prop_oneof![
                prop::collection::vec((scalar(), inner.clone()), 0..5).prop_map(|kv| {
                    let mut out = String::from("{");
                    for (i, (k, (v, _))) in kv.iter().enumerate() {
                        if i > 0 {
                            out.push_str(", ");
                        }
                        let _ = write!(out, "{}: {}", k.replace('\n', " "), v.replace('\n', " "));
                    }
                    out.push('}');
                    (out, false)
                }),
                prop::collection::vec(inner.clone(), 0..5).prop_map(|items| {
                    let mut out = String::from("[");
                    for (i, (v, _)) in items.iter().enumerate() {
                        if i > 0 {
                            out.push_str(", ");
                        }
                        out.push_str(&v.replace('\n', " "));
                    }
                    out.push(']');
                    (out, false)
                }),
                prop::collection::vec((scalar(), inner), 1..5).prop_map(|kv| {
                    let mut out = String::new();
                    for (k, (v, _)) in kv {
                        let k = k.replace('\n', " ");
                        let v = v.replace('\n', " ");
                        let _ = writeln!(out, "{k}: {v}");
                    }
                    (out, true)
                }),
            ]
        });
        (
            prop::collection::vec((scalar(), node), 1..6),
            any::<u16>(),
            0..4u8,
        )
            .prop_map(|(kv, cut, damage)| {
                let mut text = String::new();
                for (k, (v, block)) in kv {
                    let k = k.replace('\n', " ");
                    if block {
                        let _ = writeln!(text, "{k}:");
                        for line in v.lines() {
                            let _ = writeln!(text, "  {line}");
                        }
                    } else {
                        let _ = writeln!(text, "{k}: {v}");
                    }
                }
                if damage == 0 && !text.is_empty() {
                    let at = usize::from(cut) % text.len();
                    let at = (0..=at)
                        .rev()
                        .find(|i| text.is_char_boundary(*i))
                        .unwrap_or(0);
                    text.insert_str(at, if cut % 2 == 0 { "\n  - " } else { ": " });
                }
                text
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        /// The fast path and serde-saphyr agree on values and spans wherever the fast path
        /// accepts.
        #[test]
        fn fast_path_agrees_with_serde_saphyr(text in yaml()) {
            agree(&text);
        }

        #[test]
        fn fast_path_agrees_on_arbitrary_text(text in "\\PC{0,120}") {
            agree(&text);
        }

        /// Every scalar atom, plain and as a key, one by one.
        #[test]
        fn fast_path_agrees_on_scalars(k in scalar(), v in scalar()) {
            agree(&format!("{}: {}\n", k.replace('\n', " "), v));
            agree(&format!("- {v}\n"));
        }
    }
}
