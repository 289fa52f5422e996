//! The project file, `taskrender.yaml`: named environments, each a set of Task paths,
//! profile folders, template variables, a namespace and an output folder. Text
//! ([`SourceFile`]) in, [`Project`] out; `schemas/project.schema.json` is generated from it.

use std::collections::BTreeMap;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::diagnostic::{Diagnostic, ErrorKind};
use crate::text::SourceFile;
use crate::yaml;

/// The checked-in schema of the project file (`taskrender schema project`).
pub(crate) const PROJECT_SCHEMA: &str = include_str!("../schemas/project.schema.json");

/// A taskrender project: the environments one repository renders.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "taskrender project", extend("$id" = "https://taskrender.dev/schemas/project.schema.json"))]
pub(crate) struct Project {
    /// Environments by name (`render --env NAME`, `render --all-envs`, `diff --all-envs`).
    #[schemars(extend("propertyNames" = {"pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"}))]
    pub(crate) environments: BTreeMap<String, Environment>,
}

/// One environment: what `render --env NAME` renders, and where to. Paths are relative to
/// the project file's folder.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Environment {
    /// Task files and folders (every `*.yaml` / `*.yml` below).
    #[schemars(length(min = 1))]
    pub(crate) tasks: Vec<String>,
    /// Profile folders, searched in order before the built-in profiles.
    #[serde(default)]
    pub(crate) profiles: Vec<String>,
    /// Variables of the profile templates (`vars.KEY`); `--set` on the command line wins.
    #[serde(default)]
    pub(crate) set: BTreeMap<String, String>,
    /// Namespace of every rendered object (`--namespace` on the command line wins).
    #[schemars(regex(pattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"), length(max = 63))]
    pub(crate) namespace: Option<String>,
    /// The folder `render` writes (as `-o`) and `diff` compares with.
    pub(crate) output: String,
}

/// Reads a project file: YAML, one document, decoded with the error's location.
pub(crate) fn parse(file: &Arc<SourceFile>) -> Result<Project, Diagnostic> {
    let docs = yaml::parse(file)?;
    let Some(doc) = docs.first() else {
        return Err(Diagnostic::new(ErrorKind::InvalidProject {
            path: file.name.clone(),
            problem: "it is empty".into(),
        }));
    };
    let project: Project = serde_path_to_error::deserialize(&doc.value).map_err(|e| {
        let mut pointer = String::new();
        for seg in e.path() {
            pointer.push('/');
            pointer.push_str(&seg.to_string().replace('~', "~0").replace('/', "~1"));
        }
        let pointer = if pointer == "/." {
            String::new()
        } else {
            pointer
        };
        Diagnostic::new(ErrorKind::InvalidProject {
            path: file.name.clone(),
            problem: e.inner().to_string(),
        })
        .at(file, doc.spans.value(&pointer), "here")
        .with_help("`taskrender schema project` prints the project file's JSON Schema")
    })?;
    let label = |s: &str| {
        !s.is_empty()
            && s.len() <= 63
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
    };
    for (name, env) in &project.environments {
        let bad = if label(name) {
            env.namespace.as_deref().filter(|ns| !label(ns)).map(|ns| {
                (
                    format!("/environments/{name}/namespace"),
                    format!("namespace `{ns}` is not a DNS-1123 label"),
                )
            })
        } else {
            Some((
                format!("/environments/{name}"),
                format!("environment name `{name}` is not a DNS-1123 label"),
            ))
        };
        if let Some((pointer, problem)) = bad {
            return Err(Diagnostic::new(ErrorKind::InvalidProject {
                path: file.name.clone(),
                problem,
            })
            .at(file, doc.spans.key(&pointer), "here"));
        }
    }
    Ok(project)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_file_is_fresh() {
        let settings = schemars::generate::SchemaSettings::draft2020_12();
        let mut value = settings
            .into_generator()
            .into_root_schema_for::<Project>()
            .to_value();
        value["$comment"] = serde_json::json!(
            "generated from src/project.rs; run `UPDATE_SCHEMA=1 cargo test schema` after changing it"
        );
        let generated = serde_json::to_string_pretty(&value).unwrap() + "\n";
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(
                concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/project.schema.json"),
                &generated,
            )
            .unwrap();
            return;
        }
        assert!(
            generated == PROJECT_SCHEMA,
            "schemas/project.schema.json is stale: run `UPDATE_SCHEMA=1 cargo test schema`"
        );
    }

    #[test]
    fn errors_point_at_the_value() {
        let file = SourceFile::new(
            "taskrender.yaml",
            "environments:\n  prod:\n    tasks: [t/]\n    output: out\n    namespcae: x\n",
        );
        let e = parse(&file).unwrap_err();
        assert_eq!(e.kind.code(), "project::invalid");
        assert!(e.to_string().contains("unknown field `namespcae`"), "{e}");
        let file = SourceFile::new(
            "taskrender.yaml",
            "environments:\n  prod: {tasks: [t/], output: out, set: {a: b}}\n",
        );
        let p = parse(&file).unwrap();
        assert_eq!(p.environments["prod"].set["a"], "b");
    }
}
