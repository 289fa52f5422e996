//! `taskrender profiles list | show`: what profiles exist, and what one renders to.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read;

use crate::cli::{Color, ProfilesCommand};
use crate::outcome::{EXIT_INVALID, EXIT_USAGE, Outcome, Terminal};
use crate::{profile, report, source, yaml};

/// `taskrender profiles list | show`.
pub(crate) fn run(command: ProfilesCommand, stdin: &mut dyn Read, terminal: Terminal) -> Outcome {
    let color = terminal.color(Color::Auto);
    let (args, show) = match command {
        ProfilesCommand::List(args) => (args, None),
        ProfilesCommand::Show {
            name,
            task,
            profiles,
        } => (profiles, Some((name, task))),
    };
    let (files, mut diagnostics) = source::load_profile_dirs(&args.profiles);
    let catalog = profile::Catalog::new(&files);
    let vars: BTreeMap<String, String> = args.set.into_iter().collect();
    let mut out = Outcome::default();
    match show {
        None => {
            let listed = catalog.list();
            let width = listed.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
            let mut text = String::new();
            for (name, description) in listed {
                match description {
                    Ok(d) => {
                        let _ = writeln!(text, "{name:width$}  {d}");
                    }
                    Err(errors) => {
                        let _ = writeln!(text, "{name:width$}  (invalid: see below)");
                        diagnostics.extend(errors);
                    }
                }
            }
            out.stdout = text.into_bytes();
        }
        Some((name, task_path)) => {
            let mut task = serde_json::json!({"name": "example", "action": "job"});
            if let Some(path) = task_path {
                let (tasks, errors) = source::load(&[path], stdin);
                diagnostics.extend(errors);
                if let Some(file) = tasks.first() {
                    match yaml::parse(file) {
                        Ok(docs) => task = docs[0].value.clone(),
                        Err(e) => diagnostics.push(e),
                    }
                }
            }
            if diagnostics.is_empty() {
                match catalog.render(
                    &name,
                    profile::TemplateContext {
                        task: &task,
                        vars: &vars,
                    },
                ) {
                    Ok(mut text) => {
                        if !text.ends_with('\n') {
                            text.push('\n');
                        }
                        // Check it too: `show` is how people debug their profiles.
                        if let Err(errors) = catalog.load(
                            &name,
                            profile::TemplateContext {
                                task: &task,
                                vars: &vars,
                            },
                        ) {
                            diagnostics.extend(errors);
                        }
                        out.stdout = text.into_bytes();
                    }
                    Err(errors) => diagnostics.extend(errors),
                }
            }
        }
    }
    if !diagnostics.is_empty() {
        out.stderr.push_str(&report::report(
            &diagnostics,
            report::Format::Human,
            color,
            false,
        ));
        // Naming a profile that does not exist is a usage error, like a wrong argument.
        out.code = if diagnostics
            .iter()
            .all(|d| matches!(d.kind, crate::diagnostic::ErrorKind::UnknownProfile { .. }))
        {
            EXIT_USAGE
        } else {
            EXIT_INVALID
        };
    }
    out
}
