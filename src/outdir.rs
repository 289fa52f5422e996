//! The output folder of `render -o DIR` and `diff --against DIR`: the one module that
//! opens, reads, writes or deletes anything under it, so that its guarantees hold for
//! every caller (README, "Safety").
//!
//! Everything goes through a [`cap_std`] handle on `DIR` and plain names (never a path
//! with `/` or `..`) below it; no symbolic link is ever followed, and anything that is not
//! a regular file or a folder (a link, a FIFO, a device) is refused. Reads are capped at
//! the size taskrender writes. Files are published atomically through temporaries with
//! unpredictable names created exclusively. A run holds a lock on `DIR` (exclusive to
//! write, shared to read), records what it may create in the manifest before creating
//! it, writes `kustomization.yaml` last, and removes the temporaries of killed runs.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use cap_fs_ext::{DirExt, FollowSymlinks, OpenOptionsFollowExt, OpenOptionsMaybeDirExt};
use cap_std::ambient_authority;
use cap_std::fs::{Dir, File, OpenOptions};

use crate::diagnostic::{Diagnostic, ErrorKind};

/// The file `-o DIR` mode keeps of what it wrote, so that `--prune` and `diff` know which
/// files are taskrender's (and never touch the others).
pub(crate) const MANIFEST: &str = ".taskrender-manifest";

/// The file listing every object, for `kubectl apply -k DIR`; written last.
pub(crate) const KUSTOMIZATION: &str = "kustomization.yaml";

/// Largest file taskrender writes under `DIR`, and so the most it reads of one. Inputs are
/// capped at 8 MiB per file; no rendered object comes near this.
pub(crate) const MAX_FILE_BYTES: u64 = 64 << 20;

/// Name prefix of temporary files; those left by a killed run are removed by the next.
const TEMP_PREFIX: &str = ".taskrender-tmp-";

/// A file of `-o DIR` mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileOut {
    /// Relative to `DIR`, `/`-separated.
    pub(crate) path: String,
    pub(crate) text: String,
    /// What it holds, for summaries: `Job/train`, `Dockerfile/train`, `Kustomization`.
    pub(crate) label: String,
}

/// What [`write_files`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct WriteReport {
    pub(crate) written: usize,
    pub(crate) pruned: Vec<String>,
    /// Stale manifest entries `--prune` left alone, with why (not taskrender's output).
    pub(crate) kept: Vec<(String, String)>,
}

/// Writes `files` under `dir`: see the module documentation for the order and the
/// guarantees. A file whose content is already right is left untouched. With `prune`,
/// files the previous manifest lists that this run did not render are deleted when they
/// are still taskrender's output; without it they stay listed, so a later `--prune` still
/// finds them. Nothing is written when a path taskrender writes is taken by something
/// else (a link, a file where a Task folder goes).
pub(crate) fn write_files(
    dir: &Path,
    files: &[FileOut],
    prune: bool,
) -> Result<WriteReport, Diagnostic> {
    let out = OutDir::open_for_write(dir)?;
    out.clean_temporaries();
    let listed = out.manifest()?;
    out.check_targets(files.iter().map(|f| f.path.as_str()))?;
    out.check_manifest()?;
    let mut current: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    current.sort_unstable();
    current.dedup();
    // Before the first file: an interrupted run's files are then known to --prune and diff.
    out.write_manifest(union(
        listed.iter().map(String::as_str),
        current.iter().copied(),
    ))?;
    let mut report = WriteReport::default();
    let (last, first): (Vec<&FileOut>, Vec<&FileOut>) =
        files.iter().partition(|f| f.path == KUSTOMIZATION);
    for f in first.into_iter().chain(last) {
        if out.publish(&f.path, f.text.as_bytes())? {
            report.written += 1;
        }
    }
    out.settle(&listed, &current, prune, &mut report)?;
    Ok(report)
}

/// The union of two sorted lists of distinct paths, sorted: the manifest of a run merges
/// what it writes with what the folder's manifest listed, a large run hundreds of
/// thousands of paths each, without a set of them.
fn union<'a>(
    a: impl Iterator<Item = &'a str> + Clone,
    b: impl Iterator<Item = &'a str> + Clone,
) -> impl Iterator<Item = &'a str> + Clone {
    let (mut a, mut b) = (a.peekable(), b.peekable());
    std::iter::from_fn(move || match (a.peek(), b.peek()) {
        (Some(x), Some(y)) if x < y => a.next(),
        (Some(x), Some(y)) if x > y => b.next(),
        (Some(_), Some(_)) => {
            b.next();
            a.next()
        }
        (Some(_), None) => a.next(),
        (None, _) => b.next(),
    })
}

/// The files of `dir` that are taskrender's, by path: those its manifest lists, or, for a
/// folder written before manifests existed, those named like its output. A missing `dir`
/// is an empty one; a listed path that is a link or a special file is an error.
pub(crate) fn read_owned(dir: &Path) -> Result<BTreeMap<String, String>, Diagnostic> {
    let Some(out) = OutDir::open_for_read(dir)? else {
        return Ok(BTreeMap::new());
    };
    let mut paths = out.manifest()?;
    if paths.is_empty() {
        paths = out.scan()?;
    }
    let mut owned = BTreeMap::new();
    for path in paths {
        if let Some(bytes) = out.read_existing(&path, MAX_FILE_BYTES)? {
            if bytes.len() as u64 > MAX_FILE_BYTES {
                return Err(out.refusal(&path, Access::Read, &too_large()));
            }
            owned.insert(path, String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    Ok(owned)
}

/// Whether `path` (relative, `/`-separated) has the shape of a file taskrender writes:
/// `kustomization.yaml`, `<task>/Dockerfile`, `<task>/<Kind>.yaml` or
/// `<task>/<Kind>-<name>.yaml`, where `<task>` is a DNS label. Manifest entries of any
/// other shape are not believed.
pub(crate) fn is_output_path(path: &str) -> bool {
    if path == KUSTOMIZATION {
        return true;
    }
    let Some((task, file)) = path.split_once('/') else {
        return false;
    };
    if !is_dns_label(task) {
        return false;
    }
    if file == "Dockerfile" {
        return true;
    }
    let Some(stem) = file.strip_suffix(".yaml") else {
        return false;
    };
    let (kind, name) = match stem.split_once('-') {
        Some((kind, name)) => (kind, Some(name)),
        None => (stem, None),
    };
    let kind_ok = kind.starts_with(|c: char| c.is_ascii_uppercase())
        && kind.chars().all(|c| c.is_ascii_alphanumeric());
    let name_ok = name.is_none_or(|n| {
        n.len() <= 253
            && n.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && n.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
    });
    kind_ok && name_ok
}

fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// What is at a path, looked at without following a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Absent,
    File,
    Folder,
    Link,
    Special,
}

impl Kind {
    fn of(dir: &Dir, name: &str) -> io::Result<Self> {
        match dir.symlink_metadata(name) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Self::Absent),
            Err(e) => Err(e),
            Ok(meta) => Ok(Self::of_type(meta.file_type())),
        }
    }

    fn of_type(t: cap_std::fs::FileType) -> Self {
        if t.is_symlink() {
            Self::Link
        } else if t.is_file() {
            Self::File
        } else if t.is_dir() {
            Self::Folder
        } else {
            Self::Special
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::Absent => "missing",
            Self::File => "a file",
            Self::Folder => "a folder",
            Self::Link => "a symbolic link",
            Self::Special => "a special file (FIFO, socket or device)",
        }
    }
}

