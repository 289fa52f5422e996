//! `ARCHITECTURE.md` is the map of `src/`, and this test keeps it true: every module is in
//! its table, every `crate::` import is an arrow the table allows, the arrows have no
//! cycle, and only `source` and `emit` touch the file system.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level module → the text of its files, without test code and comments.
fn modules() -> BTreeMap<String, String> {
    fn walk(dir: &Path, top: Option<&str>, out: &mut BTreeMap<String, String>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let module = top.map_or_else(|| name.clone(), str::to_owned);
            if path.is_dir() {
                walk(&path, Some(&module), out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                out.entry(module)
                    .or_default()
                    .push_str(&production_code(&text));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        None,
        &mut out,
    );
    out
}

/// The text before a file's `#[cfg(test)] mod tests` (or `pub(super) mod tests`, whose
/// helpers a sibling's tests share), without comment lines.
fn production_code(text: &str) -> String {
    let end = [
        "#[cfg(test)]\nmod tests",
        "#[cfg(test)]\npub(super) mod tests",
    ]
    .iter()
    .filter_map(|marker| text.find(marker))
    .min()
    .unwrap_or(text.len());
    text[..end]
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The modules a text names as `crate::x` or `crate::{x, y}`.
fn uses(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for item in group.split(',') {
                let name = item.trim().split("::").next().unwrap_or_default();
                if !name.is_empty() {
                    out.insert(name.to_owned());
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            out.insert(name);
        }
    }
    out
}

/// The table of `ARCHITECTURE.md`: module → the modules it may use.
fn table() -> BTreeMap<String, BTreeSet<String>> {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/ARCHITECTURE.md")).unwrap();
    doc.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let name = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
            let allowed = cells
                .get(3)?
                .split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_owned)
                .collect();
            Some((name.to_owned(), allowed))
        })
        .collect()
}

#[test]
fn architecture_md_names_every_module_and_arrow() {
    let modules = modules();
    let table = table();
    let mut problems = Vec::new();
    for (module, text) in &modules {
        let Some(allowed) = table.get(module) else {
            problems.push(format!(
                "module `{module}` is not in ARCHITECTURE.md's table"
            ));
            continue;
        };
        for used in uses(text) {
            if used != *module && !allowed.contains(&used) {
                problems.push(format!(
                    "`{module}` uses `{used}`, an arrow ARCHITECTURE.md does not draw"
                ));
            }
        }
    }
    for module in table.keys() {
        if !modules.contains_key(module) {
            problems.push(format!(
                "ARCHITECTURE.md names `{module}`, which src/ does not have"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Depth-first search for a back edge: the cycle, if any.
fn visit<'a>(
    node: &'a str,
    graph: &'a BTreeMap<String, BTreeSet<String>>,
    path: &mut Vec<&'a str>,
    done: &mut BTreeSet<&'a str>,
) -> Option<String> {
    if let Some(i) = path.iter().position(|n| *n == node) {
        return Some(format!("{} → {node}", path[i..].join(" → ")));
    }
    if !done.insert(node) {
        return None;
    }
    path.push(node);
    for next in graph.get(node).into_iter().flatten() {
        if let Some(cycle) = visit(next, graph, path, done) {
            return Some(cycle);
        }
    }
    path.pop();
    None
}

#[test]
fn module_arrows_have_no_cycle() {
    let graph: BTreeMap<String, BTreeSet<String>> = modules()
        .into_iter()
        .map(|(m, text)| {
            let mut used = uses(&text);
            used.remove(&m);
            (m, used)
        })
        .collect();
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        let cycle = visit(node, &graph, &mut Vec::new(), &mut done);
        assert!(
            cycle.is_none(),
            "module cycle: {}",
            cycle.unwrap_or_default()
        );
    }
}

#[test]
fn only_source_emit_and_outdir_touch_the_file_system() {
    for (module, text) in modules() {
        if ["source", "emit", "outdir", "spool", "generate", "main"].contains(&module.as_str()) {
            continue;
        }
        for needle in [
            "std::fs",
            "fs::read",
            "fs::write",
            "File::open",
            "File::create",
            "OpenOptions",
            "read_dir",
        ] {
            assert!(
                !text.contains(needle),
                "`{module}` uses `{needle}`: only `source` reads and only `emit` writes (through `outdir` under DIR)"
            );
        }
    }
}

#[test]
fn stages_never_import_the_command_line() {
    for (module, text) in modules() {
        if ["app", "command", "outcome", "cli", "lib", "main"].contains(&module.as_str()) {
            continue;
        }
        assert!(
            !uses(&text).contains("cli"),
            "`{module}` imports `cli`: stages take plain values"
        );
    }
}
