//! How each string of an output object is written in YAML: the serializer's choice, except
//! where a YAML 1.1 reader (libyaml, go-yaml: kubectl's) would refuse or misread it; those
//! strings are written double-quoted, with escapes.
//!
//! The rule is checked by a property test: random strings, in every position a string
//! takes in an object (a value, a list item, a key), must read back unchanged through
//! libyaml and never be a plain scalar that YAML 1.1 resolves to another type.

use serde::{Serialize, Serializer};
use serde_json::Value;
use serde_saphyr::DoubleQuoted;

/// `value` for the YAML serializer, with the strings that need it forced double-quoted.
pub(crate) struct Styled<'a>(pub &'a Value);

impl Serialize for Styled<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::String(text) => Str(text).serialize(s),
            Value::Array(items) => s.collect_seq(items.iter().map(Styled)),
            Value::Object(map) => s.collect_map(map.iter().map(|(k, v)| (Str(k), Styled(v)))),
            other => other.serialize(s),
        }
    }
}

struct Str<'a>(&'a str);

impl Serialize for Str<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if needs_double_quotes(self.0) {
            DoubleQuoted(self.0).serialize(s)
        } else {
            s.serialize_str(self.0)
        }
    }
}

/// A multi-line string is written as a literal block (`|`) only when no line starts with
/// a tab: a block's indentation is detected from its first non-empty line, and libyaml
/// refuses a tab there ("found a tab character where an indentation space is expected");
/// a tab after the indentation of a later line is content to libyaml, but readers differ
/// on tabs near indentation, so those strings are quoted too. Quoted means double-quoted
/// with escapes (`"\techo hi\n"`), which every reader takes.
fn needs_double_quotes(s: &str) -> bool {
    s.contains('\n') && s.split('\n').any(|line| line.starts_with('\t'))
}

/// The serializer options of every YAML document taskrender writes.
pub(crate) fn options() -> serde_saphyr::SerializerOptions {
    serde_saphyr::ser_options! {
        // Never fold long lines: a folded scalar reads back with different whitespace
        // in some readers, and reviewers should see the value as written.
        folded_wrap_chars: usize::MAX,
        min_fold_chars: usize::MAX,
    }
}

/// Appends string `s` in value position (after `key: ` or `- `), then its line end, as
/// [`Styled`] has the serializer write it there: a literal block for a multi-line string
/// (body at column `body`), otherwise one line. Common strings are decided here; the
/// others are written by the serializer itself, one scalar at a time, so that its quoting
/// rules (YAML 1.1 look-alikes, indicators, escapes) apply unchanged.
pub(crate) fn write_value(out: &mut String, s: &str, body: usize) {
    if s.contains('\n') {
        if !needs_double_quotes(s) && block_content_safe(s) {
            write_literal(out, s, body);
        } else {
            let text = serde_saphyr::to_string_with_options(&DoubleQuoted(s), options())
                .expect("strings serialize to YAML");
            out.push_str(&text);
        }
    } else if plain_word(s, false) {
        out.push_str(s);
        out.push('\n');
    } else if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        // a decimal integer to any YAML reader: quoted, nothing to escape
        out.push('"');
        out.push_str(s);
        out.push_str("\"\n");
    } else {
        let text =
            serde_saphyr::to_string_with_options(&s, options()).expect("strings serialize to YAML");
        debug_assert!(text.ends_with('\n') && !text[..text.len() - 1].contains('\n'));
        out.push_str(&text);
    }
}

/// Appends map key `key` as the serializer writes it before `:`; `None` for a key it would
/// write in the explicit `? key` form (over 1024 characters).
pub(crate) fn write_key(out: &mut String, key: &str) -> Option<()> {
    if plain_word(key, true) {
        out.push_str(key);
        return Some(());
    }
    let text = serde_saphyr::to_string_with_options(
        &std::collections::BTreeMap::from([(key, 0u8)]),
        options(),
    )
    .expect("string keys serialize to YAML");
    let key_text = text.strip_suffix(": 0\n")?;
    if key_text.starts_with("? ") || key_text.contains('\n') {
        return None;
    }
    out.push_str(key_text);
    Some(())
}

