//! Diagnostics → text for stderr, in one of three formats: [`human`] (miette's graphical
//! reports and a closing summary), [`json`] (one object a line) and [`github`] (workflow
//! commands). Pure: the caller prints.

mod github;
mod human;
mod json;

use crate::diagnostic::{Diagnostic, Severity};

/// How diagnostics are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Human,
    Json,
    Github,
}

/// Diagnostics in the chosen format: the text for stderr. `wrote_nothing` adds "nothing
/// was written" to the human summary of a failed render.
pub(crate) fn report(
    diagnostics: &[Diagnostic],
    format: Format,
    color: bool,
    wrote_nothing: bool,
) -> String {
    match format {
        Format::Human if diagnostics.is_empty() => String::new(),
        Format::Human => {
            human::reports(diagnostics, color) + &human::summary(diagnostics, wrote_nothing)
        }
        Format::Json => diagnostics.iter().map(|d| json::line(d) + "\n").collect(),
        Format::Github => diagnostics.iter().map(|d| github::line(d) + "\n").collect(),
    }
}

/// `(line, column)`, 1-based.
type LineCol = (usize, usize);

/// Where a diagnostic is: file name, start and end `(line, column)`, 1-based; the one
/// computation every format uses.
fn place(d: &Diagnostic) -> Option<(&str, LineCol, LineCol)> {
    let file = d.file.as_ref()?;
    let span = d.primary_span()?;
    Some((
        file.name.as_str(),
        file.line_col(span.start),
        file.line_col(span.end),
    ))
}

fn severity(d: &Diagnostic) -> &'static str {
    match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// A fixed set of diagnostics every format is tested on: an error with a span and help,
/// a warning with a second label, an error without a file.
#[cfg(test)]
pub(crate) fn sample() -> Vec<Diagnostic> {
    use crate::diagnostic::ErrorKind;
    use crate::text::SourceFile;
    let file = SourceFile::new(
        "tasks/t.yaml",
        "name: t\naction: jbo\nfunction: {image: x}\n",
    );
    vec![
        Diagnostic::new(ErrorKind::InvalidValue {
            field: "action".into(),
            problem: "expected one of: job, serve, deploy, build".into(),
        })
        .at(&file, 16..19, "not an action")
        .with_help("did you mean `job`?"),
        Diagnostic::new(ErrorKind::Duplicate {
            what: "env name".into(),
            value: "A,B:C".into(),
        })
        .at(&file, 0..4, "repeated here")
        .also(20..28, "first here")
        .warning(),
        Diagnostic::new(ErrorKind::UnknownProfile {
            name: "gpu\nx".into(),
        }),
    ]
}
