//! User-facing diagnostics: one enum of error kinds with stable codes, and [`Diagnostic`],
//! which adds where (file, byte ranges) and what to do (help) and renders through miette.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use miette::{LabeledSpan, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

use crate::text::SourceFile;

/// Defines [`ErrorKind`] together with its stable codes, so a code can never be missing.
macro_rules! error_kinds {
    ($(
        $(#[doc = $doc:literal])+
        $code:literal => $variant:ident $({ $($field:ident : $ty:ty),* $(,)? })? = $msg:literal,
    )*) => {
        /// Every kind of problem taskrender reports. The message is lowercase, names user
        /// values in backticks and has no trailing period.
        #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
        pub(crate) enum ErrorKind {
            $( $(#[doc = $doc])+ #[error($msg)] $variant $({ $($field: $ty),* })?, )*
        }

        impl ErrorKind {
            /// The stable code, `stage::snake_name`: scripts and docs may rely on it.
            pub(crate) fn code(&self) -> &'static str {
                match self { $( Self::$variant { .. } => $code, )* }
            }

            /// Every code, in declaration order.
            #[cfg(test)]
            pub(crate) const CODES: &'static [&'static str] = &[$($code),*];

            /// Every code with its doc comment's lines: the source of `docs/codes.md`.
            #[cfg(test)]
            pub(crate) const DOCS: &'static [(&'static str, &'static [&'static str])] =
                &[$(($code, &[$($doc),+])),*];
        }
    };
}

