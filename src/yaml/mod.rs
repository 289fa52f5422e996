//! Stage 2, parse: [`SourceFile`] → [`Document`]s, each an untyped JSON value plus a span
//! index (JSON pointer → byte ranges of the key and the value) for diagnostics.
//!
//! YAML 1.2 core schema: `yes`/`on`/`no`/`off` are strings, and so are plain scalars with
//! redundant leading zeros (`0755`), underscores (`1_000`) or a radix the core schema does
//! not have (`0b11`, `+0x1F`, `0X1F`), which YAML 1.1 readers would take for numbers.
//! Duplicate keys are errors; alias expansion, nesting depth and node counts are capped,
//! so no input can exhaust memory or the stack.
//!
//! One extension to the core schema: a plain `<<` key merges mappings (`<<: *defaults`, or
//! `<<: [*a, *b]`, earlier ones winning), as YAML 1.1 did and as Task files with anchors
//! rely on. Keys written beside `<<` win over merged ones; a second `<<` in one mapping is
//! a duplicate key, and a `<<` whose value is not a mapping or a list of mappings is an
//! error. A quoted `"<<"` is an ordinary key.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use serde_saphyr::Spanned;

use crate::diagnostic::{Diagnostic, ErrorKind};
use crate::text::SourceFile;

mod events;
mod pointer;
mod subset;
pub(crate) use pointer::Pointer;

/// Deepest nesting accepted. Real Tasks nest about 8 levels (affinity is the deepest),
/// profile patches about 10. The cap also bounds stack use: the deserializer recurses once
/// per level (about 40 KiB a level in debug builds, far less in release).
pub(crate) const MAX_DEPTH: usize = 32;

/// One YAML document of a file, untyped, with its span index.
#[derive(Debug)]
pub(crate) struct Document {
    pub(crate) file: Arc<SourceFile>,
    pub(crate) value: Value,
    pub(crate) spans: SpanIndex,
}

/// Where a node is: the value's byte range, and the key's when the node is a mapping value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NodeSpan {
    pub(crate) key: Option<Range<usize>>,
    pub(crate) value: Range<usize>,
}

/// JSON pointer (RFC 6901, as jsonschema reports `instance_path`) → [`NodeSpan`].
///
/// Every document has one, and few of its nodes are ever looked up (a diagnostic's place,
/// a Task's name), so it is built cheaply: the pointers end to end in one string, the
/// nodes in document order. A small document is searched node by node; a large one is
/// sorted by pointer on its first lookup, for a binary search.
#[derive(Debug, Default)]
pub(crate) struct SpanIndex {
    pointers: String,
    /// Each node: where its pointer is in `pointers`, and its span; in document order.
    nodes: Vec<(Range<usize>, NodeSpan)>,
    /// Indices of `nodes` by pointer, made on the first lookup in a large document.
    sorted: OnceLock<Vec<usize>>,
}

/// Nodes up to which a lookup compares every pointer (a generated Task has about 60):
/// cheaper than sorting them.
const SCAN_NODES: usize = 128;

/// The spans of a document being read, each pointer once: apart from [`SpanIndex`], so
/// that no node can be added after a lookup has sorted the nodes of a large document.
#[derive(Debug, Default)]
pub(crate) struct SpanBuilder(SpanIndex);

impl SpanBuilder {
    pub(crate) fn push(&mut self, pointer: &str, span: NodeSpan) {
        let index = &mut self.0;
        let start = index.pointers.len();
        index.pointers.push_str(pointer);
        index.nodes.push((start..index.pointers.len(), span));
    }

    pub(crate) fn build(self) -> SpanIndex {
        self.0
    }
}

impl From<BTreeMap<String, NodeSpan>> for SpanIndex {
    fn from(map: BTreeMap<String, NodeSpan>) -> Self {
        let mut builder = SpanBuilder::default();
        for (pointer, span) in map {
            builder.push(&pointer, span);
        }
        builder.build()
    }
}

