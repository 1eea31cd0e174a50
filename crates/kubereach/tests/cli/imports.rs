//! No circle between source files, as ARCHITECTURE.md promises: a file's
//! `crate::` and `super::` paths name the files it depends on, and neither
//! those files nor the top-level modules they belong to may lead back to it.
//! A module root naming its own children (`mod x;`, `x::Item`,
//! `crate::this::x::Item`) is the module itself: only a child's paths to its
//! parent, and paths between modules, count.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::util::repo_root;

/// Dependencies between the files of one crate, by path below `src/`.
type Graph = BTreeMap<String, BTreeSet<String>>;

/// The crate's source files, tests left out, with their text.
fn sources(src: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let mut pending = vec![src.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("read a source directory") {
            let path = entry.expect("a directory entry").path();
            let relative = path.strip_prefix(src).expect("below src").to_string_lossy().replace('\\', "/");
            if relative.contains("test") {
                continue;
            }
            if path.is_dir() {
                pending.push(path);
            } else if relative.ends_with(".rs") {
                files.insert(relative, std::fs::read_to_string(&path).expect("read a source file"));
            }
        }
    }
    files
}

/// The module path of a file: `dns/server.rs` is `dns::server`, `dns/mod.rs` is `dns`.
fn module_of(file: &str) -> Vec<String> {
    let mut parts: Vec<String> = file.trim_end_matches(".rs").split('/').map(str::to_owned).collect();
    if parts.last().is_some_and(|last| ["mod", "lib", "main"].contains(&last.as_str())) {
        parts.pop();
    }
    parts
}

/// The code of a file without comment lines and without its test module.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    text.lines().filter(|line| !line.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// Every path a `use` tree such as `crate::a::{b, c::d as e}` names.
fn expand_use(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        return vec![tree.split(" as ").next().unwrap_or_default().trim().to_owned()];
    };
    let prefix = tree[..open].trim_end_matches("::");
    let close = tree.rfind('}').filter(|close| *close > open).unwrap_or(tree.len());
    let inner = &tree[open + 1..close];
    let (mut parts, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|part| !part.trim().is_empty())
        .flat_map(expand_use)
        .map(|path| format!("{prefix}::{path}"))
        .collect()
}

/// The paths through `crate::` or `super::` that `code` names: in `use`
/// items and written out in full.
fn named_paths(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let bytes = code.as_bytes();
    let at_word_start = |i: usize| i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
    for (start, _) in code.match_indices("use ").filter(|(i, _)| at_word_start(*i)) {
        let tree = code[start + 4..].split(';').next().unwrap_or_default();
        paths.extend(expand_use(&tree.replace(char::is_whitespace, " ")));
    }
    for start in ["crate::", "super::"].iter().flat_map(|p| code.match_indices(p).map(|(i, _)| i)) {
        let before = start.checked_sub(1).map(|i| bytes[i]);
        if before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':') {
            continue;
        }
        let end = code[start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .map_or(code.len(), |len| start + len);
        paths.push(code[start..end].to_owned());
    }
    paths.into_iter().filter(|p| p.starts_with("crate::") || p.starts_with("super::")).collect()
}

/// The file a path leads to from `module`: the longest module prefix that is a file.
fn target(files: &BTreeMap<Vec<String>, String>, module: &[String], path: &str) -> Option<String> {
    let segments: Vec<&str> = path.split("::").map(str::trim).filter(|s| !s.is_empty()).collect();
    let mut absolute: Vec<String> = Vec::new();
    let mut rest = segments.as_slice();
    if rest.first() == Some(&"crate") {
        rest = &rest[1..];
    } else {
        absolute = module.to_vec();
        while rest.first() == Some(&"super") {
            absolute.pop();
            rest = &rest[1..];
        }
    }
    absolute.extend(rest.iter().map(|s| (*s).to_owned()));
    (0..=absolute.len()).rev().find_map(|len| files.get(&absolute[..len]).cloned())
}

/// The files each file depends on.
fn file_graph(sources: &BTreeMap<String, String>) -> Graph {
    let files: BTreeMap<Vec<String>, String> = sources.keys().map(|f| (module_of(f), f.clone())).collect();
    let mut graph = Graph::new();
    for (file, text) in sources {
        let module = module_of(file);
        let edges = graph.entry(file.clone()).or_default();
        for path in named_paths(&code(text)) {
            // A module root naming its own children is the module itself.
            if let Some(to) = target(&files, &module, &path).filter(|to| !module_of(to).starts_with(&module))
            {
                edges.insert(to);
            }
        }
    }
    graph
}

/// The same dependencies between top-level modules (`dns/server.rs` is in `dns`).
fn module_graph(files: &Graph) -> Graph {
    let top = |file: &str| file.split('/').next().unwrap_or_default().trim_end_matches(".rs").to_owned();
    let mut graph = Graph::new();
    for (from, targets) in files {
        let edges = graph.entry(top(from)).or_default();
        edges.extend(targets.iter().map(|to| top(to)).filter(|to| *to != top(from)));
    }
    graph
}

/// The strongly connected parts of `graph` with more than one node: its circles.
fn circles(graph: &Graph) -> Vec<Vec<String>> {
    let reaches = |from: &String| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut pending: Vec<&String> = vec![from];
        while let Some(node) = pending.pop() {
            for next in graph.get(node).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    pending.push(next);
                }
            }
        }
        seen
    };
    let reach: BTreeMap<&String, BTreeSet<String>> = graph.keys().map(|n| (n, reaches(n))).collect();
    let mut found: BTreeSet<Vec<String>> = BTreeSet::new();
    for (node, reached) in &reach {
        let circle: Vec<String> = reached
            .iter()
            .filter(|other| reach.get(other).is_some_and(|r| r.contains(*node)))
            .cloned()
            .collect();
        if circle.len() > 1 {
            found.insert(circle);
        }
    }
    found.into_iter().collect()
}

#[test]
fn no_circle_between_files_or_modules() {
    let mut found = Vec::new();
    for krate in ["core", "load", "lab", "serve", "kubereach", "gen"] {
        let files = file_graph(&sources(&repo_root().join("crates").join(krate).join("src")));
        assert!(files.len() > 2, "{krate}: the source scan found too few files");
        for circle in circles(&files).into_iter().chain(circles(&module_graph(&files))) {
            found.push(format!("{krate}: {}", circle.join(" ↔ ")));
        }
    }
    assert!(found.is_empty(), "circles between files or modules:\n{}", found.join("\n"));
}

#[test]
fn a_circle_through_super_and_crate_paths_is_caught() {
    let sources: BTreeMap<String, String> = [
        ("dns/server.rs", "use super::reverse::reverse_lookup;\n"),
        ("dns/reverse.rs", "use crate::{model::Cluster, dns::server::{fqdn, host as h}};\n"),
        ("dns/mod.rs", "mod server;\n// crate::trace in a comment\n"),
        ("model.rs", "pub fn f() { crate::dns::x(); }\n#[cfg(test)]\nmod tests { use crate::trace; }"),
        ("trace.rs", "fn g() {}"),
    ]
    .into_iter()
    .map(|(file, text)| (file.to_owned(), text.to_owned()))
    .collect();
    let files = file_graph(&sources);
    assert_eq!(circles(&files), [vec!["dns/reverse.rs".to_owned(), "dns/server.rs".to_owned()]]);
    assert!(files["dns/mod.rs"].is_empty() && files["trace.rs"].is_empty());
    assert_eq!(circles(&module_graph(&files)), [vec!["dns".to_owned(), "model".to_owned()]]);
}
