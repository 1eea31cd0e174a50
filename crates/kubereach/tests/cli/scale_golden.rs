//! The analysis commands on a generated cluster, compared byte for byte
//! with their outputs recorded before the scale work (issue 14): indexes,
//! bounded "did you mean" candidates and focused evaluation must change
//! how fast an answer comes, never the answer.
//!
//! The input is `fixtures/scale/generated` (written by
//! `cargo run --release -p kubereach-gen -- --shape realistic --pods 200
//! --policies 60 --namespaces 4 --seed 11 --out DIR`) and
//! `fixtures/scale/typos.yaml` (selectors, peers and ports that miss by a
//! typo, for the suggestions). The expected outputs are in
//! `fixtures/scale/golden/`; `KUBEREACH_BLESS=1` rewrites them, for a change
//! of output made on purpose (review the diff).

use std::path::Path;

use crate::util::{fixtures, TestDir};

const GENERATED: &str = "generated";
const TYPOS: &str = "typos.yaml";

/// A directory holding a copy of the scale fixtures, where commands run.
fn scale_dir() -> TestDir {
    let dir = TestDir::new();
    dir.copy_fixture("scale/generated", GENERATED).copy_fixture("scale/typos.yaml", TYPOS);
    dir
}

/// Compares `actual` with the golden file `name`, or rewrites it when
/// `KUBEREACH_BLESS=1`.
#[track_caller]
fn golden(name: &str, actual: &str) {
    let path = fixtures().join("scale").join("golden").join(name);
    if std::env::var("KUBEREACH_BLESS").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().expect("golden dir")).expect("create the golden dir");
        std::fs::write(&path, actual).expect("write a golden file");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (KUBEREACH_BLESS=1 records it)", path.display()));
    if expected != actual {
        let line = expected.lines().zip(actual.lines()).position(|(a, b)| a != b);
        panic!(
            "{name} differs from its golden output (first differing line: {}; {} lines expected, {} actual)",
            line.map_or_else(|| "none, lengths differ".to_owned(), |l| (l + 1).to_string()),
            expected.lines().count(),
            actual.lines().count()
        );
    }
}

/// A run's exit code and output, as one text.
fn recorded(dir: &TestDir, args: &[&str]) -> String {
    let run = dir.run(args);
    run.assert_no_panic();
    format!("exit code: {:?}\n{}{}", run.code, run.stdout, run.stderr)
}

#[test]
fn check_is_unchanged_on_a_generated_cluster() {
    let dir = scale_dir();
    golden("check.json", &recorded(&dir, &["check", "-f", GENERATED, "-f", TYPOS, "--format", "json"]));
    golden("check.txt", &recorded(&dir, &["check", "-f", GENERATED, "-f", TYPOS, "--color", "never"]));
}

#[test]
fn matrix_is_unchanged_on_a_generated_cluster() {
    let dir = scale_dir();
    golden("matrix.connlist", &recorded(&dir, &["matrix", "-f", GENERATED, "--format", "connlist"]));
    golden(
        "matrix-pods.connlist",
        &recorded(&dir, &["matrix", "-f", GENERATED, "-f", TYPOS, "--pods", "--format", "connlist"]),
    );
    let focus = ["matrix", "-f", GENERATED, "--focus", "catalog-prod-0001/profile-api", "--format", "json"];
    golden("matrix-focus.json", &recorded(&dir, &focus));
    let namespace = ["matrix", "-f", GENERATED, "--namespace", "typos", "-f", TYPOS, "--format", "connlist"];
    golden("matrix-namespace.connlist", &recorded(&dir, &namespace));
}

#[test]
fn trace_is_unchanged_on_a_generated_cluster() {
    let dir = scale_dir();
    let traces = [
        ["catalog-prod-0001/cart-web", "catalog-prod-0001/profile-api:8080"],
        ["catalog-prod-0001/cart-web", "svc/catalog-prod-0001/invoice-web:80"],
        ["support-staging-0000/chat-web", "http://invoice-web.catalog-prod-0001/"],
        ["external", "https://pricing-web.catalog-prod-0001.example.com/"],
        ["typos/backend", "typos/frontend:8080"],
        ["growth-staging-0003/cart-api", "kube-dns.kube-system:53"],
    ];
    let mut text = String::new();
    for [source, destination] in traces {
        for format in ["human", "json"] {
            let args = ["trace", "-f", GENERATED, "-f", TYPOS, source, destination, "--format", format];
            text.push_str(&format!("$ {}\n", args.join(" ")));
            text.push_str(&recorded(&dir, &args));
        }
    }
    golden("trace.txt", &text);
}

#[test]
fn diff_is_unchanged_on_a_generated_cluster() {
    let dir = scale_dir();
    let documents = documents(&dir.path().join(GENERATED));
    // The same documents in another order: no difference.
    dir.write("shuffled/all.yaml", shuffled(&documents).join("---\n"));
    golden("diff-shuffled.txt", &recorded(&dir, &["diff", GENERATED, "shuffled"]));
    // Every third NetworkPolicy gone: connections added, workloads unchanged.
    let mut policies = 0;
    let fewer: Vec<&String> = documents
        .iter()
        .filter(|d| {
            let policy = d.contains("\nkind: NetworkPolicy\n");
            policies += usize::from(policy);
            !(policy && policies % 3 == 0)
        })
        .collect();
    let fewer: Vec<String> = fewer.into_iter().cloned().collect();
    dir.write("fewer/all.yaml", shuffled(&fewer).join("---\n"));
    golden("diff-fewer.json", &recorded(&dir, &["diff", GENERATED, "fewer", "--format", "json"]));
    golden("diff-fewer-pods.txt", &recorded(&dir, &["diff", GENERATED, "fewer", "--pods"]));
}

/// Every YAML document of the files in `dir`, in file-name order, each
/// starting with a newline-terminated body.
fn documents(dir: &Path) -> Vec<String> {
    let mut files: Vec<_> =
        std::fs::read_dir(dir).expect("read the fixture").map(|e| e.unwrap().path()).collect();
    files.sort();
    let mut documents = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read a fixture file");
        for document in text.split("\n---\n") {
            let document = document.strip_prefix("---\n").unwrap_or(document);
            if document.lines().any(|l| l.starts_with("kind:")) {
                let mut document = document.to_owned();
                if !document.ends_with('\n') {
                    document.push('\n');
                }
                documents.push(document);
            }
        }
    }
    documents
}

/// `documents` in a fixed order unrelated to the input's: by a hash of
/// their text.
fn shuffled(documents: &[String]) -> Vec<String> {
    let hash = |text: &str| {
        text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
    };
    let mut shuffled = documents.to_vec();
    shuffled.sort_by_key(|d| hash(d));
    shuffled
}