impl SpanIndex {
    pub(crate) fn get(&self, pointer: &str) -> Option<&NodeSpan> {
        let at = |i: usize| &self.pointers[self.nodes[i].0.clone()];
        if self.nodes.len() <= SCAN_NODES {
            return (0..self.nodes.len())
                .find(|&i| at(i) == pointer)
                .map(|i| &self.nodes[i].1);
        }
        let sorted = self.sorted.get_or_init(|| {
            let mut sorted: Vec<usize> = (0..self.nodes.len()).collect();
            sorted.sort_unstable_by(|&a, &b| at(a).cmp(at(b)));
            sorted
        });
        sorted
            .binary_search_by(|&i| at(i).cmp(pointer))
            .ok()
            .map(|k| &self.nodes[sorted[k]].1)
    }

    /// Every node, in pointer order.
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &NodeSpan)> {
        let mut nodes: Vec<(&str, &NodeSpan)> = self
            .nodes
            .iter()
            .map(|(at, span)| (&self.pointers[at.clone()], span))
            .collect();
        nodes.sort_unstable_by_key(|(pointer, _)| *pointer);
        nodes.into_iter()
    }

    /// The span to underline for a problem with the value at `pointer`: the value itself,
    /// else the nearest ancestor that has a span (the root always has one).
    pub(crate) fn value(&self, pointer: &str) -> Range<usize> {
        self.nearest(pointer).value.clone()
    }

    /// The span of the key that names the node at `pointer` (the value's for list items
    /// and the root), falling back to the nearest ancestor.
    pub(crate) fn key(&self, pointer: &str) -> Range<usize> {
        let n = self.nearest(pointer);
        n.key.clone().unwrap_or_else(|| n.value.clone())
    }

    fn nearest(&self, pointer: &str) -> &NodeSpan {
        let mut p = pointer;
        loop {
            if let Some(span) = self.get(p) {
                return span;
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => {
                    return self.get("").unwrap_or(&NodeSpan {
                        key: None,
                        value: 0..0,
                    });
                }
            }
        }
    }
}

/// Parses every document of `file`. A null (empty) document between `---` separators is
/// skipped; a file with no document at all is an error.
///
/// Three readers, each declining what it is not sure of to the next: [`subset`] (the plain
/// YAML Task files are written in), [`events`] (granit-parser's events) and serde-saphyr,
/// the reference, through which every error goes.
pub(crate) fn parse(file: &Arc<SourceFile>) -> Result<Vec<Document>, Diagnostic> {
    if let Some(documents) = subset::parse(file).or_else(|| events::parse(file)) {
        return Ok(documents);
    }
    parse_reference(file)
}

/// [`parse`] through serde-saphyr's deserializer: every limit and every diagnostic.
fn parse_reference(file: &Arc<SourceFile>) -> Result<Vec<Document>, Diagnostic> {
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: MAX_DEPTH,
            flow_nesting_limit: MAX_DEPTH,
            max_documents: 10_000,
            max_aliases: 1_000,
            max_nodes: 1_000_000,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: 100_000,
            max_alias_expansions_per_anchor: 1_000,
        },
        strict_booleans: true,
        merge_keys: serde_saphyr::MergeKeyPolicy::AsOrdinary,
        leading_zero_numbers_as_strings: true,
        underscored_numbers_as_strings: true,
        with_snippet: false,
    };
    let nodes: Vec<Spanned<Node>> =
        serde_saphyr::from_str_multiple_with_options(&file.text, options)
            .map_err(|e| yaml_error(file, &e))?;
    let mut documents = Vec::with_capacity(nodes.len());
    for node in nodes {
        if matches!(node.value, Node::Null) {
            continue;
        }
        let mut spans = Spans::new();
        let mut pointer = String::new();
        let value = convert(file, node, None, &mut pointer, &mut spans)?;
        documents.push(Document {
            file: Arc::clone(file),
            value,
            spans: spans.into(),
        });
    }
    if documents.is_empty() {
        let end = file.text.len();
        return Err(Diagnostic::new(ErrorKind::EmptyFile {
            path: file.name.clone(),
        })
        .at(file, end..end, "")
        .with_help("a Task file holds one or more Task mappings, separated by `---`"));
    }
    Ok(documents)
}

