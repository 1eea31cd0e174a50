//! Writes what was read from a live cluster as one `kind: List` YAML file,
//! which every command reads back with `-f`: a cluster to attach to a bug
//! report, or to run CI against.
//!
//! The writer is a small YAML emitter for JSON values rather than a
//! general serializer: it quotes every string a YAML 1.1 or 1.2 parser
//! could read as something else (`yes`, `0755`, `1e3`, `null`, `- x`), so
//! the file means the same to kubectl, to Go's parsers and to ours.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::live::LiveRead;

/// The snapshot of `read`: a comment header (source, time, what could
/// not be read) and the objects as a `kind: List`.
pub fn snapshot_yaml(read: &LiveRead, taken_at: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# kubereach snapshot of {}, taken {taken_at}.", one_line(&read.source));
    out.push_str(
        "# Secrets are metadata only; managedFields and last-applied-configuration annotations are dropped.\n",
    );
    for diagnostic in &read.diagnostics {
        let _ = writeln!(out, "# {}: {}", diagnostic.severity.as_str(), one_line(&diagnostic.message));
    }
    let items = Value::Array(read.objects.iter().map(|o| o.value.clone()).collect());
    out.push_str("apiVersion: v1\nkind: List\nitems:");
    write_value(&mut out, &items, 0, Context::MapValue);
    out
}

/// Writes a snapshot to `path` so that no failure leaves a partial file
/// where a good one was (a full disk, a file size limit, an interrupt): the
/// text goes to a new file beside it, readable by its owner only (mode 0600:
/// a snapshot describes the cluster), is synced, then renamed over `path`.
pub fn write_snapshot(path: &Path, content: impl AsRef<[u8]>) -> Result<(), SnapshotError> {
    let Some(file_name) = path.file_name() else {
        return Err(SnapshotError::NotAFile { path: path.to_owned() });
    };
    let mut temporary_name = std::ffi::OsString::from(".");
    temporary_name.push(file_name);
    temporary_name.push(format!(".{}.tmp", std::process::id()));
    let temporary = path.with_file_name(temporary_name);
    let written = write_new_private(&temporary, content.as_ref())
        .map_err(|source| SnapshotError::Write { temporary: temporary.clone(), source })
        .and_then(|()| {
            std::fs::rename(&temporary, path)
                .map_err(|source| SnapshotError::Replace { path: path.to_owned(), source })
        });
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// Why [`write_snapshot`] wrote nothing (the file at its path, if any, is
/// as it was).
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The path ends in `..` or is a root: there is no file name to write.
    #[error("`{}` does not name a file", path.display())]
    NotAFile {
        /// The path given.
        path: PathBuf,
    },
    /// The new file beside the path could not be created, written or
    /// synced (a full disk, a file size limit, no write permission on the
    /// directory).
    #[error("cannot write the new snapshot `{}`", temporary.display())]
    Write {
        /// The new file, removed again.
        temporary: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The new file could not be renamed over the path.
    #[error("cannot replace `{}` with the new snapshot", path.display())]
    Replace {
        /// The path given.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
}

/// Creates `path` (which must not exist) with mode 0600, writes and syncs it.
fn write_new_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

/// Where a value is written: after `key:`, after `- `, or alone.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    MapValue,
    SequenceItem,
}

/// Writes `value` as YAML. `indent` is the column of the enclosing key (or
/// dash); nested mappings go two columns deeper, sequences of a mapping
/// value at the key's column, as kubectl writes them.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map_body(&mut out, map, 0, true),
        Value::Array(items) if !items.is_empty() => write_sequence_body(&mut out, items, 0, true),
        scalar => {
            write_scalar(&mut out, scalar, 0);
            out.push('\n');
        }
    }
    out
}

fn write_value(out: &mut String, value: &Value, indent: usize, context: Context) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            if context == Context::MapValue {
                out.push('\n');
                write_map_body(out, map, indent + 2, true);
            } else {
                // `- ` already written: the first key goes on its line.
                write_map_body(out, map, indent + 2, false);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            if context == Context::MapValue {
                out.push('\n');
                write_sequence_body(out, items, indent, true);
            } else {
                write_sequence_body(out, items, indent + 2, false);
            }
        }
        scalar => {
            if context == Context::MapValue {
                out.push(' ');
            }
            write_scalar(out, scalar, indent + 2);
            out.push('\n');
        }
    }
}

fn write_map_body(out: &mut String, map: &serde_json::Map<String, Value>, indent: usize, indent_first: bool) {
    for (i, (key, value)) in map.iter().enumerate() {
        if i > 0 || indent_first {
            push_spaces(out, indent);
        }
        write_string(out, key, indent, true);
        out.push(':');
        write_value(out, value, indent, Context::MapValue);
    }
}

fn write_sequence_body(out: &mut String, items: &[Value], indent: usize, indent_first: bool) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 || indent_first {
            push_spaces(out, indent);
        }
        out.push_str("- ");
        write_value(out, item, indent, Context::SequenceItem);
    }
}

fn push_spaces(out: &mut String, count: usize) {
    out.extend(std::iter::repeat_n(' ', count));
}

