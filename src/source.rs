//! Stage 1, load: command-line paths → [`SourceFile`]s (text plus the name the user gave).
//!
//! This and `emit` are the only modules that touch the file system (the output folder
//! through `outdir`).

pub(crate) use crate::text::SourceFile;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, ErrorKind};

/// Largest Task file accepted. Task files are small (a typical one is under 1 KiB); the cap
/// keeps a mistaken path (a log, a dump) from exhausting memory before parsing starts.
pub(crate) const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// Reads every input. A directory means every `*.yaml` / `*.yml` file below it, in sorted
/// path order (hidden entries skipped); `-` means standard input. All failures are
/// collected, so one unreadable file does not hide problems in the others.
pub(crate) fn load(
    paths: &[PathBuf],
    stdin: &mut dyn Read,
) -> (Vec<Arc<SourceFile>>, Vec<Diagnostic>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for input in discover(paths, stdin) {
        match read(input) {
            Ok(file) => files.push(file),
            Err(e) => errors.push(e),
        }
    }
    (files, errors)
}

/// One input of [`discover`], read by [`read`] when its turn comes, so that a run over
/// many files holds only the few being worked on.
pub(crate) enum Input {
    /// A Task file, not read yet.
    Path(PathBuf),
    /// Standard input, read already.
    Stdin(Vec<u8>),
    /// A path that could not be listed (or a folder with no Task file); boxed, so that the
    /// list of a large folder's paths stays small.
    Failed(Box<Diagnostic>),
}

/// The inputs [`load`] reads, in the same order (and with the same failures), without
/// reading the files yet; standard input is read now.
pub(crate) fn discover(paths: &[PathBuf], stdin: &mut dyn Read) -> Vec<Input> {
    let mut inputs = Vec::new();
    let mut stdin_used = false;
    for path in paths {
        if path.as_os_str() == "-" {
            if stdin_used {
                continue;
            }
            stdin_used = true;
            inputs.push(match read_capped(stdin, "<stdin>") {
                Ok(bytes) => Input::Stdin(bytes),
                Err(e) => Input::Failed(Box::new(e)),
            });
            continue;
        }
        let display = path.display().to_string();
        match std::fs::metadata(path) {
            Err(e) => inputs.push(Input::Failed(Box::new(io_error(&display, &e)))),
            Ok(meta) if meta.is_dir() => {
                let mut found = Vec::new();
                let mut errors = Vec::new();
                let walked = walk(path, &Root::new(path), &mut found, &mut errors);
                let failed = !errors.is_empty();
                inputs.extend(errors.into_iter().map(|e| Input::Failed(Box::new(e))));
                if let Err(e) = walked {
                    inputs.push(Input::Failed(Box::new(e)));
                    continue;
                }
                if found.is_empty() && !failed {
                    inputs.push(Input::Failed(Box::new(Diagnostic::new(
                        ErrorKind::NoTaskFiles { path: display },
                    ))));
                }
                found.sort();
                inputs.extend(found.into_iter().map(Input::Path));
            }
            Ok(_) => inputs.push(Input::Path(path.clone())),
        }
    }
    inputs
}

/// Reads one input of [`discover`].
pub(crate) fn read(input: Input) -> Result<Arc<SourceFile>, Diagnostic> {
    let (name, bytes) = match input {
        Input::Failed(e) => return Err(*e),
        Input::Stdin(bytes) => ("<stdin>".to_owned(), bytes),
        Input::Path(path) => {
            let name = path.display().to_string();
            let bytes = std::fs::File::open(&path)
                .map_err(|e| io_error(&name, &e))
                .and_then(|mut f| read_file_capped(&mut f, &name))?;
            (name, bytes)
        }
    };
    let (mut files, mut errors) = (Vec::with_capacity(1), Vec::new());
    push_text(&mut files, &mut errors, name, bytes);
    match (files.pop(), errors.pop()) {
        (Some(file), _) => Ok(file),
        (None, Some(e)) => Err(e),
        (None, None) => unreachable!("push_text gives a file or an error"),
    }
}

/// Reads the profile files (`*.yaml`, `*.yml`, directly inside) of each `--profiles`
/// folder, folders in the order given, files sorted by name.
pub(crate) fn load_profile_dirs(dirs: &[PathBuf]) -> (Vec<Arc<SourceFile>>, Vec<Diagnostic>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for dir in dirs {
        let display = dir.display().to_string();
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => {
                let reason = if e.kind() == std::io::ErrorKind::NotFound {
                    "no such directory".to_owned()
                } else {
                    e.to_string()
                };
                errors.push(Diagnostic::new(ErrorKind::ProfilesDir {
                    path: display,
                    reason,
                }));
                continue;
            }
        };
        let root = Root::new(dir);
        let mut found: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .filter(|e| {
                let p = e.path();
                matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
                    && p.is_file()
                    && root.admits(e, &mut errors)
            })
            .map(|e| e.path())
            .collect();
        found.sort();
        for path in found {
            read_file(&path, &mut files, &mut errors);
        }
    }
    (files, errors)
}