fn yaml_error(file: &Arc<SourceFile>, err: &serde_saphyr::Error) -> Diagnostic {
    let message = strip_location(&err.to_string());
    let span = err.location().map_or(0..0, |loc| location_range(file, loc));
    if matches!(err, serde_saphyr::Error::UnknownAnchor { .. }) {
        let rest = file.text.get(span.start..).unwrap_or_default();
        let end = rest
            .find(|c: char| c.is_whitespace() || matches!(c, ',' | ']' | '}'))
            .unwrap_or(rest.len());
        let alias = rest[..end].trim_start_matches('*');
        return Diagnostic::new(ErrorKind::UndefinedAlias {
            alias: alias.to_owned(),
        })
        .at(file, span.start..span.start + end, "not defined")
        .with_help(format!(
            "define the anchor before its alias, in the same document: `&{alias}` on a value above (anchors do not cross `---`)"
        ));
    }
    let (kind, label, help) = if message.contains("alias") {
        (
            ErrorKind::YamlLimit {
                message: "aliases expand to too many nodes".into(),
            },
            "expansion stopped here",
            Some(
                "an alias may repeat a node, but not multiply the document without bound (a \"billion laughs\")",
            ),
        )
    } else if message.contains("recursion")
        || message.contains("Depth")
        || message.contains("nesting")
    {
        (
            ErrorKind::YamlLimit {
                message: format!("nesting is deeper than {MAX_DEPTH} levels"),
            },
            "too deep",
            None,
        )
    } else if let Some(rest) = message.strip_prefix("budget breached: ") {
        // The budget's variant name, in words: `Documents { documents: 10001 }`.
        let name = rest.split([' ', '{']).next().unwrap_or(rest);
        let message = match name {
            "Documents" => "more than 10000 documents in one file".to_owned(),
            "Nodes" => "more than 1000000 nodes in one file".to_owned(),
            other => {
                let mut words = String::new();
                for c in other.chars() {
                    if c.is_ascii_uppercase() && !words.is_empty() {
                        words.push(' ');
                    }
                    words.push(c.to_ascii_lowercase());
                }
                format!("too many {words} in one file")
            }
        };
        (ErrorKind::YamlLimit { message }, "here", None)
    } else if message.contains("budget") || message.contains("limit") {
        (ErrorKind::YamlLimit { message }, "here", None)
    } else if let Some(rest) = message.strip_prefix("duplicate mapping key: ") {
        let key = rest
            .split(", set DuplicateKeyPolicy")
            .next()
            .unwrap_or(rest);
        let key = key.trim_matches('`');
        (
            ErrorKind::DuplicateKey {
                key: key.to_owned(),
            },
            "repeated key",
            Some(if key == MERGE_KEY {
                "merge several mappings with one `<<`: `<<: [*a, *b]` (earlier ones win)"
            } else {
                "a key may appear once in a mapping: remove one of them"
            }),
        )
    } else {
        (ErrorKind::YamlSyntax { message }, "here", None)
    };
    if let ErrorKind::YamlSyntax { message } = &kind
        && let Some((span, help)) = indentation_help(file, &span, message)
    {
        return Diagnostic::new(kind).at(file, span, "here").with_help(help);
    }
    let d = Diagnostic::new(kind).at(file, span, label);
    match help {
        Some(h) => d.with_help(h),
        None => d,
    }
}

/// Help for the parser's tab and indentation errors: the tab itself underlined, or (at
/// the parser's place) the line's indentation compared with the line above.
fn indentation_help(
    file: &SourceFile,
    span: &Range<usize>,
    message: &str,
) -> Option<(Range<usize>, String)> {
    let text = &file.text;
    let line_start = text[..span.start.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or_default();
    if message.contains("tab") {
        let tab = line_start + line.find('\t')?;
        return Some((
            tab..tab + 1,
            "indent with spaces: YAML does not allow tabs in indentation".into(),
        ));
    }
    if !message.contains("not allowed in this context") {
        return None;
    }
    let indent = |l: &str| l.len() - l.trim_start_matches(' ').len();
    let above = text[..line_start]
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))?;
    let (here, there) = (indent(line), indent(above));
    let relation = match here.cmp(&there) {
        std::cmp::Ordering::Greater => "more",
        std::cmp::Ordering::Less => "less",
        std::cmp::Ordering::Equal => return None,
    };
    Some((
        span.clone(),
        format!(
            "indent with spaces so keys of one mapping line up: this line is indented {relation} ({here} spaces) than the line above ({there})"
        ),
    ))
}

