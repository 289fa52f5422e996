//! `diff --env NAME` / `--all-envs`: every environment of the project file against its
//! output folder, as one report; exit 1 if any is stale.

use std::fmt::Write as _;
use std::io::Read;

use serde_json::{Map, Value, json};

use super::{markdown, report};
use crate::cli::{DiffArgs, Format};
use crate::command::project;
use crate::emit;
use crate::outcome::{EXIT_INVALID, EXIT_OK, Outcome, Terminal};
use crate::{pipeline, source};

pub(super) fn run(args: &DiffArgs, stdin: &mut dyn Read, terminal: Terminal) -> Outcome {
    let color = terminal.color(args.input.color);
    let diff_color = terminal.stdout_color(args.input.color);
    let format = args.input.format;
    let envs = match project::environments(&args.project, &args.input, stdin) {
        Ok(envs) => envs,
        Err(d) => return project::failure(&d, format.into(), color),
    };
    let count = envs.len();
    let mut total = Outcome::default();
    let mut text = String::new();
    let mut reports = Vec::new();
    let mut drift = false;
    for env in envs {
        let result = pipeline::run(&env.request, stdin);
        let mut result = result;
        let old = source::read_output_dir(&env.output).unwrap_or_else(|e| {
            result.diagnostics.push(e);
            std::collections::BTreeMap::new()
        });
        let output = env.output.display().to_string();
        let out = crate::command::finish(
            result,
            format.into(),
            color,
            |outputs, out| {
                let new = emit::files(outputs);
                match format {
                    Format::Human | Format::Github => {
                        let d = super::diff(&new, &old, diff_color);
                        if d.drift {
                            drift = true;
                            let _ = write!(
                                text,
                                "== environment `{}` (`{output}`)\n{}",
                                env.name, d.text
                            );
                        } else if format == Format::Human {
                            let _ = writeln!(
                                out.stderr,
                                "no drift: `{output}` matches the Tasks of environment `{}`",
                                env.name
                            );
                        }
                    }
                    Format::Json | Format::Markdown => {
                        let r = report::compute(&new, &old);
                        drift |= r.drift;
                        reports.push((env.name.clone(), output.clone(), r));
                    }
                }
                Ok(())
            },
            false,
        );
        total.stderr.push_str(&out.stderr);
        total.code = total.code.max(out.code);
    }
    text.push_str(&match format {
        Format::Human | Format::Github => String::new(),
        Format::Markdown => {
            let mut md = format!("{}\n", markdown::MARKER);
            let limit = markdown::GITHUB_LIMIT.saturating_sub(md.len()) / count.max(1);
            for (name, output, r) in &reports {
                let title = format!("taskrender diff: environment `{name}` (`{output}`)");
                let section = markdown::render(r, &title, limit);
                md.push_str(
                    section
                        .strip_prefix(markdown::MARKER)
                        .unwrap_or(&section)
                        .trim_start(),
                );
                md.push('\n');
            }
            md
        }
        Format::Json => {
            let mut envs = Map::new();
            for (name, output, r) in &reports {
                let mut v = serde_json::to_value(r).expect("a report serializes");
                v["output"] = json!(output);
                envs.insert(name.clone(), v);
            }
            let mut s = serde_json::to_string_pretty(
                &json!({"drift": drift, "environments": Value::Object(envs)}),
            )
            .expect("a report serializes");
            s.push('\n');
            s
        }
    });
    if total.code == EXIT_OK && drift {
        total.code = EXIT_INVALID;
    }
    if total.code != EXIT_INVALID || drift {
        total.stdout = text.into_bytes();
    }
    total
}