/// A folder being read, and where it really is: links below it may lead only inside it.
struct Root<'a> {
    shown: &'a Path,
    real: Option<PathBuf>,
}

impl<'a> Root<'a> {
    fn new(shown: &'a Path) -> Self {
        Self {
            shown,
            real: std::fs::canonicalize(shown).ok(),
        }
    }

    /// Whether `entry` may be read: anything but a link, or a link whose target is inside
    /// the folder. A link leading out is an error (not a silent skip): a pull request must
    /// not be able to make taskrender read, and quote in its reports, a file elsewhere on
    /// the machine, such as a CI runner's credentials.
    fn admits(&self, entry: &std::fs::DirEntry, errors: &mut Vec<Diagnostic>) -> bool {
        if !entry.file_type().is_ok_and(|t| t.is_symlink()) {
            return true;
        }
        let inside = match (&self.real, std::fs::canonicalize(entry.path())) {
            (Some(root), Ok(target)) => target.starts_with(root),
            // A broken link: reading it reports the missing file, without reading anything.
            (_, Err(_)) => true,
            (None, Ok(_)) => false,
        };
        if !inside {
            errors.push(
                Diagnostic::new(ErrorKind::LinkOutside {
                    path: entry.path().display().to_string(),
                    root: self.shown.display().to_string(),
                })
                .with_help("give the file's own path on the command line if it is meant to be read, or remove the link"),
            );
        }
        inside
    }
}

/// Collects the `*.yaml` / `*.yml` files below `dir` (hidden entries skipped, links inside
/// `root` followed to files but never into folders, links out of `root` refused into
/// `errors`). An unreadable folder ends the walk.
fn walk(
    dir: &Path,
    root: &Root<'_>,
    found: &mut Vec<PathBuf>,
    errors: &mut Vec<Diagnostic>,
) -> Result<(), Diagnostic> {
    let entries = std::fs::read_dir(dir).map_err(|e| io_error(&dir.display().to_string(), &e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io_error(&dir.display().to_string(), &e))?;
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let file_type = entry
            .file_type()
            .map_err(|e| io_error(&path.display().to_string(), &e))?;
        // Follow symlinks to files, but never into directories (no cycles).
        if file_type.is_dir() {
            // A folder `render -o` wrote (it holds taskrender's manifest) is output, never
            // input: `render DIR -o DIR/out` must not read its own objects back.
            if !path.join(".taskrender-manifest").is_file() {
                walk(&path, root, found, errors)?;
            }
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) && std::fs::metadata(&path).map_or(true, |m| m.is_file())
            && root.admits(&entry, errors)
        {
            found.push(path);
        }
    }
    Ok(())
}

fn read_file(path: &Path, files: &mut Vec<Arc<SourceFile>>, errors: &mut Vec<Diagnostic>) {
    let name = path.display().to_string();
    let result = std::fs::File::open(path)
        .map_err(|e| io_error(&name, &e))
        .and_then(|mut f| read_file_capped(&mut f, &name));
    match result {
        Ok(bytes) => push_text(files, errors, name, bytes),
        Err(e) => errors.push(e),
    }
}

/// [`read_capped`] for a file, with room for its size reserved first (as `std::fs::read`
/// does): two `read`s for a Task file instead of seven growing ones.
fn read_file_capped(file: &mut std::fs::File, name: &str) -> Result<Vec<u8>, Diagnostic> {
    let size = file
        .metadata()
        .map_or(0, |m| m.len())
        .min(MAX_FILE_BYTES + 1);
    read_capped_into(
        file,
        name,
        Vec::with_capacity(usize::try_from(size).unwrap_or(0)),
    )
}

fn read_capped(reader: &mut dyn Read, name: &str) -> Result<Vec<u8>, Diagnostic> {
    read_capped_into(reader, name, Vec::new())
}

fn read_capped_into(
    reader: &mut dyn Read,
    name: &str,
    mut bytes: Vec<u8>,
) -> Result<Vec<u8>, Diagnostic> {
    reader
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(name, &e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Diagnostic::new(ErrorKind::TooLarge {
            path: name.to_owned(),
            limit_mib: MAX_FILE_BYTES / (1024 * 1024),
        }));
    }
    Ok(bytes)
}

