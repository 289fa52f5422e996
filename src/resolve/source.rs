//! `function.source` for every action, as the reference platform fetches it into `/shared`
//! before the container starts:
//! - an inline file (`{source: main.py, base64: …}` or `code: …`) → a `ConfigMap`
//!   `<name>-source`, the file mounted read-only at `/shared/<source>`;
//! - a remote ref (`git+https`, `http(s)`, `zip+http(s)`, `s3`, `zip+s3`, `hf`) → an init
//!   container that fetches it into the `/shared` volume (the platform's commands);
//! - on `build`, the same `/shared` is the build context (`dir:///shared`); a `git+https`
//!   repository becomes Kaniko's git context, and Kaniko's own `git://`, `s3://` and
//!   `gs://` contexts stay as written.

use std::collections::BTreeMap;

use base64::Engine as _;

use super::Checker;
use super::resources::{SHARED_DIR, SHARED_VOLUME};
use crate::diagnostic::ErrorKind;
use crate::plan::{ConfigMapPlan, InitPlan, VolumePlan, VolumeSource};
use crate::task::{Action, EmptyDirSpec, InlineSource, Source, TaskSpec, Volume, VolumeSpec};

/// The init container's image unless the profile names one: the platform's builder-tool
/// image (alpine with git, curl, unzip, the AWS CLI and the `hf` CLI), pinned.
///
/// Where the platform takes it (scc-digitalhub/digitalhub-core): the backend's default is
/// `K8S_INIT_IMAGE`, `ghcr.io/scc-digitalhub/digitalhub-core-builder-tool:latest`
/// (`frameworks/framework-k8s/src/main/resources/framework-k8s.yml`); the image is built from
/// `core-builder-tool/Dockerfile` by `.github/workflows/builder-tool.yaml`, which publishes
/// only `latest` and the first 8 hex digits of the `main` commit (no release tags: a
/// `:0.15.0` does not exist). The platform's Helm chart (scc-digitalhub/digitalhub
/// `charts/core/values.yaml`, `initImage.builderTool.tag`) pins `eff0a84f`, which predates
/// the AWS CLI and `hf` that `s3://` and `hf://` refs need (added in 5ef81d3b and 386b86b6).
/// So: the tag of the newest `core-builder-tool/` commit, 6debd0cd (git, curl, unzip,
/// aws-cli, `hf`, dhcli).
pub(crate) const FETCH_IMAGE: &str = "ghcr.io/scc-digitalhub/digitalhub-core-builder-tool:6debd0cd";
/// The init container's name.
pub(crate) const FETCH_CONTAINER: &str = "fetch-source";
/// The volume that carries an inline file.
pub(crate) const SOURCE_VOLUME: &str = "source";

/// Schemes fetched into `/shared` (every action).
pub(crate) const FETCHED: [&str; 8] = [
    "git+https",
    "http",
    "https",
    "zip+http",
    "zip+https",
    "s3",
    "zip+s3",
    "hf",
];
/// Kaniko's own contexts, kept as written on `build` only.
const KANIKO_NATIVE: [&str; 3] = ["git", "s3", "gs"];

/// What a source adds to the Task's pod.
#[derive(Debug, Default)]
pub(super) struct SourcePlan {
    pub(super) init: Option<InitPlan>,
    pub(super) config_map: Option<ConfigMapPlan>,
    /// Mounted after the Task's volumes (the inline file).
    pub(super) volumes: Vec<VolumePlan>,
    /// Kaniko's `--context`, on `build`.
    pub(super) context: Option<String>,
}

