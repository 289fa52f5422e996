//! `--format json`: one JSON object a line (fields are never removed: scripts read them).

use crate::diagnostic::Diagnostic;

/// One diagnostic as a JSON object.
pub(crate) fn line(d: &Diagnostic) -> String {
    let place = super::place(d);
    serde_json::json!({
        "code": d.kind.code(),
        "severity": super::severity(d),
        "message": d.kind.to_string(),
        "file": place.map(|p| p.0),
        "line": place.map(|p| p.1.0),
        "column": place.map(|p| p.1.1),
        "end": place.map(|p| serde_json::json!({"line": p.2.0, "column": p.2.1})),
        "label": d.labels.first().map(|l| l.text.as_str()).filter(|t| !t.is_empty()),
        "help": d.help,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn fixed_set() {
        let lines: Vec<String> = super::super::sample().iter().map(super::line).collect();
        assert_eq!(
            lines,
            [
                r#"{"code":"schema::invalid_value","severity":"error","message":"invalid `action`: expected one of: job, serve, deploy, build","file":"tasks/t.yaml","line":2,"column":9,"end":{"line":2,"column":12},"label":"not an action","help":"did you mean `job`?"}"#,
                r#"{"code":"task::duplicate","severity":"warning","message":"duplicate env name `A,B:C`","file":"tasks/t.yaml","line":1,"column":1,"end":{"line":1,"column":5},"label":"repeated here","help":null}"#,
                r#"{"code":"profile::unknown","severity":"error","message":"unknown profile `gpu\nx`","file":null,"line":null,"column":null,"end":null,"label":null,"help":null}"#,
            ]
        );
    }
}