/// Why an access under `DIR` was refused or failed.
enum Problem {
    Io(io::Error),
    Refused(String),
}

impl From<io::Error> for Problem {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

fn refused(found: Kind, expected: &str) -> Problem {
    Problem::Refused(format!(
        "it is {} where taskrender keeps {expected}; taskrender never follows or replaces \
         anything but its own regular files and folders: remove it",
        found.describe()
    ))
}

fn too_large() -> Problem {
    Problem::Refused(format!(
        "it is larger than {} MiB, more than taskrender ever writes",
        MAX_FILE_BYTES >> 20
    ))
}

#[derive(Clone, Copy)]
enum Access {
    Read,
    Write,
}

/// A relative path taskrender uses: a plain name in `DIR`, or in one Task folder.
struct Rel<'a> {
    folder: Option<&'a str>,
    name: &'a str,
}

fn split(path: &str) -> Option<Rel<'_>> {
    let plain = |s: &str| !s.is_empty() && s != "." && s != ".." && !s.contains(['/', '\\', '\0']);
    match path.split_once('/') {
        None if plain(path) => Some(Rel {
            folder: None,
            name: path,
        }),
        Some((folder, name)) if plain(folder) && plain(name) => Some(Rel {
            folder: Some(folder),
            name,
        }),
        _ => None,
    }
}

/// Outcome of pruning one stale manifest entry.
enum Pruned {
    Deleted,
    Absent,
    /// Left alone, with why.
    Kept(String),
}

/// A locked handle on the output folder.
pub(crate) struct OutDir {
    root: Dir,
    /// `DIR` as the user wrote it, for messages.
    shown: PathBuf,
    /// Holds the advisory lock (released when dropped, or when the process ends); on Linux
    /// also the descriptor `syncfs` is given.
    #[cfg_attr(
        not(target_os = "linux"),
        allow(
            dead_code,
            reason = "held for the lock only: read by `syncfs` on Linux"
        )
    )]
    lock: std::fs::File,
}

impl OutDir {
    /// Opens `path` for writing, creating it, and waits for an exclusive lock on it.
    pub(crate) fn open_for_write(path: &Path) -> Result<Self, Diagnostic> {
        let fail = |e: &io::Error| write_error(path, &e.to_string());
        if let Ok(meta) = std::fs::symlink_metadata(plain(path)) {
            if meta.file_type().is_symlink() {
                return Err(symlink_root(path, Access::Write));
            }
            if !meta.is_dir() {
                return Err(write_error(path, "it is a file, and `-o` takes a folder").with_help(
                    "give a folder to write into (it is created when missing), or leave out `-o` to print the objects",
                ));
            }
        } else {
            std::fs::create_dir_all(path).map_err(|e| fail(&e))?;
        }
        let root = open_root(&plain(path)).map_err(|e| fail(&e))?;
        let lock = lock_handle(&root).map_err(|e| fail(&e))?;
        lock.lock().map_err(|e| fail(&e))?;
        Ok(Self {
            root,
            shown: path.to_owned(),
            lock,
        })
    }