fn push_text(
    files: &mut Vec<Arc<SourceFile>>,
    errors: &mut Vec<Diagnostic>,
    name: String,
    bytes: Vec<u8>,
) {
    match String::from_utf8(bytes) {
        Ok(text) => files.push(SourceFile::new(name, text)),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
            // In the lossy copy the bad byte became U+FFFD at the same offset.
            let file = SourceFile::new(name.clone(), lossy);
            errors.push(
                Diagnostic::new(ErrorKind::NotUtf8 { path: name })
                    .at(&file, valid..valid + '\u{FFFD}'.len_utf8(), "not UTF-8")
                    .with_help("save the file as UTF-8"),
            );
        }
    }
}

fn io_error(path: &str, err: &std::io::Error) -> Diagnostic {
    let reason = match err.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => err.to_string(),
    };
    Diagnostic::new(ErrorKind::Read {
        path: path.to_owned(),
        reason,
    })
}

/// The files taskrender owns in an output folder (`diff --against`), read through
/// [`outdir`](crate::outdir): no link followed, no special file, every read capped.
pub(crate) fn read_output_dir(
    dir: &Path,
) -> Result<std::collections::BTreeMap<String, String>, Diagnostic> {
    crate::outdir::read_owned(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_from_one() {
        let f = SourceFile::new("t", "a: 1\nbé: 2\n");
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(5), (2, 1));
        // after the two-byte `é`, the `:` is the third character
        assert_eq!(f.line_col(8), (2, 3));
    }

    #[test]
    fn non_utf8_points_at_the_first_bad_byte() {
        let (mut files, mut errors) = (Vec::new(), Vec::new());
        push_text(
            &mut files,
            &mut errors,
            "x.yaml".into(),
            b"name: a\xff\n".to_vec(),
        );
        assert!(files.is_empty());
        let d = &errors[0];
        assert_eq!(d.kind.code(), "io::not_utf8");
        assert_eq!(d.primary_span().map(|s| s.start), Some(7));
    }

    #[test]
    fn oversized_input_is_refused() {
        let big = vec![b'a'; usize::try_from(MAX_FILE_BYTES).unwrap() + 1];
        let err = read_capped(&mut big.as_slice(), "big.yaml").unwrap_err();
        assert_eq!(err.kind.code(), "io::too_large");
    }

    /// A file is read whole up to the cap, with room reserved from its size, and refused
    /// one byte over it (the files are sparse: nothing is written to disk).
    #[test]
    fn a_file_is_read_up_to_the_cap() {
        let cap = usize::try_from(MAX_FILE_BYTES).unwrap();
        for (len, ok) in [(0, true), (5, true), (cap, true), (cap + 1, false)] {
            let mut file = tempfile::tempfile().unwrap();
            file.set_len(len as u64).unwrap();
            match read_file_capped(&mut file, "t.yaml") {
                Ok(bytes) => {
                    assert!(ok, "{len}");
                    assert_eq!(bytes.len(), len);
                    assert!(bytes.iter().all(|&b| b == 0));
                }
                Err(e) => {
                    assert!(!ok, "{len}: {e:?}");
                    assert_eq!(e.kind.code(), "io::too_large");
                }
            }
        }
    }

    #[cfg(unix)]
    #[test]
    fn links_are_followed_inside_a_folder_and_refused_out_of_it() {
        use std::os::unix::fs::symlink;
        let outside = tempfile::tempdir().unwrap();
        let secret = outside.path().join("secret.yaml");
        std::fs::write(&secret, "token: hunter2\n").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let tasks = dir.path().join("tasks");
        std::fs::create_dir(&tasks).unwrap();
        std::fs::write(tasks.join("a.yaml"), "name: a\n").unwrap();
        symlink(tasks.join("a.yaml"), tasks.join("current.yaml")).unwrap();
        symlink(&secret, tasks.join("evil.yaml")).unwrap();
        symlink(&secret, tasks.join("sub.yml")).unwrap();

        let (files, errors) = load(std::slice::from_ref(&tasks), &mut std::io::empty());
        let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        assert!(names.iter().any(|n| n.ends_with("a.yaml")), "{names:?}");
        assert!(
            names.iter().any(|n| n.ends_with("current.yaml")),
            "{names:?}"
        );
        assert!(
            files.iter().all(|f| !f.text.contains("hunter2")),
            "a link out of the folder was read"
        );
        let codes: Vec<&str> = errors.iter().map(|e| e.kind.code()).collect();
        assert_eq!(codes, ["io::link_outside", "io::link_outside"]);

        // Named on the command line, the same file is read: the user chose it.
        let (files, errors) = load(&[tasks.join("evil.yaml")], &mut std::io::empty());
        assert!(errors.is_empty());
        assert_eq!(files.len(), 1);

        // --profiles folders follow the same rule.
        let (files, errors) = load_profile_dirs(std::slice::from_ref(&tasks));
        assert!(files.iter().all(|f| !f.text.contains("hunter2")));
        assert_eq!(errors.len(), 2);
    }
}
