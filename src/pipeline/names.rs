//! Every Task name of a run, and where it was first named: what the run keeps of each
//! Task, to find two Tasks of one name and to word a wrong `function.image_from`. A run of
//! 100,000 Tasks keeps 100,000 of these, so they are compact: the texts one after another
//! in one `String` (the Tasks of one file share its name), a fixed-size record each, and a
//! hash table of record numbers (not a map of boxed strings: a B-tree of those took about
//! 130 bytes a Task in nodes alone).

use std::hash::{BuildHasher, RandomState};

use hashbrown::HashTable;

/// Where a Task name was first seen, as [`Names`] gives it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FirstNamed<'a> {
    /// Its action (`job`, `serve`, …), for a Task that runs its image by mistake.
    pub(super) action: &'static str,
    pub(super) file: &'a str,
    pub(super) line: u32,
    pub(super) col: u32,
    pub(super) namespace: Option<&'a str>,
}

/// The Task names of a run, each with where it was first named.
#[derive(Default)]
pub(super) struct Names {
    /// Names, file names and namespaces, one after another.
    text: String,
    /// One per distinct name, in the order first seen.
    firsts: Vec<Record>,
    /// Numbers of `firsts`, by the hash of their name.
    index: HashTable<usize>,
    /// Hashes the names (which hash does not matter: the table is never listed, so the
    /// output does not depend on it).
    hasher: RandomState,
    /// The file of the last record, shared by the next Task of the same file.
    last_file: Option<Span>,
}

/// [`FirstNamed`], its texts as places in [`Names::text`].
struct Record {
    name: Span,
    file: Span,
    namespace: Option<Span>,
    line: u32,
    col: u32,
    action: &'static str,
}

/// A part of [`Names::text`].
#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
}

impl Names {
    /// Where `name` was first named, if it was.
    pub(super) fn get(&self, name: &str) -> Option<FirstNamed<'_>> {
        self.find(self.hasher.hash_one(name), name)
            .map(|i| self.first(i))
    }

    /// Records where `name` is first named and returns `None`; or, when it was named
    /// before, returns where.
    pub(super) fn first_or_insert(
        &mut self,
        name: &str,
        at: FirstNamed<'_>,
    ) -> Option<FirstNamed<'_>> {
        let hash = self.hasher.hash_one(name);
        if let Some(i) = self.find(hash, name) {
            return Some(self.first(i));
        }
        let number = self.firsts.len();
        let name = self.push(name);
        let file = match self.last_file {
            Some(last) if self.text_of(last) == at.file => last,
            _ => self.push(at.file),
        };
        self.last_file = Some(file);
        let namespace = at.namespace.map(|ns| self.push(ns));
        self.firsts.push(Record {
            name,
            file,
            namespace,
            line: at.line,
            col: at.col,
            action: at.action,
        });
        let (text, firsts, hasher) = (&self.text, &self.firsts, &self.hasher);
        self.index.insert_unique(hash, number, |&i| {
            hasher.hash_one(slice(text, firsts[i].name))
        });
        None
    }

    /// The number of the record of `name`, whose hash is `hash`.
    fn find(&self, hash: u64, name: &str) -> Option<usize> {
        self.index
            .find(hash, |&i| self.text_of(self.firsts[i].name) == name)
            .copied()
    }

    fn first(&self, i: usize) -> FirstNamed<'_> {
        let r = &self.firsts[i];
        FirstNamed {
            action: r.action,
            file: self.text_of(r.file),
            line: r.line,
            col: r.col,
            namespace: r.namespace.map(|ns| self.text_of(ns)),
        }
    }

    fn push(&mut self, s: &str) -> Span {
        let start = self.text.len();
        self.text.push_str(s);
        Span {
            start,
            end: self.text.len(),
        }
    }

    fn text_of(&self, span: Span) -> &str {
        slice(&self.text, span)
    }
}

fn slice(text: &str, span: Span) -> &str {
    &text[span.start..span.end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at<'a>(file: &'a str, line: u32, namespace: Option<&'a str>) -> FirstNamed<'a> {
        FirstNamed {
            action: "job",
            file,
            line,
            col: 7,
            namespace,
        }
    }

    #[test]
    fn a_name_is_first_named_once() {
        let mut names = Names::default();
        assert_eq!(names.first_or_insert("train", at("a.yaml", 1, None)), None);
        assert_eq!(
            names.first_or_insert("serve", at("a.yaml", 9, Some("ml"))),
            None
        );
        assert_eq!(names.first_or_insert("other", at("b.yaml", 1, None)), None);
        // Named again, anywhere: where it was first named, unchanged.
        assert_eq!(
            names.first_or_insert("serve", at("c.yaml", 3, None)),
            Some(at("a.yaml", 9, Some("ml")))
        );
        assert_eq!(names.get("train"), Some(at("a.yaml", 1, None)));
        assert_eq!(names.get("other"), Some(at("b.yaml", 1, None)));
        assert_eq!(names.get("trai"), None);
        assert_eq!(names.get(""), None);
        // The Tasks of one file share its name in the text.
        assert_eq!(names.text, "traina.yamlservemlotherb.yaml");
    }

    #[test]
    fn many_names_are_all_found() {
        let mut names = Names::default();
        let file = |i: u32| format!("tasks/{}.yaml", i / 3);
        for i in 0..20_000u32 {
            let (name, file) = (format!("task-{i}"), file(i));
            assert_eq!(names.first_or_insert(&name, at(&file, i, None)), None);
        }
        for i in 0..20_000u32 {
            let file = file(i);
            assert_eq!(names.get(&format!("task-{i}")), Some(at(&file, i, None)));
        }
        assert_eq!(names.get("task-20000"), None);
        assert_eq!(names.firsts.len(), 20_000);
    }
}
