//! Profiles (SPEC section 3): a minijinja template per profile, rendered with the Task as
//! context, whose output is a YAML document valid against `schemas/profile.schema.json`.
//! It supplies defaults and policy (`defaults`, `enforce`), patches for rendered objects,
//! and renderer settings; `extends` chains profiles.
//!
//! Templates are sandboxed: no loader (no `include`, no files), no environment, network or
//! clock, undefined variables are errors, and a fuel limit ends runaway loops. Every
//! `{{ expression }}` is written as a JSON-escaped scalar (minijinja's auto-escaping for
//! `.yaml` templates), so no value can change the YAML structure; `| safe` opts out.

pub(crate) mod merge;
pub(crate) mod model;
pub(crate) mod policy;

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock, Mutex};

use minijinja::value::Serde;
use minijinja::{Environment, UndefinedBehavior, context};
use serde_json::{Map, Value};

use crate::diagnostic::{Diagnostic, ErrorKind, did_you_mean};
use crate::text::SourceFile;
use crate::yaml::{Document, parse};
use merge::{merge, merge_patch};
use model::{JobSettings, PlatformSettings, ProfileSpec};

/// Built-in profiles: `(name, template)`, sorted by name. Compiled into the binary, so it
/// works from any directory.
pub(crate) const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../../profiles/default.yaml")),
    ("gpu-a100", include_str!("../../profiles/gpu-a100.yaml")),
    ("hardened", include_str!("../../profiles/hardened.yaml")),
    (
        "high-memory",
        include_str!("../../profiles/high-memory.yaml"),
    ),
];

/// Name of the profile of a Task that names none.
pub(crate) const DEFAULT: &str = "default";

/// Template steps a profile may take: far more than any real profile needs (a few
/// hundred), far fewer than a runaway loop would.
pub(crate) const FUEL: u64 = 100_000;

/// Where profiles come from: `--profiles` folders (searched in order), then the built-in
/// ones. A profile is rendered, parsed and checked once per distinct value of the template
/// variables it reads (its result, or its error, is cached under them), so a profile that
/// reads only `vars` costs once per run however many Tasks use it. The cache holds at most
/// [`CACHE_ENTRIES`] results, which bounds its memory when a profile reads `name`.
#[derive(Debug, Default)]
pub(crate) struct Catalog {
    templates: BTreeMap<String, Arc<SourceFile>>,
    /// The variables each template reads (`vars.zone`, `name`, `task`), sorted; `None` when
    /// it does not compile (the error is then the same for every Task).
    reads: BTreeMap<String, Option<Vec<String>>>,
    cache: Mutex<BTreeMap<(String, String), LayerResult>>,
    /// Merged profiles, by the addresses of the layers they were merged from (in chain
    /// order); each entry holds those layers, so no address is reused while it is cached.
    merged: Mutex<BTreeMap<Vec<usize>, MergedEntry>>,
}

/// Most cached profile results: far more than the distinct profiles of a run, few enough
/// that a profile rendered differently for each of 100,000 Tasks stays small.
const CACHE_ENTRIES: usize = 1024;

type LayerResult = Result<Arc<Layer>, Vec<Diagnostic>>;
type ProfileResult = Result<Arc<Profile>, Vec<Diagnostic>>;
/// A merged profile and the layers (in chain order) it was merged from.
type MergedEntry = (Vec<Arc<Layer>>, ProfileResult);

/// One profile's rendered document, decoded.
#[derive(Debug)]
pub(crate) struct Layer {
    pub(crate) doc: Arc<Document>,
    pub(crate) spec: ProfileSpec,
}

/// A profile with its `extends` chain merged: what resolve and render read.
#[derive(Debug, Clone, Default)]
pub(crate) struct Profile {
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) defaults: Map<String, Value>,
    pub(crate) enforce: Map<String, Value>,
    /// Patches by kind, merged along the chain.
    pub(crate) patches: BTreeMap<&'static str, Value>,
    pub(crate) registry: Option<String>,
    pub(crate) builder_image: Option<String>,
    pub(crate) builder_resources: Option<crate::task::Resources>,
    pub(crate) allow_root: bool,
    pub(crate) read_only_root_filesystem: bool,
    pub(crate) job: JobSettings,
    /// How the reference platform's spellings are rendered.
    pub(crate) platform: PlatformSettings,
    /// The rendered documents, this profile's first, then what it extends: where spans
    /// of profile values are found.
    pub(crate) documents: Vec<Arc<Document>>,
}

impl Profile {
    /// The span of a value in the rendered profile documents (this profile's first).
    pub(crate) fn locate(
        &self,
        pointer: &str,
    ) -> Option<(&Arc<SourceFile>, std::ops::Range<usize>)> {
        self.documents.iter().find_map(|d| {
            d.spans
                .get(pointer)
                .map(|s| (&d.file, s.key.clone().unwrap_or_else(|| s.value.clone())))
        })
    }
}