/// Byte range of a parser location: its byte span when known, else its line and column
/// (parser errors carry only those).
fn location_range(file: &SourceFile, loc: serde_saphyr::Location) -> Range<usize> {
    let span = loc.span();
    if span.byte_offset().is_some_and(|o| o < u64::from(u32::MAX)) {
        return byte_range(file, span);
    }
    let line = usize::try_from(loc.line()).unwrap_or(1).max(1);
    let col = usize::try_from(loc.column()).unwrap_or(1).max(1);
    let line_start = file
        .text
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum::<usize>();
    let rest = &file.text[line_start.min(file.text.len())..];
    let start = line_start
        + rest
            .char_indices()
            .nth(col - 1)
            .map_or(rest.len(), |(i, _)| i);
    let end = file.text[start..]
        .chars()
        .next()
        .map_or(start, |c| start + c.len_utf8());
    start..end
}

/// serde-saphyr appends ` at line L, column C`; the diagnostic shows the place itself.
fn strip_location(message: &str) -> String {
    let first = message.lines().next().unwrap_or(message);
    match first.rfind(" at line ") {
        Some(i) => first[..i].to_owned(),
        None => first.to_owned(),
    }
}

fn byte_range(file: &SourceFile, span: serde_saphyr::Span) -> Range<usize> {
    let start = span
        .byte_offset()
        .map_or(0, |o| usize::try_from(o).unwrap_or(usize::MAX));
    let len = span
        .byte_len()
        .map_or(0, |l| usize::try_from(l).unwrap_or(0));
    let start = start.min(file.text.len());
    start..(start + len).min(file.text.len())
}

/// The reference path's spans while it converts: merge keys copy and overwrite entries.
type Spans = BTreeMap<String, NodeSpan>;

fn convert(
    file: &Arc<SourceFile>,
    node: Spanned<Node>,
    key: Option<Range<usize>>,
    pointer: &mut String,
    spans: &mut Spans,
) -> Result<Value, Diagnostic> {
    let span = byte_range(file, node.referenced.span());
    spans.insert(
        pointer.clone(),
        NodeSpan {
            key,
            value: span.clone(),
        },
    );
    Ok(match node.value {
        Node::Null => Value::Null,
        Node::Bool(b) => Value::Bool(b),
        Node::Number(n) => match &file.text.get(span.clone()) {
            Some(text) if !is_core_number(text) => Value::String((*text).to_owned()),
            _ => Value::Number(n),
        },
        Node::Str(s) => Value::String(s),
        Node::Seq(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                out.push(convert(file, item, None, pointer, spans)?);
                pointer.truncate(len);
            }
            Value::Array(out)
        }
        Node::Map(entries) => {
            let (merge_keys, entries): (Vec<_>, Vec<_>) = entries
                .into_iter()
                .partition(|(k, _)| is_merge_key(file, k));
            let mut merged = Map::new();
            let mut merged_spans = Spans::new();
            for (_, v) in merge_keys {
                merge(file, v, pointer, &mut merged, &mut merged_spans)?;
            }
            let mut out = Map::with_capacity(entries.len() + merged.len());
            for (k, v) in entries {
                let key_span = byte_range(file, k.referenced.span());
                let Node::Str(name) = k.value else {
                    return Err(Diagnostic::new(ErrorKind::KeyNotString {
                        found: k.value.describe(),
                    })
                    .at(file, key_span, "this key")
                    .with_help("quote the key to make it a string"));
                };
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&Pointer::escape(&name));
                let value = convert(file, v, Some(key_span), pointer, spans)?;
                pointer.truncate(len);
                out.insert(name, value);
            }
            // Merged keys after the explicit ones, which win; their spans come along.
            for (name, value) in merged {
                if out.contains_key(&name) {
                    continue;
                }
                let at = format!("{pointer}/{}", Pointer::escape(&name));
                let nested = format!("{at}/");
                for (p, span) in merged_spans.range(at.clone()..) {
                    if *p != at && !p.starts_with(&nested) {
                        break;
                    }
                    spans.insert(p.clone(), span.clone());
                }
                out.insert(name, value);
            }
            Value::Object(out)
        }
    })
}