    /// Opens `path` for reading with a shared lock (a render into it finishes first);
    /// `None` when it does not exist.
    pub(crate) fn open_for_read(path: &Path) -> Result<Option<Self>, Diagnostic> {
        let fail = |e: &io::Error| read_error(path, &e.to_string());
        match std::fs::symlink_metadata(plain(path)) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(fail(&e)),
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(symlink_root(path, Access::Read));
            }
            Ok(_) => {}
        }
        let root = open_root(&plain(path)).map_err(|e| fail(&e))?;
        let lock = lock_handle(&root).map_err(|e| fail(&e))?;
        lock.lock_shared().map_err(|e| fail(&e))?;
        Ok(Some(Self {
            root,
            shown: path.to_owned(),
            lock,
        }))
    }

    fn refusal(&self, rel: &str, access: Access, problem: &Problem) -> Diagnostic {
        let path = self.shown.join(rel);
        let reason = match problem {
            Problem::Io(e) => e.to_string(),
            Problem::Refused(why) => why.clone(),
        };
        match access {
            Access::Read => read_error(&path, &reason),
            Access::Write => write_error(&path, &reason),
        }
    }

    /// The Task folder `name`, opened without following a link; `None` when absent.
    fn folder(&self, name: &str) -> Result<Option<Dir>, Problem> {
        match Kind::of(&self.root, name)? {
            Kind::Absent => Ok(None),
            Kind::Folder => Ok(Some(self.root.open_dir_nofollow(name)?)),
            other => Err(refused(other, "a Task folder")),
        }
    }

    /// Runs `f` on the folder holding `rel` and its file name; `None` when the folder is
    /// absent.
    fn in_parent<T>(
        &self,
        rel: &str,
        f: impl FnOnce(&Dir, &str) -> Result<T, Problem>,
    ) -> Result<Option<T>, Problem> {
        let Some(rel) = split(rel) else {
            return Err(Problem::Refused("not a path taskrender uses".into()));
        };
        match rel.folder {
            None => f(&self.root, rel.name).map(Some),
            Some(folder) => match self.folder(folder)? {
                None => Ok(None),
                Some(dir) => f(&dir, rel.name).map(Some),
            },
        }
    }

    /// What is at a stale manifest entry, without following links: its own kind, or its
    /// Task folder's when that is not a real folder (then `true`). Nothing is reached
    /// through a link, so an entry inside one counts as that link.
    fn stale_kind(&self, rel: &str) -> (Kind, bool) {
        let Some(split) = split(rel) else {
            return (Kind::Absent, false);
        };
        if let Some(folder) = split.folder {
            match Kind::of(&self.root, folder) {
                Ok(Kind::Folder) => {}
                Ok(Kind::Absent | Kind::File) | Err(_) => return (Kind::Absent, true),
                Ok(other) => return (other, true),
            }
        }
        let kind = self
            .in_parent(rel, |dir, name| Ok(Kind::of(dir, name)?))
            .ok()
            .flatten();
        (kind.unwrap_or(Kind::Absent), false)
    }

    /// Reads `rel` when it is a regular file, at most `cap + 1` bytes (so a longer file is
    /// seen to be longer without being read): `None` when it does not exist. A link, a
    /// FIFO or a device is refused, never opened for reading.
    pub(crate) fn read_existing(&self, rel: &str, cap: u64) -> Result<Option<Vec<u8>>, Diagnostic> {
        self.in_parent(rel, |dir, name| read_capped(dir, name, cap))
            .map(Option::flatten)
            .map_err(|p| self.refusal(rel, Access::Read, &p))
    }

    /// Fails when something other than a regular file is where the manifest goes.
    fn check_manifest(&self) -> Result<(), Diagnostic> {
        self.check_file(&self.root, MANIFEST, MANIFEST)
    }

    /// Fails when something other than a regular file is at `name` in `dir` (where `rel`
    /// goes), before anything is written.
    fn check_file(&self, dir: &Dir, rel: &str, name: &str) -> Result<(), Diagnostic> {
        match Kind::of(dir, name) {
            Ok(Kind::Absent | Kind::File) => Ok(()),
            Ok(other) => Err(self.refusal(rel, Access::Write, &refused(other, "a rendered file"))),
            Err(e) => Err(self.refusal(rel, Access::Write, &e.into())),
        }
    }

    /// Fails when a path of `rels` is not one taskrender writes, or something other than a
    /// regular file (or a folder, for a Task folder) is where it goes, before anything is
    /// written. A Task folder is looked at once for the files in a row that go into it,
    /// and nothing in a folder that does not exist.
    fn check_targets<'a>(&self, rels: impl Iterator<Item = &'a str>) -> Result<(), Diagnostic> {
        let refuse = |at: &str, p: Problem| self.refusal(at, Access::Write, &p);
        // The last Task folder looked at, and the folder itself when it exists.
        let mut last: Option<(&str, Option<Dir>)> = None;
        for rel in rels {
            let Some(split) = split(rel).filter(|_| is_output_path(rel)) else {
                return Err(refuse(
                    rel,
                    Problem::Refused("not a path taskrender writes".into()),
                ));
            };
            let dir = match split.folder {
                None => &self.root,
                Some(folder) => {
                    if last.as_ref().is_none_or(|(name, _)| *name != folder) {
                        let dir = match Kind::of(&self.root, folder) {
                            Ok(Kind::Absent) => None,
                            Ok(Kind::Folder) => Some(
                                self.root
                                    .open_dir_nofollow(folder)
                                    .map_err(|e| refuse(rel, e.into()))?,
                            ),
                            Ok(other) => {
                                return Err(refuse(folder, refused(other, "a Task folder")));
                            }
                            Err(e) => return Err(refuse(folder, e.into())),
                        };
                        last = Some((folder, dir));
                    }
                    match last.as_ref().and_then(|(_, dir)| dir.as_ref()) {
                        Some(dir) => dir,
                        None => continue, // a new folder: nothing in it yet
                    }
                }
            };
            self.check_file(dir, rel, split.name)?;
        }
        Ok(())
    }

    /// Writes `content` to `rel` atomically, unless it already holds it; `true` if written.
    pub(crate) fn publish(&self, rel: &str, content: &[u8]) -> Result<bool, Diagnostic> {
        let publish = || -> Result<bool, Problem> {
            if content.len() as u64 > MAX_FILE_BYTES {
                return Err(too_large());
            }
            let Some(split) = split(rel) else {
                return Err(Problem::Refused("not a path taskrender writes".into()));
            };
            let sub;
            let (dir, fresh) = match split.folder {
                None => (&self.root, false),
                Some(folder) => {
                    let fresh;
                    (sub, fresh) = self.task_folder(folder)?;
                    (&sub, fresh)
                }
            };
            // Nothing is in a folder this run has just created.
            match if fresh {
                Kind::Absent
            } else {
                Kind::of(dir, split.name)?
            } {
                Kind::Absent => {}
                Kind::File => {
                    let old = read_capped(dir, split.name, content.len() as u64)?;
                    if old.as_deref() == Some(content) {
                        return Ok(false);
                    }
                }
                other => return Err(refused(other, "a rendered file")),
            }
            let (mut file, temp) = create_temp(dir)?;
            let written = file
                .write_all(content)
                .and_then(|()| file.sync_all())
                .and_then(|()| dir.rename(&temp, dir, split.name));
            if let Err(e) = written {
                let _ = dir.remove_file(&temp);
                return Err(e.into());
            }
            Ok(true)
        };
        publish().map_err(|p| self.refusal(rel, Access::Write, &p))
    }

    /// The paths the previous run recorded (empty when there is no manifest). Only paths
    /// of the shape of taskrender's output are believed.
    pub(crate) fn manifest(&self) -> Result<BTreeSet<String>, Diagnostic> {
        let Some(bytes) = self.read_existing(MANIFEST, MAX_FILE_BYTES)? else {
            return Ok(BTreeSet::new());
        };
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(self.refusal(MANIFEST, Access::Read, &too_large()));
        }
        Ok(String::from_utf8_lossy(&bytes)
            .lines()
            .map(str::trim)
            .filter(|l| is_output_path(l))
            .map(str::to_owned)
            .collect())
    }

    fn write_manifest<'a>(
        &self,
        paths: impl Iterator<Item = &'a str> + Clone,
    ) -> Result<(), Diagnostic> {
        const HEADER: &str = "# Files written by `taskrender render -o`; `--prune` deletes those it no longer renders.\n";
        // Measured first: a large run's manifest is megabytes, not to be grown by doubling.
        let len = paths.clone().map(|p| p.len() + 1).sum::<usize>();
        let mut text = String::with_capacity(HEADER.len() + len);
        text.push_str(HEADER);
        for p in paths {
            text.push_str(p);
            text.push('\n');
        }
        self.publish(MANIFEST, text.as_bytes()).map(|_| ())
    }

    /// Deletes a stale manifest entry if it is still taskrender's output: a regular file
    /// of the right shape whose content says so (an object carrying the
    /// `app.kubernetes.io/managed-by: taskrender` label and of the kind its name says, or
    /// a Dockerfile with a `FROM` line). Its Task folder goes too once empty.
    fn prune(&self, rel: &str) -> Result<Pruned, Diagnostic> {
        match self.stale_kind(rel) {
            (Kind::Absent, _) => return Ok(Pruned::Absent),
            (Kind::File, false) => {}
            (other, folder) => {
                return Ok(Pruned::Kept(format!(
                    "{} {}, not something taskrender wrote",
                    if folder { "its folder is" } else { "it is" },
                    other.describe()
                )));
            }
        }
        let Some(bytes) = self.read_existing(rel, MAX_FILE_BYTES)? else {
            return Ok(Pruned::Absent);
        };
        let text = String::from_utf8_lossy(&bytes);
        if bytes.len() as u64 > MAX_FILE_BYTES || !looks_rendered(rel, &text) {
            return Ok(Pruned::Kept(
                "its content is not taskrender's output".to_owned(),
            ));
        }
        let removed = self
            .in_parent(rel, |dir, name| Ok(dir.remove_file(name)?))
            .map_err(|p| self.refusal(rel, Access::Write, &p))?;
        if let Some(Rel {
            folder: Some(folder),
            ..
        }) = split(rel)
        {
            // Only an empty folder is removed; a link is never followed.
            let _ = self.root.remove_dir(folder);
        }
        Ok(if removed.is_some() {
            Pruned::Deleted
        } else {
            Pruned::Absent
        })
    }

    /// For a folder without a manifest: `kustomization.yaml` and the files in its
    /// (real) sub-folders named like taskrender's output.
    fn scan(&self) -> Result<BTreeSet<String>, Diagnostic> {
        let mut paths = BTreeSet::from([KUSTOMIZATION.to_owned()]);
        let entries = self
            .root
            .entries()
            .map_err(|e| read_error(&self.shown, &e.to_string()))?;
        for entry in entries.flatten() {
            let folder = entry.file_name().to_string_lossy().into_owned();
            if !is_dns_label(&folder) || !entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            let Ok(Some(dir)) = self.folder(&folder) else {
                continue;
            };
            for file in dir.entries().into_iter().flatten().flatten() {
                let path = format!("{folder}/{}", file.file_name().to_string_lossy());
                if is_output_path(&path) {
                    paths.insert(path);
                }
            }
        }
        Ok(paths)
    }

    /// Removes the temporary files killed runs left in `DIR` and its folders: regular
    /// files named `.taskrender-tmp-*` (or `.<file>.taskrender-<pid>.tmp`, the names of
    /// earlier versions). Best effort: a failure here must not stop the run.
    fn clean_temporaries(&self) {
        let stale = |name: &str| {
            name.starts_with(TEMP_PREFIX)
                || (name.starts_with('.')
                    && name.contains(".taskrender-")
                    && Path::new(name).extension().is_some_and(|e| e == "tmp"))
        };
        let clean = |dir: &Dir| {
            for entry in dir.entries().into_iter().flatten().flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if stale(&name) && entry.file_type().is_ok_and(|t| t.is_file()) {
                    let _ = dir.remove_file(&name);
                }
            }
        };
        clean(&self.root);
        for entry in self.root.entries().into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(STAGING_PREFIX) && entry.file_type().is_ok_and(|t| t.is_dir()) {
                remove_staging(&self.root, &name);
                continue;
            }
            if entry.file_type().is_ok_and(|t| t.is_dir())
                && let Ok(dir) = self.root.open_dir_nofollow(entry.file_name())
            {
                clean(&dir);
            }
        }
    }
}

