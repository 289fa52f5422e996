//! `--format human`: miette's graphical reports, 80 columns, no links, colour on request;
//! then one closing line, like cargo's.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use miette::{GraphicalReportHandler, GraphicalTheme};

use crate::diagnostic::{Diagnostic, Severity};
use crate::lines::MAX_SHOWN_LINE;

/// Words for wrapping: split at spaces outside backticks only, so a code span such as
/// `` `[--port, "8080"]` `` or `` `/data` `` is never broken across lines.
fn outside_code_spans(line: &str) -> Box<dyn Iterator<Item = textwrap::core::Word<'_>> + '_> {
    let mut words = Vec::new();
    let mut start = 0;
    let mut in_code = false;
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'`' => in_code = !in_code,
            b' ' if !in_code => {
                let mut end = i;
                while end < bytes.len() && bytes[end] == b' ' {
                    end += 1;
                }
                words.push(textwrap::core::Word::from(&line[start..end]));
                start = end;
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    if start < line.len() {
        words.push(textwrap::core::Word::from(&line[start..]));
    }
    Box::new(words.into_iter())
}

/// Renders every diagnostic as a graphical report.
pub(crate) fn reports(diagnostics: &[Diagnostic], color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(80)
        .with_links(false)
        .with_word_separator(textwrap::WordSeparator::Custom(outside_code_spans))
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
        .with_break_words(false);
    let mut out = String::new();
    for d in diagnostics {
        let d = &without_huge_snippet(d);
        // Rendering into a String cannot fail.
        let _ = handler.render_report(&mut out, d);
        out.push('\n');
    }
    out
}

fn without_huge_snippet(d: &Diagnostic) -> Diagnostic {
    let (Some(file), Some(span), Some((line, col))) = (&d.file, d.primary_span(), d.line_col())
    else {
        return d.clone();
    };
    let lines = file.lines();
    let range = lines.line_range(&file.text, lines.line_of(span.start.min(file.text.len())));
    let (start, end) = (range.start, range.end);
    if end - start <= MAX_SHOWN_LINE {
        return d.clone();
    }
    let mut short = d.clone();
    short.file = None;
    short.labels.clear();
    let place = format!(
        "at {}:{line}:{col} (a line of {} characters, not shown)",
        file.name,
        end - start
    );
    short.help = Some(match &d.help {
        Some(h) => format!("{place}\n{h}"),
        None => place,
    });
    short
}

/// The closing line of a run with problems, like cargo's.
pub(crate) fn summary(diagnostics: &[Diagnostic], wrote_nothing: bool) -> String {
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diagnostics.len() - errors;
    let files: BTreeSet<&str> = diagnostics
        .iter()
        .filter_map(|d| d.file.as_ref().map(|f| f.name.as_str()))
        .collect();
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("1 {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    let mut line = String::from(if errors > 0 { "error: " } else { "warning: " });
    let mut parts = Vec::new();
    if errors > 0 {
        parts.push(plural(errors, "error"));
    }
    if warnings > 0 {
        parts.push(plural(warnings, "warning"));
    }
    line.push_str(&parts.join(", "));
    if !files.is_empty() {
        let _ = write!(line, " in {}", plural(files.len(), "file"));
    }
    if errors > 0 && wrote_nothing {
        line.push_str("; nothing was written");
    }
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_set() {
        let text =
            reports(&super::super::sample(), false) + &summary(&super::super::sample(), true);
        assert_eq!(
            text,
            "\
schema::invalid_value

  × invalid `action`: expected one of: job, serve, deploy, build
   ╭─[tasks/t.yaml:2:9]
 1 │ name: t
 2 │ action: jbo
   ·         ─┬─
   ·          ╰── not an action
 3 │ function: {image: x}
   ╰────
  help: did you mean `job`?

task::duplicate

  ⚠ duplicate env name `A,B:C`
   ╭─[tasks/t.yaml:1:1]
 1 │ name: t
   · ──┬─
   ·   ╰── repeated here
 2 │ action: jbo
 3 │ function: {image: x}
   · ────┬───
   ·     ╰── first here
   ╰────

profile::unknown

  × unknown profile `gpu
  │ x`

error: 2 errors, 1 warning in 1 file; nothing was written
"
        );
    }
}
