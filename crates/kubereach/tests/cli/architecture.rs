//! ARCHITECTURE.md stays true: every file or directory it names in
//! backticks exists in the repository.

use std::path::Path;

use crate::util::repo_root;

/// Every repository file and directory, as `/`-separated paths relative to the root.
fn repository_paths(root: &Path) -> Vec<String> {
    let mut paths = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("read a repository directory") {
            let path = entry.expect("a directory entry").path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if matches!(name, "target" | ".git" | "node_modules") {
                continue;
            }
            let relative = path.strip_prefix(root).expect("below the root");
            let text = relative.to_string_lossy().replace('\\', "/");
            if path.is_dir() {
                paths.push(format!("{text}/"));
                pending.push(path);
            } else {
                paths.push(text);
            }
        }
    }
    paths
}

/// The backticked spans of `text` that name a file or directory: they end in
/// a known extension or `/`, and have no spaces.
fn named_paths(text: &str) -> Vec<&str> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|span| !span.contains(' ') && !span.contains('<') && !span.contains('*'))
        .filter(|span| {
            span.ends_with('/')
                || [".rs", ".md", ".yaml", ".toml", ".json"].iter().any(|ext| span.ends_with(ext))
        })
        .collect()
}

#[test]
fn every_path_named_in_architecture_md_exists() {
    let root = repo_root();
    let text = std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("read ARCHITECTURE.md");
    let paths = repository_paths(&root);
    let named = named_paths(&text);
    assert!(named.len() > 20, "the path scan found too few paths: {named:?}");
    let missing: Vec<&str> = named
        .into_iter()
        .filter(|name| {
            let name = name.trim_start_matches("./");
            !paths.iter().any(|path| path == name || path.ends_with(&format!("/{name}")))
        })
        .collect();
    assert!(missing.is_empty(), "ARCHITECTURE.md names paths that do not exist: {missing:?}");
}

#[test]
fn a_missing_path_is_caught() {
    let paths = ["crates/core/src/model.rs".to_owned(), "crates/core/src/".to_owned()];
    let named = named_paths("see `model.rs`, `core/src/`, `nowhere.rs` and `a b.rs`");
    assert_eq!(named, ["model.rs", "core/src/", "nowhere.rs"]);
    let exists = |name: &str| paths.iter().any(|p| p == name || p.ends_with(&format!("/{name}")));
    assert!(exists("model.rs") && exists("core/src/") && !exists("nowhere.rs"));
}