/// The merge key: a plain (unquoted) `<<`.
const MERGE_KEY: &str = "<<";

fn is_merge_key(file: &SourceFile, key: &Spanned<Node>) -> bool {
    matches!(&key.value, Node::Str(s) if s == MERGE_KEY)
        && file
            .text
            .get(byte_range(file, key.referenced.span()))
            .is_some_and(|t| t.starts_with(MERGE_KEY))
}

/// Converts the value of a `<<` key (a mapping, or a list of mappings of which earlier
/// ones win) into `out`, with spans at the merging mapping's pointer.
fn merge(
    file: &Arc<SourceFile>,
    value: Spanned<Node>,
    pointer: &mut String,
    out: &mut Map<String, Value>,
    spans: &mut Spans,
) -> Result<(), Diagnostic> {
    let sources = match value.value {
        Node::Seq(items) => items,
        _ => vec![value],
    };
    // Later sources first, so earlier ones overwrite them.
    for source in sources.into_iter().rev() {
        if !matches!(source.value, Node::Map(_)) {
            let span = byte_range(file, source.referenced.span());
            return Err(Diagnostic::new(ErrorKind::MergeValue {
                found: source.value.describe(),
            })
            .at(file, span, "not a mapping")
            .with_help("merge an anchored mapping: `<<: *defaults`, or several: `<<: [*a, *b]`"));
        }
        if let Value::Object(map) = convert(file, source, None, pointer, spans)? {
            out.extend(map);
        }
    }
    Ok(())
}

/// Whether a plain scalar read as a number is one in the YAML 1.2 core schema, where
/// integers are decimal, `0o` octal or `0x` hexadecimal (lowercase prefixes, no sign on
/// the latter two). Text that is no number spelling (an alias) counts as one.
fn is_core_number(text: &str) -> bool {
    let unsigned = text.trim_start_matches(['-', '+']);
    let signed = unsigned.len() != text.len();
    match unsigned.get(..2) {
        Some("0b" | "0B" | "0X" | "0O") => false,
        Some("0x" | "0o") => !signed,
        _ => true,
    }
}

/// An untyped YAML node whose children carry their spans.
#[derive(Debug)]
enum Node {
    Null,
    Bool(bool),
    Number(Number),
    Str(String),
    Seq(Vec<Spanned<Node>>),
    Map(Vec<(Spanned<Node>, Spanned<Node>)>),
}

