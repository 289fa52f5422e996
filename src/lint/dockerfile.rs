//! `check`'s lints of a build's Dockerfile. taskrender writes three lines itself (`FROM
//! <base_image>`, `WORKDIR /shared`, `COPY . /shared`), which pass hadolint and checkov
//! whatever the Task says; every further line is one item of the Task's `instructions`,
//! kept as written. So the findings a Dockerfile linter would make on those lines are the
//! user's to fix, and `check` reports them here, at the item's line, with the linter's rule
//! id (hadolint's `DLxxxx`, checkov's `CKV_DOCKER_x`) and what to write instead.
//!
//! The rules are those of the referees' configuration that a single line can break:
//! hadolint DL3000, DL3002, DL3003, DL3004, DL3009, DL3014, DL3015, DL3020, DL3025, DL3042
//! and DL4006, and checkov `CKV_DOCKER_5`. Not reproduced: hadolint's `ShellCheck` findings
//! (`SCxxxx`) on `RUN` lines, and its info-level rules (DL3059 …), which do not fail it.

use serde_json::Value;

use crate::diagnostic::{Diagnostic, ErrorKind};
use crate::yaml::Document;

/// The lines taskrender writes before the first instruction.
pub(super) const OWN_LINES: usize = 3;

/// One finding on one instruction.
struct Finding {
    rule: &'static str,
    problem: String,
    help: String,
}

/// Lints of the instructions of `dockerfile`, the build's rendered Dockerfile.
pub(super) fn lint(doc: &Document, dockerfile: &str, out: &mut Vec<Diagnostic>) {
    let lines: Vec<&str> = dockerfile.lines().collect();
    let items = doc
        .value
        .get("instructions")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    if lines.len() != OWN_LINES + items {
        return; // not the layout `resolve::build` writes: nothing to map back to the Task
    }
    if let Some(base) = lines.first().and_then(|l| l.strip_prefix("FROM ")) {
        base_image(doc, base, out);
    }
    let mut state = State::default();
    let instructions = &lines[OWN_LINES..];
    let last_user = instructions.iter().rposition(|l| keyword(l).0 == "USER");
    for (i, line) in instructions.iter().enumerate() {
        let mut findings = Vec::new();
        check(line, &mut state, &mut findings);
        if Some(i) == last_user {
            last_user_root(line, &mut findings);
        }
        for f in findings {
            out.push(
                Diagnostic::new(ErrorKind::DockerfileLine {
                    field: format!("instructions[{i}]"),
                    rule: f.rule.to_owned(),
                    problem: f.problem,
                })
                .at(
                    &doc.file,
                    doc.spans.value(&format!("/instructions/{i}")),
                    "Dockerfile line as written",
                )
                .with_help(f.help)
                .warning(),
            );
        }
    }
}

/// `FROM <base>` is taskrender's line, but the image is the Task's: untagged (hadolint
/// DL3006) or `latest` (DL3007) is reported where the Task names it.
fn base_image(doc: &Document, base: &str, out: &mut Vec<Diagnostic>) {
    if base.contains('@') {
        return;
    }
    let last = base.rsplit('/').next().unwrap_or(base);
    let (rule, problem) = match last.split_once(':') {
        None => (
            "DL3006",
            format!("names `{base}`, without a tag: `latest` is pulled, whatever it is that day"),
        ),
        Some((_, "latest")) => (
            "DL3007",
            format!("names `{base}`, tagged `latest`, which moves without a commit"),
        ),
        Some(_) => return,
    };
    let Some((field, span)) = ["/base_image", "/function/base_image", "/function/image"]
        .iter()
        .find_map(|p| doc.spans.get(p).map(|s| (p, s.value.clone())))
    else {
        return; // set by a profile: the profile's author owns it
    };
    out.push(
        Diagnostic::new(ErrorKind::DockerfileLine {
            field: field.trim_start_matches('/').replace('/', "."),
            rule: rule.to_owned(),
            problem,
        })
        .at(&doc.file, span, "the build's `FROM`")
        .with_help("pin a version (`python:3.12-slim`) or a digest (`python@sha256:…`)")
        .warning(),
    );
}

/// What earlier lines set.
#[derive(Default)]
struct State {
    /// `SHELL [..., "-o", "pipefail", ...]`.
    pipefail: bool,
    /// `ENV PIP_NO_CACHE_DIR=…`.
    pip_no_cache: bool,
}

/// The instruction's keyword and its arguments.
fn keyword(line: &str) -> (&str, &str) {
    let line = line.trim();
    line.split_once(char::is_whitespace)
        .map_or((line, ""), |(k, rest)| (k, rest.trim()))
}

