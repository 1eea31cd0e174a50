//! The stream reader's tests: documents, lines, errors, limits, scalars.

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::fields::Fields;
use super::*;

/// Parses `text` and returns, per document, its line and either its value
/// or its error as `"line:column: message"`.
fn check(text: &str) -> Vec<(u32, Result<Value, String>)> {
    parse_stream(text)
        .into_iter()
        .map(|d| {
            let content = d
                .content
                .map(|p| p.value)
                .map_err(|e| format!("{}:{}: {}", e.line(), e.column(), e.message()));
            (d.line, content)
        })
        .collect()
}

/// Parses a single document that must be valid.
fn one(text: &str) -> ParsedDocument {
    let mut docs = parse_stream(text);
    assert_eq!(docs.len(), 1, "{text:?}");
    docs.remove(0).content.unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

fn value(text: &str) -> Value {
    one(text).value
}

fn error(text: &str) -> YamlError {
    let mut docs = parse_stream(text);
    assert_eq!(docs.len(), 1, "{text:?}");
    docs.remove(0).content.expect_err(text)
}

fn line_of(doc: &ParsedDocument, path: &str) -> Option<u32> {
    doc.field_lines.iter().find(|(p, _)| p == path).map(|(_, l)| *l)
}

#[test]
fn empty_inputs_give_no_documents() {
    for text in ["", "\n\n", "# only\n# comments\n", "---\n", "---\n---\n...\n", "\u{feff}", "--- # c\n"] {
        assert!(check(text).is_empty(), "{text:?}");
    }
}

#[test]
fn single_document_without_marker() {
    assert_eq!(check("a: 1\n"), vec![(1, Ok(json!({"a": 1})))]);
    assert_eq!(check("\u{feff}a: 1"), vec![(1, Ok(json!({"a": 1})))]);
    assert_eq!(check("a: 1\r\nb: 2\r\n"), vec![(1, Ok(json!({"a": 1, "b": 2})))]);
    // `\r\n` and a lone `\r` are line breaks too.
    let text = "a: 1\r\n---\r\n\r\nb: 2\r\n...\r\nc: 3\r---\rd: [\r";
    let docs = check(text);
    assert_eq!(docs[..3], [(1, Ok(json!({"a": 1}))), (4, Ok(json!({"b": 2}))), (6, Ok(json!({"c": 3})))]);
    assert_eq!(docs[3].0, 8);
    assert!(docs[3].1.as_ref().is_err_and(|e| e.starts_with("9:")), "{:?}", docs[3]);
}

#[test]
fn multi_document_stream() {
    let text = "\
# leading comment
a: 1
--- # first
# comment
b: 2
---
---\t
c: 3
--- {d: 4}
--- !!str
--- |
  text
";
    assert_eq!(
        check(text),
        vec![
            (2, Ok(json!({"a": 1}))),
            (5, Ok(json!({"b": 2}))),
            (8, Ok(json!({"c": 3}))),
            (9, Ok(json!({"d": 4}))),
            (10, Ok(json!(""))),
            (11, Ok(json!("text\n"))),
        ]
    );
}

#[test]
fn dashes_that_are_not_markers() {
    let text = "a: ---\n----\n---x: 1\n";
    // `----` and `---x` do not start documents: they are plain scalars
    // here, making the document invalid, but there is only one.
    assert_eq!(check(text).len(), 1);
    assert_eq!(value("s: |\n  ---\n  x\n"), json!({"s": "---\nx\n"}));
}

#[test]
fn byte_order_marks_of_concatenated_files() {
    let text = "\u{feff}a: 1\n---\n\u{feff}b: 2\n\u{feff}---\nc: 3\n";
    assert_eq!(
        check(text),
        vec![(1, Ok(json!({"a": 1}))), (3, Ok(json!({"b": 2}))), (5, Ok(json!({"c": 3})))]
    );
}

#[test]
fn document_end_marker() {
    let text = "a: 1\n...\n# between\n...   # comment\nb: 2\n...\n";
    assert_eq!(check(text), vec![(1, Ok(json!({"a": 1}))), (5, Ok(json!({"b": 2})))]);
    let text = "--- a\n...\n--- b\n";
    assert_eq!(check(text), vec![(1, Ok(json!("a"))), (3, Ok(json!("b")))]);
}

#[test]
fn directives_go_with_the_next_document() {
    let text = "a: 1\n...\n%YAML 1.2\n%TAG !e! tag:example.com,2000:\n---\nb: !e!x 2\n";
    assert_eq!(check(text), vec![(1, Ok(json!({"a": 1}))), (6, Ok(json!({"b": 2})))]);
    let text = "%YAML 1.2\n---\nc: 3\n";
    assert_eq!(check(text), vec![(3, Ok(json!({"c": 3})))]);
    // Without `...` the directive is still moved to the next document.
    let text = "a: 1\n%YAML 1.2\n---\nb: 2\n";
    assert_eq!(check(text), vec![(1, Ok(json!({"a": 1}))), (4, Ok(json!({"b": 2})))]);
}

#[test]
fn explicit_null_documents_are_kept() {
    assert_eq!(check("---\n~\n---\nnull\n"), vec![(2, Ok(Value::Null)), (4, Ok(Value::Null))]);
}

#[test]
fn syntax_error_in_middle_document() {
    let text = "\
a: 1
---
b: 2
c: [1, 2
d: 3
---
e: 5
";
    let docs = check(text);
    assert_eq!(docs.len(), 3);
    assert_eq!(docs[0], (1, Ok(json!({"a": 1}))));
    assert_eq!(docs[1].0, 3);
    let err = docs[1].1.clone().unwrap_err();
    assert!(err.starts_with("5:"), "{err}");
    assert_eq!(docs[2], (7, Ok(json!({"e": 5}))));
}

#[test]
fn error_lines_and_messages() {
    let e = error("a: 1\nb: \"open\n");
    assert_eq!(e.line(), 2);
    assert!(e.message().contains("quoted scalar"), "{}", e.message());
    // The first document is fine; this is the second one.
    let docs = parse_stream("x: 1\n---\na:\n\tb: 1\n");
    assert!(docs[0].content.is_ok());
    let e2 = docs[1].content.clone().unwrap_err();
    assert_eq!(e2.line(), 4);
    assert!(e2.message().contains("tab"), "{}", e2.message());
    let e = error("]\n");
    assert_eq!((e.line(), e.column()), (1, 1));
    let e = error("a: *nothing\n");
    assert_eq!(e.line(), 1);
    assert!(e.message().contains("anchor"), "{}", e.message());
    for e in [error("a: 1\n  b: 2\n"), error("- a\nb: 1\n")] {
        assert!(!e.message().ends_with('.'));
        assert!(!e.message().starts_with(char::is_uppercase), "{}", e.message());
    }
}

#[test]
fn anchors_aliases_and_merge_keys() {
    let text = "\
base: &base
  a: 1
  b: 2
list: &list [x, y]
copy: *base
items: *list
merged:
  <<: *base
  b: 3
  c: 4
override_before:
  b: 5
  <<: *base
multi:
  <<: [*base, {a: 10, z: 26}]
flow: {<<: *base, a: 0}
scalar: &s hello
again: *s
";
    assert_eq!(
        value(text),
        json!({
            "base": {"a": 1, "b": 2},
            "list": ["x", "y"],
            "copy": {"a": 1, "b": 2},
            "items": ["x", "y"],
            "merged": {"a": 1, "b": 3, "c": 4},
            "override_before": {"a": 1, "b": 5},
            "multi": {"a": 1, "b": 2, "z": 26},
            "flow": {"a": 0, "b": 2},
            "scalar": "hello",
            "again": "hello",
        })
    );
    // A quoted `<<` is an ordinary key.
    assert_eq!(value("\"<<\": 1\n"), json!({"<<": 1}));
    let e = error("a: &a 1\nb:\n  <<: *a\n");
    assert_eq!(e.line(), 3);
    assert!(e.message().contains("merge"), "{}", e.message());
    // Anchors are redefinable; an alias takes the latest.
    assert_eq!(value("- &a 1\n- *a\n- &a 2\n- *a\n"), json!([1, 1, 2, 2]));
    // An alias inside its own anchor cannot be expanded.
    assert!(parse_stream("&a [*a]\n")[0].content.is_err());
}

#[test]
fn billion_laughs_is_capped() {
    let mut text = String::from("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    let names: Vec<char> = ('b'..='j').collect();
    let mut previous = 'a';
    for name in names {
        let refs = vec![format!("*{previous}"); 10].join(", ");
        let _ = writeln!(text, "{name}: &{name} [{refs}]");
        previous = name;
    }
    let e = error(&text);
    assert!(e.message().contains("more than 1000000 nodes"), "{}", e.message());
    // A small expansion is fine.
    assert_eq!(value("a: &a [1, 2]\nb: [*a, *a]\n")["b"], json!([[1, 2], [1, 2]]));
}

#[test]
fn deep_nesting_does_not_overflow() {
    let flow = "[".repeat(100_000);
    let docs = check(&flow);
    assert_eq!(docs.len(), 1);
    assert!(docs[0].1.is_err());
    let flow = "{a: ".repeat(100_000);
    assert!(check(&flow)[0].1.is_err());

    let block = "- ".repeat(100_000) + "x\n";
    let e = error(&block);
    assert_eq!(e.message(), "nesting deeper than 512 levels");
    assert_eq!(e.line(), 1);

    let mut indented = String::new();
    for i in 0..1000 {
        let _ = writeln!(indented, "{}k{i}:", " ".repeat(i));
    }
    assert_eq!(error(&indented).message(), "nesting deeper than 512 levels");

    // Aliases cannot nest values deeper either.
    let mut text = String::from("a0: &a0 x\n");
    for i in 1..40 {
        let _ = writeln!(text, "a{i}: &a{i} {}*a{}{}", "[".repeat(100), i - 1, "]".repeat(100));
    }
    let e = error(&text);
    assert_eq!(e.message(), "nesting deeper than 512 levels");
    assert_eq!(e.line(), 7);

    // 512 levels are fine.
    let ok = "- ".repeat(MAX_DEPTH) + "x\n";
    let mut v = &value(&ok);
    for _ in 0..MAX_DEPTH {
        v = &v[0];
    }
    assert_eq!(v, &json!("x"));
}

#[test]
fn json_documents() {
    let text =
        "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": [{\"a\": 1.5}, null, true]\n}\n";
    assert_eq!(
        check(text),
        vec![(1, Ok(json!({"apiVersion": "v1", "kind": "List", "items": [{"a": 1.5}, null, true]})))]
    );
    let tabs = "[\n\t{\n\t\t\"name\": \"a\",\n\t\t\"port\": 80\n\t},\n\t\"x\"\n]\n";
    assert_eq!(check(tabs), vec![(1, Ok(json!([{"name": "a", "port": 80}, "x"])))]);
    // JSON after a marker, with an error on a later line.
    let bad = "a: 1\n---\n{\n\t\"a\": 1\n\t\"b\": 2\n}\n";
    let docs = parse_stream(bad);
    assert_eq!(docs.len(), 2);
    let e = docs[1].content.clone().unwrap_err();
    assert_eq!(docs[1].line, 3);
    assert!(e.line() == 4 || e.line() == 5, "{e:?}");
    assert!(!e.message().is_empty());
}

#[test]
fn json_fallback_on_saphyr_rejection() {
    // Surrogate pair escapes and a tab after `:` are valid JSON that the
    // YAML parser rejects: the JSON parser reads them, and only the root
    // gets a line.
    let text = "a: 1\n---\n{\"s\": \"\\ud83d\\ude00\", \"t\":\t1}\n";
    let docs = parse_stream(text);
    assert_eq!(docs.len(), 2);
    let doc = docs[1].content.clone().unwrap();
    assert_eq!(doc.value, json!({"s": "\u{1f600}", "t": 1}));
    assert_eq!(doc.field_lines, vec![(String::new(), 3)]);
    // Tabs that the YAML parser accepts: same value either way.
    let text = "{\"a\":\n\t[1,\n\t 2\n\t]\n}";
    assert_eq!(value(text), json!({"a": [1, 2]}));
    // A JSON error on the first line is placed after the `---` marker.
    let e = parse_stream("x: 1\n--- {\"a\":\t1,,}\n")[1].content.clone().unwrap_err();
    assert_eq!((e.line(), e.column()), (2, 13));
    // Deep JSON beyond the YAML parser's flow limit is an error, not a
    // crash.
    let deep = "[".repeat(300) + &"]".repeat(300);
    assert!(error(&deep).message().contains("recursion"), "{:?}", error(&deep));
}

#[test]
fn tabs_before_content_inside_a_flow_collection() {
    // Tabs are separation space in flow context, even at the start of a
    // line of a flow collection nested in a block one.
    let text =
        "spec:\n  args:\n    [\n      \"-a\",\n\t      \"-b\",\n\t\t\"-c\",\n    ]\n  m: {a: 1,\n\t  b: 2}\n";
    let doc = one(text);
    assert_eq!(doc.value, json!({"spec": {"args": ["-a", "-b", "-c"], "m": {"a": 1, "b": 2}}}));
    assert_eq!(line_of(&doc, "spec.args[2]"), Some(6));
    assert_eq!(line_of(&doc, "spec.m.b"), Some(9));
    // In block indentation a tab stays an error, on its line.
    let e = error("a:\n  b: [1,\n    2]\n  c:\n\td: 1\n");
    assert_eq!(e.line(), 5);
    assert!(e.message().starts_with("tabs disallowed"), "{}", e.message());
    let e = error("a:\n\t[1, 2]\n");
    assert_eq!(e.line(), 2);
}

#[test]
fn scalar_types() {
    let text = "\
nulls: [null, Null, NULL, ~, '', ]
colon: 12:30
dash: -x
dot: .
empty:
bools: [true, True, TRUE, false, False, FALSE, yes, no, on, tRUE]
ints: [0, 42, -17, +5, 0o17, 0x1F, 0xff, 007, 9223372036854775807, 18446744073709551615]
big: -99999999999999999999
floats: [1.5, -2.25, 1e3, .5, 1., +1.5e-2, 6.02E23]
special: [.inf, -.Inf, +.INF, .nan, .NaN]
strings: [\"1\", '2', 1.2.3, 0o8, 0x, 0xg, 1e, v1]
block: |
  1
folded: >
  true
tagged:
  - !!str 12
  - !!str true
  - !!int \"42\"
  - !!float 1
  - !!bool 'true'
  - !!null ''
  - !custom 12
  - ! 12
  - !<!> 13
  - !!float .inf
";
    assert_eq!(
        value(text),
        json!({
            "nulls": [null, null, null, null, ""],
            "colon": "12:30",
            "dash": "-x",
            "dot": ".",
            "empty": null,
            "bools": [true, true, true, false, false, false, "yes", "no", "on", "tRUE"],
            "ints": [0, 42, -17, 5, 15, 31, 255, 7, 9_223_372_036_854_775_807_i64, 18_446_744_073_709_551_615_u64],
            "big": -1e20,
            "floats": [1.5, -2.25, 1000.0, 0.5, 1.0, 0.015, 6.02e23],
            "special": [".inf", "-.Inf", "+.INF", ".nan", ".NaN"],
            "strings": ["1", "2", "1.2.3", "0o8", "0x", "0xg", "1e", "v1"],
            "block": "1\n",
            "folded": "true\n",
            "tagged": ["12", "true", 42, 1.0, true, null, 12, "12", "13", ".inf"],
        })
    );
    let e = error("a:\n  b: !!int abc\n");
    assert_eq!(e.line(), 2);
    assert!(e.message().contains("!!int"), "{}", e.message());
}

#[test]
fn keys_become_strings() {
    assert_eq!(
        value("80: a\ntrue: b\n~: c\n1.5: d\n0x10: e\n[1, 2]: f\n{x: 1}: g\n\"q\": h\n"),
        json!({
            "80": "a", "true": "b", "null": "c", "1.5": "d", "16": "e",
            "[1,2]": "f", "{\"x\":1}": "g", "q": "h",
        })
    );
}

/// kubectl's strict decoding (sigs.k8s.io/yaml, `yaml.UnmarshalStrict`)
/// refuses a key given twice in one mapping: "mapping key "a" already
/// defined at line 1".
#[test]
fn duplicate_keys_are_an_error_at_the_second_one() {
    let e = error("a: 1\nb: 2\na: 3\n");
    assert_eq!((e.line(), e.message().as_str()), (3, "mapping key `a` already defined at line 1"));
    let e = error("metadata:\n  name: x\n  labels: {app: a, app: b}\n");
    assert_eq!((e.line(), e.message().as_str()), (3, "mapping key `app` already defined at line 3"));
    let e = error("{\"a\": 1, \"a\": 2}");
    assert_eq!(e.message(), "mapping key `a` already defined at line 1");
    // Two files concatenated without `---`: the second starts with a comment.
    let e = error("kind: Service\nmetadata: {name: a}\n# b.yaml\nkind: Pod\nmetadata: {name: b}\n");
    assert_eq!((e.line(), e.message().as_str()), (4, "mapping key `kind` already defined at line 1"));
    // Keys merged with `<<` may be overridden.
    assert_eq!(value("base: &b {a: 1}\nm:\n  <<: *b\n  a: 2\n")["m"], json!({"a": 2}));
}

#[test]
fn field_lines_of_a_deployment() {
    let text = "\
---
# A deployment
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels:
    app.kubernetes.io/name: web
  annotations:
    note: x
spec:
  replicas: 2
  template:
    spec:
      containers:
      - name: web
        image: nginx
        ports:
        - containerPort: 80
          name: http
        -
          containerPort: 443
          name: https
status:
  replicas: 2
  conditions:
  - type: Available
data:
  key: value
";
    let doc = one(text);
    assert_eq!(parse_stream(text)[0].line, 3);
    let expect = [
        ("", 3),
        ("apiVersion", 3),
        ("kind", 4),
        ("metadata", 5),
        ("metadata.name", 6),
        ("metadata.labels", 8),
        ("metadata.labels.app.kubernetes.io/name", 9),
        ("metadata.annotations", 10),
        ("spec.replicas", 13),
        ("spec.template.spec.containers", 16),
        ("spec.template.spec.containers[0]", 17),
        ("spec.template.spec.containers[0].name", 17),
        ("spec.template.spec.containers[0].ports[0].containerPort", 20),
        // An item's line is where its content starts.
        ("spec.template.spec.containers[0].ports[1]", 23),
        ("spec.template.spec.containers[0].ports[1].name", 24),
        ("status", 25),
        ("data", 29),
    ];
    for (path, line) in expect {
        assert_eq!(line_of(&doc, path), Some(line), "{path}");
    }
    for path in ["metadata.annotations.note", "status.replicas", "status.conditions[0]", "data.key"] {
        assert_eq!(line_of(&doc, path), None, "{path}");
    }
    let mut sorted = doc.field_lines.clone();
    sorted.sort();
    assert_eq!(sorted, doc.field_lines);
    assert_eq!(
        doc.value["spec"]["template"]["spec"]["containers"][0]["ports"][1]["containerPort"],
        json!(443)
    );
}

#[test]
fn field_lines_depth_limit() {
    let text = "a:\n b:\n  c:\n   d:\n    e:\n     f:\n      g:\n       h:\n        i:\n         j:\n          k:\n           l: 1\n";
    let doc = one(text);
    assert_eq!(line_of(&doc, "a.b.c.d.e.f.g.h.i.j"), Some(10));
    assert_eq!(line_of(&doc, "a.b.c.d.e.f.g.h.i.j.k"), None);
    let doc = one("[[[[[[[[[[[1]]]]]]]]]]]\n");
    assert_eq!(line_of(&doc, "[0][0][0][0][0][0][0][0][0][0]"), Some(1));
    assert_eq!(line_of(&doc, "[0][0][0][0][0][0][0][0][0][0][0]"), None);
    // Nothing is recorded inside aliases or keys.
    let doc = one("a: &x {b: 1}\nc: *x\n? [k]\n: v\n");
    assert_eq!(line_of(&doc, "a.b"), Some(1));
    assert_eq!(line_of(&doc, "c"), Some(2));
    assert_eq!(line_of(&doc, "c.b"), None);
    assert_eq!(line_of(&doc, "[\"k\"]"), Some(3));
    assert_eq!(doc.field_lines.len(), 5, "{:?}", doc.field_lines);
}

#[test]
fn field_lines_of_list_items() {
    let text = "\
apiVersion: v1
kind: List
items:
- kind: Pod
  metadata:
    name: a
    managedFields:
    - manager: kubectl
    annotations:
      x: y
  spec:
    containers:
    - name: c
      env:
      - name: E
        valueFrom:
          secretKeyRef:
            name: s
  status:
    phase: Running
";
    let doc = one(text);
    for (path, line) in [
        ("items[0]", 4),
        ("items[0].metadata.name", 6),
        ("items[0].metadata.managedFields", 7),
        ("items[0].metadata.annotations", 9),
        ("items[0].spec.containers[0].env", 14),
        ("items[0].status", 19),
    ] {
        assert_eq!(line_of(&doc, path), Some(line), "{path}");
    }
    for path in [
        "items[0].metadata.managedFields[0]",
        "items[0].metadata.annotations.x",
        "items[0].status.phase",
        // Bulky pod spec fields keep only their own line.
        "items[0].spec.containers[0].env[0].valueFrom.secretKeyRef.name",
    ] {
        assert_eq!(line_of(&doc, path), None, "{path}");
    }
}

#[test]
fn compact_fields_sort_and_keep_one_line_per_path() {
    let mut fields = Fields::default();
    for (path, line) in [("b", 1), ("a.x", 2), ("a", 3), ("b", 4), ("", 5)] {
        fields.push(path, line);
    }
    let mut last = Fields { text: fields.text.clone(), entries: fields.entries.clone() };
    last.sort(true);
    assert_eq!(last.iter().collect::<Vec<_>>(), [("", 5), ("a", 3), ("a.x", 2), ("b", 4)]);
    fields.sort(false);
    let paths: Vec<&str> = fields.iter().map(|(path, _)| path).collect();
    assert_eq!(paths, ["", "a", "a.x", "b"]);
}

#[test]
fn documents_match_parse_stream() {
    let text = "a: 1\n---\nb: [1,\n---\nc:\n  d: 2\n  e: 3\n";
    let lazy: Vec<_> = documents(text)
        .map(|d| {
            let content = d.content.map(|p| {
                let fields: Vec<_> = p.fields.iter().map(|(path, line)| (path.to_owned(), line)).collect();
                ParsedDocument { value: p.value, field_lines: fields }
            });
            RawDocument { line: d.line, content }
        })
        .collect();
    assert_eq!(lazy, parse_stream(text));
    assert_eq!(line_of(&one("c:\n  d: 2\n  e: 3\n"), "c.e"), Some(3));
}

#[test]
fn line_numbers_across_documents() {
    let text = "a: 1\n---\n\n# x\nb:\n  c: [1,\n    2]\n  d: 4\n";
    let docs = parse_stream(text);
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[1].line, 5);
    let doc = docs[1].content.clone().unwrap();
    assert_eq!(line_of(&doc, ""), Some(5));
    assert_eq!(line_of(&doc, "b.c[1]"), Some(7));
    assert_eq!(line_of(&doc, "b.d"), Some(8));
}

#[test]
fn never_panics_on_odd_input() {
    let samples = [
        "\"unterminated",
        "'unterminated\n---\nb: 1",
        "a:\n\t- b",
        "]",
        "}",
        "[",
        "{",
        "- [}",
        "&",
        "*",
        "!",
        "!!",
        "%",
        "%YAML",
        "%YAML 1.2\n",
        "%YAML 1.2\n%YAML 1.2\n---\n",
        "? ",
        ": ",
        "a: |\n b\n  c",
        "a: >-\n\n",
        "--- |\n---",
        "\u{0}",
        "\u{feff}\u{feff}",
        "a: &x\nb: *x",
        "<<: 1",
        "<<: [1]",
        "a: !!binary aGVsbG8=",
        "a: !<tag:x> b",
        "- !!int",
        "--- !!map\n",
        "\r",
        "\r\r\n---\r\n",
        "...\n...",
        "a:\n  - b\n  c: d",
        "{a: 1, a: 2}",
        "[a, b]: c",
        "- - - -",
        "?\n?\n?",
        "'\\'",
        "\"\\u12\"",
        "\"\\xZZ\"",
        "0x",
        "-.inf",
        "a: 'b\n---\nc'",
        "--- &a\n--- *a",
    ];
    for s in samples {
        let _ = parse_stream(s);
    }
    // Pseudo-random bytes, made valid UTF-8.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let alphabet = b"-:[]{}&*!|>'\"#%@`,? \t\n\r.~0aZ<\\";
    for _ in 0..3000 {
        let mut bytes = Vec::new();
        let len = (state % 64) as usize;
        for _ in 0..len {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let b = if state.is_multiple_of(5) {
                state.to_le_bytes()[1]
            } else {
                alphabet[(state >> 8) as usize % alphabet.len()]
            };
            bytes.push(b);
        }
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse_stream(&text);
    }
}
