//! The first reader of stage 2: the plain subset of YAML that Task files are written in,
//! read byte by byte into the same [`Builder`] as the event reader ([`super::events`]), for
//! about a quarter of the instructions (89 k against 340 k for a generated Task).
//!
//! The subset, in printable ASCII and newlines:
//! - block mappings whose keys are plain or quoted scalars on one line, followed by `: `
//!   or `:` at the end of the line, with an inline value or a nested block collection on
//!   the lines below (a block sequence may sit at its mapping's own indent);
//! - block sequences (`- item`), whose item is an inline value or a compact mapping
//!   (`- name: a` with more keys below, aligned);
//! - flow sequences and mappings (`[a, b]`, `{k: v}`) that close on the line they open;
//! - plain scalars on one line, single-quoted scalars, double-quoted ones without escapes;
//! - comments, blank lines, any indent made of spaces;
//! - documents separated by `---` lines (one may open the file).
//!
//! Anything else makes it **decline** (return `None`): a tab, a carriage return, a byte
//! outside printable ASCII, an empty document, `...`, text after `---`, a directive, an
//! anchor, alias or tag, a block scalar (`|`, `>`), a scalar over several lines, an empty
//! value, `?`, an escape, a trailing comma, a key over 1,000 bytes. The event reader then
//! reads the file, declining in turn to serde-saphyr, which words every diagnostic. The
//! [`Builder`] declines the rest (duplicate keys, keys that are not strings, depth,
//! budgets). So this reader must only agree with the others where it accepts: same values,
//! same spans, which `tests` checks on every fixture and on random YAML in the layouts Task
//! files use (the fuzz targets run it on arbitrary bytes, for panics).

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

use super::Document;
use super::events::Builder;
use crate::text::SourceFile;

/// Longest key taken: granit-parser, as serde-saphyr sets it up, reads an implicit key of
/// at most 1,024 characters.
const MAX_KEY: usize = 1000;

/// Parses `file` if it is written in the subset, or `None`.
pub(super) fn parse(file: &Arc<SourceFile>) -> Option<Vec<Document>> {
    let text: &str = &file.text;
    if !text.bytes().all(|b| matches!(b, b' '..=b'~' | b'\n')) {
        return None;
    }
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        indent: None,
        marker: false,
        tree: Builder::new(file),
    };
    reader.stream().ok()?;
    reader.tree.finish()
}

/// This reader leaves the file to the event reader.
struct Decline;

type Read<T = ()> = Result<T, Decline>;

/// A key scanned, not yet given to the tree.
struct Key<'t> {
    name: Cow<'t, str>,
    plain: bool,
    span: Range<usize>,
}

/// The reader's place in the text, and the tree it builds.
struct Reader<'t, 'f> {
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
    /// The indent of the line `pos` is on (at its first character) after [`Reader::next_line`];
    /// `None` at the end of the text.
    indent: Option<usize>,
    /// `pos` is at a `---` line that ends a document.
    marker: bool,
    tree: Builder<'f>,
}

fn flow_indicator(b: u8) -> bool {
    matches!(b, b',' | b'[' | b']' | b'{' | b'}')
}