impl Node {
    fn describe(&self) -> String {
        match self {
            Node::Null => "null".into(),
            Node::Bool(b) => format!("boolean `{b}`"),
            Node::Number(n) => format!("number `{n}`"),
            Node::Str(s) => format!("string `{s}`"),
            Node::Seq(_) => "a list".into(),
            Node::Map(_) => "a mapping".into(),
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Number(v.into()))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Node, E> {
        i64::try_from(v)
            .map(|v| Node::Number(v.into()))
            .map_err(|_| E::custom(format!("integer {v} is out of range")))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Node, E> {
        u64::try_from(v)
            .map(|v| Node::Number(v.into()))
            .map_err(|_| E::custom(format!("integer {v} is out of range")))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Number::from_f64(v)
            .map(Node::Number)
            .ok_or_else(|| E::custom("`.inf` and `.nan` are not allowed"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Node::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    fn parse_str(text: &str) -> Result<Vec<Document>, Diagnostic> {
        parse(&SourceFile::new("t.yaml", text))
    }

    fn slice<'a>(text: &'a str, r: &Range<usize>) -> &'a str {
        &text[r.clone()]
    }

    #[test]
    fn spans_point_at_keys_and_values() {
        let text =
            "name: train\nfunction:\n  image: busybox:1.36\nenvs:\n  - {name: A, value: b}\n";
        let docs = parse_str(text).unwrap();
        let s = &docs[0].spans;
        let image = s.get("/function/image").unwrap();
        assert_eq!(slice(text, image.key.as_ref().unwrap()), "image");
        assert_eq!(slice(text, &image.value), "busybox:1.36");
        let env = s.get("/envs/0/value").unwrap();
        assert_eq!(slice(text, &env.value), "b");
        assert_eq!(slice(text, &s.key("/function/image/nope")), "image");
    }

    #[test]
    fn spans_of_large_documents_are_found_by_pointer() {
        // Over `SCAN_NODES` nodes: looked up through the sorted order.
        let mut text = String::new();
        for i in 0..300 {
            writeln!(text, "k{i}: [v{i}]").unwrap();
        }
        let docs = parse_str(&text).unwrap();
        let s = &docs[0].spans;
        assert!(s.nodes.len() > SCAN_NODES);
        for i in [0, 1, 57, 150, 299] {
            let node = s.get(&format!("/k{i}/0")).unwrap();
            assert_eq!(slice(&text, &node.value), format!("v{i}"));
            let key = s.get(&format!("/k{i}")).unwrap();
            assert_eq!(slice(&text, key.key.as_ref().unwrap()), format!("k{i}"));
        }
        assert!(s.get("/k300").is_none());
        assert!(s.get("/k1/1").is_none());
        // The nearest node with a span: the list item, which has no key.
        assert_eq!(slice(&text, &s.key("/k42/0/deeper")), "v42");
    }

    #[test]
    fn escaped_pointer_segments() {
        let text = "labels:\n  app.kubernetes.io/name: x\n";
        let docs = parse_str(text).unwrap();
        let span = docs[0]
            .spans
            .get("/labels/app.kubernetes.io~1name")
            .unwrap();
        assert_eq!(
            slice(text, span.key.as_ref().unwrap()),
            "app.kubernetes.io/name"
        );
    }

    #[test]
    fn yaml_1_1_lookalikes_stay_strings() {
        let docs =
            parse_str("a: yes\nb: on\nc: 0755\nd: 1_000\ne: true\nf: 12\ng: 1.5\nh: ~\n").unwrap();
        let v = &docs[0].value;
        assert_eq!(v["a"], "yes");
        assert_eq!(v["b"], "on");
        assert_eq!(v["c"], "0755");
        assert_eq!(v["d"], "1_000");
        assert_eq!(v["e"], true);
        assert_eq!(v["f"], 12);
        assert_eq!(v["g"], 1.5);
        assert_eq!(v["h"], Value::Null);
    }

    #[test]
    fn multi_documents_and_aliases() {
        let docs = parse_str("a: &x [1, 2]\nb: *x\n---\n---\nc: 3\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].value["b"], serde_json::json!([1, 2]));
        assert_eq!(docs[1].value["c"], 3);
    }

    #[test]
    fn yaml_1_2_core_radixes() {
        let docs =
            parse_str("a: 0b11\nb: 0x1F\nc: 0o17\nd: +0x1F\ne: 0X1F\nf: -12\ng: '0b1'\n").unwrap();
        let v = &docs[0].value;
        assert_eq!(v["a"], "0b11");
        assert_eq!(v["b"], 31);
        assert_eq!(v["c"], 15);
        assert_eq!(v["d"], "+0x1F");
        assert_eq!(v["e"], "0X1F");
        assert_eq!(v["f"], -12);
        assert_eq!(v["g"], "0b1");
    }

    #[test]
    fn merge_keys_are_an_extension() {
        let text = "base: &b {x: 1, y: 2}\nother: &o {y: 3, z: 4}\none: {<<: *b, y: 9}\nmany: {<<: [*b, *o]}\nquoted: {\"<<\": 1}\n";
        let docs = parse_str(text).unwrap();
        let v = &docs[0].value;
        assert_eq!(v["one"], serde_json::json!({"y": 9, "x": 1}));
        assert_eq!(v["many"], serde_json::json!({"x": 1, "y": 2, "z": 4}));
        assert_eq!(v["quoted"], serde_json::json!({"<<": 1}));
        // a merged key points at the alias that brought it (as any aliased node does); an
        // explicit one at itself
        let s = &docs[0].spans;
        assert_eq!(slice(text, &s.get("/one/x").unwrap().value), "*b");
        assert_eq!(slice(text, &s.get("/one/y").unwrap().value), "9");
        assert_eq!(slice(text, &s.get("/many/z").unwrap().value), "*o");
    }

    #[test]
    fn merge_key_errors() {
        let err = parse_str("b: &b {x: 1}\nc: &c {y: 1}\na:\n  <<: *b\n  <<: *c\n").unwrap_err();
        assert_eq!(err.kind.code(), "yaml::duplicate_key");
        assert!(err.help.unwrap().contains("[*a, *b]"));
        let err = parse_str("a: {<<: 1}\n").unwrap_err();
        assert_eq!(err.kind.code(), "yaml::merge_value");
        let err = parse_str("a: {<<: [{x: 1}, [2]]}\n").unwrap_err();
        assert_eq!(err.kind.code(), "yaml::merge_value");
    }

    #[test]
    fn undefined_alias_says_so() {
        let err = parse_str("a: 1\nlabels: *nope\n").unwrap_err();
        assert_eq!(err.kind.code(), "yaml::undefined_alias");
        assert_eq!(err.to_string(), "alias `*nope` is not defined");
        assert_eq!(err.line_col(), Some((2, 9)));
    }

    #[test]
    fn tab_and_indentation_errors_help() {
        let err = parse_str("name: a\nfunction:\n\timage: x\n").unwrap_err();
        assert_eq!(err.line_col(), Some((3, 1)));
        assert!(err.help.unwrap().contains("indent with spaces"));
        let err = parse_str("name: a\nfunction:\n  image: x\n   args: [x]\n").unwrap_err();
        assert!(
            err.help
                .unwrap()
                .contains("indented more (3 spaces) than the line above (2)")
        );
    }

    #[test]
    fn budget_messages_are_words() {
        let text = "a: 1\n---\n".repeat(10_001);
        let err = parse_str(&text).unwrap_err();
        assert_eq!(err.kind.code(), "yaml::limit");
        assert_eq!(
            err.to_string(),
            "YAML safety limit exceeded: more than 10000 documents in one file"
        );
        // empty documents count too, whichever parser reads the file
        let text = format!("a: 1\n{}", "---\n".repeat(10_001));
        assert_eq!(parse_str(&text).unwrap_err().kind.code(), "yaml::limit");
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let err = parse_str("name: a\nname: b\n").unwrap_err();
        assert_eq!(err.kind.code(), "yaml::duplicate_key");
        assert_eq!(err.line_col(), Some((2, 1)));
    }

    #[test]
    fn syntax_errors_have_positions() {
        let err = parse_str("name: a\nfunction:\n  image: x\n   command: [sh]\n").unwrap_err();
        assert_eq!(err.kind.code(), "yaml::syntax");
        assert_eq!(err.line_col(), Some((4, 11)));
    }

    #[test]
    fn empty_file_is_an_error() {
        assert_eq!(parse_str("").unwrap_err().kind.code(), "task::empty");
        assert_eq!(
            parse_str("# only a comment\n---\n")
                .unwrap_err()
                .kind
                .code(),
            "task::empty"
        );
    }

    #[test]
    fn alias_bomb_is_capped() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            let _ = writeln!(
                text,
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]"
            );
        }
        assert_eq!(parse_str(&text).unwrap_err().kind.code(), "yaml::limit");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(parse_str(&text).unwrap_err().kind.code(), "yaml::limit");
        let mut block = String::new();
        for i in 0..10_000 {
            block.push_str(&" ".repeat(i));
            block.push_str("a:\n");
        }
        assert_eq!(parse_str(&block).unwrap_err().kind.code(), "yaml::limit");
    }
}