error_kinds! {
    /// A path given on the command line, or a file below a directory argument, cannot be read.
    "io::read" => Read { path: String, reason: String } = "cannot read `{path}`: {reason}",
    /// An input file is larger than the input cap.
    "io::too_large" => TooLarge { path: String, limit_mib: u64 }
        = "`{path}` is larger than {limit_mib} MiB, the largest Task file accepted",
    /// An input file is not valid UTF-8.
    "io::not_utf8" => NotUtf8 { path: String } = "`{path}` is not valid UTF-8",
    /// A directory argument holds no `*.yaml` / `*.yml` file.
    "io::no_task_files" => NoTaskFiles { path: String }
        = "no Task files (`*.yaml`, `*.yml`) in directory `{path}`",
    /// An output file or directory cannot be written.
    "io::write" => Write { path: String, reason: String } = "cannot write `{path}`: {reason}",
    /// The YAML parser rejected the text.
    "yaml::syntax" => YamlSyntax { message: String } = "invalid YAML: {message}",
    /// A mapping repeats a key.
    "yaml::duplicate_key" => DuplicateKey { key: String } = "duplicate key `{key}`",
    /// An alias (`*name`) with no anchor (`&name`) before it in its document.
    "yaml::undefined_alias" => UndefinedAlias { alias: String }
        = "alias `*{alias}` is not defined",
    /// The value of a `<<` merge key is not a mapping or a list of mappings.
    "yaml::merge_value" => MergeValue { found: String }
        = "`<<` merges mappings, found {found}",
    /// The document exceeds a parser safety limit (alias expansion, nesting depth, size).
    "yaml::limit" => YamlLimit { message: String } = "YAML safety limit exceeded: {message}",
    /// A file holds no document at all.
    "task::empty" => EmptyFile { path: String } = "`{path}` holds no Task",
    /// A document is not a mapping of Task parameters.
    "task::not_a_mapping" => NotAMapping { found: String }
        = "a Task must be a mapping of parameters, found {found}",
    /// A mapping key is not a string.
    "yaml::key_not_string" => KeyNotString { found: String } = "keys must be strings, found {found}",
    /// A key that no Task parameter (or nested object) has.
    "schema::unknown_field" => UnknownField { field: String, parent: String }
        = "unknown key `{field}` in {parent}",
    /// A parameter that exists, but belongs to other actions.
    "schema::wrong_action" => WrongAction { field: String, action: String }
        = "`{field}` does not apply to action `{action}`",
    /// A required parameter is absent.
    "schema::missing_field" => MissingField { field: String, parent: String }
        = "missing `{field}` in {parent}",
    /// A value has the wrong YAML type (string, number, list, mapping).
    "schema::type" => WrongType { field: String, expected: String, found: String }
        = "`{field}` must be {expected}, found {found}",
    /// A value has the right type but breaks a schema rule not listed below.
    "schema::invalid_value" => InvalidValue { field: String, problem: String }
        = "invalid `{field}`: {problem}",
    /// A string does not match its format (names, image references, quantities, paths).
    "schema::pattern" => Pattern { field: String, problem: String }
        = "invalid `{field}`: {problem}",
    /// A value is not one of the allowed ones (`action`, `service_type`, pull policies…).
    "schema::enum" => NotOneOf { field: String, problem: String }
        = "invalid `{field}`: {problem}",
    /// A number is below its minimum or above its maximum.
    "schema::range" => OutOfRange { field: String, problem: String }
        = "invalid `{field}`: {problem}",
    /// A string or list is empty, too short or too long.
    "schema::length" => Length { field: String, problem: String }
        = "invalid `{field}`: {problem}",
    /// A mapping key is not in the format its mapping requires (label and annotation keys).
    "schema::invalid_key" => InvalidKey { field: String, problem: String }
        = "invalid `{field}`: {problem}",
    /// A Task sets a label taskrender sets itself (`app.kubernetes.io/*`, `taskrender.io/profile`).
    "task::reserved_label" => ReservedLabel { field: String, problem: String }
        = "invalid `{field}`: {problem}",
    /// A `function.command` string that cannot be split into words (an unclosed quote).
    "task::command_syntax" => CommandSyntax { field: String, problem: String }
        = "invalid `{field}`: {problem}",
    /// A volume mounts an existing claim (`claim_name`) and also sets what only a new claim has.
    "volume::claim_conflict" => ClaimConflict { field: String, problem: String }
        = "invalid `{field}`: {problem}",
    /// A new `persistent_volume_claim` without `spec.size`.
    "volume::missing_size" => ClaimWithoutSize { field: String, parent: String }
        = "missing `{field}` in {parent}",
    /// A `build` Task whose name leaves no room for the builder Job's `-build` suffix.
    "build::name_too_long" => BuildNameTooLong { field: String, problem: String }
        = "invalid `{field}`: {problem}",
    /// A `build` Task with no image to build `FROM`.
    "build::missing_base_image" => NoBaseImage { field: String, parent: String }
        = "missing `{field}` in {parent}",
    /// A build instruction that would break or subvert the Dockerfile.
    "build::instruction" => Instruction { field: String, problem: String }
        = "invalid `{field}`: {problem}",
    /// A `build` Task's volume takes a name or path the builder uses itself.
    "build::reserved_volume" => ReservedVolume { field: String, problem: String }
        = "invalid `{field}`: {problem}",
    /// A service port gives both `targetPort` and `target_port`.
    "service::target_port_twice" => TargetPortTwice { field: String, problem: String }
        = "invalid `{field}`: {problem}",
    /// A `nodePort` on a `ClusterIP` Service.
    "service::node_port_type" => NodePortType { field: String, problem: String }
        = "invalid `{field}`: {problem}",
    /// Two list items share what must be unique (env names, volume names, mount paths, keys).
    "task::duplicate" => Duplicate { what: String, value: String } = "duplicate {what} `{value}`",
    /// A resource request is larger than its limit.
    "task::request_above_limit" => RequestAboveLimit { resource: String, request: String, limit: String }
        = "request `{resource}: {request}` is above its limit `{limit}`",
    /// A uid or gid of 0 (root) without a profile that allows it.
    "task::root_id" => RootId { field: String } = "`{field}: 0` would run as root",
    /// Two Tasks of one run have the same name (their objects or output folders collide).
    "task::duplicate_name" => DuplicateTask { name: String } = "two Tasks are named `{name}`",
    /// A `serve` Task without `service_ports` (a warning: the Deployment is still rendered).
    "service::no_ports" => NoService { name: String }
        = "no Service rendered for `{name}`: it has no `service_ports`",
    /// A `profile:` that no profile folder holds.
    "profile::unknown" => UnknownProfile { name: String } = "unknown profile `{name}`",
    /// A profile template failed to render (syntax, undefined variable, fuel exhausted).
    "profile::template" => ProfileTemplate { message: String } = "profile template error: {message}",
    /// Profiles whose `extends` lead back to themselves.
    "profile::cycle" => ProfileCycle { cycle: String } = "profiles extend each other in a cycle: {cycle}",
    /// A patch that would change which object it patches.
    "profile::patch_identity" => PatchIdentity { kind: String, field: String }
        = "a `{kind}` patch may not set `{field}`",
    /// A patch field the Kubernetes object type does not have (it would be dropped).
    "profile::patch_unknown_field" => DroppedField { kind: String, field: String }
        = "`{kind}` has no field `{field}`: the patch would be silently dropped",
    /// A patch value of the wrong type for its Kubernetes field.
    "profile::patch_invalid" => InvalidPatch { kind: String, problem: String }
        = "the `{kind}` patch does not fit the object: {problem}",
    /// `check --strict`: the profile's `enforce` overrides a value the Task set.
    "profile::enforced" => Enforced { field: String, profile: String }
        = "`{field}` is overridden by profile `{profile}`",
    /// A label, annotation or node selector key whose name part is longer than 63
    /// characters or whose prefix is longer than 253 (Kubernetes' limits for qualified names).
    "task::key_too_long" => KeyTooLong { field: String, problem: String }
        = "invalid `{field}`: {problem}",
    /// The annotations' keys and values add up to more than the 256 KiB Kubernetes allows.
    "task::annotations_too_large" => AnnotationsTooLarge { size: usize }
        = "annotations take {size} bytes, more than the 262144 (256 KiB) Kubernetes accepts",
    /// A rendered object is larger than the API server accepts in one request (3 MiB).
    "task::object_too_large" => ObjectTooLarge { kind: String, name: String, size: usize }
        = "the {kind} `{name}` would be {size} bytes, more than the 3145728 (3 MiB) the API server accepts",
    /// A `serve` Task's name is not a DNS-1035 label (its Service cannot start with a digit).
    "service::name" => ServiceName { name: String }
        = "a `serve` Task's name must start with a letter: `{name}` also names its Service",
    /// A `nodePort` outside the cluster's default node port range, 30000–32767.
    "service::node_port_range" => NodePortRange { port: u16 }
        = "`nodePort: {port}` is outside the node port range 30000-32767",
    /// A `mount_path` with a `..` segment.
    "volume::mount_path_parent" => MountPathParent { field: String, path: String }
        = "invalid `{field}`: `{path}` contains a `..` segment",
    /// A build's Dockerfile too large for the `ConfigMap` that carries it (1 MiB).
    "build::dockerfile_too_large" => DockerfileTooLarge { size: usize }
        = "the Dockerfile is {size} bytes, more than the 1048576 (1 MiB) a ConfigMap holds",
    /// A resource name that is neither a standard container resource (`cpu`, `memory`,
    /// `ephemeral-storage`, `hugepages-<size>`) nor domain-qualified (`nvidia.com/gpu`).
    "resources::name" => ResourceName { field: String, problem: String }
        = "invalid `{field}`: {problem}",
    /// An extended resource (`nvidia.com/gpu`) or huge pages requested without a limit:
    /// they cannot be overcommitted.
    "resources::limit_required" => LimitRequired { resource: String }
        = "`{resource}` is requested without a limit: it cannot be overcommitted",
    /// An extended resource's or huge pages' request differs from its limit.
    "resources::request_not_limit" => RequestNotLimit { resource: String, request: String, limit: String }
        = "request `{resource}: {request}` must equal its limit `{limit}`",
    /// An extended resource (`nvidia.com/gpu`) given a fractional quantity.
    "resources::not_integer" => NotInteger { resource: String, value: String }
        = "`{resource}: {value}` must be a whole number",
    /// A huge pages quantity that is not a whole number of pages (`hugepages-2Mi: 3Mi`), or
    /// a `hugepages-<size>` whose size is not a quantity.
    "resources::hugepages_size" => HugePagesSize { resource: String, value: String }
        = "`{resource}: {value}` is not a whole number of `{resource}` pages",
    /// Huge pages without a `cpu` or `memory` request or limit.
    "resources::hugepages_alone" => HugePagesAlone { resource: String }
        = "`{resource}` needs a `cpu` or `memory` request or limit beside it",
    /// A toleration key, affinity key, `topologyKey` or `matchLabels` key that is not a
    /// label key.
    "schedule::invalid_key" => ScheduleKey { field: String, problem: String }
        = "invalid `{field}`: {problem}",
    /// A `matchLabels` value or a toleration's `value` that is not a label value.
    "schedule::label_value" => ScheduleLabelValue { field: String, problem: String }
        = "invalid `{field}`: {problem}",
    /// A toleration that cannot match: `Exists` with a `value`, or an empty `key` with an
    /// operator other than `Exists`.
    "schedule::toleration_operator" => TolerationOperator { field: String, problem: String }
        = "invalid `{field}`: {problem}",
    /// `tolerationSeconds` on a toleration whose effect is not `NoExecute`.
    "schedule::toleration_seconds" => TolerationSeconds { field: String }
        = "`{field}` applies only to the `NoExecute` effect",
    /// A selector expression whose `values` do not fit its operator (`In` with none,
    /// `Exists` with some, `Gt` with other than one).
    "schedule::selector_values" => SelectorValues { field: String, problem: String }
        = "invalid `{field}`: {problem}",
    /// An empty `topologyKey`.
    "schedule::topology_key" => TopologyKey { field: String } = "`{field}` may not be empty",
    /// A preferred scheduling term's `weight` outside 1–100.
    "schedule::weight" => Weight { field: String, weight: i32 }
        = "`{field}: {weight}` is outside 1-100",
    /// `nodeSelectorTerms: []`: a required node affinity that no node could satisfy.
    "schedule::no_terms" => NoTerms { field: String }
        = "`{field}` needs at least one term",
    /// A file in a `--profiles` folder that is not a YAML file is skipped; a missing folder is an error.
    "io::profiles_dir" => ProfilesDir { path: String, reason: String } = "cannot read profile folder `{path}`: {reason}",
    /// A profile file that is not a valid profile.
    "profile::invalid" => InvalidProfile { name: String, problem: String }
        = "invalid profile `{name}`: {problem}",
}