/// A string every YAML reader takes as this string when written plain: it starts with an
/// ASCII letter, has only printable ASCII and no space, does not end with `:`, and is no
/// YAML 1.1 or 1.2 boolean, null or special float word. (A letter first rules out numbers,
/// timestamps, indicators and document markers; no space rules out comments and `: `.) As
/// a key, also none of `:` `,` `[` `]` `{` `}`.
fn plain_word(s: &str, key: bool) -> bool {
    let bytes = s.as_bytes();
    let Some((&first, _)) = bytes.split_first() else {
        return false;
    };
    if key && bytes.len() > 1024 {
        return false; // written as an explicit key (`? key`)
    }
    first.is_ascii_alphabetic()
        && bytes.iter().all(|&b| {
            (0x21..=0x7e).contains(&b)
                && !(key && matches!(b, b':' | b',' | b'[' | b']' | b'{' | b'}'))
        })
        && bytes.last() != Some(&b':')
        && !(s.len() <= 5
            && [
                "null", "true", "false", "yes", "no", "y", "n", "on", "off", "nan", "inf",
            ]
            .iter()
            .any(|w| s.eq_ignore_ascii_case(w)))
}

/// Whether the serializer writes multi-line `s` as a literal block rather than quoted:
/// every character printable in a block (no `\r`, no BOM, no NEL or line/paragraph
/// separators, no other control character than tab and line feed).
fn block_content_safe(s: &str) -> bool {
    s.chars().all(|c| match c {
        '\n' | '\t' => true,
        '\r' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}' => false,
        c => matches!(
            u32::from(c),
            0x20..=0x7e | 0xa0..=0xd7ff | 0xe000..=0xfffd | 0x1_0000..=0x10_ffff
        ),
    })
}

/// A literal block: `|`, `2` when the first non-empty line starts with a space (the body's
/// indentation cannot be detected then), the chomping indicator (`-` no final line break,
/// none for one, `+` for more or for line breaks only), then each line at column `body`
/// (empty lines without indentation).
fn write_literal(out: &mut String, s: &str, body: usize) {
    let content = s.trim_end_matches('\n');
    let trailing = s.len() - content.len();
    out.push('|');
    if content
        .split('\n')
        .find(|l| !l.is_empty())
        .is_some_and(|l| l.starts_with(' '))
    {
        out.push('2');
    }
    match trailing {
        0 => out.push('-'),
        1 if !content.is_empty() => {}
        _ => out.push('+'),
    }
    out.push('\n');
    if content.is_empty() {
        out.extend(std::iter::repeat_n('\n', trailing));
        return;
    }
    for line in content.split('\n') {
        if !line.is_empty() {
            out.extend(std::iter::repeat_n(' ', body));
            out.push_str(line);
        }
        out.push('\n');
    }
    if trailing >= 2 {
        out.extend(std::iter::repeat_n('\n', trailing - 1));
    }
}