/// Loads the profile a Task names (`profile:`, else `default`), rendered for that Task. An
/// unknown name is the Task's mistake and points at its `profile:`; errors inside a profile
/// point into the profile (and are reported once however many Tasks use it).
pub(crate) fn for_task(
    doc: &Document,
    catalog: &Catalog,
    vars: &BTreeMap<String, String>,
) -> Result<Arc<Profile>, Vec<Diagnostic>> {
    let name = doc
        .value
        .get("profile")
        .and_then(Value::as_str)
        .unwrap_or(DEFAULT);
    let ctx = TemplateContext {
        task: &doc.value,
        vars,
    };
    catalog.load(name, ctx).map_err(|errors| {
        let span = doc.spans.value("/profile");
        errors
            .into_iter()
            .map(|e| {
                if e.file.is_none() {
                    e.at(&doc.file, span.clone(), "no such profile")
                } else {
                    e
                }
            })
            .collect()
    })
}

/// What a profile template sees: `task`, `name`, `project`, `action` and `vars`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TemplateContext<'a> {
    pub(crate) task: &'a Value,
    pub(crate) vars: &'a BTreeMap<String, String>,
}

/// Largest profile template accepted, and largest rendered profile: far above any real
/// profile (a few KiB), small enough that no template can grow without bound.
pub(crate) const MAX_TEMPLATE_BYTES: usize = 64 * 1024;
pub(crate) const MAX_RENDERED_BYTES: usize = 1024 * 1024;

/// Builtins that can make a value far larger than their inputs (`indent(10**9)`,
/// `batch(n, fill)`, `format("%999999999s")`, chained `replace`, `tojson(indent=…)`) or
/// accumulate across a loop (`namespace`), and `debug`, which prints the whole context.
const REMOVED: [&str; 7] = [
    "replace", "indent", "format", "batch", "slice", "tojson", "pprint",
];

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    // minijinja's default is `cfg!(debug_assertions)`: without this, a release binary
    // words template errors differently (`vars.region` is undefined vs. undefined value)
    // from the tested debug build. Debug info costs only when a template fails.
    env.set_debug(true);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(FUEL));
    env.set_recursion_limit(32);
    for filter in REMOVED {
        env.remove_filter(filter);
    }
    env.remove_global("namespace");
    env.remove_global("debug");
    env
});

impl Catalog {
    /// The catalog of `user` profile files (from `--profiles` folders, in search order)
    /// and the built-in profiles. A name's first file wins.
    pub(crate) fn new(user: &[Arc<SourceFile>]) -> Self {
        let mut templates = BTreeMap::new();
        for file in user {
            let stem = std::path::Path::new(&file.name)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            templates.entry(stem).or_insert_with(|| Arc::clone(file));
        }
        for (name, text) in BUILTIN {
            templates.entry((*name).to_owned()).or_insert_with(|| {
                SourceFile::new(format!("<built-in>/profiles/{name}.yaml"), *text)
            });
        }
        let reads = templates
            .iter()
            .map(|(name, file)| {
                let reads = ENV
                    .template_from_named_str(&format!("{name}.yaml"), &file.text)
                    .ok()
                    .map(|t| {
                        let mut v: Vec<String> = t.undeclared_variables(true).into_iter().collect();
                        v.sort_unstable();
                        v
                    });
                (name.clone(), reads)
            })
            .collect();
        Self {
            templates,
            reads,
            cache: Mutex::default(),
            merged: Mutex::default(),
        }
    }