/// How bad a diagnostic is. Only errors change the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Severity {
    Error,
    Warning,
}

/// A labelled byte range in the diagnostic's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Label {
    pub(crate) span: Range<usize>,
    pub(crate) text: String,
}

/// One reported problem: what ([`ErrorKind`]), where (file and labelled ranges; the first
/// label is the primary location) and what to do (`help`).
#[derive(Debug, Clone)]
pub(crate) struct Diagnostic {
    pub(crate) kind: ErrorKind,
    pub(crate) severity: Severity,
    pub(crate) file: Option<Arc<SourceFile>>,
    pub(crate) labels: Vec<Label>,
    pub(crate) help: Option<String>,
}

impl Diagnostic {
    pub(crate) fn new(kind: ErrorKind) -> Self {
        Self {
            kind,
            severity: Severity::Error,
            file: None,
            labels: Vec::new(),
            help: None,
        }
    }

    /// Points the diagnostic at `span` in `file`, labelled `text`.
    #[must_use]
    pub(crate) fn at(
        mut self,
        file: &Arc<SourceFile>,
        span: Range<usize>,
        text: impl Into<String>,
    ) -> Self {
        self.file = Some(Arc::clone(file));
        self.labels.push(Label {
            span,
            text: text.into(),
        });
        self
    }

