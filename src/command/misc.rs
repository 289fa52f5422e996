//! The small commands: `schema`, `man`, `completions`.

use clap::CommandFactory;

use crate::cli::{Cli, SchemaKind, VersionFormat};
use crate::outcome::Outcome;
use crate::plan::kaniko::KANIKO_IMAGE;
use crate::schema;

/// `taskrender schema task|profile|project`: the checked-in JSON Schema.
pub(crate) fn schema(kind: SchemaKind) -> Outcome {
    let text = match kind {
        SchemaKind::Task => schema::TASK_SCHEMA,
        SchemaKind::Profile => schema::PROFILE_SCHEMA,
        SchemaKind::Project => crate::project::PROJECT_SCHEMA,
    };
    Outcome {
        stdout: text.as_bytes().to_vec(),
        ..Outcome::default()
    }
}

/// `taskrender man [SUBCOMMAND...]`: the manual page of taskrender or of a subcommand
/// (`taskrender-profiles-show.1` for `man profiles show`), as the pages its SEE ALSO names.
pub(crate) fn man(path: &[String]) -> Outcome {
    let mut command = Cli::command();
    command.build();
    let mut name = String::from("taskrender");
    for word in path {
        let Some(sub) = command.find_subcommand(word).cloned() else {
            let known: Vec<String> = command
                .get_subcommands()
                .map(|c| format!("`{}`", c.get_name()))
                .collect();
            return Outcome::usage(
                &format!("`{name}` has no subcommand `{word}`"),
                Some(&format!("pages exist for: {}", known.join(", "))),
            );
        };
        name = format!("{name}-{}", sub.get_name());
        command = sub;
    }
    let mut stdout = Vec::new();
    clap_mangen::Man::new(command)
        .title(name)
        .render(&mut stdout)
        .expect("writing to memory cannot fail");
    Outcome {
        stdout,
        ..Outcome::default()
    }
}

/// `taskrender version`: one stable line, or (`--format json`) the version with the
/// build's commit and target, the Kubernetes version of the vendored definitions, the
/// builder image and the schemas' `$id`.
pub(crate) fn version(format: VersionFormat) -> Outcome {
    let version = env!("CARGO_PKG_VERSION");
    let text = match format {
        VersionFormat::Human => format!("taskrender {version}\n"),
        VersionFormat::Json => {
            let id = |text: &str| {
                serde_json::from_str::<serde_json::Value>(text)
                    .ok()
                    .and_then(|v| v.get("$id").cloned())
                    .unwrap_or_default()
            };
            let value = serde_json::json!({
                "version": version,
                "commit": option_env!("TASKRENDER_COMMIT").unwrap_or("unknown"),
                "target": env!("TASKRENDER_TARGET"),
                "kubernetes": KUBERNETES_VERSION,
                "builder_image": KANIKO_IMAGE,
                "task_schema": id(schema::TASK_SCHEMA),
                "profile_schema": id(schema::PROFILE_SCHEMA),
            });
            format!("{value}\n")
        }
    };
    Outcome {
        stdout: text.into_bytes(),
        ..Outcome::default()
    }
}

/// The Kubernetes version taskrender's objects and vendored definitions follow (the
/// `k8s-openapi` feature `v1_37`).
const KUBERNETES_VERSION: &str = "1.37";

/// `taskrender completions SHELL`.
pub(crate) fn completions(shell: clap_complete::Shell) -> Outcome {
    let mut stdout = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "taskrender", &mut stdout);
    Outcome {
        stdout,
        ..Outcome::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every page a page refers to (`taskrender-profiles(1)`) is one `man` prints.
    #[test]
    fn every_referenced_page_exists() {
        let mut pending = vec![Vec::<String>::new()];
        let mut seen = 0;
        while let Some(path) = pending.pop() {
            let out = man(&path);
            assert_eq!(out.code, 0, "{path:?}: {}", out.stderr);
            seen += 1;
            let page = String::from_utf8(out.stdout).unwrap();
            for (i, _) in page.match_indices("(1)") {
                let start = page[..i].rfind(['\n', ' ']).map_or(0, |s| s + 1);
                let name = page[start..i].replace("\\-", "-");
                let Some(rest) = name.strip_prefix("taskrender-") else {
                    continue;
                };
                let mut sub = path.clone();
                sub.push(rest.rsplit('-').next().unwrap().to_owned());
                if rest.split('-').count() == sub.len() && sub.last().is_some_and(|s| s != "help") {
                    pending.push(sub);
                }
            }
        }
        // taskrender, its 10 subcommands, and `profiles list|show`
        assert_eq!(seen, 13);
        assert_eq!(man(&["nope".into()]).code, 2);
    }

    #[test]
    fn version_json_names_what_it_renders_against() {
        let out = version(VersionFormat::Json);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "version",
                "commit",
                "target",
                "kubernetes",
                "builder_image",
                "task_schema",
                "profile_schema"
            ]
        );
        assert_eq!(v["kubernetes"], "1.37");
        assert_eq!(
            version(VersionFormat::Human).stdout,
            format!("taskrender {}\n", env!("CARGO_PKG_VERSION")).into_bytes()
        );
    }
}