fn check(line: &str, state: &mut State, out: &mut Vec<Finding>) {
    let (keyword, args) = keyword(line);
    match keyword {
        "RUN" => run(args, state, out),
        "SHELL" => state.pipefail = args.contains("pipefail"),
        "ENV" if args.contains("PIP_NO_CACHE_DIR") => state.pip_no_cache = true,
        "WORKDIR" if !args.starts_with(['/', '$']) && !args.starts_with("\"/") => {
            out.push(Finding {
                rule: "DL3000",
                problem: format!("`WORKDIR {args}` is a relative path"),
                help: format!("use an absolute path: `WORKDIR /shared/{args}`"),
            });
        }
        "CMD" | "ENTRYPOINT" if !args.starts_with('[') => out.push(Finding {
            rule: "DL3025",
            problem: format!("`{keyword}` in shell form: signals do not reach the program"),
            help: format!(
                "write the JSON form: `{keyword} [{}]`",
                args.split_whitespace()
                    .map(|w| format!("\"{w}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
        "ADD" if !add_needs_add(args) => out.push(Finding {
            rule: "DL3020",
            problem: "`ADD` of plain files".into(),
            help: format!("write `COPY {args}`: ADD only for URLs and archives to unpack"),
        }),
        _ => {}
    }
}

/// `ADD` sources that `COPY` cannot take: URLs and local archives.
fn add_needs_add(args: &str) -> bool {
    let words: Vec<&str> = args
        .split_whitespace()
        .filter(|w| !w.starts_with("--"))
        .collect();
    let Some((_, sources)) = words.split_last() else {
        return true;
    };
    sources.iter().any(|s| {
        let s = s.trim_matches(['"', '[', ']', ',']);
        s.contains("://")
            || [
                ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".zip",
            ]
            .iter()
            .any(|ext| s.ends_with(ext))
    })
}

/// The last `USER` switching to root.
fn last_user_root(line: &str, out: &mut Vec<Finding>) {
    let (_, user) = keyword(line);
    let name = user.split(':').next().unwrap_or_default();
    if name == "root" || name == "0" {
        out.push(Finding {
            rule: "DL3002",
            problem: format!("the last `USER` is root (`USER {user}`)"),
            help: "switch back to an unprivileged user at the end: `USER 10001`".into(),
        });
    }
}

/// The words of each simple command of a shell line (split at `&&`, `||`, `;` and `|`).
fn commands(script: &str) -> Vec<Vec<&str>> {
    script
        .split("&&")
        .flat_map(|s| s.split("||"))
        .flat_map(|s| s.split(';'))
        .flat_map(|s| s.split('|'))
        .map(|c| c.split_whitespace().collect::<Vec<_>>())
        .filter(|w| !w.is_empty())
        .collect()
}

/// A single `|` (a pipe, not `||`) outside quotes.
fn has_pipe(script: &str) -> bool {
    let bytes = script.as_bytes();
    let mut quote = None;
    for (i, &b) in bytes.iter().enumerate() {
        match (quote, b) {
            (None, b'\'' | b'"') => quote = Some(b),
            (Some(q), _) if q == b => quote = None,
            (None, b'|') => {
                let before = i > 0 && bytes[i - 1] == b'|';
                let after = bytes.get(i + 1) == Some(&b'|');
                if !before && !after {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

/// The arguments after `program [subcommand]` when the command runs `program`.
fn is(words: &[&str], program: &[&str], sub: &str) -> bool {
    let Some(first) = words.first() else {
        return false;
    };
    let base = first.rsplit('/').next().unwrap_or(first);
    program.contains(&base) && words[1..].contains(&sub)
}

fn is_pip_install(words: &[&str]) -> bool {
    let Some(first) = words.first() else {
        return false;
    };
    let base = first.rsplit('/').next().unwrap_or(first);
    let pip = base == "pip"
        || base
            .strip_prefix("pip")
            .is_some_and(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.'));
    let python_m = base.starts_with("python") && words.windows(2).any(|w| w == ["-m", "pip"]);
    (pip || python_m) && words.contains(&"install")
}

fn run(script: &str, state: &State, out: &mut Vec<Finding>) {
    let commands = commands(script);
    let mut update = false;
    let mut install = false;
    for words in &commands {
        let first = words.first().copied().unwrap_or_default();
        if first == "sudo" {
            out.push(Finding {
                rule: "DL3004",
                problem: "uses `sudo`".into(),
                help: "drop `sudo`: build steps run as the image's current `USER` (switch with a `USER` item if needed)".into(),
            });
        }
        if first == "cd" {
            out.push(Finding {
                rule: "DL3003",
                problem: "changes directory with `cd`".into(),
                help: format!(
                    "use a `WORKDIR {}` item before this one instead of `cd`",
                    words.get(1).copied().unwrap_or("/shared/…")
                ),
            });
        }
        if is_pip_install(words) && !words.contains(&"--no-cache-dir") && !state.pip_no_cache {
            out.push(Finding {
                rule: "DL3042",
                problem:
                    "runs `pip install` without `--no-cache-dir`: the cache stays in the image"
                        .into(),
                help: format!(
                    "write `{}`",
                    words
                        .join(" ")
                        .replacen("install", "install --no-cache-dir", 1)
                ),
            });
        }
        let managers = ["apt-get", "apt", "apk", "yum", "dnf", "zypper", "microdnf"];
        if is(words, &managers, "update") || is(words, &managers, "upgrade") {
            update = true;
        }
        if is(words, &managers, "install") || is(words, &managers, "add") {
            install = true;
        }
        if is(words, &["apt-get"], "install") {
            if !words
                .iter()
                .any(|w| *w == "--no-install-recommends" || w.contains("Install-Recommends=false"))
            {
                out.push(Finding {
                    rule: "DL3015",
                    problem: "runs `apt-get install` without `--no-install-recommends`".into(),
                    help: "write `apt-get install -y --no-install-recommends PACKAGE…`".into(),
                });
            }
            if !words.iter().any(|w| {
                matches!(*w, "-y" | "--yes" | "--assume-yes" | "-qq" | "-q=2")
                    || (w.starts_with('-') && !w.starts_with("--") && w.contains('y'))
            }) {
                out.push(Finding {
                    rule: "DL3014",
                    problem: "runs `apt-get install` without `-y`: the build stops at the prompt"
                        .into(),
                    help: "write `apt-get install -y --no-install-recommends PACKAGE…`".into(),
                });
            }
        }
    }
    let apt_update = commands.iter().any(|w| is(w, &["apt-get"], "update"));
    let cleaned = commands
        .iter()
        .any(|w| w.first() == Some(&"rm") && w.iter().any(|a| a.starts_with("/var/lib/apt/lists")));
    if apt_update && !cleaned {
        out.push(Finding {
            rule: "DL3009",
            problem: "runs `apt-get update` and leaves the package lists in the image".into(),
            help: "end the same item with `&& rm -rf /var/lib/apt/lists/*`".into(),
        });
    }
    if update && !install {
        out.push(Finding {
            rule: "CKV_DOCKER_5",
            problem: "updates the package index in an item of its own: a later item's install may use a stale cached layer".into(),
            help: "update and install in one item: `apt-get update && apt-get install -y --no-install-recommends PACKAGE… && rm -rf /var/lib/apt/lists/*`".into(),
        });
    }
    if has_pipe(script) && !state.pipefail {
        out.push(Finding {
            rule: "DL4006",
            problem: "pipes into another command: `/bin/sh` ignores a failure before the `|`"
                .into(),
            help:
                "add an item `SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]` before this one"
                    .into(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(lines: &[&str]) -> Vec<Vec<&'static str>> {
        let mut state = State::default();
        let last_user = lines.iter().rposition(|l| keyword(l).0 == "USER");
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let mut out = Vec::new();
                check(l, &mut state, &mut out);
                if Some(i) == last_user {
                    last_user_root(l, &mut out);
                }
                out.into_iter().map(|f| f.rule).collect()
            })
            .collect()
    }

    #[test]
    fn clean_lines_have_no_findings() {
        let clean = [
            "RUN pip install --no-cache-dir numpy",
            "RUN apt-get update && apt-get install -y --no-install-recommends git && rm -rf /var/lib/apt/lists/*",
            "ENV PIP_NO_CACHE_DIR=1",
            "RUN pip install pandas",
            "RUN echo a || echo b",
            "CMD [\"python\", \"main.py\"]",
            "ADD https://example.com/a.tgz /opt/",
            "WORKDIR /app",
            "USER 10001",
        ];
        assert!(
            rules(&clean).iter().all(Vec::is_empty),
            "{:?}",
            rules(&clean)
        );
    }

    #[test]
    fn findings_name_the_linters_rules() {
        let got = rules(&[
            "RUN pip install numpy",
            "RUN apt-get update",
            "RUN apt-get update && apt-get install git",
            "RUN python3 -m pip install -r requirements.txt",
            "RUN curl -s https://x | sh",
            "RUN cd /tmp && sudo make",
            "CMD python main.py",
            "ADD app.py /shared/",
            "WORKDIR src",
            "USER root",
        ]);
        assert_eq!(
            got,
            [
                vec!["DL3042"],
                vec!["DL3009", "CKV_DOCKER_5"],
                vec!["DL3015", "DL3014", "DL3009"],
                vec!["DL3042"],
                vec!["DL4006"],
                vec!["DL3003", "DL3004"],
                vec!["DL3025"],
                vec!["DL3020"],
                vec!["DL3000"],
                vec!["DL3002"],
            ]
        );
    }

    #[test]
    fn pipefail_shell_silences_dl4006() {
        let got = rules(&[
            "SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]",
            "RUN curl -s https://x | sh",
        ]);
        assert!(got.iter().all(Vec::is_empty));
    }
}