impl<'t> Reader<'t, '_> {
    /// The byte at `i`, or 0 past the end (the text has no 0 byte).
    fn at(&self, i: usize) -> u8 {
        self.bytes.get(i).copied().unwrap_or(0)
    }

    fn spaces(&mut self) -> usize {
        let start = self.pos;
        while self.at(self.pos) == b' ' {
            self.pos += 1;
        }
        self.pos - start
    }

    /// `- ` (or `-` ending the line) at `pos`: a block sequence entry.
    fn is_dash(&self) -> bool {
        self.at(self.pos) == b'-' && matches!(self.at(self.pos + 1), b' ' | b'\n' | 0)
    }

    /// From the start of a line, skips blank and comment lines to the first character of
    /// the next line with content, and records its indent; `None` at the end of the text
    /// or at a `---` line (then `pos` is at its start and `marker` is set).
    fn next_line(&mut self) -> Read {
        loop {
            let start = self.pos;
            if start >= self.bytes.len() {
                self.indent = None;
                return Ok(());
            }
            let line = &self.bytes[start..];
            if line.starts_with(b"---") && matches!(self.at(start + 3), b'\n' | 0) {
                self.indent = None;
                self.marker = true;
                return Ok(());
            }
            if line.starts_with(b"---") || line.starts_with(b"...") {
                return Err(Decline);
            }
            self.spaces();
            match self.at(self.pos) {
                b'\n' => self.pos += 1,
                0 => {}
                b'#' => self.skip_comment(),
                _ => {
                    self.indent = Some(self.pos - start);
                    return Ok(());
                }
            }
        }
    }

    /// Skips a comment, to the start of the next line.
    fn skip_comment(&mut self) {
        match memchr_newline(&self.bytes[self.pos..]) {
            Some(n) => self.pos += n + 1,
            None => self.pos = self.bytes.len(),
        }
    }

    /// After a value: spaces, an optional comment, the end of the line; then to the next
    /// line with content.
    fn end_line(&mut self) -> Read {
        let spaces = self.spaces();
        match self.at(self.pos) {
            b'\n' => self.pos += 1,
            0 => {}
            b'#' if spaces > 0 => self.skip_comment(),
            _ => return Err(Decline),
        }
        self.next_line()
    }

    /// A plain scalar from `start`: its end (trailing spaces excluded), or `None` if none
    /// starts there. `flow` inside a flow collection, where `,[]{}` end it.
    fn scan_plain(&self, start: usize, flow: bool) -> Option<usize> {
        let safe = |b: u8| b > b' ' && !(flow && flow_indicator(b));
        match self.at(start) {
            b'-' if safe(self.at(start + 1)) => {}
            b'-' | b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!'
            | b'|' | b'>' | b'\'' | b'"' | b'%' | b'@' | b'`' | b' ' | b'\n' | 0 => {
                return None;
            }
            _ => {}
        }
        let (mut i, mut end) = (start + 1, start + 1);
        loop {
            match self.at(i) {
                b'\n' | 0 => return Some(end),
                b' ' => i += 1,
                b'#' if self.at(i - 1) == b' ' => return Some(end),
                b':' if !safe(self.at(i + 1)) => return Some(end),
                b if flow && flow_indicator(b) => return Some(end),
                _ => {
                    i += 1;
                    end = i;
                }
            }
        }
    }

    /// A quoted scalar whose opening `quote` is at `start`: its value and end (after the
    /// closing quote), or `None` if it does not close on its line or has an escape.
    fn scan_quoted(&self, start: usize, quote: u8) -> Option<(Cow<'t, str>, usize)> {
        let mut owned: Option<String> = None;
        let (mut from, mut i) = (start + 1, start + 1);
        loop {
            match self.at(i) {
                b'\n' | 0 => return None,
                b'\\' if quote == b'"' => return None,
                b'\'' if quote == b'\'' && self.at(i + 1) == b'\'' => {
                    owned
                        .get_or_insert_with(String::new)
                        .push_str(&self.text[from..=i]);
                    i += 2;
                    from = i;
                }
                b if b == quote => break,
                _ => i += 1,
            }
        }
        let last = &self.text[from..i];
        let value = match owned {
            None => Cow::Borrowed(last),
            Some(mut s) => {
                s.push_str(last);
                Cow::Owned(s)
            }
        };
        Some((value, i + 1))
    }

    /// A scalar at `pos`, plain or quoted: value, whether plain, span.
    fn scan_scalar(&self, flow: bool) -> Option<(Cow<'t, str>, bool, Range<usize>)> {
        let start = self.pos;
        if let q @ (b'\'' | b'"') = self.at(start) {
            let (value, end) = self.scan_quoted(start, q)?;
            Some((value, false, start..end))
        } else {
            let end = self.scan_plain(start, flow)?;
            Some((Cow::Borrowed(&self.text[start..end]), true, start..end))
        }
    }

    /// The block mapping key at `pos`, if the line holds one: a scalar, then `:` and a
    /// space or the end of the line.
    fn scan_key(&self) -> Option<Key<'t>> {
        let (name, plain, span) = self.scan_scalar(false)?;
        if span.len() > MAX_KEY
            || self.at(span.end) != b':'
            || !matches!(self.at(span.end + 1), b' ' | b'\n' | 0)
        {
            return None;
        }
        Some(Key { name, plain, span })
    }

    /// The documents: each a block collection, `---` lines between them.
    fn stream(&mut self) -> Read {
        self.next_line()?;
        loop {
            if self.marker {
                self.marker = false;
                self.pos = (self.pos + 4).min(self.bytes.len());
                self.next_line()?;
            }
            self.tree.document_start(false).ok_or(Decline)?;
            // An empty document is the event reader's.
            let indent = self.indent.ok_or(Decline)?;
            if self.is_dash() {
                self.block_sequence(indent, false)?;
            } else {
                let key = self.scan_key().ok_or(Decline)?;
                self.block_mapping(indent, key)?;
            }
            if self.indent.is_some() {
                return Err(Decline);
            }
            self.tree.document_end().ok_or(Decline)?;
            if !self.marker {
                return Ok(());
            }
        }
    }

    /// A block mapping at column `indent`, whose first key is `key` (at `pos`).
    fn block_mapping(&mut self, indent: usize, mut key: Key<'t>) -> Read {
        self.tree.start(true, self.pos..self.pos).ok_or(Decline)?;
        loop {
            self.pos = key.span.end + 1; // after the `:`
            self.tree
                .scalar(key.name, key.plain, key.span)
                .ok_or(Decline)?;
            self.mapping_value(indent)?;
            match self.indent {
                Some(n) if n == indent => key = self.scan_key().ok_or(Decline)?,
                Some(n) if n > indent => return Err(Decline),
                _ => break,
            }
        }
        self.tree.end().ok_or(Decline)
    }

    /// The value after a key's `:` in a mapping at column `indent`, to the next line with
    /// content.
    fn mapping_value(&mut self, indent: usize) -> Read {
        let spaces = self.spaces();
        match self.at(self.pos) {
            b'\n' | 0 => {}
            b'#' if spaces > 0 => {}
            _ => {
                self.inline_value()?;
                return self.end_line();
            }
        }
        // `end_line` reads the spaces again: they separate a comment (`key: # note`).
        self.pos -= spaces;
        self.end_line()?;
        match self.indent {
            Some(n) if n > indent => {
                if self.is_dash() {
                    self.block_sequence(n, false)
                } else {
                    let key = self.scan_key().ok_or(Decline)?;
                    self.block_mapping(n, key)
                }
            }
            Some(n) if n == indent && self.is_dash() => self.block_sequence(n, true),
            // An empty value, or a scalar on the lines below.
            _ => Err(Decline),
        }
    }

    /// A block sequence whose first `-` is at `pos`, column `indent`; `indentless` when it
    /// is a mapping's value at the mapping's own indent. Its span, as granit-parser gives
    /// it: empty, at the first `-`, or at the first item when indentless.
    fn block_sequence(&mut self, indent: usize, indentless: bool) -> Read {
        let mut first = true;
        if !indentless {
            self.tree.start(false, self.pos..self.pos).ok_or(Decline)?;
            first = false;
        }
        loop {
            self.pos += 1; // the `-`
            let spaces = self.spaces();
            if spaces == 0 || matches!(self.at(self.pos), b'\n' | 0 | b'#') || self.is_dash() {
                // an empty item, an item on the lines below, or a sequence in a sequence
                return Err(Decline);
            }
            if first {
                self.tree.start(false, self.pos..self.pos).ok_or(Decline)?;
                first = false;
            }
            if let Some(key) = self.scan_key() {
                self.block_mapping(indent + 1 + spaces, key)?;
            } else {
                self.inline_value()?;
                self.end_line()?;
            }
            match self.indent {
                Some(n) if n == indent && self.is_dash() => {}
                Some(n) if n > indent => return Err(Decline),
                _ => break,
            }
        }
        self.tree.end().ok_or(Decline)
    }

    /// A value that starts and ends on the line: a flow collection or a scalar.
    fn inline_value(&mut self) -> Read {
        self.flow_node(false)
    }

    /// A flow collection or a scalar at `pos`; `flow` inside a flow collection.
    fn flow_node(&mut self, flow: bool) -> Read {
        match self.at(self.pos) {
            b'[' => self.flow_collection(false),
            b'{' => self.flow_collection(true),
            _ => {
                let (value, plain, span) = self.scan_scalar(flow).ok_or(Decline)?;
                self.pos = span.end;
                self.tree.scalar(value, plain, span).ok_or(Decline)
            }
        }
    }

    /// A flow mapping (`map`) or sequence opening at `pos`, closed on the same line.
    fn flow_collection(&mut self, map: bool) -> Read {
        let close = if map { b'}' } else { b']' };
        self.tree
            .start(map, self.pos..self.pos + 1)
            .ok_or(Decline)?;
        self.pos += 1;
        self.spaces();
        if self.at(self.pos) == close {
            self.pos += 1;
            return self.tree.end().ok_or(Decline);
        }
        loop {
            if map {
                if matches!(self.at(self.pos), b'[' | b'{') {
                    return Err(Decline);
                }
                let (name, plain, span) = self.scan_scalar(true).ok_or(Decline)?;
                if span.len() > MAX_KEY
                    || self.at(span.end) != b':'
                    || self.at(span.end + 1) != b' '
                {
                    return Err(Decline);
                }
                self.pos = span.end + 1;
                self.tree.scalar(name, plain, span).ok_or(Decline)?;
                self.spaces();
            }
            self.flow_node(true)?;
            self.spaces();
            match self.at(self.pos) {
                b',' => {
                    self.pos += 1;
                    self.spaces();
                    if self.at(self.pos) == close {
                        return Err(Decline); // a trailing comma
                    }
                }
                b if b == close => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(Decline),
            }
        }
        self.tree.end().ok_or(Decline)
    }
}

