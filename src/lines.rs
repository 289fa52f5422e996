//! Where lines are in a source text, found in one pass on first use: line and column of
//! an offset, the bounds of a line, and the few lines a report shows, each in logarithmic
//! time, so that reporting many problems in a big file costs in proportion to their number.

use std::ops::Range;

/// Longest source line shown in a report; a longer one (minified or generated YAML)
/// would flood the terminal, so the report names the place instead (and leaves it out
/// of the context lines around another line's problem).
pub(crate) const MAX_SHOWN_LINE: usize = 300;

/// Bytes between two character-count checkpoints.
const CHUNK: usize = 4096;

/// The line structure of one text.
#[derive(Debug, Default)]
pub(crate) struct LineIndex {
    /// Offsets of every `\n`.
    newlines: Vec<usize>,
    /// Offsets of every `\r` not followed by `\n` (a line break to miette, not to us).
    lone_cr: Vec<usize>,
    /// `(offset, characters before it)` at a character boundary in each `CHUNK`.
    chars: Vec<(usize, usize)>,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut index = Self::default();
        let mut chars = 0;
        let mut next_checkpoint = 0;
        for (i, &b) in bytes.iter().enumerate() {
            // A byte that is not a UTF-8 continuation byte starts a character.
            let starts_char = b & 0xC0 != 0x80;
            // The first character boundary at or after each multiple of `CHUNK` (a
            // character may straddle the multiple itself).
            if starts_char && i >= next_checkpoint {
                index.chars.push((i, chars));
                next_checkpoint = (i / CHUNK + 1) * CHUNK;
            }
            match b {
                b'\n' => index.newlines.push(i),
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => index.lone_cr.push(i),
                _ => {}
            }
            if starts_char {
                chars += 1;
            }
        }
        index
    }

    /// Characters in `text[..offset]` (`offset` on a character boundary).
    fn chars_before(&self, text: &str, offset: usize) -> usize {
        let k = self.chars.partition_point(|(o, _)| *o <= offset);
        let (from, count) = k.checked_sub(1).map_or((0, 0), |k| self.chars[k]);
        count + text[from..offset].chars().count()
    }

    /// 0-based line (counting `\n` only) holding `offset`.
    pub(crate) fn line_of(&self, offset: usize) -> usize {
        self.newlines.partition_point(|&n| n < offset)
    }

    /// Byte range of line `line` (0-based), without its `\n`.
    pub(crate) fn line_range(&self, text: &str, line: usize) -> Range<usize> {
        let start = line
            .checked_sub(1)
            .and_then(|l| self.newlines.get(l))
            .map_or(0, |n| n + 1);
        let end = self.newlines.get(line).copied().unwrap_or(text.len());
        start..end
    }

    /// Number of `\n`-separated lines.
    pub(crate) fn line_count(&self) -> usize {
        self.newlines.len() + 1
    }

    /// 1-based line and column (in characters) of a byte offset. Lines end at `\n`, `\r\n`
    /// or a lone `\r`, as YAML and the human report count them, so every report format
    /// gives the same place.
    pub(crate) fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let newlines = self.newlines.partition_point(|&n| n < offset);
        let lone_cr = self.lone_cr.partition_point(|&n| n < offset);
        let last_break = [
            newlines.checked_sub(1).map(|k| self.newlines[k]),
            lone_cr.checked_sub(1).map(|k| self.lone_cr[k]),
        ]
        .into_iter()
        .flatten()
        .max();
        let start = last_break.map_or(0, |b| b + 1);
        let col = self.chars_before(text, offset) - self.chars_before(text, start);
        (newlines + lone_cr + 1, col + 1)
    }

    /// Line breaks before `offset` the way miette counts them (`\n`, `\r\n`, lone `\r`).
    pub(crate) fn miette_lines_before(&self, offset: usize) -> usize {
        self.newlines.partition_point(|&n| n < offset)
            + self.lone_cr.partition_point(|&n| n < offset)
    }

    /// The text a report excerpt of `span` with `before` and `after` context lines needs:
    /// from the start of the first context line to the end of the last (with its `\n`).
    /// A context line longer than `max_line` is left out, with every line beyond it.
    pub(crate) fn excerpt(
        &self,
        text: &str,
        span: Range<usize>,
        before: usize,
        after: usize,
        max_line: usize,
    ) -> Range<usize> {
        let first = self.line_of(span.start.min(text.len()));
        let last = self
            .line_of(span.end.saturating_sub(1).max(span.start).min(text.len()))
            .max(first);
        let short = |line: usize| self.line_range(text, line).len() <= max_line;
        let mut top = first;
        while top > 0 && first - top < before && short(top - 1) {
            top -= 1;
        }
        let mut bottom = last;
        while bottom + 1 < self.line_count() && bottom - last < after && short(bottom + 1) {
            bottom += 1;
        }
        let start = self.line_range(text, top).start;
        // Through the last line's `\n`: where the excerpt ends in the whole text too.
        let end = (self.line_range(text, bottom).end + 1).min(text.len());
        start..end.max(span.end.min(text.len()))
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
    use proptest::prelude::*;

    /// The definition: count over the whole prefix; a line ends at `\n` or at a `\r` the
    /// whole text does not follow with `\n`.
    fn slow_line_col(text: &str, offset: usize) -> (usize, usize) {
        let end = floor_char_boundary(text, offset.min(text.len()));
        let (mut line, mut col) = (1, 1);
        for (i, c) in text[..end].char_indices() {
            let breaks = c == '\n' || (c == '\r' && !text[i + 1..].starts_with('\n'));
            if breaks {
                (line, col) = (line + 1, 1);
            } else {
                col += 1;
            }
        }
        (line, col)
    }

    proptest! {
        #[test]
        fn line_col_agrees_with_counting(text in "[a\n\ré😀]{0,40}", offset in 0usize..50) {
            let index = LineIndex::new(&text);
            prop_assert_eq!(index.line_col(&text, offset), slow_line_col(&text, offset));
        }
    }

    /// Found by the `check_document` fuzz target: a three-byte character across byte 4096
    /// (a checkpoint was taken inside it, and slicing there panicked).
    #[test]
    fn checkpoints_never_split_a_character() {
        let text = "a".repeat(4094) + "\u{FFFD}" + "\nbb: x\n";
        let index = LineIndex::new(&text);
        for offset in [4093, 4094, 4095, 4096, 4097, 4098, 4099, text.len()] {
            assert_eq!(index.line_col(&text, offset), slow_line_col(&text, offset));
        }
        for start in 4090..4100 {
            let text = "a".repeat(start) + "😀\nx";
            let index = LineIndex::new(&text);
            assert_eq!(
                index.line_col(&text, text.len()),
                slow_line_col(&text, text.len())
            );
        }
    }

    #[test]
    fn checkpoints_cover_long_texts() {
        let text = "é".repeat(5000) + "\nab" + &"x".repeat(9000);
        let index = LineIndex::new(&text);
        for offset in [0, 1, 2, 4095, 4096, 9999, 10_000, 10_001, 10_003, 19_003] {
            assert_eq!(index.line_col(&text, offset), slow_line_col(&text, offset));
        }
    }

    #[test]
    fn excerpts_leave_out_huge_neighbours() {
        let text = "short\nhuge huge huge\nerror here\nshort\n";
        let index = LineIndex::new(text);
        let span = 22..27; // `error`
        assert_eq!(
            &text[index.excerpt(text, span.clone(), 1, 1, 100)],
            "huge huge huge\nerror here\nshort\n"
        );
        assert_eq!(
            &text[index.excerpt(text, span, 1, 1, 10)],
            "error here\nshort\n"
        );
    }
}