/// A readable handle on the folder itself, to hold the advisory lock (`flock`) with.
fn lock_handle(root: &Dir) -> io::Result<std::fs::File> {
    let mut options = OpenOptions::new();
    options.read(true).maybe_dir(true);
    Ok(root.open_with(".", &options)?.into_std())
}

/// `path` without a trailing `/` or `.` (which would make the system follow a link).
fn plain(path: &Path) -> PathBuf {
    path.components().collect()
}

/// Opens `path` itself without following a link in its last component.
fn open_root(path: &Path) -> io::Result<Dir> {
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => {
            let parent = if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            };
            Dir::open_ambient_dir(parent, ambient_authority())?.open_dir_nofollow(name)
        }
        _ => Dir::open_ambient_dir(path, ambient_authority()),
    }
}

/// Reads `name` in `dir` if it is a regular file, at most `cap + 1` bytes. It is opened
/// without following a link and without blocking (a FIFO would otherwise wait for a
/// writer forever), then checked on the open handle.
fn read_capped(dir: &Dir, name: &str, cap: u64) -> Result<Option<Vec<u8>>, Problem> {
    match Kind::of(dir, name)? {
        Kind::Absent => return Ok(None),
        Kind::File => {}
        other => return Err(refused(other, "a rendered file")),
    }
    let mut options = OpenOptions::new();
    options.read(true).follow(FollowSymlinks::No);
    #[cfg(unix)]
    {
        use cap_std::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = match dir.open_with(name, &options) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let found = Kind::of_type(file.metadata()?.file_type());
    if found != Kind::File {
        return Err(refused(found, "a rendered file"));
    }
    let mut bytes = Vec::new();
    file.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
    Ok(Some(bytes))
}

/// Creates a new temporary file in `dir` with an unpredictable name, exclusively
/// (`O_CREAT | O_EXCL`: an existing file or link of that name is an error, never opened).
fn create_temp(dir: &Dir) -> io::Result<(File, String)> {
    use std::hash::{BuildHasher, RandomState};
    let mut options = OpenOptions::new();
    options
        .write(true)
        .create_new(true)
        .follow(FollowSymlinks::No);
    for attempt in 0u32..100 {
        // SipHash keyed from the OS's random source, fresh keys for each RandomState.
        let name = format!("{TEMP_PREFIX}{:016x}", RandomState::new().hash_one(attempt));
        match dir.open_with(&name, &options) {
            Ok(file) => return Ok((file, name)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "no free temporary file name",
    ))
}

/// Whether `text` is what taskrender writes at `rel` (see [`OutDir::prune`]).
fn looks_rendered(rel: &str, text: &str) -> bool {
    if rel.ends_with("/Dockerfile") {
        return text.lines().any(|l| l.starts_with("FROM "));
    }
    let file = rel.rsplit('/').next().unwrap_or(rel);
    let kind = file
        .trim_end_matches(".yaml")
        .split('-')
        .next()
        .unwrap_or_default();
    text.starts_with("---\n")
        && text.lines().any(|l| l == format!("kind: {kind}"))
        && text
            .lines()
            .any(|l| l.trim_start() == "app.kubernetes.io/managed-by: taskrender")
}

fn symlink_root(path: &Path, access: Access) -> Diagnostic {
    let reason = "it is a symbolic link; name the folder it points to (taskrender follows no \
                  link in the output folder)";
    match access {
        Access::Read => read_error(path, reason),
        Access::Write => write_error(path, reason),
    }
}

/// `import -o DIR`: the Task files `<name>.yaml`, plain names directly in `dir` (no
/// manifest: they are the user's files from now on). Everything is checked before the
/// first file is written; each file is published atomically. A regular file already at a
/// path is replaced only with `overwrite` (or when it already holds the same text, which is
/// then left untouched); a link, folder or special file is always refused. Returns how
/// many files were written.
pub(crate) fn write_task_files(
    dir: &Path,
    files: &[FileOut],
    overwrite: bool,
) -> Result<usize, Diagnostic> {
    let out = OutDir::open_for_write(dir)?;
    out.clean_temporaries();
    let mut seen = BTreeSet::new();
    for f in files {
        let refuse = |p: Problem| out.refusal(&f.path, Access::Write, &p);
        let task_file = f.path.strip_suffix(".yaml").is_some_and(is_dns_label);
        if !task_file || f.path == KUSTOMIZATION {
            return Err(refuse(Problem::Refused(
                "not a Task file name (`<name>.yaml`, the name a DNS-1123 label)".into(),
            )));
        }
        if !seen.insert(f.path.as_str()) {
            return Err(refuse(Problem::Refused(format!(
                "two imported Tasks are both named `{}`: rename one function before importing",
                f.path.trim_end_matches(".yaml")
            ))));
        }
        match Kind::of(&out.root, &f.path).map_err(|e| refuse(e.into()))? {
            Kind::Absent => {}
            Kind::File if overwrite => {}
            Kind::File => {
                let same = out.read_existing(&f.path, MAX_FILE_BYTES)?.as_deref()
                    == Some(f.text.as_bytes());
                if !same {
                    return Err(refuse(Problem::Refused(
                        "a different file is already there, and import does not replace files: \
                         move it away, choose another folder, or pass `--force` to replace it"
                            .into(),
                    )));
                }
            }
            other => return Err(refuse(refused(other, "an imported Task file"))),
        }
    }
    let mut written = 0;
    for f in files {
        if out.publish(&f.path, f.text.as_bytes())? {
            written += 1;
        }
    }
    Ok(written)
}

fn write_error(path: &Path, reason: &str) -> Diagnostic {
    Diagnostic::new(ErrorKind::Write {
        path: path.display().to_string(),
        reason: reason.to_owned(),
    })
}

fn read_error(path: &Path, reason: &str) -> Diagnostic {
    Diagnostic::new(ErrorKind::Read {
        path: path.display().to_string(),
        reason: reason.to_owned(),
    })
}

/// Name prefix of the staging folder of a run in `DIR` (removed when the run ends, and by
/// the next run when it was killed).
const STAGING_PREFIX: &str = ".taskrender-staging-";

/// The files of a large `render -o DIR`, written as they are rendered into a staging
/// folder inside `DIR` (so memory stays bounded), and published only when the whole run
/// is valid ([`Staging::publish`]); dropped unpublished, it removes what it wrote (and
/// `DIR` itself when the run created it and left it empty).
///
/// The staging folder has `DIR`'s own layout (a folder per Task, `kustomization.yaml`
/// beside them), so that a Task folder `DIR` does not have yet is published by one rename
/// of the whole folder, not one per file (README, "Speed").
///
/// Publishing is crash-safe in one batch rather than file by file: every staged file is
/// written, the file system is synced once, then each new Task folder, or each file of a
/// Task folder `DIR` already has, is renamed into place (an interrupted run leaves each
/// file either old or new, never partly written, and each new Task folder whole or
/// absent), and the file system is synced again.
pub(crate) struct Staging {
    out: OutDir,
    /// The folders of `DIR`'s path this run created (`DIR` first, then its missing
    /// parents): removed again, when empty, however the run ends.
    created: Vec<PathBuf>,
    dir: Dir,
    name: String,
    /// The Task folder of the staging folder the last file went into: a Task's files come
    /// one after another, so each staging Task folder is created once.
    folder: String,
    /// Every staged file's path under `DIR` (and under the staging folder), one after
    /// another: a large run stages hundreds of thousands of files, so not a `String` each.
    paths: String,
    /// Per staged file, in the order staged: where its path ends in `paths`, and its
    /// length ([`Staging::stage`] refuses what does not fit 32 bits: a file over
    /// [`MAX_FILE_BYTES`], 4 GiB of paths).
    files: Vec<(u32, u32)>,
}

impl Staging {
    /// Locks `dir` (creating it) and creates an empty staging folder in it.
    pub(crate) fn open(dir: &Path) -> Result<Self, Diagnostic> {
        let created: Vec<PathBuf> = dir
            .ancestors()
            .filter(|p| !p.as_os_str().is_empty())
            .take_while(|p| std::fs::symlink_metadata(plain(p)).is_err())
            .map(Path::to_path_buf)
            .collect();
        let out = OutDir::open_for_write(dir)?;
        out.clean_temporaries();
        let fail = |e: &io::Error| write_error(dir, &e.to_string());
        let (dir, name) = create_staging(&out.root).map_err(|e| fail(&e))?;
        Ok(Self {
            out,
            created,
            dir,
            name,
            folder: String::new(),
            paths: String::new(),
            files: Vec::new(),
        })
    }

    /// The path under `DIR` of staged file `index`.
    fn path(&self, index: usize) -> &str {
        let start = index
            .checked_sub(1)
            .map_or(0, |before| self.files[before].0);
        &self.paths[start as usize..self.files[index].0 as usize]
    }

    /// The paths under `DIR` of the files staged so far, in the order staged.
    pub(crate) fn staged(&self) -> impl Iterator<Item = &str> {
        (0..self.files.len()).map(|index| self.path(index))
    }

    /// Writes `content` for `rel` (relative to `DIR`, a path taskrender writes) at the
    /// same path in the staging folder.
    pub(crate) fn stage(&mut self, rel: &str, content: &[u8]) -> Result<(), Diagnostic> {
        let entry = self
            .write(rel, content)
            .map_err(|p| self.out.refusal(rel, Access::Write, &p))?;
        self.paths.push_str(rel);
        self.files.push(entry);
        Ok(())
    }

    fn write(&mut self, rel: &str, content: &[u8]) -> Result<(u32, u32), Problem> {
        let len = u32::try_from(content.len())
            .ok()
            .filter(|&len| u64::from(len) <= MAX_FILE_BYTES)
            .ok_or_else(too_large)?;
        let end = u32::try_from(self.paths.len() + rel.len())
            .map_err(|_| Problem::Refused("more than 4 GiB of output paths in one run".into()))?;
        let Some(split) = split(rel).filter(|_| is_output_path(rel)) else {
            return Err(Problem::Refused("not a path taskrender writes".into()));
        };
        if let Some(name) = split.folder
            && name != self.folder
        {
            // A Task's files usually come together; when not, the folder is there.
            match self.dir.create_dir(name) {
                Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e.into()),
                _ => {}
            }
            name.clone_into(&mut self.folder);
        }
        let mut options = OpenOptions::new();
        options
            .write(true)
            .create_new(true)
            .follow(FollowSymlinks::No);
        // By its path, not through a handle on its folder: one system call, not three (the
        // path is resolved beneath the staging folder, following no link).
        let mut file = self.dir.open_with(rel, &options).map_err(|e| {
            if e.kind() == io::ErrorKind::AlreadyExists {
                // Task names are unique in a valid run, and a Task's file names too.
                Problem::Refused("rendered twice in one run (a bug: please report it)".into())
            } else {
                e.into()
            }
        })?;
        file.write_all(content)?;
        Ok((end, len))
    }

    /// Moves every staged file into place, as [`write_files`] would write them (same
    /// checks, manifest first, `kustomization.yaml` last, files already right untouched,
    /// `prune`).
    pub(crate) fn publish(self, prune: bool) -> Result<WriteReport, Diagnostic> {
        // Staged files by index, in path order: one Task folder after another.
        let mut order: Vec<usize> = (0..self.files.len()).collect();
        order.sort_unstable_by(|&a, &b| self.path(a).cmp(self.path(b)));
        let out = &self.out;
        let listed = out.manifest()?;
        out.check_targets(order.iter().map(|&index| self.path(index)))?;
        out.check_manifest()?;
        // Borrowed, not copied: a large run has hundreds of thousands of paths.
        let current: Vec<&str> = order.iter().map(|&index| self.path(index)).collect();
        out.write_manifest(union(
            listed.iter().map(String::as_str),
            current.iter().copied(),
        ))?;
        // Every staged byte on disk before any rename.
        sync_all(&self.out, &self.dir, self.staged())
            .map_err(|e| out.refusal(&self.name, Access::Write, &e.into()))?;
        let mut report = WriteReport::default();
        // One Task folder at a time; then the files of `DIR` itself (`kustomization.yaml`,
        // which lists the others, last of all).
        let folder = |index: usize| split(self.path(index)).and_then(|s| s.folder);
        let (mut rest, mut own) = (order.as_slice(), Vec::new());
        while let Some(&first) = rest.first() {
            let Some(name) = folder(first) else {
                own.push(first);
                rest = &rest[1..];
                continue;
            };
            let together = rest
                .iter()
                .take_while(|&&index| folder(index) == Some(name))
                .count();
            let (these, after) = rest.split_at(together);
            report.written += self.place(Some(name), these)?;
            rest = after;
        }
        own.sort_by_key(|&index| self.path(index) == KUSTOMIZATION);
        report.written += self.place(None, &own)?;
        sync_all(&self.out, &self.out.root, std::iter::empty())
            .map_err(|e| out.refusal(".", Access::Write, &e.into()))?;
        out.settle(&listed, &current, prune, &mut report)?;
        Ok(report)
    }

    /// Puts the staged files `indices` of Task folder `folder` (or of `DIR` itself) in
    /// place: the whole staged folder by one rename when `DIR` has no folder of that name,
    /// or else each file whose content differs. How many files moved.
    fn place(&self, folder: Option<&str>, indices: &[usize]) -> Result<usize, Diagnostic> {
        let refuse = |at: &str, p: Problem| self.out.refusal(at, Access::Write, &p);
        let (from, to) = match folder {
            None => (None, None),
            Some(name) => match rename_new(&self.dir, &self.out.root, name)
                .map_err(|e| refuse(name, e.into()))?
            {
                Renamed::Yes => return Ok(indices.len()),
                Renamed::Taken(Kind::Folder) => {
                    let open = |dir: &Dir| {
                        dir.open_dir_nofollow(name)
                            .map_err(|e| refuse(name, e.into()))
                    };
                    (Some(open(&self.dir)?), Some(open(&self.out.root)?))
                }
                Renamed::Taken(other) => {
                    return Err(refuse(name, refused(other, "a Task folder")));
                }
            },
        };
        let (from, to) = (
            from.as_ref().unwrap_or(&self.dir),
            to.as_ref().unwrap_or(&self.out.root),
        );
        let mut moved = 0;
        for &index in indices {
            let rel = self.path(index);
            let name = split(rel).map_or(rel, |s| s.name);
            let len = u64::from(self.files[index].1);
            if place_file(from, to, name, len).map_err(|p| refuse(rel, p))? {
                moved += 1;
            }
        }
        Ok(moved)
    }
}

/// What [`rename_new`] did.
enum Renamed {
    Yes,
    /// Not renamed: this is already there.
    Taken(Kind),
}

/// Renames folder `name` of `from` to `to` when `to` has nothing of that name (never
/// replacing, nor following, what is there).
fn rename_new(from: &Dir, to: &Dir, name: &str) -> io::Result<Renamed> {
    #[cfg(target_os = "linux")]
    {
        // One system call where the file system can refuse to replace (`RENAME_NOREPLACE`:
        // tmpfs, ext4, XFS, Btrfs): a new Task folder costs no `stat`.
        use rustix::fs::{RenameFlags, renameat_with};
        use std::os::fd::AsFd;
        match renameat_with(from.as_fd(), name, to.as_fd(), name, RenameFlags::NOREPLACE) {
            Ok(()) => return Ok(Renamed::Yes),
            // Taken; or the file system cannot do it: then as elsewhere.
            Err(rustix::io::Errno::EXIST | rustix::io::Errno::INVAL) => {}
            Err(e) => return Err(e.into()),
        }
    }
    rename_looked(from, to, name)
}

/// [`rename_new`] by looking first: a folder created between the look and the rename is
/// replaced only when empty; a link or a file is never followed or replaced.
fn rename_looked(from: &Dir, to: &Dir, name: &str) -> io::Result<Renamed> {
    match Kind::of(to, name)? {
        Kind::Absent => from.rename(name, to, name).map(|()| Renamed::Yes),
        other => Ok(Renamed::Taken(other)),
    }
}

/// Renames staged file `name` from `from` to `to`, unless the file there already holds the
/// same bytes (`len` of them); `true` if moved.
fn place_file(from: &Dir, to: &Dir, name: &str, len: u64) -> Result<bool, Problem> {
    match Kind::of(to, name)? {
        Kind::Absent => {}
        Kind::File => {
            let old = read_capped(to, name, len)?;
            if old.as_ref().is_some_and(|o| o.len() as u64 == len) {
                let new = read_capped(from, name, len)?;
                if old == new {
                    let _ = from.remove_file(name);
                    return Ok(false);
                }
            }
        }
        other => return Err(refused(other, "a rendered file")),
    }
    from.rename(name, to, name)?;
    Ok(true)
}

impl Drop for Staging {
    fn drop(&mut self) {
        // What was staged and not moved into place (all of it when not published).
        remove_staging(&self.out.root, &self.name);
        // Only empty folders are removed, deepest first: nothing of the run is left, nor was
        // anything there before.
        for folder in &self.created {
            let empty = std::fs::read_dir(plain(folder)).is_ok_and(|mut d| d.next().is_none());
            if !empty || std::fs::remove_dir(plain(folder)).is_err() {
                break;
            }
        }
    }
}

/// Removes staging folder `name` of `root` with the files and Task folders in it (best
/// effort; nothing is followed: a link in it is removed, not what it points to).
fn remove_staging(root: &Dir, name: &str) {
    let empty = |dir: &Dir| {
        for entry in dir.entries().into_iter().flatten().flatten() {
            if entry.file_type().is_ok_and(|t| !t.is_dir()) {
                let _ = dir.remove_file(entry.file_name());
            }
        }
    };
    if let Ok(staging) = root.open_dir_nofollow(name) {
        empty(&staging);
        for entry in staging.entries().into_iter().flatten().flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir())
                && let Ok(folder) = staging.open_dir_nofollow(entry.file_name())
            {
                empty(&folder);
                let _ = staging.remove_dir(entry.file_name());
            }
        }
    }
    let _ = root.remove_dir(name);
}