/// Where the first newline is in `bytes`.
fn memchr_newline(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::events::{
        self,
        tests::{assert_same, fixtures_taken},
    };
    use crate::yaml::parse_reference;
    use proptest::prelude::*;
    use std::fmt::Write as _;

    /// Where this reader accepts, the event reader and serde-saphyr must accept too, with
    /// the same values (including the `Number` flavour) and the same spans. Returns
    /// whether it accepted.
    fn agree(text: &str) -> bool {
        let file = SourceFile::new("t.yaml", text);
        let Some(ours) = parse(&file) else {
            return false;
        };
        let theirs = events::parse(&file).unwrap_or_else(|| {
            panic!("the subset reader accepted what the event reader declines:\n{text}")
        });
        assert_same(&ours, &theirs, text);
        let reference = parse_reference(&file).unwrap_or_else(|e| {
            panic!("the subset reader accepted what serde-saphyr rejects: {e:?}\n{text}")
        });
        assert_same(&ours, &reference, text);
        true
    }

    #[test]
    fn agrees_on_every_fixture_and_example() {
        let (taken, files) = fixtures_taken(agree);
        // Most fixtures are Tasks as users write them: the subset must take them.
        assert!(taken * 2 >= files, "{taken} of {files} accepted");
    }

    #[test]
    fn takes_tasks_as_they_are_written() {
        for text in [
            // the peer benchmark's generator (`gen_tasks.py`), one Task of each kind
            "name: migrate-00001\nfunction: {image: \"example.org/acme/migrate:v5\", command: [\"migrate\"], args: [\"up\", \"--steps\", \"3\"]}\naction: job\nenvs: [{name: RETRIES, value: \"3\"}, {name: FEATURE_FLAGS, value: \"a,b,c\"}]\nsecrets: [db-creds]\nresources: {limits: {cpu: \"250m\", memory: 512Mi}, requests: {cpu: \"100m\", memory: 128Mi}}\nnode_selector: [{key: zone, value: a}]\ntolerations: [{key: dedicated, operator: Equal, value: \"batch\", effect: NoSchedule}]\nvolumes: [{volume_type: empty_dir, name: scratch, mount_path: /scratch}, {volume_type: persistent_volume_claim, name: data, mount_path: /data, spec: {claim_name: migrate-data-01}}]\nrun_as_user: 1000\nrun_as_group: 1000\nfs_group: 1000\n",
            // block style, compact mappings in lists, comments, a sequence at its key's indent
            "# a Task\nname: train\naction: job  # the kind\nfunction:\n  image: busybox:1.36\n  command: [sh, -c, 'echo ''hi''']\nenvs:\n- name: A\n  value: \"1\"\n-   name: B\n    value: x y\n\nvolumes:\n  - volume_type: empty_dir\n    name: scratch\n    mount_path: /scratch\n    spec: {}\nlabels: {team: ml, 'app.kubernetes.io/part-of': x}\nreplicas: 2\n",
            "- 1\n- [a, {b: c}]\n- {}\n- []\n- ''\n- a:b\n- -3\n",
            "  indented: 1\n  root: [x]\n",
            "---\n# rendered\napiVersion: v1\nkind: Service\n---\n- a\n- b\n",
            "k: v # comment\n'quoted key': 1\n\"a/b~c\": 2\nl: 18446744073709551615\n",
            // a comment after a key whose value is on the lines below
            "envs: # the environment\n- name: A\n  value: '1'\nfunction:   # where it runs\n  image: busybox\n  args: #\n    - -c\n",
        ] {
            assert!(agree(text), "declined:\n{text}");
        }
    }

    #[test]
    fn declines_what_it_does_not_read() {
        for text in [
            "",
            "# only a comment\n",
            "plain scalar document\n",
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: 1\na: 2\n",
            "a: 1\na: {b: 1}\n",
            "- {a: 1, a: 2}\n",
            "<<: {a: 1}\n",
            "? a\n: b\n",
            "1: a\n",
            "a: [\n",
            "a: [b,\n  c]\n",
            "a: [b, ]\n",
            "a: {b: }\n",
            "a:\nb: 1\n",
            "a: # c\nb: 1\n",
            "a: b\n  c\n",
            "a: |\n  x\n",
            "a: >\n  x\n",
            "a: \"x\\ty\"\n",
            "a: 'x\n  y'\n",
            "a:\tb\n",
            "a: b\r\n",
            "a: é\n",
            "---\n---\na: 1\n",
            "--- a: 1\n",
            "a: 1\n---\n",
            "a: 1\n...\n",
            "%YAML 1.2\n---\na: 1\n",
            "- - a\n",
            "-\n  a\n",
            "a : b\n",
            "a: b: c\n",
            "a: 'x'y\n",
            "a: 'x'# c\n",
            "- a\nb: 1\n",
            "a: 1\n- b\n",
            "a:\n  b: 1\n c: 2\n",
            "a: {b: [c: d]}\n",
            "a: {\"b\":c}\n",
            format!("{}: 1\n", "k".repeat(MAX_KEY + 1)).as_str(),
            format!("a: {}{}\n", "[".repeat(40), "]".repeat(40)).as_str(),
        ] {
            let file = SourceFile::new("t.yaml", text);
            assert!(parse(&file).is_none(), "accepted:\n{text:.80}");
        }
    }

    /// A random tree, its scalars written as YAML tokens.
    #[derive(Debug, Clone)]
    enum Node {
        Scalar(String),
        Map(Vec<(String, Node)>),
        Seq(Vec<Node>),
    }

    /// Scalars as Task files have them, and now and then any of the event reader's atoms.
    fn scalar() -> impl Strategy<Value = String> {
        const TAME: &[&str] = &[
            "train",
            "busybox:1.36",
            "example.org/acme/migrate:v5",
            "\"example.org/acme/migrate:v5\"",
            "-c",
            "--steps",
            "echo hi",
            "'echo ''hi'''",
            "\"3\"",
            "'a,b,c'",
            "a,b",
            "x#y",
            "a:b",
            "/data",
            "500m",
            "1Gi",
            "1000",
            "0.5",
            "true",
            "null",
            "~",
            "''",
            "\"\"",
            "NoSchedule",
            "app.kubernetes.io/name",
        ];
        prop_oneof![
            9 => prop::sample::select(TAME).prop_map(str::to_owned),
            1 => events::tests::scalar().prop_map(|s| s.replace('\n', " ")),
        ]
    }

    fn key() -> impl Strategy<Value = String> {
        const KEYS: &[&str] = &[
            "name", "image", "envs", "value", "spec", "a b", "'quoted'", "\"dq\"", "x-y", "k8s/x",
        ];
        prop_oneof![
            9 => prop::sample::select(KEYS).prop_map(str::to_owned),
            1 => events::tests::scalar().prop_map(|s| s.replace('\n', " ")),
        ]
    }

    fn node() -> impl Strategy<Value = Node> {
        scalar()
            .prop_map(Node::Scalar)
            .prop_recursive(4, 40, 4, |inner| {
                prop_oneof![
                    prop::collection::vec((key(), inner.clone()), 0..4).prop_map(Node::Map),
                    prop::collection::vec(inner, 0..4).prop_map(Node::Seq),
                ]
            })
    }

    /// Layout choices, taken in turn.
    struct Dice(Vec<u8>, usize);

    impl Dice {
        fn roll(&mut self, sides: u8) -> u8 {
            self.1 += 1;
            self.0
                .get(self.1 % self.0.len().max(1))
                .copied()
                .unwrap_or(0)
                % sides
        }
    }

    fn flow(node: &Node, out: &mut String) {
        match node {
            Node::Scalar(s) => out.push_str(s),
            Node::Map(pairs) => {
                out.push('{');
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    let _ = write!(out, "{k}: ");
                    flow(v, out);
                }
                out.push('}');
            }
            Node::Seq(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    flow(v, out);
                }
                out.push(']');
            }
        }
    }

    /// Noise between lines: a comment or a blank line, at times.
    fn noise(indent: usize, dice: &mut Dice, out: &mut String) {
        match dice.roll(8) {
            0 => {
                let _ = writeln!(out, "{}# note", " ".repeat(indent));
            }
            1 => out.push('\n'),
            _ => {}
        }
    }

    /// The rest of a line holding `node` as a value (after `key:` or `- `), and the lines
    /// below it at deeper indents.
    fn value(node: &Node, indent: usize, dice: &mut Dice, out: &mut String) {
        let block = match node {
            Node::Map(p) => !p.is_empty() && dice.roll(3) > 0,
            Node::Seq(s) => !s.is_empty() && dice.roll(3) > 0,
            Node::Scalar(_) => false,
        };
        if block {
            out.push('\n');
            let deeper = match node {
                Node::Seq(_) if dice.roll(2) == 0 => indent,
                _ => indent + 1 + usize::from(dice.roll(3)),
            };
            write_block(node, deeper, dice, out);
        } else {
            out.push(' ');
            flow(node, out);
            if dice.roll(5) == 0 {
                out.push_str(" # c");
            }
            out.push('\n');
        }
    }

    /// `node`, a collection, in block style at `indent`.
    fn write_block(node: &Node, indent: usize, dice: &mut Dice, out: &mut String) {
        let pad = " ".repeat(indent);
        match node {
            Node::Map(pairs) => {
                for (k, v) in pairs {
                    noise(indent, dice, out);
                    let _ = write!(out, "{pad}{k}:");
                    value(v, indent, dice, out);
                }
            }
            Node::Seq(items) => {
                for v in items {
                    noise(indent, dice, out);
                    let spaces = 1 + usize::from(dice.roll(4) == 0);
                    let _ = write!(out, "{pad}-{}", " ".repeat(spaces));
                    match v {
                        Node::Map(pairs) if !pairs.is_empty() && dice.roll(4) > 0 => {
                            // a compact mapping: the first key on the dash's line
                            let inner = indent + 1 + spaces;
                            let mut first = String::new();
                            write_block(v, inner, dice, &mut first);
                            out.push_str(&first[inner.min(first.len())..]);
                        }
                        _ => {
                            // anything else inline (an item below its dash is declined)
                            flow(v, out);
                            out.push('\n');
                        }
                    }
                }
            }
            Node::Scalar(s) => {
                let _ = writeln!(out, "{pad}{s}");
            }
        }
    }

    /// Random YAML in the layouts Task files use, now and then damaged by one insertion.
    fn document() -> impl Strategy<Value = String> {
        (
            node(),
            prop::collection::vec(any::<u8>(), 1..64),
            any::<u16>(),
            0..24u8,
        )
            .prop_map(|(node, dice, at, damage)| {
                let node = match node {
                    Node::Scalar(_) => Node::Map(vec![("root".into(), node)]),
                    n => n,
                };
                let mut dice = Dice(dice, 0);
                let mut text = String::new();
                write_block(&node, usize::from(dice.roll(3)), &mut dice, &mut text);
                let insert = [
                    " ", "\n", ":", "- ", "#", "'", "\t", "---\n", "  ", "x", "[", ",",
                ];
                if let Some(piece) = insert.get(usize::from(damage))
                    && !text.is_empty()
                {
                    let at = usize::from(at) % text.len();
                    let at = (0..=at)
                        .rev()
                        .find(|i| text.is_char_boundary(*i))
                        .unwrap_or(0);
                    text.insert_str(at, piece);
                }
                text
            })
    }

    /// The generators must often produce what this reader takes, or the comparisons
    /// above would prove little.
    #[test]
    fn the_random_documents_are_often_taken() {
        use proptest::strategy::ValueTree;
        use proptest::test_runner::TestRunner;
        let mut runner = TestRunner::deterministic();
        let strategy = document();
        let taken = (0..1000)
            .filter(|_| {
                let text = strategy
                    .new_tree(&mut runner)
                    .map(|t| t.current())
                    .unwrap_or_default();
                agree(&text)
            })
            .count();
        // Half the documents are damaged; of the others, most are taken.
        assert!(taken >= 300, "{taken} of 1000 taken");
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

        /// Wherever this reader accepts, the event reader agrees on values and spans.
        #[test]
        fn subset_agrees_with_the_event_reader(text in document()) {
            agree(&text);
        }

        #[test]
        fn subset_agrees_on_the_event_readers_cases(text in events::tests::yaml()) {
            agree(&text);
        }

        #[test]
        fn subset_agrees_on_arbitrary_text(text in "[ -~\n]{0,120}") {
            agree(&text);
        }

        #[test]
        fn subset_agrees_on_scalars(k in events::tests::scalar(), v in events::tests::scalar()) {
            agree(&format!("{}: {}\n", k.replace('\n', " "), v));
            agree(&format!("- {v}\n"));
            agree(&format!("a: [{}]\n", v.replace('\n', " ")));
            agree(&format!("a: {{{}: {}}}\n", k.replace('\n', " "), v.replace('\n', " ")));
        }
    }
}