    /// Every profile name, sorted.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.templates.keys().map(String::as_str)
    }

    /// Loads profile `name` for a Task: renders it and what it extends, checks and merges them.
    pub(crate) fn load(&self, name: &str, ctx: TemplateContext<'_>) -> ProfileResult {
        let mut chain: Vec<(String, Arc<Layer>)> = Vec::new();
        let mut next = Some(name.to_owned());
        while let Some(current) = next.take() {
            if let Some(at) = chain.iter().position(|(n, _)| *n == current) {
                let mut cycle: Vec<&str> = chain[at..].iter().map(|(n, _)| n.as_str()).collect();
                cycle.push(&current);
                let (last_name, last) = chain.last().expect("a cycle has a previous profile");
                let span = last.doc.spans.value("/extends");
                return Err(vec![
                    Diagnostic::new(ErrorKind::ProfileCycle {
                        cycle: cycle.join(" → "),
                    })
                    .at(
                        &last.doc.file,
                        span,
                        format!("`{last_name}` extends `{current}` again"),
                    )
                    .with_help("remove one `extends` so the chain ends"),
                ]);
            }
            let layer = self.layer(&current, ctx, chain.last().map(|(_, l)| l))?;
            // Every profile builds on `default` (the platform's base) unless it says
            // what it extends.
            next = layer
                .spec
                .extends
                .clone()
                .or_else(|| (current != DEFAULT).then(|| DEFAULT.to_owned()));
            chain.push((current, layer));
        }
        let key: Vec<usize> = chain.iter().map(|(_, l)| Arc::as_ptr(l) as usize).collect();
        if let Some((_, hit)) = self.merged.lock().expect("profile cache lock").get(&key) {
            return hit.clone();
        }
        let profile = merge_chain(name, &chain);
        // Patch fields no profile may set are refused whatever the Task.
        let refused = policy::check_profile(&profile);
        let result = if refused.is_empty() {
            Ok(Arc::new(profile))
        } else {
            Err(refused)
        };
        let mut merged = self.merged.lock().expect("profile cache lock");
        if merged.len() < CACHE_ENTRIES {
            let layers = chain.into_iter().map(|(_, l)| l).collect();
            merged.insert(key, (layers, result.clone()));
        }
        result
    }

    fn unknown(&self, name: &str) -> Diagnostic {
        let mut help = format!(
            "available profiles: {}; to add `{name}`, put `{name}.yaml` in a folder given with `--profiles DIR`",
            self.names().collect::<Vec<_>>().join(", ")
        );
        if let Some(s) = did_you_mean(name, self.names()) {
            help = format!("did you mean `{s}`? ({help})");
        }
        Diagnostic::new(ErrorKind::UnknownProfile {
            name: name.to_owned(),
        })
        .with_help(help)
    }

    /// Renders, parses, validates and decodes one profile (cached by rendered text).
    fn layer(
        &self,
        name: &str,
        ctx: TemplateContext<'_>,
        child: Option<&Arc<Layer>>,
    ) -> Result<Arc<Layer>, Vec<Diagnostic>> {
        let Some(template) = self.templates.get(name) else {
            let mut d = self.unknown(name);
            if let Some(child) = child {
                let span = child.doc.spans.value("/extends");
                d = d.at(&child.doc.file, span, "extended here");
            }
            return Err(vec![d]);
        };
        let key = (name.to_owned(), self.input_key(name, ctx));
        if let Some(hit) = self.cache.lock().expect("profile cache lock").get(&key) {
            return hit.clone();
        }
        let result = render_template(template, name, ctx)
            .map_err(|d| vec![d])
            .and_then(|text| decode_layer(template, &text).map(Arc::new));
        let mut cache = self.cache.lock().expect("profile cache lock");
        if cache.len() < CACHE_ENTRIES {
            cache.insert(key, result.clone());
        }
        result
    }

    /// The values of the variables template `name` reads, as one string: equal strings
    /// render equal profiles. Each read path (`task.function.image`, `vars.zone`, `name`) is
    /// followed in place and its value written as JSON (`undefined` when it is absent).
    fn input_key(&self, name: &str, ctx: TemplateContext<'_>) -> String {
        let Some(Some(reads)) = self.reads.get(name) else {
            return String::new();
        };
        let mut key = String::new();
        for path in reads {
            key.push_str(path);
            key.push('=');
            let mut segments = path.split('.');
            let follow = |v: &Value, rest: std::str::Split<'_, char>| {
                rest.into_iter()
                    .try_fold(v, |v, s| v.get(s))
                    .map(Value::to_string)
            };
            let value = match segments.next().unwrap_or_default() {
                "task" => follow(ctx.task, segments),
                top @ ("name" | "project" | "action") => {
                    ctx.task.get(top).and_then(|v| follow(v, segments))
                }
                "vars" => match segments.next() {
                    None => serde_json::to_string(ctx.vars).ok(),
                    Some(var) => ctx
                        .vars
                        .get(var)
                        .filter(|_| segments.next().is_none())
                        .map(|v| Value::from(v.as_str()).to_string()),
                },
                _ => None,
            };
            key.push_str(value.as_deref().unwrap_or("undefined"));
            key.push('\n');
        }
        key
    }

    /// Renders profile `name` for `ctx` as text (`taskrender profiles show`).
    pub(crate) fn render(
        &self,
        name: &str,
        ctx: TemplateContext<'_>,
    ) -> Result<String, Vec<Diagnostic>> {
        let template = self
            .templates
            .get(name)
            .ok_or_else(|| vec![self.unknown(name)])?;
        render_template(template, name, ctx).map_err(|d| vec![d])
    }

    /// `(name, description)` of every profile, rendered for a minimal Task.
    pub(crate) fn list(&self) -> Vec<(String, Result<String, Vec<Diagnostic>>)> {
        let task = serde_json::json!({"name": "example", "action": "job"});
        let vars = BTreeMap::new();
        let ctx = TemplateContext {
            task: &task,
            vars: &vars,
        };
        self.names()
            .map(|n| {
                (
                    n.to_owned(),
                    self.load(n, ctx).map(|p| p.description.clone()),
                )
            })
            .collect()
    }
}

fn render_template(
    template: &Arc<SourceFile>,
    name: &str,
    ctx: TemplateContext<'_>,
) -> Result<String, Diagnostic> {
    let task = ctx.task;
    let field = |k: &str| minijinja::Value::from(Serde(task.get(k).unwrap_or(&Value::Null)));
    let context = context! {
        task => minijinja::Value::from(Serde(task)),
        name => field("name"),
        project => field("project"),
        action => field("action"),
        vars => minijinja::Value::from(Serde(ctx.vars)),
    };
    check_subset(template)?;
    check_placement(template)?;
    // The `.yaml` name selects minijinja's JSON auto-escaping.
    let file_name = format!("{name}.yaml");
    let compiled = ENV
        .template_from_named_str(&file_name, &template.text)
        .map_err(|e| template_error(template, &e))?;
    let mut out = Capped(Vec::new());
    compiled
        .render_captured_to(context, &mut out)
        .map_err(|e| {
            if out.0.len() > MAX_RENDERED_BYTES {
                Diagnostic::new(ErrorKind::TemplateSubset {
                    what: format!("output larger than {} KiB", MAX_RENDERED_BYTES / 1024),
                })
                .at(template, 0..0, "")
                .with_help("a profile renders to a few KiB of YAML: look for a loop that repeats a large value")
            } else {
                template_error(template, &e)
            }
        })?;
    Ok(String::from_utf8_lossy(&out.0).into_owned())
}