impl OutDir {
    /// Ends a write: the files the manifest listed (`previous`) that this run did not write
    /// (`current`, sorted) are deleted with `prune` when still taskrender's, or else stay
    /// listed while they are files, so a later `--prune` still finds them; then the
    /// manifest lists this run's files and those. (A merge of two sorted lists, not a copy:
    /// a large run writes hundreds of thousands of paths.)
    fn settle(
        &self,
        previous: &BTreeSet<String>,
        current: &[&str],
        prune: bool,
        report: &mut WriteReport,
    ) -> Result<(), Diagnostic> {
        let stale = previous
            .iter()
            .map(String::as_str)
            .filter(|old| current.binary_search(old).is_err());
        let mut kept = Vec::new();
        let mut dropped = false;
        for old in stale {
            if prune {
                match self.prune(old)? {
                    Pruned::Deleted => report.pruned.push(old.to_owned()),
                    Pruned::Absent => {}
                    Pruned::Kept(reason) => report.kept.push((old.to_owned(), reason)),
                }
            } else if self.stale_kind(old) == (Kind::File, false) {
                kept.push(old);
                continue;
            }
            dropped = true;
        }
        if !dropped {
            // The manifest written before the files (`previous` and `current`) is right.
            return Ok(());
        }
        self.write_manifest(union(current.iter().copied(), kept.into_iter()))
    }