/// Resolves `function.source`; may add the `/shared` emptyDir to `task.volumes`.
pub(super) fn source(ck: &mut Checker<'_>, task: &mut TaskSpec) -> SourcePlan {
    let Some(source) = task.function.as_ref().and_then(|f| f.source.clone()) else {
        return SourcePlan::default();
    };
    match source {
        Source::Ref(url) => remote(ck, task, &url),
        // The platform's object shape: `source` with a scheme is a remote ref.
        Source::Inline(inline) if inline.source.as_deref().is_some_and(|s| s.contains("://")) => {
            for field in ["base64", "code"] {
                if ck
                    .doc
                    .value
                    .pointer(&format!("/function/source/{field}"))
                    .is_some()
                {
                    ck.warning(
                        ErrorKind::SourceContentIgnored {
                            field: field.into(),
                        },
                        &format!("/function/source/{field}"),
                        "ignored",
                    )
                    .help = Some(format!(
                        "the file is fetched from `source`; remove `{field}`"
                    ));
                }
            }
            remote(ck, task, inline.source.as_deref().unwrap_or_default())
        }
        Source::Inline(inline) => inline_file(ck, task, &inline),
    }
}

fn remote(ck: &mut Checker<'_>, task: &mut TaskSpec, url: &str) -> SourcePlan {
    let pointer = "/function/source";
    let (scheme, rest) = url.split_once("://").unwrap_or((url, ""));
    let scheme = scheme.to_ascii_lowercase();
    let build = task.action == Action::Build;
    if build && KANIKO_NATIVE.contains(&scheme.as_str()) {
        return SourcePlan {
            context: Some(url.to_owned()),
            ..SourcePlan::default()
        };
    }
    if !FETCHED.contains(&scheme.as_str()) {
        let mut supported: Vec<String> = FETCHED.iter().map(|s| format!("`{s}://`")).collect();
        if build {
            supported.extend(KANIKO_NATIVE.iter().map(|s| format!("`{s}://` (Kaniko)")));
        }
        ck.error(
            ErrorKind::SourceScheme {
                scheme: scheme.clone(),
                action: task.action.as_str().into(),
            },
            pointer,
            "unsupported scheme",
        )
        .help = Some(format!("use one of {}", supported.join(", ")));
        return SourcePlan::default();
    }
    let authority = rest.split(['/', '#', '?']).next().unwrap_or_default();
    if authority.contains('@') && scheme != "hf" {
        ck.error(ErrorKind::SourceCredentials, pointer, "credentials in the URL")
            .help = Some(
            "credentials in a URL end up in the rendered YAML: remove them and give them as secrets, such as `secrets: [GIT_TOKEN]` (or `GIT_USERNAME` and `GIT_PASSWORD`; `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`; `HF_TOKEN`)".into(),
        );
        return SourcePlan::default();
    }
    if build && scheme == "git+https" {
        // Kaniko clones the repository itself: `git://host/repo#refs/heads/<branch>`.
        let (repo, reference) = rest.split_once('#').unwrap_or((rest, ""));
        let context = match reference {
            "" => format!("git://{repo}"),
            r if r.starts_with("refs/") => format!("git://{repo}#{r}"),
            r => format!("git://{repo}#refs/heads/{r}"),
        };
        return SourcePlan {
            context: Some(context),
            ..SourcePlan::default()
        };
    }
    let Some(volume) = shared_volume(ck, task) else {
        return SourcePlan::default();
    };
    let image = ck
        .profile
        .platform
        .fetch_image
        .clone()
        .unwrap_or_else(|| FETCH_IMAGE.to_owned());
    SourcePlan {
        init: Some(InitPlan {
            name: FETCH_CONTAINER.into(),
            image,
            command: vec!["/bin/sh".into(), "-c".into(), script(&scheme, rest)],
            volume,
            mount_path: SHARED_DIR.into(),
        }),
        context: build.then(|| format!("dir://{SHARED_DIR}")),
        ..SourcePlan::default()
    }
}

/// Shell-quotes one word.
fn q(word: &str) -> String {
    shlex::try_quote(word).map_or_else(|_| "''".to_owned(), std::borrow::Cow::into_owned)
}

/// The last path segment of a URL path (the file name the platform saves it as).
fn basename(path: &str) -> &str {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    path.rsplit('/').next().unwrap_or(path)
}

