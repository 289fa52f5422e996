//! `--format github`: GitHub Actions workflow commands (an annotation on the file).

use crate::diagnostic::Diagnostic;

/// One diagnostic as a workflow command.
pub(crate) fn line(d: &Diagnostic) -> String {
    // Workflow-command escaping: data escapes %, CR, LF; properties also `:` and `,`.
    let data = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let prop = |s: &str| data(s).replace(':', "%3A").replace(',', "%2C");
    let mut props = Vec::new();
    if let Some((file, (line, col), (end_line, end_col))) = super::place(d) {
        props.push(format!("file={}", prop(file)));
        props.push(format!("line={line}"));
        props.push(format!("col={col}"));
        props.push(format!("endLine={end_line}"));
        if end_line == line {
            props.push(format!("endColumn={end_col}"));
        }
    }
    props.push(format!("title={}", prop(d.kind.code())));
    let mut message = d.kind.to_string();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    format!(
        "::{} {}::{}",
        super::severity(d),
        props.join(","),
        data(&message)
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn fixed_set() {
        let lines: Vec<String> = super::super::sample().iter().map(super::line).collect();
        assert_eq!(
            lines,
            [
                "::error file=tasks/t.yaml,line=2,col=9,endLine=2,endColumn=12,title=schema%3A%3Ainvalid_value::invalid `action`: expected one of: job, serve, deploy, build%0Ahelp: did you mean `job`?",
                "::warning file=tasks/t.yaml,line=1,col=1,endLine=1,endColumn=5,title=task%3A%3Aduplicate::duplicate env name `A,B:C`",
                "::error title=profile%3A%3Aunknown::unknown profile `gpu%0Ax`",
            ]
        );
    }
}