/// A writer that refuses to grow past [`MAX_RENDERED_BYTES`] (and keeps one byte more, so
/// the caller can tell why it stopped).
struct Capped(Vec<u8>);

impl std::io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.0.len() + buf.len() > MAX_RENDERED_BYTES {
            self.0.resize(MAX_RENDERED_BYTES + 1, 0);
            return Err(std::io::Error::other("rendered profile too large"));
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The template language profiles may use: `{{ expressions }}`, `{% if %}` and
/// `{% for %}`, filters and tests but those in [`REMOVED`]; no `*` (repetition of a string
/// or list), no `{% set %}`/`{% with %}` (naming a value lets an expression double it), no
/// macros. With the fuel limit and [`MAX_RENDERED_BYTES`], every value a template makes is
/// at most its own length times the largest value it reads, and rendering ends.
fn check_subset(template: &Arc<SourceFile>) -> Result<(), Diagnostic> {
    let text = template.text.as_str();
    let refuse = |what: String, span: std::ops::Range<usize>| {
        Err(Diagnostic::new(ErrorKind::TemplateSubset { what })
            .at(template, span, "not in the profile template language")
            .with_help(
                "profile templates have `{{ expressions }}`, `{% if %}` and `{% for %}`; \
                 compute anything larger outside and pass it with `--set key=value`",
            ))
    };
    if text.len() > MAX_TEMPLATE_BYTES {
        return refuse(format!("more than {} KiB", MAX_TEMPLATE_BYTES / 1024), 0..0);
    }
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(open) = text[i..].find('{').map(|o| i + o) {
        let close = match bytes.get(open + 1) {
            Some(b'{') => "}}",
            Some(b'%') => "%}",
            Some(b'#') => "#}",
            _ => {
                i = open + 1;
                continue;
            }
        };
        let body_start = open + 2;
        let mut j = body_start;
        let mut quote = None;
        let end = loop {
            let Some(&b) = bytes.get(j) else {
                break text.len();
            };
            match quote {
                Some(_) if b == b'\\' => j += 1,
                Some(q) if b == q => quote = None,
                None if close != "#}" && (b == b'"' || b == b'\'') => quote = Some(b),
                // Bytes, not `text[j..]`: `j` may be inside a multi-byte character.
                None if bytes[j..].starts_with(close.as_bytes()) => break j,
                None if b == b'*' && close != "#}" => {
                    return refuse("`*`".into(), j..j + 1);
                }
                // inside a string, or any other character
                Some(_) | None => {}
            }
            j += 1;
        };
        if close == "%}" {
            let body = text[body_start..end]
                .trim_start_matches(['-', '+', '~'])
                .trim_start();
            let word: String = body
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !matches!(
                word.as_str(),
                "if" | "elif" | "else" | "endif" | "for" | "endfor"
            ) {
                let at = body_start + (text[body_start..end].len() - body.len());
                return refuse(format!("`{{% {word} %}}`"), at..at + word.len());
            }
        }
        i = (end + 2).min(text.len());
    }
    Ok(())
}

/// Every `{{ expression }}` must be a whole YAML scalar: the value after `key: `, `- `,
/// `[`, `{` or `,`, and before the end of the line, `,`, `]`, `}` or a comment. Its value is
/// inserted as JSON (auto-escaping), which YAML reads as exactly one scalar there; inside a
/// longer or quoted scalar it could end the scalar and add keys of its own.
fn check_placement(template: &Arc<SourceFile>) -> Result<(), Diagnostic> {
    let text = template.text.as_str();
    let bytes = text.as_bytes();
    for (start, _) in text.match_indices("{{") {
        // `{{{` opens an expression one byte later; judge that one.
        if bytes.get(start + 2) == Some(&b'{') {
            continue;
        }
        let end = text[start..]
            .find("}}")
            .map_or(text.len(), |i| start + i + 2);
        let (before, spaced) = skip_tags_back(&text[..start]);
        let opens_value = match before.as_bytes().last() {
            Some(b'[' | b'{' | b',') => true,
            Some(b':') => spaced,
            // a block sequence entry: `-` first on its line (or after another `- `)
            Some(b'-') => {
                let dash = before.len() - 1;
                spaced && (dash == 0 || text[..dash].ends_with(['\n', ' ', '\t', '-']))
            }
            _ => false,
        };
        let after = skip_tags(&text[end..]);
        let closes_value = after.is_empty() || after.starts_with(['\n', '\r', ',', ']', '}', '#']);
        if !(opens_value && closes_value) {
            return Err(Diagnostic::new(ErrorKind::TemplatePlacement)
                .at(template, start..end, "part of a longer or quoted value")
                .with_help(
                    "make the expression the whole value, and build the text inside it: \
                     `value: {{ \"eu-\" ~ vars.zone }}` (its value is inserted as one JSON scalar, \
                     already quoted)",
                ));
        }
    }
    Ok(())
}

/// `text` without leading blanks and `{% … %}` / `{# … #}` tags (they print nothing).
fn skip_tags(mut text: &str) -> &str {
    loop {
        text = text.trim_start_matches([' ', '\t']);
        let close = if text.starts_with("{%") {
            "%}"
        } else if text.starts_with("{#") {
            "#}"
        } else {
            return text;
        };
        match text.find(close) {
            Some(i) => text = &text[i + 2..],
            None => return "",
        }
    }
}

/// `text` without trailing blanks and `{% … %}` / `{# … #}` tags, and whether a blank
/// was among what it dropped (a printed separator).
fn skip_tags_back(mut text: &str) -> (&str, bool) {
    let mut blank = false;
    loop {
        let trimmed = text.trim_end_matches([' ', '\t']);
        blank |= trimmed.len() < text.len();
        text = trimmed;
        let open = if text.ends_with("%}") {
            "{%"
        } else if text.ends_with("#}") {
            "{#"
        } else {
            return (text, blank);
        };
        match text.rfind(open) {
            Some(i) => text = &text[..i],
            None => return (text, blank),
        }
    }
}

fn template_error(template: &Arc<SourceFile>, err: &minijinja::Error) -> Diagnostic {
    let message = match err.kind() {
        minijinja::ErrorKind::OutOfFuel => {
            format!("the template ran out of fuel after {FUEL} steps (an endless or huge loop?)")
        }
        _ => err.detail().map_or_else(
            || err.kind().to_string(),
            |d| format!("{}: {d}", err.kind()),
        ),
    };
    let span = err.range().or_else(|| {
        let line = err.line()?;
        let start: usize = template
            .text
            .split_inclusive('\n')
            .take(line - 1)
            .map(str::len)
            .sum();
        let len = template.text[start..]
            .find('\n')
            .unwrap_or(template.text.len() - start);
        Some(start..start + len)
    });
    let d = Diagnostic::new(ErrorKind::ProfileTemplate { message });
    let d = match span {
        Some(span) => d.at(template, span, "here"),
        None => d.at(template, 0..0, ""),
    };
    match err.kind() {
        minijinja::ErrorKind::UndefinedError => {
            d.with_help("templates see `task`, `name`, `project`, `action` and `vars` (from `--set key=value`); test optional values with `is defined` or `| default(...)`")
        }
        _ => d,
    }
}

fn decode_layer(template: &Arc<SourceFile>, text: &str) -> Result<Layer, Vec<Diagnostic>> {
    let file = SourceFile::new(format!("{} (rendered)", template.name), text);
    let mut docs = parse(&file).map_err(|d| vec![d])?;
    if docs.len() != 1 {
        return Err(vec![
            Diagnostic::new(ErrorKind::InvalidProfile {
                name: template.name.clone(),
                problem: format!("a profile is one YAML document, found {}", docs.len()),
            })
            .at(&file, 0..0, ""),
        ]);
    }
    let doc = docs.remove(0);
    let errors = crate::schema::validate_profile(&doc);
    if !errors.is_empty() {
        return Err(errors);
    }
    let spec: ProfileSpec = serde_json::from_value(doc.value.clone()).map_err(|e| {
        vec![Diagnostic::new(ErrorKind::InvalidProfile {
            name: template.name.clone(),
            problem: e.to_string(),
        })]
    })?;
    let mut errors = Vec::new();
    for (kind, patch) in spec.patches.by_kind() {
        for field in ["apiVersion", "kind"] {
            if patch.contains_key(field) {
                errors.push(identity_error(
                    &doc,
                    kind,
                    &format!("/patches/{kind}/{field}"),
                    field,
                ));
            }
        }
        if patch.get("metadata").and_then(|m| m.get("name")).is_some() {
            errors.push(identity_error(
                &doc,
                kind,
                &format!("/patches/{kind}/metadata/name"),
                "metadata.name",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Layer {
        doc: Arc::new(doc),
        spec,
    })
}

fn identity_error(doc: &Document, kind: &str, pointer: &str, field: &str) -> Diagnostic {
    Diagnostic::new(ErrorKind::PatchIdentity {
        kind: kind.to_owned(),
        field: field.to_owned(),
    })
    .at(&doc.file, doc.spans.key(pointer), "fixed by the Task")
    .with_help("a patch changes objects, not which object it is: remove this key")
}

/// Merges an `extends` chain (child first): what it extends first, then each child over it.
fn merge_chain(name: &str, chain: &[(String, Arc<Layer>)]) -> Profile {
    let mut p = Profile {
        name: name.to_owned(),
        description: chain[0].1.spec.description.clone(),
        defaults: Map::new(),
        enforce: Map::new(),
        patches: BTreeMap::new(),
        registry: None,
        builder_image: None,
        builder_resources: None,
        allow_root: false,
        read_only_root_filesystem: false,
        job: JobSettings::default(),
        platform: PlatformSettings::default(),
        documents: chain.iter().map(|(_, l)| Arc::clone(&l.doc)).collect(),
    };
    for (_, layer) in chain.iter().rev() {
        let s = &layer.spec;
        merge(&mut p.defaults, &s.defaults);
        merge(&mut p.enforce, &s.enforce);
        for (kind, patch) in s.patches.by_kind() {
            merge_patch(
                p.patches
                    .entry(kind)
                    .or_insert_with(|| Value::Object(Map::new())),
                &Value::Object(patch.clone()),
            );
        }
        p.registry = s.registry.clone().or(p.registry);
        p.builder_image = s.builder_image.clone().or(p.builder_image);
        p.builder_resources = s.builder_resources.clone().or(p.builder_resources);
        p.allow_root = s.allow_root.unwrap_or(p.allow_root);
        if let Some(settings) = &s.platform {
            let q = &mut p.platform;
            q.gpu_resource = settings.gpu_resource.clone().or(q.gpu_resource.take());
            q.secret_store = settings.secret_store.clone().or(q.secret_store.take());
            q.default_claim_size = settings
                .default_claim_size
                .clone()
                .or(q.default_claim_size.take());
            q.fetch_image = settings.fetch_image.clone().or(q.fetch_image.take());
        }
        p.read_only_root_filesystem = s
            .read_only_root_filesystem
            .unwrap_or(p.read_only_root_filesystem);
        if let Some(job) = &s.job {
            p.job.backoff_limit = job.backoff_limit.or(p.job.backoff_limit);
            p.job.active_deadline_seconds = job
                .active_deadline_seconds
                .or(p.job.active_deadline_seconds);
            p.job.ttl_seconds_after_finished = job
                .ttl_seconds_after_finished
                .or(p.job.ttl_seconds_after_finished);
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: &Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn ctx_task() -> Value {
        json!({"name": "train", "project": "demo", "action": "job"})
    }

    fn load_with(catalog: &Catalog, name: &str, vars: &[(&str, &str)]) -> ProfileResult {
        let task = ctx_task();
        let vars: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        catalog.load(
            name,
            TemplateContext {
                task: &task,
                vars: &vars,
            },
        )
    }

    fn user(files: &[(&str, &str)]) -> Catalog {
        let files: Vec<_> = files
            .iter()
            .map(|(n, t)| SourceFile::new(format!("p/{n}.yaml"), *t))
            .collect();
        Catalog::new(&files)
    }

    /// Loads profile `p` of `catalog` for `n` Tasks named `t0`, `t1`, …; the cache size after.
    fn cached_after(catalog: &Catalog, n: usize) -> usize {
        let vars = BTreeMap::from([("zone".to_owned(), "a".to_owned())]);
        for i in 0..n {
            let task = json!({"name": format!("t{i}"), "action": "job"});
            let _ = catalog.load(
                "p",
                TemplateContext {
                    task: &task,
                    vars: &vars,
                },
            );
        }
        let cache = catalog.cache.lock().unwrap();
        cache.keys().filter(|(name, _)| name == "p").count()
    }

    #[test]
    fn a_missing_profile_field_is_the_profile_s() {
        let errors = load_with(&user(&[("p", "defaults: {}\n")]), "p", &[]).unwrap_err();
        assert_eq!(errors[0].kind.code(), "schema::missing_field");
        assert_eq!(
            errors[0].labels[0].text,
            "this profile has no `description`"
        );
    }

    #[test]
    fn tasks_with_the_same_template_inputs_share_one_merged_profile() {
        let catalog = user(&[(
            "p",
            "description: d\ndefaults: {labels: {zone: {{ vars.zone }}}}\n",
        )]);
        let a = load_with(&catalog, "p", &[("zone", "a")]).unwrap();
        let again = load_with(&catalog, "p", &[("zone", "a")]).unwrap();
        let b = load_with(&catalog, "p", &[("zone", "b")]).unwrap();
        assert!(Arc::ptr_eq(&a, &again));
        assert!(!Arc::ptr_eq(&a, &b));
        assert_eq!(a.defaults["labels"]["zone"], "a");
        assert_eq!(b.defaults["labels"]["zone"], "b");
    }

    #[test]
    fn a_profile_is_rendered_once_per_distinct_input_it_reads() {
        // reads only `vars`: one result for every Task
        let reads_vars = user(&[("p", "defaults: {labels: {zone: {{ vars.zone }}}}\n")]);
        assert_eq!(cached_after(&reads_vars, 50), 1);
        // a failure is cached too: a broken profile costs once, not once per Task
        let broken = user(&[("p", "defaults: {labels: {zone: {{ vars.nope }}}}\n")]);
        assert_eq!(cached_after(&broken, 50), 1);
        // reads `name`: one result per Task, but never more than the cap
        let reads_name = user(&[("p", "defaults: {labels: {task: {{ name }}}}\n")]);
        assert_eq!(cached_after(&reads_name, 20), 20);
        assert_eq!(
            cached_after(&reads_name, CACHE_ENTRIES + 100),
            CACHE_ENTRIES
        );
    }

    fn code(r: ProfileResult) -> &'static str {
        r.unwrap_err()[0].kind.code()
    }

    #[test]
    fn builtin_profiles_load() {
        let catalog = Catalog::new(&[]);
        for (name, _) in BUILTIN {
            let p = load_with(&catalog, name, &[]).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert!(!p.description.is_empty());
        }
    }

    #[test]
    fn unknown_profile_suggests() {
        let err = Catalog::new(&[])
            .load(
                "defualt",
                TemplateContext {
                    task: &ctx_task(),
                    vars: &BTreeMap::new(),
                },
            )
            .unwrap_err();
        assert_eq!(err[0].kind.code(), "profile::unknown");
        assert_eq!(
            err[0].help.as_deref(),
            Some(
                "did you mean `default`? (available profiles: default, gpu-a100, hardened, high-memory; to add `defualt`, put `defualt.yaml` in a folder given with `--profiles DIR`)"
            )
        );
    }

    #[test]
    fn user_profiles_shadow_builtin_ones_and_extend_them() {
        let c = user(&[
            ("default", "description: mine\n"),
            (
                "team",
                "description: team\nextends: hardened\nregistry: r.example.com\n",
            ),
        ]);
        assert_eq!(load_with(&c, "default", &[]).unwrap().description, "mine");
        let p = load_with(&c, "team", &[]).unwrap();
        assert_eq!(p.registry.as_deref(), Some("r.example.com"));
        assert!(
            p.read_only_root_filesystem,
            "inherited from the built-in hardened profile"
        );
        // team → hardened → default (the user's, which shadows the built-in one)
        assert_eq!(p.documents.len(), 3);
    }

    #[test]
    fn profiles_build_on_default_unless_they_extend_another() {
        let c = user(&[("plain", "description: plain\n")]);
        let p = load_with(&c, "plain", &[]).unwrap();
        assert_eq!(p.defaults["resources"]["requests"]["cpu"], "100m");
        assert_eq!(p.documents.len(), 2);
    }

    #[test]
    fn extends_chains_merge_child_over_parent() {
        let c = user(&[
            (
                "base",
                "description: base\ndefaults: {replicas: 2, envs: [{name: A, value: base}]}\njob: {backoff_limit: 3, ttl_seconds_after_finished: 60}\npatches: {Job: {spec: {parallelism: 1}}}\n",
            ),
            (
                "child",
                "description: child\nextends: base\ndefaults: {envs: [{name: B, value: child}]}\njob: {backoff_limit: 1}\npatches: {Job: {spec: {completions: 1}}}\n",
            ),
        ]);
        let p = load_with(&c, "child", &[]).unwrap();
        assert_eq!(p.defaults["replicas"], 2);
        assert_eq!(
            p.defaults["envs"],
            json!([{"name": "A", "value": "base"}, {"name": "B", "value": "child"}])
        );
        assert_eq!(
            p.defaults["resources"]["requests"]["memory"], "128Mi",
            "base builds on default"
        );
        assert_eq!(
            (p.job.backoff_limit, p.job.ttl_seconds_after_finished),
            (Some(1), Some(60))
        );
        assert_eq!(
            p.patches["Job"],
            json!({"spec": {"parallelism": 1, "completions": 1}})
        );
    }

    #[test]
    fn extends_cycles_are_named() {
        let c = user(&[
            ("a", "description: a\nextends: b\n"),
            ("b", "description: b\nextends: a\n"),
        ]);
        let err = load_with(&c, "a", &[]).unwrap_err();
        assert_eq!(
            err[0].kind,
            ErrorKind::ProfileCycle {
                cycle: "a → b → a".into()
            }
        );
    }

    #[test]
    fn templates_see_the_task_and_vars_and_escape_values() {
        let c = user(&[(
            "t",
            "description: {{ name ~ ' in ' ~ project }}\ndefaults:\n  envs: [{name: REGION, value: {{ vars.region }}}, {name: Q, value: {{ vars.evil }}}]\n",
        )]);
        let p = load_with(
            &c,
            "t",
            &[
                ("region", "eu-west-1"),
                ("evil", "x}, {name: INJECTED, value: y"),
            ],
        )
        .unwrap();
        assert_eq!(p.description, "train in demo");
        // the value stays one scalar: it cannot add a list item
        assert_eq!(
            p.defaults["envs"],
            json!([{"name": "REGION", "value": "eu-west-1"}, {"name": "Q", "value": "x}, {name: INJECTED, value: y"}])
        );
    }

    #[test]
    fn templates_are_sandboxed() {
        let endless = user(&[(
            "t",
            "description: x\n{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}\n",
        )]);
        let err = load_with(&endless, "t", &[]).unwrap_err();
        assert_eq!(err[0].kind.code(), "profile::template");
        assert!(err[0].kind.to_string().contains("fuel"), "{}", err[0].kind);
        assert_eq!(
            code(load_with(
                &user(&[("t", "description: {{ vars.missing }}\n")]),
                "t",
                &[]
            )),
            "profile::template"
        );
        assert_eq!(
            code(load_with(
                &user(&[("t", "description: x\n{% include 'other.yaml' %}\n")]),
                "t",
                &[]
            )),
            "profile::template_subset"
        );
    }

    #[test]
    fn expressions_must_be_whole_values() {
        let placement =
            |template: &str| code(load_with(&user(&[("t", template)]), "t", &[("z", "a")]));
        for refused in [
            "description: eu-{{ vars.z }}\n",
            "description: '{{ vars.z }}'\n",
            "description: \"{{ vars.z }}\"\n",
            "description:{{ vars.z }}\n",
            "description:{% if true %}{{ vars.z }}{% endif %}\n",
            "description: {{ vars.z }}-eu\n",
            "# {{ vars.z }}\ndescription: x\n",
        ] {
            assert_eq!(
                placement(refused),
                "profile::template_placement",
                "{refused}"
            );
        }
        for fine in [
            "description: {{ vars.z }}\n",
            "description: {% if true %}{{ vars.z }}{% endif %}\n",
            "description: x\ndefaults: {labels: {a: {{ vars.z }}, b: {{ vars.z }}}}\n",
            "description: x\ndefaults:\n  secrets:\n  - {{ vars.z }}  # a comment\n",
            "description: x\ndefaults: {secrets: [{{ vars.z }},{{ vars.z }}]}\n",
        ] {
            assert!(
                load_with(&user(&[("t", fine)]), "t", &[("z", "a")]).is_ok(),
                "{fine}"
            );
        }
    }

    #[test]
    fn non_ascii_text_in_a_template_tag_is_no_panic() {
        // Found by the `profile_templates` fuzz target: the tag scanner sliced the text at
        // every byte of an expression, inside `я` too.
        for template in [
            "description: {{ vars.я }}\n",
            "description: x\ndefaults: {labels: {a: {{ vars.é }}}}\n",
            "description: {% if vars.я %}x{% endif %}\n",
            "description: {# я #}x\n",
            "description: {{ vars.EEEя]}\n",
        ] {
            let result = load_with(&user(&[("t", template)]), "t", &[("z", "a")]);
            assert!(
                result.is_err() || template.contains("{#"),
                "{template}: {result:?}"
            );
        }
    }

    #[test]
    fn templates_cannot_grow_without_bound() {
        let subset = |template: &str| code(load_with(&user(&[("t", template)]), "t", &[]));
        // repetition, named values that an expression could double, macros, accumulation
        for refused in [
            "description: {{ ([(\"x\" * 90000)] * 20000)|join|length }}\n",
            "description: {{ ([1]*100000000)|length }}\n",
            "{% set a = task %}description: x\n",
            "{% with a = task %}{% endwith %}description: x\n",
            "{% macro d(s) %}{{ s }}{% endmacro %}description: x\n",
        ] {
            assert_eq!(subset(refused), "profile::template_subset", "{refused}");
        }
        // builtins that make a value far larger than their input are not there
        for removed in [
            "description: {{ \"x\"|indent(1000000000) }}\n",
            "description: {{ [1]|batch(1000000000, 0)|length }}\n",
            "{% for i in range(3) %}{% endfor %}description: {{ namespace(s=1) }}\n",
        ] {
            assert_eq!(subset(removed), "profile::template", "{removed}");
        }
        // the rendered profile is capped
        let big = format!(
            "description: x\nitems:{{% for i in range(20000) %}}\n- {{{{ \"{}\" }}}}{{% endfor %}}\n",
            "y".repeat(100)
        );
        assert_eq!(subset(&big), "profile::template_subset");
        // `*` inside a string, and the allowed statements, are fine
        assert!(load_with(
            &user(&[("t", "description: {{ \"a*b\" }}\n{% if true %}{% for i in range(2) %}{% endfor %}{% endif %}\n")]),
            "t",
            &[]
        )
        .is_ok());
    }

    #[test]
    fn profiles_are_validated() {
        assert_eq!(
            code(load_with(
                &user(&[("t", "description: x\ndefaults: {replica: 2}\n")]),
                "t",
                &[]
            )),
            "schema::unknown_field"
        );
        assert_eq!(
            code(load_with(
                &user(&[("t", "description: x\npatches: {Job: {kind: Pod}}\n")]),
                "t",
                &[]
            )),
            "profile::patch_identity"
        );
        assert_eq!(
            code(load_with(
                &user(&[(
                    "t",
                    "description: x\npatches: {Job: {metadata: {name: other}}}\n"
                )]),
                "t",
                &[]
            )),
            "profile::patch_identity"
        );
        assert_eq!(
            code(load_with(
                &user(&[("t", "description: [broken\n")]),
                "t",
                &[]
            )),
            "yaml::syntax"
        );
    }

    #[test]
    fn patches_merge_named_lists_by_name() {
        let mut object = json!({"spec": {"containers": [{"name": "a", "image": "x"}], "tolerations": [{"key": "k"}]}});
        merge_patch(
            &mut object,
            &json!({"spec": {"containers": [{"name": "a", "stdin": false}, {"name": "b"}], "tolerations": [{"key": "z"}]}}),
        );
        assert_eq!(
            object,
            json!({"spec": {"containers": [{"name": "a", "image": "x", "stdin": false}, {"name": "b"}], "tolerations": [{"key": "z"}]}})
        );
    }

    #[test]
    fn merge_rules() {
        let (defaults, enforce) = (
            obj(&json!({
                "resources": {"requests": {"cpu": "1", "memory": "1Gi"}},
                "envs": [{"name": "A", "value": "default"}, {"name": "B", "value": "default"}],
                "tolerations": [{"key": "x", "operator": "Exists"}],
                "replicas": 3,
            })),
            obj(&json!({
                "node_selector": [{"key": "pool", "value": "gpu"}],
                "envs": [{"name": "B", "value": "enforced"}],
            })),
        );
        let task = obj(&json!({
            "resources": {"requests": {"cpu": "2"}},
            "envs": [{"name": "A", "value": "task"}, {"name": "C", "value": "task"}],
            "tolerations": [{"key": "y", "operator": "Exists"}],
            "node_selector": [{"key": "pool", "value": "cpu"}, {"key": "zone", "value": "a"}],
        }));
        let merged = Value::Object(merge::apply(&defaults, &task, &enforce).value);
        assert_eq!(
            merged,
            json!({
                // mappings merge key by key; the Task beats defaults
                "resources": {"requests": {"cpu": "2", "memory": "1Gi"}},
                // keyed lists merge by key in place; enforce beats the Task
                "envs": [{"name": "A", "value": "task"}, {"name": "B", "value": "enforced"}, {"name": "C", "value": "task"}],
                // other lists are replaced
                "tolerations": [{"key": "y", "operator": "Exists"}],
                // scalars the Task does not set come from defaults
                "replicas": 3,
                "node_selector": [{"key": "pool", "value": "gpu"}, {"key": "zone", "value": "a"}],
            })
        );
    }
}