    /// The Task folder `name`, created when absent (then `true`: it is empty); anything
    /// but a real folder is refused. Created first and looked at only when it exists: the
    /// usual case, a new Task, costs one `mkdir` and one `open`.
    fn task_folder(&self, name: &str) -> Result<(Dir, bool), Problem> {
        match self.root.create_dir(name) {
            Ok(()) => Ok((self.root.open_dir_nofollow(name)?, true)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let dir = self
                    .folder(name)?
                    .ok_or_else(|| Problem::Io(io::Error::from(io::ErrorKind::NotFound)))?;
                Ok((dir, false))
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// Creates a new staging folder in `root` with an unpredictable name, exclusively.
fn create_staging(root: &Dir) -> io::Result<(Dir, String)> {
    use std::hash::{BuildHasher, RandomState};
    for attempt in 0u32..100 {
        let name = format!(
            "{STAGING_PREFIX}{:016x}",
            RandomState::new().hash_one(attempt)
        );
        match root.create_dir(&name) {
            Ok(()) => return Ok((root.open_dir_nofollow(&name)?, name)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "no free staging folder name",
    ))
}

/// Makes the writes under `dir` durable: on Linux one `syncfs` of its file system (which
/// also covers every rename before it); elsewhere an `fsync` of each of the `staged` files
/// (paths under `dir`), of their folders and of `dir`.
fn sync_all<'a>(out: &OutDir, dir: &Dir, staged: impl Iterator<Item = &'a str>) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        // The lock's handle: a real descriptor of `DIR` (cap-std's may be `O_PATH`).
        let _ = (dir, staged);
        rustix::fs::syncfs(&out.lock).map_err(io::Error::from)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = out;
        // A folder cannot be synced everywhere (Windows): best effort.
        let sync_folder = |path: &str| {
            let mut options = OpenOptions::new();
            options.read(true).maybe_dir(true);
            if let Ok(folder) = dir.open_with(path, &options) {
                let _ = folder.sync_all();
            }
        };
        let mut folders = BTreeSet::new();
        for path in staged {
            dir.open(path)?.sync_all()?;
            if let Some((folder, _)) = path.split_once('/') {
                folders.insert(folder);
            }
        }
        folders.into_iter().for_each(sync_folder);
        sync_folder(".");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text of the file at `path`.
    fn text(path: impl AsRef<Path>) -> String {
        std::fs::read_to_string(path).unwrap()
    }

    fn task_file(name: &str, text: &str) -> FileOut {
        FileOut {
            path: format!("{name}.yaml"),
            text: text.into(),
            label: format!("Task/{name}"),
        }
    }

    #[test]
    fn union_merges_sorted_paths_once_each() {
        let merged = |a: &[&'static str], b: &[&'static str]| -> Vec<&'static str> {
            union(a.iter().copied(), b.iter().copied()).collect()
        };
        assert_eq!(merged(&[], &[]), Vec::<&str>::new());
        assert_eq!(merged(&["a/Job.yaml"], &[]), ["a/Job.yaml"]);
        assert_eq!(merged(&[], &["a/Job.yaml"]), ["a/Job.yaml"]);
        assert_eq!(
            merged(
                &["a/Job.yaml", "b/Job.yaml", "kustomization.yaml"],
                &[
                    "a/Job.yaml",
                    "a/Service.yaml",
                    "c/Job.yaml",
                    "kustomization.yaml"
                ],
            ),
            [
                "a/Job.yaml",
                "a/Service.yaml",
                "b/Job.yaml",
                "c/Job.yaml",
                "kustomization.yaml"
            ]
        );
        // The same as a set's union, on lists of every shape.
        let words = ["a", "b", "c", "d", "e", "f"];
        for mask in 0u32..(1 << 12) {
            let pick = |shift: u32| -> Vec<&'static str> {
                (0..6)
                    .filter(|i| mask >> (i + shift) & 1 == 1)
                    .map(|i| words[i as usize])
                    .collect()
            };
            let (a, b) = (pick(0), pick(6));
            let set: BTreeSet<&str> = a.iter().chain(&b).copied().collect();
            assert_eq!(merged(&a, &b), set.into_iter().collect::<Vec<_>>());
        }
    }

    #[cfg(unix)]
    #[test]
    fn imported_task_files_never_replace_a_link_or_half_write() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("victim");
        std::fs::write(&target, "precious\n").unwrap();
        let out = dir.path().join("tasks");
        std::fs::create_dir(&out).unwrap();
        std::os::unix::fs::symlink(&target, out.join("b.yaml")).unwrap();
        let files = [task_file("a", "name: a\n"), task_file("b", "name: b\n")];
        for force in [false, true] {
            assert!(write_task_files(&out, &files, force).is_err());
            assert!(
                !out.join("a.yaml").exists(),
                "a.yaml written before the refusal"
            );
            assert_eq!(text(&target), "precious\n");
        }
        let bad = [task_file("../x", "")];
        assert!(write_task_files(&out, &bad, true).is_err());
        let twice = [task_file("a", "1"), task_file("a", "2")];
        assert!(write_task_files(&out, &twice, true).is_err());
        assert!(!out.join("a.yaml").exists());
    }

