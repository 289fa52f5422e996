//! The command line (clap derive only; no logic here).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Render container Tasks into Kubernetes YAML and Dockerfiles, offline.
#[derive(Debug, Parser)]
#[command(name = "taskrender", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate and render Tasks: a YAML stream on stdout, or one file per object with -o.
    Render(RenderArgs),
    /// Render in memory and compare with a folder written by `render -o`: exit 0 when
    /// identical, 1 on drift (or invalid input).
    Diff(DiffArgs),
    /// Validate Tasks without rendering, and lint them (warnings); exit 1 on any
    /// error (with --strict, on any warning).
    Check(CheckArgs),
    /// List the profiles, or show one rendered for a Task.
    Profiles {
        #[command(subcommand)]
        command: ProfilesCommand,
    },
    /// Print the JSON Schema of a Task or a profile.
    Schema {
        #[arg(value_enum, default_value_t = SchemaKind::Task)]
        kind: SchemaKind,
    },
    /// Explain a Task parameter: `taskrender explain volumes.spec.size` (none: list them).
    Explain {
        #[arg(value_name = "FIELD", default_value = "")]
        field: String,
    },
    /// Turn the reference platform's exported entities (functions, tasks, runs; JSON or
    /// YAML) into Task files, printed as one YAML stream.
    Import {
        /// Entity files (`-` for stdin).
        #[arg(value_name = "FILE", required = true)]
        paths: Vec<PathBuf>,
        /// Write one Task file per Task, DIR/<name>.yaml, instead of one stream on stdout.
        /// Nothing is written unless every file can be; a different file already there is
        /// refused unless --force.
        #[arg(short = 'o', long = "output", value_name = "DIR")]
        output: Option<PathBuf>,
        /// With -o: replace files already at DIR/<name>.yaml.
        #[arg(long, requires = "output")]
        force: bool,
    },
    /// Print a manual page (roff): `taskrender man > taskrender.1`, or one subcommand's,
    /// `taskrender man profiles show > taskrender-profiles-show.1`.
    Man {
        /// The subcommand (and its subcommand) whose page to print.
        #[arg(value_name = "SUBCOMMAND")]
        path: Vec<String>,
    },
    /// Print the version; `--format json` adds the build and what it renders against.
    Version {
        #[arg(long, value_enum, default_value_t = VersionFormat::Human)]
        format: VersionFormat,
    },
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProfilesCommand {
    /// Every profile (from --profiles folders, then built-in) with its description.
    List(ProfileArgs),
    /// The profile NAME as rendered for a Task (by default `{name: example, action: job}`).
    Show {
        name: String,
        /// Render the profile for the (first) Task in FILE.
        #[arg(long, value_name = "FILE")]
        task: Option<PathBuf>,
        #[command(flatten)]
        profiles: ProfileArgs,
    },
}

#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// A folder of profiles, searched before the built-in ones; repeatable.
    #[arg(long = "profiles", value_name = "DIR")]
    pub profiles: Vec<PathBuf>,
    /// A variable for profile templates (`vars.KEY`); repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = key_value)]
    pub set: Vec<(String, String)>,
}

#[derive(Debug, Args)]
pub struct InputArgs {
    /// Task files, directories (every *.yaml / *.yml below, sorted) or `-` for stdin.
    #[arg(value_name = "PATH", default_value = "-")]
    pub paths: Vec<PathBuf>,
    /// Namespace of every rendered object (overrides the Tasks' `namespace`).
    #[arg(long, value_name = "NS", value_parser = dns_label)]
    pub namespace: Option<String>,
    /// A folder of profiles (`<name>.yaml`), searched before the built-in ones; repeatable,
    /// searched in order.
    #[arg(long = "profiles", value_name = "DIR")]
    pub profiles: Vec<PathBuf>,
    /// A variable for profile templates (`vars.KEY`); repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = key_value)]
    pub set: Vec<(String, String)>,
    /// Worker threads (default: one per core). The output is the same for any value.
    #[arg(short = 'j', long, value_name = "N", value_parser = jobs)]
    pub jobs: Option<std::num::NonZeroUsize>,
    /// Colour in diagnostics.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// How diagnostics are written (always on stderr).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// Diagnostic formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Reports with the source line and a caret, for people.
    Human,
    /// One JSON object per line: code, severity, message, file, line, column, end, help.
    Json,
    /// GitHub Actions workflow commands (`::error file=…,line=…::message`).
    Github,
    /// `diff` only: a review report in Markdown on stdout (a pull-request comment:
    /// resources, exposure, collapsed diffs); diagnostics as `human`. With `diff`, `json`
    /// also writes the report's data on stdout.
    Markdown,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// The folder to compare with (with --env or --all-envs: the environment's `output`).
    #[arg(long, value_name = "DIR", required_unless_present_any = ["env", "all_envs"], conflicts_with_all = ["env", "all_envs"])]
    pub against: Option<PathBuf>,
    #[command(flatten)]
    pub project: ProjectArgs,
}

/// Environments of the project file (`taskrender.yaml`) instead of PATHs.
#[derive(Debug, Args)]
pub struct ProjectArgs {
    /// Use environment NAME of the project file: its Tasks, profiles, variables, namespace
    /// and output folder (command-line options win).
    #[arg(long, value_name = "NAME", conflicts_with = "all_envs")]
    pub env: Option<String>,
    /// Every environment of the project file, in name order.
    #[arg(long)]
    pub all_envs: bool,
    /// The project file.
    #[arg(
        long = "project",
        value_name = "FILE",
        default_value = "taskrender.yaml"
    )]
    pub file: PathBuf,
}

impl ProjectArgs {
    /// Whether environments replace PATHs.
    pub(crate) fn active(&self) -> bool {
        self.env.is_some() || self.all_envs
    }
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Also warn where a profile's `enforce` overrides a value the Task set, and exit 1 on
    /// any warning (the lints included).
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Write one file per object under DIR (DIR/<task>/<Kind>.yaml) and a kustomization.yaml.
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Print the Dockerfiles of build Tasks to stdout instead of the objects (each after a
    /// comment line naming its Task). Without it, Dockerfiles are written only with -o.
    #[arg(long, conflicts_with_all = ["output", "env", "all_envs"])]
    pub dockerfile: bool,
    /// With -o: delete the files an earlier run wrote (listed in DIR/.taskrender-manifest)
    /// that this run no longer renders. Files taskrender did not write are never touched.
    #[arg(long)]
    pub prune: bool,
    #[command(flatten)]
    pub project: ProjectArgs,
}

fn key_value(value: &str) -> Result<(String, String), String> {
    match value.split_once('=') {
        Some((k, v))
            if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
        {
            Ok((k.to_owned(), v.to_owned()))
        }
        _ => Err("expected KEY=VALUE, KEY made of letters, digits and `_`".into()),
    }
}

fn jobs(value: &str) -> Result<std::num::NonZeroUsize, String> {
    let n: usize = value
        .parse()
        .map_err(|_| format!("`{value}` is not a number of worker threads"))?;
    std::num::NonZeroUsize::new(n).ok_or_else(|| "at least 1 worker thread is needed".to_owned())
}

fn dns_label(value: &str) -> Result<String, String> {
    let ok = !value.is_empty()
        && value.len() <= 63
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !value.starts_with('-')
        && !value.ends_with('-');
    if ok {
        Ok(value.to_owned())
    } else {
        Err("a namespace is a DNS-1123 label: lowercase letters, digits and `-`, at most 63 characters".into())
    }
}

/// How `taskrender version` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VersionFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    Task,
    Profile,
    Project,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}
