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
    /// A link inside a folder taskrender reads (Task files, `--profiles`) that leads out of
    /// that folder: it is not followed, so content a pull request adds cannot make
    /// taskrender read (and quote in its errors) a file elsewhere on the machine.
    "io::link_outside" => LinkOutside { path: String, root: String }
        = "`{path}` is a link that leads out of `{root}`; it was not read",
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
    /// Two list items share what must be unique (env names, volume names, mount paths, keys,
    /// the Secrets and store keys of `secrets`).
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
    /// A template expression that is not a whole YAML value (inside quotes, or next to other text).
    "profile::template_placement" => TemplatePlacement
        = "a template expression must be a whole YAML value",
    /// A template uses what the profile template language leaves out (`*`, `{% set %}`,
    /// macros, an amplifying filter) or exceeds its size limits.
    "profile::template_subset" => TemplateSubset { what: String }
        = "profile templates may not use {what}",
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
    /// A patch that would run a pod as root (uid or gid 0, `runAsNonRoot` false or removed)
    /// in a profile without `allow_root`.
    "profile::patch_root" => PatchRoot { kind: String, what: String }
        = "the `{kind}` patch would run the pod as root: {what}",
    /// A patch that would make a container privileged, allow privilege escalation, add a
    /// capability, keep one (`capabilities.drop` without `ALL`) or unmask `/proc`.
    "profile::patch_privilege" => PatchPrivilege { kind: String, what: String }
        = "the `{kind}` patch would give the pod privileges: {what}",
    /// A patch that would share the node's namespaces or ports with a pod, mount a node path
    /// (or a volume type the restricted standard leaves out), set an unsafe sysctl, or run a
    /// Windows host process.
    "profile::patch_host" => PatchHost { kind: String, what: String }
        = "the `{kind}` patch would give the pod access to the node: {what}",
    /// A patch that would remove or lift seccomp, `AppArmor` or `SELinux` confinement.
    "profile::patch_confinement" => PatchConfinement { kind: String, what: String }
        = "the `{kind}` patch would lift the pod's confinement: {what}",
    /// A patch that sets `status`, which the cluster writes.
    "profile::patch_status" => PatchStatus { kind: String }
        = "a `{kind}` patch may not set `status`",
    /// A patch that would change what taskrender renders from the Task: `ConfigMap` data (a
    /// build's Dockerfile, source files) or the build Job's Kaniko invocation.
    "profile::patch_generated" => PatchGenerated { kind: String, what: String }
        = "the `{kind}` patch would change {what}, which taskrender renders from the Task",
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
    /// A `serve` Task's name is not a DNS-1035 label: it also names the Service, and a
    /// Service name starting with a digit is refused by every Kubernetes release before the
    /// `RelaxedServiceNameValidation` feature (kube-apiserver 1.37 accepts `1web`; the
    /// rendered output is meant for older clusters too).
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
    /// Huge pages requested without a limit: they cannot be overcommitted.
    "resources::limit_required" => LimitRequired { resource: String }
        = "`{resource}` is requested without a limit: it cannot be overcommitted",
    /// A huge pages request that differs from its limit.
    "resources::request_not_limit" => RequestNotLimit { resource: String, request: String, limit: String }
        = "request `{resource}: {request}` must equal its limit `{limit}`",
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
    /// A pod affinity or anti-affinity term without `labelSelector`: it matches no pod (the
    /// API server warns; `labelSelector: {}` matches every pod).
    "schedule::no_label_selector" => NoLabelSelector { field: String }
        = "`{field}` has no `labelSelector`: it matches no pod",
    /// `nodeSelectorTerms: []`: a required node affinity that no node could satisfy.
    "schedule::no_terms" => NoTerms { field: String }
        = "`{field}` needs at least one term",
    /// A file in a `--profiles` folder that is not a YAML file is skipped; a missing folder is an error.
    "io::profiles_dir" => ProfilesDir { path: String, reason: String } = "cannot read profile folder `{path}`: {reason}",
    /// A profile file that is not a valid profile.
    "profile::invalid" => InvalidProfile { name: String, problem: String }
        = "invalid profile `{name}`: {problem}",
    /// A platform function name that is not a DNS-1123 label is normalised (a warning).
    "task::name_normalised" => NameNormalised { original: String, used: String }
        = "name `{original}` is not a DNS-1123 label; using `{used}`",
    /// A name with no letter or digit to make a DNS-1123 label from.
    "task::name_unusable" => NameUnusable { original: String }
        = "name `{original}` has no letter or digit to make a DNS-1123 label from",
    /// An id, count or port written as a digit string is out of its range.
    "task::digits_range" => DigitsRange { field: String, value: String, min: u32, max: u32 }
        = "`{field}: \"{value}\"` is not between {min} and {max}",
    /// `resources` mixes two shapes (Kubernetes `requests`/`limits`, scalar, per-resource).
    "resources::mixed_shapes" => MixedShapes { first: String, second: String }
        = "`resources.{first}` and `resources.{second}` are two shapes of resources",
    /// An extended resource (such as `nvidia.com/gpu`) is requested without a limit.
    "resources::extended_no_limit" => ExtendedNoLimit { resource: String }
        = "extended resource `{resource}` has a request but no limit",
    /// An extended resource's request differs from its limit.
    "resources::extended_unequal" => ExtendedUnequal { resource: String, request: String, limit: String }
        = "extended resource `{resource}`: request `{request}` differs from limit `{limit}`",
    /// An extended resource that is not a whole number.
    "resources::extended_fraction" => ExtendedFraction { resource: String, value: String }
        = "extended resource `{resource}` must be a whole number, found `{value}`",
    /// `resources.disk` where another volume is mounted at `/shared` already.
    "resources::disk_conflict" => DiskConflict { field: String }
        = "`resources.disk` mounts a scratch volume at `/shared`, which `{field}` uses already",
    /// `resources.disk` on `build`, which ignores it (a warning).
    "resources::disk_on_build" => DiskOnBuild = "`resources.disk` is ignored by `build`",
    /// A secret-store key on a Task with no `project` and no profile `secret_store`.
    "secret::no_store" => NoSecretStore { key: String }
        = "secret-store key `{key}` needs the store's name",
    /// A `function.source` URL scheme taskrender cannot fetch for this action.
    "source::scheme" => SourceScheme { scheme: String, action: String }
        = "`function.source` scheme `{scheme}://` is not supported on `{action}`",
    /// A `function.source` URL with credentials in it (they would be rendered in clear).
    "source::credentials" => SourceCredentials
        = "`function.source` has credentials in its URL",
    /// An inline `function.source` that cannot become a file.
    "source::inline" => InlineSource { problem: String } = "invalid inline `function.source`: {problem}",
    /// Inline content beside a remote ref in `function.source` (a warning: the ref wins).
    "source::content_ignored" => SourceContentIgnored { field: String }
        = "`function.source.{field}` is ignored beside a remote `source`",
    /// `function.source` needs `/shared`, which a volume of the Task takes otherwise.
    "source::shared_volume" => SharedVolume { field: String }
        = "`function.source` needs the volume name `shared`, which `{field}` uses already",
    /// A run parameter on `build`: kept for the image's later runs, ignored by the build (a warning).
    "build::run_parameter" => RunParameterOnBuild { field: String }
        = "`{field}` applies to later runs of the image; the build ignores it",
    /// `function.base_image` on job, serve or deploy: used by builds only (a warning).
    "task::base_image_ignored" => BaseImageIgnored { action: String }
        = "`function.base_image` is used by builds only; `{action}` ignores it",
    /// `import`: a document that is not a container entity is skipped (a warning).
    "import::not_an_entity" => ImportNotEntity { found: String }
        = "not a container entity ({found}); skipped",
    /// `import`: a task or run whose function is not among the inputs.
    "import::no_function" => ImportNoFunction { task: String }
        = "no function entity for task of `{task}`",
    /// `import`: a function without a task: a Task needs an action.
    "import::no_task" => ImportNoTask { function: String }
        = "function `{function}` has no task entity",
    /// `import`: a function spec field that no Task has is left out (a warning).
    "import::ignored_field" => ImportIgnored { field: String }
        = "`{field}` is not a container function field; left out",
    /// `function.image_from` that names no `build` Task of the run, or sits beside `image`.
    "build::image_from" => ImageFrom { name: String, problem: String }
        = "`function.image_from: {name}`: {problem}",
    /// A document that is a Kubernetes object (`apiVersion` and `kind`), not a Task: often an
    /// output folder inside the input folder.
    "task::kubernetes_object" => KubernetesObject { kind: String, api_version: String }
        = "a Kubernetes `{kind}` (`{api_version}`), not a Task",
    /// `check`: `${VAR}` in a command, argument or env value; a deployment tool that
    /// substitutes variables (Flux's `postBuild`) would replace it before the container sees it.
    "lint::substitution" => Substitution { field: String, variable: String }
        = "`{field}` holds `{variable}`, which a GitOps tool may substitute",
    /// `check`: an image without a tag, or tagged `latest`: what runs changes without a commit.
    "lint::mutable_image" => MutableImage { image: String, problem: String }
        = "image `{image}` {problem}",
    /// `check`: a `deploy` or `serve` Task with more than one replica and a new
    /// `ReadWriteOnce` claim, which pods on different nodes cannot share.
    "lint::shared_claim" => SharedClaim { volume: String, replicas: i32 }
        = "{replicas} replicas share the new `ReadWriteOnce` claim of volume `{volume}`",
    /// `check`: no `run_as_user` (from the Task or its profile): an image whose user is root
    /// fails `runAsNonRoot` when the pod starts.
    "lint::no_run_as_user" => NoRunAsUser { name: String }
        = "Task `{name}` sets no `run_as_user`",
    /// A project file (`taskrender.yaml`) that does not fit its schema.
    "project::invalid" => InvalidProject { path: String, problem: String }
        = "invalid project file `{path}`: {problem}",
    /// `--env NAME` names no environment of the project file.
    "project::unknown_env" => UnknownEnvironment { name: String, known: String }
        = "no environment `{name}` in the project file (it has {known})",
    /// `check`: a build destination without a registry host: Kaniko would push to Docker Hub.
    "lint::no_registry" => NoRegistry { destination: String }
        = "build destination `{destination}` names no registry",
    /// `check`: a line of a build's Dockerfile that a Dockerfile linter (hadolint, checkov)
    /// flags; the line is the Task's (`instructions`, `base_image`), kept as written.
    "lint::dockerfile" => DockerfileLine { field: String, rule: String, problem: String }
        = "`{field}` {problem} ({rule})",
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
        // miette reads from the start of the text for every excerpt (quadratic in problems
        // × file size): give it only the lines the excerpt needs, from the line index.
        let lines = self.lines();
        let start = span.offset().min(self.text.len());
        let window = lines.excerpt(
            &self.text,
            start..start + span.len(),
            context_lines_before,
            context_lines_after,
            crate::lines::MAX_SHOWN_LINE,
        );
        let local = SourceSpan::new((start - window.start).into(), span.len());
        let inner = self.text[window.clone()].read_span(
            &local,
            context_lines_before,
            context_lines_after,
        )?;
        let first_line = lines.miette_lines_before(window.start);
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            SourceSpan::new(
                (inner.span().offset() + window.start).into(),
                inner.span().len(),
            ),
            inner.line() + first_line,
            inner.column(),
            inner.line_count() + first_line,
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

    /// Codes are public API: changing this list is a breaking change for users' scripts.
    const STABLE_CODES: &[&str] = &[
        "build::dockerfile_too_large",
        "build::image_from",
        "build::instruction",
        "build::missing_base_image",
        "build::name_too_long",
        "build::reserved_volume",
        "build::run_parameter",
        "import::ignored_field",
        "import::no_function",
        "import::no_task",
        "import::not_an_entity",
        "io::link_outside",
        "io::no_task_files",
        "io::not_utf8",
        "io::profiles_dir",
        "io::read",
        "io::too_large",
        "io::write",
        "lint::dockerfile",
        "lint::mutable_image",
        "lint::no_registry",
        "lint::no_run_as_user",
        "lint::shared_claim",
        "lint::substitution",
        "profile::cycle",
        "profile::enforced",
        "profile::invalid",
        "profile::patch_confinement",
        "profile::patch_generated",
        "profile::patch_host",
        "profile::patch_identity",
        "profile::patch_invalid",
        "profile::patch_privilege",
        "profile::patch_root",
        "profile::patch_status",
        "profile::patch_unknown_field",
        "profile::template",
        "profile::template_placement",
        "profile::template_subset",
        "profile::unknown",
        "project::invalid",
        "project::unknown_env",
        "resources::disk_conflict",
        "resources::disk_on_build",
        "resources::extended_fraction",
        "resources::extended_no_limit",
        "resources::extended_unequal",
        "resources::hugepages_alone",
        "resources::hugepages_size",
        "resources::limit_required",
        "resources::mixed_shapes",
        "resources::name",
        "resources::request_not_limit",
        "schedule::invalid_key",
        "schedule::label_value",
        "schedule::no_label_selector",
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
        "secret::no_store",
        "service::name",
        "service::no_ports",
        "service::node_port_range",
        "service::node_port_type",
        "service::target_port_twice",
        "source::content_ignored",
        "source::credentials",
        "source::inline",
        "source::scheme",
        "source::shared_volume",
        "task::annotations_too_large",
        "task::base_image_ignored",
        "task::command_syntax",
        "task::digits_range",
        "task::duplicate",
        "task::duplicate_name",
        "task::empty",
        "task::key_too_long",
        "task::kubernetes_object",
        "task::name_normalised",
        "task::name_unusable",
        "task::not_a_mapping",
        "task::object_too_large",
        "task::request_above_limit",
        "task::reserved_label",
        "task::root_id",
        "volume::claim_conflict",
        "volume::mount_path_parent",
        "yaml::duplicate_key",
        "yaml::key_not_string",
        "yaml::limit",
        "yaml::merge_value",
        "yaml::syntax",
        "yaml::undefined_alias",
    ];

    #[test]
    fn codes_are_unique_and_stable() {
        let mut codes = ErrorKind::CODES.to_vec();
        codes.sort_unstable();
        let before = codes.len();
        codes.dedup();
        assert_eq!(codes.len(), before, "duplicate diagnostic code");
        assert_eq!(codes, STABLE_CODES);
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