fn write_scalar(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) => write_string(out, s, indent, false),
        Value::Object(_) => out.push_str("{}"),
        Value::Array(_) => out.push_str("[]"),
    }
}

/// A string, plain when no YAML parser can mistake it, as a literal block
/// when it is multi-line text, else double-quoted (JSON's escapes are valid
/// YAML).
fn write_string(out: &mut String, text: &str, indent: usize, is_key: bool) {
    if is_plain_safe(text) {
        out.push_str(text);
    } else if !is_key && is_block_safe(text) {
        out.push_str(if text.ends_with('\n') { "|" } else { "|-" });
        for line in text.trim_end_matches('\n').split('\n') {
            out.push('\n');
            if !line.is_empty() {
                push_spaces(out, indent);
                out.push_str(line);
            }
        }
    } else {
        let _ = write!(out, "{}", Value::String(text.to_owned()));
    }
}

/// Letters, digits and `_ - . /`, starting with a letter, and not a word
/// that YAML 1.1 reads as a boolean or null.
fn is_plain_safe(text: &str) -> bool {
    let mut chars = text.chars();
    let Some(first) = chars.next() else { return false };
    if !first.is_ascii_alphabetic() {
        return false;
    }
    if !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/')) {
        return false;
    }
    const RESERVED: &[&str] = &["y", "n", "yes", "no", "on", "off", "true", "false", "null"];
    !RESERVED.iter().any(|word| text.eq_ignore_ascii_case(word))
}

/// Multi-line text a literal block keeps exactly: printable, no trailing
/// spaces (a block would keep them but editors strip them), no run of
/// trailing newlines (chomping keeps at most one), first line not indented
/// (the block's indentation would be guessed from it).
fn is_block_safe(text: &str) -> bool {
    let body = text.strip_suffix('\n').unwrap_or(text);
    body.contains('\n')
        && !body.ends_with('\n')
        && !body.starts_with([' ', '\t'])
        && !body.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
        && body.split('\n').all(|line| !line.ends_with([' ', '\t']))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(value: &Value) {
        let text = to_yaml(value);
        let documents = crate::yaml::parse_stream(&text);
        assert_eq!(documents.len(), 1, "{text}");
        let parsed = documents[0].content.as_ref().unwrap_or_else(|e| panic!("{e:?}\n{text}"));
        assert_eq!(&parsed.value, value, "\n{text}");
    }

    #[test]
    fn strings_a_parser_could_misread_are_quoted() {
        let tricky = [
            "yes",
            "No",
            "on",
            "OFF",
            "y",
            "n",
            "true",
            "null",
            "~",
            "",
            " lead",
            "trail ",
            "123",
            "0755",
            "1e3",
            "0x1F",
            ".inf",
            ".nan",
            "-",
            "- a",
            "-a",
            "a: b",
            "a:b",
            "#x",
            "x #y",
            "@at",
            "`tick",
            "!tag",
            "&anchor",
            "*alias",
            "%dir",
            "{",
            "[a]",
            ",",
            "?",
            "|",
            ">",
            "'",
            "\"",
            "tab\there",
            "uni é",
            "10.244.1.2",
            "2025-01-11T10:15:00Z",
            "=",
            "<<",
        ];
        let value = Value::Object(tricky.iter().map(|s| ((*s).to_owned(), json!(s))).collect());
        round_trip(&value);
        round_trip(&json!(tricky.to_vec()));
    }

    #[test]
    fn multi_line_text_is_a_literal_block() {
        let corefile = ".:53 {\n    errors\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n       pods insecure\n    }\n\n    forward . /etc/resolv.conf\n}\n";
        let value = json!({"data": {"Corefile": corefile, "no-newline": "a\nb", "two-newlines": "a\n\n",
                                    "indented": "  a\nb", "trailing-space": "a \nb", "cr": "a\r\nb"}});
        let text = to_yaml(&value);
        assert!(text.contains("  Corefile: |\n    .:53 {\n        errors\n"), "{text}");
        assert!(text.contains("  no-newline: |-\n    a\n    b\n"), "{text}");
        round_trip(&value);
    }

    #[test]
    fn nesting_empty_collections_and_scalars() {
        round_trip(&json!({
            "apiVersion": "v1", "kind": "List",
            "items": [
                {"metadata": {"name": "a", "labels": {}, "finalizers": []}, "spec": {"replicas": 3, "paused": false,
                 "ratio": 0.5, "big": 18446744073709551615u64, "negative": -1, "nothing": null}},
                [[1, 2], [], {}],
                "text",
                {"ports": [{"port": 80, "name": "http"}, {"port": 443}]}
            ]
        }));
        round_trip(&json!("scalar"));
        round_trip(&json!([]));
        round_trip(&json!({}));
    }

    #[test]
    fn kubectl_layout() {
        let text = to_yaml(
            &json!({"kind": "List", "items": [{"metadata": {"name": "a"}, "spec": {"ports": [{"port": 80}]}}]}),
        );
        assert_eq!(
            text,
            "items:\n- metadata:\n    name: a\n  spec:\n    ports:\n    - port: 80\nkind: List\n"
        );
    }
}