/// The init container's script for one ref: the platform builder-tool's commands, into
/// `/shared`, with a scratch folder inside `/shared` (the root filesystem may be read-only).
fn script(scheme: &str, rest: &str) -> String {
    let tmp = format!("{SHARED_DIR}/.fetch");
    let aws = "aws s3 cp ${AWS_ENDPOINT_URL:+--endpoint-url \"$AWS_ENDPOINT_URL\"}";
    let body = match scheme {
        "git+https" => {
            let (repo, reference) = rest.split_once('#').unwrap_or((rest, ""));
            let branch = if reference.is_empty() {
                String::new()
            } else {
                format!(" --branch {}", q(reference))
            };
            format!(
                "if [ -n \"${{GIT_TOKEN:-}}\" ]; then auth=\"oauth2:$GIT_TOKEN@\"; elif [ -n \"${{GIT_USERNAME:-}}\" ]; then auth=\"$GIT_USERNAME:${{GIT_PASSWORD:-}}@\"; else auth=; fi\ngit clone{branch} --recurse-submodules \"https://$auth\"{} {tmp}/repo\ncp -a {tmp}/repo/. {SHARED_DIR}/",
                q(repo)
            )
        }
        "http" | "https" => format!(
            "curl -L -f -o {}/{} {}",
            SHARED_DIR,
            q(basename(rest)),
            q(&format!("{scheme}://{rest}"))
        ),
        "zip+http" | "zip+https" => format!(
            "curl -L -f -o {tmp}/source.zip {}\nunzip -o {tmp}/source.zip -d {SHARED_DIR}",
            q(&format!("{}://{rest}", &scheme[4..]))
        ),
        "s3" if rest.ends_with('/') => {
            format!(
                "{aws} --recursive {} {SHARED_DIR}/",
                q(&format!("s3://{rest}"))
            )
        }
        "s3" => format!(
            "{aws} {} {SHARED_DIR}/{}",
            q(&format!("s3://{rest}")),
            q(basename(rest))
        ),
        "zip+s3" => format!(
            "{aws} {} {tmp}/source.zip\nunzip -o {tmp}/source.zip -d {SHARED_DIR}",
            q(&format!("s3://{rest}"))
        ),
        _ => {
            // hf://owner/repo[/path]
            let mut parts = rest.splitn(3, '/');
            let repo = format!(
                "{}/{}",
                parts.next().unwrap_or_default(),
                parts.next().unwrap_or_default()
            );
            let path = parts
                .next()
                .filter(|p| !p.is_empty())
                .map(|p| format!(" {}", q(p)))
                .unwrap_or_default();
            format!(
                "hf download ${{HF_TOKEN:+--token \"$HF_TOKEN\"}} --local-dir {SHARED_DIR} {}{path}",
                q(&repo)
            )
        }
    };
    format!("set -eu\nmkdir -p {tmp}\n{body}\nrm -rf {tmp}\nchmod -R u=rwX,g=rwX {SHARED_DIR}\n")
}

/// The volume at `/shared`: the Task's own (or `resources.disk`'s), else a new emptyDir.
fn shared_volume(ck: &mut Checker<'_>, task: &mut TaskSpec) -> Option<String> {
    if let Some(v) = task
        .volumes
        .iter()
        .find(|v| v.mount_path.trim_end_matches('/') == SHARED_DIR)
    {
        return Some(v.name.clone());
    }
    if let Some(i) = task.volumes.iter().position(|v| v.name == SHARED_VOLUME) {
        ck.error(
            ErrorKind::SharedVolume {
                field: format!("volumes[{i}].name"),
            },
            &format!("/volumes/{i}/name"),
            "name taken",
        )
        .help = Some(format!(
            "rename this volume, or mount it at `{SHARED_DIR}` to fetch the source into it"
        ));
        return None;
    }
    task.volumes.push(Volume {
        name: SHARED_VOLUME.into(),
        mount_path: SHARED_DIR.into(),
        source: VolumeSpec::EmptyDir(EmptyDirSpec::default()),
    });
    Some(SHARED_VOLUME.into())
}