    /// The manifest is taskrender's own record, never one of the files it is asked to write
    /// (the manifest written before them would be replaced by it).
    #[test]
    fn the_manifest_is_never_one_of_the_files() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let files = [FileOut {
            path: MANIFEST.into(),
            text: "a/Job.yaml\n".into(),
            label: "Manifest".into(),
        }];
        let error = write_files(&out, &files, false).unwrap_err();
        assert!(
            format!("{error:?}").contains("not a path taskrender writes"),
            "{error:?}"
        );
        assert!(!out.join(MANIFEST).exists());
    }

    /// Paths kept in one string come back per file, in the order staged; publishing puts
    /// each staged file's own bytes at its own path, and writes the manifest.
    /// A batch is checked whole before anything moves, each Task folder looked at once for
    /// its files: a folder where a rendered file goes, or a file where a Task folder goes,
    /// refuses it all. Without them, the existing folder's files are replaced (or left when
    /// already right) and the new folders are created.
    #[test]
    fn publish_checks_every_target_before_moving_any() {
        type Plant = fn(&Path);
        let plants: [(&str, Option<Plant>); 3] = [
            (
                "a folder where a file goes",
                Some(|out| std::fs::create_dir_all(out.join("web/Service.yaml")).unwrap()),
            ),
            (
                "a file where a Task folder goes",
                Some(|out| std::fs::write(out.join("train"), "x").unwrap()),
            ),
            ("nothing in the way", None),
        ];
        for (case, plant) in plants {
            let dir = tempfile::tempdir().unwrap();
            let out = dir.path().join("out");
            std::fs::create_dir_all(out.join("web")).unwrap();
            std::fs::write(out.join("web/Deployment.yaml"), "old\n").unwrap();
            std::fs::write(out.join("web/Unchanged.yaml"), "same\n").unwrap();
            if let Some(plant) = plant {
                plant(&out);
            }
            let mut staging = Staging::open(&out).unwrap();
            for (path, text) in [
                ("web/Deployment.yaml", "new\n"),
                ("web/Service.yaml", "kind: Service\n"),
                ("web/Unchanged.yaml", "same\n"),
                ("train/Job.yaml", "kind: Job\n"),
                ("fresh/Job.yaml", "kind: Job\n"),
            ] {
                staging.stage(path, text.as_bytes()).unwrap();
            }
            let published = staging.publish(false);
            let read = |p: &str| std::fs::read_to_string(out.join(p)).ok();
            if plant.is_some() {
                assert!(published.is_err(), "{case}: published");
                assert_eq!(
                    read("web/Deployment.yaml").as_deref(),
                    Some("old\n"),
                    "{case}"
                );
                assert!(
                    !out.join("fresh").exists(),
                    "{case}: a new folder was created"
                );
                assert!(
                    !out.join(MANIFEST).exists(),
                    "{case}: the manifest was written"
                );
            } else {
                let report = published.unwrap();
                assert_eq!(report.written, 4, "{case}");
                assert_eq!(read("web/Deployment.yaml").as_deref(), Some("new\n"));
                assert_eq!(read("web/Service.yaml").as_deref(), Some("kind: Service\n"));
                assert_eq!(read("web/Unchanged.yaml").as_deref(), Some("same\n"));
                assert_eq!(read("train/Job.yaml").as_deref(), Some("kind: Job\n"));
                assert_eq!(read("fresh/Job.yaml").as_deref(), Some("kind: Job\n"));
            }
        }
    }

    #[test]
    fn staged_files_keep_their_paths_and_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let files = [
            ("web/Service.yaml", "kind: Service\n"),
            ("train/Job.yaml", "kind: Job\n"),
            ("web/Deployment.yaml", "kind: Deployment\n"),
            ("build/Dockerfile", "FROM scratch\n"),
            (KUSTOMIZATION, "resources: []\n"),
        ];
        let mut staging = Staging::open(&out).unwrap();
        for (path, text) in files {
            staging.stage(path, text.as_bytes()).unwrap();
        }
        let staged: Vec<&str> = staging.staged().collect();
        assert_eq!(staged, files.map(|(path, _)| path));
        let report = staging.publish(false).unwrap();
        assert_eq!(report.written, files.len());
        for (path, content) in files {
            assert_eq!(text(out.join(path)), content, "{path}");
        }
        let manifest = text(out.join(MANIFEST));
        let listed: Vec<&str> = manifest.lines().skip(1).collect();
        let mut want = files.map(|(path, _)| path);
        want.sort_unstable();
        assert_eq!(listed, want);
    }

    /// Every entry under `dir`, relative, `/`-separated, sorted (folders end in `/`).
    fn tree(dir: &Path) -> Vec<String> {
        let mut found = Vec::new();
        let mut stack = vec![PathBuf::new()];
        while let Some(rel) = stack.pop() {
            for entry in std::fs::read_dir(dir.join(&rel)).unwrap() {
                let entry = entry.unwrap();
                let path = rel.join(entry.file_name());
                let shown = path.to_string_lossy().replace('\\', "/");
                if entry.file_type().unwrap().is_dir() {
                    found.push(format!("{shown}/"));
                    stack.push(path);
                } else {
                    found.push(shown);
                }
            }
        }
        found.sort();
        found
    }

    /// A Task folder `DIR` does not have arrives whole (staged in `DIR`'s own layout, moved
    /// by one rename), beside one `DIR` has, whose files are moved one by one; a Task's
    /// files need not come together; and nothing of the staging folder is left.
    #[test]
    fn new_task_folders_move_whole_and_no_staging_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir_all(out.join("web")).unwrap();
        std::fs::write(out.join("web/Deployment.yaml"), "old\n").unwrap();
        std::fs::write(out.join("web/notes.txt"), "not ours\n").unwrap();
        let mut staging = Staging::open(&out).unwrap();
        for (path, text) in [
            ("fresh/Job.yaml", "kind: Job\n"),
            ("web/Deployment.yaml", "new\n"),
            ("fresh/Dockerfile", "FROM scratch\n"),
            (KUSTOMIZATION, "resources: []\n"),
        ] {
            staging.stage(path, text.as_bytes()).unwrap();
        }
        // The very folder staged is the one published (moved, not re-created).
        #[cfg(unix)]
        let staged_folder = {
            use std::os::unix::fs::MetadataExt;
            let fresh = out.join(&staging.name).join("fresh");
            assert!(fresh.join("Dockerfile").is_file(), "{:?}", tree(&out));
            std::fs::metadata(fresh).unwrap().ino()
        };
        let report = staging.publish(false).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let published = std::fs::metadata(out.join("fresh")).unwrap().ino();
            assert_eq!(published, staged_folder);
        }
        assert_eq!(report.written, 4);
        assert_eq!(
            tree(&out),
            [
                MANIFEST,
                "fresh/",
                "fresh/Dockerfile",
                "fresh/Job.yaml",
                KUSTOMIZATION,
                "web/",
                "web/Deployment.yaml",
                "web/notes.txt",
            ]
        );
        assert_eq!(text(out.join("fresh/Dockerfile")), "FROM scratch\n");
        assert_eq!(text(out.join("web/Deployment.yaml")), "new\n");
    }

    /// Dropped unpublished, the staging folder goes with its Task folders, and so does
    /// `DIR` when the run created it; one staged path twice is refused, not overwritten.
    #[test]
    fn an_unpublished_staging_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("new/out");
        let mut staging = Staging::open(&out).unwrap();
        staging.stage("a/Job.yaml", b"kind: Job\n").unwrap();
        staging.stage("b/Job.yaml", b"kind: Job\n").unwrap();
        let twice = staging.stage("a/Job.yaml", b"other\n").unwrap_err();
        assert!(
            format!("{twice:?}").contains("rendered twice in one run"),
            "{twice:?}"
        );
        assert!(staging.stage("../a/Job.yaml", b"x").is_err());
        assert_eq!(tree(&out).len(), 5, "{:?}", tree(&out));
        drop(staging);
        assert!(!dir.path().join("new").exists(), "{:?}", tree(dir.path()));
    }

    /// A new Task folder never replaces, nor goes through, what is already at its name:
    /// a non-empty folder, a file, a link (whose target is left alone).
    #[test]
    fn a_folder_is_renamed_only_to_a_free_name() {
        type Rename = fn(&Dir, &Dir, &str) -> io::Result<Renamed>;
        let dir = tempfile::tempdir().unwrap();
        let (from, to) = (dir.path().join("from"), dir.path().join("to"));
        for name in ["a", "b", "c", "d"] {
            std::fs::create_dir_all(from.join(name)).unwrap();
            std::fs::write(from.join(name).join("Job.yaml"), "new\n").unwrap();
        }
        std::fs::create_dir_all(to.join("a")).unwrap();
        std::fs::write(to.join("a/Job.yaml"), "old\n").unwrap();
        std::fs::write(to.join("b"), "a file\n").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(to.join("a"), to.join("c")).unwrap();
        let open = |p: &Path| Dir::open_ambient_dir(p, ambient_authority()).unwrap();
        let (from_dir, to_dir) = (open(&from), open(&to));
        // Both ways: the system's refusal to replace (Linux), and looking first.
        let ways: [(&str, Rename); 2] = [("new", rename_new), ("looked", rename_looked)];
        for (way, rename) in ways {
            let taken = |name| match rename(&from_dir, &to_dir, name).unwrap() {
                Renamed::Yes => None,
                Renamed::Taken(kind) => Some(kind),
            };
            assert_eq!(taken("a"), Some(Kind::Folder), "{way}");
            assert_eq!(taken("b"), Some(Kind::File), "{way}");
            #[cfg(unix)]
            assert_eq!(taken("c"), Some(Kind::Link), "{way}");
            assert_eq!(taken("d"), None, "{way}");
            assert_eq!(text(to.join("a/Job.yaml")), "old\n");
            assert_eq!(text(to.join("d/Job.yaml")), "new\n");
            assert!(!from.join("d").exists(), "{way}");
            assert!(from.join("a/Job.yaml").is_file(), "{way}");
            // Back, for the other way.
            std::fs::rename(to.join("d"), from.join("d")).unwrap();
        }
    }

    #[test]
    fn output_paths() {
        for ok in [
            "kustomization.yaml",
            "train/Job.yaml",
            "t/Dockerfile",
            "t/PersistentVolumeClaim-t-data.yaml",
            "a-1/ConfigMap.yaml",
        ] {
            assert!(is_output_path(ok), "{ok}");
        }
        for bad in [
            "",
            ".taskrender-manifest",
            "README.md",
            "env.yaml",
            "t/job.yaml",
            "t/Job.yml",
            "../t/Job.yaml",
            "t/../Job.yaml",
            "/t/Job.yaml",
            "a/b/Job.yaml",
            "T/Job.yaml",
            "-t/Job.yaml",
            "t/Job-.yaml",
            "t/Job-A.yaml",
            "t/.Job.yaml",
            "t/important",
        ] {
            assert!(!is_output_path(bad), "{bad}");
        }
    }

    #[test]
    fn rendered_content() {
        let job = "---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  labels:\n    app.kubernetes.io/managed-by: taskrender\n  name: t\n";
        assert!(looks_rendered("t/Job.yaml", job));
        assert!(!looks_rendered("t/Service.yaml", job));
        assert!(!looks_rendered(
            "t/Job.yaml",
            &job.replace("taskrender\n", "helm\n")
        ));
        assert!(looks_rendered("t/Dockerfile", "FROM alpine\nRUN true\n"));
        assert!(!looks_rendered("t/Dockerfile", "secret\n"));
    }

    #[test]
    fn temporary_names_differ() {
        let dir = tempfile::tempdir().unwrap();
        let d = Dir::open_ambient_dir(dir.path(), ambient_authority()).unwrap();
        let (_, a) = create_temp(&d).unwrap();
        let (_, b) = create_temp(&d).unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with(TEMP_PREFIX) && a.len() == TEMP_PREFIX.len() + 16);
    }
}