/// Random strings for property tests of YAML writing.
#[cfg(test)]
pub(crate) use tests::text;

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use proptest::prelude::*;
    use regex::Regex;
    use serde_json::{Value, json};

    use crate::render::yaml::to_yaml;

    /// Characters that matter to YAML's syntax or to its readers, plus ordinary ones.
    const ALPHABET: &[char] = &[
        ' ', ' ', '\t', '\n', '\n', '\r', 'a', 'y', 'Y', 'e', 's', 'o', 'n', 'N', 'f', 'x', 'E',
        '0', '1', '7', '9', '.', '_', '+', '-', ':', '#', '?', '|', '>', '"', '\'', '\\', '%', '@',
        '`', '{', '}', '[', ']', ',', '&', '*', '!', '~', '=', '<', 'é', '😀', '\u{85}', '\u{a0}',
        '\u{2028}', '\u{feff}', '\u{7f}', '\u{1b}', '\0',
    ];

    /// Words YAML 1.1 or 1.2 give a type, and syntax-like words.
    const WORDS: &[&str] = &[
        "yes",
        "No",
        "ON",
        "off",
        "y",
        "N",
        "true",
        "False",
        "null",
        "Null",
        "~",
        "",
        "0755",
        "0o17",
        "0x1F",
        "0b101",
        "1_000",
        "+1",
        "-.5",
        "1e3",
        "1E+3",
        ".inf",
        "-.Inf",
        ".NaN",
        "12:30",
        "190:20:30.15",
        "2001-12-14",
        "2001-12-14t21:59:43.10-05:00",
        "<<",
        "=",
        "-",
        "---",
        "...",
        "? a",
        "- a",
        "a: b",
        "a #b",
        "#a",
        "&a",
        "*a",
        "!a",
        "%a",
        "@a",
        "`a",
        "'a'",
        "\"a\"",
        "[a]",
        "{a: b}",
        "|",
        ">",
        "a\\nb",
    ];

    /// Random strings: YAML's syntax characters, typed words, any printable text.
    pub(crate) fn text() -> impl Strategy<Value = String> {
        let chars = prop::collection::vec(prop::sample::select(ALPHABET), 0..14)
            .prop_map(|cs| cs.into_iter().collect::<String>());
        let words = prop::collection::vec(
            prop_oneof![
                prop::sample::select(WORDS).prop_map(str::to_owned),
                prop::sample::select(&[" ", "\t", "\n", "\n\n", " \n", "\t\n", "\n\t", "\n "][..])
                    .prop_map(str::to_owned),
            ],
            1..5,
        )
        .prop_map(|ws| ws.concat());
        prop_oneof![chars, words, "\\PC{0,24}"]
    }

    /// YAML 1.1's implicit types (yaml.org/type: bool, int, float, null, merge, value,
    /// timestamp) and go-yaml's wider float and `y`/`n` booleans: a plain scalar matching
    /// one of these is not a string to kubectl.
    static YAML11_NON_STRING: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?x)^(?:
              y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF
            | ~|null|Null|NULL|
            | [-+]?0b[01_]+ | [-+]?0[0-7_]+ | [-+]?(?:0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+
            | [-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+
            | [-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?
            | [-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+
            | [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
            | [-+]?\.(?:inf|Inf|INF) | \.(?:nan|NaN|NAN)
            | <<|=
            | [0-9]{4}-[0-9]{2}-[0-9]{2}
            | [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[\ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[\ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?
            )$",
        )
        .expect("valid pattern")
    });

    /// `doc` emitted, then read by libyaml: the same value, and no plain scalar at `line`
    /// (`prefix` + scalar + `suffix`) that YAML 1.1 would type.
    fn reads_back(doc: &Value, prefix: &str, suffix: &str) -> Result<(), TestCaseError> {
        let text = to_yaml(doc);
        let back: Value = serde_yaml_ng::from_str(&text)
            .map_err(|e| TestCaseError::fail(format!("libyaml refuses {text:?}: {e}")))?;
        prop_assert_eq!(&back, doc, "emitted as {:?}", text);
        for line in text.lines() {
            if let Some(scalar) = line
                .strip_prefix(prefix)
                .and_then(|l| l.strip_suffix(suffix))
                && !scalar.starts_with(['"', '\'', '|', '>', '?'])
            {
                prop_assert!(
                    !YAML11_NON_STRING.is_match(scalar),
                    "plain scalar {:?} is not a string in YAML 1.1",
                    scalar
                );
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

        #[test]
        fn every_string_reads_back_through_yaml_1_1(s in text()) {
            // a top-level value, a value in a list of maps (an env var), a list item, a key
            reads_back(&json!({"v": s}), "v: ", "")?;
            reads_back(
                &json!({"env": [{"name": "A", "value": s}]}),
                "  value: ",
                "",
            )?;
            reads_back(&json!({"args": [s]}), "- ", "")?;
            reads_back(&json!({"labels": {s.clone(): "x"}}), "  ", ": x")?;
        }
    }

    #[test]
    fn a_tab_led_multi_line_string_is_double_quoted() {
        let text = to_yaml(&json!({"v": "\techo hi\n"}));
        assert_eq!(text, "---\nv: \"\\techo hi\\n\"\n");
        // the smallest case the property test found before the rule
        assert_eq!(to_yaml(&json!({"v": "\t\n"})), "---\nv: \"\\t\\n\"\n");
        // any line led by a tab: libyaml would take a later one, but not every reader does
        let text = to_yaml(&json!({"v": "echo hi\n\techo there\n"}));
        assert_eq!(text, "---\nv: \"echo hi\\n\\techo there\\n\"\n");
        // other multi-line strings stay readable blocks, tabs inside lines included
        let text = to_yaml(&json!({"v": "echo\thi\n  echo there\n"}));
        assert_eq!(text, "---\nv: |\n  echo\thi\n    echo there\n");
        let back: Value = serde_yaml_ng::from_str(&text).unwrap();
        assert_eq!(back["v"], "echo\thi\n  echo there\n");
    }
}
