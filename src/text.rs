//! [`SourceFile`]: a text taskrender read (a Task file, a profile, a rendered profile),
//! with the name diagnostics show. Every stage reads it; it depends on nothing.

use std::sync::Arc;

/// One input file: its display name (as given on the command line, joined with the path
/// below a directory argument, or `<stdin>`) and its UTF-8 text.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct SourceFile {
    pub(crate) name: String,
    pub(crate) text: String,
}

impl SourceFile {
    pub(crate) fn new(name: impl Into<String>, text: impl Into<String>) -> Arc<Self> {
        Arc::new(Self {
            name: name.into(),
            text: text.into(),
        })
    }

    /// 1-based line and column (in characters) of a byte offset. Lines end at `\n`,
    /// `\r\n` or a lone `\r` (as YAML and the human report count them), so every report
    /// format gives the same place.
    pub(crate) fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let bytes = self.text.as_bytes();
        let (mut line, mut start) = (1, 0);
        for (i, b) in bytes[..offset].iter().enumerate() {
            let ends_line = match b {
                b'\n' => true,
                b'\r' => bytes.get(i + 1) != Some(&b'\n'),
                _ => false,
            };
            if ends_line {
                line += 1;
                start = i + 1;
            }
        }
        let col = self.text[start..offset].chars().count() + 1;
        (line, col)
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
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
}
