//! [`SourceFile`]: a text taskrender read (a Task file, a profile, a rendered profile),
//! with the name diagnostics show. Every stage reads it; it depends on nothing.

use std::sync::{Arc, OnceLock};

use crate::lines::LineIndex;

/// One input file: its display name (as given on the command line, joined with the path
/// below a directory argument, or `<stdin>`) and its UTF-8 text.
#[derive(Debug)]
pub(crate) struct SourceFile {
    pub(crate) name: String,
    pub(crate) text: String,
    /// Where the lines are, built when first needed (by a report).
    lines: OnceLock<LineIndex>,
}

impl PartialEq for SourceFile {
    fn eq(&self, other: &Self) -> bool {
        (&self.name, &self.text) == (&other.name, &other.text)
    }
}

impl Eq for SourceFile {}

impl SourceFile {
    pub(crate) fn new(name: impl Into<String>, text: impl Into<String>) -> Arc<Self> {
        Arc::new(Self {
            name: name.into(),
            text: text.into(),
            lines: OnceLock::new(),
        })
    }

    /// 1-based line and column (in characters) of a byte offset. Lines end at `\n`,
    /// `\r\n` or a lone `\r` (as YAML and the human report count them), so every report
    /// format gives the same place.
    pub(crate) fn line_col(&self, offset: usize) -> (usize, usize) {
        if self.lines.get().is_none()
            && let Some(prefix) = self.prefix_through_line(offset)
        {
            // Near the start (where a Task's `name` is, placed for every Task of a run):
            // the lines up to the offset's are enough; the whole text waits for a report.
            return LineIndex::new(prefix).line_col(prefix, offset);
        }
        self.lines().line_col(&self.text, offset)
    }

    /// The text up to the end of the line of `offset` (its `\n` included), when both are
    /// within the first few KiB.
    fn prefix_through_line(&self, offset: usize) -> Option<&str> {
        const NEAR: usize = 4096;
        let rest = self
            .text
            .as_bytes()
            .get(offset..NEAR.min(self.text.len()))?;
        let newline = rest.iter().position(|&b| b == b'\n')?;
        self.text.get(..offset + newline + 1)
    }

    /// The line index of the text (so that many positions cost no more than one pass).
    pub(crate) fn lines(&self) -> &LineIndex {
        self.lines.get_or_init(|| LineIndex::new(&self.text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_endings_of_every_kind() {
        for text in ["a: 1\nbb: 2\n", "a: 1\r\nbb: 2\r\n", "a: 1\rbb: 2\r"] {
            let f = SourceFile::new("t", text);
            let at = text.find('2').unwrap();
            assert_eq!(f.line_col(at), (2, 5), "{text:?}");
            assert_eq!(f.line_col(0), (1, 1));
        }
        let f = SourceFile::new("t", "é\rx");
        assert_eq!(f.line_col(3), (2, 1));
    }

    #[test]
    fn places_near_the_start_are_those_of_the_whole_index() {
        let long = format!("a: {}\nb: 1\n", "x".repeat(5000));
        for text in [
            "a: 1\nbé: 2\r\nc:\r3\n\n d: é\n",
            "\r\n\r\r\n\n",
            "x",
            &long,
        ] {
            let whole = LineIndex::new(text);
            for offset in 0..=text.len() + 1 {
                let fresh = SourceFile::new("t", text);
                assert_eq!(
                    fresh.line_col(offset),
                    whole.line_col(text, offset),
                    "{text:?} at {offset}"
                );
            }
        }
    }
}