fn inline_file(ck: &mut Checker<'_>, task: &mut TaskSpec, inline: &InlineSource) -> SourcePlan {
    let pointer = "/function/source";
    let fail = |ck: &mut Checker<'_>, at: &str, problem: &str, help: &str| {
        inline_error(ck, at, problem, help);
        SourcePlan::default()
    };
    if task.action == Action::Build
        && inline
            .lang
            .as_deref()
            .is_some_and(|l| l.eq_ignore_ascii_case("dockerfile"))
    {
        return fail(
            ck,
            "/function/source/lang",
            "a Dockerfile as the source of a build",
            "write its lines under `instructions` (and the image under `base_image`)",
        );
    }
    let Some(path) = inline.source.clone() else {
        return fail(
            ck,
            pointer,
            "the file has no name",
            "name the file: `source: main.py` (it is placed at `/shared/main.py`)",
        );
    };
    if path.split('/').any(|part| part == ".." || part.is_empty()) {
        return fail(
            ck,
            "/function/source/source",
            "the path must stay inside `/shared`",
            "write a relative path without `..` or empty segments, such as `src/main.py`",
        );
    }
    let Some(bytes) = content(ck, inline) else {
        return SourcePlan::default();
    };
    let Some(volume) = shared_volume(ck, task) else {
        return SourcePlan::default();
    };
    if let Some(i) = task.volumes.iter().position(|v| v.name == SOURCE_VOLUME) {
        ck.error(
            ErrorKind::SharedVolume {
                field: format!("volumes[{i}].name"),
            },
            &format!("/volumes/{i}/name"),
            "name taken",
        )
        .help = Some("rename this volume: `source` carries the inline file".into());
        return SourcePlan::default();
    }
    let _ = volume;
    let key: String = path
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let name = format!("{}-source", task.name);
    let (data, binary_data) = match String::from_utf8(bytes) {
        Ok(text) => (BTreeMap::from([(key.clone(), text)]), BTreeMap::new()),
        Err(e) => (
            BTreeMap::new(),
            BTreeMap::from([(key.clone(), e.into_bytes())]),
        ),
    };
    SourcePlan {
        config_map: Some(ConfigMapPlan {
            name: name.clone(),
            data,
            binary_data,
        }),
        volumes: vec![VolumePlan {
            name: SOURCE_VOLUME.into(),
            mount_path: format!("{SHARED_DIR}/{path}"),
            source: VolumeSource::ConfigMapFile {
                config_map: name,
                key,
            },
        }],
        context: (task.action == Action::Build).then(|| format!("dir://{SHARED_DIR}")),
        ..SourcePlan::default()
    }
}

/// An `InlineSource` error at `at`, with help.
fn inline_error(ck: &mut Checker<'_>, at: &str, problem: &str, help: &str) {
    ck.error(
        ErrorKind::InlineSource {
            problem: problem.into(),
        },
        at,
        "here",
    )
    .help = Some(help.into());
}

/// The inline file's bytes, from `code` (text) or `base64`.
fn content(ck: &mut Checker<'_>, inline: &InlineSource) -> Option<Vec<u8>> {
    let pointer = "/function/source";
    let fail = inline_error;
    match (&inline.base64, &inline.code) {
        (Some(_), Some(_)) => {
            fail(
                ck,
                "/function/source/code",
                "both `base64` and `code`",
                "give the content once: `code` (text) or `base64`",
            );
            None
        }
        (None, None) => {
            fail(
                ck,
                pointer,
                "no content",
                "give the file's content as `code: |` (text) or `base64:`",
            );
            None
        }
        (None, Some(code)) => Some(code.clone().into_bytes()),
        (Some(b64), None) => {
            let clean: String = b64.split_whitespace().collect();
            let engine = base64::engine::general_purpose::STANDARD_NO_PAD;
            match engine.decode(clean.trim_end_matches('=')).or_else(|_| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(clean.trim_end_matches('='))
            }) {
                Ok(bytes) => Some(bytes),
                Err(e) => {
                    fail(
                        ck,
                        "/function/source/base64",
                        &format!("`base64` is not base64 ({e})"),
                        "encode the file with `base64 -w0 FILE`, or give it as text under `code`",
                    );
                    None
                }
            }
        }
    }
}