    /// Adds a secondary label in the same file (ignored when the diagnostic has no file).
    #[must_use]
    pub(crate) fn also(mut self, span: Range<usize>, text: impl Into<String>) -> Self {
        if self.file.is_some() {
            self.labels.push(Label {
                span,
                text: text.into(),
            });
        }
        self
    }

    #[must_use]
    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    #[must_use]
    pub(crate) fn warning(mut self) -> Self {
        self.severity = Severity::Warning;
        self
    }

    pub(crate) fn primary_span(&self) -> Option<&Range<usize>> {
        self.labels.first().map(|l| &l.span)
    }

    /// `(line, column)`, 1-based, of the primary label.
    pub(crate) fn line_col(&self) -> Option<(usize, usize)> {
        Some(self.file.as_ref()?.line_col(self.primary_span()?.start))
    }

    /// Sort key that keeps reports in input order: file, position, then code.
    pub(crate) fn sort_key(&self) -> (Option<&str>, usize, &'static str) {
        (
            self.file.as_ref().map(|f| f.name.as_str()),
            self.primary_span().map_or(0, |s| s.start),
            self.kind.code(),
        )
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind.fmt(f)
    }
}

impl std::error::Error for Diagnostic {}

impl miette::Diagnostic for Diagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.kind.code()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.file.as_deref().map(|f| f as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.file.as_ref()?;
        Some(Box::new(self.labels.iter().enumerate().map(|(i, l)| {
            let span = SourceSpan::from(l.span.clone());
            let text = (!l.text.is_empty()).then(|| l.text.clone());
            if i == 0 {
                LabeledSpan::new_primary_with_span(text, span)
            } else {
                LabeledSpan::new_with_span(text, span)
            }
        })))
    }
}

impl SourceCode for SourceFile {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, miette::MietteError> {
        let inner = self
            .text
            .read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line(),
            inner.column(),
            inner.line_count(),
        )))
    }
}

/// The closest candidate to `word`, if one is close enough to be what the user meant:
/// the same letters ignoring case, `_` and `-` (`nodeSelector` → `node_selector`), or a
/// small edit distance.
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let fold = |s: &str| {
        s.chars()
            .filter(|c| *c != '_' && *c != '-')
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    let folded = fold(word);
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        let distance = if fold(candidate) == folded {
            0
        } else {
            strsim::damerau_levenshtein(&folded, &fold(candidate))
        };
        let allowed = (candidate.len().max(word.len()) / 3).max(1);
        if distance <= allowed && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_stable() {
        let mut codes = ErrorKind::CODES.to_vec();
        codes.sort_unstable();
        let before = codes.len();
        codes.dedup();
        assert_eq!(codes.len(), before, "duplicate diagnostic code");
        // Codes are public API: changing this list is a breaking change for users' scripts.
        assert_eq!(
            codes,
            [
                "build::dockerfile_too_large",
                "build::instruction",
                "build::missing_base_image",
                "build::name_too_long",
                "build::reserved_volume",
                "io::no_task_files",
                "io::not_utf8",
                "io::profiles_dir",
                "io::read",
                "io::too_large",
                "io::write",
                "profile::cycle",
                "profile::enforced",
                "profile::invalid",
                "profile::patch_identity",
                "profile::patch_invalid",
                "profile::patch_unknown_field",
                "profile::template",
                "profile::unknown",
                "resources::hugepages_alone",
                "resources::hugepages_size",
                "resources::limit_required",
                "resources::name",
                "resources::not_integer",
                "resources::request_not_limit",
                "schedule::invalid_key",
                "schedule::label_value",
                "schedule::no_terms",
                "schedule::selector_values",
                "schedule::toleration_operator",
                "schedule::toleration_seconds",
                "schedule::topology_key",
                "schedule::weight",
                "schema::enum",
                "schema::invalid_key",
                "schema::invalid_value",
                "schema::length",
                "schema::missing_field",
                "schema::pattern",
                "schema::range",
                "schema::type",
                "schema::unknown_field",
                "schema::wrong_action",
                "service::name",
                "service::no_ports",
                "service::node_port_range",
                "service::node_port_type",
                "service::target_port_twice",
                "task::annotations_too_large",
                "task::command_syntax",
                "task::duplicate",
                "task::duplicate_name",
                "task::empty",
                "task::key_too_long",
                "task::not_a_mapping",
                "task::object_too_large",
                "task::request_above_limit",
                "task::reserved_label",
                "task::root_id",
                "volume::claim_conflict",
                "volume::missing_size",
                "volume::mount_path_parent",
                "yaml::duplicate_key",
                "yaml::key_not_string",
                "yaml::limit",
                "yaml::merge_value",
                "yaml::syntax",
                "yaml::undefined_alias",
            ]
        );
    }

    /// `docs/codes.md`: every code, grouped by its domain, with when it fires. Bless with
    /// `UPDATE_DOCS=1 cargo test codes_doc`.
    #[test]
    fn codes_doc_is_fresh() {
        use std::fmt::Write as _;
        let mut docs: Vec<(&str, String)> = ErrorKind::DOCS
            .iter()
            .map(|(code, lines)| {
                let text: Vec<&str> = lines.iter().map(|l| l.trim()).collect();
                (*code, text.join(" "))
            })
            .collect();
        docs.sort_unstable();
        let mut out = String::from(
            "# Diagnostic codes\n\n\
             <!-- generated from src/diagnostic.rs by `UPDATE_DOCS=1 cargo test codes_doc`; do not edit -->\n\n\
             Every diagnostic taskrender reports has a stable code, `domain::rule`: `--format json` \
             prints it as `code`, `--format github` as the annotation's title, and the human report \
             above the message. Codes are public: a code is never reused for another rule, and a \
             renamed code is listed in `CHANGELOG.md`.\n",
        );
        let mut domain = "";
        for (code, text) in &docs {
            let d = code.split("::").next().unwrap_or_default();
            if d != domain {
                domain = d;
                let _ = write!(out, "\n## `{d}`\n\n| code | when |\n|---|---|\n");
            }
            let _ = writeln!(out, "| `{code}` | {} |", text.replace('|', "\\|"));
        }
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/codes.md");
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(path, &out).expect("write docs/codes.md");
            return;
        }
        let checked_in = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            checked_in == out,
            "docs/codes.md is stale: run `UPDATE_DOCS=1 cargo test codes_doc`"
        );
    }

    #[test]
    fn suggestions() {
        let keys = ["replicas", "node_selector", "volumes", "envs"];
        assert_eq!(did_you_mean("replica", keys), Some("replicas"));
        assert_eq!(did_you_mean("nodeSelector", keys), Some("node_selector"));
        assert_eq!(did_you_mean("env", keys), Some("envs"));
        assert_eq!(did_you_mean("image", keys), None);
    }
}
